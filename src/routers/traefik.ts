import { Construct } from 'constructs';
import { createStableAndCanaryServices } from './rollout-services';
import { ArgoRolloutsRouting, ArgoRoutingContext, FlaggerRouting, ITrafficRouter, RouterCapabilities, RoutingContext } from './router';
import { TraefikBackendKind, TraefikIngressRoute, TraefikRouteOptions, checkRouteOptions } from './traefik-ingress-route';
import { TraefikWeightedService } from './traefik-service';
import { MetricKind } from '../analysis/metric';
import { TRAEFIK_NAMESPACE } from '../platform/conventions';
import { checkDnsLabel, fail } from '../validation';

/** Options for `TrafficRouter.traefik()`. */
export interface TraefikRouterOptions extends TraefikRouteOptions {
  /**
   * Namespace Traefik runs in; its pods are scraped there for metrics.
   *
   * @default 'traefik'
   */
  readonly namespace?: string;
}

const OWNER = 'TrafficRouter.traefik()';
const ARGO_WEIGHTED_ONLY = 'Traefik supports only weighted steps with Argo Rollouts (setWeight, setCanaryScale, pause, analysis)';

/**
 * Traefik's series for one Kubernetes Service inside a TraefikService: it appears as
 * `service="<ns>-<svc>-<port>@kubernetescrd"`.
 */
function serviceSeries(namespace: string, service: string): string {
  return `service=~"${namespace}-${service}-[0-9a-zA-Z-]+@kubernetescrd"`;
}

/** Share of the requests to `series` that did not answer 5xx, as a ratio (0-1). */
function successRatio(series: string): string {
  return `sum(rate(traefik_service_request_duration_seconds_bucket{${series},code!~"5..",le="+Inf"}[{{ interval }}])) / `
    + `sum(rate(traefik_service_request_duration_seconds_bucket{${series},le="+Inf"}[{{ interval }}]))`;
}

/** P99 of the request duration of `series`, in milliseconds. */
function durationP99(series: string): string {
  return `histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{${series}}[{{ interval }}])) by (le)) * 1000`;
}

// Flagger's own queries for provider `traefik`: the canary Service appears in the TraefikService
// Flagger generates as `<ns>-<target>-canary-<port>@kubernetescrd`. Flagger's success rate is a percentage.
const FLAGGER_CANARY_SERIES = serviceSeries('{{ namespace }}', '{{ target }}-canary');
const TRAEFIK_QUERIES: { [kind: string]: string } = {
  [MetricKind.REQUEST_SUCCESS_RATE]: `${successRatio(FLAGGER_CANARY_SERIES)} * 100`,
  [MetricKind.REQUEST_DURATION]: durationP99(FLAGGER_CANARY_SERIES),
};

// The same for Argo Rollouts: the canary Service in our TraefikService, named by the Rollout's
// arguments. Argo's success rate is a ratio.
const ARGO_NAMESPACE_ARG = 'namespace';
const ARGO_CANARY_SERVICE_ARG = 'canary-service';
const ARGO_CANARY_SERIES = serviceSeries(`{{args.${ARGO_NAMESPACE_ARG}}}`, `{{args.${ARGO_CANARY_SERVICE_ARG}}}`);
const ARGO_QUERIES: { [kind: string]: string } = {
  [MetricKind.REQUEST_SUCCESS_RATE]: successRatio(ARGO_CANARY_SERIES),
  [MetricKind.REQUEST_DURATION]: durationP99(ARGO_CANARY_SERIES),
};

/**
 * Traefik v3 (`traefik.io/v1alpha1`). Weighted canaries only: no header matching, mirroring or
 * session affinity, with Flagger or Argo Rollouts.
 */
export class TraefikRouter implements ITrafficRouter {
  public readonly name = 'traefik';
  public readonly capabilities: RouterCapabilities = { headerMatch: false, mirroring: false, sessionAffinity: false };
  public readonly metricsNamespaces: string[];
  /** The route options every service gets. */
  public readonly options: TraefikRouterOptions;

  public constructor(options: TraefikRouterOptions) {
    checkRouteOptions(OWNER, options);
    this.metricsNamespaces = [checkDnsLabel(OWNER, 'namespace', options.namespace ?? TRAEFIK_NAMESPACE)];
    this.options = options;
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
