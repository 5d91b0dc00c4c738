import { Duration } from 'cdk8s';
import { ArgoMetric, jobLoadDuration } from './argo-metrics';
import { ArgoPlan, BACKGROUND_TEMPLATE } from './argo-plan';
import { ACCEPTANCE_TEMPLATE } from './argo-steps';
import { ResolvedAnalysis } from '../../analysis/analysis';
import { parseGoDuration } from '../../analysis/load-command';
import { formatDuration } from '../../plan/format';
import { BadCanaryExposure, PlannedCheck, PlannedCheckKind, ProgressDeadline, RolloutPhase, RolloutPlan } from '../../plan/rollout-plan';
import { ARGO_SLACK_SECONDS, count, windowGaps } from '../../plan/timing';

export interface ArgoPlanInput {
  readonly name: string;
  readonly namespace: string;
  readonly analysis: ResolvedAnalysis;
  readonly plan: ArgoPlan;
  /** The Rollout's progress deadline and what counts against it. */
  readonly progressDeadline?: ProgressDeadline;
  /** Notes of the engine's own (e.g. how weights become replica counts). */
  readonly notes?: string[];
}


/** One measured metric's schedule, in seconds. */
interface Schedule {
  readonly name: string;
  readonly kind: PlannedCheckKind;
  readonly initialDelay: number;
  readonly interval: number;
  readonly failureLimit: number;
  /** Measurements of a step analysis; undefined in the background (until the rollout ends). */
  readonly count?: number;
  /** How long one measurement takes (a Job's command), when known. */
  readonly duration: number;
}

interface OpenPhase {
  description: string;
  weight: number;
  start: number;
  end: number;
  waitsForPerson: boolean;
  stepChecks: PlannedCheck[];
  /** Who reaches the new version in this phase, when not a weight: e.g. "on employees (header x-canary: insider)". */
  exposure?: string;
  /** The header routes that send segments to the new version in this phase, and those segments. */
  routes?: string[];
  segments?: string[];
}

const seconds = (value: string | undefined): number => (value === undefined ? 0 : parseGoDuration(value) ?? 0);

function scheduleOf(metric: ArgoMetric, stepCount?: number): Schedule {
  const job = metric.provider?.job !== undefined;
  return {
    name: metric.name,
    kind: job ? PlannedCheckKind.LOAD : PlannedCheckKind.METRIC,
    initialDelay: seconds(metric.initialDelay),
    interval: seconds(metric.interval),
    failureLimit: metric.failureLimit ?? 0,
    count: metric.count ?? stepCount,
    duration: job ? jobLoadDuration(metric)?.toSeconds() ?? 0 : 0,
  };
}

/** When a schedule's k-th measurement (from 0) is taken, after its analysis starts, at the earliest. */
function measuredAt(schedule: Schedule, k: number): number {
  return schedule.initialDelay + k * (schedule.interval + schedule.duration);
}

/** How long a step analysis lasts at the least: until every metric has made its `count` measurements. */
function stepAnalysisDuration(schedules: Schedule[]): number {
  return Math.max(0, ...schedules.map((s) => measuredAt(s, (s.count ?? 1) - 1) + s.duration));
}

/** How long an analysis that ends (a step's, or blue/green's pre- or post-promotion) lasts at the least, in seconds. */
export function boundedAnalysisSeconds(metrics: ArgoMetric[]): number {
  return stepAnalysisDuration(metrics.map((metric) => scheduleOf(metric)));
}

/**
 * The rollout as Argo Rollouts 1.9 runs it: the steps in order (a setWeight step completes once the
 * canary pods are available, a timed pause after its duration, an indefinite pause when someone
 * promotes, an analysis step when its run succeeds), and a background analysis from `startingStep`
 * on that does not hold the steps: it measures first after `initialDelay`, then `interval` after the
 * previous measurement ended, and aborts the rollout only when failures exceed `failureLimit`
 * (argo-rollouts analysis/analysis.go). When the last step completes the run is terminated and
 * counts as successful, however few measurements it made (rollout/analysis.go, docs
 * features/analysis.md).
 */
export function planArgo(input: ArgoPlanInput): RolloutPlan {
  const { analysis, plan } = input;
  if (plan.blueGreen) return planArgoBlueGreen(input);
  const background = (plan.templates[BACKGROUND_TEMPLATE] ?? []).map((metric) => scheduleOf(metric));
  const schedulesOf = (role: string) => (plan.templates[role] ?? []).map((metric) => scheduleOf(metric));
  const acceptance = (plan.templates[ACCEPTANCE_TEMPLATE] ?? []).map((metric) => metric.name as string);
  const stepRoles = [...new Set(plan.steps.map((step) => step.analysis?.templates as string | undefined)
    .filter((role): role is string => role !== undefined && role !== ACCEPTANCE_TEMPLATE))];

  const phases: OpenPhase[] = [];
  let phase: OpenPhase = { description: 'new revision: canary pods start', weight: 0, start: 0, end: 0, waitsForPerson: false, stepChecks: [] };
  phases.push(phase);
  let t = 0;
  let backgroundStart: number | undefined;
  const stepAborts: Abort[] = [];
  let acceptanceAt: number | undefined;
  let canaryScale: number | undefined;
  plan.steps.forEach((step, index) => {
    if (index === plan.startingStep) backgroundStart = t;
    if (step.setWeight !== undefined) {
      phase = { description: `weight ${step.setWeight}%`, weight: step.setWeight, start: t, end: t, waitsForPerson: false, stepChecks: [] };
      phases.push(phase);
    } else if (step.pause !== undefined) {
      if (step.pause.duration === undefined) phase.waitsForPerson = true;
      t += seconds(step.pause.duration);
    } else if (step.analysis !== undefined && step.analysis.templates !== ACCEPTANCE_TEMPLATE) {
      const schedules = schedulesOf(step.analysis.templates);
      schedules.filter((s) => s.kind === PlannedCheckKind.METRIC)
        .forEach((s) => stepAborts.push({ at: t + measuredAt(s, s.failureLimit), weight: phase.weight, exposure: phase.exposure ?? `at ${phase.weight}%` }));
      phase.stepChecks.push(...schedules.map((s) => ({ name: s.name, kind: s.kind, measurements: s.count ?? 1 })));
      t += stepAnalysisDuration(schedules);
    } else if (step.analysis?.templates === ACCEPTANCE_TEMPLATE) {
      acceptanceAt ??= t;
      phase.description = phase.weight === 0 ? 'acceptance tests on one canary pod' : `${phase.description}, acceptance tests`;
      phase.stepChecks.push(...acceptance.map((name) => ({ name, kind: PlannedCheckKind.TEST, measurements: 1 })));
    } else if (step.setHeaderRoute !== undefined) {
      const route = step.setHeaderRoute.name as string;
      const segment = plan.segments[route] ?? `requests matching header route '${route}'`;
      if (step.setHeaderRoute.match && phase.routes?.length && phase.start === t && phase.stepChecks.length === 0) {
        // Routes set one after another make one phase: any of their segments.
        phase.routes.push(route);
        phase.segments!.push(segment);
      } else {
        phase = step.setHeaderRoute.match
          ? { ...phase, routes: [route], segments: [segment] }
          : { ...phase, description: `weight ${phase.weight}%`, exposure: undefined, routes: undefined, segments: undefined };
        Object.assign(phase, { start: t, end: t, waitsForPerson: false, stepChecks: [] });
        phases.push(phase);
      }
      if (phase.routes) {
        const segments = phase.segments!.join(' or ');
        const routes = phase.routes.map((r) => `'${r}'`).join(', ');
        phase.description = `${segments} (header route${phase.routes.length > 1 ? 's' : ''} ${routes})${canaryScale ? `, canary at ${canaryScale}% of the pods` : ''}`;
        phase.exposure = `on ${segments}`;
      }
    } else if (step.setMirrorRoute !== undefined) {
      const mirrored = step.setMirrorRoute.percentage;
      phase = mirrored !== undefined && step.setMirrorRoute.match
        ? { ...phase, description: `mirror ${mirrored}% of the traffic to the new version`, exposure: 'on mirrored traffic (its answers are dropped)' }
        : { ...phase, description: `weight ${phase.weight}%`, exposure: undefined };
      Object.assign(phase, { start: t, end: t, waitsForPerson: false, stepChecks: [] });
      phases.push(phase);
    } else if (step.setCanaryScale !== undefined) {
      canaryScale = step.setCanaryScale.weight;
    }
    phase.end = t;
  });
  const promotion = t;

  // The measurements k = 0, 1, ... at backgroundStart + measuredAt(s, k) that end (with slack)
  // before promotion, counted in [from, to) (to the promotion itself included), without a loop:
  // a long pause or interval would make one run for minutes.
  const measuredIn = (s: Schedule, from: number, to: number): number => {
    if (backgroundStart === undefined) return 0;
    const first = backgroundStart + measuredAt(s, 0);
    const step = s.interval + s.duration;
    const lastTime = promotion - ARGO_SLACK_SECONDS;
    if (first > lastTime) return 0;
    const inWindow = (when: number) => when >= from && (when < to || (to === promotion && when <= promotion));
    if (step <= 0) return Number(inWindow(first));
    const last = Math.floor((lastTime - first) / step);
    const low = Math.max(0, Math.ceil((from - first) / step));
    const high = Math.min(last, to === promotion ? Math.floor((promotion - first) / step) : Math.ceil((to - first) / step) - 1);
    return Math.max(0, high - low + 1);
  };
  const rolloutPhases: RolloutPhase[] = phases
    .filter((p) => p.end > p.start || p.waitsForPerson || p.stepChecks.length > 0)
    .map((p) => ({
      description: p.description,
      weight: p.weight,
      startsAfter: Duration.seconds(p.start),
      minDuration: Duration.seconds(p.end - p.start),
      waitsForPerson: p.waitsForPerson,
      checks: [
        ...p.stepChecks,
        ...background
          .map((s) => ({
            name: s.name,
            kind: s.kind,
            measurements: s.kind === PlannedCheckKind.LOAD ? Number(p.end > (backgroundStart ?? Infinity)) : measuredIn(s, p.start, p.end),
          }))
          .filter((check) => check.measurements > 0),
      ],
    }));

  const problems: string[] = [];
  const notes: string[] = [];
  const checks = background.filter((s) => s.kind === PlannedCheckKind.METRIC);
  const backgroundAborts: Abort[] = [];
  if (checks.length > 0 && backgroundStart !== undefined) {
    const measuresCanary = phases.some((p) => p.end > backgroundStart! && p.weight > 0 && p.weight < 100);
    if (!measuresCanary) {
      problems.push(`the background analysis starts at ${plan.startingStepName}, after the last weight below 100%: it never measures the canary while the stable version still takes traffic; start it earlier ('analysisStartingStep') or hold a weight below 100% after it`);
    }
    for (const s of checks) {
      const possible = measuredIn(s, -Infinity, promotion);
      const abortAt = backgroundStart + measuredAt(s, s.failureLimit);
      if (possible >= s.failureLimit + 1) {
        const weight = weightAt(phases, abortAt);
        backgroundAborts.push({ at: abortAt, weight, exposure: `at ${weight}%` });
        continue;
      }
      const needed = abortAt + ARGO_SLACK_SECONDS - promotion;
      problems.push(`the background analysis can measure '${s.name}' only ${count(possible, 'time')} before full promotion `
        + `(it starts at ${plan.startingStepName}, measures first after ${formatDuration(Duration.seconds(s.initialDelay))} and then every ${formatDuration(Duration.seconds(s.interval))}, `
        + `and the steps from there take ${formatDuration(Duration.seconds(promotion - backgroundStart))} without the time people take), `
        + `but it takes ${count(s.failureLimit + 1, 'failed measurement')} to abort (failureLimit ${s.failureLimit}, from 'analysis.threshold' ${analysis.threshold}): `
        + `an analysis cut short by promotion counts as successful, so a bad canary would be promoted. Hold the weights at least ${formatDuration(Duration.seconds(needed))} longer after ${plan.startingStepName} `
        + "(a longer RolloutStep.pause() at a weight below 100%), or lower 'analysis.interval' or 'analysis.threshold'");
    }
  }
  problems.push(...windowGaps(analysis.metrics, analysis.interval));
  for (const role of stepRoles) problems.push(...stepLoadCoverage(schedulesOf(role)));
  const hasChecks = checks.length > 0 || acceptance.length > 0
    || stepRoles.some((role) => schedulesOf(role).some((s) => s.kind === PlannedCheckKind.METRIC));
  if (!hasChecks) {
    problems.push("the analysis has no checks, so nothing can stop a bad canary: add metrics to 'analysis.metrics' (e.g. CanaryMetric.requestSuccessRate()), or a test to 'analysis.webhooks'");
  }
  if (checks.length > 0) {
    notes.push('the background analysis does not hold the steps: they advance on their own schedule, and only failures beyond failureLimit abort');
  }
  notes.push(...input.notes ?? []);

  const aborts = [...backgroundAborts, ...stepAborts].sort((a, b) => a.at - b.at);
  const firstTraffic = phases.find((p) => p.weight > 0 || p.exposure !== undefined)?.start ?? 0;
  const failures = [...aborts.map((a) => a.at), ...(acceptanceAt !== undefined ? [acceptanceAt] : [])];
  const badCanary: BadCanaryExposure | undefined = aborts.length > 0 && problems.length === 0 ? {
    rolledBackAfter: Duration.seconds(Math.max(0, aborts[0].at - firstTraffic)),
    weight: aborts[0].weight,
    description: `its measurements fail from the start; the rollout is aborted after ${formatDuration(Duration.seconds(Math.max(0, aborts[0].at - firstTraffic)))} of traffic`
      + `${phases.some((p) => p.waitsForPerson && p.start <= aborts[0].at) ? ' (plus the time people take)' : ''}, ${aborts[0].exposure}`,
  } : undefined;

  return new RolloutPlan({
    service: input.name,
    namespace: input.namespace,
    engine: 'argo-rollouts',
    summary: `measures every ${formatDuration(analysis.interval)}; aborts after ${count(analysis.threshold, 'failed measurement')} of a metric; ${plan.steps.length} steps`
      + (backgroundStart !== undefined ? `, background analysis from ${plan.startingStepName}` : ', step analyses'),
    phases: [...rolloutPhases, {
      description: 'full promotion', weight: 100, startsAfter: Duration.seconds(promotion), minDuration: Duration.seconds(0), waitsForPerson: false, checks: [],
    }],
    earliestPromotion: Duration.seconds(promotion),
    firstPossibleFailure: failures.length > 0 ? Duration.seconds(Math.min(...failures)) : undefined,
    badCanary,
    progressDeadline: input.progressDeadline,
    problems,
    notes,
  });
}

/** When a failing metric aborts the rollout, and who had the new version then. */
interface Abort {
  readonly at: number;
  readonly weight: number;
  readonly exposure: string;
}

function weightAt(phases: OpenPhase[], t: number): number {
  let weight = 0;
  for (const p of phases) {
    if (p.start <= t) weight = p.weight;
  }
  return weight;
}

/** In a step analysis, load Jobs that run `count` times must last until the metrics' last measurement. */
function stepLoadCoverage(schedules: Schedule[]): string[] {
  const metrics = schedules.filter((s) => s.kind === PlannedCheckKind.METRIC);
  const last = Math.max(0, ...metrics.map((s) => measuredAt(s, (s.count ?? 1) - 1)));
  return schedules
    .filter((s) => s.kind === PlannedCheckKind.LOAD && s.duration > 0)
    .filter((s) => (s.count ?? 1) * s.duration < last)
    .map((s) => `in a RolloutStep.analysis() step the load test '${s.name}' runs ${count(s.count ?? 1, 'time')} for ${formatDuration(Duration.seconds(s.duration))}, `
      + `but the metrics measure until ${formatDuration(Duration.seconds(last))}: the load stops before the analysis does; use CanaryWebhook.loadTest() without 'command', or a longer duration in the command`);
}

/**
 * Blue/green by Service switch: the new version comes up at full size behind the preview Service;
 * the pre-promotion analysis must succeed before the active Service switches (rollout/service.go);
 * the post-promotion analysis then checks it with the live traffic, the old version still up
 * (rollout/bluegreen.go), and an abort switches back.
 */
function planArgoBlueGreen(input: ArgoPlanInput): RolloutPlan {
  const { analysis, plan } = input;
  const bg = plan.blueGreen!;
  const pre = (plan.templates[bg.prePromotion] ?? []).map((metric) => scheduleOf(metric));
  const post = (plan.templates[bg.postPromotion] ?? []).map((metric) => scheduleOf(metric));
  const preDuration = stepAnalysisDuration(pre);
  const postDuration = stepAnalysisDuration(post);
  const checks = (schedules: Schedule[]) => schedules.map((s) => ({ name: s.name, kind: s.kind, measurements: s.count ?? 1 }));
  const preAborts = pre.filter((s) => s.kind === PlannedCheckKind.METRIC).map((s) => measuredAt(s, s.failureLimit));
  const problems = [...windowGaps(analysis.metrics, analysis.interval), ...stepLoadCoverage(pre), ...stepLoadCoverage(post)];
  if (!pre.some((s) => s.kind === PlannedCheckKind.METRIC) && !pre.some((s) => s.kind === PlannedCheckKind.TEST)) {
    problems.push("the analysis has no checks, so nothing can stop a bad release before the switch: add metrics to 'analysis.metrics' (e.g. CanaryMetric.requestSuccessRate()), or a test to 'analysis.webhooks'");
  }
  const firstAbort = preAborts.length ? Math.min(...preAborts) : undefined;
  return new RolloutPlan({
    service: input.name,
    namespace: input.namespace,
    engine: 'argo-rollouts',
    summary: `blue/green: measures every ${formatDuration(analysis.interval)}, ${count(pre.find((s) => s.kind === PlannedCheckKind.METRIC)?.count ?? 0, 'time')} before the switch, then after it`,
    phases: [
      {
        description: 'preview: the new version beside the old one, no live traffic',
        weight: 0,
        startsAfter: Duration.seconds(0),
        minDuration: Duration.seconds(preDuration),
        waitsForPerson: !bg.autoPromote,
        checks: checks(pre),
      },
      {
        description: 'switch: all traffic to the new version, the old one still up',
        weight: 100,
        startsAfter: Duration.seconds(preDuration),
        minDuration: Duration.seconds(postDuration),
        waitsForPerson: false,
        checks: checks(post),
      },
      { description: 'full promotion', weight: 100, startsAfter: Duration.seconds(preDuration + postDuration), minDuration: Duration.seconds(0), waitsForPerson: false, checks: [] },
    ],
    earliestPromotion: Duration.seconds(preDuration + postDuration),
    firstPossibleFailure: firstAbort !== undefined ? Duration.seconds(firstAbort) : undefined,
    badCanary: firstAbort !== undefined && problems.length === 0 ? {
      rolledBackAfter: Duration.seconds(firstAbort),
      weight: 0,
      description: `its checks fail before the switch; the release is aborted after ${formatDuration(Duration.seconds(firstAbort))} of load-test traffic, before any user reached it`,
    } : undefined,
    progressDeadline: input.progressDeadline,
    problems,
    notes: bg.scaleDownDelay ? [`the old version stays ${formatDuration(bg.scaleDownDelay)} after the switch, whatever the post-promotion analysis does`] : [],
  });
}
