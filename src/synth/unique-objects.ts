import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { PLATFORM_RBAC_CHART_ID, SHARED_CHART_PREFIX } from '../addons/namespace-singleton';

/** Id of the construct, directly under the app, whose validation reports objects emitted twice. */
export const UNIQUE_OBJECTS_ID = 'unique-object-names';

/** The services of an app, and the last result, reused while the app has not grown. */
interface Registry {
  readonly services: IConstruct[];
  result?: { readonly key: string; readonly problems: string[] };
}

const registries = new WeakMap<IConstruct, Registry>();

/**
 * Makes synthesis of the app `service` belongs to fail when two objects this library emits (those
 * of the CanaryServices and of the namespaces' shared charts) have the same API group, kind,
 * namespace and name: applied together, the second silently replaces the first (two CanaryServices
 * with one name in one namespace, in one Chart or in two, would do that). Other objects of the app
 * are not judged: an app may hold the output of several clusters (e.g. the platform layer's
 * per-cluster charts).
 */
export function checkUniqueObjects(service: IConstruct): void {
  const root = service.node.root;
  let registry = registries.get(root);
  if (registry === undefined) {
    registry = { services: [] };
    registries.set(root, registry);
    const check = new Construct(root as Construct, UNIQUE_OBJECTS_ID);
    const known = registry;
    check.node.addValidation({ validate: () => duplicates(root, known) });
  }
  registry.services.push(service);
}

/**
 * cdk8s validates the whole app once per chart it writes (App.synth() renders each chart with
 * Chart.toJson(), which validates the app), so with one chart per service this runs once per
 * service: the result is kept while the app has the same services and charts.
 */
function duplicates(root: IConstruct, registry: Registry): string[] {
  const sharedCharts = root.node.children.filter((c) => c.node.id.startsWith(SHARED_CHART_PREFIX) || c.node.id.startsWith(PLATFORM_RBAC_CHART_ID));
  const key = `${registry.services.length}/${root.node.children.length}`;
  if (registry.result?.key === key) return registry.result.problems;
  const first = new Map<string, ApiObject>();
  const problems: string[] = [];
  for (const construct of [...registry.services, ...sharedCharts].flatMap((emitter) => emitter.node.findAll())) {
    if (!ApiObject.isApiObject(construct)) continue;
    const namespace = construct.metadata.namespace;
    const objectKey = [construct.apiGroup, construct.kind, namespace ?? '', construct.name].join('|');
    const earlier = first.get(objectKey);
    if (earlier === undefined) {
      first.set(objectKey, construct);
      continue;
    }
    const what = `${construct.kind} '${namespace ? `${namespace}/` : ''}${construct.name}'`;
    problems.push(`${what} is emitted twice, by '${earlier.node.path}' and by '${construct.node.path}': applied together, the second replaces the first. `
      + "Two CanaryServices with the same name in one namespace do this: give one of them another 'name' or 'namespace'");
  }
  registry.result = { key, problems };
  return problems;
}
