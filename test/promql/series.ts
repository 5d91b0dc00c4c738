import { InputSeries, counter, labels } from './promtool';

/**
 * Series in the shapes the routers emit, with the target labels the embedded Prometheus's scrape
 * config adds (src/addons/prometheus-config.ts: job, instance, namespace, pod, kubernetes_namespace,
 * kubernetes_pod_name, and every pod label through `labelmap`). Counters grow by a fixed amount at
 * every 5 s scrape, so rates are exact: 5 per scrape is 1 request per second.
 */

/** Requests of one kind: how many per scrape, their status, and the bucket they fall in (its upper bound). */
export interface Traffic {
  /** Requests per scrape (5 s). */
  readonly perScrape: number;
  /** HTTP status code. */
  readonly code: number;
  /** gRPC status of a gRPC call (its HTTP status is then 200); none for plain HTTP. */
  readonly grpcStatus?: number;
  /** Upper bound of the histogram bucket every request of this kind falls in, in the router's unit. */
  readonly bucket: number;
  /** The route, as the application labels it (podinfo: `root`, `healthz`, `readyz`, `metrics`). */
  readonly path?: string;
}

/** Target labels of a pod the embedded Prometheus scrapes (its relabelling, pod labels included). */
function podTarget(job: string, namespace: string, pod: string, podLabels: { [key: string]: string }): { [key: string]: string } {
  const mapped = Object.fromEntries(Object.entries(podLabels).map(([k, v]) => [k.replace(/[^a-zA-Z0-9_]/g, '_'), v]));
  return {
    ...mapped,
    job,
    instance: `${pod}:9100`,
    namespace,
    pod,
    kubernetes_namespace: namespace,
    kubernetes_pod_name: pod,
  };
}

/**
 * Traefik v3's service metrics for requests to one backend Service, from one Traefik pod.
 * traefik/traefik v3.7 pkg/observability/metrics/prometheus.go: `traefik_service_requests_total` and
 * `traefik_service_request_duration_seconds` carry `code`, `method`, `protocol`, `service`; default
 * buckets 0.1, 0.3, 1.2, 5. A Kubernetes Service in a TraefikService is named
 * `<namespace>-<service>-<port>@kubernetescrd` (pkg/provider/kubernetes/crd/kubernetes_http.go).
 */
export function traefikSeries(
  service: string, traffic: Traffic[], traefikPod = 'traefik-5d9f7c6b8-abcde', scrapedAs: { job: string; namespace: string } = { job: 'router-traefik', namespace: 'traefik' },
): InputSeries[] {
  const target = podTarget(scrapedAs.job, scrapedAs.namespace, traefikPod, { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/instance': 'traefik-traefik' });
  const buckets = ['0.1', '0.3', '1.2', '5', '+Inf'];
  return traffic.flatMap((t) => {
    const base = { ...target, service, code: String(t.code), method: 'GET', protocol: 'http' };
    return [
      { series: `traefik_service_requests_total${labels(base)}`, values: counter(t.perScrape) },
      ...buckets.map((le) => ({
        series: `traefik_service_request_duration_seconds_bucket${labels({ ...base, le })}`,
        values: counter(le === '+Inf' || t.bucket <= Number(le) ? t.perScrape : 0),
      })),
    ];
  });
}

/** The pods of a workload, as Istio and the scrape config see them. */
export interface IstioPod {
  /** Pod name. */
  readonly pod: string;
  /** Namespace. */
  readonly namespace: string;
  /** Istio's workload name (a Deployment's name; for Argo Rollouts' ReplicaSets, the Rollout's). */
  readonly workload: string;
  /** The Service the requests were addressed to, as the sidecar reports it. */
  readonly service: string;
  /** Pod labels (copied onto the series by the scrape config). */
  readonly podLabels: { [key: string]: string };
  /** Istio's canonical revision of the pod. */
  readonly revision?: string;
}

/**
 * Istio's standard metrics as the destination's sidecar reports them (reporter="destination"), with
 * the default label set (istio/proxy 1.30 source/extensions/filters/http/istio_stats/istio_stats.cc):
 * source_* and destination_* workload, namespace, principal, app, version, canonical service and
 * revision, cluster, destination_service(_name, _namespace), request_protocol, response_code,
 * grpc_response_status, response_flags, connection_security_policy. The load generator has no
 * sidecar, so source labels are "unknown" and the connection is plain text. The duration histogram
 * has Envoy's default buckets in milliseconds.
 */
export function istioSeries(pod: IstioPod, traffic: Traffic[], reporter: 'destination' | 'source' = 'destination', job = 'kubernetes-pods'): InputSeries[] {
  const target = podTarget(job, pod.namespace, pod.pod, pod.podLabels);
  const buckets = ['0.5', '1', '5', '10', '25', '50', '100', '250', '500', '1000', '2500', '5000', '10000', '30000', '60000', '300000', '600000', '1800000', '3600000', '+Inf'];
  return traffic.flatMap((t) => {
    const base = {
      ...target,
      reporter,
      source_workload: 'unknown',
      source_workload_namespace: 'unknown',
      source_principal: 'unknown',
      source_app: 'unknown',
      source_version: 'unknown',
      source_canonical_service: 'unknown',
      source_canonical_revision: 'latest',
      source_cluster: 'unknown',
      destination_workload: pod.workload,
      destination_workload_namespace: pod.namespace,
      destination_principal: 'unknown',
      destination_app: pod.podLabels.app ?? 'unknown',
      destination_version: pod.podLabels.version ?? 'unknown',
      destination_service: `${pod.service}.${pod.namespace}.svc.cluster.local`,
      destination_service_name: pod.service,
      destination_service_namespace: pod.namespace,
      destination_canonical_service: pod.podLabels['app.kubernetes.io/name'] ?? pod.workload,
      destination_canonical_revision: pod.revision ?? pod.podLabels['app.kubernetes.io/version'] ?? 'latest',
      destination_cluster: 'Kubernetes',
      // Istio 1.30 (istio_stats.cc): request_protocol "grpc" for gRPC content types, the gRPC status as
      // a number, and an empty grpc_response_status for plain HTTP.
      request_protocol: t.grpcStatus === undefined ? 'http' : 'grpc',
      response_code: String(t.code),
      grpc_response_status: t.grpcStatus === undefined ? '' : String(t.grpcStatus),
      response_flags: '-',
      connection_security_policy: reporter === 'destination' ? 'none' : 'unknown',
    };
    return [
      { series: `istio_requests_total${labels(base)}`, values: counter(t.perScrape) },
      ...buckets.map((le) => ({
        series: `istio_request_duration_milliseconds_bucket${labels({ ...base, le })}`,
        values: counter(le === '+Inf' || t.bucket <= Number(le) ? t.perScrape : 0),
      })),
    ];
  });
}

/** A counter that grew before the window and stands still in it: a Service that had traffic in an earlier rollout. */
export function stale(series: InputSeries[]): InputSeries[] {
  // 60 scrapes (5 min) of growth, then flat for the rest of the test.
  return series.map((s) => ({ series: s.series, values: s.values.replace(/^0\+(\d+)x\d+$/, (_, step) => `0+${step}x60 ${60 * Number(step)}+0x140`) }));
}

/** A Gateway API gateway's proxy pod (Istio deploys `<gateway>-istio` for a Gateway). */
export interface GatewayPod {
  /** Pod name. */
  readonly pod: string;
  /** Namespace of the Gateway. */
  readonly namespace: string;
  /** Name of the Gateway. */
  readonly gateway: string;
}

/**
 * Istio's standard metrics as a Gateway API gateway reports the requests it forwards
 * (reporter="source", the gateway as source workload `<gateway>-istio`; the destination is the
 * HTTPRoute backend Service it chose: pilot/pkg/networking/core/route translation, the cluster's
 * service metadata). Scraped by the router job of the gateway's namespace.
 */
export function gatewayIstioSeries(
  gateway: GatewayPod, backend: { service: string; namespace: string; workload: string }, traffic: Traffic[], job = `router-${gateway.namespace}`,
): InputSeries[] {
  const target = podTarget(job, gateway.namespace, gateway.pod, {
    'gateway.networking.k8s.io/gateway-name': gateway.gateway,
    'service.istio.io/canonical-name': `${gateway.gateway}-istio`,
  });
  const buckets = ['0.5', '1', '5', '10', '25', '50', '100', '250', '500', '1000', '2500', '5000', '10000', '30000', '60000', '300000', '600000', '1800000', '3600000', '+Inf'];
  return traffic.flatMap((t) => {
    const base = {
      ...target,
      reporter: 'source',
      source_workload: `${gateway.gateway}-istio`,
      source_workload_namespace: gateway.namespace,
      source_principal: 'unknown',
      source_app: 'unknown',
      source_version: 'unknown',
      source_canonical_service: `${gateway.gateway}-istio`,
      source_canonical_revision: 'latest',
      source_cluster: 'Kubernetes',
      destination_workload: backend.workload,
      destination_workload_namespace: backend.namespace,
      destination_principal: 'unknown',
      destination_app: 'unknown',
      destination_version: 'unknown',
      destination_service: `${backend.service}.${backend.namespace}.svc.cluster.local`,
      destination_service_name: backend.service,
      destination_service_namespace: backend.namespace,
      destination_canonical_service: backend.workload,
      destination_canonical_revision: 'latest',
      destination_cluster: 'Kubernetes',
      request_protocol: 'http',
      response_code: String(t.code),
      grpc_response_status: '',
      response_flags: '-',
      connection_security_policy: 'unknown',
    };
    return [
      { series: `istio_requests_total${labels(base)}`, values: counter(t.perScrape) },
      ...buckets.map((le) => ({
        series: `istio_request_duration_milliseconds_bucket${labels({ ...base, le })}`,
        values: counter(le === '+Inf' || t.bucket <= Number(le) ? t.perScrape : 0),
      })),
    ];
  });
}

/**
 * An application's own request histogram, as podinfo 6.7.0 exports it (pkg/api/http/metrics.go:
 * `http_request_duration_seconds` with `method`, `path` (the route as urlToLabel writes it:
 * `root`, `healthz`, `readyz`, `metrics`), `status`; Prometheus client default buckets in
 * seconds), scraped from the pod itself. podinfo instruments every route of its router, /metrics,
 * /healthz and /readyz included (pkg/api/http/server.go, registerHandlers and registerMiddlewares).
 */
export function appHistogramSeries(pod: { pod: string; namespace: string; podLabels: { [key: string]: string } }, traffic: Traffic[], job = 'kubernetes-pods'): InputSeries[] {
  const target = podTarget(job, pod.namespace, pod.pod, pod.podLabels);
  const buckets = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
  return traffic.flatMap((t) => {
    const base = { ...target, method: 'GET', path: t.path ?? 'root', status: String(t.code) };
    return [
      { series: `http_request_duration_seconds_count${labels(base)}`, values: counter(t.perScrape) },
      ...buckets.map((le) => ({
        series: `http_request_duration_seconds_bucket${labels({ ...base, le })}`,
        values: counter(le === '+Inf' || t.bucket <= Number(le) ? t.perScrape : 0),
      })),
    ];
  });
}
