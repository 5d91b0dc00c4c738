import { Duration } from 'cdk8s';
import { ResolvedAnalysis } from '../../analysis/analysis';
import { loadCommandDuration } from '../../analysis/load-command';
import { CanaryWebhook, LoadTesterCommandType, WebhookType } from '../../analysis/webhook';
import { formatDuration } from '../../plan/format';
import { PlannedCheck, PlannedCheckKind, RolloutPhase, RolloutPlan } from '../../plan/rollout-plan';
import { MIN_LOAD_IN_WINDOW_SECONDS, count, windowGaps, windowOf } from '../../plan/timing';
import { StrategyConfig, StrategyKind } from '../../strategy/delivery-strategy';

export interface FlaggerPlanInput {
  readonly name: string;
  readonly namespace: string;
  /** The analysis as Flagger runs it (explicit steps already turned into weights and gates). */
  readonly analysis: ResolvedAnalysis;
  /** The command a loadtester webhook runs. */
  readonly commandOf: (webhookName: string) => string | undefined;
  readonly skipAnalysis: boolean;
  /** How traffic moves. */
  readonly strategy: StrategyConfig;
  /** The Canary's `provider` (`kubernetes` switches no traffic). */
  readonly provider?: string;
  /** The Canary's `progressDeadlineSeconds`. */
  readonly progressDeadline: Duration;
}

/** A stretch of the analysis at one weight: how many intervals it holds (one check round each). */
interface Stage {
  readonly description: string;
  /** Where a failing check holds the canary, e.g. "at 10%". */
  readonly holdsAt: string;
  readonly weight: number;
  readonly ticks: number;
  /** Whether traffic increases into it need the confirm-traffic-increase gate. */
  readonly gated: boolean;
}

/**
 * The stages of each strategy as Flagger runs it (pkg/controller/scheduler.go): a canary's weights,
 * one interval each; an A/B test's iterations with the segments routed to the canary (runAB); blue/
 * green's iterations without live traffic (or mirrored), then one more interval with all traffic
 * on the canary before promotion (runBlueGreen switches at the last iteration and analyses again).
 */
function stagesOf(input: FlaggerPlanInput): Stage[] {
  const strategy = input.strategy;
  switch (strategy.kind) {
    case StrategyKind.AB_TEST:
      const segments = strategy.abTest!.segments.map((s) => s.description).join(' or ');
      return [{ description: `A/B: ${segments}`, holdsAt: `on ${segments}`, weight: 0, ticks: strategy.abTest!.iterations!, gated: false }];
    case StrategyKind.BLUE_GREEN: {
      const mirror = strategy.blueGreen!.mirrorPercentage;
      return [
        {
          description: mirror !== undefined ? `mirror ${mirror}% of the traffic to the new version` : 'preview: no live traffic, load test only',
          holdsAt: mirror !== undefined ? 'on mirrored traffic' : 'in preview, without live traffic',
          weight: 0,
          ticks: strategy.blueGreen!.iterations,
          gated: false,
        },
        // provider kubernetes routes nothing: the last analysis runs without a switch (scheduler.go, runBlueGreen).
        input.provider === 'kubernetes'
          ? { description: 'last analysis, no traffic switch (provider kubernetes)', holdsAt: 'in preview, without live traffic', weight: 0, ticks: 1, gated: false }
          : { description: 'switch: all traffic to the new version', holdsAt: 'at 100%', weight: 100, ticks: 1, gated: false },
      ];
    }
    default:
      return flaggerWeights(input.analysis).map((weight) => ({ description: `weight ${weight}%`, holdsAt: `at ${weight}%`, weight, ticks: 1, gated: true }));
  }
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
  const stages = stagesOf(input);
  const byType = (type: WebhookType) => analysis.webhooks.filter((webhook) => webhook.type === type);
  const gate = (webhook: CanaryWebhook): PlannedCheck => ({ name: webhook.name, kind: PlannedCheckKind.GATE, measurements: 1 });
  const confirmRollout = byType(WebhookType.CONFIRM_ROLLOUT);
  const confirmIncrease = byType(WebhookType.CONFIRM_TRAFFIC_INCREASE);
  const confirmPromotion = byType(WebhookType.CONFIRM_PROMOTION);
  const preRollout = byType(WebhookType.PRE_ROLLOUT);
  const rollout = byType(WebhookType.ROLLOUT);
  const loads = rollout.filter((webhook) => webhook.commandType === LoadTesterCommandType.CMD && input.commandOf(webhook.name) !== undefined);
  const tests: PlannedCheck[] = preRollout.map((webhook) => ({ name: webhook.name, kind: PlannedCheckKind.TEST, measurements: 1 }));
  const perInterval = (rounds: number): PlannedCheck[] => [
    ...rollout.map((webhook) => ({
      name: webhook.name, kind: loads.includes(webhook) ? PlannedCheckKind.LOAD : PlannedCheckKind.WEBHOOK, measurements: rounds,
    })),
    ...analysis.metrics.map((metric) => ({ name: metric.name, kind: PlannedCheckKind.METRIC, measurements: rounds })),
  ];
  const last = stages[stages.length - 1];
  const promotionTicks = analysis.stepWeightPromotion ? Math.ceil(Math.max(last.weight, 1) / analysis.stepWeightPromotion) : 1;
  let tick = 1;
  const stagePhases: RolloutPhase[] = stages.map((stage, i) => {
    const phase = {
      description: i === 0 && tests.length > 0 ? `tests, then ${stage.description}` : stage.description,
      weight: stage.weight,
      startsAfter: at(tick),
      minDuration: at(stage.ticks),
      waitsForPerson: (stage.gated && confirmIncrease.length > 0) || (stage === last && confirmPromotion.length > 0),
      checks: [
        ...(i === 0 ? tests : []),
        ...perInterval(stage.ticks),
        ...(stage.gated ? confirmIncrease.map(gate) : []),
        ...(stage === last ? confirmPromotion.map(gate) : []),
      ],
    };
    tick += stage.ticks;
    return phase;
  });
  const phases: RolloutPhase[] = [
    {
      description: 'new revision: scale up the canary',
      weight: 0,
      startsAfter: at(0),
      minDuration: at(1),
      waitsForPerson: confirmRollout.length > 0,
      checks: confirmRollout.map(gate),
    },
    ...stagePhases,
    {
      description: 'promotion: the primary takes the new version',
      weight: last.weight,
      startsAfter: at(tick),
      minDuration: at(promotionTicks),
      waitsForPerson: false,
      checks: [],
    },
  ];

  const hasChecks = perInterval(1).some((check) => check.kind !== PlannedCheckKind.LOAD) || tests.length > 0;
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

  const metricChecks = perInterval(1).some((check) => check.kind !== PlannedCheckKind.LOAD);
  const affinity = input.strategy.canary?.sessionAffinity;
  if (affinity) {
    notes.push(`session affinity: a user routed to the canary keeps the cookie ${affinity.cookieName} for ${formatDuration(affinity.maxAge)} and stays on it`);
  }
  const stops = !input.skipAnalysis && metricChecks;
  return new RolloutPlan({
    service: input.name,
    namespace: input.namespace,
    engine: 'flagger',
    summary: `checks every ${formatDuration(analysis.interval)}; rolls back after ${count(threshold, 'failed check')} in all; ${summaryOf(input, stages)}`,
    phases,
    earliestPromotion: at(tick + promotionTicks),
    // The first checks run at T2 (or the tests at T1); the tick after the threshold-th failure rolls back.
    firstPossibleFailure: stops || (hasChecks && !input.skipAnalysis) ? at((tests.length > 0 ? 1 : 2) + threshold) : undefined,
    progressDeadline: {
      deadline: input.progressDeadline,
      // pkg/canary/deployment_ready.go (isDeploymentReady) is the only reader; scheduler.go rolls back when it is exceeded.
      description: "bounds only how long the canary's or the primary's pods may stay unavailable (then Flagger rolls back), not the analysis or the gates",
    },
    badCanary: stops ? {
      rolledBackAfter: at(threshold + 1),
      weight: stages[0].weight,
      description: `its checks fail from the first analysis on, which holds it ${stages[0].holdsAt}; it is rolled back after ${formatDuration(at(threshold + 1))} of traffic (${count(threshold, 'failed check')})`,
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

function summaryOf(input: FlaggerPlanInput, stages: Stage[]): string {
  switch (input.strategy.kind) {
    case StrategyKind.AB_TEST: return `A/B test for ${count(stages[0].ticks, 'interval')}`;
    case StrategyKind.BLUE_GREEN: return `blue/green after ${count(stages[0].ticks, 'interval')} of checks`;
    default: return `weights ${stages.map((stage) => stage.weight).join(', ')}%`;
  }
}
