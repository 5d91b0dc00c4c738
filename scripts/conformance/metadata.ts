/**
 * The API server's syntax rules for object metadata (apimachinery's validation): names, namespace,
 * label and annotation keys, label values.
 */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Built-in kinds (and the CRD kinds the checker knows) that have no namespace. */
export const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass',
  'StorageClass', 'IngressClass', 'GatewayClass', 'ClusterAnalysisTemplate', 'PersistentVolume', 'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration']);

/** A label or annotation key: an optional DNS-1123 subdomain prefix and '/', then a name of at most 63 characters. */
function checkKey(key: string, what: string, problems: string[]): void {
  const parts = key.split('/');
  if (parts.length > 2) {
    problems.push(`${what} key '${key}' has more than one '/'`);
    return;
  }
  const name = parts.pop()!;
  if (parts.length > 0 && (parts[0].length > 253 || !DNS1123_SUBDOMAIN.test(parts[0]))) problems.push(`${what} key '${key}' has an invalid prefix`);
  if (!name || name.length > 63 || !QUALIFIED_NAME.test(name)) problems.push(`${what} key '${key}' is not a valid qualified name`);
}

/** What is wrong with the metadata of `object`; empty when nothing is. */
export function metadataProblems(object: any): string[] {
  const problems: string[] = [];
  const metadata = object.metadata ?? {};
  const name = metadata.name;
  if (!name && !metadata.generateName) problems.push('metadata.name is missing');
  if (name != null) {
    if (typeof name !== 'string' || name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) problems.push(`metadata.name '${name}' is not a DNS-1123 subdomain`);
    if (object.kind === 'Service' && (name.length > 63 || !DNS1035_LABEL.test(name))) {
      problems.push(`Service name '${name}' is not a DNS-1035 label (max 63, starts with a letter)`);
    }
    if (object.kind === 'Namespace' && (name.length > 63 || !DNS1123_LABEL.test(name))) problems.push(`Namespace name '${name}' is not a DNS-1123 label`);
  }
  const namespace = metadata.namespace;
  if (namespace != null && (typeof namespace !== 'string' || namespace.length > 63 || !DNS1123_LABEL.test(namespace))) {
    problems.push(`metadata.namespace '${namespace}' is not a DNS-1123 label`);
  }
  for (const [key, value] of Object.entries(metadata.labels ?? {})) {
    checkKey(key, 'label', problems);
    if (typeof value !== 'string') problems.push(`label '${key}' value is not a string`);
    else if (value.length > 63 || (value !== '' && !QUALIFIED_NAME.test(value))) problems.push(`label '${key}' value '${value}' is not a valid label value`);
  }
  for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
    checkKey(key, 'annotation', problems);
    if (typeof value !== 'string') problems.push(`annotation '${key}' value is not a string`);
  }
  return problems;
}
