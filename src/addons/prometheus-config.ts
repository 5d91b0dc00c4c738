import { POD_METRICS_JOB } from '../platform/conventions';
import { RouterMetrics } from '../routers/router';
import { stringifyYaml } from '../synth/yaml-writer';
import { toLongDuration } from '../validation';

/** What `prometheus.yml` of the embedded Prometheus depends on. */
export interface PrometheusConfigInput {
  /** Global scrape interval in seconds. */
  readonly scrapeInterval: number;
  /** Namespaces whose pods are scraped in full, sorted. */
  readonly namespaces: string[];
  /** Router series to keep from pods in other namespaces (e.g. Traefik's), in declaration order. */
  readonly routerMetrics: RouterMetrics[];
  /**
   * In a named app (several apps per namespace): the pods of the namespaces scraped in full that are
   * the app's own (its services' pods, a router's pods there, every pod of a namespace the user asked
   * for), the only ones the pods job keeps, so that no app's Prometheus ingests another app's
   * services' pod series. Undefined or empty: every annotated pod.
   */
  readonly ownPods?: OwnPods[];
}

/** Pods of one namespace whose labels all match (one selection of an app's own pods). */
export interface OwnPods {
  readonly namespace: string;
  /** A pattern (RE2, matched whole) per label key, every one of which must match; none: every pod of the namespace. */
  readonly labels: { [key: string]: string };
  /**
   * Whether the pod has the label (true) or not (false), per label key, whatever its value (which
   * may be empty): `Exists` and `DoesNotExist`. None: either.
   */
  readonly present?: { [key: string]: boolean };
}

/** Escapes a literal for an RE2 regular expression (Prometheus's relabelling). */
export function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The discovery label of a pod label: Prometheus replaces every character but `[a-zA-Z0-9_]` with `_`. */
function podLabelSource(key: string): string {
  return `__meta_kubernetes_pod_label_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/**
 * The discovery label that says a pod has the label: `true` for every label the pod has, whatever
 * its value, and absent (empty to the relabelling) otherwise (pod role: Prometheus v3.5
 * discovery/kubernetes/kubernetes.go addObjectMetaLabels, v2.42 pod.go podLabelPresentPrefix).
 */
function podLabelPresentSource(key: string): string {
  return `__meta_kubernetes_pod_labelpresent_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/**
 * One `keep` on the namespace and the labels of the app's own pods: an alternative per selection,
 * `<namespace>;<pattern per label value>;<true or empty per label presence>` (`[^;]*`, anything,
 * for a label the selection does not name: label values hold no `;`). Prometheus matches the regex
 * whole (anchored), so `cart` never keeps `cart-extra`. Sorted, so the text does not depend on
 * declaration order.
 */
function ownPodsKeep(selections: OwnPods[] | undefined) {
  if (selections === undefined || selections.length === 0) return [];
  const keys = [...new Set(selections.flatMap((s) => Object.keys(s.labels)))].sort();
  const presenceKeys = [...new Set(selections.flatMap((s) => Object.keys(s.present ?? {})))].sort();
  const presence = (s: OwnPods, key: string) => {
    const present = s.present?.[key];
    return present === undefined ? '[^;]*' : present ? 'true' : '';
  };
  const alternatives = [...new Set(selections.map((s) => [
    escapeRegex(s.namespace), ...keys.map((key) => s.labels[key] ?? '[^;]*'), ...presenceKeys.map((key) => presence(s, key)),
  ].join(';')))].sort();
  return [{
    source_labels: ['__meta_kubernetes_namespace', ...keys.map(podLabelSource), ...presenceKeys.map(podLabelPresentSource)],
    action: 'keep',
    regex: alternatives.length === 1 ? alternatives[0] : alternatives.map((a) => `(?:${a})`).join('|'),
  }];
}

/** The job that scrapes every annotated pod of the given namespaces (the services' own). */
export const PODS_JOB = POD_METRICS_JOB;

function copyTo(sourceLabel: string, targetLabel: string) {
  return { source_labels: [sourceLabel], action: 'replace', target_label: targetLabel };
}

/** The relabelling of Flagger's chart: annotated pods, their path and port, pod labels, namespace and pod name. */
function podRelabelling() {
  return [
    { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' },
    { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], action: 'replace', regex: '(.+)', target_label: '__metrics_path__' },
    {
      source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
      action: 'replace',
      regex: '([^:]+)(?::\\d+)?;(\\d+)',
      replacement: '$1:$2',
      target_label: '__address__',
    },
    ...podTargetLabels(),
  ];
}

/**
 * The pods' declared container port `port`, whatever their annotations say (Traefik's chart drops
 * `prometheus.io/*` when its own ServiceMonitor is enabled). Pod discovery makes one target per
 * declared container port, at podIP:port, so this keeps one target per pod; the path is the job's
 * `/metrics`.
 */
function declaredPortRelabelling(port: number) {
  return [
    { source_labels: ['__meta_kubernetes_pod_container_port_number'], action: 'keep', regex: String(port) },
    ...podTargetLabels(),
  ];
}

/** The labels the queries read: pod labels, namespace and pod name. */
function podTargetLabels() {
  return [
    // Every pod label becomes a series label (`rollouts-pod-template-hash` becomes
    // `rollouts_pod_template_hash`), which is how Argo Rollouts' canary pods are told apart.
    { action: 'labelmap', regex: '__meta_kubernetes_pod_label_(.+)' },
    // After the labelmap, so that a pod label called `namespace` or `pod` cannot override them.
    copyTo('__meta_kubernetes_namespace', 'namespace'),
    copyTo('__meta_kubernetes_pod_name', 'pod'),
    // The names Flagger's own configuration writes, for queries written against it.
    copyTo('__meta_kubernetes_namespace', 'kubernetes_namespace'),
    copyTo('__meta_kubernetes_pod_name', 'kubernetes_pod_name'),
  ];
}

interface RouterJob {
  readonly namespace: string;
  readonly metricNames: string;
  readonly serviceLabel: string;
  readonly serviceValues: string[];
  /** The container port scraped at `/metrics`; `undefined`: the pods annotated `prometheus.io/scrape`. */
  readonly declaredPort?: number;
}

/**
 * One job per router namespace (and series shape), keeping only the series of this Prometheus's
 * services: a router such as Traefik serves every namespace, and without the filter each namespace's
 * Prometheus would ingest every service's series of the cluster. Namespaces scraped in full get no
 * router job, or their pods would be scraped twice and every sum counted double.
 */
function routerJobs(input: PrometheusConfigInput): RouterJob[] {
  const jobs = new Map<string, RouterJob>();
  for (const metrics of input.routerMetrics) {
    if (input.namespaces.includes(metrics.namespace)) continue;
    const declaredPort = metrics.metricsPortDeclared === true ? metrics.metricsPort : undefined;
    const key = [metrics.namespace, metrics.metricNames, metrics.serviceLabel, declaredPort ?? ''].join('\n');
    const job = jobs.get(key)
      ?? { namespace: metrics.namespace, metricNames: metrics.metricNames, serviceLabel: metrics.serviceLabel, serviceValues: [], declaredPort };
    if (!job.serviceValues.includes(metrics.serviceValues)) job.serviceValues.push(metrics.serviceValues);
    jobs.set(key, job);
  }
  return [...jobs.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.metricNames.localeCompare(b.metricNames)
    || (a.declaredPort ?? 0) - (b.declaredPort ?? 0));
}

/**
 * `prometheus.yml`: the annotated pods of the service namespaces in full, and from router namespaces
 * only the series of these services. Pod discovery lists its namespaces, so Roles in those
 * namespaces are all the access Prometheus needs.
 */
export function renderPrometheusConfig(input: PrometheusConfigInput): string {
  const jobs = routerJobs(input);
  const names = new Map<string, number>();
  const routerScrapes = jobs.map((job) => {
    const count = (names.get(job.namespace) ?? 0) + 1;
    names.set(job.namespace, count);
    return {
      job_name: count === 1 ? `router-${job.namespace}` : `router-${job.namespace}-${count}`,
      kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [job.namespace] } }],
      ...(job.declaredPort === undefined
        ? { relabel_configs: podRelabelling() }
        : { metrics_path: '/metrics', relabel_configs: declaredPortRelabelling(job.declaredPort) }),
      metric_relabel_configs: [{
        source_labels: ['__name__', job.serviceLabel],
        action: 'keep',
        regex: `(${job.metricNames});(${[...job.serviceValues].sort().join('|')})`,
      }],
    };
  });
  // The same text as cdk8s's Yaml.stringify, without its per-document syntax tree.
  return stringifyYaml([{
    global: { scrape_interval: toLongDuration(input.scrapeInterval) },
    scrape_configs: [
      {
        job_name: PODS_JOB,
        kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: input.namespaces } }],
        relabel_configs: [...ownPodsKeep(input.ownPods), ...podRelabelling()],
      },
      ...routerScrapes,
    ],
  }]);
}
