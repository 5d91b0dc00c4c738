import { declarationProblems } from './declaration-problems';
import { constructsOf, loadApps } from './load-app';
import { CanaryService } from '../canary-service';

export interface PlanCommandOptions {
  /** The app's entry point. */
  readonly entry: string;
  /** Print JSON instead of tables. */
  readonly json: boolean;
}

/**
 * Prints the rollout plan of every CanaryService of an app. Returns the exit code: 1 when a plan
 * says the analysis cannot stop a bad canary (the app would fail to synthesize).
 */
export function planCommand(options: PlanCommandOptions, out: (text: string) => void): number {
  const apps = loadApps(options.entry);
  const services = constructsOf(apps).filter((c) => CanaryService.isCanaryService(c)) as CanaryService[];
  if (services.length === 0) {
    out(`no CanaryService in '${options.entry}'\n`);
    return 0;
  }
  // A declaration with mistakes has no plan: say why, as synth would.
  const problems = declarationProblems(apps);
  if (problems.length > 0) {
    out(problems.map((problem) => `${problem}\n`).join(''));
    return 1;
  }
  const plans = services.map((service) => service.plan).filter((plan) => plan !== undefined);
  if (options.json) {
    out(`${JSON.stringify(plans.map((plan) => plan!.toJson()), undefined, 2)}\n`);
  } else {
    out(plans.map((plan) => plan!.toTable()).join('\n'));
  }
  return plans.some((plan) => !plan!.canStopBadCanary) ? 1 : 0;
}
