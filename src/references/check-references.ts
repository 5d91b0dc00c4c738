import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { apiGroupOf } from './build-topology';
import { reachInWords } from './describe-topology';
import { inClusterAddresses } from './in-cluster-address';
import { ObjectAvailability, ServiceReach, TopologyObject } from './topology';
import { perPass, trackSynthesisPasses } from '../synth/synthesis-pass';

/** A call a declaration makes to an in-cluster address: a test's or load's command, a webhook's URL. */
export interface DeclaredCall {
  /** The property it was declared in, e.g. `analysis.webhooks[0]`. */
  readonly property: string;
  /** What it is, in words, e.g. `acceptance test 'acceptance-test'`. */
  readonly description: string;
  /** The command or URL. */
  readonly text: string;
  /** Whether it must reach the new version (an acceptance test tests the new pods). */
  readonly testsNewVersion: boolean;
}

/** What the reference checks need of one CanaryService. */
export interface ServiceReferences {
  /** The CanaryService, whose chart's objects count as declared. */
  readonly scope: IConstruct;
  /** `CanaryService '<name>'`. */
  readonly owner: string;
  readonly name: string;
  readonly namespace: string;
  /** Engine and strategy in words, e.g. `Argo Rollouts blue/green`. */
  readonly release: string;
  /** Its Services and routes. */
  readonly topology: TopologyObject[];
  /** The calls its declaration makes. */
  readonly calls: DeclaredCall[];
  /**
   * The live Service its safety net keeps.
   *
   * @default - no safety net
   */
  readonly liveService?: string;
  /**
   * Services of its namespace its calls may use that the app does not declare.
   *
   * @default - none
   */
  readonly externalServices?: string[];
}

/** Suffixes of the Services the controllers and this library derive from a service's name. */
const DERIVED_SUFFIXES = ['primary', 'canary', 'stable', 'preview', 'safety-net'];

interface IndexEntry {
  readonly key: string;
  /** In words, for messages: `the canary Service Flagger creates for CanaryService 'podinfo'`. */
  readonly description: string;
  readonly service?: ServiceReferences;
  readonly topology?: TopologyObject;
}

interface AppIndex {
  readonly objects: Map<string, IndexEntry[]>;
  /** Namespaces that objects of the app live in: a two-label host `<a>.<b>` is in-cluster when `<b>` is one. */
  readonly namespaces: Set<string>;
  readonly services: ServiceReferences[];
}

interface Registry {
  readonly services: ServiceReferences[];
  cached?: { readonly key: string; readonly index: AppIndex };
}

const registries = new WeakMap<IConstruct, Registry>();

/**
 * Registers a service for the reference checks and returns the validation that reports its
 * problems: names it would share with what a controller generates, and calls to Services that do
 * not exist for the engine and strategy in use (or do not reach the version the call must test).
 */
export function registerReferences(service: ServiceReferences): () => string[] {
  const root = service.scope.node.root;
  let registry = registries.get(root);
  if (registry === undefined) {
    registry = { services: [] };
    registries.set(root, registry);
    trackSynthesisPasses(root);
  }
  registry.services.push(service);
  const known = registry;
  return () => {
    const index = perPass(root, service, INDEX_KEY, () => cachedIndex(root, known));
    return [...reservedNameProblems(service, index), ...liveServiceProblems(service, index), ...callProblems(service, index)];
  };
}

function objectKey(apiGroup: string, kind: string, namespace: string, name: string): string {
  return `${apiGroup}|${kind}|${namespace}|${name}`;
}

const INDEX_KEY = 'references/index';

/**
 * The index of the app's objects, looked up once per synthesis pass (synth/synthesis-pass.ts) and
 * shared by the services' validations: even the key below costs the app's charts, so computed
 * per service it would cost them once per service. cdk8s validates the whole app once per chart it
 * writes, so the index is kept while the app has the same services and charts.
 */
function cachedIndex(root: IConstruct, registry: Registry): AppIndex {
  const key = `${registry.services.length}/${root.node.children.length}`;
  if (registry.cached?.key !== key) registry.cached = { key, index: indexOf(root, registry) };
  return registry.cached.index;
}

/** The index of the app's objects. */
function indexOf(root: IConstruct, registry: Registry): AppIndex {
  const objects = new Map<string, IndexEntry[]>();
  const namespaces = new Set<string>();
  const add = (entry: IndexEntry) => {
    const list = objects.get(entry.key);
    if (list) list.push(entry); else objects.set(entry.key, [entry]);
  };
  // The declared objects: those of every chart of the app (a Service of another chart may still take
  // a name a controller generates in the same namespace), the charts that hold a service included.
  const charts = new Set<IConstruct>(root.node.children.filter((c) => Chart.isChart(c)));
  for (const service of registry.services) if (!hasChartAncestor(Chart.of(service.scope), charts)) charts.add(Chart.of(service.scope));
  const inTopology = new Set<string>();
  for (const service of registry.services) {
    namespaces.add(service.namespace);
    for (const object of service.topology) {
      const k = objectKey(object.apiGroup, object.kind, object.namespace, object.name);
      if (object.availability === ObjectAvailability.APPLIED) inTopology.add(k);
      add({ key: k, description: `the ${object.role} ${object.createdBy === 'cdk8s-canary' ? 'synthesized' : `${object.createdBy} creates`} for ${service.owner}`, service, topology: object });
    }
  }
  for (const chart of charts) {
    for (const construct of chart.node.findAll()) {
      if (!ApiObject.isApiObject(construct)) continue;
      const namespace = construct.metadata.namespace ?? '';
      if (namespace) namespaces.add(namespace);
      const k = objectKey(apiGroupOf(construct), construct.kind, namespace, construct.name);
      if (inTopology.has(k)) continue;
      add({ key: k, description: `the ${construct.kind} '${construct.name}' declared at '${construct.node.path}'` });
    }
  }
  return { objects, namespaces, services: [...registry.services] };
}

/** Whether `chart` is one of `charts` or inside one (its objects are then found already). */
function hasChartAncestor(chart: IConstruct, charts: Set<IConstruct>): boolean {
  return chart.node.scopes.some((scope) => charts.has(scope));
}

/**
 * What the controller creates must not be anything else: a controller takes a pre-existing object
 * of that name over (Flagger rewrites a Service's selector), or two services' objects collide.
 */
function reservedNameProblems(service: ServiceReferences, index: AppIndex): string[] {
  const problems: string[] = [];
  for (const object of service.topology) {
    if (object.availability !== ObjectAvailability.CONTROLLER_INITIALIZED) continue;
    const entries = index.objects.get(objectKey(object.apiGroup, object.kind, object.namespace, object.name)) ?? [];
    const mine = entries.findIndex((e) => e.service === service && e.topology === object);
    // Each pair once: against what is declared, and against what a controller creates for a service registered earlier.
    const others = entries.filter((e, i) => e.service !== service
      && (e.topology?.availability !== ObjectAvailability.CONTROLLER_INITIALIZED || i < mine));
    for (const other of others) {
      problems.push(`${service.owner}: the ${object.role} ${object.createdBy} creates, ${object.kind} '${object.namespace}/${object.name}', `
        + `is also ${other.description}: the controller would take it over, or the two would replace each other. `
        + `Names derived from '${service.name}' (${derivedNames(service.name)}) are the controller's: give one of them another name`);
    }
  }
  return problems;
}

/** The names the controllers and this library derive from a service's name, e.g. `'podinfo', 'podinfo-primary', ...`. */
export function derivedNames(name: string): string {
  return [name, ...DERIVED_SUFFIXES.map((suffix) => `${name}-${suffix}`)].map((n) => `'${n}'`).join(', ');
}

/** The live Service behind a safety net is left untouched: no controller and no synthesized object may have its name. */
function liveServiceProblems(service: ServiceReferences, index: AppIndex): string[] {
  if (service.liveService === undefined) return [];
  const entries = index.objects.get(objectKey('', 'Service', service.namespace, service.liveService)) ?? [];
  const taken = entries.find((e) => e.topology !== undefined);
  if (taken === undefined) return [];
  return [`${service.owner}: 'safetyNet.liveService' ('${service.liveService}') is ${taken.description}: `
    + `the live Service would not stay untouched${taken.topology!.createdBy !== 'cdk8s-canary' ? ' (the controller takes a Service of that name over and rewrites its selector)' : ''}; `
    + `give the name of the Service that serves the hosts today, which must not be one of ${derivedNames(service.name)}`];
}

/** Every in-cluster address a call names resolves for the engine and strategy in use, and a test reaches the new version. */
function callProblems(service: ServiceReferences, index: AppIndex): string[] {
  const problems: string[] = [];
  for (const call of service.calls) {
    for (const address of inClusterAddresses(call.text, service.namespace)) {
      if (address.namespaced && !address.qualified && !index.namespaces.has(address.namespace)) continue;
      const entries = index.objects.get(objectKey('', 'Service', address.namespace, address.name)) ?? [];
      const what = `${service.owner}: '${call.property}' (${call.description}) calls '${address.host}'`;
      const found = entries[0];
      if (found !== undefined) {
        const reach = found.topology?.reaches;
        if (call.testsNewVersion && found.service === service && reach !== undefined && reach !== ServiceReach.NEW_VERSION) {
          problems.push(`${what}, the ${found.topology!.role}, which reaches ${reachInWords(reach)} while the release is analysed: `
            + `a test of the new pods never sees them. ${newVersionHint(service, address.qualified)}`);
        }
        continue;
      }
      const owner = familyOf(address.name, address.namespace, index.services);
      if (owner === undefined) {
        const unknown = unknownServiceProblem(service, index, address.name, address.namespace);
        if (unknown) problems.push(`${what}, ${unknown}`);
        continue;
      }
      problems.push(`${what}, a Service that does not exist with ${owner.release}`
        + `${owner === service ? '' : ` (${owner.owner})`}: its Services are ${servicesOf(owner)}. `
        + (owner === service && call.testsNewVersion ? newVersionHint(service, address.qualified) : 'Call one of those.'));
    }
  }
  return problems;
}

/** The service of the app whose derived names `name` has the form of. */
function familyOf(name: string, namespace: string, services: ServiceReferences[]): ServiceReferences | undefined {
  return services
    .filter((s) => s.namespace === namespace && (name === s.name || DERIVED_SUFFIXES.some((suffix) => name === `${s.name}-${suffix}`)))
    .sort((a, b) => b.name.length - a.name.length)[0];
}

function servicesOf(service: ServiceReferences): string {
  return service.topology.filter((o) => o.kind === 'Service')
    .map((o) => `'${o.name}' (${o.role}${o.reaches ? `: ${reachInWords(o.reaches)}` : ''})`).join(', ');
}

function newVersionHint(service: ServiceReferences, qualified: boolean): string {
  const target = service.topology.find((o) => o.kind === 'Service' && o.reaches === ServiceReach.NEW_VERSION);
  if (target === undefined) return 'No Service reaches the new version alone here.';
  const host = qualified ? `${target.name}.${service.namespace}.svc.cluster.local` : `${target.name}.${service.namespace}`;
  return `With ${service.release} the new version is reached at '${host}' (the ${target.role}${target.createdBy === 'cdk8s-canary' ? '' : `, which ${target.createdBy} creates`}).`;
}

/**
 * A call to a Service of a namespace the app's services live in that nothing declares or creates:
 * a misspelled name (`podinfo-canry`) or a Service managed elsewhere, which must be listed.
 */
function unknownServiceProblem(service: ServiceReferences, index: AppIndex, name: string, namespace: string): string | undefined {
  if (!index.services.some((s) => s.namespace === namespace)) return undefined;
  if (namespace === service.namespace && (service.externalServices ?? []).includes(name)) return undefined;
  const known = [...index.objects.keys()]
    .map((key) => key.split('|'))
    .filter(([group, kind, ns]) => group === '' && kind === 'Service' && ns === namespace)
    .map(([, , , n]) => `'${n}'`)
    .sort();
  const escape = namespace === service.namespace
    ? `or list '${name}' in 'analysis.externalServices' if it is managed outside the app`
    : `or call a Service of this service's own namespace ('${service.namespace}')`;
  return `but no Service '${name}' is declared in the app or created by a controller in namespace '${namespace}' `
    + `(the Services there: ${[...new Set(known)].join(', ') || 'none'}): correct the name, ${escape}`;
}
