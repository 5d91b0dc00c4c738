import { Construct } from 'constructs';
import { MetricKind } from '../analysis/metric';

/** What a router can do beyond weighted traffic shifting. */
export interface RouterCapabilities {
  /** Route requests by header or cookie (A/B testing). */
  readonly headerMatch: boolean;
  /** Copy traffic to the canary (shadowing). */
  readonly mirroring: boolean;
  /** Keep a user on the version they first got. */
  readonly sessionAffinity: boolean;
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
}

/** One argument the Rollout passes to its AnalysisTemplate (values are strings). */
export interface AnalysisArgument {
  /** Name, used as `{{args.<name>}}` in queries. */
  readonly name: string;
  /** Value the Rollout passes. */
  readonly value: string;
}

/** What a router needs to know to route for Argo Rollouts. */
export interface ArgoRoutingContext extends RoutingContext {
  /** The one label the Rollout's pods are selected by (`app.kubernetes.io/name: <name>`). */
  readonly selectorLabels: { [key: string]: string };
  /**
   * Names of the header routes the steps set (`setHeaderRoute`); they are listed in
   * `trafficRouting.managedRoutes`, and the router must support them.
   */
  readonly headerRoutes: string[];
  /** Names of the mirror routes the steps set (`setMirrorRoute`). */
  readonly mirrorRoutes: string[];
  /**
   * Version of the application (`app.kubernetes.io/version` on the pods), which some routers'
   * telemetry uses to tell canary pods from stable ones.
   *
   * @default - no version label
   */
  readonly version?: string;
}

/** The routing part of an Argo Rollout, and the objects created for it. */
export interface ArgoRolloutsRouting {
  /** The Rollout's `strategy.canary.trafficRouting` (without `managedRoutes`). */
  readonly trafficRouting: { [key: string]: any };
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
   * PromQL of the built-in checks (by `MetricKind`) for this routing, using `{{args.<name>}}`
   * placeholders. Success rate is a ratio (0-1), duration the P99 in milliseconds.
   */
  readonly queries: { [kind: string]: string };
  /** Arguments the queries use, with the values the Rollout passes. */
  readonly queryArguments: AnalysisArgument[];
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
  /** What it supports; unsupported analysis settings fail with a message. */
  readonly capabilities: RouterCapabilities;
  /**
   * Namespaces whose pods expose the router's metrics (annotated for scraping), besides the
   * service's own namespace. The embedded Prometheus scrapes them.
   */
  readonly metricsNamespaces: string[];

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
