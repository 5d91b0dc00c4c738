import { ComparableSeries } from '../../analysis/comparison';
import { MetricKind } from '../../analysis/metric';
import { ISTIO_MERGED_METRICS_PORT } from '../../platform/conventions';
import { RouterMetrics } from '../router';

/**
 * Series the gateway's own proxies report: `namespace` is the target label the scrape config sets
 * from the pod's namespace (honor_labels is off, so a scraped pod cannot set it), so `istio_*`
 * series exposed by a pod of another namespace do not count. A Prometheus that labels them with
 * the service's own monitor (enforcedNamespaceLabel) gives its matchers instead.
 */
export function fromGatewayPods(gatewayNamespace: string): string {
  return `namespace="${gatewayNamespace}"`;
}

/** The router series' matchers followed by a comma; empty when they are not known. */
function scope(routerSeries: string | undefined): string {
  return routerSeries === undefined ? '' : `${routerSeries},`;
}

/**
 * Where the checks of a Gateway API router get their numbers. Gateway API defines no metrics, so
 * they come from the implementation that runs the Gateway; the choice is explicit.
 */
export class GatewayMetrics {
  /**
   * Istio's Gateway API implementation (`gatewayClassName: istio`). For a Gateway `<gw>`, istiod
   * deploys a proxy Deployment and Service `<gw>-istio` (pods labelled
   * `gateway.networking.k8s.io/gateway-name: <gw>`), which reports every request it forwards as
   * `istio_requests_total{reporter="source"}` with `destination_service_name` the HTTPRoute
   * backend Service it chose (the canary's, the stable's): the checks read the canary Service's
   * requests at the gateway, as Flagger's Gateway API tutorial does. The service's pods need no
   * sidecar; the load goes through the gateway.
   */
  public static istio(): GatewayMetrics {
    return new GatewayMetrics('istio', 'istio', '-istio', 'gateway.networking.k8s.io/gateway-name');
  }

  /** The implementation, e.g. `istio`. */
  public readonly implementation: string;
  /** The GatewayClass of a Gateway this library creates for it. */
  public readonly gatewayClassName: string;

  private constructor(
    implementation: string, gatewayClassName: string,
    private readonly serviceSuffix: string, private readonly gatewayPodLabel: string,
  ) {
    this.implementation = implementation;
    this.gatewayClassName = gatewayClassName;
  }

  /**
   * The Service the implementation runs in front of a Gateway's proxies.
   *
   * @internal
   */
  public _gatewayService(gateway: string): string {
    return `${gateway}${this.serviceSuffix}`;
  }

  /**
   * The labels of a Gateway's proxy pods.
   *
   * @internal
   */
  public _gatewayPodLabels(gateway: string): { [key: string]: string } {
    return { [this.gatewayPodLabel]: gateway };
  }

  /**
   * The series of a service's Services that the gateway's proxies report (in the gateway's
   * namespace), kept by the embedded Prometheus, and no other service's.
   *
   * @internal
   */
  public _routerMetrics(gatewayNamespace: string, gateway: string, namespace: string, name: string): RouterMetrics {
    return {
      namespace: gatewayNamespace,
      // Istio merges the proxy's and the app's metrics on 15020 (prometheus.io/port of its pods).
      podLabels: this._gatewayPodLabels(gateway),
      metricsPort: ISTIO_MERGED_METRICS_PORT,
      metricNames: 'istio_requests_total|istio_request_duration_milliseconds_bucket',
      serviceLabel: 'destination_service',
      serviceValues: `${name}(-canary|-primary|-stable|-preview)?\\.${namespace}\\.svc\\.cluster\\.local`,
    };
  }

  /**
   * Flagger's queries (Go template variables): the requests the gateway forwarded to the canary
   * Service `<target>-canary`. Success rate in percent, P99 in milliseconds.
   *
   * @internal
   */
  public _flaggerQueries(routerSeries?: string): { [kind: string]: string } {
    const canary = `${scope(routerSeries)}reporter="source",destination_service_namespace="{{ namespace }}",destination_service_name="{{ target }}-canary"`;
    return {
      [MetricKind.REQUEST_SUCCESS_RATE]: `sum(rate(istio_requests_total{${canary},response_code!~"5.*"}[{{ interval }}])) / `
        + `sum(rate(istio_requests_total{${canary}}[{{ interval }}])) * 100`,
      [MetricKind.REQUEST_DURATION]: `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${canary}}[{{ interval }}])) by (le))`,
    };
  }

  /**
   * What the gateway forwarded to two Services (matchers with the engine's variables), for comparisons.
   *
   * @internal
   */
  public _comparableSeries(routerSeries: string, namespace: string, canaryService: string, baselineService: string): ComparableSeries {
    const to = (service: string) => `${scope(routerSeries)}reporter="source",destination_service_namespace="${namespace}",destination_service_name="${service}"`;
    return {
      requests: 'istio_requests_total',
      errorMatcher: 'response_code=~"5.*"',
      durationBuckets: 'istio_request_duration_milliseconds_bucket',
      durationToMillis: 1,
      canary: to(canaryService),
      baseline: to(baselineService),
    };
  }

  /**
   * Argo Rollouts' queries over the Services named by `serviceArgs` (analysis arguments), with the
   * namespace in `namespaceArg`. A ratio (0-1) and milliseconds; no sample when there was no
   * request in the window, 0 when every request failed.
   *
   * @internal
   */
  public _argoQueries(routerSeries: string, namespaceArg: string, serviceArgs: string[]): { [kind: string]: string } {
    const services = serviceArgs.map((arg) => `{{args.${arg}}}`);
    const service = services.length === 1
      ? `destination_service_name="${services[0]}"`
      : `destination_service_name=~"(${services.join('|')})"`;
    const selector = `${scope(routerSeries)}reporter="source",destination_service_namespace="{{args.${namespaceArg}}}",${service}`;
    const anyRequests = `(sum(rate(istio_requests_total{${selector}}[{{ interval }}])) > 0)`;
    return {
      [MetricKind.REQUEST_SUCCESS_RATE]: `(sum(rate(istio_requests_total{${selector},response_code!~"5.*"}[{{ interval }}])) or vector(0)) / ${anyRequests}`,
      [MetricKind.REQUEST_DURATION]: `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${selector}}[{{ interval }}])) by (le)) and on() ${anyRequests}`,
    };
  }
}
