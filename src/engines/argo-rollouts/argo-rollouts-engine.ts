import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ArgoAnalysisTemplate } from './analysis-template';
import type * as ArgoMetrics from './argo-metrics';
import type * as ArgoNotifications from './argo-notifications';
import type * as ArgoPlans from './argo-plan';
import type * as ArgoQueryChecks from './argo-query-checks';
import type * as ArgoRolloutPlan from './argo-rollout-plan';
import type * as ProgressDeadlines from './progress-deadline';
import { ArgoRollout, RolloutWorkloadMode, WorkloadScaleDown } from './rollout';
import { ClusterDnsOptions } from '../../addons/cluster-dns';
import { EgressRules, resolveClusterDns } from '../../addons/egress';
import { ResolvedAnalysis } from '../../analysis/analysis';
import { argoLoadDuration } from '../../analysis/load-command';
import { CanaryMetric, MetricKind } from '../../analysis/metric';
import { jobMatcher, withPodMetricsJob } from '../../analysis/pod-metrics-job';
import { checkArguments } from '../../arguments/check-arguments';
import { replicaSplit, surgeCount } from '../../plan/replica-split';
import { ARGO_ROLLOUTS_NAMESPACE, ARGO_ROLLOUTS_POD_LABELS } from '../../platform/conventions';
import { AnalysisArgument, ArgoRolloutsRouting } from '../../routers/router';
import { StrategyConfig, StrategyKind } from '../../strategy/delivery-strategy';
import { TrafficFeature } from '../../strategy/traffic-feature';
import { checkDnsLabel, checkInteger, checkPinnedImage, checkWholeSeconds, DeclarationErrors, fail } from '../../validation';
import { LOAD_TESTER_IMAGE } from '../../versions';
import { createAutoscaler } from '../../workload/autoscaler';
import { annotateConfigChecksum } from '../../workload/config-checksum';
import { checkImmutableImage } from '../../workload/image-reference';
import { routerProbePaths } from '../../workload/probe-paths';
import { DeliveryContext, DeliveryObjects, IDeliveryEngine } from '../engine';

type ArgoImplementation = typeof ArgoMetrics & typeof ArgoNotifications & typeof ArgoPlans & typeof ArgoQueryChecks & typeof ArgoRolloutPlan
  & typeof ProgressDeadlines;
let implementation: ArgoImplementation | undefined;

/**
 * What the engine needs to bind a service (its planning, metrics and notifications), loaded on
 * first use: importing the library, or an app of Flagger services only, does not load it.
 */
function argo(): ArgoImplementation {
  /* eslint-disable @typescript-eslint/no-require-imports */
  implementation ??= {
    ...require('./argo-metrics'),
    ...require('./argo-notifications'),
    ...require('./argo-plan'),
    ...require('./argo-query-checks'),
    ...require('./argo-rollout-plan'),
    ...require('./progress-deadline'),
  } as ArgoImplementation;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return implementation;
}

/** Options for `DeliveryEngine.argoRollouts()`. */
export interface ArgoRolloutsEngineOptions {
  /**
   * Namespace the Argo Rollouts controller runs in.
   *
   * @default 'argo-rollouts'
   */
  readonly namespace?: string;
  /**
   * Labels of the controller's pods: the embedded Prometheus admits only these pods of `namespace`
   * (the controller runs the AnalysisRuns' queries). The default is on the pods of both upstream's
   * install.yaml and the Helm chart (which also labels the dashboard's pods so); give the chart's
   * `{ 'app.kubernetes.io/name': 'argo-rollouts', 'app.kubernetes.io/component': 'rollouts-controller' }`
   * to admit the controller alone, or your own install's labels.
   *
   * @default { 'app.kubernetes.io/name': 'argo-rollouts' }
   */
  readonly podLabels?: { [key: string]: string };
  /**
   * The image the analysis Jobs (load and acceptance tests) run, e.g. a mirror of the loadtester
   * image in your registry. It needs `sh` and the programs the commands call (`hey`, `ghz`, `curl`),
   * and runs as uid 10001. Pinned by digest, or by a version tag.
   *
   * @default - Flagger's loadtester image (versions.ts), pinned by digest when one is recorded
   */
  readonly analysisJobImage?: string;
  /**
   * A key with which the data of the Secrets the pods read enters the pod template's
   * `checksum/config` annotation (HMAC-SHA256), so that changing a Secret starts a release while the
   * annotation, which anyone who may read pods sees, reveals nothing of the Secret. Keep it out of
   * the cluster and give the same key wherever you synthesize (e.g. from your CI's secret store):
   * another key changes the annotation and starts a release.
   *
   * @default - Secrets enter the checksum by name only: changing a Secret's data starts no release
   * (ConfigMaps always count with their data)
   */
  readonly configChecksumKey?: string;
  /**
   * Where the analysis Jobs resolve names: their NetworkPolicy allows DNS to these pods only.
   *
   * @default - the cluster DNS pods (`k8s-app: kube-dns` in kube-system) alone
   */
  readonly dns?: ClusterDnsOptions;
  /**
   * How the Rollout gets its pod template.
   *
   * @default RolloutWorkloadMode.WORKLOAD_REF
   */
  readonly workloadMode?: RolloutWorkloadMode;
  /**
   * For a migration with `WORKLOAD_REF`: what happens to the Deployment that already runs.
   *
   * @default - a new service: the Deployment is emitted with zero replicas
   */
  readonly scaleDown?: WorkloadScaleDown;
  /**
   * Step (0-based, in `analysis.steps`) at which the background analysis starts.
   *
   * @default - the step after the first weight above zero
   */
  readonly analysisStartingStep?: number;
  /**
   * How many times `RolloutStep.analysis()` steps measure each metric (they must end).
   *
   * @default 3
   */
  readonly stepAnalysisCount?: number;
  /**
   * Render the checks as a ClusterAnalysisTemplate (named `<namespace>-<name>`) instead of an
   * AnalysisTemplate in the service's namespace.
   *
   * @default false
   */
  readonly clusterScopedAnalysis?: boolean;
  /**
   * How long the canary ReplicaSet stays up after an abort.
   *
   * @default Duration.seconds(30)
   */
  readonly abortScaleDownDelay?: Duration;
  /**
   * How long the old stable ReplicaSet stays up after promotion.
   *
   * @default - Argo Rollouts' default (30 seconds with traffic routing)
   */
  readonly scaleDownDelay?: Duration;
  /**
   * Scale the stable ReplicaSet down as traffic moves to the canary.
   *
   * @default false
   */
  readonly dynamicStableScale?: boolean;
  /**
   * How long a rollout may make no progress (`progressDeadlineSeconds`). Pauses and analysis steps
   * do not count against it; blue/green's pre-promotion analysis does, so a declared deadline
   * shorter than that analysis fails synth.
   *
   * @default - Duration.minutes(10), or longer for a blue/green release whose pre-promotion analysis needs it (the plan says so)
   */
  readonly progressDeadline?: Duration;
  /**
   * Abort the rollout when the progress deadline passes.
   *
   * @default false
   */
  readonly progressDeadlineAbort?: boolean;
  /**
   * Extra pods above the desired count during an update, as a number or a percentage ('25%').
   *
   * @default '25%'
   */
  readonly maxSurge?: string;
  /**
   * Pods that may be unavailable during an update, as a number or a percentage.
   *
   * @default '0'
   */
  readonly maxUnavailable?: string;
}

/**
 * Argo Rollouts drives the rollout: a Rollout (referencing the Deployment or carrying its pod
 * template), an autoscaler that targets the Rollout, AnalysisTemplates for the checks, and the
 * router's Services and routing objects.
 */
export class ArgoRolloutsEngine implements IDeliveryEngine {
  public readonly name = 'argo-rollouts';
  public readonly controllerNamespace: string;
  public readonly controllerPodLabels?: { [key: string]: string };
  private readonly options: ArgoRolloutsEngineOptions;

  public constructor(options: ArgoRolloutsEngineOptions = {}) {
    const owner = 'DeliveryEngine.argoRollouts()';
    checkArguments('ArgoRolloutsEngine.new', [options], owner);
    this.controllerNamespace = checkDnsLabel(owner, 'namespace', options.namespace ?? ARGO_ROLLOUTS_NAMESPACE);
    this.controllerPodLabels = { ...options.podLabels ?? ARGO_ROLLOUTS_POD_LABELS };
    if (options.analysisJobImage !== undefined) checkImmutableImage(owner, 'analysisJobImage', checkPinnedImage(owner, 'analysisJobImage', options.analysisJobImage));
    if (options.dns !== undefined) resolveClusterDns(owner, 'dns', options.dns);
    if (options.configChecksumKey !== undefined && options.configChecksumKey.length < 16) {
      // The key itself is never shown.
      fail(owner, `'configChecksumKey' (${options.configChecksumKey.length} characters) must be at least 16 characters long, e.g. 32 random bytes in hex`);
    }
    if (options.scaleDown !== undefined && options.workloadMode === RolloutWorkloadMode.INLINE_TEMPLATE) {
      fail(owner, "'scaleDown' applies only to workloadMode WORKLOAD_REF (a Deployment being migrated)");
    }
    if (options.dynamicStableScale && options.scaleDownDelay !== undefined) {
      fail(owner, "either 'dynamicStableScale' or 'scaleDownDelay', not both (Argo Rollouts rejects the combination)");
    }
    for (const key of ['maxSurge', 'maxUnavailable'] as const) {
      const value = options[key];
      if (value !== undefined && !/^(\d+|\d+%)$/.test(value)) {
        fail(owner, `'${key}' ('${value}') must be a whole number or a percentage such as '25%'`);
      }
    }
    if (isZero(options.maxSurge ?? '25%') && isZero(options.maxUnavailable ?? '0')) {
      fail(owner, "'maxSurge' and 'maxUnavailable' cannot both be zero: the rollout could never replace a pod");
    }
    if (options.stepAnalysisCount !== undefined) checkInteger(owner, 'stepAnalysisCount', options.stepAnalysisCount, 1, 100);
    if (options.analysisStartingStep !== undefined) checkInteger(owner, 'analysisStartingStep', options.analysisStartingStep, 0, 1000);
    for (const key of ['abortScaleDownDelay', 'scaleDownDelay', 'progressDeadline'] as const) {
      const value = options[key];
      if (value !== undefined) checkWholeSeconds(owner, key, value, key === 'progressDeadline' ? 1 : 0);
    }
    this.options = options;
  }

  public needsLoadTester(_analysis: ResolvedAnalysis, _strategy?: StrategyConfig): boolean {
    // Loadtester commands run as Jobs, and gates as pauses: nothing calls the loadtester.
    return false;
  }

  public loadDuration(interval: Duration): Duration {
    return argoLoadDuration(interval);
  }

  public bind(scope: Construct, context: DeliveryContext): DeliveryObjects {
    const { name, namespace, labels } = context;
    const owner = `CanaryService '${name}'`;
    // A team's Deployment may select by `app` or `name`; the Rollout and its Services select the same.
    const selectorLabels = { ...context.deployment.matchLabels };
    const strategy = context.strategy;
    const blueGreen = strategy.kind === StrategyKind.BLUE_GREEN && strategy.blueGreen!.mirrorPercentage === undefined;
    const {
      argoRouteNames, planArgoRollout, subscribeAlerts, notificationOwnerNote, checkArgoAlerts, argoProgressDeadline, planArgo, metricProperties,
      checkArgoQueries, customQueryArguments,
      NAMESPACE_ARG, SERVICE_NAME_ARG, PROMETHEUS_ADDRESS_ARG, BACKGROUND_TEMPLATE,
    } = argo();
    // Mistakes are collected and reported together; only those the rest cannot go on without stop
    // (with the ones found so far).
    const errors = new DeclarationErrors();
    const report = (message: string) => errors.attempt(() => fail(owner, message));
    errors.attempt(() => this.checkStrategyOptions(owner, strategy.kind, blueGreen));
    const alertsValid = errors.attempt(() => {
      checkArgoAlerts(owner, context.analysis.alerts);
      return true;
    }) ?? false;
    const { headerRoutes, mirrorRoutes } = argoRouteNames(strategy, context.analysis);
    const unroutable = [
      ...(headerRoutes.length > 0 && !context.router.supports(this.name, TrafficFeature.HEADER_MATCH)
        ? [`'analysis.steps' set the header route '${headerRoutes[0]}', but the ${context.router.name} router cannot route by header with Argo Rollouts`] : []),
      ...(mirrorRoutes.length > 0 && !context.router.supports(this.name, TrafficFeature.MIRRORING)
        ? [`'analysis.steps' set the mirror route '${mirrorRoutes[0]}', but the ${context.router.name} router cannot mirror traffic with Argo Rollouts`] : []),
    ];
    unroutable.forEach(report);
    if (unroutable.length > 0) errors.throwIfAny();
    const routing = withPodMetricsJob(context.router.bindArgoRollouts(scope, {
      name,
      namespace,
      labels,
      port: context.port,
      containerPort: context.containerPort,
      selectorLabels,
      headerRoutes,
      mirrorRoutes,
      strategy,
      engine: this.name,
      blueGreen,
      safetyNet: context.safetyNet,
      protocol: context.protocol,
      probePaths: routerProbePaths(context.router, context.deployment, context.containerPort),
      monitorScopedSeries: context.monitorScopedSeries,
    }), context.monitorScopedSeries?.podMatchers ?? jobMatcher(context.prometheus.podMetricsJob(namespace, name)));
    if (routing.canaryService !== undefined && routing.canaryService === routing.stableService) {
      report(`the canary and stable Services must differ (both are '${routing.canaryService}')`);
    }
    if (!blueGreen && routing.trafficRouting === undefined) {
      const routedOnly = (['dynamicStableScale', 'scaleDownDelay', 'abortScaleDownDelay'] as const).filter((key) => this.options[key] !== undefined);
      if (routedOnly.length > 0) {
        report(`${routedOnly.map((k) => `'${k}'`).join(', ')} of DeliveryEngine.argoRollouts() need traffic routing, which the ${context.router.name} router does not do (validation.go: "can only be used with traffic routing"); leave them out`);
      }
    }
    if (blueGreen && (routing.activeService === undefined || routing.activeService === routing.previewService)) {
      report(`blue/green needs an active and a different preview Service; the ${context.router.name} router gave '${routing.activeService}' and '${routing.previewService}'`);
      errors.throwIfAny();
    }

    // Argo Rollouts does not watch ConfigMaps and Secrets: their checksum on the pod template does.
    annotateConfigChecksum(context.deployment, namespace, this.options.configChecksumKey);

    const customMetrics = metricProperties(context.analysis, strategy);
    const args = mergeArguments(owner, [
      { name: NAMESPACE_ARG, value: namespace },
      { name: SERVICE_NAME_ARG, value: name },
      { name: PROMETHEUS_ADDRESS_ARG, value: context.prometheus.address },
      ...routerArguments(routing, context.analysis, [...customMetrics.keys()]),
      ...customQueryArguments(customMetrics),
    ]);
    errors.attempt(() => checkArgoQueries(owner, customMetrics, args, routing, { name, namespace, router: context.router.name }));
    const planned = errors.attempt(() => planArgoRollout({
      owner,
      name,
      namespace,
      analysis: context.analysis,
      strategy,
      routing,
      loadTarget: context.loadTarget,
      phaseLoadTargets: context.phaseLoadTargets,
      stepAnalysisCount: this.options.stepAnalysisCount ?? 3,
      startingStep: this.options.analysisStartingStep,
      jobImage: this.options.analysisJobImage ?? LOAD_TESTER_IMAGE,
    }));
    // Set to fit what counts against it (blue/green's pre-promotion analysis), or checked when declared.
    const fitted = planned && errors.attempt(() => argoProgressDeadline({
      owner, plan: planned, declared: this.options.progressDeadline, abort: this.options.progressDeadlineAbort ?? false,
    }));
    // Without a plan there is nothing to render: report what was found (a mistake was recorded).
    if (planned === undefined || fitted === undefined) errors.throwIfAny();
    const plan = planned!;
    const deadline = fitted!;
    const progressDeadline = Duration.seconds(deadline.seconds);
    if (progressDeadline.toSeconds() <= context.deployment.minReady.toSeconds()) {
      report(`'progressDeadline' (${progressDeadline.toHumanString()}) must be longer than the Deployment's minReady (${context.deployment.minReady.toHumanString()})`);
    }
    const templates = this.createTemplates(scope, context, args, plan);
    const reference = (role: string) => {
      const template = templates[role] ?? fail(owner, withoutChecks(role, strategy));
      return { templates: [template.reference], args: args.map(renderArgument) };
    };

    const rollout = new ArgoRollout(scope, 'Rollout', {
      metadata: { name, namespace, labels },
      deployment: context.deployment,
      workloadMode: this.options.workloadMode,
      scaleDown: this.options.scaleDown,
      selectorLabels,
      progressDeadline,
      progressDeadlineAbort: this.options.progressDeadlineAbort,
      ...(plan.blueGreen
        // An analysis without checks has no template: the plan says so, naming what to add.
        ? { blueGreenStrategy: this.blueGreenStrategy(plan.blueGreen, routing, (role) => (templates[role] ? reference(role) : undefined)) }
        : { canaryStrategy: this.canaryStrategy(plan, routing, reference) }),
    });
    const notifications = alertsValid
      ? errors.attempt(() => subscribeAlerts(scope, owner, rollout.apiObject, name, namespace, context.analysis.alerts))
      : undefined;
    const autoscaler = createAutoscaler(scope, 'Autoscaler', {
      name, namespace, labels, target: rollout, scaling: context.scaling,
    });
    const objects: { [role: string]: Construct } = { rollout, ...routing.objects, ...(notifications ? { notifications } : {}) };
    for (const [role, template] of Object.entries(templates)) {
      objects[role === BACKGROUND_TEMPLATE ? 'analysisTemplate' : `${camelCase(role)}AnalysisTemplate`] = template;
    }
    if (Object.values(plan.templates).flat().some((metric) => metric.provider.job)) {
      objects.jobNetworkPolicy = this.fenceJobs(scope, context);
    }
    const notes = [
      ...(routing.trafficRouting === undefined && !plan.blueGreen
        ? replicaSplitNotes(plan, context.scaling.minReplicas, this.options.maxSurge ?? '25%')
        : []),
      ...(notifications ? notificationOwnerNote(scope, namespace, context.analysis.alerts) : []),
    ];
    const planner = { plan: () => planArgo({ name, namespace, analysis: context.analysis, plan, notes, progressDeadline: deadline.plan }) };
    errors.throwIfAny();
    // Every ReplicaSet of the Rollout (stable, canary, preview) carries the Rollout's selector labels.
    const runningPods = Object.entries(context.selectorLabels).map(([key, value]) => kplus.LabelExpression.in(key, [value]));
    return { autoscaler, objects, planner, runningPods };
  }

  /** Options that only make sense for one kind of Rollout strategy. */
  private checkStrategyOptions(owner: string, kind: StrategyKind, blueGreen: boolean): void {
    const errors = new DeclarationErrors();
    const canaryOnly = (['dynamicStableScale', 'maxSurge', 'maxUnavailable'] as const).filter((key) => this.options[key] !== undefined);
    if (blueGreen && canaryOnly.length > 0) {
      errors.attempt(() => fail(owner, `${canaryOnly.map((k) => `'${k}'`).join(', ')} of DeliveryEngine.argoRollouts() apply to canary steps, not to blue/green; leave them out, or use DeliveryStrategy.canary()`));
    }
    if (blueGreen && this.options.scaleDownDelay !== undefined) {
      errors.attempt(() => fail(owner, "'scaleDownDelay' of DeliveryEngine.argoRollouts() applies to canaries; with blue/green, set it on DeliveryStrategy.blueGreen({ scaleDownDelay })"));
    }
    if (kind !== StrategyKind.CANARY && this.options.analysisStartingStep !== undefined) {
      errors.attempt(() => fail(owner, "'analysisStartingStep' applies to a canary's background analysis; this strategy checks with analyses of its own steps"));
    }
    errors.throwIfAny();
  }

  private canaryStrategy(
    plan: ArgoPlans.ArgoPlan, routing: ArgoRolloutsRouting, reference: (role: string) => { [key: string]: any },
  ): { [key: string]: any } {
    const background = argo().BACKGROUND_TEMPLATE;
    const managed = [...plan.headerRoutes, ...plan.mirrorRoutes];
    // Without traffic routing (a basic canary) the abort delay has no traffic to keep away from.
    const routed = routing.trafficRouting !== undefined;
    return {
      canaryService: routing.canaryService,
      stableService: routing.stableService,
      trafficRouting: routed ? {
        ...routing.trafficRouting,
        managedRoutes: managed.length > 0 ? managed.map((route) => ({ name: route })) : undefined,
      } : undefined,
      abortScaleDownDelaySeconds: routed ? (this.options.abortScaleDownDelay ?? Duration.seconds(30)).toSeconds() : undefined,
      scaleDownDelaySeconds: this.options.scaleDownDelay?.toSeconds(),
      dynamicStableScale: this.options.dynamicStableScale,
      maxSurge: intOrPercent(this.options.maxSurge ?? '25%'),
      maxUnavailable: intOrPercent(this.options.maxUnavailable ?? '0'),
      analysis: plan.templates[background] ? { ...reference(background), startingStep: plan.startingStep } : undefined,
      steps: plan.steps.map((step) => (step.analysis ? { analysis: reference(step.analysis.templates) } : step)),
    };
  }

  /**
   * `strategy.blueGreen`: the Services, the analyses before and after the switch, whether the switch
   * waits for a person, and how long the old version stays (without a delay, until the
   * post-promotion analysis passes: rollout/bluegreen.go keeps it while that analysis runs).
   */
  private blueGreenStrategy(
    bg: ArgoPlans.ArgoBlueGreenPlan, routing: ArgoRolloutsRouting, reference: (role: string) => { [key: string]: any } | undefined,
  ): { [key: string]: any } {
    return {
      activeService: routing.activeService,
      previewService: routing.previewService,
      autoPromotionEnabled: bg.autoPromote,
      scaleDownDelaySeconds: bg.scaleDownDelay?.toSeconds(),
      abortScaleDownDelaySeconds: (this.options.abortScaleDownDelay ?? Duration.seconds(30)).toSeconds(),
      prePromotionAnalysis: reference(bg.prePromotion),
      postPromotionAnalysis: reference(bg.postPromotion),
    };
  }

  /**
   * The analysis Jobs run commands: nothing may call them, and they may call only DNS, the canary
   * pods (acceptance tests) and what the load must reach.
   */
  private fenceJobs(scope: Construct, context: DeliveryContext): kplus.NetworkPolicy {
    const labels = argo().analysisJobLabels(context.name);
    const policy = new kplus.NetworkPolicy(scope, 'JobNetworkPolicy', {
      metadata: { name: `${context.name}-analysis-jobs`, namespace: context.namespace, labels: context.labels },
      selector: kplus.Pods.select(scope, 'JobPods', { labels }),
      ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    });
    const rules = new EgressRules(policy, policy, this.options.dns);
    rules.allow({ namespace: context.namespace, podLabels: { ...context.selectorLabels }, ports: [context.containerPort] });
    context.loadTarget.egress.forEach((egress) => rules.allow(egress));
    return policy;
  }

  private createTemplates(
    scope: Construct, context: DeliveryContext, args: AnalysisArgument[], plan: ArgoPlans.ArgoPlan,
  ): { [role: string]: ArgoAnalysisTemplate } {
    const clusterScoped = this.options.clusterScopedAnalysis ?? false;
    const baseName = clusterScoped ? `${context.namespace}-${context.name}` : context.name;
    const templates: { [role: string]: ArgoAnalysisTemplate } = {};
    for (const [role, metrics] of Object.entries(plan.templates)) {
      if (metrics.length === 0) continue;
      const background = role === argo().BACKGROUND_TEMPLATE;
      templates[role] = new ArgoAnalysisTemplate(scope, background ? 'AnalysisTemplate' : `AnalysisTemplate-${role}`, {
        metadata: { name: background ? baseName : `${baseName}-${role}`, namespace: context.namespace, labels: context.labels },
        clusterScoped,
        argumentNames: args.map((arg) => arg.name),
        metrics,
      });
    }
    return templates;
  }
}

/**
 * Without traffic routing the weights are replica counts: what each weight runs with the
 * autoscaler's fewest replicas (the coarsest split), and the finest step there is.
 */
function replicaSplitNotes(plan: ArgoPlans.ArgoPlan, replicas: number, maxSurge: string): string[] {
  const surge = surgeCount(maxSurge, replicas);
  const weights = [...new Set(plan.steps.map((step) => step.setWeight as number | undefined))]
    .filter((w): w is number => w !== undefined && w > 0 && w < 100);
  const splits = weights.map((weight) => {
    const { canary, stable } = replicaSplit(replicas, weight, surge);
    return `${weight}% runs ${canary} canary and ${stable} stable pod${stable === 1 ? '' : 's'} (${Math.round((100 * canary) / (canary + stable))}% of the traffic)`;
  });
  return [
    `the traffic is split by replica count, not by weight: with ${replicas} replica${replicas === 1 ? '' : 's'} (the autoscaler's minimum), ${splits.join('; ')}`,
    `the finest step is one pod in ${replicas + (surge > 0 ? 1 : 0)} (${Math.round(100 / (replicas + (surge > 0 ? 1 : 0)))}% of the traffic); more replicas give finer steps`,
  ];
}

/**
 * The router's arguments, less those only its comparable series use (the stable version's) when no
 * check compares and no query of your own uses them: every argument is passed to every template.
 */
function routerArguments(routing: ArgoRolloutsRouting, analysis: ResolvedAnalysis, metrics: CanaryMetric[]): AnalysisArgument[] {
  if (analysis.metrics.some((metric) => metric.kind === MetricKind.COMPARISON) || !routing.comparableSeries) return routing.queryArguments;
  const used = (text: string) => new Set([...text.matchAll(/\{\{args\.([-a-zA-Z0-9_]+)\}\}/g)].map((m) => m[1]));
  const inQueries = used(JSON.stringify([routing.queries, routing.activeQueries ?? {}, metrics.map((metric) => metric.query ?? '')]));
  const inSeries = used(JSON.stringify(routing.comparableSeries));
  return routing.queryArguments.filter((arg) => !inSeries.has(arg.name) || inQueries.has(arg.name));
}

/** `pre-promotion` as `prePromotion`. */
function camelCase(role: string): string {
  return role.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function isZero(value: string): boolean {
  return /^0+%?$/.test(value);
}

function intOrPercent(value: string): number | string {
  return value.endsWith('%') ? value : Number(value);
}

/** One argument per name; a router may ask for one the engine passes anyway, with the same value. */
function mergeArguments(owner: string, args: AnalysisArgument[]): AnalysisArgument[] {
  const merged = new Map<string, AnalysisArgument>();
  const show = (arg: AnalysisArgument) => (arg.value !== undefined ? `'${arg.value}'` : `the ${arg.podTemplateHash} pod-template hash`);
  for (const arg of args) {
    const existing = merged.get(arg.name);
    if (existing !== undefined && (existing.value !== arg.value || existing.podTemplateHash !== arg.podTemplateHash)) {
      fail(owner, `the analysis argument '${arg.name}' would be passed twice, as ${show(existing)} and as ${show(arg)}`);
    }
    merged.set(arg.name, arg);
  }
  return [...merged.values()];
}

/** An argument as the Rollout passes it: a string value, or the pod-template hash Argo resolves. */
function renderArgument(arg: AnalysisArgument): { [key: string]: any } {
  return arg.podTemplateHash !== undefined
    ? { name: arg.name, valueFrom: { podTemplateHashValue: arg.podTemplateHash } }
    : { name: arg.name, value: arg.value };
}

/** Why a step analysis has nothing to run, in the user's terms: the phase (or analysis) without checks. */
function withoutChecks(role: string, strategy: StrategyConfig): string {
  const phase = (strategy.phases ?? []).findIndex((p, i) => (p.name ?? `phase-${i + 1}`) === role);
  const what = phase >= 0 ? `'strategy.phases[${phase}]' ('${role}')` : `the '${role}' analysis`;
  return `${what} has no checks, so nothing can stop a bad canary there: add metrics to ${phase >= 0 ? 'its \'metrics\' or to ' : ''}'analysis.metrics' (e.g. CanaryMetric.requestSuccessRate())`;
}
