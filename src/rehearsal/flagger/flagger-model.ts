import { TemplateModel, builtInObserver, renderFlaggerQuery } from './queries';
import { parseGoDuration } from '../../analysis/load-command';
import { CheckResult, ControllerEnv, ControllerModel, RunOutcome } from '../controller';
import { Manifest } from '../objects/manifests';
import { DEFAULT_MESH_PROVIDER, Release } from '../objects/releases';
import { QueryResult } from '../prometheus/server';

/** Flagger's Canary phases (pkg/apis/flagger/v1beta1/status.go). */
export type FlaggerPhase = 'Initialized' | 'Waiting' | 'Progressing' | 'WaitingPromotion' | 'Promoting' | 'Finalising' | 'Succeeded' | 'Failed';

/** What a metric check gives (pkg/metrics/providers/prometheus.go, RunQuery). */
export interface FlaggerValue {
  readonly value?: number;
  /** `no values` (empty result or NaN: ErrNoValuesFound) or an error message. */
  readonly problem?: string;
  readonly noValues?: boolean;
}

/**
 * The number Flagger reads from a Prometheus answer (providers/prometheus.go, RunQuery): of the
 * vector's samples the last one; no sample or NaN is "no values found"; a range vector is
 * ErrMultipleValuesReturned; a scalar does not unmarshal into the vector shape Flagger expects
 * (an error); a failed query is an error.
 */
export function flaggerValue(result: QueryResult): FlaggerValue {
  if (result.error) return { problem: `query failed: ${result.error}` };
  if (result.resultType === 'scalar') return { problem: 'error unmarshaling result: a scalar, where Flagger reads a vector' };
  if (result.resultType === 'matrix') return { problem: 'multiple values returned (a range vector)' };
  const last = result.samples[result.samples.length - 1];
  if (last === undefined || Number.isNaN(last.value)) return { noValues: true, problem: 'no values found' };
  return { value: last.value };
}

/** A metric's bounds check (scheduler_metrics.go): thresholdRange min and max, or the deprecated threshold. */
function judge(metric: any, value: number, kind: 'success-rate' | 'duration' | 'custom'): { pass: boolean; detail: string } {
  const range = metric.thresholdRange;
  if (range) {
    // Durations are compared as whole milliseconds: time.Duration(int64(value)) against time.Duration(*tr.Max) ms.
    const v = kind === 'duration' ? Math.trunc(value) : value;
    const min = range.min === undefined ? undefined : kind === 'duration' ? Math.trunc(range.min) : range.min;
    const max = range.max === undefined ? undefined : kind === 'duration' ? Math.trunc(range.max) : range.max;
    if (min !== undefined && v < min) return { pass: false, detail: `< ${range.min}` };
    if (max !== undefined && v > max) return { pass: false, detail: `> ${range.max}` };
    return { pass: true, detail: [min !== undefined ? `>= ${range.min}` : '', max !== undefined ? `<= ${range.max}` : ''].filter(Boolean).join(', ') };
  }
  const threshold = metric.threshold ?? 0;
  if (kind === 'success-rate') return threshold > value ? { pass: false, detail: `< ${threshold}` } : { pass: true, detail: `>= ${threshold}` };
  return value > threshold ? { pass: false, detail: `> ${threshold}` } : { pass: true, detail: `<= ${threshold}` };
}

interface Webhook {
  readonly name: string;
  readonly type: string;
  readonly url: string;
  readonly metadata: { [key: string]: string };
}

/**
 * Flagger 1.44's scheduler for one Canary, tick by tick, from the tick that sees the new revision.
 * Each transition, with where fluxcd/flagger v1.44.0 makes it (file:line):
 * - one tick per `analysis.interval`: default 60s, at least 10s (pkg/apis/flagger/v1beta1/canary.go:637
 *   GetAnalysisInterval); the threshold defaults to 1 (canary.go:655);
 * - a new revision: the confirm-rollout gates, else phase Waiting (pkg/controller/scheduler.go:904,
 *   scheduler_hooks.go:44); then the canary is scaled up and the phase is Progressing, nothing else
 *   that tick (scheduler.go:886 checkCanaryStatus returns false after ScaleFromZero, :921);
 * - skipAnalysis, or no analysis (canary.go:685): at the first tick the canary is ready, promoted at
 *   once without any check (scheduler.go:363 shouldSkipAnalysis :778-850);
 * - each later tick: the canary must be ready; not ready is retried until progressDeadlineSeconds
 *   (default 600s, canary.go:619), then rolled back (scheduler.go:354, pkg/canary/deployment_ready.go:55);
 * - a rollback webhook that answers 2xx rolls back in Progressing, Waiting or WaitingPromotion
 *   (scheduler.go:368, scheduler_hooks.go:126);
 * - Promoting shifts all traffic to the primary (scheduler.go:380, runPromotionTrafficShift :508;
 *   in steps of stepWeightPromotion when set), Finalising scales the canary down and succeeds (:392);
 * - `failedChecks >= threshold` rolls back, checked before the analysis, so at the tick after the
 *   threshold-th failure (scheduler.go:429, rollback :948);
 * - at weight 0 with no iteration the pre-rollout webhooks run, else the analysis; a failure adds one
 *   to failedChecks, which nothing resets, and holds the weight (scheduler.go:447-468);
 * - the analysis (scheduler.go:752 runAnalysis): rollout webhooks, then the built-in checks
 *   (scheduler_metrics.go:94; request-duration compared in whole milliseconds :202), then the
 *   templates' checks (:260), stopping at the first failure; a query with no value is a failure
 *   (pkg/metrics/providers/prometheus.go:106 RunQuery, ErrNoValuesFound :171);
 * - the kubernetes provider drops `match` and needs iterations, 10 by default (scheduler.go:469);
 * - the strategy (canary.go:693 DeploymentStrategy; scheduler.go:482): runCanary (:565) asks the
 *   confirm-traffic-increase gates unless mirrored (:492, scheduler_hooks.go:26), steps by stepWeight
 *   or stepWeights (nextStepWeight :58) up to maxWeight (:41), then asks confirm-promotion
 *   (scheduler_hooks.go:67) and promotes; runAB (:639) routes the match to the canary for
 *   `iterations` analyses; runBlueGreen (:682) analyses `iterations` times at weight 0, then once
 *   more with all traffic on the canary; a promotion gate still closed in WaitingPromotion sets the
 *   iterations back to iterations - 1 (scheduler_hooks.go:82);
 * - gates are the loadtester's: /gate/approve always open, /gate/halt always closed, /gate/check
 *   open once a person opens it (pkg/loadtester/server.go:38-46); a `cmd` is accepted at once and
 *   runs in the background (server.go:272 HandleNewTask, 202 at :442).
 */
export class FlaggerModel implements ControllerModel {
  public phase: FlaggerPhase = 'Initialized';
  public canaryWeight = 0;
  public primaryWeight = 100;
  public iterations = 0;
  public failedChecks = 0;
  public mirrored = false;
  public outcome?: RunOutcome;
  public endedAt?: number;
  public reason?: string;
  public firstFailureAt?: number;
  public promotedAt?: number;
  /** Notes on what the rehearsal could not evaluate. */
  public readonly notes: string[] = [];

  private tick = 0;
  private scaledUpAt?: number;
  private readonly waitingSince = new Map<string, number>();
  private readonly spec: any;
  private readonly analysis: any;
  private readonly interval: number;
  private readonly threshold: number;
  private readonly provider: string;
  private readonly metricsProvider: string;
  private readonly webhooks: Webhook[];

  constructor(private readonly release: Release) {
    this.spec = release.controllerObject.spec ?? {};
    this.analysis = { ...(this.spec.analysis ?? {}) };
    // GetAnalysisInterval: default 60s, at least 10s.
    this.interval = Math.max(10, parseGoDuration(this.analysis.interval ?? '') ?? 60);
    this.threshold = this.analysis.threshold > 0 ? this.analysis.threshold : 1;
    this.provider = release.provider ?? (this.spec.provider || DEFAULT_MESH_PROVIDER);
    // runBuiltinMetricChecks (scheduler_metrics.go:96-111): the built-in queries are the provider's,
    // except that a linkerd -mesh-provider makes them linkerd's even when spec.provider is set.
    this.metricsProvider = this.spec.provider && (release.meshProvider ?? '').includes('linkerd') ? 'linkerd' : this.provider;
    this.webhooks = (this.analysis.webhooks ?? []).map((w: any) => ({ name: w.name, type: w.type ?? 'rollout', url: w.url ?? '', metadata: w.metadata ?? {} }));
    if (this.provider === 'kubernetes') {
      // scheduler.go: the kubernetes provider drops match and needs iterations (default 10).
      this.analysis.match = undefined;
      if (!(this.analysis.iterations >= 1)) this.analysis.iterations = 10;
    }
  }

  /** canary.go:685 SkipAnalysis: `skipAnalysis: true`, or no `analysis` at all. */
  private get skipsAnalysis(): boolean {
    return this.spec.skipAnalysis === true || (this.spec.analysis === undefined && this.spec.canaryAnalysis === undefined);
  }

  public get weight(): number {
    return this.strategy === 'ab' ? 0 : this.canaryWeight;
  }

  /** Seconds between two ticks. */
  public get intervalSeconds(): number {
    return this.interval;
  }

  public nextWakeUp(): number {
    return this.tick * this.interval;
  }

  /** canary.DeploymentStrategy(): A/B with match and iterations, blue/green with iterations, else canary. */
  public get strategy(): 'canary' | 'ab' | 'bluegreen' {
    if ((this.analysis.match ?? []).length > 0 && this.analysis.iterations > 0) return 'ab';
    if (this.analysis.iterations > 0) return 'bluegreen';
    return 'canary';
  }

  private maxWeight(): number {
    const steps: number[] = this.analysis.stepWeights ?? [];
    if (steps.length > 0) return Math.min(100, steps[steps.length - 1]);
    return this.analysis.maxWeight > 0 ? this.analysis.maxWeight : 100;
  }

  /** scheduler.go, nextStepWeight. */
  private nextStepWeight(weight: number): number {
    const steps: number[] = this.analysis.stepWeights ?? [];
    if ((this.analysis.stepWeight ?? 0) > 0 || steps.length === 0) return this.analysis.stepWeight ?? 0;
    const maxStep = 100 - weight;
    if (maxStep === 0) return 1;
    if (weight === 0) return Math.min(maxStep, steps[0]);
    for (let i = 0; i < steps.length - 1; i++) {
      if (steps[i] === weight) return Math.min(maxStep, steps[i + 1] - weight);
    }
    return maxStep;
  }

  private end(env: ControllerEnv, outcome: RunOutcome, reason: string): void {
    this.outcome = outcome;
    this.endedAt = env.now;
    this.reason = reason;
  }

  private setRoutes(env: ControllerEnv, primary: number, canary: number, mirrored: boolean): void {
    this.primaryWeight = primary;
    this.canaryWeight = canary;
    this.mirrored = mirrored;
    const ab = this.strategy === 'ab';
    env.route({
      canaryWeight: ab ? 0 : canary,
      matchToCanary: ab && canary > 0,
      mirrorPercent: mirrored ? this.analysis.mirrorWeight ?? 100 : 0,
    });
  }

  public async act(env: ControllerEnv): Promise<void> {
    this.tick++;
    const record = (event: string, checks: CheckResult[] = [], gate?: string) => {
      env.record({ t: env.now, weight: this.visibleWeight(), event, checks, gate });
    };

    // checkCanaryStatus: a new revision (Initialized) or a Waiting canary asks the confirm-rollout gates, then scales up.
    if (this.phase === 'Initialized' || this.phase === 'Waiting') {
      const gate = this.gate(env, 'confirm-rollout');
      if (gate) {
        if (this.phase !== 'Waiting') this.phase = 'Waiting';
        record(`waiting for approval (${gate})`, [], gate);
        return;
      }
      this.scaledUpAt = env.now;
      env.route({ newPods: env.replicas });
      this.phase = 'Progressing';
      this.iterations = 0;
      this.failedChecks = 0;
      record('new revision: canary scaled up');
      return;
    }
    if (this.phase === 'Succeeded' || this.phase === 'Failed') return;

    // IsCanaryReady: not ready is retriable until progressDeadlineSeconds, then the canary is rolled back.
    const readyAt = env.readyAt(this.scaledUpAt ?? 0);
    if (readyAt === undefined || readyAt > env.now + 1e-9) {
      env.route({ newPods: 0 });
      const deadline = this.spec.progressDeadlineSeconds ?? 600;
      if (env.now - (this.scaledUpAt ?? 0) > deadline && this.phase !== 'Promoting' && this.phase !== 'Finalising') {
        this.rollback(env, `the canary did not become ready within progressDeadlineSeconds (${deadline}s)`);
        record('rolled back: canary not ready (progress deadline exceeded)');
        this.firstFailureAt ??= env.now;
        return;
      }
      record('waiting for the canary to become ready');
      return;
    }
    env.route({ newPods: env.replicas });

    if (this.skipsAnalysis) {
      // shouldSkipAnalysis (scheduler.go:363, :778-850): once the canary is ready, all traffic to the
      // primary, Promote() copies the new template to it, the canary is scaled to zero and the phase is
      // Succeeded, in the same tick and without a single check. The primary's readiness is not waited
      // for (scheduler.go:294 checks it only without skipAnalysis).
      this.setRoutes(env, 100, 0, false);
      env.route({ primaryIsNew: true, newPods: 0 });
      this.phase = 'Succeeded';
      this.promotedAt = env.now;
      const why = this.spec.skipAnalysis ? 'skipAnalysis is true' : 'the Canary has no analysis';
      this.end(env, 'promoted', `Flagger promoted the new version without any check (${why})`);
      this.noteOnce(`${why}: Flagger promotes the new version as soon as its pods are ready, without any check (scheduler.go:363 shouldSkipAnalysis; canary.go:685 SkipAnalysis), so a bad version is promoted too`);
      record(`promoted without analysis (${why})`);
      return;
    }

    if (['Progressing', 'Waiting', 'WaitingPromotion'].includes(this.phase)) {
      const rollbackHook = this.webhooks.find((w) => w.type === 'rollback' && this.signalsRollback(w));
      if (rollbackHook) {
        this.rollback(env, `the rollback webhook '${rollbackHook.name}' signalled a rollback`);
        record('rolled back: manual webhook');
        return;
      }
    }

    if (this.phase === 'Promoting') {
      this.promotionTrafficShift(env);
      const shifted = (this.phase as FlaggerPhase) === 'Finalising';
      if (shifted) this.promotedAt ??= env.now;
      record(shifted ? 'promotion: all traffic to the primary, which runs the new version' : 'promotion: primary weight up');
      return;
    }
    if (this.phase === 'Finalising') {
      env.route({ newPods: 0 });
      this.phase = 'Succeeded';
      this.end(env, 'promoted', 'Flagger promoted the new version');
      record('promoted: canary scaled down');
      return;
    }

    if ((this.phase === 'Progressing' || this.phase === 'WaitingPromotion') && this.failedChecks >= this.threshold) {
      this.rollback(env, `${this.failedChecks} failed checks (threshold ${this.threshold})`);
      record(`rolled back: ${this.failedChecks} failed checks reached the threshold ${this.threshold}`);
      return;
    }

    if (this.canaryWeight === 0 && this.iterations === 0 && !(this.analysis.mirror && this.mirrored)) {
      const checks = this.runPreRolloutHooks(env);
      if (checks.some((c) => c.verdict === 'fail')) {
        this.failedChecks++;
        this.firstFailureAt ??= env.now;
        record(`pre-rollout check failed (${this.failedChecks}/${this.threshold})`, checks);
        return;
      }
      if (checks.length > 0) record('pre-rollout webhooks passed', checks);
    } else {
      const checks = await this.runAnalysis(env);
      if (checks.some((c) => c.verdict !== 'pass' && c.verdict !== 'not run' && c.verdict !== 'not evaluated')) {
        this.failedChecks++;
        this.firstFailureAt ??= env.now;
        record(`analysis failed (${this.failedChecks}/${this.threshold} failed checks)`, checks);
        return;
      }
      record('analysis passed', checks);
    }

    switch (this.strategy) {
      case 'ab':
        this.runAB(env, record);
        return;
      case 'bluegreen':
        this.runBlueGreen(env, record);
        return;
      default:
        if (this.nextStepWeight(this.canaryWeight) > 0) {
          if (!this.mirrored && !['Promoting', 'WaitingPromotion', 'Finalising'].includes(this.phase)) {
            const gate = this.gate(env, 'confirm-traffic-increase');
            if (gate) {
              record(`waiting for approval to increase the traffic (${gate})`, [], gate);
              return;
            }
          }
          this.runCanary(env, record);
        }
    }
  }

  /** The weight users see: the canary weight, or 100 for an A/B test's segments. */
  private visibleWeight(): number {
    return this.strategy === 'ab' && this.canaryWeight > 0 ? 0 : this.canaryWeight;
  }

  private runCanary(env: ControllerEnv, record: (event: string, checks?: CheckResult[], gate?: string) => void): void {
    const maxWeight = this.maxWeight();
    if (this.canaryWeight < maxWeight) {
      const step = this.nextStepWeight(this.canaryWeight);
      let primary = this.primaryWeight;
      let canary = this.canaryWeight;
      let mirrored = this.mirrored;
      if (this.analysis.mirror && canary === 0) {
        if (!mirrored) {
          mirrored = true;
          primary = 100;
          canary = 0;
        } else {
          mirrored = false;
          primary = 100 - step;
          canary = step;
        }
      } else {
        primary = Math.max(0, primary - step);
        canary = Math.min(100, canary + step);
      }
      this.setRoutes(env, primary, canary, mirrored);
      record(mirrored ? 'mirroring to the canary' : `weight ${canary}%`);
      return;
    }
    const gate = this.gate(env, 'confirm-promotion');
    if (gate) {
      this.phase = 'WaitingPromotion';
      record(`waiting for promotion approval (${gate})`, [], gate);
      return;
    }
    this.phase = 'Promoting';
    record('promotion: the primary takes the new version');
    env.route({ primaryIsNew: true });
  }

  private runAB(env: ControllerEnv, record: (event: string, checks?: CheckResult[], gate?: string) => void): void {
    if (this.analysis.iterations > this.iterations) {
      this.setRoutes(env, 0, 100, false);
      this.iterations++;
      record(`A/B iteration ${this.iterations}/${this.analysis.iterations}`);
      return;
    }
    if (this.promotionGate(env, record)) return;
    if (this.analysis.iterations === this.iterations) {
      this.phase = 'Promoting';
      env.route({ primaryIsNew: true });
      record('promotion: the primary takes the new version');
    }
  }

  private runBlueGreen(env: ControllerEnv, record: (event: string, checks?: CheckResult[], gate?: string) => void): void {
    if (this.analysis.iterations > this.iterations) {
      if (this.provider !== 'kubernetes' && this.analysis.mirror && !this.mirrored) this.setRoutes(env, 100, 0, true);
      this.iterations++;
      record(`blue/green iteration ${this.iterations}/${this.analysis.iterations}`);
      return;
    }
    if (this.promotionGate(env, record)) return;
    if (this.analysis.iterations === this.iterations) {
      if (this.provider !== 'kubernetes') this.setRoutes(env, 0, 100, false);
      this.iterations++;
      record(this.provider === 'kubernetes' ? 'last analysis (no traffic switch with the kubernetes provider)' : 'all traffic to the canary');
      return;
    }
    if (this.analysis.iterations < this.iterations) {
      this.phase = 'Promoting';
      env.route({ primaryIsNew: true });
      record('promotion: the primary takes the new version');
    }
  }

  /** runConfirmPromotionHooks for A/B and blue/green: true when it holds (a waiting canary goes back one iteration). */
  private promotionGate(env: ControllerEnv, record: (event: string, checks?: CheckResult[], gate?: string) => void): boolean {
    const gate = this.gate(env, 'confirm-promotion');
    if (!gate) return false;
    if (this.phase !== 'WaitingPromotion') {
      this.phase = 'WaitingPromotion';
    } else {
      // scheduler_hooks.go: still waiting sets status.iterations to analysis.iterations - 1.
      this.iterations = this.analysis.iterations - 1;
    }
    record(`waiting for promotion approval (${gate})`, [], gate);
    return true;
  }

  private promotionTrafficShift(env: ControllerEnv): void {
    if (this.provider === 'kubernetes') {
      this.phase = 'Finalising';
      return;
    }
    const step = this.analysis.stepWeightPromotion ?? 0;
    if (step === 0) {
      this.setRoutes(env, 100, 0, false);
      this.phase = 'Finalising';
      return;
    }
    if (this.canaryWeight > 0) {
      const primary = Math.min(100, this.primaryWeight + step);
      const canary = Math.max(0, this.canaryWeight - step);
      this.setRoutes(env, primary, canary, false);
      if (primary === 100) this.phase = 'Finalising';
    }
  }

  private rollback(env: ControllerEnv, reason: string): void {
    this.setRoutes(env, 100, 0, false);
    env.route({ newPods: 0 });
    this.phase = 'Failed';
    this.end(env, 'rolled back', reason);
  }

  /** The name of a gate of this type that is closed, or undefined when all are open (runConfirm*Hooks). */
  private gate(env: ControllerEnv, type: string): string | undefined {
    for (const hook of this.webhooks.filter((w) => w.type === type)) {
      const key = `${type}/${hook.name}`;
      const since = this.waitingSince.get(key) ?? env.now;
      this.waitingSince.set(key, since);
      const path = hook.url.replace(/^[a-z]+:\/\/[^/]+/, '');
      const open = path.startsWith('/gate/approve') ? true : path.startsWith('/gate/halt') ? false
        : path.startsWith('/gate/check') ? isApproved(env.approvalAt(hook.name, since), env.now) : true;
      if (!open) return hook.name;
      this.waitingSince.delete(key);
    }
    return undefined;
  }

  /** A rollback webhook signals (2xx) only through the loadtester's rollback gate, which the scenarios leave closed. */
  private signalsRollback(_hook: Webhook): boolean {
    return false;
  }

  /** Runs a webhook that is a command for the loadtester: a load (`cmd`, in the background) or a test (`bash`, blocking). */
  private callCommand(env: ControllerEnv, hook: Webhook): CheckResult {
    const command = hook.metadata.cmd;
    if (command === undefined) return { name: hook.name, verdict: 'not evaluated', detail: 'a webhook of its own: assumed to answer 2xx' };
    const type = hook.metadata.type ?? 'cmd';
    if (type === 'cmd') {
      const started = env.startLoad(`flagger/${command}`, command);
      // The loadtester answers 202 at once for a cmd (pkg/loadtester/server.go), whatever the command does.
      return { name: hook.name, verdict: 'pass', detail: started === 'started' ? 'load started' : started === 'skipped' ? 'still running: call skipped' : 'background command' };
    }
    const passed = env.runTest(hook.name);
    return { name: hook.name, verdict: passed ? 'pass' : 'fail', detail: passed ? 'test passed' : 'test failed against the new version' };
  }

  private runPreRolloutHooks(env: ControllerEnv): CheckResult[] {
    const results: CheckResult[] = [];
    for (const hook of this.webhooks.filter((w) => w.type === 'pre-rollout')) {
      const result = this.callCommand(env, hook);
      results.push(result);
      if (result.verdict === 'fail') break;
    }
    return results;
  }

  private model(metric: any): TemplateModel {
    const target = this.spec.targetRef?.name ?? this.release.name;
    return {
      name: this.release.name,
      namespace: this.release.namespace,
      target,
      service: this.spec.service?.name ?? target,
      ingress: this.spec.ingressRef?.name ?? target,
      route: this.spec.routeRef?.name ?? target,
      interval: metric.interval ?? '1m',
      variables: metric.templateVariables ?? {},
    };
  }

  /** The query each metric sends, or why it sends none (for the traffic model to keep the series it reads). */
  public queries(): { metric: any; query?: string; problem?: string; kind: 'success-rate' | 'duration' | 'custom'; builtIn: boolean }[] {
    return (this.analysis.metrics ?? []).flatMap((metric: any) => {
      const withInterval = { ...metric, interval: metric.interval || '1m' };
      const out: { metric: any; query?: string; problem?: string; kind: 'success-rate' | 'duration' | 'custom'; builtIn: boolean }[] = [];
      if (metric.name === 'request-success-rate' || metric.name === 'request-duration') {
        const { observer, known } = builtInObserver(this.metricsProvider);
        const kind = metric.name === 'request-success-rate' ? 'success-rate' : 'duration';
        const rendered = renderFlaggerQuery(observer.queries[metric.name], this.model(withInterval));
        out.push({ metric: withInterval, query: rendered.query, problem: known ? rendered.error : `the built-in checks of provider '${this.metricsProvider}' are outside what the rehearsal evaluates`, kind, builtIn: true });
      }
      if (metric.query) {
        const rendered = renderFlaggerQuery(metric.query, this.model(withInterval));
        out.push({ metric: withInterval, query: rendered.query, problem: rendered.error, kind: 'custom', builtIn: true });
      }
      if (metric.templateRef) {
        const template = this.release.index.get('MetricTemplate', metric.templateRef.namespace || this.release.namespace, metric.templateRef.name);
        const provider = template?.spec?.provider?.type ?? 'prometheus';
        if (!template) {
          out.push({ metric: withInterval, problem: `the MetricTemplate ${metric.templateRef.name} is not in the manifests`, kind: 'custom', builtIn: false });
        } else if (provider !== 'prometheus') {
          out.push({ metric: withInterval, problem: `provider '${provider}' is outside what the rehearsal evaluates (it runs Prometheus queries)`, kind: 'custom', builtIn: false });
        } else {
          // A templateRef metric without an interval renders {{ interval }} empty (scheduler_metrics.go passes metric.Interval as is).
          const rendered = renderFlaggerQuery(template.spec?.query ?? '', this.model({ ...metric, interval: metric.interval ?? '' }));
          out.push({ metric, query: rendered.query, problem: rendered.error, kind: 'custom', builtIn: false });
        }
      } else if (metric.name !== 'request-success-rate' && metric.name !== 'request-duration' && !metric.query) {
        out.push({ metric: withInterval, problem: 'no usable metrics template and query were configured', kind: 'custom', builtIn: false });
      }
      return out;
    });
  }

  /** runAnalysis: rollout webhooks, then every built-in check, then every template's check; the first failure stops it. */
  private async runAnalysis(env: ControllerEnv): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    for (const hook of this.webhooks.filter((w) => w.type === 'rollout')) {
      const result = this.callCommand(env, hook);
      results.push(result);
      if (result.verdict === 'fail') return results;
    }
    const checks = this.queries();
    const ordered = [...checks.filter((c) => c.builtIn), ...checks.filter((c) => !c.builtIn)];
    // Every query is sent at once (they read the same moment), then judged in Flagger's order.
    const answers = await Promise.all(ordered.map((c) => (c.query && !c.problem ? env.query(c.query) : Promise.resolve(undefined))));
    let failed = false;
    ordered.forEach((check, i) => {
      const name = check.metric.name;
      if (failed) {
        results.push({ name, verdict: 'not run', query: check.query });
        return;
      }
      const answer = answers[i];
      if (answer === undefined) {
        const outside = check.problem?.includes('outside what the rehearsal');
        if (outside) {
          this.noteOnce(`${name}: ${check.problem}; the rehearsal counts it as passing`);
          results.push({ name, verdict: 'not evaluated', detail: check.problem });
          return;
        }
        failed = true;
        results.push({ name, verdict: 'error', detail: check.problem });
        return;
      }
      const read = flaggerValue(answer);
      if (read.value === undefined) {
        failed = true;
        results.push({ name, verdict: read.noValues ? 'no values' : 'error', detail: read.problem, query: check.query });
        return;
      }
      const builtInScale = check.kind === 'duration' ? builtInObserver(this.metricsProvider).observer.durationScale : 1;
      const value = read.value * builtInScale;
      const verdict = judge(check.metric, value, check.kind);
      if (!verdict.pass) failed = true;
      results.push({ name, value, verdict: verdict.pass ? 'pass' : 'fail', detail: verdict.detail, query: check.query });
    });
    return results;
  }

  private noteOnce(note: string): void {
    if (!this.notes.includes(note)) this.notes.push(note);
  }
}

function isApproved(at: number | undefined, now: number): boolean {
  return at !== undefined && at <= now + 1e-9;
}

/** The webhooks of a Canary that call the loadtester's gate, by type. */
export function gateWebhooks(canary: Manifest): { name: string; type: string }[] {
  return (canary.spec?.analysis?.webhooks ?? [])
    .filter((w: any) => String(w.type ?? '').startsWith('confirm-') && /\/gate\//.test(String(w.url ?? '')))
    .map((w: any) => ({ name: w.name, type: w.type }));
}
