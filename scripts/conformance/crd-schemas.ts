import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import { manifestFiles, readManifests } from './manifests';
import { objectSchema, Schema } from './structural-schema';

/** One served version of one CRD: what a custom resource of that apiVersion and kind must match. */
export interface CrdVersion {
  readonly scope: 'Namespaced' | 'Cluster';
  /** The CRD file, relative to the CRD folder. */
  readonly source: string;
  /** Schema errors of an object; empty when it matches. */
  problems(object: unknown): string[];
}

/**
 * The served versions of every CRD under `crdDir`, by `<group>/<version>|<Kind>`. The JSON Schemas
 * are compiled on first use: the big ones (Istio, Argo Rollouts) take a while, and a run rarely
 * needs them all.
 */
export function loadCrdVersions(crdDir: string): Map<string, CrdVersion> {
  const compiler = schemaCompiler();
  const versions = new Map<string, CrdVersion>();
  for (const file of manifestFiles(crdDir)) {
    for (const crd of readManifests(file) as any[]) {
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      const { group, names, scope } = crd.spec;
      for (const version of crd.spec.versions ?? []) {
        if (version.served === false || !version.schema?.openAPIV3Schema) continue;
        versions.set(`${group}/${version.name}|${names.kind}`, crdVersion(compiler, objectSchema(version.schema.openAPIV3Schema), scope, path.relative(crdDir, file)));
      }
    }
  }
  return versions;
}

/** Compiles each distinct schema once: Istio's three networking versions, for one, are the same schema. */
function schemaCompiler(): (schema: Schema) => ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const compiled = new Map<string, ValidateFunction>();
  return (schema) => {
    const key = JSON.stringify(schema);
    let validate = compiled.get(key);
    if (validate === undefined) {
      validate = ajv.compile(schema);
      compiled.set(key, validate);
    }
    return validate;
  };
}

function crdVersion(compile: (schema: Schema) => ValidateFunction, schema: Schema, scope: CrdVersion['scope'], source: string): CrdVersion {
  let validate: ValidateFunction | undefined;
  return {
    scope,
    source,
    problems(object: unknown): string[] {
      validate ??= compile(schema);
      if (validate(object)) return [];
      return (validate.errors ?? []).map((e) => {
        const field = e.keyword === 'additionalProperties' ? ` '${e.params.additionalProperty}'` : '';
        return `${e.instancePath || '/'} ${e.message}${field}`;
      });
    },
  };
}
