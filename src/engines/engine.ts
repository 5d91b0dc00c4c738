import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IPrometheus } from '../addons/prometheus';
import { ResolvedAnalysis } from '../analysis/analysis';
import { LoadEgress, LoadTarget } from '../analysis/load-test';
import { RolloutPlan } from '../plan/rollout-plan';
import { GeneratedObject } from '../references/topology';
import { ITrafficRouter, MonitorScopedSeries, SafetyNetConfig } from '../routers/router';
import { StrategyConfig } from '../strategy/delivery-strategy';
import { ResolvedAutoscaling } from '../workload/autoscaling-options';
import { ServiceProtocol } from '../workload/protocol';

/** What a delivery engine is given to drive the rollout of one service. */
export interface DeliveryContext {
  /** Name of the service and its Deployment. */
  readonly name: string;
  /** Namespace of the service. */
  readonly namespace: string;
  /** Labels for every object of the service. */
  readonly labels: { [key: string]: string };
  /** The Deployment to roll out. */
  readonly deployment: kplus.Deployment;
  /** The one label the pods are selected by. */
  readonly selectorLabels: { [key: string]: string };
  /** Port the service is reached on. */
  readonly port: number;
  /** Port the containers listen on. */
  readonly containerPort: number;
  /**
   * Version of the application (the `app.kubernetes.io/version` pod label).
   *
   * @default - no version label
   */
  readonly version?: string;
  /** How the service scales (a fixed size is min = max). */
  readonly scaling: ResolvedAutoscaling;
  /** The analysis, defaults applied and checked. */
  readonly analysis: ResolvedAnalysis;
  /** How traffic moves to the new version, checked against the engine and router. */
  readonly strategy: StrategyConfig;
  /**
   * A safety net in front of the service while it is adopted (routers read it).
   *
   * @default - none
   */
  readonly safetyNet?: SafetyNetConfig;
  /**
   * What the service speaks.
   *
   * @default ServiceProtocol.HTTP
   */
  readonly protocol?: ServiceProtocol;
  /** The traffic router. */
  readonly router: ITrafficRouter;
  /** Where load tests must send their requests for the router to measure them. */
  readonly loadTarget: LoadTarget;
  /**
   * For a phased release: where each phase's load must go, in the order of the phases (the router
   * asked with that phase alone, so a matched phase's load carries that phase's segment).
   *
   * @default - `loadTarget` for every phase
   */
  readonly phaseLoadTargets?: LoadTarget[];
  /** The Prometheus the checks query. */
  readonly prometheus: IPrometheus;
  /**
   * How the checks select the service's series when the Prometheus labels them with their
   * monitor's namespace (`IPrometheus.monitorScopedSeries`); the routers read it.
   *
   * @default - the series keep their pods' namespace
   */
  readonly monitorScopedSeries?: MonitorScopedSeries;
  /**
   * Base URL of the loadtester, when a webhook needs one.
   *
   * @default - no webhook calls the loadtester
   */
  readonly loadTesterUrl?: string;
}

/** The objects a delivery engine created, by role. */
export interface DeliveryObjects {
  /** The autoscaler of the rolled-out workload. */
  readonly autoscaler: kplus.HorizontalPodAutoscaler;
  /**
   * The controller objects (e.g. `canary` for Flagger) and routing objects (e.g. `ingressRoute`).
   */
  readonly objects: { [role: string]: Construct };
  /**
   * What the loadtester must be allowed to call for this service's tests.
   *
   * @default - nothing (the engine does not use the loadtester)
   */
  readonly loadEgress?: LoadEgress[];
  /**
   * Computes the rollout plan of the service as the controller will run it.
   *
   * @default - the engine offers no plan
   */
  readonly planner?: IRolloutPlanner;
  /**
   * What the controller creates itself for this service (Flagger: the primary Deployment and
   * autoscaler, the Services `<name>`, `<name>-primary`, `<name>-canary`, the router's objects):
   * their names are reserved, and references to them are checked against the time they exist.
   *
   * @default - nothing: the controller creates no named object
   */
  readonly generatedObjects?: GeneratedObject[];
  /**
   * The pods the controller runs for the service, as label expressions that must all hold (Flagger:
   * the canary's and the primary's; Argo Rollouts: every ReplicaSet of the Rollout). The
   * service's PodDisruptionBudget selects them.
   *
   * @default - the pods the Deployment selects
   */
  readonly runningPods?: kplus.LabelExpression[];
}

/** Computes a service's rollout plan from its current declaration (metrics or webhooks added later included). */
export interface IRolloutPlanner {
  /** The plan as the controller would run it now. */
  plan(): RolloutPlan;
}

/**
 * A progressive delivery controller (Flagger, Argo Rollouts). It decides which controller objects
 * exist and asks the router for the routing objects and metric queries that fit it.
 */
export interface IDeliveryEngine {
  /** Short name, e.g. `flagger`. */
  readonly name: string;
  /** Namespace the controller runs in; the loadtester and the embedded Prometheus admit calls from its pods. */
  readonly controllerNamespace: string;
  /**
   * The `progressDeadlineSeconds` the rolled-out Deployment must have, when the controller reads
   * the Deployment's own deadline (Flagger fails a release as soon as the Deployment's Progressing
   * condition says `ProgressDeadlineExceeded`, and copies the field to the primary). The generated
   * Deployment gets it; a Deployment of one's own with a shorter one is rejected.
   *
   * @default - the controller does not read the Deployment's deadline
   */
  readonly workloadProgressDeadline?: Duration;
  /**
   * Labels of the controller's pods in `controllerNamespace`: the loadtester (Flagger) and the
   * embedded Prometheus admit only these pods.
   *
   * @default - every pod of `controllerNamespace`
   */
  readonly controllerPodLabels?: { [key: string]: string };
  /**
   * Whether the analysis, as this engine runs it with this strategy, calls the loadtester (the
   * gates the engine adds for the strategy included).
   *
   * @param analysis the resolved analysis
   * @param strategy the resolved strategy; without it, only the analysis counts
   */
  needsLoadTester(analysis: ResolvedAnalysis, strategy?: StrategyConfig): boolean;

  /**
   * How long one run of a typed load test lasts when it sets no duration, for an analysis interval.
   *
   * @param interval the analysis interval
   */
  loadDuration(interval: Duration): Duration;

  /** Creates the controller and routing objects for one service under `scope`. */
  bind(scope: Construct, context: DeliveryContext): DeliveryObjects;
}
