import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { FlaggerCanary } from './canary';
import type * as FlaggerPlan from './flagger-plan';
import type * as FlaggerSteps from './flagger-steps';
import { ResolvedAnalysis } from '../../analysis/analysis';
import { flaggerLoadDuration } from '../../analysis/load-command';
import { jobMatcher, withPodMetricsJob } from '../../analysis/pod-metrics-job';
import { RolloutStepKind } from '../../analysis/steps';
import { CanaryWebhook, GateStage, WebhookType } from '../../analysis/webhook';
import { checkArguments } from '../../arguments/check-arguments';
import { FLAGGER_NAMESPACE, FLAGGER_POD_LABELS } from '../../platform/conventions';
import { GeneratedObject, ServiceReach } from '../../references/topology';
import { StrategyConfig, StrategyKind } from '../../strategy/delivery-strategy';
import { checkDnsLabel, fail } from '../../validation';
import { createAutoscaler } from '../../workload/autoscaler';
import { routerProbePaths } from '../../workload/probe-paths';
import { DeliveryContext, DeliveryObjects, IDeliveryEngine } from '../engine';

type FlaggerImplementation = typeof FlaggerPlan & typeof FlaggerSteps;
let implementation: FlaggerImplementation | undefined;

/**
 * The engine's planning and analysis steps, loaded on first use: importing the library, or an app
 * of Argo Rollouts services only, does not load them.
 */
function flagger(): FlaggerImplementation {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  implementation ??= { ...require('./flagger-plan'), ...require('./flagger-steps') } as FlaggerImplementation;
  return implementation;
}

/** Options for `DeliveryEngine.flagger()`. */
export interface FlaggerEngineOptions {
  /**
   * Namespace the Flagger controller runs in; the loadtester admits calls from it.
   *
   * @default 'flagger-system'
   */
  readonly namespace?: string;
  /**
   * Labels of Flagger's pods: the loadtester and the embedded Prometheus admit only these pods of
   * `namespace`. Give `{ app: 'flagger' }` for Flagger installed from its kustomize base.
   *
   * @default { 'app.kubernetes.io/name': 'flagger' } - what Flagger's Helm chart puts on its pods
   */
  readonly podLabels?: { [key: string]: string };
  /**
   * How long the canary's (or the primary's) pods may stay unavailable before Flagger rolls back
   * (`progressDeadlineSeconds`). It does not bound the analysis or the gates. The generated
   * Deployment gets the same deadline (Flagger copies it to the primary, and the Deployment's own
   * deadline ends a release too); a Deployment of one's own must not have a shorter one.
   *
   * @default Duration.minutes(10)
   */
  readonly progressDeadline?: Duration;
  /**
   * Promote without analysis (e.g. for an emergency fix).
   *
   * @default false
   */
  readonly skipAnalysis?: boolean;
  /**
   * Restore the original Deployment when the Canary is deleted.
   *
   * @default false
   */
  readonly revertOnDeletion?: boolean;
}

/**
 * Flagger drives the rollout: we emit the Deployment, its autoscaler and a Canary; Flagger creates
 * the Services `<name>`, `<name>-primary`, `<name>-canary` and the router's weighted objects itself.
 */
export class FlaggerEngine implements IDeliveryEngine {
  public readonly name = 'flagger';
  public readonly controllerNamespace: string;
  /**
   * The engine's `progressDeadline`, which the Deployment needs as well: Flagger copies the
   * Deployment's `progressDeadlineSeconds` to the primary (pkg/canary/deployment_controller.go,
   * Promote and createPrimaryDeployment) and fails the release when either Deployment's Progressing
   * condition says `ProgressDeadlineExceeded` (pkg/canary/deployment_ready.go, isDeploymentReady),
   * whatever the Canary's deadline.
   */
  public readonly workloadProgressDeadline?: Duration;
  public readonly controllerPodLabels?: { [key: string]: string };
  private readonly progressDeadline: Duration;
  private readonly options: FlaggerEngineOptions;

  public constructor(options: FlaggerEngineOptions = {}) {
    checkArguments('FlaggerEngine.new', [options], 'DeliveryEngine.flagger()');
    this.controllerNamespace = checkDnsLabel('DeliveryEngine.flagger()', 'namespace', options.namespace ?? FLAGGER_NAMESPACE);
    this.controllerPodLabels = { ...options.podLabels ?? FLAGGER_POD_LABELS };
    this.options = options;
    this.progressDeadline = options.progressDeadline ?? Duration.minutes(10);
    this.workloadProgressDeadline = this.progressDeadline;
  }

  public needsLoadTester(analysis: ResolvedAnalysis, strategy?: StrategyConfig): boolean {
    const gates = (analysis.steps ?? []).some((step) => step.kind === RolloutStepKind.PAUSE && step.duration === undefined);
    // Blue/green without automatic promotion holds at the loadtester's confirm-promotion gate.
    const promotionGate = strategy?.kind === StrategyKind.BLUE_GREEN && strategy.blueGreen?.autoPromote === false;
    return gates || promotionGate || analysis.webhooks.some((webhook) => webhook.usesLoadTester);
  }

  public bind(scope: Construct, context: DeliveryContext): DeliveryObjects {
    const { name, namespace, labels } = context;
    // Flagger scales the target to zero and serves from <name>-primary; without an autoscaler a
    // GitOps sync would scale the target back up, so a fixed size is an autoscaler with min = max.
    const autoscaler = createAutoscaler(scope, 'Autoscaler', {
      name, namespace, labels, target: context.deployment, scaling: context.scaling,
    });
    const owner = `CanaryService '${name}'`;
    const routing = withPodMetricsJob(context.router.bindFlagger(scope, {
      name,
      namespace,
      labels,
      port: context.port,
      containerPort: context.containerPort,
      selectorLabels: context.selectorLabels,
      strategy: context.strategy,
      engine: this.name,
      safetyNet: context.safetyNet,
      protocol: context.protocol,
      probePaths: routerProbePaths(context.router, context.deployment, context.containerPort),
      monitorScopedSeries: context.monitorScopedSeries,
    }), context.monitorScopedSeries?.podMatchers ?? jobMatcher(context.prometheus.podMetricsJob(namespace, name)));
    const canary = new FlaggerCanary(scope, 'Canary', {
      metadata: { name, namespace, labels },
      targetName: context.deployment.name,
      autoscalerName: autoscaler.name,
      provider: routing.provider,
      port: context.port,
      targetPort: context.containerPort,
      protocol: context.protocol,
      serviceFields: routing.serviceFields,
      builtInQueries: routing.builtInQueries,
      comparableSeries: routing.comparableSeries,
      analysis: withStrategyGates(owner, flagger().toFlaggerAnalysis(owner, context.analysis), context.strategy),
      strategy: context.strategy,
      metricsServer: context.prometheus.address,
      loadTesterUrl: context.loadTesterUrl,
      loadTarget: context.loadTarget,
      progressDeadline: this.options.progressDeadline,
      skipAnalysis: this.options.skipAnalysis,
      revertOnDeletion: this.options.revertOnDeletion,
    });
    // The loadtester calls the router's ingress (or the canary pods) for load, and the canary pods
    // (through `<name>-canary`, whose selector is the target's) for acceptance tests.
    const canaryPods = { namespace, podLabels: { ...context.selectorLabels }, ports: [context.containerPort] };
    const skipAnalysis = this.options.skipAnalysis ?? false;
    const planner = {
      plan: () => flagger().planFlagger({
        name,
        namespace,
        analysis: canary.resolvedAnalysis,
        commandOf: (webhook: string) => canary.commandOf(webhook),
        skipAnalysis,
        strategy: context.strategy,
        provider: routing.provider,
        progressDeadline: this.progressDeadline,
      }),
    };
    return {
      autoscaler,
      objects: { canary, ...routing.objects },
      loadEgress: [...context.loadTarget.egress, canaryPods],
      planner,
      generatedObjects: [...flaggerGeneratedObjects(name, context.deployment.name, autoscaler.name), ...routing.generatedObjects ?? []],
      runningPods: flaggerPods(context.selectorLabels),
    };
  }

  public loadDuration(interval: Duration): Duration {
    return flaggerLoadDuration(interval);
  }
}

/**
 * The pods Flagger runs: the canary's, selected like the target Deployment's, and the primary's,
 * whose one selector label Flagger copies with `-primary` appended (pkg/canary/deployment_controller.go
 * createPrimaryDeployment, util.go makePrimaryLabels). One expression covers both: two budgets would
 * let a drain take one pod of each at once.
 */
function flaggerPods(selectorLabels: { [key: string]: string }): kplus.LabelExpression[] {
  const [key, value] = Object.entries(selectorLabels)[0];
  return [kplus.LabelExpression.in(key, [value, `${value}-primary`])];
}

/**
 * What Flagger creates for every provider when it initializes a Canary (pkg/canary/deployment_controller.go
 * Initialize: `<target>-primary` and the autoscaler `<hpa>-primary`; pkg/router/kubernetes_default.go:
 * the Services from Canary.GetServiceNames, `<apex>`, `<apex>-primary`, `<apex>-canary`).
 */
function flaggerGeneratedObjects(apex: string, target: string, autoscaler: string): GeneratedObject[] {
  return [
    { kind: 'Deployment', apiGroup: 'apps', name: `${target}-primary`, role: 'primary Deployment' },
    { kind: 'HorizontalPodAutoscaler', apiGroup: 'autoscaling', name: `${autoscaler}-primary`, role: 'primary autoscaler' },
    { kind: 'Service', apiGroup: '', name: apex, role: 'apex Service (selects the primary)', reaches: ServiceReach.STABLE_VERSION },
    { kind: 'Service', apiGroup: '', name: `${apex}-primary`, role: 'primary Service', reaches: ServiceReach.STABLE_VERSION },
    { kind: 'Service', apiGroup: '', name: `${apex}-canary`, role: 'canary Service', reaches: ServiceReach.NEW_VERSION },
  ];
}

/**
 * Blue/green without automatic promotion holds before the switch: Flagger's confirm-promotion gate
 * (unless one is declared). A delay before the old version stops has no Flagger equivalent: the
 * primary takes the new version at promotion, and the canary is scaled to zero.
 */
function withStrategyGates(owner: string, analysis: ResolvedAnalysis, strategy: StrategyConfig): ResolvedAnalysis {
  if (strategy.kind !== StrategyKind.BLUE_GREEN) return analysis;
  if (strategy.blueGreen!.scaleDownDelay !== undefined) {
    fail(owner, "'strategy.scaleDownDelay' has no Flagger equivalent: at promotion the primary takes the new version and the canary is scaled to zero, so no old version is left to switch back to; leave it out, or use DeliveryEngine.argoRollouts()");
  }
  if (strategy.blueGreen!.autoPromote || analysis.webhooks.some((w) => w.type === WebhookType.CONFIRM_PROMOTION)) return analysis;
  return { ...analysis, webhooks: [...analysis.webhooks, CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION })] };
}
