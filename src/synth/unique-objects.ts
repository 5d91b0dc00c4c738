import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { SHARED_CHART_PREFIX } from '../addons/namespace-singleton';

/** Id of the construct, directly under the app, whose validation reports objects emitted twice. */
export const UNIQUE_OBJECTS_ID = 'unique-object-names';

/**
 * Makes synthesis of the app `scope` belongs to fail when two objects this library emits (those
 * of the CanaryServices and of the namespaces' shared charts) have the same API group, kind,
 * namespace and name: applied together, the second silently replaces the first (two CanaryServices
 * with one name in one namespace, in one Chart or in two, would do that). Other objects of the app
 * are not judged: an app may hold the output of several clusters (e.g. the platform layer's
 * per-cluster charts).
 */
export function checkUniqueObjects(scope: IConstruct): void {
  const root = scope.node.root;
  if (root.node.tryFindChild(UNIQUE_OBJECTS_ID) !== undefined) return;
  const check = new Construct(root as Construct, UNIQUE_OBJECTS_ID);
  check.node.addValidation({ validate: () => duplicates(root) });
}

const CANARY_SERVICE = Symbol.for('cdk8s-canary.CanaryService');

function isSharedChart(root: IConstruct, construct: IConstruct): boolean {
  return construct.node.scope === root && construct.node.id.startsWith(SHARED_CHART_PREFIX);
}

function duplicates(root: IConstruct): string[] {
  const first = new Map<string, ApiObject>();
  const problems: string[] = [];
  const emitters = root.node.findAll().filter((c) => (c as any)[CANARY_SERVICE] === true || isSharedChart(root, c));
  for (const construct of emitters.flatMap((emitter) => emitter.node.findAll())) {
    if (!ApiObject.isApiObject(construct)) continue;
    const namespace = construct.metadata.namespace;
    const key = [construct.apiGroup, construct.kind, namespace ?? '', construct.name].join('|');
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, construct);
      continue;
    }
    const what = `${construct.kind} '${namespace ? `${namespace}/` : ''}${construct.name}'`;
    problems.push(`${what} is emitted twice, by '${earlier.node.path}' and by '${construct.node.path}': applied together, the second replaces the first. `
      + "Two CanaryServices with the same name in one namespace do this: give one of them another 'name' or 'namespace'");
  }
  return problems;
}
