import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';

/** Id of the construct, directly under the app, whose validation reports objects emitted twice. */
export const UNIQUE_OBJECTS_ID = 'unique-object-names';

/**
 * Makes synthesis of the app `scope` belongs to fail when two objects have the same API group,
 * kind, namespace and name: applied together, the second silently replaces the first (two
 * CanaryServices with one name in one namespace, in one Chart or in two, would do that).
 */
export function checkUniqueObjects(scope: IConstruct): void {
  const root = scope.node.root;
  if (root.node.tryFindChild(UNIQUE_OBJECTS_ID) !== undefined) return;
  const check = new Construct(root as Construct, UNIQUE_OBJECTS_ID);
  check.node.addValidation({ validate: () => duplicates(root) });
}

function duplicates(root: IConstruct): string[] {
  const first = new Map<string, ApiObject>();
  const problems: string[] = [];
  for (const construct of root.node.findAll()) {
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
