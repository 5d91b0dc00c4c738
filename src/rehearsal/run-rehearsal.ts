import { Agreement, agreementWithPlan } from './agreement';
import { Manifest } from './objects/manifests';
import { PrometheusKnowledge } from './objects/monitoring';
import { MESH_PROVIDERS, findReleases } from './objects/releases';
import { RehearsalOptions } from './rehearsal-options';
import { DEFAULT_OPTIONS, ReleaseRehearsal, RehearseOptions, rehearse } from './rehearse';
import { SCENARIO_NAMES, ScenarioName } from './scenarios';
import { enforcedNamespaceLabelProblem } from '../addons/enforced-namespace-label';
import { RolloutPlan } from '../plan/rollout-plan';
import { DeclarationErrors, fail } from '../validation';

/** The public options in the rehearsal's own terms; every mistake at once, each naming the option, its value and what is allowed. */
export function resolveOptions(owner: string, options: RehearsalOptions): RehearseOptions {
  const errors = new DeclarationErrors();
  const scenarios = options.scenarios ?? SCENARIO_NAMES;
  const unknown = scenarios.filter((s) => !SCENARIO_NAMES.includes(s as ScenarioName));
  errors.attempt(() => {
    if (unknown.length > 0) fail(owner, `'scenarios' (${unknown.map((u) => `'${u}'`).join(', ')}) must be built-in scenarios: ${SCENARIO_NAMES.join(', ')}`);
  });
  const whole = (name: keyof RehearsalOptions, value: number | undefined, min: number, max: number) => errors.attempt(() => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= max)) fail(owner, `'${name}' (${value}) must be a whole number from ${min} to ${max}`);
  });
  whole('seeds', options.seeds, 1, 1000);
  whole('parallelism', options.parallelism, 1, 16);
  errors.attempt(() => {
    const users = options.usersPerSecond;
    if (users !== undefined && !(Number.isFinite(users) && users >= 0)) fail(owner, `'usersPerSecond' (${users}) must be a number of requests per second, 0 or more`);
  });
  errors.attempt(() => {
    if (options.approveAfter !== undefined && options.neverApprove) fail(owner, "'approveAfter' and 'neverApprove' contradict each other: give one");
  });
  errors.attempt(() => {
    const max = options.maxDuration?.toSeconds();
    if (max !== undefined && !(max > 0)) fail(owner, `'maxDuration' (${max}s) must be longer than 0 seconds`);
  });
  errors.attempt(() => {
    const mesh = options.meshProvider;
    if (mesh !== undefined && !MESH_PROVIDERS.includes(mesh)) fail(owner, `'meshProvider' ('${mesh}') must be one of Flagger's mesh providers: ${MESH_PROVIDERS.join(', ')}`);
  });
  errors.attempt(() => {
    const label = options.enforcedNamespaceLabel;
    const problem = label === undefined ? undefined : enforcedNamespaceLabelProblem(label);
    if (problem !== undefined) fail(owner, `'enforcedNamespaceLabel' (${JSON.stringify(label)}) ${problem}`);
  });
  errors.throwIfAny();
  return {
    ...DEFAULT_OPTIONS,
    seeds: options.seeds ?? DEFAULT_OPTIONS.seeds,
    scenarios: scenarios as ScenarioName[],
    usersPerSecond: options.usersPerSecond,
    person: options.neverApprove ? {} : { approvesAfterSeconds: options.approveAfter?.toSeconds() ?? 0 },
    lanes: options.parallelism ?? DEFAULT_OPTIONS.lanes,
    maxSeconds: options.maxDuration?.toSeconds() ?? DEFAULT_OPTIONS.maxSeconds,
    meshProvider: options.meshProvider ?? DEFAULT_OPTIONS.meshProvider,
    enforcedNamespaceLabel: options.enforcedNamespaceLabel,
  };
}

/** A release's rehearsal with the plan comparison, when there is a plan. */
export interface RehearsalResult {
  readonly rehearsal: ReleaseRehearsal;
  readonly agreements: Agreement[];
}

/**
 * Rehearses every release of the objects; compares each with its plan, when there is one
 * (`<namespace>/<name>`). What the declarations say of their Prometheus (`declared`, by the same
 * key) wins over the `enforcedNamespaceLabel` option, which is for manifests alone.
 */
export async function rehearseObjects(
  objects: Manifest[], plans: Map<string, RolloutPlan>, options: RehearseOptions, declared: Map<string, PrometheusKnowledge> = new Map(),
): Promise<RehearsalResult[]> {
  const fromOption: PrometheusKnowledge | undefined = options.enforcedNamespaceLabel === undefined ? undefined
    : { enforcedNamespaceLabel: options.enforcedNamespaceLabel || undefined, source: 'the option enforcedNamespaceLabel (--enforced-namespace-label)' };
  const releases = findReleases(objects, options.meshProvider, (namespace, name) => declared.get(`${namespace}/${name}`) ?? fromOption);
  const rehearsals = releases.length > 0 ? await rehearse(releases, options) : [];
  return rehearsals.map((rehearsal) => {
    const plan = plans.get(`${rehearsal.release.namespace}/${rehearsal.release.name}`);
    return { rehearsal, agreements: plan ? agreementWithPlan(rehearsal, plan) : [] };
  });
}
