import { Construct } from 'constructs';
import { ComparableSeries } from '../analysis/comparison';
import { LoadTarget } from '../analysis/load-test';
import { MetricKind } from '../analysis/metric';
import { GeneratedObject } from '../references/topology';
import { StrategyConfig } from '../strategy/delivery-strategy';
import { TrafficFeature } from '../strategy/traffic-feature';
import { ServiceProtocol } from '../workload/protocol';

/**
 * A safety net for adopting a live service: the router's hosts split between the live Service and
 * the managed service; the managed routing serves `managedHost` alone.
 */
export interface SafetyNetConfig {
  /** The live Service, untouched. */
  readonly liveService: string;
  /** Its port. */
  readonly livePort: number;
  /** Percentage of the hosts' traffic sent to the managed service. */
  readonly share: number;
  /**
   * The host routed to the managed service alone.
   *
   * @default - `managed.<the router's first host>`
   */
  readonly managedHost?: string;
}

/** What a router needs to know of the service it routes to. */
export interface RoutingContext {
  /** Name of the service; Flagger derives `<name>-primary` and `<name>-canary` from it. */
  readonly name: string;
  /** Namespace of the service. */
  readonly namespace: string;
  /** Port the service is reached on. */
  readonly port: number;
  /** Port the containers listen on. */
  readonly containerPort: number;
  /** Labels to put on the routing objects. */
  readonly labels: { [key: string]: string };
  /** The one label the pods are selected by (e.g. `app.kubernetes.io/name: <name>`). */
  readonly selectorLabels: { [key: string]: string };
  /**
   * How traffic moves to the new version (checked against what the router supports). For the load
   * target of one phase of a phased release, a phased strategy with that phase alone.
   */
  readonly strategy: StrategyConfig;
  /** The engine the router works with (`flagger`, `argo-rollouts`). */
  readonly engine: string;
  /**
   * A safety net in front of the service while it is adopted.
   *
   * @default - none: the router's hosts go to the managed service
   */
  readonly safetyNet?: SafetyNetConfig;
  /**
   * What the service speaks.
   *
   * @default ServiceProtocol.HTTP
   */
  readonly protocol?: ServiceProtocol;
  /**
   * The paths the kubelet's HTTP probes request on `containerPort`, by probe (`readiness`,
   * `liveness`, `startup`): requests no user sent, which a router that reads the application's own
   * metrics leaves out.
   *
   * @default - none
   */
  readonly probePaths?: { [probe: string]: string };
  /**
   * How the checks select the service's series when the Prometheus labels every series with the
   * namespace of the monitor that scraped it (a Prometheus Operator's with `enforcedNamespaceLabel`):
   * the router's series by the service's own router monitor, the pods' by its pod monitor. Flagger's
   * built-in queries, which select neither, are then replaced by MetricTemplates.
   *
   * @default - the router's series by the namespace of the router's pods
   */
  readonly monitorScopedSeries?: MonitorScopedSeries;
}

/**
 * The label matchers of a service's series in a Prometheus that labels every series with its
 * monitor's namespace (`IPrometheus.monitorScopedSeries`).
 */
export interface MonitorScopedSeries {
  /**
   * Matchers of the router's series of the service, e.g.
   * `namespace="team",job="team/cart-router"`: in place of the router pods' namespace.
   *
   * @default - the router's series by the namespace of the router's pods (another monitor scrapes the router)
   */
  readonly routerMatchers?: string;
  /**
   * Matchers of the series of the service's pods, e.g. `namespace="team",job="team/cart-pods"`:
   * in place of the conventional `job="kubernetes-pods"`.
   */
  readonly podMatchers: string;
}

/**
 * Series a service needs from pods of the router outside the service's namespace (e.g. Traefik's),
 * and how to recognise them: the embedded Prometheus keeps a series when its name matches
 * `metricNames` and its `serviceLabel` matches `serviceValues` (both RE2, fully anchored).
 */
export interface RouterMetrics {
  /** Namespace of the router's pods, which are annotated for scraping. */
  readonly namespace: string;
  /** Pattern of the metric names to keep, e.g. `traefik_service_.+`. */
  readonly metricNames: string;
  /** The label that names the backend in those series, e.g. `service`. */
  readonly serviceLabel: string;
  /** Pattern of this service's values of that label. */
  readonly serviceValues: string;
  /**
   * Labels of the router's pods that serve these series: the embedded Prometheus's NetworkPolicy
   * lets it call only them.
   *
   * @default - every pod of `namespace`
   */
  readonly podLabels?: { [key: string]: string };
  /**
   * The port those pods serve their metrics on (the port of the egress rule).
   *
   * @default - any port
   */
  readonly metricsPort?: number;
  /**
   * Whether `metricsPort` is a container port the router's pods declare, serving `/metrics`: the
   * embedded Prometheus's router job and a Prometheus Operator's PodMonitor then scrape that port,
   * whatever the pods' `prometheus.io/*` annotations say (Traefik's chart drops them when its own
   * ServiceMonitor is enabled).
   *
   * @default false - the pods annotated `prometheus.io/scrape`, on the port and path their annotations name (Istio's merged 15020 at `/stats/prometheus`: sidecars declare no such container port; the Gateway API proxies do, as `metrics`, but serve it at `/stats/prometheus`, not `/metrics`, so they are scraped by annotation too)
   */
  readonly metricsPortDeclared?: boolean;
}

/** The routing part of a Flagger Canary, and the objects Flagger expects us to create. */
export interface FlaggerRouting {
  /** The Canary's `spec.provider`. */
  readonly provider: string;
  /**
   * Router-specific fields of the Canary's `spec.service` (e.g. Istio gateways and hosts).
   *
   * @default - none
   */
  readonly serviceFields?: { [key: string]: any };
  /**
   * The objects created for the router, by role (e.g. `ingressRoute`, `gateway`).
   *
   * @default - none
   */
  readonly objects?: { [role: string]: Construct };
  /**
   * Queries of the built-in checks (by `MetricKind`, with Flagger's template variables) when
   * Flagger's own built-ins for `provider` do not read what this router measures; they then run as
   * MetricTemplates. An empty map: the router has no telemetry, and the built-in checks are rejected.
   *
   * @default - Flagger's built-in queries for the provider
   */
  readonly builtInQueries?: { [kind: string]: string };
  /**
   * The canary's and the primary's series, for checks that compare them (`CanaryMetric.compareToPrimary()`).
   *
   * @default - comparisons are rejected
   */
  readonly comparableSeries?: ComparableSeries;
  /**
   * What Flagger creates for this router besides the Deployment and Services it always creates
   * (e.g. the TraefikService or the VirtualService `<name>`): their names are reserved, and
   * references to them are checked against the time they exist.
   *
   * @default - nothing
   */
  readonly generatedObjects?: GeneratedObject[];
}

/** Which ReplicaSet's pod-template hash an analysis argument takes (Argo Rollouts' `podTemplateHashValue`). */
export enum PodTemplateHash {
  /** The canary's (the newest ReplicaSet). */
  LATEST = 'Latest',
  /** The stable ReplicaSet's. */
  STABLE = 'Stable',
}

/** One argument the Rollout passes to its AnalysisTemplate: a string value, or a pod-template hash. */
export interface AnalysisArgument {
  /** Name, used as `{{args.<name>}}` in queries. */
  readonly name: string;
  /**
   * Value the Rollout passes.
   *
   * @default - none: `podTemplateHash` gives the value
   */
  readonly value?: string;
  /**
   * The pod-template hash of a ReplicaSet, resolved by Argo Rollouts when the analysis starts
   * (`valueFrom.podTemplateHashValue`).
   *
   * @default - none: `value` is the value
   */
  readonly podTemplateHash?: PodTemplateHash;
}

/** What a router needs to know to route for Argo Rollouts. */
export interface ArgoRoutingContext extends RoutingContext {
  /**
   * Whether the Rollout switches Services (`strategy.blueGreen`) rather than shifting weights: the
   * router then creates active and preview Services and routes to the active one. Blue/green with
   * mirroring runs as canary steps (mirror, check, then all traffic at once), so it is false there.
   */
  readonly blueGreen: boolean;
  /**
   * Names of the header routes the steps set (`setHeaderRoute`); they are listed in
   * `trafficRouting.managedRoutes`, and the router must support them.
   */
  readonly headerRoutes: string[];
  /** Names of the mirror routes the steps set (`setMirrorRoute`). */
  readonly mirrorRoutes: string[];
}

/** The routing part of an Argo Rollout, and the objects created for it. */
export interface ArgoRolloutsRouting {
  /**
   * The Rollout's `strategy.canary.trafficRouting` (without `managedRoutes`).
   *
   * @default - none: Argo Rollouts splits the traffic by replica count (a basic canary)
   */
  readonly trafficRouting?: { [key: string]: any };
  /**
   * `strategy.canary.canaryService`, when the router routes to a canary Service.
   *
   * @default - none
   */
  readonly canaryService?: string;
  /**
   * `strategy.canary.stableService`, when the router routes to a stable Service.
   *
   * @default - none
   */
  readonly stableService?: string;
  /**
   * Blue/green: `strategy.blueGreen.activeService`, the Service live traffic goes to.
   *
   * @default - not blue/green
   */
  readonly activeService?: string;
  /**
   * Blue/green: `strategy.blueGreen.previewService`, the Service in front of the new version before the switch.
   *
   * @default - not blue/green
   */
  readonly previewService?: string;
  /**
   * Blue/green: the built-in checks after the switch, when the new version takes the live traffic
   * (the post-promotion analysis). Same form as `queries`.
   *
   * @default - `queries`
   */
  readonly activeQueries?: { [kind: string]: string };
  /**
   * PromQL of the built-in checks (by `MetricKind`) for this routing, using `{{args.<name>}}`
   * placeholders. Success rate is a ratio (0-1), duration the P99 in milliseconds.
   */
  readonly queries: { [kind: string]: string };
  /** Arguments the queries use, with the values the Rollout passes. */
  readonly queryArguments: AnalysisArgument[];
  /**
   * The canary's and the stable's series (`{{args.<name>}}` placeholders, in `queryArguments`), for
   * checks that compare them.
   *
   * @default - comparisons are rejected
   */
  readonly comparableSeries?: ComparableSeries;
  /**
   * The objects created for the router, by role (e.g. `virtualService`, `stableService`).
   *
   * @default - none
   */
  readonly objects?: { [role: string]: Construct };
}

/**
 * A traffic router: the proxy or mesh that splits traffic between the stable and the canary
 * version. It knows its own objects and metrics; engines ask it for them.
 */
export interface ITrafficRouter {
  /** Short name, e.g. `traefik`. */
  readonly name: string;
  /**
   * Labels the service's pod template must carry for the router to measure it (e.g. Istio's
   * sidecar injection label).
   */
  readonly podLabels: { [key: string]: string };
  /**
   * Annotations the service's pod template must carry for the checks to get their numbers (e.g.
   * Prometheus's scrape annotations for the application's own metrics).
   *
   * @default - none
   */
  readonly podAnnotations?: { [key: string]: string };

  /**
   * Whether the router can do `feature` with the engine named `engine` (`flagger`,
   * `argo-rollouts`); a strategy that needs what it cannot do fails with a message.
   */
  supports(engine: string, feature: TrafficFeature): boolean;

  /**
   * Where a load test must send its requests so that this router measures them: through the ingress
   * for an ingress router, to the canary's pods for a mesh.
   */
  loadTarget(context: RoutingContext): LoadTarget;

  /**
   * The series of this service that the router's own pods expose, when they live outside the
   * service's namespace (Traefik's). The embedded Prometheus scrapes those pods and keeps only these
   * series, so that a namespace's Prometheus does not ingest every other namespace's series.
   */
  routerMetrics(context: RoutingContext): RouterMetrics[];

  /**
   * PromQL of a built-in check as measured by this router, with Flagger's template variables
   * (`{{ namespace }}`, `{{ target }}`, `{{ interval }}`).
   */
  builtInQuery(kind: MetricKind): string;

  /** Creates what Flagger expects to exist for this router and returns the Canary's routing part. */
  bindFlagger(scope: Construct, context: RoutingContext): FlaggerRouting;

  /** Creates the Services and routing objects Argo Rollouts needs and returns the Rollout's routing part. */
  bindArgoRollouts(scope: Construct, context: ArgoRoutingContext): ArgoRolloutsRouting;
}
