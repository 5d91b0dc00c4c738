import { Duration } from 'cdk8s';
import { ResolvedAnalysis } from '../../analysis/analysis';
import { loadCommandDuration } from '../../analysis/load-command';
import { CanaryWebhook, LoadTesterCommandType, WebhookType } from '../../analysis/webhook';
import { formatDuration } from '../../plan/format';
import { PlannedCheck, PlannedCheckKind, RolloutPhase, RolloutPlan } from '../../plan/rollout-plan';
import { MIN_LOAD_IN_WINDOW_SECONDS, count, windowGaps, windowOf } from '../../plan/timing';

export interface FlaggerPlanInput {
  readonly name: string;
  readonly namespace: string;
  /** The analysis as Flagger runs it (explicit steps already turned into weights and gates). */
  readonly analysis: ResolvedAnalysis;
  /** The command a loadtester webhook runs. */
  readonly commandOf: (webhookName: string) => string | undefined;
  readonly skipAnalysis: boolean;
}

/** The weights Flagger sets, in order: `stepWeights`, or `stepWeight` up to `maxWeight`. */
export function flaggerWeights(analysis: ResolvedAnalysis): number[] {
  if (analysis.stepWeights) return [...analysis.stepWeights];
  const weights: number[] = [];
  for (let weight = analysis.stepWeight!; weight < analysis.maxWeight!; weight += analysis.stepWeight!) weights.push(weight);
  weights.push(analysis.maxWeight!);
  return weights;
}

/**
 * The rollout as Flagger 1.44 runs it (pkg/controller/scheduler.go, advanceCanary), one tick per
 * `interval` counted from the tick that sees the new revision (T0):
 * - T0: confirm-rollout gates, the canary is scaled up; nothing else.
 * - T1: pre-rollout webhooks (acceptance tests, load warm-ups), confirm-traffic-increase, the first weight.
 * - T2 .. T(N+1): `rollout` webhooks and metric checks over the weight set one tick before; if all
 *   pass, confirm-traffic-increase and the next weight; at the last weight, confirm-promotion and
 *   Promote() in the same tick. A failed check holds the weight and adds one to `failedChecks`,
 *   which no passing check resets; the tick after it reaches `threshold`, the canary is rolled back.
 * - Promoting: the primary takes the new spec; one tick later (or one per `stepWeightPromotion`
 *   step) all traffic is on it; then finalising scales the canary to zero.
 */
export function planFlagger(input: FlaggerPlanInput): RolloutPlan {
  const { analysis } = input;
  const interval = analysis.interval.toSeconds();
  const at = (ticks: number) => Duration.seconds(ticks * interval);
  const weights = flaggerWeights(analysis);
  const n = weights.length;
  const byType = (type: WebhookType) => analysis.webhooks.filter((webhook) => webhook.type === type);
  const gate = (webhook: CanaryWebhook): PlannedCheck => ({ name: webhook.name, kind: PlannedCheckKind.GATE, measurements: 1 });
  const confirmRollout = byType(WebhookType.CONFIRM_ROLLOUT);
  const confirmIncrease = byType(WebhookType.CONFIRM_TRAFFIC_INCREASE);
  const confirmPromotion = byType(WebhookType.CONFIRM_PROMOTION);
  const preRollout = byType(WebhookType.PRE_ROLLOUT);
  const rollout = byType(WebhookType.ROLLOUT);
  const loads = rollout.filter((webhook) => webhook.commandType === LoadTesterCommandType.CMD && input.commandOf(webhook.name) !== undefined);
  const tests: PlannedCheck[] = preRollout.map((webhook) => ({ name: webhook.name, kind: PlannedCheckKind.TEST, measurements: 1 }));
  const perInterval: PlannedCheck[] = [
    ...rollout.map((webhook) => ({
      name: webhook.name, kind: loads.includes(webhook) ? PlannedCheckKind.LOAD : PlannedCheckKind.WEBHOOK, measurements: 1,
    })),
    ...analysis.metrics.map((metric) => ({ name: metric.name, kind: PlannedCheckKind.METRIC, measurements: 1 })),
  ];

  const promotionTicks = analysis.stepWeightPromotion ? Math.ceil(weights[n - 1] / analysis.stepWeightPromotion) : 1;
  const phases: RolloutPhase[] = [
    {
      description: 'new revision: scale up the canary',
      weight: 0,
      startsAfter: at(0),
      minDuration: at(1),
      waitsForPerson: confirmRollout.length > 0,
      checks: confirmRollout.map(gate),
    },
    ...weights.map((weight, i) => ({
      description: i === 0 && tests.length > 0 ? `tests, then weight ${weight}%` : `weight ${weight}%`,
      weight,
      startsAfter: at(i + 1),
      minDuration: at(1),
      waitsForPerson: confirmIncrease.length > 0 || (i === n - 1 && confirmPromotion.length > 0),
      checks: [
        ...(i === 0 ? tests : []),
        ...perInterval,
        ...confirmIncrease.map(gate),
        ...(i === n - 1 ? confirmPromotion.map(gate) : []),
      ],
    })),
    {
      description: 'promotion: the primary takes the new version',
      weight: weights[n - 1],
      startsAfter: at(n + 1),
      minDuration: at(promotionTicks),
      waitsForPerson: false,
      checks: [],
    },
  ];

  const hasChecks = perInterval.some((check) => check.kind !== PlannedCheckKind.LOAD) || tests.length > 0;
  const threshold = analysis.threshold;
  const problems: string[] = [];
  const notes: string[] = [];
  if (input.skipAnalysis) {
    notes.push('skipAnalysis is set: Flagger promotes without running any check');
  } else if (!hasChecks) {
    problems.push("the analysis has no checks, so nothing can stop a bad canary: add metrics to 'analysis.metrics' (e.g. CanaryMetric.requestSuccessRate()), or a test to 'analysis.webhooks'");
  }
  problems.push(...windowGaps(analysis.metrics, analysis.interval));
  if (analysis.metrics.length > 0 && !analysis.receivesLiveTraffic) {
    loads.forEach((webhook) => problems.push(...loadCoverage(input, webhook)));
  }
  if (confirmIncrease.length + confirmPromotion.length > 0) {
    notes.push('the loadtester keeps one gate per canary: one /gate/open approves every held stage (each traffic increase and the promotion) until /gate/close');
  }
  if (analysis.webhooks.some((webhook) => webhook.type === WebhookType.ROLLBACK)) {
    notes.push('a rollback webhook can roll the canary back at any interval, before any check fails');
  }

  const metricChecks = perInterval.some((check) => check.kind !== PlannedCheckKind.LOAD);
  const stops = !input.skipAnalysis && metricChecks;
  return new RolloutPlan({
    service: input.name,
    namespace: input.namespace,
    engine: 'flagger',
    summary: `checks every ${formatDuration(analysis.interval)}; rolls back after ${count(threshold, 'failed check')} in all; weights ${weights.join(', ')}%`,
    phases,
    earliestPromotion: at(n + 1 + promotionTicks),
    // The first checks run at T2 (or the tests at T1); the tick after the threshold-th failure rolls back.
    firstPossibleFailure: stops || (hasChecks && !input.skipAnalysis) ? at((tests.length > 0 ? 1 : 2) + threshold) : undefined,
    badCanary: stops ? {
      rolledBackAfter: at(threshold + 1),
      weight: weights[0],
      description: `its checks fail from the first analysis on, which holds it at ${weights[0]}%; it is rolled back after ${formatDuration(at(threshold + 1))} of traffic (${count(threshold, 'failed check')})`,
    } : undefined,
    problems,
    notes,
  });
}

/**
 * The loadtester starts a `cmd` in the background and drops a call for the same command while a
 * run is still going (pkg/loadtester/runner.go). A run of D seconds called every I seconds
 * restarts at the first call after it ends, so the window of W seconds a check looks at holds
 * D + W - (floor(D / I) + 1) * I seconds of load at the least.
 */
function loadCoverage(input: FlaggerPlanInput, webhook: CanaryWebhook): string[] {
  const duration = loadCommandDuration(input.commandOf(webhook.name)!);
  if (duration === undefined) return [];
  const interval = input.analysis.interval.toSeconds();
  const d = duration.toSeconds();
  return input.analysis.metrics.flatMap((metric) => {
    const window = windowOf(metric).toSeconds();
    const covered = d + window - (Math.floor(d / interval) + 1) * interval;
    if (covered >= MIN_LOAD_IN_WINDOW_SECONDS) return [];
    return [`the load test '${webhook.name}' runs ${formatDuration(duration)} per call, Flagger calls it every ${formatDuration(input.analysis.interval)}, `
      + 'and the loadtester drops a call while the same command still runs, so the load stops before the analysis does: '
      + `the ${formatDuration(windowOf(metric))} window of '${metric.name}' holds ${Math.max(0, covered)}s of load at times, and ${MIN_LOAD_IN_WINDOW_SECONDS}s are needed for a rate; `
      + 'use a duration a little under the interval (CanaryWebhook.loadTest() without \'duration\' does), or a longer metric \'interval\''];
  });
}
