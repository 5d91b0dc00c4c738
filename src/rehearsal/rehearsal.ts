import { App } from 'cdk8s';
import { Agreement, agreementText, agreementWithPlan } from './agreement';
import { Manifest, readManifests } from './objects/manifests';
import { findReleases } from './objects/releases';
import { RehearsalOptions } from './rehearsal-options';
import { DEFAULT_OPTIONS, ReleaseRehearsal, RehearseOptions, rehearse } from './rehearse';
import { rehearsalJson, releaseText } from './report';
import { SCENARIO_NAMES, ScenarioName } from './scenarios';
import { CanaryService } from '../canary-service';
import { RolloutPlan } from '../plan/rollout-plan';

/** The rehearsal's options in its own terms. */
function resolveOptions(options: RehearsalOptions): RehearseOptions {
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

/**
 * A release rehearsal: every Flagger Canary and Argo Rollout of the manifests (or of an app, as
 * synthesized) replayed through a model of its controller (Flagger 1.44's scheduler, Argo Rollouts
 * 1.9.1's steps and AnalysisRuns) with seeded traffic split as the router splits it, every check
 * evaluated by the real Prometheus server (the `prometheus` binary, Debian's package) on the series
 * the router and pods would export. Built-in scenarios: a healthy release, an error-rate and a
 * latency regression, a crash, a slow degradation, a failure in one segment, no user traffic at
 * night, and the plan's bad canary (`broken`).
 */
export class Rehearsal {
  /** Rehearses every Canary and Rollout of manifest files or folders (hand-written ones too). */
  public static async ofManifests(paths: string[], options: RehearsalOptions = {}): Promise<RehearsalReport> {
    return Rehearsal.run(readManifests(paths), new Map(), options);
  }

  /**
   * Rehearses the releases of an app, as its charts synthesize, and compares each with its
   * CanaryService's plan: the healthy promotion time, and the bad canary's stop (time and weight),
   * within one analysis interval.
   */
  public static async ofApp(app: App, options: RehearsalOptions = {}): Promise<RehearsalReport> {
    const objects = app.charts.flatMap((chart) => chart.toJson());
    const plans = new Map<string, RolloutPlan>();
    for (const construct of app.node.findAll()) {
      if (!CanaryService.isCanaryService(construct)) continue;
      const plan = (construct as CanaryService).plan;
      if (plan) plans.set(`${plan.namespace}/${plan.service}`, plan);
    }
    return Rehearsal.run(objects, plans, options);
  }

  private static async run(objects: Manifest[], plans: Map<string, RolloutPlan>, options: RehearsalOptions): Promise<RehearsalReport> {
    const releases = findReleases(objects);
    const results = releases.length > 0 ? await rehearse(releases, resolveOptions(options)) : [];
    return RehearsalReport._of(results.map((rehearsal) => {
      const plan = plans.get(`${rehearsal.release.namespace}/${rehearsal.release.name}`);
      return { rehearsal, agreements: plan ? agreementWithPlan(rehearsal, plan) : [] };
    }));
  }

  private constructor() {}
}

/** What a rehearsal found, for people (`toText()`), tools (`toJson()`) and tests (`assertExpectations()`). */
export class RehearsalReport {
  /** @internal */
  public static _of(results: { rehearsal: ReleaseRehearsal; agreements: Agreement[] }[]): RehearsalReport {
    return new RehearsalReport(results);
  }

  /**
   * Why the rehearsal fails: a healthy release rolled back or stuck, a bad one promoted, an
   * expectation a release states not met, a plan figure the rehearsal disagrees with. Empty when
   * it passes.
   */
  public readonly failures: string[];
  /** The releases rehearsed, as `<namespace>/<name>`. */
  public readonly releases: string[];

  private constructor(private readonly results: { rehearsal: ReleaseRehearsal; agreements: Agreement[] }[]) {
    this.releases = results.map((r) => `${r.rehearsal.release.namespace}/${r.rehearsal.release.name}`);
    this.failures = results.flatMap((r) => [
      ...r.rehearsal.failures,
      ...r.agreements.filter((a) => !a.agrees).map((a) => `${r.rehearsal.release.namespace}/${r.rehearsal.release.name}: ${agreementText([a])[0]}`),
    ]);
  }

  /**
   * The report a person reads: per release, the outcome of each scenario (promoted, rolled back,
   * stuck, when, at what weight, the users the bad version served), the false alarm and miss
   * rates, warnings about checks that see too few requests, the plan comparison, and the timeline
   * of one bad run.
   */
  public toText(): string {
    return this.results.map((r) => releaseText(r.rehearsal) + agreementText(r.agreements).map((l) => `${l}\n`).join('')).join('\n');
  }

  /** Everything as plain data (times in seconds), every run's timeline included. */
  public toJson(): any {
    const json = rehearsalJson(this.results.map((r) => r.rehearsal));
    this.results.forEach((r, i) => { json[i].plan = r.agreements; });
    return json;
  }

  /**
   * Throws an Error listing every failure, when there is one: the test helper. A rehearsal of
   * nothing (no Flagger Canary or Argo Rollout) fails too, so that a test cannot pass on an empty app.
   */
  public assertExpectations(): void {
    if (this.releases.length === 0) {
      throw new Error('the rehearsal failed: there is no Flagger Canary or Argo Rollout to rehearse');
    }
    if (this.failures.length > 0) {
      throw new Error(`the rehearsal failed:\n${this.failures.map((f) => `- ${f}`).join('\n')}`);
    }
  }
}
