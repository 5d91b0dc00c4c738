import { Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { checkEmittedObjects } from '../synth/object-validity';

// One registry per app (keyed by the construct tree's root), so that lookups stay O(1) however
// many services an app holds, instead of walking the tree for every CanaryService.
const registries = new WeakMap<IConstruct, Map<string, IConstruct>>();

function registryOf(scope: IConstruct): Map<string, IConstruct> {
  const root = scope.node.root;
  let registry = registries.get(root);
  if (!registry) {
    registry = new Map();
    registries.set(root, registry);
  }
  return registry;
}

/** Prefix of the ids of the Charts that hold what the services of a namespace share. */
export const SHARED_CHART_PREFIX = 'canary-shared-';

/** Id (and so file name) of the Chart that holds what the services of a namespace share. */
export function sharedChartId(namespace: string): string {
  return `${SHARED_CHART_PREFIX}${namespace}`;
}

/**
 * The Chart of a namespace's shared add-ons, directly under the app. It is a file of its own, so
 * that deleting the file of one service (one Chart per service is the usual GitOps layout) never
 * prunes the loadtester or Prometheus the other services of the namespace still use.
 */
export function sharedChart(scope: IConstruct, namespace: string): Chart {
  const root = scope.node.root;
  const id = sharedChartId(namespace);
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

/** The Chart of the RBAC the platform team applies, directly under the app (see PLATFORM_RBAC_CHART_ID). */
export function platformRbacChart(scope: IConstruct): Chart {
  const root = scope.node.root;
  const existing = root.node.tryFindChild(PLATFORM_RBAC_CHART_ID);
  if (existing !== undefined) {
    if (!Chart.isChart(existing)) {
      throw new Error(`cdk8s-canary: the app already has a construct named '${PLATFORM_RBAC_CHART_ID}' that is not a Chart; that id is reserved for the RBAC the platform team applies`);
    }
    return existing;
  }
  return new Chart(root as Construct, PLATFORM_RBAC_CHART_ID);
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
