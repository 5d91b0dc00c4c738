import { Duration } from 'cdk8s';
import {
  ArgoMetric, MetricContext, acceptanceJobs, backgroundChecks, backgroundLoads, boundedMetrics,
} from './argo-metrics';
import {
  ACCEPTANCE_TEMPLATE, ArgoStep, ClassifiedWebhooks, STEP_TEMPLATE, classifyWebhooks, headerRouteStep, mirrorRouteStep, renderStep,
  routeNames, weightSteps,
} from './argo-steps';
import { ResolvedAnalysis } from '../../analysis/analysis';
import { LoadTarget } from '../../analysis/load-test';
import { CanaryMetric } from '../../analysis/metric';
import { GateStage, WebhookType } from '../../analysis/webhook';
import { ArgoRolloutsRouting } from '../../routers/router';
import { StrategyConfig, StrategyKind } from '../../strategy/delivery-strategy';
import { SegmentKind } from '../../strategy/traffic-segment';
import { fail } from '../../validation';

/** Template roles besides the steps': the background analysis and blue/green's two analyses. */
export const BACKGROUND_TEMPLATE = 'background';
export const PRE_PROMOTION_TEMPLATE = 'pre-promotion';
export const POST_PROMOTION_TEMPLATE = 'post-promotion';
const AB_TEST = 'ab-test';
const MIRROR = 'mirror';

/** Blue/green as Argo Rollouts runs it: `strategy.blueGreen` with its two analyses. */
export interface ArgoBlueGreenPlan {
  /** Template role of the pre-promotion analysis (the new version before the switch). */
  readonly prePromotion: string;
  /** Template role of the post-promotion analysis (the new version with the live traffic). */
  readonly postPromotion: string;
  /** Whether the switch happens as soon as the pre-promotion analysis passes. */
  readonly autoPromote: boolean;
  /** How long the old version stays after the switch; undefined: until the post-promotion analysis passes. */
  readonly scaleDownDelay?: Duration;
}

/** Everything Argo Rollouts runs for one service, in its own terms. */
export interface ArgoPlan {
  /** `strategy.canary.steps` (empty for blue/green), analysis steps naming a template role. */
  readonly steps: ArgoStep[];
  /** The metrics of each template, by role; `background` is the background analysis. */
  readonly templates: { [role: string]: ArgoMetric[] };
  /** Index of the step the background analysis starts at, when there is one. */
  readonly startingStep?: number;
  /**
   * Where the background analysis starts, in the declaration's terms (`'analysis.steps[2]'`, or
   * the weight it follows), for messages: the Rollout's own step indices count the steps the
   * library adds (gates, acceptance tests, scaling).
   */
  readonly startingStepName?: string;
  /** Set for blue/green by Service switch (no steps). */
  readonly blueGreen?: ArgoBlueGreenPlan;
  /** Names of the header routes the steps set. */
  readonly headerRoutes: string[];
  /** Names of the mirror routes the steps set. */
  readonly mirrorRoutes: string[];
  /** What each header route selects, in words (for the plan). */
  readonly segments: { [route: string]: string };
}

export interface PlanOptions {
  readonly owner: string;
  /** Name and namespace of the service. */
  readonly name: string;
  readonly namespace: string;
  readonly analysis: ResolvedAnalysis;
  readonly strategy: StrategyConfig;
  readonly routing: ArgoRolloutsRouting;
  readonly loadTarget: LoadTarget;
  /** A phased release's load target per phase (default: `loadTarget`). */
  readonly phaseLoadTargets?: LoadTarget[];
  readonly stepAnalysisCount: number;
  readonly startingStep?: number;
  /** The image of the analysis Jobs. */
  readonly jobImage: string;
}

/**
 * The header and mirror routes the steps will set (they must be known to bind the router, before
 * the steps are planned).
 */
export function argoRouteNames(strategy: StrategyConfig, analysis: ResolvedAnalysis): { headerRoutes: string[]; mirrorRoutes: string[] } {
  switch (strategy.kind) {
    case StrategyKind.AB_TEST: return { headerRoutes: abTestRoutes(strategy.abTest!.segments.length), mirrorRoutes: [] };
    case StrategyKind.BLUE_GREEN: return { headerRoutes: [], mirrorRoutes: strategy.blueGreen!.mirrorPercentage === undefined ? [] : [MIRROR] };
    case StrategyKind.PHASED:
      return {
        headerRoutes: strategy.phases!.map((phase, i) => (phase.segment.kind === SegmentKind.MATCH ? phase.name ?? `phase-${i + 1}` : undefined))
          .filter((name): name is string => name !== undefined),
        mirrorRoutes: [],
      };
    default: {
      const steps = (analysis.steps ?? []).map(renderStep);
      return { headerRoutes: routeNames(steps, 'setHeaderRoute'), mirrorRoutes: routeNames(steps, 'setMirrorRoute') };
    }
  }
}

/** Turns the engine-neutral analysis and strategy into Argo Rollouts steps and AnalysisTemplate metrics. */
export function planArgoRollout(options: PlanOptions): ArgoPlan {
  const { owner, analysis } = options;
  const webhooks = classifyWebhooks(owner, analysis.webhooks);
  const ctx: MetricContext = {
    owner,
    name: options.name,
    namespace: options.namespace,
    interval: analysis.interval,
    failureLimit: analysis.threshold - 1,
    queries: options.routing.queries,
    comparableSeries: options.routing.comparableSeries,
    loadTarget: options.loadTarget,
    webhooks: analysis.webhooks,
    metricProperties: metricProperties(analysis, options.strategy),
    jobImage: options.jobImage,
  };
  const strategy = options.strategy;
  switch (strategy.kind) {
    case StrategyKind.AB_TEST: return planAbTest(options, ctx, webhooks);
    case StrategyKind.BLUE_GREEN:
      return strategy.blueGreen!.mirrorPercentage === undefined
        ? planBlueGreen(options, ctx, webhooks)
        : planMirroredBlueGreen(options, ctx, webhooks);
    case StrategyKind.PHASED: return planPhased(options, ctx, webhooks);
    default: return planCanary(options, ctx, webhooks);
  }
}

/** Where each metric is declared, as messages name it. */
export function metricProperties(analysis: ResolvedAnalysis, strategy: StrategyConfig): Map<CanaryMetric, string> {
  const properties = new Map<CanaryMetric, string>();
  (strategy.phases ?? []).forEach((phase, i) => (phase.metrics ?? []).forEach((metric, j) => properties.set(metric, `strategy.phases[${i}].metrics[${j}]`)));
  analysis.metrics.forEach((metric, i) => properties.set(metric, `analysis.metrics[${i}]`));
  return properties;
}

/**
 * Steps before the plan: a gate, then the acceptance tests on one canary pod without traffic, then
 * the plan's own steps with the canary's size handed back to them (`handBackScale`).
 */
function withPrefix(webhooks: ClassifiedWebhooks, rest: ArgoStep[]): ArgoStep[] {
  const gate: ArgoStep[] = webhooks.gates.has(GateStage.CONFIRM_ROLLOUT) ? [{ pause: {} }] : [];
  if (webhooks.acceptance.length === 0) return [...gate, ...rest];
  return [...gate, { setCanaryScale: { replicas: 1 } }, { analysis: { templates: ACCEPTANCE_TEMPLATE } }, ...handBackScale(rest)];
}

/**
 * After the acceptance tests the canary runs one pod (`setCanaryScale: {replicas: 1}`). A
 * `matchTrafficWeight` right then, at weight 0, would scale it to zero, and the next scaling step
 * would start a new pod: the one that passed the tests would be gone (argo-rollouts
 * utils/replicaset/canary.go, UseSetCanaryScale: the last setCanaryScale step up to the current
 * one sizes the canary; matchTrafficWeight sizes it by the weight). So: when a setCanaryScale
 * comes before any weight, it takes over from the one pod; when a weight comes first, the canary
 * is scaled to that weight before it (so one pod does not take the weight's share alone) and
 * follows the weights again after it.
 */
function handBackScale(rest: ArgoStep[]): ArgoStep[] {
  const scale = rest.findIndex((step) => step.setCanaryScale !== undefined);
  const weight = rest.findIndex((step) => step.setWeight !== undefined);
  if (scale >= 0 && (weight < 0 || scale < weight)) return rest;
  if (weight < 0 || rest[weight].setWeight === 0) return [{ setCanaryScale: { matchTrafficWeight: true } }, ...rest];
  return [
    ...rest.slice(0, weight),
    { setCanaryScale: { weight: rest[weight].setWeight } },
    rest[weight],
    { setCanaryScale: { matchTrafficWeight: true } },
    ...rest.slice(weight + 1),
  ];
}

/**
 * Without traffic routing the canary has no pods before its first weight and cannot be scaled on
 * its own (setCanaryScale is rejected), so the acceptance tests run right after the first weight,
 * on pods that already take their share of the traffic.
 */
function withAcceptanceAfterFirstWeight(steps: ArgoStep[], webhooks: ClassifiedWebhooks): ArgoStep[] {
  if (webhooks.acceptance.length === 0) return steps;
  const first = steps.findIndex((step) => step.setWeight > 0);
  return [...steps.slice(0, first + 1), { analysis: { templates: ACCEPTANCE_TEMPLATE } }, ...steps.slice(first + 1)];
}

/** The confirm-rollout gate alone (no acceptance tests on a pod without traffic). */
function gateOnly(webhooks: ClassifiedWebhooks): ArgoStep[] {
  return webhooks.gates.has(GateStage.CONFIRM_ROLLOUT) ? [{ pause: {} }] : [];
}

function suffixSteps(webhooks: ClassifiedWebhooks): ArgoStep[] {
  return webhooks.gates.has(GateStage.CONFIRM_PROMOTION) ? [{ pause: {} }] : [];
}

function acceptanceTemplate(ctx: MetricContext, webhooks: ClassifiedWebhooks): { [role: string]: ArgoMetric[] } {
  return webhooks.acceptance.length ? { [ACCEPTANCE_TEMPLATE]: acceptanceJobs(ctx, webhooks.acceptance) } : {};
}

/** The plan with the routes its steps set. */
function withRoutes(plan: Omit<ArgoPlan, 'headerRoutes' | 'mirrorRoutes' | 'segments'>, segments: { [route: string]: string } = {}): ArgoPlan {
  return { ...plan, headerRoutes: routeNames(plan.steps, 'setHeaderRoute'), mirrorRoutes: routeNames(plan.steps, 'setMirrorRoute'), segments };
}

/** A weighted canary: the weights (or explicit steps) with a background analysis from after the first weight. */
function planCanary(options: PlanOptions, ctx: MetricContext, webhooks: ClassifiedWebhooks): ArgoPlan {
  const { owner, analysis } = options;
  const basic = options.routing.trafficRouting === undefined;
  const declared = analysis.steps !== undefined;
  const weights = (analysis.steps ?? weightSteps(analysis)).map(renderStep);
  if (basic) {
    const scale = weights.findIndex((step) => step.setCanaryScale !== undefined);
    if (scale >= 0) {
      fail(owner, `'analysis.steps[${scale}]' (setCanaryScale) needs traffic routing, which the router does not do: Argo Rollouts sizes the canary by its weight (validation.go: "SetCanaryScale requires TrafficRouting to be set"); remove the step`);
    }
  }
  const planned = basic ? [...gateOnly(webhooks), ...withAcceptanceAfterFirstWeight(weights, webhooks)] : withPrefix(webhooks, weights);
  const steps = [...planned, ...suffixSteps(webhooks)];
  // Which of the weights (declared or generated) each step of the Rollout is; undefined for the steps the library adds.
  const weightIndex = new Map(weights.map((step, i) => [step, i]));
  const fromWeights = steps.map((step) => weightIndex.get(step));
  const nameOf = (i: number) => (declared ? `'analysis.steps[${i}]'` : generatedStepName(weights, i));
  const background = [...backgroundChecks(ctx, analysis.metrics), ...backgroundLoads(ctx, webhooks.loadTests)];
  const firstWeight = steps.findIndex((step) => step.setWeight > 0);
  if (options.startingStep !== undefined && options.startingStep >= weights.length) {
    fail(owner, `'analysisStartingStep' (${options.startingStep}) must be the index of one of ${declared ? `'analysis.steps' (0-${weights.length - 1})` : `the ${weights.length} steps made from the weights (0-${weights.length - 1})`}`);
  }
  const startingStep = options.startingStep === undefined ? firstWeight + 1 : fromWeights.indexOf(options.startingStep);
  if (background.length > 0 && startingStep >= steps.length) {
    const first = fromWeights.slice(0, firstWeight + 1).reverse().find((i) => i !== undefined)!;
    fail(owner, `the background analysis starts after the first weight above zero (${nameOf(first)}), and no step follows it, so it would never measure: `
      + "add a RolloutStep.pause() after it, or set 'analysisStartingStep'");
  }
  // The step the analysis starts at, or the next one of the weights (an added step takes no time).
  const nextOfWeights = fromWeights.slice(startingStep).find((i) => i !== undefined);
  const templates: { [role: string]: ArgoMetric[] } = {};
  if (background.length) templates[BACKGROUND_TEMPLATE] = background;
  if (steps.some((step) => step.analysis?.templates === STEP_TEMPLATE)) {
    templates[STEP_TEMPLATE] = boundedMetrics(ctx, analysis.metrics, webhooks.loadTests, options.stepAnalysisCount);
  }
  Object.assign(templates, acceptanceTemplate(ctx, webhooks));
  return withRoutes({
    steps,
    templates,
    startingStep: background.length ? startingStep : undefined,
    startingStepName: background.length ? (nextOfWeights === undefined ? 'the end of the steps' : nameOf(nextOfWeights)) : undefined,
  });
}

/** A step made from the analysis's weights, in words: `weight 10%` or `the hold of weight 10%`. */
function generatedStepName(steps: ArgoStep[], i: number): string {
  const weight = steps.slice(0, i + 1).reverse().find((step) => step.setWeight !== undefined)?.setWeight ?? 0;
  return steps[i].setWeight !== undefined ? `weight ${weight}%` : `the hold of weight ${weight}%`;
}

/** The header routes of an A/B test: one per segment (`ab-test`, or `ab-test-1`, `ab-test-2`, ...). */
function abTestRoutes(segments: number): string[] {
  return segments === 1 ? [AB_TEST] : Array.from({ length: segments }, (_, i) => `${AB_TEST}-${i + 1}`);
}

/**
 * An A/B test: scale the canary first (a header route to a ReplicaSet without pods would fail every
 * matched request, Argo Rollouts issue 4486), route the segments to it, and check it for the test's
 * intervals in a step analysis; the rollout is promoted when the steps end. Each segment is a
 * header route of its own: Istio's router ORs the conditions of one route, the Gateway API
 * plugin ANDs them (one HTTPRouteMatch), so only separate routes mean "any segment" for both.
 */
function planAbTest(options: PlanOptions, ctx: MetricContext, webhooks: ClassifiedWebhooks): ArgoPlan {
  const ab = options.strategy.abTest!;
  const routes = abTestRoutes(ab.segments.length);
  return withRoutes({
    steps: [
      ...withPrefix(webhooks, [
        { setCanaryScale: { weight: ab.canaryScale } },
        ...ab.segments.map((segment, i) => headerRouteStep(routes[i], [segment])),
        { analysis: { templates: AB_TEST } },
      ]),
      ...suffixSteps(webhooks),
    ],
    templates: { [AB_TEST]: boundedMetrics(ctx, options.analysis.metrics, webhooks.loadTests, ab.iterations!), ...acceptanceTemplate(ctx, webhooks) },
  }, Object.fromEntries(ab.segments.map((segment, i) => [routes[i], segment.description])));
}

/**
 * Blue/green by Service switch: the preview Service points at the new version, the pre-promotion
 * analysis checks it (acceptance tests included), the active Service switches, and the
 * post-promotion analysis checks it with the live traffic while the old version is still up.
 */
function planBlueGreen(options: PlanOptions, ctx: MetricContext, webhooks: ClassifiedWebhooks): ArgoPlan {
  const bg = options.strategy.blueGreen!;
  if (webhooks.gates.has(GateStage.CONFIRM_ROLLOUT)) {
    const i = options.analysis.webhooks.findIndex((w) => w.type === WebhookType.CONFIRM_ROLLOUT);
    fail(options.owner, `'analysis.webhooks[${i}]' (a confirm-rollout gate) has no equivalent in Argo Rollouts' blue/green, which brings the new version up at once: hold before the switch instead, with DeliveryStrategy.blueGreen({ autoPromote: false }) or a confirm-promotion gate`);
  }
  const metrics = options.analysis.metrics;
  return withRoutes({
    steps: [],
    templates: {
      [PRE_PROMOTION_TEMPLATE]: [...acceptanceJobs(ctx, webhooks.acceptance), ...boundedMetrics(ctx, metrics, webhooks.loadTests, bg.iterations)],
      [POST_PROMOTION_TEMPLATE]: boundedMetrics(ctx, metrics, webhooks.loadTests, options.stepAnalysisCount,
        options.routing.activeQueries ?? options.routing.queries),
    },
    blueGreen: {
      prePromotion: PRE_PROMOTION_TEMPLATE,
      postPromotion: POST_PROMOTION_TEMPLATE,
      autoPromote: bg.autoPromote && !webhooks.gates.has(GateStage.CONFIRM_PROMOTION),
      scaleDownDelay: bg.scaleDownDelay,
    },
  });
}

/**
 * Blue/green with mirrored traffic (Istio), as canary steps: the new version at full size, a share
 * of the live traffic copied to it while it is checked, then all traffic at once, checked again
 * before promotion. Argo Rollouts' `strategy.blueGreen` cannot mirror.
 */
function planMirroredBlueGreen(options: PlanOptions, ctx: MetricContext, webhooks: ClassifiedWebhooks): ArgoPlan {
  const bg = options.strategy.blueGreen!;
  if (bg.scaleDownDelay !== undefined) {
    fail(options.owner, "'strategy.scaleDownDelay' does not apply to blue/green with mirroring, which runs as canary steps: the old version stays until the checks after the switch pass");
  }
  const hold = !bg.autoPromote || webhooks.gates.has(GateStage.CONFIRM_PROMOTION);
  const metrics = options.analysis.metrics;
  return withRoutes({
    steps: withPrefix(webhooks, [
      { setCanaryScale: { weight: 100 } },
      mirrorRouteStep(MIRROR, bg.mirrorPercentage),
      { analysis: { templates: MIRROR } },
      mirrorRouteStep(MIRROR),
      ...(hold ? [{ pause: {} }] : []),
      { setWeight: 100 },
      { analysis: { templates: POST_PROMOTION_TEMPLATE } },
    ]),
    templates: {
      [MIRROR]: boundedMetrics(ctx, metrics, webhooks.loadTests, bg.iterations),
      [POST_PROMOTION_TEMPLATE]: boundedMetrics(ctx, metrics, webhooks.loadTests, options.stepAnalysisCount),
      ...acceptanceTemplate(ctx, webhooks),
    },
  });
}

/**
 * Phases in a row, each checked by a step analysis of its own: a matched segment gets the canary
 * scaled up and a header route (removed when the phase ends), a random sample its weights, each
 * held until its analysis passes.
 */
function planPhased(options: PlanOptions, ctx: MetricContext, webhooks: ClassifiedWebhooks): ArgoPlan {
  const { analysis } = options;
  const interval = analysis.interval.toSeconds();
  const steps: ArgoStep[] = [];
  const templates: { [role: string]: ArgoMetric[] } = { ...acceptanceTemplate(ctx, webhooks) };
  const segments: { [route: string]: string } = {};
  options.strategy.phases!.forEach((phase, i) => {
    const role = phase.name ?? `phase-${i + 1}`;
    // Enough measurements for the checks to fail `threshold` times, or as many as the hold allows.
    const count = phase.hold ? Math.max(1, Math.ceil(phase.hold.toSeconds() / interval)) : analysis.threshold;
    // The phase's load carries the phase's own segment: an earlier phase's route is gone by then.
    const phaseCtx = { ...ctx, loadTarget: options.phaseLoadTargets?.[i] ?? ctx.loadTarget };
    templates[role] = boundedMetrics(phaseCtx, phase.metrics ?? analysis.metrics, webhooks.loadTests, count);
    if (phase.segment.kind === SegmentKind.MATCH) {
      segments[role] = phase.segment.description;
      steps.push(
        { setCanaryScale: { weight: phase.canaryScale ?? 25 } },
        headerRouteStep(role, [phase.segment]),
        { analysis: { templates: role } },
        headerRouteStep(role),
      );
    } else {
      // Sized to the first weight before it (from a matched phase's pods, never through zero), then by the weights.
      const [first, ...later] = phase.segment.weights!;
      steps.push(
        { setCanaryScale: { weight: first } },
        { setWeight: first },
        { setCanaryScale: { matchTrafficWeight: true } },
        { analysis: { templates: role } },
      );
      for (const weight of later) steps.push({ setWeight: weight }, { analysis: { templates: role } });
    }
  });
  return withRoutes({ steps: [...withPrefix(webhooks, steps), ...suffixSteps(webhooks)], templates }, segments);
}
