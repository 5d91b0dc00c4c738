import { Construct } from 'constructs';
import { FlaggerRouting, ITrafficRouter, RouterCapabilities, RoutingContext } from './router';
import { TraefikBackendKind, TraefikIngressRoute, TraefikRouteOptions, checkRouteOptions } from './traefik-ingress-route';
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

// Flagger's own queries for provider `traefik`: the canary Service appears in the TraefikService
// Flagger generates as `<ns>-<target>-canary-<port>@kubernetescrd`.
const CANARY_SERIES = 'service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd"';
const TRAEFIK_QUERIES: { [kind: string]: string } = {
  [MetricKind.REQUEST_SUCCESS_RATE]:
    `sum(rate(traefik_service_request_duration_seconds_bucket{${CANARY_SERIES},code!~"5..",le="+Inf"}[{{ interval }}])) / `
    + `sum(rate(traefik_service_request_duration_seconds_bucket{${CANARY_SERIES},le="+Inf"}[{{ interval }}])) * 100`,
  [MetricKind.REQUEST_DURATION]:
    `histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{${CANARY_SERIES}}[{{ interval }}])) by (le)) * 1000`,
};

/**
 * Traefik v3 (`traefik.io/v1alpha1`). Weighted canaries only: no header matching, mirroring or
 * session affinity through Flagger.
 */
export class TraefikRouter implements ITrafficRouter {
  public readonly name = 'traefik';
  public readonly capabilities: RouterCapabilities = { headerMatch: false, mirroring: false, sessionAffinity: false };
  public readonly metricsNamespaces: string[];
  /** The route options every service gets. */
  public readonly options: TraefikRouterOptions;

  public constructor(options: TraefikRouterOptions) {
    const owner = 'TrafficRouter.traefik()';
    checkRouteOptions(owner, options);
    this.metricsNamespaces = [checkDnsLabel(owner, 'namespace', options.namespace ?? TRAEFIK_NAMESPACE)];
    this.options = options;
  }

  public builtInQuery(kind: MetricKind): string {
    return TRAEFIK_QUERIES[kind] ?? fail('TrafficRouter.traefik()', `there is no built-in query for ${kind}`);
  }

  /**
   * Flagger generates the TraefikService `<name>` that splits traffic between `<name>-primary` and
   * `<name>-canary`; we only route to it.
   */
  public bindFlagger(scope: Construct, context: RoutingContext): FlaggerRouting {
    const ingressRoute = new TraefikIngressRoute(scope, 'IngressRoute', {
      ...this.options,
      metadata: { name: context.name, namespace: context.namespace, labels: context.labels },
      backendName: context.name,
      backendKind: TraefikBackendKind.TRAEFIK_SERVICE,
      backendPort: context.port,
    });
    return { provider: 'traefik', objects: { ingressRoute } };
  }
}
