import { Manifest, ObjectIndex, groupOf } from './manifests';
import { parseGoDuration } from '../../analysis/load-command';

/**
 * Which Prometheus scrapes a release's pods and router, as far as the rehearsal labels the series
 * it writes: the embedded one (src/addons/prometheus-config.ts: job `kubernetes-pods` for the pods,
 * `router-<router namespace>` for the router), or the Prometheus Operator's, through the service's
 * PodMonitors `<name>-pods` and `<name>-router` (`-router-2`, ...): job `<namespace>/<PodMonitor>`
 * (prometheus-operator v0.93.0 pkg/prometheus/promcfg.go:1631-1634, and our relabelings set it
 * again), and, where the platform's Prometheus enforces a namespace label, that label set to the
 * PodMonitor's namespace on every series of the monitor (promcfg.go:1660-1661, 1686;
 * pkg/namespacelabeler/labeler.go:138-151).
 */
export interface SeriesLabelling {
  /** The job of the service's pods' series. */
  readonly podJob: string;
  /** The job of the router pods' series, by the router pods' namespace. */
  readonly routerJob: (routerNamespace: string) => string;
  /** The label the platform's Prometheus enforces on the monitors' series, and its value (the monitors' namespace). */
  readonly enforced?: { readonly label: string; readonly value: string };
  /** The PodMonitors read (operator mode), as `<namespace>/<name>`; empty for the embedded Prometheus. */
  readonly monitors: string[];
  /** The scrape interval of the pods' PodMonitor, in seconds, when it states one. */
  readonly intervalSeconds?: number;
}

/** The embedded Prometheus's scrape jobs. */
export const EMBEDDED_LABELLING: SeriesLabelling = Object.freeze({
  podJob: 'kubernetes-pods',
  routerJob: (routerNamespace: string) => `router-${routerNamespace}`,
  monitors: [],
});

/**
 * What the rehearsal knows of the platform's Prometheus beyond the manifests: the namespace label
 * it enforces (`enforcedNamespaceLabel`), which no manifest of the service holds.
 */
export interface PrometheusKnowledge {
  /** The label name the Prometheus enforces; undefined when it enforces none. */
  readonly enforcedNamespaceLabel?: string;
  /** Where this came from, for the report: the declaration, or the rehearsal's option. */
  readonly source: string;
}

/** The job a PodMonitor gives its series: the last `job` its relabelings set, else `<namespace>/<name>` (no `jobLabel`). */
function jobOf(monitor: Manifest, namespace: string): string {
  const endpoint = monitor.spec?.podMetricsEndpoints?.[0] ?? {};
  const set = (endpoint.relabelings ?? []).filter((r: any) => r.targetLabel === 'job' && r.replacement !== undefined && (r.sourceLabels ?? []).length === 0);
  return set.length > 0 ? String(set[set.length - 1].replacement) : `${namespace}/${monitor.metadata?.name}`;
}

function podMonitor(index: ObjectIndex, namespace: string, name: string): Manifest | undefined {
  const monitor = index.get('PodMonitor', namespace, name);
  return monitor && groupOf(monitor.apiVersion) === 'monitoring.coreos.com' ? monitor : undefined;
}

/**
 * The labelling of a release's series: operator mode when the manifests hold its PodMonitor
 * `<name>-pods`, with the router PodMonitors `<name>-router`, `<name>-router-2`, ... mapped by the
 * namespace they select; the embedded Prometheus's otherwise. `assumptions` gets what was assumed.
 */
export function seriesLabelling(
  index: ObjectIndex, namespace: string, name: string, knowledge: PrometheusKnowledge | undefined, assumptions: string[],
): SeriesLabelling {
  const pods = podMonitor(index, namespace, `${name}-pods`);
  if (!pods) return EMBEDDED_LABELLING;
  const routerJobs = new Map<string, string>();
  const monitors = [`${namespace}/${name}-pods`];
  for (let i = 0; ; i++) {
    const monitorName = `${name}-router${i === 0 ? '' : `-${i + 1}`}`;
    const router = podMonitor(index, namespace, monitorName);
    if (!router) break;
    monitors.push(`${namespace}/${monitorName}`);
    for (const selected of router.spec?.namespaceSelector?.matchNames ?? [namespace]) {
      if (!routerJobs.has(selected)) routerJobs.set(selected, jobOf(router, namespace));
    }
  }
  const firstRouterJob = [...routerJobs.values()][0] ?? `${namespace}/${name}-router`;
  const label = knowledge?.enforcedNamespaceLabel;
  const labelled = `the series are labelled as the Prometheus Operator's PodMonitors ${monitors.map((m) => `'${m}'`).join(', ')} label them (job '<namespace>/<PodMonitor>')`;
  if (knowledge === undefined) {
    assumptions.push(`${labelled}, by a Prometheus that enforces no namespace label: whether the platform's does (enforcedNamespaceLabel) is in no manifest `
      + '(--enforced-namespace-label <name>, or RehearsalOptions.enforcedNamespaceLabel, to rehearse with it)');
  } else {
    assumptions.push(`${labelled}, by a Prometheus that ${label ? `enforces the label '${label}' (set to '${namespace}' on every series of these monitors)` : 'enforces no namespace label'}, as ${knowledge.source} says`);
  }
  const interval = parseGoDuration(String(pods.spec?.podMetricsEndpoints?.[0]?.interval ?? ''));
  return {
    podJob: jobOf(pods, namespace),
    routerJob: (routerNamespace: string) => routerJobs.get(routerNamespace) ?? firstRouterJob,
    enforced: label ? { label, value: namespace } : undefined,
    monitors,
    intervalSeconds: interval !== undefined && interval > 0 ? interval : undefined,
  };
}
