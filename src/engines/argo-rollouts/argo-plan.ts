import { Duration } from 'cdk8s';
import { ResolvedAnalysis } from '../../analysis/analysis';
import { argoLoadDuration, checkLoadCommand, loadCommandDuration, renderLoadCommand } from '../../analysis/load-command';
import { LoadTarget, LoadTool } from '../../analysis/load-test';
import { CanaryMetric, MetricKind } from '../../analysis/metric';
import { HeaderMatch, HeaderMatchKind, RolloutStep, RolloutStepKind } from '../../analysis/steps';
import { CanaryWebhook, GateStage, WebhookType } from '../../analysis/webhook';
import { ARGO_SLACK_SECONDS } from '../../plan/timing';
import { NO_SIDECAR_LABELS } from '../../platform/conventions';
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
  /** Name and namespace of the service. */
  readonly name: string;
  readonly namespace: string;
  readonly analysis: ResolvedAnalysis;
  readonly routing: ArgoRolloutsRouting;
  readonly loadTarget: LoadTarget;
  readonly stepAnalysisCount: number;
  readonly startingStep?: number;
}

/** Labels of the pods of the analysis Jobs (load and acceptance tests), which their NetworkPolicy selects. */
export function analysisJobLabels(name: string): { [key: string]: string } {
  return { 'app.kubernetes.io/component': 'analysis-job', 'app.kubernetes.io/instance': name };
}

/** Time after the start of an analysis at which a check first measures: one query window, so that the window holds load. */
export function firstMeasurementDelay(metric: CanaryMetric): Duration {
  return metric.interval ?? Duration.minutes(1);
}

/** Interval between load Jobs: the next starts 1 s after the previous ended (Argo counts from FinishedAt). */
export const LOAD_JOB_INTERVAL = '1s';

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
  const commands = loadCommands(options, webhooks.loadTests);
  // Load Jobs follow each other for as long as the analysis runs, so every query window has load.
  const loads = webhooks.loadTests.map((webhook) => jobMetric(options.name, webhook, commands.background.get(webhook.name)!,
    { interval: LOAD_JOB_INTERVAL, failureLimit }));

  const firstWeight = steps.findIndex((step) => step.setWeight > 0);
  const startingStep = options.startingStep === undefined ? firstWeight + 1 : options.startingStep + prefix.length;
  if (checks.length + loads.length > 0 && (startingStep < 0 || startingStep >= steps.length)) {
    const why = options.startingStep === undefined
      ? 'it starts after the first weight above zero, and no step follows it: add a RolloutStep.pause() after it, or set \'analysisStartingStep\''
      : `'analysisStartingStep' is ${options.startingStep}`;
    fail(owner, `the background analysis would start at step ${startingStep}, but the Rollout has ${steps.length} steps (0-${steps.length - 1}): ${why}`);
  }
  const count = options.stepAnalysisCount;
  // A step analysis must be able to fail within its `count` measurements, and its load must last
  // until the last of them: one Job as long as the step for a typed load test, else `count` runs.
  const stepChecks = checks.map((metric) => ({ ...metric, count, failureLimit: Math.min(metric.failureLimit, count - 1) }));
  const stepLoads = webhooks.loadTests.map((webhook) => {
    const command = commands.step.get(webhook.name)!;
    const schedule = webhook.load !== undefined
      ? { count: 1, failureLimit: 0 }
      : { interval: LOAD_JOB_INTERVAL, count, failureLimit: Math.min(failureLimit, count - 1) };
    return jobMetric(options.name, webhook, command, schedule);
  });
  return {
    steps,
    backgroundMetrics: [...checks, ...loads],
    stepMetrics: [...stepChecks, ...stepLoads],
    acceptanceMetrics: webhooks.acceptance.map((webhook) => jobMetric(options.name, webhook, webhook.command!, { failureLimit: 0 })),
    startingStep,
    headerRoutes: routeNames(analysis.steps, RolloutStepKind.SET_HEADER_ROUTE),
    mirrorRoutes: routeNames(analysis.steps, RolloutStepKind.SET_MIRROR_ROUTE),
  };
}

interface LoadCommands {
  /** The command of each load test in the background analysis, by webhook name. */
  readonly background: Map<string, string>;
  /** The same in a step analysis: a typed load test lasts as long as the step's measurements. */
  readonly step: Map<string, string>;
}

/** The commands of the load tests: typed ones built for the router, commands of one's own checked against it. */
function loadCommands(options: PlanOptions, loadTests: CanaryWebhook[]): LoadCommands {
  const { owner, analysis, loadTarget } = options;
  const result: LoadCommands = { background: new Map(), step: new Map() };
  const stepSpan = Math.max(...analysis.metrics.map((m) => firstMeasurementDelay(m).toSeconds()), 0)
    + (options.stepAnalysisCount - 1) * analysis.interval.toSeconds() + 15;
  for (const webhook of loadTests) {
    const property = `analysis.webhooks[${analysis.webhooks.indexOf(webhook)}]`;
    if (webhook.load !== undefined) {
      const load = webhook.load;
      result.background.set(webhook.name, renderLoadCommand(owner, load, loadTarget, load.duration ?? argoLoadDuration(analysis.interval)));
      result.step.set(webhook.name, renderLoadCommand(owner, load, loadTarget, load.duration ?? Duration.seconds(stepSpan)));
    } else {
      const example = loadTarget.url === undefined ? "a command through the router's ingress"
        : renderLoadCommand(owner, { requestsPerSecond: 10, concurrency: 2, path: '/', tool: LoadTool.HEY }, loadTarget, argoLoadDuration(analysis.interval));
      checkLoadCommand(owner, property, webhook.command!, loadTarget, options.namespace, example);
      result.background.set(webhook.name, webhook.command!);
      result.step.set(webhook.name, webhook.command!);
    }
  }
  return result;
}

/** How long the command of a load Job runs, when it can be told. */
export function jobLoadDuration(metric: { [key: string]: any }): Duration | undefined {
  const command: string[] | undefined = metric.provider?.job?.spec?.template?.spec?.containers?.[0]?.command;
  return command ? loadCommandDuration(command[command.length - 1]) : undefined;
}

/**
 * The engine-neutral weights as steps: set a weight and hold it for one interval, the first one long
 * enough for the background analysis to fail there. Unlike Flagger, Argo Rollouts does not hold a
 * weight while checks fail: steps advance on their own, and the analysis aborts only once a metric
 * has failed `threshold` times. Holding the first weight until that is possible stops a canary that
 * is bad from the start at the lowest weight, not at the highest.
 */
function weightSteps(analysis: ResolvedAnalysis): RolloutStep[] {
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
    } else if ((webhook.command !== undefined || webhook.load !== undefined) && webhook.type === WebhookType.ROLLOUT) {
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
    // The first measurement waits one query window, so that the load started with the analysis has
    // filled it: measured at once, the window would hold no request and the check would fail.
    initialDelay: window,
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

/**
 * A loadtester command as a Kubernetes Job that passes Pod Security "restricted". Its pods stay out
 * of the Istio mesh: a sidecar would keep the Job from ever completing.
 */
function jobMetric(
  name: string, webhook: CanaryWebhook, command: string, schedule: { interval?: string; count?: number; failureLimit: number },
): { [key: string]: any } {
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
            metadata: { labels: { ...analysisJobLabels(name), ...NO_SIDECAR_LABELS } },
            spec: {
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [{
                name: webhook.name,
                image: LOAD_TESTER_IMAGE,
                command: ['/bin/sh', '-c', command],
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
