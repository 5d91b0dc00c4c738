import { Duration } from 'cdk8s';
import { ResolvedAnalysis } from '../../analysis/analysis';
import { CanaryMetric, MetricKind } from '../../analysis/metric';
import { HeaderMatch, HeaderMatchKind, RolloutStep, RolloutStepKind } from '../../analysis/steps';
import { CanaryWebhook, GateStage, WebhookType } from '../../analysis/webhook';
import { ArgoRolloutsRouting } from '../../routers/router';
import { fail, toGoDuration } from '../../validation';
import { LOAD_TESTER_IMAGE } from '../../versions';
import { restrictedSecurityContext } from '../../workload/pod-security';

/** The arguments every template gets, besides the router's. */
export const PROMETHEUS_ADDRESS_ARG = 'prometheus-address';
export const NAMESPACE_ARG = 'namespace';
export const SERVICE_NAME_ARG = 'service-name';

/** Everything Argo Rollouts runs for one service, in its own terms. */
export interface ArgoPlan {
  /** `strategy.canary.steps`, with `{{template:<role>}}` placeholders resolved by the engine. */
  readonly steps: { [key: string]: any }[];
  /** Metrics of the background analysis (queries and load tests). */
  readonly backgroundMetrics: { [key: string]: any }[];
  /** Metrics of `RolloutStep.analysis()` steps: the same checks, bounded by `count`. */
  readonly stepMetrics: { [key: string]: any }[];
  /** Acceptance tests, run once before traffic reaches the canary. */
  readonly acceptanceMetrics: { [key: string]: any }[];
  /** Index of the step the background analysis starts at. */
  readonly startingStep: number;
  /** Names of the header routes the steps set. */
  readonly headerRoutes: string[];
  /** Names of the mirror routes the steps set. */
  readonly mirrorRoutes: string[];
}

export interface PlanOptions {
  readonly owner: string;
  readonly analysis: ResolvedAnalysis;
  readonly routing: ArgoRolloutsRouting;
  readonly stepAnalysisCount: number;
  readonly startingStep?: number;
}

/** Placeholders the steps use for the template references the engine creates. */
export const STEP_TEMPLATE = 'step';
export const ACCEPTANCE_TEMPLATE = 'acceptance';

/** Turns the engine-neutral analysis into Argo Rollouts steps and AnalysisTemplate metrics. */
export function planArgoRollout(options: PlanOptions): ArgoPlan {
  const { owner, analysis } = options;
  const webhooks = classifyWebhooks(owner, analysis.webhooks);
  const userSteps = (analysis.steps ?? weightSteps(analysis)).map((step) => renderStep(step));
  const prefix: { [key: string]: any }[] = [];
  if (webhooks.gates.has(GateStage.CONFIRM_ROLLOUT)) prefix.push({ pause: {} });
  if (webhooks.acceptance.length > 0) {
    // Bring up one canary pod without traffic, test it, then let it follow the weights again.
    prefix.push(
      { setCanaryScale: { replicas: 1 } },
      { analysis: { templates: ACCEPTANCE_TEMPLATE } },
      { setCanaryScale: { matchTrafficWeight: true } },
    );
  }
  const suffix: { [key: string]: any }[] = webhooks.gates.has(GateStage.CONFIRM_PROMOTION) ? [{ pause: {} }] : [];
  const steps = [...prefix, ...userSteps, ...suffix];

  const failureLimit = analysis.threshold - 1;
  const checks = analysis.metrics.map((metric) => prometheusMetric(owner, metric, options.routing, analysis.interval, failureLimit));
  const loads = webhooks.loadTests.map((webhook) => jobMetric(webhook, { interval: toGoDuration(analysis.interval), failureLimit }));

  const firstWeight = steps.findIndex((step) => step.setWeight > 0);
  const startingStep = options.startingStep === undefined ? firstWeight + 1 : options.startingStep + prefix.length;
  if (checks.length + loads.length > 0 && (startingStep < 0 || startingStep >= steps.length)) {
    const why = options.startingStep === undefined
      ? 'it starts after the first weight above zero, and no step follows it: add a RolloutStep.pause() after it, or set \'analysisStartingStep\''
      : `'analysisStartingStep' is ${options.startingStep}`;
    fail(owner, `the background analysis would start at step ${startingStep}, but the Rollout has ${steps.length} steps (0-${steps.length - 1}): ${why}`);
  }
  return {
    steps,
    backgroundMetrics: [...checks, ...loads],
    // A step analysis must be able to fail within its `count` measurements.
    stepMetrics: [...checks, ...loads].map((metric) => ({
      ...metric,
      count: options.stepAnalysisCount,
      failureLimit: Math.min(metric.failureLimit, options.stepAnalysisCount - 1),
    })),
    acceptanceMetrics: webhooks.acceptance.map((webhook) => jobMetric(webhook, { failureLimit: 0 })),
    startingStep,
    headerRoutes: routeNames(analysis.steps, RolloutStepKind.SET_HEADER_ROUTE),
    mirrorRoutes: routeNames(analysis.steps, RolloutStepKind.SET_MIRROR_ROUTE),
  };
}

/** The engine-neutral weights as steps: set a weight, hold it for one interval, repeat. */
function weightSteps(analysis: ResolvedAnalysis): RolloutStep[] {
  const weights = analysis.stepWeights ?? [];
  if (weights.length === 0) {
    for (let weight = analysis.stepWeight!; weight < analysis.maxWeight!; weight += analysis.stepWeight!) weights.push(weight);
    weights.push(analysis.maxWeight!);
  }
  return weights.flatMap((weight) => [RolloutStep.weight(weight), RolloutStep.pause(analysis.interval)]);
}

function renderStep(step: RolloutStep): { [key: string]: any } {
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
      return {
        setMirrorRoute: {
          name: step.routeName,
          percentage: step.percentage,
          match: step.match?.length
            ? [{ headers: Object.fromEntries(step.match.map((match) => [match.name, headerValue(match)])) }]
            : undefined,
        },
      };
    case RolloutStepKind.SET_CANARY_SCALE:
      return { setCanaryScale: { ...step.scale } };
  }
}

function headerValue(match: HeaderMatch): { [kind: string]: string } {
  return { [match.kind ?? HeaderMatchKind.EXACT]: match.value };
}

function routeNames(steps: RolloutStep[] | undefined, kind: RolloutStepKind): string[] {
  return [...new Set((steps ?? []).filter((step) => step.kind === kind).map((step) => step.routeName!))];
}

interface ClassifiedWebhooks {
  readonly acceptance: CanaryWebhook[];
  readonly loadTests: CanaryWebhook[];
  readonly gates: Set<GateStage>;
}

/**
 * Argo Rollouts has no webhooks: loadtester commands run as Kubernetes Jobs (job metrics), manual
 * gates become indefinite pauses (promote with `kubectl argo rollouts promote`). What has no
 * equivalent is rejected.
 */
function classifyWebhooks(owner: string, webhooks: CanaryWebhook[]): ClassifiedWebhooks {
  const result: ClassifiedWebhooks = { acceptance: [], loadTests: [], gates: new Set() };
  webhooks.forEach((webhook, i) => {
    const property = `analysis.webhooks[${i}]`;
    if (webhook.command !== undefined && webhook.type === WebhookType.PRE_ROLLOUT) {
      result.acceptance.push(webhook);
    } else if (webhook.command !== undefined && webhook.type === WebhookType.ROLLOUT) {
      result.loadTests.push(webhook);
    } else if (webhook.loadTesterPath === 'gate/check' && webhook.type === WebhookType.CONFIRM_ROLLOUT) {
      result.gates.add(GateStage.CONFIRM_ROLLOUT);
    } else if (webhook.loadTesterPath === 'gate/check' && webhook.type === WebhookType.CONFIRM_PROMOTION) {
      result.gates.add(GateStage.CONFIRM_PROMOTION);
    } else {
      fail(owner, `'${property}' ('${webhook.name}', ${webhook.type}) has no Argo Rollouts equivalent: use acceptance tests, load tests, manual gates before the rollout or before promotion, or RolloutStep.pause() in 'analysis.steps'`);
    }
  });
  return result;
}

/** Flagger's template variables in a query of your own, as Argo Rollouts arguments. */
function translateQuery(query: string, window: string): string {
  return query
    .replace(/\{\{\s*namespace\s*\}\}/g, `{{args.${NAMESPACE_ARG}}}`)
    .replace(/\{\{\s*(target|service|name)\s*\}\}/g, `{{args.${SERVICE_NAME_ARG}}}`)
    .replace(/\{\{\s*interval\s*\}\}/g, window);
}

function prometheusMetric(
  owner: string, metric: CanaryMetric, routing: ArgoRolloutsRouting, interval: Duration, failureLimit: number,
): { [key: string]: any } {
  const window = toGoDuration(metric.interval ?? Duration.minutes(1));
  let query: string;
  let bounds: string[];
  switch (metric.kind) {
    case MetricKind.REQUEST_SUCCESS_RATE:
      // The routers' success-rate queries return a ratio (0-1); thresholds are percentages.
      query = builtInQuery(owner, routing, metric.kind);
      bounds = [`result[0] >= ${round(metric.min! / 100)}`];
      break;
    case MetricKind.REQUEST_DURATION:
      query = builtInQuery(owner, routing, metric.kind);
      bounds = [`result[0] <= ${metric.max}`];
      break;
    default:
      query = metric.query!;
      bounds = [
        ...(metric.min === undefined ? [] : [`result[0] >= ${metric.min}`]),
        ...(metric.max === undefined ? [] : [`result[0] <= ${metric.max}`]),
      ];
  }
  return {
    name: metric.name,
    interval: toGoDuration(interval),
    failureLimit,
    // An empty result (no traffic reached the canary) fails the check instead of erroring, so a
    // silent canary is never promoted.
    successCondition: ['len(result) > 0', ...bounds].join(' && '),
    provider: {
      prometheus: {
        address: `{{args.${PROMETHEUS_ADDRESS_ARG}}}`,
        query: translateQuery(query, window),
      },
    },
  };
}

function builtInQuery(owner: string, routing: ArgoRolloutsRouting, kind: MetricKind): string {
  return routing.queries[kind] ?? fail(owner, `the router has no built-in query for ${kind} with Argo Rollouts`);
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** A loadtester command as a Kubernetes Job that passes Pod Security "restricted". */
function jobMetric(webhook: CanaryWebhook, schedule: { interval?: string; failureLimit: number }): { [key: string]: any } {
  const isTest = webhook.type === WebhookType.PRE_ROLLOUT;
  return {
    name: webhook.name,
    ...schedule,
    provider: {
      job: {
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: isTest && webhook.timeout ? webhook.timeout.toSeconds() : undefined,
          template: {
            spec: {
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [{
                name: webhook.name,
                image: LOAD_TESTER_IMAGE,
                command: ['/bin/sh', '-c', webhook.command],
                resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '1', memory: '256Mi' } },
                securityContext: renderSecurityContext(),
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              }],
              volumes: [{ name: 'tmp', emptyDir: {} }],
            },
          },
        },
      },
    },
  };
}

function renderSecurityContext(): { [key: string]: any } {
  const context = restrictedSecurityContext(10001);
  return {
    runAsNonRoot: context.ensureNonRoot,
    runAsUser: context.user,
    runAsGroup: context.group,
    privileged: context.privileged,
    allowPrivilegeEscalation: context.allowPrivilegeEscalation,
    readOnlyRootFilesystem: context.readOnlyRootFilesystem,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
