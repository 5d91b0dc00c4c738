import { ExpressionError, UnsupportedExpression, compileCondition } from './expr';
import { parseGoDuration } from '../../analysis/load-command';
import { CheckResult, ControllerEnv } from '../controller';
import { QueryResult } from '../prometheus/server';

/** AnalysisRun and measurement phases (pkg/apis/rollouts/v1alpha1/analysis_types.go). */
export type AnalysisPhase = 'Pending' | 'Running' | 'Successful' | 'Failed' | 'Error' | 'Inconclusive';

/** analysisutil.analysisStatusOrder: best to worst. */
const ORDER: AnalysisPhase[] = ['Successful', 'Running', 'Pending', 'Inconclusive', 'Error', 'Failed'];
const worse = (current: AnalysisPhase, next: AnalysisPhase) => ORDER.indexOf(next) > ORDER.indexOf(current);
const completed = (phase: AnalysisPhase) => phase === 'Successful' || phase === 'Failed' || phase === 'Error' || phase === 'Inconclusive';

/** analysis/analysis.go, DefaultErrorRetryInterval. */
export const ERROR_RETRY_SECONDS = 10;
/** utils/defaults, DefaultConsecutiveErrorLimit. */
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;

interface Measurement {
  phase: AnalysisPhase | 'Running';
  startedAt: number;
  finishedAt?: number;
  value?: string;
  /** A Job's end, while it runs. */
  resumeAt?: number;
}

interface MetricResult {
  phase: AnalysisPhase;
  measurements: Measurement[];
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  consecutiveError: number;
  consecutiveSuccess: number;
  /** Every measurement's check, for the report. */
  readonly log: (CheckResult & { t: number })[];
}

/** One argument of a template or a Rollout reference. */
export interface Argument {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: any;
}

/** What the rehearsal knows of the ReplicaSets when a run is created (for `valueFrom.podTemplateHashValue`). */
export interface ArgumentContext {
  readonly latestHash: string;
  readonly stableHash: string;
}

/**
 * The arguments of a run: the templates' declared arguments, overridden by the Rollout's
 * (analysisutil.NewAnalysisRunFromTemplates, MergeArgs), with `podTemplateHashValue` resolved to
 * the new (Latest) or stable ReplicaSet's hash (BuildArgumentsForRolloutAnalysisRun).
 */
export function resolveArguments(
  templateArgs: Argument[], rolloutArgs: Argument[], context: ArgumentContext,
): { values: Map<string, string>; missing: string[]; secrets: string[] } {
  const values = new Map<string, string>();
  const missing: string[] = [];
  const secrets: string[] = [];
  const given = new Map(rolloutArgs.map((a) => [a.name, a]));
  const names = [...new Set([...templateArgs.map((a) => a.name), ...rolloutArgs.map((a) => a.name)])];
  for (const name of names) {
    const arg = given.get(name) ?? templateArgs.find((a) => a.name === name)!;
    const fallback = templateArgs.find((a) => a.name === name);
    if (arg.value !== undefined) {
      values.set(name, String(arg.value));
    } else if (arg.valueFrom?.podTemplateHashValue) {
      values.set(name, arg.valueFrom.podTemplateHashValue === 'Latest' ? context.latestHash : context.stableHash);
    } else if (arg.valueFrom?.secretKeyRef) {
      values.set(name, `secret-${name}`);
      secrets.push(name);
    } else if (fallback?.value !== undefined) {
      values.set(name, String(fallback.value));
    } else if (templateArgs.some((a) => a.name === name)) {
      missing.push(name);
    }
  }
  return { values, missing, secrets };
}

/** Substitutes `{{args.x}}` (spaces allowed) as utils/template ResolveArgs does; an unknown tag is an error. */
export function substituteArguments(text: string, values: Map<string, string>): { text: string; error?: string } {
  let error: string | undefined;
  const out = text.replace(/\{\{([^}]*)\}\}/g, (_, tag: string) => {
    const cleaned = tag.trim();
    const value = cleaned.startsWith('args.') ? values.get(cleaned.slice(5)) : undefined;
    if (value === undefined) {
      error ??= `failed to resolve {{${tag}}}`;
      return '';
    }
    return value;
  });
  return { text: out, error };
}

/** A metric of a run with its arguments substituted. */
interface ResolvedMetric {
  readonly metric: any;
  readonly dryRun: boolean;
  readonly query?: string;
  readonly success?: (result: any) => boolean;
  readonly failure?: (result: any) => boolean;
  /** The conditions use what the rehearsal does not evaluate. */
  readonly unsupported?: string;
  /** The metric's provider is not evaluated by the rehearsal (counted as successful). */
  readonly notEvaluated?: string;
  /** A Job: its command and whether it is a load or a test. */
  readonly job?: { command: string; load: boolean };
}

/**
 * One AnalysisRun as Argo Rollouts 1.9.1 runs it, with where argoproj/argo-rollouts v1.9.1 does it
 * (analysis/analysis.go unless named):
 * - generateMetricTasks (:176): a metric measures first at once, or `initialDelay` after the run
 *   started (StartedAt is set by the first reconcile, :442, so a delayed metric never measures in it;
 *   :204-218); then each `interval` after the previous measurement finished (FinishedAt, :232-246),
 *   10 s after an Error (DefaultErrorRetryInterval, :30); it stops at `count` (:225; EffectiveCount:
 *   1 with neither count nor interval, unbounded with only an interval);
 * - a measurement (metricproviders/prometheus/prometheus.go:84 Run, :155 processResponse: the query
 *   at that moment, `result` the vector's values; utils/evaluate/evaluate.go:19 EvaluateResult:
 *   successCondition/failureCondition; a query or expression error is Error) counts into successful,
 *   failed, inconclusive, or error and consecutiveError (runMeasurements :312); a Job measures until
 *   it ends, and a terminated one counts as Successful (metricproviders/job/job.go:138, :214);
 * - assessMetricFailureInconclusiveOrError (:658): Failed when failed > failureLimit (default 0;
 *   negative: never), Inconclusive when inconclusive > inconclusiveLimit (default 0), Error when
 *   consecutiveError > consecutiveErrorLimit (default 4, utils/defaults/defaults.go:37), the later
 *   winning; assessMetricStatus (:579): Successful at `count`, else Running;
 * - assessRunStatus (:436): a completed non-dry-run metric that is Failed, Error or Inconclusive
 *   makes the run terminate (utils/analysis/helpers.go:84 IsTerminating); the run takes its worst
 *   completed status once every metric has completed; a terminated run's metrics that run
 *   indefinitely count as Successful, and so does a run terminated before any measurement (:586);
 *   dry-run metrics never decide the run;
 * - calculateNextReconcileTime (:691): the earliest next measurement of the metrics still running.
 */
export class AnalysisRunModel {
  /** EffectiveCount: count, else 1 without an interval, else unbounded. */
  private static effectiveCount(metric: any): number | undefined {
    const count = Number(metric.count ?? 0);
    if (!count) return metric.interval ? undefined : 1;
    return count;
  }

  /** assessMetricFailureInconclusiveOrError. */
  private static failureOf(metric: any, r: MetricResult): { phase?: AnalysisPhase; message?: string } {
    let phase: AnalysisPhase | undefined;
    let message: string | undefined;
    const failureLimit = metric.failureLimit === undefined ? 0 : Number(metric.failureLimit);
    if (failureLimit >= 0 && r.failed > failureLimit) {
      phase = 'Failed';
      message = `failed (${r.failed}) > failureLimit (${failureLimit})`;
    }
    const inconclusiveLimit = metric.inconclusiveLimit === undefined ? 0 : Number(metric.inconclusiveLimit);
    if (r.inconclusive > inconclusiveLimit) {
      phase = 'Inconclusive';
      message = `inconclusive (${r.inconclusive}) > inconclusiveLimit (${inconclusiveLimit})`;
    }
    const errorLimit = metric.consecutiveErrorLimit === undefined ? DEFAULT_CONSECUTIVE_ERROR_LIMIT : Number(metric.consecutiveErrorLimit);
    if (r.consecutiveError > errorLimit) {
      phase = 'Error';
      message = `consecutiveErrors (${r.consecutiveError}) > consecutiveErrorLimit (${errorLimit})`;
    }
    return { phase, message };
  }

  /** assessMetricStatus. */
  private static metricStatus(metric: any, r: MetricResult, terminating: boolean): AnalysisPhase {
    if (completed(r.phase)) return r.phase;
    if (r.measurements.length === 0) return terminating ? 'Successful' : 'Pending';
    const last = r.measurements[r.measurements.length - 1];
    if (!completed(last.phase as AnalysisPhase)) return 'Running';
    const failure = AnalysisRunModel.failureOf(metric, r);
    if (failure.phase) return failure.phase;
    const successLimit = Number(metric.consecutiveSuccessLimit ?? 0);
    if (successLimit > 0 && r.consecutiveSuccess >= successLimit) return 'Successful';
    const count = AnalysisRunModel.effectiveCount(metric);
    if (count !== undefined && r.count >= count) {
      const failureApplicable = metric.failureLimit === undefined || Number(metric.failureLimit) >= 0;
      if (failureApplicable && successLimit > 0) return 'Inconclusive';
      if (successLimit > 0) return 'Failed';
      return 'Successful';
    }
    return terminating ? 'Successful' : 'Running';
  }

  public phase: AnalysisPhase = 'Running';
  public startedAt?: number;
  public terminate = false;
  public completedAt?: number;
  public message?: string;
  public readonly results = new Map<string, MetricResult>();
  private readonly metrics: ResolvedMetric[] = [];
  /** Notes on what the rehearsal could not evaluate. */
  public readonly notes: string[] = [];

  constructor(
    public readonly name: string,
    public readonly createdAt: number,
    templates: { spec: any; name: string }[],
    rolloutArgs: Argument[],
    context: ArgumentContext,
    dryRun: { metricName: string }[] = [],
  ) {
    const templateArgs: Argument[] = templates.flatMap((t) => t.spec?.args ?? []);
    const { values, missing } = resolveArguments(templateArgs, rolloutArgs, context);
    if (missing.length > 0) {
      this.phase = 'Error';
      this.message = `Unable to resolve metric arguments: argument "${missing[0]}" was not supplied`;
      this.completedAt = createdAt;
      return;
    }
    // GetDryRunMetrics (utils/analysis/helpers.go:135 @v1.9.1): regexp.MatchString, a match anywhere in the name.
    const dryRunPatterns = dryRun.map((d) => new RegExp(d.metricName));
    const resolved: any[] = [];
    for (const template of templates) {
      for (const raw of template.spec?.metrics ?? []) {
        const substituted = substituteArguments(JSON.stringify(raw), new Map([...values].map(([k, v]) => [k, JSON.stringify(v).slice(1, -1)])));
        if (substituted.error) {
          this.phase = 'Error';
          this.message = `Unable to resolve metric arguments: ${substituted.error}`;
          this.completedAt = createdAt;
          return;
        }
        resolved.push(JSON.parse(substituted.text));
      }
    }
    // A rule that matches no metric makes the run Error (helpers.go:140-141; analysis/analysis.go:79-86).
    const unmatched = dryRunPatterns.findIndex((p) => !resolved.some((metric) => p.test(metric.name)));
    if (unmatched >= 0) {
      this.phase = 'Error';
      this.message = `Analysis spec invalid: dryRun[${unmatched}]: Rule didn't match any metric name(s)`;
      this.completedAt = createdAt;
      return;
    }
    for (const metric of resolved) this.metrics.push(this.resolve(metric, dryRunPatterns.some((p) => p.test(metric.name))));
  }

  private resolve(metric: any, dryRun: boolean): ResolvedMetric {
    const provider = metric.provider ?? {};
    const compile = (condition: string | undefined) => {
      if (!condition) return { fn: undefined };
      try {
        return { fn: compileCondition(condition) };
      } catch (error) {
        if (error instanceof UnsupportedExpression) return { unsupported: `'${condition}' uses ${error.message}` };
        return { fn: () => { throw error; } };
      }
    };
    if (provider.job) {
      const container = provider.job.spec?.template?.spec?.containers?.[0] ?? {};
      const command = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
      const script = (container.command ?? [])[(container.command ?? []).length - 1] ?? command;
      return { metric, dryRun, job: { command: script, load: /\b(hey|ghz)\b/.test(script) } };
    }
    if (provider.prometheus) {
      const success = compile(metric.successCondition);
      const failure = compile(metric.failureCondition);
      const unsupported = success.unsupported ?? failure.unsupported;
      if (provider.prometheus.rangeQuery) {
        return { metric, dryRun, notEvaluated: 'a rangeQuery is outside what the rehearsal evaluates (it sends instant queries)' };
      }
      return { metric, dryRun, query: provider.prometheus.query, success: success.fn, failure: failure.fn, unsupported };
    }
    const kind = Object.keys(provider)[0] ?? 'none';
    return { metric, dryRun, notEvaluated: `provider '${kind}' is outside what the rehearsal evaluates (it runs Prometheus queries and Jobs)` };
  }

  /** The Prometheus queries of the run's metrics (for the traffic model to keep the series they read). */
  public get queries(): string[] {
    return this.metrics.flatMap((m) => (m.query ? [m.query] : []));
  }

  public get metricNames(): string[] {
    return this.metrics.map((m) => m.metric.name);
  }


  private result(name: string): MetricResult {
    let r = this.results.get(name);
    if (!r) {
      r = { phase: 'Running', measurements: [], count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, consecutiveError: 0, consecutiveSuccess: 0, log: [] };
      this.results.set(name, r);
    }
    return r;
  }

  private terminating(): boolean {
    if (this.terminate) return true;
    return this.metrics.some((m) => !m.dryRun && ['Failed', 'Error', 'Inconclusive'].includes(this.results.get(m.metric.name)?.phase ?? ''));
  }

  /** When this run next needs a reconcile (calculateNextReconcileTime), or undefined. */
  public nextReconcile(): number | undefined {
    if (completed(this.phase)) return undefined;
    let next: number | undefined;
    const consider = (t: number) => {
      next = next === undefined ? t : Math.min(next, t);
    };
    for (const m of this.metrics) {
      const r = this.results.get(m.metric.name);
      if (r && completed(r.phase)) continue;
      const last = r?.measurements[r.measurements.length - 1];
      if (!last) {
        const delay = parseGoDuration(m.metric.initialDelay ?? '') ?? 0;
        consider((this.startedAt ?? this.createdAt) + delay);
        continue;
      }
      if (last.finishedAt === undefined) {
        if (last.resumeAt !== undefined) consider(last.resumeAt);
        continue;
      }
      const count = AnalysisRunModel.effectiveCount(m.metric);
      if (count !== undefined && r!.count >= count) continue;
      const interval = last.phase === 'Error' ? ERROR_RETRY_SECONDS : parseGoDuration(m.metric.interval ?? '') ?? ERROR_RETRY_SECONDS;
      consider(last.finishedAt + interval);
    }
    return next;
  }

  /** One reconcile at `env.now` (reconcileAnalysisRun): measurements due, then the run's status. */
  public async reconcile(env: ControllerEnv): Promise<void> {
    if (completed(this.phase)) return;
    const now = env.now;
    const terminating = this.terminating();
    const tasks: { m: ResolvedMetric; resume?: Measurement }[] = [];
    for (const m of this.metrics) {
      const r = this.results.get(m.metric.name);
      if (r && completed(r.phase)) continue;
      const last = r?.measurements[r.measurements.length - 1];
      if (last && last.finishedAt === undefined) {
        if (last.resumeAt !== undefined && last.resumeAt > now + 1e-9 && !terminating) continue;
        tasks.push({ m, resume: last });
        continue;
      }
      if (terminating) continue;
      if (!last) {
        if (m.metric.initialDelay) {
          if (this.startedAt === undefined) continue;
          if (this.startedAt + (parseGoDuration(m.metric.initialDelay) ?? 0) > now + 1e-9) continue;
        }
        tasks.push({ m });
        continue;
      }
      const count = AnalysisRunModel.effectiveCount(m.metric);
      if (count !== undefined && r!.count >= count) continue;
      const interval = last.phase === 'Error' ? ERROR_RETRY_SECONDS : parseGoDuration(m.metric.interval ?? '') ?? ERROR_RETRY_SECONDS;
      if (now + 1e-9 >= last.finishedAt! + interval) tasks.push({ m });
    }
    await Promise.all(tasks.map((task) => this.measure(task.m, task.resume, terminating, env)));
    this.assess(now);
  }

  private async measure(m: ResolvedMetric, resume: Measurement | undefined, terminating: boolean, env: ControllerEnv): Promise<void> {
    const r = this.result(m.metric.name);
    const now = env.now;
    let measurement: Measurement;
    let check: CheckResult;
    if (resume) {
      measurement = resume;
      if (terminating && (resume.resumeAt === undefined || resume.resumeAt > now + 1e-9)) {
        // job.go, Terminate: the Job is deleted and the measurement counts as Successful.
        measurement.phase = 'Successful';
        check = { name: m.metric.name, verdict: 'pass', detail: 'terminated' };
      } else {
        measurement.phase = measurement.value === 'failed' ? 'Failed' : 'Successful';
        check = { name: m.metric.name, verdict: measurement.phase === 'Failed' ? 'fail' : 'pass', detail: m.job?.load ? 'load Job finished' : measurement.phase === 'Failed' ? 'test Job failed' : 'test Job passed' };
      }
      measurement.finishedAt = now;
    } else if (m.job) {
      // A Job runs its command; a load runs for its own duration, a test about a second.
      const load = m.job.load;
      const started = load ? env.startLoad(`argo/${this.name}/${m.metric.name}`, m.job.command) : 'unknown';
      const duration = load ? durationOf(m.job.command) ?? 60 : 1;
      const passed = load ? true : env.runTest(m.metric.name);
      measurement = { phase: 'Running', startedAt: now, resumeAt: now + duration, value: passed ? 'ok' : 'failed' };
      r.measurements.push(measurement);
      r.log.push({ t: now, name: m.metric.name, verdict: 'not run', detail: load ? (started === 'unknown' ? 'Job started' : 'load Job started') : 'test Job started' });
      return;
    } else if (m.notEvaluated || m.unsupported) {
      const why = m.notEvaluated ?? `the condition ${m.unsupported}, which is outside what the rehearsal evaluates`;
      if (!this.notes.includes(`${m.metric.name}: ${why}`)) this.notes.push(`${m.metric.name}: ${why}; the rehearsal counts it as successful`);
      measurement = { phase: 'Successful', startedAt: now, finishedAt: now };
      check = { name: m.metric.name, verdict: 'not evaluated', detail: why, dryRun: m.dryRun };
    } else {
      const answer = await env.query(m.query!);
      const evaluated = evaluateResult(answer, m);
      measurement = { phase: evaluated.phase, startedAt: now, finishedAt: now, value: evaluated.value };
      check = {
        name: m.metric.name,
        value: evaluated.number,
        verdict: evaluated.phase === 'Successful' ? 'pass' : evaluated.phase === 'Failed' ? 'fail' : evaluated.phase === 'Inconclusive' ? 'inconclusive' : 'error',
        detail: evaluated.detail,
        query: m.query,
        dryRun: m.dryRun,
      };
    }
    if (!resume) r.measurements.push(measurement);
    r.log.push({ t: now, ...check });
    switch (measurement.phase) {
      case 'Successful':
        r.successful++;
        r.count++;
        r.consecutiveError = 0;
        r.consecutiveSuccess++;
        break;
      case 'Failed':
        r.failed++;
        r.count++;
        r.consecutiveError = 0;
        r.consecutiveSuccess = 0;
        break;
      case 'Inconclusive':
        r.inconclusive++;
        r.count++;
        r.consecutiveError = 0;
        r.consecutiveSuccess = 0;
        break;
      case 'Error':
        r.error++;
        r.consecutiveError++;
        r.consecutiveSuccess = 0;
        break;
      default:
    }
  }


  /** assessRunStatus. */
  private assess(now: number): void {
    this.startedAt ??= now;
    const terminating = this.terminating();
    let worst: AnalysisPhase | undefined;
    let everything = true;
    for (const m of this.metrics) {
      const r = this.results.get(m.metric.name);
      if (!r) {
        if (terminating) {
          // A metric that never measured counts as Successful when the run is stopped.
          worst ??= 'Successful';
          continue;
        }
        everything = false;
        continue;
      }
      const status = AnalysisRunModel.metricStatus(m.metric, r, terminating);
      r.phase = status;
      if (!completed(status)) {
        everything = false;
        continue;
      }
      if (m.dryRun) {
        worst ??= 'Successful';
        continue;
      }
      if (worst === undefined || worse(worst, status)) {
        worst = status;
        const failure = AnalysisRunModel.failureOf(m.metric, r);
        if (failure.message) this.message = `Metric "${m.metric.name}" assessed ${status} due to ${failure.message}`;
      }
    }
    let phase: AnalysisPhase;
    if (terminating) phase = worst ?? 'Successful';
    else if (!everything || worst === undefined) phase = 'Running';
    else phase = worst;
    if (phase !== this.phase) {
      this.phase = phase;
      if (completed(phase)) this.completedAt = now;
    }
  }

  /** Every measurement's check, in time order. */
  public get log(): (CheckResult & { t: number })[] {
    return [...this.results.values()].flatMap((r) => r.log).sort((a, b) => a.t - b.t);
  }

  /** The first time a counting (non-dry-run) metric failed or errored a measurement. */
  public firstFailure(): number | undefined {
    const times = this.metrics.filter((m) => !m.dryRun).flatMap((m) => (this.results.get(m.metric.name)?.log ?? [])
      .filter((l) => l.verdict === 'fail' || l.verdict === 'error' || l.verdict === 'inconclusive').map((l) => l.t));
    return times.length > 0 ? Math.min(...times) : undefined;
  }
}

function durationOf(command: string): number | undefined {
  const match = command.match(/(?:^|\s)(?:-z|--duration)(?:\s+|=)(\S+)/);
  return match ? parseGoDuration(match[1].replace(/^['"]|['"]$/g, '')) : undefined;
}

/**
 * A Prometheus answer judged as Argo Rollouts judges it (metricproviders/prometheus, processResponse;
 * utils/evaluate, EvaluateResult): `result` is the vector's values (a scalar's value); neither
 * condition: Successful; only successCondition: Failed when it is false; only failureCondition:
 * Successful when it is false; both: Failed when failureCondition holds, Inconclusive when neither
 * does. A query or expression error is Error.
 */
export function evaluateResult(answer: QueryResult, m: { success?: (result: any) => boolean; failure?: (result: any) => boolean }):
{ phase: AnalysisPhase; value?: string; number?: number; detail?: string } {
  if (answer.error) return { phase: 'Error', detail: answer.error };
  let result: any;
  if (answer.resultType === 'scalar') result = answer.samples[0]?.value;
  else if (answer.resultType === 'vector' || answer.resultType === 'matrix') result = answer.samples.map((s) => s.value);
  else return { phase: 'Error', detail: 'Prometheus metric type not supported' };
  const number = Array.isArray(result) ? result[0] : result;
  const value = Array.isArray(result) ? `[${result.join(',')}]` : String(result);
  try {
    const success = m.success ? m.success(result) : false;
    let failure = m.failure ? m.failure(result) : false;
    let ok = success;
    if (!m.success && !m.failure) return { phase: 'Successful', value, number };
    if (m.success && !m.failure) failure = !success;
    if (!m.success && m.failure) ok = !failure;
    if (failure) return { phase: 'Failed', value, number, detail: value === '[]' ? 'no sample' : undefined };
    if (!ok) return { phase: 'Inconclusive', value, number };
    return { phase: 'Successful', value, number };
  } catch (error) {
    if (error instanceof ExpressionError) return { phase: 'Error', value, number, detail: error.message };
    throw error;
  }
}
