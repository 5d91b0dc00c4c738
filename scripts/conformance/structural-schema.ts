/**
 * Turns a Kubernetes structural schema (a CRD version's openAPIV3Schema) into a JSON Schema that a
 * JSON Schema validator enforces the way the API server does:
 *
 * - strict: an object schema with `properties` rejects every other field, unless it says
 *   `additionalProperties` or `x-kubernetes-preserve-unknown-fields` (what `kubectl apply`, which
 *   validates strictly by default, rejects as an unknown field);
 * - `x-kubernetes-int-or-string` accepts an integer or a string; `nullable` accepts null;
 * - `x-kubernetes-embedded-resource` objects may carry apiVersion, kind and metadata;
 * - annotations (`description`, `default`, `example`, `format`, other `x-` keys) are dropped: formats
 *   are checked loosely by the API server too, and CEL rules (`x-kubernetes-validations`) need a cluster.
 */
export type Schema = { [key: string]: any };

const SUBSCHEMA = new Set(['items', 'additionalProperties', 'not']);
const SUBSCHEMA_LISTS = new Set(['anyOf', 'allOf', 'oneOf']);
const ANNOTATIONS = new Set(['description', 'default', 'example', 'format']);

export function toJsonSchema(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' || key === 'patternProperties') {
      out[key] = Object.fromEntries(Object.entries(value as Schema).map(([name, sub]) => [name, toJsonSchema(sub)]));
    } else if (SUBSCHEMA.has(key) && typeof value === 'object' && value !== null) {
      out[key] = toJsonSchema(value);
    } else if (SUBSCHEMA_LISTS.has(key)) {
      out[key] = (value as Schema[]).map(toJsonSchema);
    } else if (!ANNOTATIONS.has(key) && !key.startsWith('x-')) {
      out[key] = value;
    }
  }
  if (schema['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (schema.nullable && out.type) out.type = [out.type].flat().concat('null');
  delete out.nullable;
  if (schema['x-kubernetes-embedded-resource']) {
    out.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...out.properties };
  }
  const isObject = [out.type].flat().includes('object');
  if (isObject && out.properties && out.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * The JSON Schema of one served CRD version for a whole object: its openAPIV3Schema without `status`
 * (the controller writes it), with apiVersion, kind and metadata (checked on their own).
 */
export function objectSchema(openAPIV3Schema: Schema): Schema {
  const root = structuredClone(openAPIV3Schema);
  root.properties = { ...root.properties };
  delete root.properties.status;
  Object.assign(root.properties, { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } });
  return toJsonSchema(root);
}
