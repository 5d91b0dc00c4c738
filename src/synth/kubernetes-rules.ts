/**
 * The API server's rules for the names and metadata of objects (k8s.io/apimachinery
 * pkg/util/validation and pkg/api/validation, Kubernetes 1.30+). Each function returns what is
 * wrong with a value, in words that follow "must be" / "is", or undefined when it is valid.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;

export const RULES = {
  dns1123Label: 'a DNS-1123 label: at most 63 characters, lower-case letters, digits and \'-\', starting and ending with a letter or digit',
  dns1123Subdomain: 'a DNS-1123 subdomain: at most 253 characters, lower-case letters, digits, \'-\' and \'.\', each part starting and ending with a letter or digit',
  dns1035Label: 'a DNS-1035 label: at most 63 characters, lower-case letters, digits and \'-\', starting with a letter and ending with a letter or digit',
  qualifiedName: "a qualified name '[prefix/]name': the prefix a DNS-1123 subdomain of at most 253 characters, the name at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
  labelValue: "a label value: at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit (or empty)",
  portName: "a port name (IANA_SVC_NAME): at most 15 characters of lower-case letters, digits and '-', with at least one letter, no '--', not starting or ending with '-'",
  port: 'a port number between 1 and 65535',
  pathSegment: "a name that is not '.' or '..' and contains no '/' or '%'",
  configMapKey: "a ConfigMap key: at most 253 characters of letters, digits, '-', '_' and '.', not '.' or '..' and not starting with '..'",
};

function tooLong(value: string, max: number): boolean {
  return value.length > max;
}

export function dns1123Label(value: string): string | undefined {
  return DNS1123_LABEL.test(value) && !tooLong(value, 63) ? undefined : RULES.dns1123Label;
}

export function dns1123Subdomain(value: string): string | undefined {
  return DNS1123_SUBDOMAIN.test(value) && !tooLong(value, 253) ? undefined : RULES.dns1123Subdomain;
}

export function dns1035Label(value: string): string | undefined {
  return DNS1035_LABEL.test(value) && !tooLong(value, 63) ? undefined : RULES.dns1035Label;
}

/** A label or annotation key (IsQualifiedName): `[prefix/]name`. */
export function qualifiedName(value: string): string | undefined {
  const parts = value.split('/');
  if (parts.length > 2) return RULES.qualifiedName;
  const name = parts[parts.length - 1];
  if (parts.length === 2 && (parts[0] === '' || dns1123Subdomain(parts[0]) !== undefined)) return RULES.qualifiedName;
  return QUALIFIED_NAME.test(name) && !tooLong(name, 63) ? undefined : RULES.qualifiedName;
}

export function labelValue(value: string): string | undefined {
  return LABEL_VALUE.test(value) && !tooLong(value, 63) ? undefined : RULES.labelValue;
}

/** A container port name, or a Service's named target port (IsValidPortName). */
export function portName(value: string): string | undefined {
  const valid = /^[-a-z0-9]+$/.test(value) && /[a-z]/.test(value) && !value.includes('--')
    && !value.startsWith('-') && !value.endsWith('-') && !tooLong(value, 15);
  return valid ? undefined : RULES.portName;
}

export function portNumber(value: number): string | undefined {
  return Number.isInteger(value) && value >= 1 && value <= 65535 ? undefined : RULES.port;
}

/** The names of RBAC objects (ValidateRBACName: a path segment). */
export function pathSegment(value: string): string | undefined {
  return value !== '' && value !== '.' && value !== '..' && !/[/%]/.test(value) ? undefined : RULES.pathSegment;
}

export function configMapKey(value: string): string | undefined {
  return CONFIG_MAP_KEY.test(value) && !tooLong(value, 253) && value !== '.' && value !== '..' && !value.startsWith('..')
    ? undefined : RULES.configMapKey;
}

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/** The rule for the name of an object of `kind`: Services DNS-1035 labels, Namespaces DNS-1123 labels, RBAC path segments, the others (custom resources too) DNS-1123 subdomains. */
export function objectName(kind: string, value: string): string | undefined {
  if (kind === 'Service') return dns1035Label(value);
  if (kind === 'Namespace') return dns1123Label(value);
  if (RBAC_KINDS.has(kind)) return pathSegment(value);
  return dns1123Subdomain(value);
}

/** The API server's limit on the size of all annotations of an object (TotalAnnotationSizeLimitB). */
export const ANNOTATIONS_SIZE_LIMIT = 256 * 1024;
