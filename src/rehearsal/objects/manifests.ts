import * as fs from 'fs';
import * as path from 'path';

/** A Kubernetes object as read from a manifest. */
export type Manifest = { [key: string]: any };

/** The API group of an `apiVersion` (`''` for the core group). */
export function groupOf(apiVersion: string | undefined): string {
  const parts = (apiVersion ?? '').split('/');
  return parts.length === 2 ? parts[0] : '';
}

/**
 * The objects of manifest files and folders: every `.yaml`, `.yml` and `.json` file of a folder
 * (recursively, in name order); multi-document YAML and JSON lists (`kind: List`) are split into
 * their objects. Anything that is not an object with a `kind` is left out.
 */
export function readManifests(paths: string[]): Manifest[] {
  const objects: Manifest[] = [];
  for (const given of paths) {
    if (!fs.existsSync(given)) {
      throw new Error(`no manifest file or folder at '${given}'`);
    }
    for (const file of manifestFiles(given)) {
      objects.push(...parseFile(file));
    }
  }
  return objects;
}

function manifestFiles(given: string): string[] {
  if (!fs.statSync(given).isDirectory()) return [given];
  return fs.readdirSync(given).sort().flatMap((entry) => {
    const full = path.join(given, entry);
    if (fs.statSync(full).isDirectory()) return entry === 'node_modules' ? [] : manifestFiles(full);
    return /\.(ya?ml|json)$/.test(entry) && !entry.endsWith('.cdk.tf.json') ? [full] : [];
  });
}

function parseFile(file: string): Manifest[] {
  const text = fs.readFileSync(file, 'utf-8');
  const documents: any[] = file.endsWith('.json') ? [JSON.parse(text)] : parseYamlDocuments(text);
  return documents.flatMap(flatten);
}

let yamlModule: any;

/**
 * The documents of a YAML text, read with the YAML library cdk8s bundles (schema 1.1, as cdk8s
 * reads and writes it). cdk8s's own `Yaml.load` reads through a child process, a second per file.
 */
export function parseYamlDocuments(text: string): any[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  yamlModule ??= require(require.resolve('yaml', { paths: [path.dirname(require.resolve('cdk8s/package.json'))] }));
  return yamlModule.parseAllDocuments(text, { version: '1.1' }).map((document: any) => {
    if (document.errors?.length) throw new Error(document.errors[0].message);
    return document.toJSON();
  });
}

/** Splits `kind: List` objects into their items; drops empty documents and non-objects. */
export function flatten(document: any): Manifest[] {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return [];
  if (document.kind === 'List' || (document.kind?.endsWith?.('List') && Array.isArray(document.items))) {
    return (document.items ?? []).flatMap(flatten);
  }
  return typeof document.kind === 'string' ? [document] : [];
}

/** Lookups over a set of objects by kind, namespace and name. */
export class ObjectIndex {
  private static key(kind: string, namespace: string | undefined, name: string | undefined): string {
    return `${kind}/${namespace ?? ''}/${name ?? ''}`;
  }

  private readonly byKey = new Map<string, Manifest>();
  private readonly byKind = new Map<string, Manifest[]>();
  /** Objects of the same kind, namespace and name that differ (`Kind namespace/name`): they cannot be applied together; the first one is read. */
  public readonly duplicates: string[] = [];

  constructor(public readonly objects: Manifest[]) {
    for (const object of objects) {
      const key = ObjectIndex.key(object.kind, object.metadata?.namespace, object.metadata?.name);
      const first = this.byKey.get(key);
      if (first === undefined) {this.byKey.set(key, object);} else if (JSON.stringify(first) !== JSON.stringify(object)) {
        const name = `${object.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata?.name}`;
        if (!this.duplicates.includes(name)) this.duplicates.push(name);
      }
      const list = this.byKind.get(object.kind) ?? [];
      list.push(object);
      this.byKind.set(object.kind, list);
    }
  }

  /** The object of this kind, namespace and name (a cluster-scoped object has no namespace). */
  public get(kind: string, namespace: string | undefined, name: string | undefined): Manifest | undefined {
    return this.byKey.get(ObjectIndex.key(kind, namespace, name));
  }

  /** Every object of a kind, optionally in one namespace. */
  public all(kind: string, namespace?: string): Manifest[] {
    const list = this.byKind.get(kind) ?? [];
    return namespace === undefined ? list : list.filter((o) => o.metadata?.namespace === namespace);
  }
}
