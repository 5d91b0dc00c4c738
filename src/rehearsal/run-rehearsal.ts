import { Agreement, agreementWithPlan } from './agreement';
import { Manifest } from './objects/manifests';
import { findReleases } from './objects/releases';
import { RehearsalOptions } from './rehearsal-options';
import { DEFAULT_OPTIONS, ReleaseRehearsal, RehearseOptions, rehearse } from './rehearse';
import { SCENARIO_NAMES, ScenarioName } from './scenarios';
import { RolloutPlan } from '../plan/rollout-plan';

/** The public options in the rehearsal's own terms; a mistake is an Error that says what is allowed. */
export function resolveOptions(options: RehearsalOptions): RehearseOptions {
  const scenarios = options.scenarios ?? SCENARIO_NAMES;
  const unknown = scenarios.filter((s) => !SCENARIO_NAMES.includes(s as ScenarioName));
  if (unknown.length > 0) throw new Error(`Rehearsal: unknown scenario ${unknown.map((u) => `'${u}'`).join(', ')}; the scenarios are ${SCENARIO_NAMES.join(', ')}`);
  const seeds = options.seeds ?? DEFAULT_OPTIONS.seeds;
  if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`Rehearsal: 'seeds' (${seeds}) must be a whole number, 1 or more`);
  return {
    ...DEFAULT_OPTIONS,
    seeds,
    scenarios: scenarios as ScenarioName[],
    usersPerSecond: options.usersPerSecond,
    person: options.neverApprove ? {} : { approvesAfterSeconds: options.approveAfter?.toSeconds() ?? 0 },
    lanes: options.parallelism ?? DEFAULT_OPTIONS.lanes,
    maxSeconds: options.maxDuration?.toSeconds() ?? DEFAULT_OPTIONS.maxSeconds,
  };
}

/** A release's rehearsal with the plan comparison, when there is a plan. */
export interface RehearsalResult {
  readonly rehearsal: ReleaseRehearsal;
  readonly agreements: Agreement[];
}

/** Rehearses every release of the objects; compares each with its plan, when there is one (`<namespace>/<name>`). */
export async function rehearseObjects(objects: Manifest[], plans: Map<string, RolloutPlan>, options: RehearseOptions): Promise<RehearsalResult[]> {
  const releases = findReleases(objects);
  const rehearsals = releases.length > 0 ? await rehearse(releases, options) : [];
  return rehearsals.map((rehearsal) => {
    const plan = plans.get(`${rehearsal.release.namespace}/${rehearsal.release.name}`);
    return { rehearsal, agreements: plan ? agreementWithPlan(rehearsal, plan) : [] };
  });
}
