import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import * as rules from './kubernetes-rules';
import { perPass, trackSynthesisPasses } from './synthesis-pass';
import { DeclarationError } from '../validation';

/**
 * Where a value the library writes came from, so that a message about an invalid manifest field
 * can name the property to change: `{ property: "'version'", value: 'v1.0 beta' }`.
 */
export interface ValueOrigin {
  /** The property, as the message shows it, e.g. `'version'` or `'analysis.alerts[0].name'`. */
  readonly property: string;
  readonly value: string;
}

/** One field of a rendered manifest that the API server would reject. */
export interface Violation {
  /** Path of the field in the manifest, e.g. `metadata.labels[app.kubernetes.io/version]`. */
  readonly field: string;
  /** What is wrong with it: a key or a value. */
  readonly what: 'key' | 'value';
  readonly value: string | number;
  /** What is allowed. */
  readonly rule: string;
}

interface Emitter {
  /** The origins of the values this emitter writes (a CanaryService's props). */
  readonly origins: () => ValueOrigin[];
  /** Whether its declaration failed: its objects are then not judged (its own messages say why). */
  readonly failed: () => boolean;
  result?: { readonly key: string; readonly problems: string[] };
}

const emitters = new WeakMap<IConstruct, Emitter>();
const APP_SHAPE_KEY = 'object-validity/app-shape';
/** How many emitters were registered: a new one (another service) may change what the others render. */
let registrations = 0;

/**
 * Makes synthesis fail when an object emitted under `scope` (a CanaryService, the Chart of a
 * namespace's shared add-ons, or any other construct of the library a user creates) has a name, namespace, label, annotation, selector, container name
 * or port the API server rejects. The objects are judged as they render (`ApiObject.toJson()`),
 * so every value counts, whichever code wrote it; each message names the object, its construct
 * path, the field, the value, what is allowed, and the property the value came from when known.
 */
export function checkEmittedObjects(scope: IConstruct, origins: () => ValueOrigin[] = () => [], failed: () => boolean = () => false): void {
  if (emitters.has(scope)) return;
  const emitter: Emitter = { origins, failed };
  emitters.set(scope, emitter);
  registrations++;
  trackSynthesisPasses(scope);
  scope.node.addValidation({ validate: () => emittedObjectProblems(scope) });
}

/** The problems `checkEmittedObjects` reports for `scope` (none when it was not registered). */
export function emittedObjectProblems(scope: IConstruct): string[] {
  const emitter = emitters.get(scope);
  if (emitter === undefined || emitter.failed()) return [];
  // A construct of the library inside another one (a CanaryService's FlaggerCanary) is judged with it, once.
  if (scope.node.scopes.slice(0, -1).some((ancestor) => emitters.has(ancestor))) return [];
  // cdk8s validates the whole app once per chart it renders (App.synth() with a Chart per service:
  // once per service), so the result is kept while the app has the same emitters and charts.
  // Even that key costs the app's charts, so it is computed once per synthesis pass
  // (synthesis-pass.ts), not once per emitter: per emitter it would make the work quadratic.
  const root = scope.node.root;
  const key = perPass(root, emitter, APP_SHAPE_KEY, () => `${registrations}/${root.node.children.length}`);
  if (emitter.result?.key === key) return emitter.result.problems;
  const objects = scope.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
  const problems = describe(objects, emitter.origins());
  emitter.result = { key, problems };
  return problems;
}

function describe(objects: ApiObject[], origins: ValueOrigin[]): string[] {
  // One message per bad value of a field, however many objects carry it (the labels of a service
  // are on all of its objects).
  const grouped = new Map<string, { violation: Violation; objects: string[] }>();
  const problems: string[] = [];
  for (const object of objects) {
    let manifest: any;
    try {
      manifest = object.toJson();
    } catch (error) {
      // A value that cannot render is reported where it is declared (or by synth itself).
      if (error instanceof DeclarationError) problems.push(...error.messages);
      continue;
    }
    const namespace = manifest?.metadata?.namespace;
    const where = `${manifest?.kind ?? object.kind} '${namespace ? `${namespace}/` : ''}${manifest?.metadata?.name ?? object.name}' (${object.node.path})`;
    for (const violation of manifestViolations(manifest)) {
      const key = `${violation.field}|${violation.what}|${violation.value}`;
      const group = grouped.get(key);
      if (group) group.objects.push(where);
      else grouped.set(key, { violation, objects: [where] });
    }
  }
  for (const { violation, objects: where } of grouped.values()) {
    const more = where.length > 1 ? ` and ${where.length - 1} more object${where.length > 2 ? 's' : ''}` : '';
    const value = typeof violation.value === 'string' ? `'${violation.value}'` : String(violation.value);
    const field = violation.what === 'key' ? `'${violation.field}' key (${value})` : `'${violation.field}' (${value})`;
    problems.push(`${where[0]}${more}: ${field} must be ${violation.rule}${originOf(violation, origins)}`);
  }
  return problems;
}

/** The property the value came from: the one whose value it is, or else the longest one it contains. */
function originOf(violation: Violation, origins: ValueOrigin[]): string {
  const value = String(violation.value);
  const exact = origins.find((o) => o.value === value);
  if (exact) return `; it comes from ${exact.property}`;
  const contained = origins.filter((o) => o.value.length >= 2 && value.includes(o.value)).sort((a, b) => b.value.length - a.value.length)[0];
  return contained ? `; it is built from ${contained.property} ('${contained.value}')` : '';
}

/** The fields of a rendered manifest that the API server would reject. */
export function manifestViolations(manifest: any): Violation[] {
  const found: Violation[] = [];
  const add = (field: string, what: 'key' | 'value', value: string | number, rule: string | undefined) => {
    if (rule !== undefined) found.push({ field, what, value, rule });
  };
  const kind: string = manifest?.kind ?? '';
  const metadata = manifest?.metadata ?? {};
  if (typeof metadata.name === 'string') add('metadata.name', 'value', metadata.name, rules.objectName(kind, metadata.name));
  if (typeof metadata.namespace === 'string') add('metadata.namespace', 'value', metadata.namespace, rules.dns1123Label(metadata.namespace));
  checkMetadata('metadata', metadata, add);
  if (kind === 'Service') checkService(manifest.spec ?? {}, add);
  if ((kind === 'ConfigMap' || kind === 'Secret') && manifest.apiVersion === 'v1') {
    for (const field of ['data', 'binaryData', 'stringData']) {
      for (const key of Object.keys(manifest[field] ?? {})) add(field, 'key', key, rules.configMapKey(key));
    }
  }
  walk(manifest, '', add);
  return found;
}

type Add = (field: string, what: 'key' | 'value', value: string | number, rule: string | undefined) => void;

function checkMetadata(path: string, metadata: any, add: Add): void {
  checkLabels(`${path}.labels`, metadata?.labels, add);
  const annotations = metadata?.annotations ?? {};
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    add(`${path}.annotations`, 'key', key, rules.qualifiedName(key.toLowerCase()));
    size += key.length + String(value).length;
  }
  if (size > rules.ANNOTATIONS_SIZE_LIMIT) {
    add(`${path}.annotations`, 'value', `${size} bytes`, `at most ${rules.ANNOTATIONS_SIZE_LIMIT} bytes in all`);
  }
}

function checkLabels(path: string, labels: any, add: Add): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    add(path, 'key', key, rules.qualifiedName(key));
    add(`${path}[${key}]`, 'value', String(value), rules.labelValue(String(value)));
  }
}

function checkService(spec: any, add: Add): void {
  checkLabels('spec.selector', spec.selector, add);
  (spec.ports ?? []).forEach((port: any, i: number) => {
    const path = `spec.ports[${i}]`;
    if (port.name !== undefined) add(`${path}.name`, 'value', port.name, rules.dns1123Label(String(port.name)));
    add(`${path}.port`, 'value', port.port, rules.portNumber(port.port));
    checkPortReference(`${path}.targetPort`, port.targetPort, add);
  });
}

function checkPortReference(path: string, port: unknown, add: Add): void {
  if (typeof port === 'number') add(path, 'value', port, rules.portNumber(port));
  else if (typeof port === 'string') add(path, 'value', port, /^\d+$/.test(port) ? rules.portNumber(Number(port)) : rules.portName(port));
}

/**
 * Selectors, pod templates (of workloads, and of the Jobs Argo Rollouts runs from an
 * AnalysisTemplate) and pod specs, wherever they are in the manifest.
 */
function walk(node: any, path: string, add: Add): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, `${path}[${i}]`, add));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const at = (key: string) => (path ? `${path}.${key}` : key);
  if (path !== '' && node.metadata && typeof node.metadata === 'object'
    && (Array.isArray(node.spec?.containers) || node.spec?.template?.spec?.containers)) {
    checkMetadata(at('metadata'), node.metadata, add);
  }
  if (Array.isArray(node.containers)) checkPodSpec(path, node, add);
  for (const [key, value] of Object.entries(node)) {
    if (key === 'matchLabels') checkLabels(at(key), value, add);
    else if (key !== 'metadata' || path !== '') walk(value, at(key), add);
  }
}

function checkPodSpec(path: string, spec: any, add: Add): void {
  for (const list of ['initContainers', 'containers']) {
    (spec[list] ?? []).forEach((container: any, i: number) => {
      const at = `${path}.${list}[${i}]`;
      add(`${at}.name`, 'value', String(container.name), rules.dns1123Label(String(container.name)));
      (container.ports ?? []).forEach((port: any, j: number) => {
        if (port.name !== undefined) add(`${at}.ports[${j}].name`, 'value', String(port.name), rules.portName(String(port.name)));
        add(`${at}.ports[${j}].containerPort`, 'value', port.containerPort, rules.portNumber(port.containerPort));
      });
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        for (const handler of ['httpGet', 'tcpSocket', 'grpc']) {
          const port = container[probe]?.[handler]?.port;
          if (port !== undefined) checkPortReference(`${at}.${probe}.${handler}.port`, handler === 'grpc' ? Number(port) : port, add);
        }
      }
    });
  }
  (spec.volumes ?? []).forEach((volume: any, i: number) => {
    add(`${path}.volumes[${i}].name`, 'value', String(volume.name), rules.dns1123Label(String(volume.name)));
  });
}
