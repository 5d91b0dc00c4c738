import type { App } from 'cdk8s';
import { constructsOf } from './load-app';
import { SHARED_CHART_PREFIX } from '../addons/namespace-singleton';
import { CanaryService } from '../canary-service';
import { emittedObjectProblems } from '../synth/object-validity';
import { UNIQUE_OBJECTS_ID } from '../synth/unique-objects';

/**
 * The mistakes synth would report for the services of these apps, as synth prints them
 * (`[path] message`): the declarations that could not be built, objects the API server would
 * reject, and objects emitted twice. The plans' own problems are not included: the plan command
 * shows them in the plans.
 */
export function declarationProblems(apps: App[]): string[] {
  const services = constructsOf(apps).filter((c) => CanaryService.isCanaryService(c)) as CanaryService[];
  const broken = services.flatMap((service) => service._declarationErrors.map((message) => `[${service.node.path}] ${message}`));
  const shared = apps.flatMap((app) => app.node.children.filter((c) => c.node.id.startsWith(SHARED_CHART_PREFIX)));
  const invalid = [...services, ...shared].flatMap((scope) => emittedObjectProblems(scope).map((message) => `[${scope.node.path}] ${message}`));
  const duplicates = apps.flatMap((app) => {
    const check = app.node.tryFindChild(UNIQUE_OBJECTS_ID);
    return check ? check.node.validate().map((message) => `[${check.node.path}] ${message}`) : [];
  });
  return [...broken, ...invalid, ...duplicates];
}
