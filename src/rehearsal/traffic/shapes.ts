import type { SeriesLabelling } from '../objects/monitoring';

/**
 * The series each hop of a request writes, in the shapes the routers and applications export them
 * with the target labels the embedded Prometheus's scrape config adds (src/addons/prometheus-config.ts:
 * job, instance, namespace, pod, kubernetes_namespace, kubernetes_pod_name, and every pod label
 * through `labelmap`), or the Prometheus Operator's PodMonitors (src/addons/prometheus-operator.ts:
 * the same labels, `container` dropped, the job `<namespace>/<PodMonitor>`, and an enforced
 * namespace label; see objects/monitoring.ts). These are the shapes test/promql/series.ts builds and the promtool tests prove
 * every query against; their upstream sources are cited there and below.
 */

/** A pod as the scrape config sees it. */
export interface PodIdentity {
  readonly name: string;
  readonly namespace: string;
  /** The pod's labels, as Kubernetes spells them. */
  readonly labels: { readonly [key: string]: string };
  /** Istio's workload name (a Deployment's, or for Argo Rollouts' ReplicaSets the Rollout's). */
  readonly workload: string;
}

/** How a request ended, as a router or application labels it. */
export interface Outcome {
  /** HTTP status. */
  readonly code: number;
  /** gRPC status, for gRPC calls. */
  readonly grpcStatus?: number;
}

/** Label sets of one series family for one outcome: the counters and histogram parts with their bucket bounds in seconds. */
export interface SeriesFamily {
  /** A request counter, when the family has one besides the histogram (Traefik's and Istio's). */
  readonly counter?: { [name: string]: string };
  /** The histogram's buckets: label set and upper bound in seconds (`Infinity` for +Inf). */
  readonly buckets: { labels: { [name: string]: string }; bound: number }[];
  readonly count: { [name: string]: string };
  readonly sum: { [name: string]: string };
  /** Seconds per unit of the histogram (1 for seconds, 0.001 for milliseconds). */
  readonly unit: number;
}

/** Prometheus's strutil.SanitizeLabelName, which Kubernetes discovery applies to label names. */
function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** Target labels of a pod the embedded Prometheus scrapes (its relabelling, pod labels included). */
export function podTargetLabels(job: string, pod: PodIdentity, port: number): { [key: string]: string } {
  const mapped = Object.fromEntries(Object.entries(pod.labels).map(([k, v]) => [sanitize(k), v]));
  return {
    ...mapped,
    job,
    instance: `${pod.name}:${port}`,
    namespace: pod.namespace,
    pod: pod.name,
    kubernetes_namespace: pod.namespace,
    kubernetes_pod_name: pod.name,
  };
}

/**
 * Target labels of a pod scraped for the release: its own pods (`pods`) or the router's (`router`),
 * with the job and enforced label of the Prometheus that scrapes them.
 */
export function monitoredTargetLabels(labelling: SeriesLabelling, role: 'pods' | 'router', pod: PodIdentity, port: number): { [key: string]: string } {
  const job = role === 'pods' ? labelling.podJob : labelling.routerJob(pod.namespace);
  const labels = podTargetLabels(job, pod, port);
  return labelling.enforced ? { ...labels, [labelling.enforced.label]: labelling.enforced.value } : labels;
}

function histogram(name: string, base: { [key: string]: string }, bounds: number[], unit: number, counterName?: string): SeriesFamily {
  const le = (bound: number) => (bound === Infinity ? '+Inf' : String(bound));
  return {
    counter: counterName ? { ...base, __name__: counterName } : undefined,
    buckets: [...bounds, Infinity].map((bound) => ({ labels: { ...base, __name__: `${name}_bucket`, le: le(bound) }, bound: bound * unit })),
    count: { ...base, __name__: `${name}_count` },
    sum: { ...base, __name__: `${name}_sum` },
    unit,
  };
}

/** Traefik's default buckets, in seconds (pkg/observability/metrics/prometheus.go). */
export const TRAEFIK_BUCKETS = [0.1, 0.3, 1.2, 5];
/** Envoy's default buckets for Istio's duration histogram, in milliseconds. */
export const ISTIO_BUCKETS_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
/** The Prometheus Go client's default buckets, in seconds (podinfo's histogram). */
export const APP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every bucket bound any family uses, in seconds, ascending: requests are drawn into these intervals once, for every hop. */
export const ALL_BOUNDS: number[] = [...new Set([...TRAEFIK_BUCKETS, ...ISTIO_BUCKETS_MS.map((ms) => ms / 1000), ...APP_BUCKETS])]
  .sort((a, b) => a - b);

/** The Traefik pod the rehearsal's requests pass through, scraped by the router job of its namespace. */
export const TRAEFIK_POD: PodIdentity = {
  name: 'traefik-5d9f7c6b8-abcde',
  namespace: 'traefik',
  labels: { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/instance': 'traefik-traefik' },
  workload: 'traefik',
};

/**
 * Traefik v3's service metrics for requests to one backend Service (traefik/traefik v3.7
 * pkg/observability/metrics/prometheus.go: `traefik_service_requests_total` and
 * `traefik_service_request_duration_seconds` with `code`, `method`, `protocol`, `service`). A
 * Kubernetes Service is named `<namespace>-<service>-<port>@kubernetescrd`
 * (pkg/provider/kubernetes/crd/kubernetes_http.go).
 */
export function traefikFamily(service: string, outcome: Outcome, labelling: SeriesLabelling): SeriesFamily {
  const base = { ...monitoredTargetLabels(labelling, 'router', TRAEFIK_POD, 9100), service, code: String(outcome.code), method: 'GET', protocol: 'http' };
  return histogram('traefik_service_request_duration_seconds', base, TRAEFIK_BUCKETS, 1, 'traefik_service_requests_total');
}

/** Who sent a request, as Istio labels the source. */
export interface IstioSource {
  readonly workload: string;
  readonly namespace: string;
  readonly canonicalService: string;
  readonly cluster: string;
}

/** A client without a sidecar (the loadtester, a Job, a user outside the mesh): Istio knows nothing of it. */
export const UNKNOWN_SOURCE: IstioSource = { workload: 'unknown', namespace: 'unknown', canonicalService: 'unknown', cluster: 'unknown' };

/** Where a request went, as Istio labels the destination. */
export interface IstioDestination {
  readonly pod: PodIdentity;
  /** The Service the request was addressed to. */
  readonly service: string;
  readonly serviceNamespace: string;
}

/**
 * Istio's standard metrics with the default label set (istio/proxy 1.30
 * source/extensions/filters/http/istio_stats/istio_stats.cc): `istio_requests_total` and
 * `istio_request_duration_milliseconds`, reported by the destination's sidecar
 * (reporter="destination", scraped from the pod) or by the proxy that sent the request
 * (reporter="source": a gateway, scraped from its pod).
 */
export function istioFamily(
  reporter: 'source' | 'destination', targetLabels: { [key: string]: string }, source: IstioSource, destination: IstioDestination, outcome: Outcome,
): SeriesFamily {
  const pod = destination.pod;
  const base = {
    ...targetLabels,
    reporter,
    source_workload: source.workload,
    source_workload_namespace: source.namespace,
    source_principal: 'unknown',
    source_app: 'unknown',
    source_version: 'unknown',
    source_canonical_service: source.canonicalService,
    source_canonical_revision: 'latest',
    source_cluster: source.cluster,
    destination_workload: pod.workload,
    destination_workload_namespace: pod.namespace,
    destination_principal: 'unknown',
    destination_app: pod.labels.app ?? 'unknown',
    destination_version: pod.labels.version ?? 'unknown',
    destination_service: `${destination.service}.${destination.serviceNamespace}.svc.cluster.local`,
    destination_service_name: destination.service,
    destination_service_namespace: destination.serviceNamespace,
    destination_canonical_service: pod.labels['service.istio.io/canonical-name'] ?? pod.labels['app.kubernetes.io/name'] ?? pod.workload,
    destination_canonical_revision: pod.labels['service.istio.io/canonical-revision'] ?? pod.labels['app.kubernetes.io/version'] ?? 'latest',
    destination_cluster: 'Kubernetes',
    request_protocol: outcome.grpcStatus === undefined ? 'http' : 'grpc',
    response_code: String(outcome.code),
    grpc_response_status: outcome.grpcStatus === undefined ? '' : String(outcome.grpcStatus),
    response_flags: '-',
    connection_security_policy: reporter === 'destination' ? 'none' : 'unknown',
  };
  return histogram('istio_request_duration_milliseconds', base, ISTIO_BUCKETS_MS, 0.001, 'istio_requests_total');
}

/**
 * An application's own request histogram, as podinfo 6.7.0 exports it (pkg/api/http/metrics.go:
 * `http_request_duration_seconds` with `method`, `path` (the route: `root`, `healthz`, `readyz`,
 * `metrics`), `status`), scraped from the pod itself. podinfo counts every route, /metrics and the
 * probes' paths included (pkg/api/http/server.go).
 */
export function appFamily(pod: PodIdentity, path: string, outcome: Outcome, labelling: SeriesLabelling): SeriesFamily {
  const base = { ...monitoredTargetLabels(labelling, 'pods', pod, 9898), method: 'GET', path, status: String(outcome.code) };
  return histogram('http_request_duration_seconds', base, APP_BUCKETS, 1);
}
