import { ApiObject, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { LoadTester } from './addons/load-tester';
import { platformRbacNote } from './addons/platform-rbac-note';
import { IPrometheus, MonitoredService, Prometheus } from './addons/prometheus';
import { netWaitsForController, resolveSafetyNet } from './adoption/resolve-safety-net';
import { SafetyNetOptions } from './adoption/safety-net';
import { safetyNetNotes } from './adoption/safety-net-notes';
import { CanaryAnalysisOptions, ResolvedAnalysis } from './analysis/analysis';
import { checkMeasuredLoadPaths, renderLoadCommand } from './analysis/load-command';
import { LoadTarget, LoadTool } from './analysis/load-test';
import { CanaryMetric, MetricKind } from './analysis/metric';
import { resolveAnalysis } from './analysis/resolve-analysis';
import { WebhookType } from './analysis/webhook';
import { argumentErrors, checkConstructScope } from './arguments/check-arguments';
import { ArgoAnalysisTemplate } from './engines/argo-rollouts/analysis-template';
import { ArgoRollout } from './engines/argo-rollouts/rollout';
import { IDeliveryEngine, IRolloutPlanner } from './engines/engine';
import { AlertProvider } from './engines/flagger/alert-provider';
import { FlaggerCanary } from './engines/flagger/canary';
import { FlaggerMetricTemplate } from './engines/flagger/metric-template';
import { argoRolloutRewrites, RewrittenObject } from './gitops/controller-rewrites';
import { GitOps, GitOpsTool } from './gitops/gitops';
import { CANARY_SERVICE_SYMBOL, FLUX_SSA_ANNOTATION, FLUX_SSA_IF_NOT_PRESENT, gitOpsPlanNote, gitOpsRequired } from './gitops/gitops-marks';
import { RolloutPlan } from './plan/rollout-plan';
import { SELECTOR_LABEL } from './platform/conventions';
import { buildTopology } from './references/build-topology';
import { DeclaredCall, registerReferences } from './references/check-references';
import { describeServices } from './references/describe-topology';
import { TopologyObject } from './references/topology';
import { annotateExpectations, checkExpectations } from './rehearsal/expectation-annotations';
import { RehearsalExpectations } from './rehearsal/rehearsal-options';
import { ITrafficRouter, RoutingContext, SafetyNetConfig } from './routers/router';
import { TraefikIngressRoute } from './routers/traefik/ingress-route';
import { TraefikWeightedService } from './routers/traefik/traefik-service';
import { checkSingleCopies } from './single-copies';
import { DeliveryStrategy, StrategyConfig, StrategyKind } from './strategy/delivery-strategy';
import { resolveStrategy } from './strategy/resolve-strategy';
import { combinationsWith } from './strategy/support-matrix';
import { TrafficFeature } from './strategy/traffic-feature';
import { declaredValues } from './synth/declared-values';
import { labelValue, RULES } from './synth/kubernetes-rules';
import { checkEmittedObjects } from './synth/object-validity';
import { checkUniqueObjects } from './synth/unique-objects';
import { checkDnsLabel, checkPort, DeclarationError, DeclarationErrors, fail } from './validation';
import { fixedSize, resolveAutoscaling } from './workload/autoscaler';
import { AutoscalingOptions } from './workload/autoscaling-options';
import { checkDeployment, checkDeploymentSecurity, createDeployment, probePortProblems } from './workload/deployment';
import { checkDisruptionBudget, createDisruptionBudget } from './workload/disruption-budget';
import { DisruptionBudgetOptions, PodOptions } from './workload/pod-options';
import { checkPodOptions, POD_OPTION_KEYS, podOptionsGiven } from './workload/pod-settings';
import { routerProbePaths, withKnownProbePaths } from './workload/probe-paths';
import { ServiceProtocol } from './workload/protocol';
import { WorkloadOptions } from './workload/workload-options';


/** Props for `CanaryService`. */
export interface CanaryServiceProps extends WorkloadOptions, PodOptions {
  /** The controller that drives the rollout, e.g. `DeliveryEngine.flagger()`. */
  readonly engine: IDeliveryEngine;
  /** The proxy or mesh that shifts traffic, e.g. `TrafficRouter.traefik({ hosts: [...] })`. */
  readonly router: ITrafficRouter;
  /**
   * Name of the service and its Deployment: a DNS label of at most 55 characters, since Flagger
   * appends `-primary` and `-canary`.
   *
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Namespace of every object of the service. The in-cluster addresses of the loadtester and
   * Prometheus are built from it, so one is required: here or on the Chart.
   *
   * @default - the Chart's namespace
   */
  readonly namespace?: string;
  /**
   * A Deployment you built yourself with cdk8s-plus, instead of `image` and the other container
   * options. It must select its pods by one label (`app.kubernetes.io/name`, `app` or `name`).
   *
   * @default - a Deployment is generated from `image`
   */
  readonly deployment?: kplus.Deployment;
  /**
   * Port the service is reached on (the Services the controller generates listen on it).
   *
   * @default 80
   */
  readonly port?: number;
  /**
   * Fixed number of replicas, when `autoscaling` is not set. It is expressed as an autoscaler with
   * min = max, so no `spec.replicas` reaches Git and GitOps never fights the controller.
   *
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Horizontal autoscaling.
   *
   * @default - a fixed size of `replicas`
   */
  readonly autoscaling?: AutoscalingOptions;
  /**
   * A PodDisruptionBudget `<name>` over the pods the controller runs (Flagger: the primary's and the
   * canary's together; Argo Rollouts: every ReplicaSet of the Rollout), with a generated Deployment
   * or one of your own. `{}` allows one pod down at a time. Unhealthy pods can always be evicted.
   *
   * @default - no PodDisruptionBudget
   */
  readonly disruptionBudget?: DisruptionBudgetOptions;
  /**
   * How the canary is analysed and how traffic shifts to it.
   *
   * @default - the defaults of `CanaryAnalysisOptions`
   */
  readonly analysis?: CanaryAnalysisOptions;
  /**
   * How traffic moves to the new version: a weighted canary, an A/B test on segments, blue/green,
   * or phases. A combination the engine and router cannot run fails, naming those that can.
   *
   * @default DeliveryStrategy.canary()
   */
  readonly strategy?: DeliveryStrategy;
  /**
   * Adopt a live service behind a safety net: its Service and Deployment stay as they are, and the
   * router's hosts send only `share` % of their traffic to this (controller-managed) service. Remove
   * it to move all traffic over.
   *
   * @default - no safety net: the hosts go to this service
   */
  readonly safetyNet?: SafetyNetOptions;
  /**
   * The GitOps tool that applies the output, so that it does not fight the controller over the
   * fields the controller rewrites (Argo Rollouts: route weights, subset labels, Service selectors).
   * `GitOps.fluxCd()` annotates those objects for Flux; with `GitOps.argoCd()` they are listed for
   * the Application's `ignoreDifferences` (`GitOps.argoCdIgnoreDifferences(app)`); `GitOps.none()`
   * says that nothing applies the files again. Required when the controller rewrites objects of
   * the output (Argo Rollouts, with every router and strategy): no output is safe under both Flux
   * and Argo CD, so the declaration fails at synth without it.
   *
   * @default - none needed when the controller rewrites nothing of the output (Flagger); required otherwise
   */
  readonly gitOps?: GitOps;
  /**
   * The Prometheus the checks query.
   *
   * @default - the embedded Prometheus of the namespace, created once and shared
   */
  readonly prometheus?: IPrometheus;
  /**
   * The loadtester that runs the webhooks' commands and gates.
   *
   * @default - the loadtester of the namespace, created once and shared, when a webhook needs it
   */
  readonly loadTester?: LoadTester;
  /**
   * Version of the application, as the label `app.kubernetes.io/version` (never in the selector).
   *
   * @default - no version label
   */
  readonly version?: string;
  /**
   * Name of the larger application, as the label `app.kubernetes.io/part-of`.
   *
   * @default - no part-of label
   */
  readonly partOf?: string;
  /**
   * What a rehearsal of this service's releases must show (`npx cdk8s-canary rehearse`): the user
   * traffic it gets, how fast and how far a bad version may go, the false alarms and misses allowed.
   * Written as annotations on the Canary or Rollout.
   *
   * @default - a healthy release is promoted and a bad one is not, at 10 user requests per second
   */
  readonly rehearsal?: RehearsalExpectations;
}

/**
 * One service delivered progressively: its Deployment, autoscaler, the controller's objects, the
 * routing, the checks, and the loadtester and Prometheus they need, from one declaration.
 */
export class CanaryService extends Construct {
  /**
   * Whether `x` is a CanaryService, also from another copy of this library (the `plan` command
   * finds the services of an app this way).
   *
   * @param x any value
   */
  public static isCanaryService(x: any): x is CanaryService {
    return x !== null && typeof x === 'object' && CANARY_SERVICE_SYMBOL in x;
  }

  /** Name of the service. */
  public readonly name: string;
  private safetyNetConfig?: SafetyNetConfig;
  private routerNotes?: () => string[];
  private monitoringNotes?: () => string[];
  /** Namespace of the service. */
  public readonly namespace: string;
  /**
   * The Deployment that is rolled out (with Argo Rollouts in INLINE_TEMPLATE mode, only the source of the pod template).
   * Like the other objects, it is not built when the declaration has mistakes (synth reports them).
   */
  public readonly deployment!: kplus.Deployment;
  /** The autoscaler of the rolled-out workload: the Deployment (Flagger) or the Rollout (Argo Rollouts); min = max for a fixed size. */
  public readonly autoscaler!: kplus.HorizontalPodAutoscaler;
  /** The Prometheus the checks query. */
  public readonly prometheus!: IPrometheus;
  /** The loadtester, when a webhook needs one. */
  public readonly loadTester?: LoadTester;
  /** The Flagger Canary, when the engine is Flagger. */
  public readonly canary?: FlaggerCanary;
  /** The Argo Rollout, when the engine is Argo Rollouts. */
  public readonly rollout?: ArgoRollout;
  /** The AnalysisTemplate of the background analysis, when the engine is Argo Rollouts. */
  public readonly analysisTemplate?: ArgoAnalysisTemplate;
  /** The Traefik IngressRoute, when the router is Traefik. */
  public readonly ingressRoute?: TraefikIngressRoute;
  /** The Traefik TraefikService, when the router is Traefik and the engine is Argo Rollouts. */
  public readonly traefikService?: TraefikWeightedService;
  /** The PodDisruptionBudget, when `disruptionBudget` is set. */
  public readonly disruptionBudget?: ApiObject;
  /** Every object the engine and router created, by role (`canary`, `ingressRoute`, ...). */
  public readonly objects: { [role: string]: Construct };
  /** The GitOps tool the service is marked for, if any. */
  public readonly gitOpsTool?: GitOpsTool;
  /**
   * The Services and routes of this service for its engine, router and strategy: those in the
   * manifests and those the controller creates, when each exists and which version it reaches.
   * Empty when the declaration has mistakes.
   */
  public readonly topology: TopologyObject[] = [];

  private readonly planner?: IRolloutPlanner;
  private readonly controller?: string;
  private readonly declarationErrors: DeclarationErrors;
  private readonly operationNotes: string[] = [];

  public constructor(scope: Construct, id: string, props: CanaryServiceProps) {
    super(checkConstructScope('CanaryService', scope, id), id);
    Object.defineProperty(this, CANARY_SERVICE_SYMBOL, { value: true });
    checkSingleCopies(this);
    checkUniqueObjects(this);
    // Mistakes are collected and reported together when the app is synthesized (each with this
    // construct's path), rather than one at a time; only what cannot go on without stops early.
    const errors = this.declarationErrors = new DeclarationErrors();
    this.node.addValidation({ validate: () => errors.messages });
    this.name = typeof props?.name === 'string' ? props.name : id;
    // Values of the wrong type (from plain JavaScript, or a jsii language) are reported together;
    // nothing can be built from them.
    const typeErrors = argumentErrors(`CanaryService '${this.name}'`, 'CanaryService.new', [scope, id, props]);
    if (typeErrors.length > 0) {
      errors.attempt(() => {
        throw new DeclarationError(typeErrors);
      });
      this.namespace = typeof props?.namespace === 'string' ? props.namespace : Chart.of(this).namespace ?? 'default';
      this.objects = {};
      return;
    }
    this.gitOpsTool = props.gitOps?.tool;
    // Every object it emits must be one the API server accepts (once the declaration has no mistakes).
    checkEmittedObjects(this, () => declaredValues(props), () => errors.messages.length > 0);
    errors.attempt(() => checkDnsLabel(this.name, 'name', this.name, 55, " (Flagger appends '-primary' and '-canary', and Service names have at most 63)"));
    const owner = `CanaryService '${this.name}'`;
    this.namespace = props.namespace ?? Chart.of(this).namespace ?? errors.attempt(() => fail(owner,
      "no namespace: set 'namespace' on the CanaryService or on its Chart; the loadtester and Prometheus addresses are built from it")) ?? 'default';
    errors.attempt(() => checkDnsLabel(owner, 'namespace', this.namespace));
    // Every object is named after the service in its namespace: with a bad name or namespace the
    // controller's objects would only repeat that mistake, so they are not built.
    const identified = errors.messages.length === 0;
    errors.attempt(() => checkExpectations(owner, props.rehearsal));
    const port = errors.attempt(() => checkPort(owner, 'port', props.port ?? 80)) ?? 80;
    const labels = this.labels(owner, props, errors);
    if (props.autoscaling && props.replicas !== undefined) {
      errors.attempt(() => fail(owner, "either 'replicas' or 'autoscaling', not both"));
    }
    // A bad size is reported, and the rest is checked with the default size.
    const scaling = errors.attempt(() => props.autoscaling ? resolveAutoscaling(owner, props.autoscaling) : fixedSize(owner, props.replicas ?? 2))
      ?? fixedSize(owner, 2);
    const budgetChecked = props.disruptionBudget !== undefined
      && errors.attempt(() => checkDisruptionBudget(owner, props.disruptionBudget!, scaling.minReplicas) ?? true) === true;
    // Pod options with mistakes are reported, and the Deployment is built without them.
    const podOptionsChecked = props.deployment !== undefined || errors.attempt(() => checkPodOptions(owner, props) ?? true) === true;
    const mistakesBefore = errors.messages.length;
    const deployment = errors.attempt(() => this.workload(owner, props, labels, errors, podOptionsChecked));
    // A port replaced by its default would only make the probes' ports look wrong.
    const workloadValid = errors.messages.length === mistakesBefore;
    const firstContainer = deployment?.containers[0];
    const containerPort = firstContainer?.portNumber ?? firstContainer?.ports[0]?.number ?? props.containerPort ?? port;
    const ownProbes = props.deployment === undefined ? { readiness: props.readiness, liveness: props.liveness } : undefined;
    if (deployment && workloadValid) {
      probePortProblems(deployment, containerPort, ownProbes).forEach((problem) => errors.attempt(() => fail(owner, problem)));
    }
    const selectorLabels = { ...deployment?.matchLabels ?? { [SELECTOR_LABEL]: this.name } };
    const declared = errors.attempt(() => (props.strategy ?? DeliveryStrategy.canary()).bind());
    const splits = props.router.supports(props.engine.name, TrafficFeature.WEIGHTED);
    const safetyNet = this.safetyNetConfig = props.safetyNet
      && errors.attempt(() => resolveSafetyNet(
        owner, this.name, props.safetyNet!, port, splits, netWaitsForController(props.engine.name, props.router.name)));
    const base = {
      name: this.name,
      namespace: this.namespace,
      port,
      containerPort,
      labels,
      selectorLabels,
      engine: props.engine.name,
      safetyNet,
      protocol: props.protocol,
      probePaths: deployment && routerProbePaths(props.router, deployment, containerPort),
    };
    const routerLoadTarget = declared && errors.attempt(() => props.router.loadTarget({ ...base, strategy: declared }));
    // The baseline's load is sent only when a comparison needs it; until the analysis is resolved, the target alone.
    let loadTarget = routerLoadTarget && withoutBaseline(routerLoadTarget);
    // Ingress routers send the load to the managed host: that is the host that reaches this service alone.
    if (safetyNet && safetyNet.managedHost === undefined && loadTarget?.measuredAtIngress && loadTarget.host) {
      this.safetyNetConfig = { ...safetyNet, managedHost: loadTarget.host };
    }
    const analysis = errors.attempt(() => resolveAnalysis(owner, props.analysis, loadTarget && loadExample(props, loadTarget)));
    if (analysis && loadTarget) errors.attempt(() => checkMeasuredLoadPaths(owner, analysis.webhooks, loadTarget!));
    const comparesWithoutUsers = analysis !== undefined && !analysis.receivesLiveTraffic
      && analysis.metrics.some((m) => m.kind === MetricKind.COMPARISON);
    if (comparesWithoutUsers && routerLoadTarget) loadTarget = withBaseline(routerLoadTarget);
    if (props.protocol === ServiceProtocol.GRPC) errors.attempt(() => checkGrpc(owner, props.engine.name, props.router, analysis));
    // Checked even when the analysis has mistakes: the strategy's own are independent of them.
    const strategy = declared && errors.attempt(() => resolveStrategy(
      { owner, analysisOptions: props.analysis, analysis, engine: props.engine.name, router: props.router }, props.strategy));
    // Each phase of a phased release has its own load: the request of its own segment.
    const phaseLoadTargets = strategy?.kind === StrategyKind.PHASED
      ? strategy.phases!.map((phase) => errors.attempt(() => {
        const target = props.router.loadTarget({ ...base, strategy: { kind: StrategyKind.PHASED, phases: [phase] } });
        return comparesWithoutUsers ? withBaseline(target) : withoutBaseline(target);
      }))
      : undefined;
    if (!identified || !deployment || !loadTarget || !analysis || !strategy || phaseLoadTargets?.includes(undefined)) {
      // Reported at synth with the other mistakes; without these the controller's objects cannot be built.
      this.objects = {};
      return;
    }
    this.deployment = deployment;
    // What the router needs on the pods to measure them (Istio: the sidecar injection label).
    for (const [key, value] of Object.entries(props.router.podLabels)) {
      this.deployment.podMetadata.addLabel(key, value);
    }
    for (const [key, value] of Object.entries(props.router.podAnnotations ?? {})) {
      this.deployment.podMetadata.addAnnotation(key, value);
    }
    const routing = { ...base, strategy };
    // Routers that have something to say of the cluster they need (an internal entryPoint, a public preview host).
    const router = props.router as ITrafficRouter & { _planNotes?: (context: RoutingContext) => string[] };
    this.routerNotes = () => router._planNotes?.(routing) ?? [];

    this.prometheus = props.prometheus ?? Prometheus.of(this, this.namespace);
    // The embedded one of a named app keeps only the services' pods of this namespace, not every pod
    // as for a namespace the user asks for.
    if (this.prometheus instanceof Prometheus) this.prometheus._scrapeServiceNamespace(this.namespace);
    else this.prometheus.scrapeNamespace(this.namespace);
    const routerMetrics = props.router.routerMetrics(routing);
    for (const metrics of routerMetrics) {
      this.prometheus.scrapeRouterMetrics(metrics);
    }
    if (props.loadTester || props.engine.needsLoadTester(analysis, strategy)) {
      this.loadTester = props.loadTester ?? LoadTester.of(this, this.namespace, {
        allowedNamespaces: [props.engine.controllerNamespace],
        callerPodLabels: props.engine.controllerPodLabels,
      });
      const tester = this.loadTester;
      if (!tester.servesNamespace(this.namespace)) {
        errors.attempt(() => fail(owner, `'loadTester' ('${tester.node.path}', in '${tester.namespace}') serves only the canaries of namespaces matching `
          + `'${tester.namespaceRegexp}' (-namespace-regexp) and would refuse this service's calls (403): use the loadtester of '${this.namespace}' `
          + `(the default), or give that loadtester a 'namespaceRegexp' that matches '${this.namespace}'`));
      }
    }
    this.prometheus.allowQueriesFrom(props.engine.controllerNamespace, props.engine.controllerPodLabels);

    // The engine reads the probe paths again (for its router); it changes no container of the Deployment.
    const delivery = errors.attempt(() => withKnownProbePaths(deployment, containerPort, base.probePaths, () => props.engine.bind(this, {
      name: this.name,
      namespace: this.namespace,
      labels,
      deployment,
      selectorLabels,
      port,
      containerPort,
      version: props.version,
      scaling,
      analysis,
      strategy,
      safetyNet,
      protocol: props.protocol,
      router: props.router,
      loadTarget,
      phaseLoadTargets: phaseLoadTargets as LoadTarget[] | undefined,
      prometheus: this.prometheus,
      monitorScopedSeries: this.prometheus.monitorScopedSeries(this.namespace, this.name, routerMetrics.length),
      loadTesterUrl: this.loadTester?.url,
    })));
    if (!delivery) {
      this.objects = {};
      return;
    }
    for (const egress of delivery.loadEgress ?? []) {
      this.loadTester?.allowEgress(egress);
    }
    const runningPods = delivery.runningPods ?? Object.entries(selectorLabels).map(([key, value]) => kplus.LabelExpression.in(key, [value]));
    // A Prometheus that scrapes per service (the Prometheus Operator's) gets the pods the controller runs.
    const monitored = { name: this.name, namespace: this.namespace, labels, pods: runningPods, routerMetrics };
    errors.attempt(() => this.prometheus.monitorService(this, monitored));
    // A Prometheus with something to say of what the platform's must do (the Prometheus Operator's),
    // or of what the queries of one's own can read (a named app's embedded one).
    const prometheus = this.prometheus as IPrometheus & {
      _planNotes?: (service: MonitoredService, engine: string, metrics: CanaryMetric[]) => string[];
    };
    this.monitoringNotes = () => prometheus._planNotes?.(monitored, routing.engine, this.declaredMetrics(analysis, strategy)) ?? [];
    if (budgetChecked) {
      this.disruptionBudget = createDisruptionBudget(this, 'DisruptionBudget', {
        name: this.name,
        namespace: this.namespace,
        labels,
        pods: runningPods,
        budget: props.disruptionBudget,
      });
    }
    this.planner = delivery.planner;
    // Whether the analysis can stop a bad canary depends on everything declared, so it is checked
    // when the app is synthesized (metrics and webhooks added after construction included).
    this.node.addValidation({ validate: () => this.planProblems(owner) });
    this.autoscaler = delivery.autoscaler;
    this.objects = delivery.objects;
    this.canary = delivery.objects.canary as FlaggerCanary | undefined;
    this.rollout = delivery.objects.rollout as ArgoRollout | undefined;
    this.analysisTemplate = delivery.objects.analysisTemplate as ArgoAnalysisTemplate | undefined;
    this.ingressRoute = delivery.objects.ingressRoute as TraefikIngressRoute | undefined;
    this.traefikService = delivery.objects.traefikService as TraefikWeightedService | undefined;
    const controllerObject = this.canary?.apiObject ?? this.rollout?.apiObject;
    if (controllerObject) annotateExpectations(controllerObject, props.rehearsal);
    const controller = this.controller = CONTROLLERS[props.engine.name] ?? props.engine.name;
    this.topology = buildTopology({
      controller, namespace: this.namespace, objects: delivery.objects, generated: delivery.generatedObjects ?? [], strategy: strategy.kind,
    });
    const references = registerReferences({
      scope: this,
      owner,
      name: this.name,
      namespace: this.namespace,
      release: `${controller} ${strategyInWords(strategy)}`,
      topology: this.topology,
      calls: declaredCalls(props),
      liveService: safetyNet?.liveService,
      externalServices: props.analysis?.externalServices,
    });
    this.node.addValidation({ validate: references });
    const rewrites = this.declaredRewrites();
    if (props.gitOps === undefined && rewrites.length > 0) {
      errors.attempt(() => fail(owner, gitOpsRequired(controller, rewrites)));
    }
    if (this.gitOpsTool === GitOpsTool.FLUX) this.markForFlux(rewrites);
  }

  /**
   * The objects of this service whose fields the controller rewrites while it runs, with the
   * fields. Flagger rewrites none of what is emitted (it creates its own routing objects, and the
   * Deployment carries no replicas); Argo Rollouts rewrites the objects its Rollout references.
   */
  public get controllerRewrites(): RewrittenObject[] {
    return this.rollout ? argoRolloutRewrites(this.rollout.apiObject.toJson(), this.namespace) : [];
  }

  /**
   * `controllerRewrites` read from the Rollout's strategy alone (what they depend on): rendering all
   * of it would render the pod template too, whose configuration checksum searches the app, once
   * per service, and again when the chart renders.
   */
  private declaredRewrites(): RewrittenObject[] {
    return this.rollout ? argoRolloutRewrites(this.rollout._strategyOnly(), this.namespace) : [];
  }

  private markForFlux(rewrites: RewrittenObject[]): void {
    const rewritten = new Set(rewrites.map((o) => `${o.kind}/${o.name}`));
    for (const child of this.node.findAll()) {
      if (ApiObject.isApiObject(child) && rewritten.has(`${child.kind}/${child.name}`)) {
        child.metadata.addAnnotation(FLUX_SSA_ANNOTATION, FLUX_SSA_IF_NOT_PRESENT);
      }
    }
  }

  /**
   * The rollout plan as the controller will run it: phases, weights, what runs when, when the
   * analysis can first fail and how far a bad canary gets. Undefined when the engine offers none.
   */
  public get plan(): RolloutPlan | undefined {
    const plan = this.planner?.plan();
    if (!plan) return plan;
    const net = this.safetyNetConfig;
    // The plan is checked at every synthesis: read the strategy, not the whole Rollout.
    const rewrites = this.declaredRewrites();
    const gitOps = gitOpsPlanNote(this.gitOpsTool, this.controller ?? '', rewrites);
    // The rewritten objects that carry the hosts (a TraefikService does not: the IngressRoute does, and it is not marked).
    const routes = net ? rewrites.filter((o) => o.kind === 'VirtualService' || o.kind === 'HTTPRoute') : [];
    return new RolloutPlan({
      ...plan,
      notes: [
        ...plan.notes,
        describeServices(this.topology),
        ...this.routerNotes?.() ?? [],
        ...this.monitoringNotes?.() ?? [],
        ...this.networkPolicyNotes(),
        ...this.operationNotes,
        ...net ? safetyNetNotes({ name: this.name, namespace: this.namespace, net, objects: this.objects, topology: this.topology, controller: this.controller ?? '' }) : [],
        ...gitOps ? [gitOps] : [],
        ...(this.gitOpsTool === GitOpsTool.FLUX && routes.length > 0
          ? [`safety net with Flux: the routes Argo Rollouts rewrites are created once (ssa: IfNotPresent), so removing the net does not give them the public hosts: after that commit, delete ${routes.map((o) => `${o.kind} '${o.name}'`).join(', ')} in the cluster (between releases) and Flux creates them anew`]
          : []),
      ],
    });
  }

  /** The metrics of the analysis (those added to the Canary after construction included) and of the phases, one per name. */
  private declaredMetrics(analysis: ResolvedAnalysis, strategy: StrategyConfig): CanaryMetric[] {
    const metrics = [...(this.canary?.resolvedAnalysis ?? analysis).metrics, ...(strategy.phases ?? []).flatMap((phase) => phase.metrics ?? [])];
    return metrics.filter((metric, i) => metrics.findIndex((m) => m.name === metric.name) === i);
  }

  /** What the NetworkPolicies this service relies on fence, and what holds only with a CNI that enforces them. */
  private networkPolicyNotes(): string[] {
    const prometheus = this.prometheus instanceof Prometheus ? this.prometheus : undefined;
    const fenced = [
      ...(this.loadTester ? [`the loadtester '${this.loadTester.namespace}/${this.loadTester.name}' (it runs any command it is sent: only the controller's pods may call it${
        this.loadTester.ingressCidrs.length > 0 ? `, and ${this.loadTester.ingressCidrs.join(', ')} (allowIngressFromCidrs, for --via proxy)` : ''})`] : []),
      ...(this.objects.jobNetworkPolicy ? ['the analysis Jobs'] : []),
      ...(prometheus ? [`the Prometheus '${prometheus.namespace}/${prometheus.name}'`] : []),
    ];
    const notes = fenced.length === 0 ? [] : [`NetworkPolicies fence ${fenced.join(', ')}: they hold only with a CNI that enforces NetworkPolicies `
      + '(Calico, Cilium, Antrea, kindnetd of kind v0.24.0 and later, ...); without one (flannel, kind before v0.24.0) any pod can post commands to the loadtester and query Prometheus, and the commands reach any address'];
    if (fenced.length > 0) {
      const options = [
        ...(this.loadTester ? ['LoadTester.of(chart, namespace, { dns })'] : []),
        ...(prometheus ? ['Prometheus.of(chart, namespace, { dns })'] : []),
        ...(this.objects.jobNetworkPolicy ? ['DeliveryEngine.argoRollouts({ dns })'] : []),
      ];
      notes.push("DNS: these NetworkPolicies allow DNS to the cluster DNS pods (k8s-app: kube-dns) and to 'dns.extraAddresses' alone; where NodeLocal DNSCache runs, it answers on the node, "
        + `which no pod selector matches, so give its address in 'dns.extraAddresses' (${options.join(', ')}): on GKE (Autopilot always runs it, Standard by default `
        + 'from 1.33.1) and with kube-proxy in iptables mode, the kube-dns Service\'s ClusterIP (kubectl -n kube-system get service kube-dns); '
        + 'with kube-proxy in IPVS mode, 169.254.20.10; with GKE Cloud DNS, 169.254.169.254');
    }
    if (prometheus) {
      notes.push(`the Prometheus '${prometheus.namespace}/${prometheus.name}' reaches the API server through an ipBlock ('apiServerAddresses') on ports 443 and 6443: `
        + 'with Cilium and a control plane on the cluster\'s nodes (kubeadm, k3s, kind), an ipBlock does not match the nodes unless Cilium runs with '
        + 'policy-cidr-match-mode: nodes; set that, or add a CiliumNetworkPolicy that lets its pods reach toEntities [kube-apiserver], or it finds no pods to scrape');
    }
    if (prometheus && prometheus.platformRoleNamespaces.length > 0) {
      notes.push(platformRbacNote(this, prometheus));
    }
    return notes;
  }

  /**
   * Adds a note to the plan: what operating the service needs that its declaration cannot show.
   * @internal
   */
  public _addOperationNote(note: string): void {
    if (!this.operationNotes.includes(note)) this.operationNotes.push(note);
  }

  /** The MetricTemplates of custom metrics (Flagger). */
  public get metricTemplates(): FlaggerMetricTemplate[] {
    return this.canary?.metricTemplates ?? [];
  }

  /**
   * The mistakes of the declaration, which synth reports (the plan's own problems aside).
   * @internal
   */
  public get _declarationErrors(): string[] {
    return this.declarationErrors.messages;
  }

  /** The AlertProviders of alerts (Flagger). */
  public get alertProviders(): AlertProvider[] {
    return this.canary?.alertProviders ?? [];
  }

  private planProblems(owner: string): string[] {
    try {
      // The engine's plan alone: the problems are its own, and the notes `plan` adds (the
      // topology, the safety net, a render of the Rollout) cost every validation for nothing.
      return (this.planner?.plan().problems ?? []).map((problem) => `${owner}: ${problem}`);
    } catch (error) {
      return [`${owner}: ${(error as Error).message}`];
    }
  }

  private labels(owner: string, props: CanaryServiceProps, errors: DeclarationErrors): { [key: string]: string } {
    const labels: { [key: string]: string } = { [SELECTOR_LABEL]: this.name };
    // Both are labels on every object: a value no label may have would fail every one of them.
    const label = (property: 'partOf' | 'version', key: string) => {
      const value = props[property];
      if (!value) return;
      if (labelValue(value) !== undefined) {
        errors.attempt(() => fail(owner, `'${property}' ('${value}') becomes the label '${key}' of every object, so it must be ${RULES.labelValue.replace(' (or empty)', '')}`));
        return;
      }
      labels[key] = value;
    };
    label('partOf', 'app.kubernetes.io/part-of');
    label('version', 'app.kubernetes.io/version');
    labels['app.kubernetes.io/managed-by'] = 'cdk8s-canary';
    return labels;
  }

  /**
   * The Deployment to roll out. A bad image or container port is recorded in `errors` and the
   * Deployment still built (synth emits nothing when there are mistakes), so that the engine and
   * router still bind and report their own mistakes.
   */
  private workload(owner: string, props: CanaryServiceProps, labels: { [key: string]: string }, errors: DeclarationErrors,
    withPodOptions: boolean,
  ): kplus.Deployment {
    if (!props.deployment) {
      if (props.image === undefined) {
        fail(owner, "either 'image' or 'deployment' is required");
      }
      const image = props.image.trim() === ''
        ? errors.attempt(() => fail(owner, "'image' ('') is empty: give a pinned image reference, e.g. 'ghcr.io/org/app:1.2.3', or pass your own 'deployment'"))
        : props.image;
      const podOptions = withPodOptions ? {} : Object.fromEntries(POD_OPTION_KEYS.map((key) => [key, undefined]));
      return createDeployment(this, 'Deployment', {
        ...props, ...podOptions, image, name: this.name, namespace: this.namespace, labels, progressDeadline: props.engine.workloadProgressDeadline,
      }, errors);
    }
    const containerOptions = (['image', 'containerPort', 'additionalPorts', 'env', 'envFrom', 'args', 'resources', 'readiness', 'liveness', 'readOnlyRootFilesystem', 'runAsUser'] as const)
      .filter((key) => props[key] !== undefined);
    if (containerOptions.length > 0) {
      fail(owner, `either 'deployment' or the container options (${containerOptions.map((k) => `'${k}'`).join(', ')}), not both`);
    }
    const podOptions = podOptionsGiven(props);
    if (podOptions.length > 0) {
      fail(owner, `either 'deployment' or the pod options (${podOptions.map((k) => `'${k}'`).join(', ')}), not both: set them on your Deployment, whose pod template the controller copies`);
    }
    if (props.deployment.name !== this.name) {
      fail(owner, `'deployment' is named '${props.deployment.name}' but the service is '${this.name}': give the Deployment an explicit 'metadata.name' equal to the service name (Flagger derives every name from it)`);
    }
    checkDeployment(owner, props.deployment, this.namespace, props.engine.workloadProgressDeadline);
    checkDeploymentSecurity(owner, props.deployment);
    const portName = props.deployment.containers[0].ports[0]?.name;
    if (props.protocol === ServiceProtocol.GRPC && portName !== 'grpc') {
      fail(owner, `'deployment' (${props.deployment.name}) names its first container port ${portName === undefined ? 'nothing' : `'${portName}'`}, but 'protocol' is ServiceProtocol.GRPC: `
        + "name it 'grpc' and give the container gRPC probes (readinessProbe.grpc), as the generated Deployment has");
    }
    return props.deployment;
  }
}

/**
 * gRPC needs a router whose metrics carry each call's gRPC status (the router declares it:
 * `supports(engine, TrafficFeature.GRPC)`), and load that speaks gRPC.
 */
function checkGrpc(owner: string, engine: string, router: ITrafficRouter, analysis: ResolvedAnalysis | undefined): void {
  if (!router.supports(engine, TrafficFeature.GRPC)) {
    const working = combinationsWith([TrafficFeature.GRPC], [engine]);
    fail(owner, `'protocol' (ServiceProtocol.GRPC) needs a router whose metrics carry each call's gRPC status${working.length ? ` (${working.join(', ')})` : ''}: `
      + `with the '${router.name}' router the checks would see HTTP 200 for failed gRPC calls and could never fail`);
  }
  (analysis?.webhooks ?? []).forEach((webhook, i) => {
    if (webhook.load !== undefined && webhook.load.tool !== LoadTool.GHZ) {
      fail(owner, `'analysis.webhooks[${i}]' ('${webhook.name}') runs hey, which speaks HTTP/1.1, against a gRPC service: `
        + "use CanaryWebhook.loadTest({ tool: LoadTool.GHZ, grpcCall: '<package>.<Service>/<Method>' }), e.g. grpcCall: 'grpc.health.v1.Health/Check'");
    }
  });
}

/** The controllers of the shipped engines, as their users call them. */
const CONTROLLERS: { [engine: string]: string } = { 'flagger': 'Flagger', 'argo-rollouts': 'Argo Rollouts' };

function strategyInWords(strategy: StrategyConfig): string {
  switch (strategy.kind) {
    case StrategyKind.CANARY: return 'canary';
    case StrategyKind.AB_TEST: return 'A/B test';
    case StrategyKind.BLUE_GREEN: return strategy.blueGreen?.mirrorPercentage === undefined ? 'blue/green' : 'blue/green with mirroring';
    case StrategyKind.PHASED: return 'phased release';
  }
}

/** The in-cluster calls of the declaration's webhooks: commands of tests and load, URLs of hooks. */
function declaredCalls(props: CanaryServiceProps): DeclaredCall[] {
  return (props.analysis?.webhooks ?? []).flatMap((webhook, i): DeclaredCall[] => {
    const text = webhook.command ?? webhook.url;
    if (text === undefined) return [];
    const testsNewVersion = webhook.type === WebhookType.PRE_ROLLOUT && webhook.command !== undefined;
    const kind = testsNewVersion ? 'acceptance test' : webhook.command !== undefined ? 'command' : 'webhook';
    return [{ property: `analysis.webhooks[${i}]`, description: `${kind} '${webhook.name}'`, text, testsNewVersion }];
  });
}

/** The command a default `CanaryWebhook.loadTest()` would run for this service, for messages. */
function loadExample(props: CanaryServiceProps, target: LoadTarget): string | undefined {
  if (target.url === undefined) return undefined;
  const interval = props.analysis?.interval ?? Duration.minutes(1);
  const load = { requestsPerSecond: 10, concurrency: 2, path: '/', tool: LoadTool.HEY };
  try {
    return renderLoadCommand('CanaryService', load, target, props.engine.loadDuration(interval));
  } catch {
    // An interval the analysis rejects (with its own message) has no load duration to show.
    return undefined;
  }
}

/** A load target without the compared version's address. */
function withoutBaseline(target: LoadTarget): LoadTarget {
  return { ...target, baseline: undefined };
}

/** A load target whose typed load also reaches the compared version (when the router says where), with the egress for it. */
function withBaseline(target: LoadTarget): LoadTarget {
  return target.baseline ? { ...target, egress: [...target.egress, ...target.baseline.egress] } : target;
}
