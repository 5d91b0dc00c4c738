import { ComparableSeries } from '../../analysis/comparison';
import { MetricKind } from '../../analysis/metric';

/**
 * Traefik v3's series of a Kubernetes Service inside a TraefikService are labelled
 * `service="<ns>-<svc>-<port>@kubernetescrd"`, the port as the TraefikService names it (a number
 * here) (traefik pkg/provider/kubernetes/crd/kubernetes_http.go, fullServiceName). The +Inf bucket
 * of the duration histogram counts every request.
 */
function nonErrorRate(series: string): string {
  return `sum(rate(traefik_service_request_duration_seconds_bucket{${series},code!~"5..",le="+Inf"}[{{ interval }}]))`;
}

function requestRate(series: string): string {
  return `sum(rate(traefik_service_request_duration_seconds_bucket{${series},le="+Inf"}[{{ interval }}]))`;
}

/** P99 of the request duration, in milliseconds. */
function durationP99(series: string): string {
  return `histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{${series}}[{{ interval }}])) by (le)) * 1000`;
}

/**
 * Flagger's own queries for provider `traefik` (pkg/metrics/observers/traefik.go): the canary
 * Service in the TraefikService Flagger generates, matched loosely on the port. The success rate is
 * a percentage.
 */
const FLAGGER_CANARY = 'service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd"';
export const FLAGGER_TRAEFIK_QUERIES: { [kind: string]: string } = {
  [MetricKind.REQUEST_SUCCESS_RATE]: `${nonErrorRate(FLAGGER_CANARY)} / ${requestRate(FLAGGER_CANARY)} * 100`,
  [MetricKind.REQUEST_DURATION]: durationP99(FLAGGER_CANARY),
};

/**
 * Flagger's queries over the series that `routerSeries` selects (Flagger's own select none): for a
 * Prometheus that labels the router's series with the service's monitor (enforcedNamespaceLabel).
 */
export function flaggerTraefikQueries(routerSeries: string): { [kind: string]: string } {
  const canary = `${routerSeries},${FLAGGER_CANARY}`;
  return {
    [MetricKind.REQUEST_SUCCESS_RATE]: `${nonErrorRate(canary)} / ${requestRate(canary)} * 100`,
    [MetricKind.REQUEST_DURATION]: durationP99(canary),
  };
}

/**
 * Series scraped from Traefik's own pods: `namespace` is the target label the scrape config sets
 * from the pod's namespace (a scraped pod cannot override it: honor_labels is off), so a pod of
 * another namespace that exposes `traefik_service_*` series of its own does not count. (The job
 * differs: `router-<namespace>` in the embedded Prometheus, `kubernetes-pods` in the shared one.)
 * A Prometheus that labels them with the service's own monitor gives its matchers instead.
 */
export function fromTraefikPods(traefikNamespace: string): string {
  return `namespace="${traefikNamespace}"`;
}

/** Analysis arguments of the Argo Rollouts queries. */
export const ARGO_NAMESPACE_ARG = 'namespace';
export const ARGO_SERVICE_PORT_ARG = 'service-port';

/**
 * Argo Rollouts queries over the series of Services named by arguments, exactly (a loose port
 * pattern would also match a Service whose name starts with this one's). Success is a ratio (0-1).
 * No sample when there was no request in the window (Traefik keeps exporting a Service's counters
 * after its last request, which would give NaN), and 0 when every request failed: `len(result) > 0`
 * then means "the new version had traffic".
 */
export function argoTraefikQueries(routerSeries: string, serviceArgs: string[]): { [kind: string]: string } {
  const services = serviceArgs.map((arg) => `{{args.${arg}}}`);
  const name = services.length === 1 ? services[0] : `(${services.join('|')})`;
  const series = `${routerSeries},service${services.length === 1 ? '=' : '=~'}"{{args.${ARGO_NAMESPACE_ARG}}}-${name}-{{args.${ARGO_SERVICE_PORT_ARG}}}@kubernetescrd"`;
  return {
    [MetricKind.REQUEST_SUCCESS_RATE]: `(${nonErrorRate(series)} or vector(0)) / (${requestRate(series)} > 0)`,
    [MetricKind.REQUEST_DURATION]: `${durationP99(series)} and on() (${requestRate(series)} > 0)`,
  };
}

/** Traefik's series of two Services of a TraefikService, for checks that compare them. */
export function traefikComparableSeries(canary: string, baseline: string): ComparableSeries {
  return {
    requests: 'traefik_service_request_duration_seconds_bucket',
    requestMatchers: 'le="+Inf"',
    errorMatcher: 'code=~"5.."',
    durationBuckets: 'traefik_service_request_duration_seconds_bucket',
    durationToMillis: 1000,
    canary,
    baseline,
  };
}

/** Flagger's canary and primary Services in the TraefikService it generates. */
export const FLAGGER_TRAEFIK_SERIES = flaggerTraefikSeries();

/** Flagger's canary and primary Services, within the router series `routerSeries` selects (all of them when none). */
export function flaggerTraefikSeries(routerSeries?: string): ComparableSeries {
  const scope = routerSeries === undefined ? '' : `${routerSeries},`;
  return traefikComparableSeries(
    `${scope}service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd"`,
    `${scope}service=~"{{ namespace }}-{{ target }}-primary-[0-9a-zA-Z-]+@kubernetescrd"`,
  );
}

/** Two Services named by analysis arguments, exactly, as Traefik's pods report them. */
export function argoTraefikSeries(routerSeries: string, canaryArg: string, baselineArg: string): ComparableSeries {
  const service = (arg: string) => `${routerSeries},service="{{args.${ARGO_NAMESPACE_ARG}}}-{{args.${arg}}}-{{args.${ARGO_SERVICE_PORT_ARG}}}@kubernetescrd"`;
  return traefikComparableSeries(service(canaryArg), service(baselineArg));
}
