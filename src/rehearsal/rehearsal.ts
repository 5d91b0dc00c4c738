import { App } from 'cdk8s';
import type * as AgreementModule from './agreement';
import type * as DeclaredPrometheus from './declared-prometheus';
import type * as Manifests from './objects/manifests';
import type { PrometheusKnowledge } from './objects/monitoring';
import { RehearsalOptions } from './rehearsal-options';
import type { RehearseOptions } from './rehearse';
import type * as Report from './report';
import type * as Run from './run-rehearsal';
import { checkArguments } from '../arguments/check-arguments';
import { CanaryService } from '../canary-service';
import type { RolloutPlan } from '../plan/rollout-plan';

// The rehearsal itself (the models, the traffic, the Prometheus server) is loaded when first used:
// an app that only synthesizes never loads it.
/* eslint-disable @typescript-eslint/no-require-imports */
const run = (): typeof Run => require('./run-rehearsal');
const report = (): typeof Report => require('./report');
const agreement = (): typeof AgreementModule => require('./agreement');
const manifests = (): typeof Manifests => require('./objects/manifests');
const declaredPrometheusModule = (): typeof DeclaredPrometheus => require('./declared-prometheus');
/* eslint-enable @typescript-eslint/no-require-imports */

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
  /**
   * Rehearses every Canary and Rollout of manifest files or folders (hand-written ones too). A
   * mistake in the arguments or options throws at once (all of them together), before any rehearsal.
   */
  public static ofManifests(paths: string[], options: RehearsalOptions = {}): Promise<RehearsalReport> {
    checkArguments('Rehearsal.ofManifests', [paths, options]);
    const resolved = run().resolveOptions('Rehearsal.ofManifests()', options);
    return Rehearsal.run(manifests().readManifests(paths), new Map(), resolved, new Map());
  }

  /**
   * Rehearses the releases of an app, as its charts synthesize, and compares each with its
   * CanaryService's plan: the healthy promotion time, and the bad canary's stop (time and weight),
   * within one analysis interval. A mistake in the arguments or options throws at once.
   */
  public static ofApp(app: App, options: RehearsalOptions = {}): Promise<RehearsalReport> {
    checkArguments('Rehearsal.ofApp', [app, options]);
    const resolved = run().resolveOptions('Rehearsal.ofApp()', options);
    const objects = app.charts.flatMap((chart) => chart.toJson());
    const plans = new Map<string, RolloutPlan>();
    for (const construct of app.node.findAll()) {
      if (!CanaryService.isCanaryService(construct)) continue;
      const plan = (construct as CanaryService).plan;
      if (plan) plans.set(`${plan.namespace}/${plan.service}`, plan);
    }
    return Rehearsal.run(objects, plans, resolved, declaredPrometheusModule().declaredPrometheus(app.node.findAll()));
  }

  private static async run(
    objects: Manifests.Manifest[], plans: Map<string, RolloutPlan>, options: RehearseOptions, declared: Map<string, PrometheusKnowledge>,
  ): Promise<RehearsalReport> {
    return RehearsalReport._of(await run().rehearseObjects(objects, plans, options, declared));
  }

  private constructor() {}
}

/** What a rehearsal found, for people (`toText()`), tools (`toJson()`) and tests (`assertExpectations()`). */
export class RehearsalReport {
  /** @internal */
  public static _of(results: Run.RehearsalResult[]): RehearsalReport {
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

  private constructor(private readonly results: Run.RehearsalResult[]) {
    this.releases = results.map((r) => `${r.rehearsal.release.namespace}/${r.rehearsal.release.name}`);
    this.failures = results.flatMap((r) => [
      ...r.rehearsal.failures,
      ...r.agreements.filter((a) => !a.agrees).map((a) => `${r.rehearsal.release.namespace}/${r.rehearsal.release.name}: ${agreement().agreementText([a])[0]}`),
    ]);
  }

  /**
   * The report a person reads: per release, the outcome of each scenario (promoted, rolled back,
   * stuck, when, at what weight, the users the bad version served), the false alarm and miss
   * rates, warnings about checks that see too few requests, the plan comparison, and the timeline
   * of one bad run.
   */
  public toText(): string {
    const { agreementText } = agreement();
    const { releaseText } = report();
    return this.results.map((r) => releaseText(r.rehearsal) + agreementText(r.agreements).map((l) => `${l}\n`).join('')).join('\n');
  }

  /** Everything as plain data (times in seconds), every run's timeline included. */
  public toJson(): any {
    const json = report().rehearsalJson(this.results.map((r) => r.rehearsal));
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
