import { Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';

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

/**
 * Finds the add-on of this kind for this namespace in the app, or creates it in the chart of
 * `scope`. Ten services in one namespace therefore share one loadtester and one Prometheus.
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
  const created = create(Chart.of(scope), `${kind}-${namespace}`);
  registry.set(key, created);
  return created;
}
