import { Duration } from 'cdk8s';
import { firstMeasurementDelay } from './argo-metrics';
import { ResolvedAnalysis } from '../../analysis/analysis';
import { HeaderMatch, HeaderMatchKind, RolloutStep, RolloutStepKind } from '../../analysis/steps';
import { CanaryWebhook, GateStage, WebhookType } from '../../analysis/webhook';
import { ARGO_SLACK_SECONDS } from '../../plan/timing';
import { MatchCondition, TrafficSegment } from '../../strategy/traffic-segment';
import { DeclarationErrors, fail, toGoDuration } from '../../validation';

/** A step of `strategy.canary.steps`; analysis steps name a template role, which the engine resolves. */
export type ArgoStep = { [key: string]: any };

/** The template roles of the steps that the engine always knows. */
export const STEP_TEMPLATE = 'step';
export const ACCEPTANCE_TEMPLATE = 'acceptance';

/**
 * The engine-neutral weights as steps: set a weight and hold it for one interval, the first one long
 * enough for the background analysis to fail there. Unlike Flagger, Argo Rollouts does not hold a
 * weight while checks fail: steps advance on their own, and the analysis aborts only once a metric
 * has failed `threshold` times. Holding the first weight until that is possible stops a canary that
 * is bad from the start at the lowest weight, not at the highest.
 */
export function weightSteps(analysis: ResolvedAnalysis): RolloutStep[] {
  const weights = analysis.stepWeights ? [...analysis.stepWeights] : [];
  if (weights.length === 0) {
    for (let weight = analysis.stepWeight!; weight < analysis.maxWeight!; weight += analysis.stepWeight!) weights.push(weight);
    weights.push(analysis.maxWeight!);
  }
  const interval = analysis.interval.toSeconds();
  const firstDelay = Math.max(0, ...analysis.metrics.map((metric) => firstMeasurementDelay(metric).toSeconds()));
  const untilFailure = analysis.metrics.length > 0 ? firstDelay + (analysis.threshold - 1) * interval + ARGO_SLACK_SECONDS : 0;
  // In whole intervals, so the plan reads as "hold the first weight for n intervals".
  const firstHold = Duration.seconds(Math.max(1, Math.ceil(untilFailure / interval)) * interval);
  return weights.flatMap((weight, i) => [RolloutStep.weight(weight), RolloutStep.pause(i === 0 ? firstHold : analysis.interval)]);
}

export function renderStep(step: RolloutStep): ArgoStep {
  switch (step.kind) {
    case RolloutStepKind.SET_WEIGHT:
      return { setWeight: step.percentage };
    case RolloutStepKind.PAUSE:
      return { pause: step.duration ? { duration: toGoDuration(step.duration) } : {} };
    case RolloutStepKind.ANALYSIS:
      return { analysis: { templates: STEP_TEMPLATE } };
    case RolloutStepKind.SET_HEADER_ROUTE:
      return {
        setHeaderRoute: {
          name: step.routeName,
          match: step.match!.map((match) => ({ headerName: match.name, headerValue: headerValue(match) })),
        },
      };
    case RolloutStepKind.SET_MIRROR_ROUTE:
      // A mirror route without `match` is removed (docs features/traffic-management/index.md), so
      // "every request" is the path prefix `/`.
      return {
        setMirrorRoute: {
          name: step.routeName,
          percentage: step.percentage,
          match: step.match?.length
            ? [{ headers: Object.fromEntries(step.match.map((match) => [match.name, headerValue(match)])) }]
            : [{ path: { prefix: '/' } }],
        },
      };
    case RolloutStepKind.SET_CANARY_SCALE:
      return { setCanaryScale: { ...step.scale } };
  }
}

function headerValue(match: HeaderMatch): { [kind: string]: string } {
  return { [match.kind ?? HeaderMatchKind.EXACT]: match.value };
}

/**
 * A header route that sends the requests of any of `segments` to the canary: Argo Rollouts turns
 * each header condition into a match of its own, so they are ORed (rollout/trafficrouting/istio/
 * istio.go, createHeaderRoute). Without segments, it removes the route.
 */
export function headerRouteStep(name: string, segments: TrafficSegment[] = []): ArgoStep {
  if (segments.length === 0) return { setHeaderRoute: { name } };
  const conditions: MatchCondition[] = segments.flatMap((segment) => segment.conditions);
  return { setHeaderRoute: { name, match: conditions.map((c) => ({ headerName: c.name, headerValue: { [c.kind]: c.value } })) } };
}

/** A mirror route that copies `percentage` of every request to the canary; with no percentage, removes the route. */
export function mirrorRouteStep(name: string, percentage?: number): ArgoStep {
  return percentage === undefined
    ? { setMirrorRoute: { name } }
    : { setMirrorRoute: { name, percentage, match: [{ path: { prefix: '/' } }] } };
}

/** Names of the routes the steps set, once each, in order. */
export function routeNames(steps: ArgoStep[], field: 'setHeaderRoute' | 'setMirrorRoute'): string[] {
  return [...new Set(steps.filter((step) => step[field] !== undefined).map((step) => step[field].name as string))];
}

export interface ClassifiedWebhooks {
  readonly acceptance: CanaryWebhook[];
  readonly loadTests: CanaryWebhook[];
  readonly gates: Set<GateStage>;
}

/**
 * Argo Rollouts has no webhooks: loadtester commands run as Kubernetes Jobs (job metrics), manual
 * gates become indefinite pauses (promote with `kubectl argo rollouts promote`). What has no
 * equivalent is rejected.
 */
export function classifyWebhooks(owner: string, webhooks: CanaryWebhook[]): ClassifiedWebhooks {
  const result: ClassifiedWebhooks = { acceptance: [], loadTests: [], gates: new Set() };
  // Every webhook without an equivalent is named, not only the first.
  const errors = new DeclarationErrors();
  webhooks.forEach((webhook, i) => errors.attempt(() => {
    const property = `analysis.webhooks[${i}]`;
    if (webhook.command !== undefined && webhook.type === WebhookType.PRE_ROLLOUT) {
      result.acceptance.push(webhook);
    } else if ((webhook.command !== undefined || webhook.load !== undefined) && webhook.type === WebhookType.ROLLOUT) {
      result.loadTests.push(webhook);
    } else if (webhook.loadTesterPath === 'gate/check' && webhook.type === WebhookType.CONFIRM_ROLLOUT) {
      result.gates.add(GateStage.CONFIRM_ROLLOUT);
    } else if (webhook.loadTesterPath === 'gate/check' && webhook.type === WebhookType.CONFIRM_PROMOTION) {
      result.gates.add(GateStage.CONFIRM_PROMOTION);
    } else {
      fail(owner, `'${property}' ('${webhook.name}', ${webhook.type}) has no Argo Rollouts equivalent: use acceptance tests, load tests, manual gates before the rollout or before promotion, or RolloutStep.pause() in 'analysis.steps'`);
    }
  }));
  errors.throwIfAny();
  return result;
}
