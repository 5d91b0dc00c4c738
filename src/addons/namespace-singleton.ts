import { Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { KEEP_ON_RETIREMENT_ANNOTATIONS } from '../platform/conventions';
import { checkEmittedObjects } from '../synth/object-validity';
import { checkDnsLabel, fail } from '../validation';

/** The longest app name: `flagger-loadtester-<appName>` is a Service name, a DNS label of at most 63 characters. */
export const MAX_APP_NAME_LENGTH = 44;

/** What `SharedAddons.configure` set for an app. */
export interface Sharing {
  readonly appName?: string;
  readonly platformRbacScope?: IConstruct;
  readonly argoNotificationNamespaces?: string[];
}

// One registry per app (keyed by the construct tree's root), so that lookups stay O(1) however
// many services an app holds, instead of walking the tree for every CanaryService.
const registries = new WeakMap<IConstruct, Map<string, IConstruct>>();
const sharing = new WeakMap<IConstruct, Sharing>();

function registryOf(scope: IConstruct): Map<string, IConstruct> {
  const root = scope.node.root;
  let registry = registries.get(root);
  if (!registry) {
    registry = new Map();
    registries.set(root, registry);
  }
  return registry;
}

/** Records `SharedAddons.configure` for the app of `scope`; before any shared add-on exists, since their names depend on it. */
export function configureSharing(scope: IConstruct, options: Sharing): void {
  const owner = 'SharedAddons.configure()';
  if (options.appName !== undefined) {
    checkDnsLabel(owner, 'appName', options.appName, MAX_APP_NAME_LENGTH, " (it names the app's Prometheus and loadtester: flagger-loadtester-<appName> must be a DNS label)");
  }
  const owned = options.argoNotificationNamespaces ?? [];
  owned.forEach((namespace, i) => checkDnsLabel(owner, `argoNotificationNamespaces[${i}]`, namespace));
  if (owned.length > 0 && options.appName === undefined) {
    fail(owner, "'argoNotificationNamespaces' is for a named app ('appName'): an app without a name is the only app of its namespaces "
      + "and writes their Argo Rollouts notification configuration already; set 'appName' or leave it out");
  }
  const created = [...registryOf(scope).values()];
  if (created.length > 0) {
    fail(owner, `is called after the app created shared add-ons (${created.map((c) => `'${c.node.path}'`).join(', ')}), whose names depend on it: call it before declaring the first CanaryService`);
  }
  sharing.set(scope.node.root, { ...options });
}

/** The app's `SharedAddons` settings. */
export function sharingOf(scope: IConstruct): Sharing {
  return sharing.get(scope.node.root) ?? {};
}

/**
 * Whether the app of `scope` may write the Argo Rollouts notification configuration of `namespace`:
 * an unnamed app (one app per namespace) always, a named one where it declared it owns it.
 */
export function ownsArgoNotifications(scope: IConstruct, namespace: string): boolean {
  const { appName, argoNotificationNamespaces } = sharingOf(scope);
  return appName === undefined || (argoNotificationNamespaces ?? []).includes(namespace);
}

/** The name of a shared add-on of the app of `scope`: `base`, or `<base>-<appName>` when the app has a name. */
export function ownedName(scope: IConstruct, base: string): string {
  const appName = sharingOf(scope).appName;
  return appName === undefined ? base : `${base}-${appName}`;
}

/**
 * The annotations of an object that every app of a namespace may apply (the release record, a
 * created Gateway): in a named app (several apps per namespace), the ones that keep it when one app
 * is retired; none otherwise (one app per namespace: retiring it should remove it).
 */
export function sharedObjectAnnotations(scope: IConstruct): { [key: string]: string } | undefined {
  return sharingOf(scope).appName === undefined ? undefined : { ...KEEP_ON_RETIREMENT_ANNOTATIONS };
}

/** Prefix of the ids of the Charts that hold what the services of a namespace share. */
export const SHARED_CHART_PREFIX = 'canary-shared-';

/** Id (and so file name) of the Chart that holds what the app's services of a namespace share. */
export function sharedChartId(namespace: string, appName?: string): string {
  return `${SHARED_CHART_PREFIX}${namespace}${appName === undefined ? '' : `-${appName}`}`;
}

/**
 * The Chart of a namespace's shared add-ons, directly under the app. It is a file of its own, so
 * that deleting the file of one service (one Chart per service is the usual GitOps layout) never
 * prunes the loadtester or Prometheus the other services of the namespace still use; with an app
 * name it is the app's own (`canary-shared-<namespace>-<appName>`), so that another app's file
 * never holds the same objects.
 */
export function sharedChart(scope: IConstruct, namespace: string): Chart {
  const root = scope.node.root;
  const id = sharedChartId(namespace, sharingOf(scope).appName);
  const existing = root.node.tryFindChild(id);
  if (existing !== undefined) {
    if (!Chart.isChart(existing)) {
      throw new Error(`cdk8s-canary: the app already has a construct named '${id}' that is not a Chart; that id is reserved for the add-ons shared by the services of namespace '${namespace}'`);
    }
    return existing;
  }
  const chart = new Chart(root as Construct, id, { namespace });
  checkEmittedObjects(chart);
  return chart;
}

/**
 * Id (and so file name) of the Chart that holds the RBAC a team's services need in namespaces the
 * platform owns (an embedded Prometheus listing the router's pods in `traefik`): the platform team
 * applies that file, never the team's own GitOps, which has no business in those namespaces.
 */
export const PLATFORM_RBAC_CHART_ID = 'canary-platform-rbac';

/** The platform RBAC Chart's id for the app of `scope`: `canary-platform-rbac[-<appName>]`. */
export function platformRbacChartId(scope: IConstruct): string {
  return ownedName(scope, PLATFORM_RBAC_CHART_ID);
}

/**
 * The Chart of the RBAC the platform team applies, directly under the app of the configured
 * `platformRbacScope` (usually another App, with an outdir of its own), or undefined when none is
 * configured: then nothing is synthesized, and the plan says what to grant.
 */
export function platformRbacChart(scope: IConstruct): Chart | undefined {
  const target = sharingOf(scope).platformRbacScope;
  if (target === undefined) return undefined;
  const root = target.node.root;
  const id = platformRbacChartId(scope);
  const existing = root.node.tryFindChild(id);
  if (existing !== undefined) {
    if (!Chart.isChart(existing)) {
      throw new Error(`cdk8s-canary: the app already has a construct named '${id}' that is not a Chart; that id is reserved for the RBAC the platform team applies`);
    }
    return existing;
  }
  return new Chart(root as Construct, id);
}

/**
 * Finds the add-on of this kind for this namespace in the app, or creates it in the namespace's
 * shared Chart. Ten services in one namespace therefore share one loadtester and one Prometheus.
 */
export function namespaceSingleton<T extends IConstruct>(
  scope: Construct,
  kind: string,
  namespace: string,
  create: (chart: Chart, id: string) => T,
): T {
  const registry = registryOf(scope);
  const key = `${kind}/${namespace}`;
  const existing = registry.get(key);
  if (existing) {
    return existing as T;
  }
  const created = create(sharedChart(scope, namespace), `${kind}-${namespace}`);
  registry.set(key, created);
  return created;
}
