import { Construct } from 'constructs';
import { createStableAndCanaryServices } from './rollout-services';
import {
  ArgoRolloutsRouting, ArgoRoutingContext, FlaggerRouting, ITrafficRouter, RouterCapabilities, RouterMetrics, RoutingContext,
} from './router';
import { TraefikBackendKind, TraefikIngressRoute, TraefikRouteOptions, checkRouteOptions } from './traefik-ingress-route';
import { TraefikWeightedService } from './traefik-service';
import { LoadTarget } from '../analysis/load-test';
import { MetricKind } from '../analysis/metric';
import {
  TRAEFIK_NAMESPACE, TRAEFIK_POD_LABELS, TRAEFIK_SERVICE_NAME, TRAEFIK_WEB_CONTAINER_PORT, TRAEFIK_WEB_ENTRYPOINT,
  TRAEFIK_WEB_SERVICE_PORT, TRAEFIK_WEBSECURE_CONTAINER_PORT, TRAEFIK_WEBSECURE_ENTRYPOINT, TRAEFIK_WEBSECURE_SERVICE_PORT,
  serviceAddress,
} from '../platform/conventions';
import { checkDnsLabel, fail } from '../validation';

/** Options for `TrafficRouter.traefik()`. */
export interface TraefikRouterOptions extends TraefikRouteOptions {
  /**
   * Namespace Traefik runs in; its pods are scraped there for metrics, and load tests go through its
   * Service there.
   *
   * @default 'traefik'
   */
  readonly namespace?: string;
  /**
   * Name of Traefik's Service (the Helm chart names it after the release). Typed load tests send
   * their requests through it, on the port of the `web` entryPoint (80), or of `websecure` (443)
   * when the route listens only there.
   *
   * @default 'traefik'
   */
  readonly serviceName?: string;
}

const OWNER = 'TrafficRouter.traefik()';
const ARGO_WEIGHTED_ONLY = 'Traefik supports only weighted steps with Argo Rollouts (setWeight, setCanaryScale, pause, analysis)';

/** Where each known entryPoint is served: the port on Traefik's Service and on its pods, and TLS. */
const ENTRY_POINT_PORTS: { [entryPoint: string]: { service: number; container: number; tls: boolean } } = {
  [TRAEFIK_WEB_ENTRYPOINT]: { service: TRAEFIK_WEB_SERVICE_PORT, container: TRAEFIK_WEB_CONTAINER_PORT, tls: false },
  [TRAEFIK_WEBSECURE_ENTRYPOINT]: { service: TRAEFIK_WEBSECURE_SERVICE_PORT, container: TRAEFIK_WEBSECURE_CONTAINER_PORT, tls: true },
};

/**
 * Traefik's series for one Kubernetes Service inside a TraefikService: it appears as
 * `service="<ns>-<svc>-<port>@kubernetescrd"`, with the port as the TraefikService names it (a
 * number here) (traefik pkg/provider/kubernetes/crd/kubernetes_http.go, fullServiceName).
 */
function serviceSeries(namespace: string, service: string): string {
  return `service=~"${namespace}-${service}-[0-9a-zA-Z-]+@kubernetescrd"`;
}

/** Requests per second to `series` that did not answer 5xx (the +Inf bucket counts every request). */
function nonErrorRate(series: string): string {
  return `sum(rate(traefik_service_request_duration_seconds_bucket{${series},code!~"5..",le="+Inf"}[{{ interval }}]))`;
}

/** Requests per second to `series`. */
function requestRate(series: string): string {
  return `sum(rate(traefik_service_request_duration_seconds_bucket{${series},le="+Inf"}[{{ interval }}]))`;
}

/** P99 of the request duration of `series`, in milliseconds. */
function durationP99(series: string): string {
  return `histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{${series}}[{{ interval }}])) by (le)) * 1000`;
}

// Flagger's own queries for provider `traefik`: the canary Service appears in the TraefikService
// Flagger generates as `<ns>-<target>-canary-<port>@kubernetescrd`. Flagger's success rate is a percentage.
const FLAGGER_CANARY_SERIES = serviceSeries('{{ namespace }}', '{{ target }}-canary');
const TRAEFIK_QUERIES: { [kind: string]: string } = {
  [MetricKind.REQUEST_SUCCESS_RATE]: `${nonErrorRate(FLAGGER_CANARY_SERIES)} / ${requestRate(FLAGGER_CANARY_SERIES)} * 100`,
  [MetricKind.REQUEST_DURATION]: durationP99(FLAGGER_CANARY_SERIES),
};

// The same for Argo Rollouts: the canary Service in our TraefikService, named by the Rollout's
// arguments. Argo's success rate is a ratio.
const ARGO_NAMESPACE_ARG = 'namespace';
const ARGO_CANARY_SERVICE_ARG = 'canary-service';
const ARGO_CANARY_SERIES = serviceSeries(`{{args.${ARGO_NAMESPACE_ARG}}}`, `{{args.${ARGO_CANARY_SERVICE_ARG}}}`);
// Ours return no sample, rather than NaN, when the canary had no request in the window (Traefik
// keeps exporting a Service's counters after its last request), and 0 rather than nothing when it
// answered only 5xx: `len(result) > 0` then means "the canary had traffic".
const ARGO_QUERIES: { [kind: string]: string } = {
  [MetricKind.REQUEST_SUCCESS_RATE]: `(${nonErrorRate(ARGO_CANARY_SERIES)} or vector(0)) / (${requestRate(ARGO_CANARY_SERIES)} > 0)`,
  [MetricKind.REQUEST_DURATION]: `${durationP99(ARGO_CANARY_SERIES)} and on() (${requestRate(ARGO_CANARY_SERIES)} > 0)`,
};

/**
 * Traefik v3 (`traefik.io/v1alpha1`). Weighted canaries only: no header matching, mirroring or
 * session affinity, with Flagger or Argo Rollouts.
 */
export class TraefikRouter implements ITrafficRouter {
  public readonly name = 'traefik';
  public readonly capabilities: RouterCapabilities = { headerMatch: false, mirroring: false, sessionAffinity: false };
  public readonly podLabels: { [key: string]: string } = {};
  /** The route options every service gets. */
  public readonly options: TraefikRouterOptions;
  /** Namespace Traefik runs in. */
  public readonly namespace: string;
  /** Name of Traefik's Service. */
  public readonly serviceName: string;

  public constructor(options: TraefikRouterOptions) {
    checkRouteOptions(OWNER, options);
    this.namespace = checkDnsLabel(OWNER, 'namespace', options.namespace ?? TRAEFIK_NAMESPACE);
    this.serviceName = checkDnsLabel(OWNER, 'serviceName', options.serviceName ?? TRAEFIK_SERVICE_NAME);
    this.options = options;
  }

  /**
   * Through Traefik's Service with the first routed host: Traefik records `traefik_service_*` only
   * for requests it routes, and routes by the Host header (Flagger's Traefik tutorial does the same:
   * `hey -host app.example.com http://traefik.traefik`).
   */
  public loadTarget(context: RoutingContext): LoadTarget {
    const entryPoints = this.options.entryPoints ?? [TRAEFIK_WEB_ENTRYPOINT];
    const entryPoint = entryPoints.find((e) => e === TRAEFIK_WEB_ENTRYPOINT) ?? entryPoints.find((e) => ENTRY_POINT_PORTS[e] !== undefined);
    const ports = entryPoint === undefined ? undefined : ENTRY_POINT_PORTS[entryPoint];
    const address = ports && serviceAddress(this.serviceName, this.namespace, ports.service);
    return {
      url: address && ports.tls ? address.replace(/^http:/, 'https:') : address,
      urlUnknown: ports ? undefined : `a typed load test needs to know which port of the Service '${this.serviceName}' serves the entryPoints ${entryPoints.map((e) => `'${e}'`).join(', ')}; only '${TRAEFIK_WEB_ENTRYPOINT}' (port ${TRAEFIK_WEB_SERVICE_PORT}) and '${TRAEFIK_WEBSECURE_ENTRYPOINT}' (port ${TRAEFIK_WEBSECURE_SERVICE_PORT}) are known: add one of them to the router's 'entryPoints', or give the load test a 'command' that goes through Traefik with the routed host`,
      host: this.options.hosts[0],
      pathPrefix: this.options.pathPrefix,
      measuredAtIngress: true,
      bypassedServices: [context.name, `${context.name}-canary`, `${context.name}-primary`, `${context.name}-stable`],
      reason: `Traefik records the canary's series (traefik_service_*{service="${context.namespace}-${context.name}-canary-${context.port}@kubernetescrd"}) only for requests it routes, and it routes by the Host header.`,
      egress: ports ? [{ namespace: this.namespace, podLabels: { ...TRAEFIK_POD_LABELS }, ports: [ports.container] }] : [],
    };
  }

  /** The canary's, primary's and stable's series from Traefik's pods; nothing else of Traefik's. */
  public routerMetrics(context: RoutingContext): RouterMetrics[] {
    return [{
      namespace: this.namespace,
      metricNames: 'traefik_service_.+',
      serviceLabel: 'service',
      serviceValues: `${context.namespace}-${context.name}-(canary|primary|stable)-${context.port}@kubernetescrd`,
    }];
  }

  public builtInQuery(kind: MetricKind): string {
    return TRAEFIK_QUERIES[kind] ?? fail(OWNER, `there is no built-in query for ${kind}`);
  }

  /**
   * Flagger generates the TraefikService `<name>` that splits traffic between `<name>-primary` and
   * `<name>-canary`; we only route to it.
   */
  public bindFlagger(scope: Construct, context: RoutingContext): FlaggerRouting {
    const ingressRoute = this.routeToTraefikService(scope, context, context.name);
    return { provider: 'traefik', objects: { ingressRoute } };
  }

  /**
   * Argo Rollouts only sets weights: we create the Services `<name>-stable` and `<name>-canary`, the
   * TraefikService `<name>` that balances between them (without weights, which the controller
   * writes), and the IngressRoute `<name>` to it.
   */
  public bindArgoRollouts(scope: Construct, context: ArgoRoutingContext): ArgoRolloutsRouting {
    if (context.headerRoutes.length > 0) {
      fail(OWNER, `header route '${context.headerRoutes[0]}' (setHeaderRoute) is not supported: ${ARGO_WEIGHTED_ONLY}; use TrafficRouter.istio() to route by header`);
    }
    if (context.mirrorRoutes.length > 0) {
      fail(OWNER, `mirror route '${context.mirrorRoutes[0]}' (setMirrorRoute) is not supported: ${ARGO_WEIGHTED_ONLY}; use TrafficRouter.istio() to mirror traffic`);
    }
    checkDnsLabel(OWNER, 'name', context.name, 56, ", so that '<name>-stable' and '<name>-canary' are valid Service names");

    const { stable, canary } = createStableAndCanaryServices(scope, context, context.selectorLabels);
    const traefikService = new TraefikWeightedService(scope, 'TraefikService', {
      metadata: { name: context.name, namespace: context.namespace, labels: context.labels },
      services: [stable, canary].map((service) => ({ name: service.name, port: context.port })),
    });
    const ingressRoute = this.routeToTraefikService(scope, context, traefikService.name);
    return {
      trafficRouting: { traefik: { weightedTraefikServiceName: traefikService.name } },
      canaryService: canary.name,
      stableService: stable.name,
      queries: { ...ARGO_QUERIES },
      queryArguments: [
        { name: ARGO_NAMESPACE_ARG, value: context.namespace },
        { name: ARGO_CANARY_SERVICE_ARG, value: canary.name },
      ],
      objects: { stableService: stable, canaryService: canary, traefikService, ingressRoute },
    };
  }

  /**
   * The IngressRoute `<name>` to a TraefikService. Traefik ignores the port of a TraefikService
   * backend (only a Kubernetes Service has ports); it is the service port, as in Flagger's docs.
   */
  private routeToTraefikService(scope: Construct, context: RoutingContext, traefikServiceName: string): TraefikIngressRoute {
    return new TraefikIngressRoute(scope, 'IngressRoute', {
      ...this.options,
      metadata: { name: context.name, namespace: context.namespace, labels: context.labels },
      backendName: traefikServiceName,
      backendKind: TraefikBackendKind.TRAEFIK_SERVICE,
      backendPort: context.port,
    });
  }
}
