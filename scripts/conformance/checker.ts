import * as path from 'path';
import { builtinCheck } from './builtin-schemas';
import { CrdVersion, loadCrdVersions } from './crd-schemas';
import { CLUSTER_SCOPED, metadataProblems } from './metadata';

/** The vendored upstream CRDs (crds/README.md). */
export const CRD_DIR = path.resolve(__dirname, '..', '..', 'crds');

/** One object of a manifest file: `file#index`. */
export interface ManifestObject {
  readonly file: string;
  readonly index: number;
  readonly object: unknown;
}

export interface ObjectResult extends ManifestObject {
  /** `Kind namespace/name`. */
  readonly id: string;
  /** Empty when the object passes. */
  readonly problems: string[];
}

/**
 * Checks Kubernetes objects the way a cluster would before admitting them: custom resources against
 * every served version of the CRDs (strictly: unknown fields are errors), built-in kinds against the
 * Kubernetes schemas, the metadata of every object, and no two objects of one app with the same API
 * group, kind, namespace and name (applied together, the second replaces the first). An apiVersion
 * and kind with no schema is an error: nothing passes unchecked.
 *
 * Not checked: CEL rules, admission webhooks, what controllers reject at run time, cross-object references.
 */
export class ConformanceChecker {
  private readonly crds: Map<string, CrdVersion>;

  constructor(crdDir: string = CRD_DIR) {
    this.crds = loadCrdVersions(crdDir);
  }

  /** The API versions and kinds this checker has a CRD schema for (`<group>/<version>|<Kind>`). */
  public get customResources(): string[] {
    return [...this.crds.keys()].sort();
  }

  /** Checks the objects of one app (the files applied together); results in the order given. */
  public checkApp(objects: ManifestObject[]): ObjectResult[] {
    const seen = new Map<string, string>();
    return objects.map((entry) => {
      const object = entry.object as any;
      const problems = this.problems(object);
      const key = identity(object);
      const earlier = seen.get(key);
      if (earlier !== undefined) problems.push(`duplicate of the object at ${earlier}`);
      else seen.set(key, `${entry.file}#${entry.index}`);
      const namespace = object?.metadata?.namespace ? `${object.metadata.namespace}/` : '';
      return { ...entry, id: `${object?.kind ?? '?'} ${namespace}${object?.metadata?.name ?? '?'}`, problems };
    });
  }

  /** What is wrong with one object, on its own; empty when nothing is. */
  public problems(object: any): string[] {
    if (!object || typeof object !== 'object' || Array.isArray(object)) return ['document is not an object'];
    if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') return ['apiVersion or kind is missing'];
    const problems = metadataProblems(object);
    const crd = this.crds.get(`${object.apiVersion}|${object.kind}`);
    if (crd) {
      problems.push(...crd.problems(object));
      if (crd.scope === 'Cluster' && object.metadata?.namespace) problems.push(`${object.kind} is cluster-scoped but has metadata.namespace`);
      return problems;
    }
    const builtin = builtinCheck(object.apiVersion, object.kind);
    if (!builtin) return [...problems, `unknown apiVersion/kind ${object.apiVersion} ${object.kind}: no schema to check it against`];
    return [...problems, ...builtin(object)];
  }
}

/** API group, kind, namespace (none for cluster-scoped kinds) and name: what the API server keys an object by. */
function identity(object: any): string {
  const group = String(object?.apiVersion ?? '').split('/').slice(0, -1).join('/');
  const namespace = CLUSTER_SCOPED.has(object?.kind) ? '' : object?.metadata?.namespace ?? '';
  return `${group}|${object?.kind}|${namespace}|${object?.metadata?.name}`;
}
