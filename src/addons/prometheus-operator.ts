import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { enforcedNamespaceLabelProblem } from './enforced-namespace-label';
import type { MonitoredService, PrometheusOperatorOptions } from './prometheus';
import { monitoringImports } from '../generated-imports';
import type * as MonitoringImports from '../imports/monitoring.coreos.com';
import { MonitorScopedSeries, RouterMetrics } from '../routers/router';
import { checkDnsLabel, checkWholeSeconds, fail, toLongDuration } from '../validation';

/** The suffixes of the two PodMonitors of a service. */
export const POD_MONITOR_SUFFIX = '-pods';
export const ROUTER_MONITOR_SUFFIX = '-router';

/**
 * kube-prometheus-stack's default release name: its Prometheus selects monitors labelled
 * `release: kube-prometheus-stack`, and serves queries on `kube-prometheus-stack-prometheus:9090`.
 */
export const KUBE_PROMETHEUS_STACK_RELEASE = 'kube-prometheus-stack';

type Relabeling = MonitoringImports.PodMonitorSpecPodMetricsEndpointsRelabelings;

/**
 * The Prometheus Operator's Prometheus: PodMonitors per service, checks pointed at its address.
 *
 * Why PodMonitors and not ServiceMonitors: a ServiceMonitor's target carries the label `service`
 * (the Kubernetes Service), which would push Traefik's own `service` label of its series to
 * `exported_service` and blind the Traefik checks; and the pods Flagger and Argo Rollouts run are
 * what the checks tell apart, not Services.
 */
export class OperatorPrometheus {
  public readonly address: string;
  private readonly monitorLabels: { [key: string]: string };
  private readonly interval: string;
  private readonly monitorRouter: boolean;
  private readonly enforcedNamespaceLabel?: string;

  constructor(owner: string, options: PrometheusOperatorOptions) {
    this.address = options.address;
    this.monitorLabels = { ...(options.monitorLabels ?? { release: KUBE_PROMETHEUS_STACK_RELEASE }) };
    Object.entries(this.monitorLabels).forEach(([key, value]) => checkLabel(owner, key, value));
    this.interval = toLongDuration(checkWholeSeconds(owner, 'scrapeInterval', options.scrapeInterval ?? Duration.seconds(5), 1));
    this.monitorRouter = options.monitorRouter ?? true;
    this.enforcedNamespaceLabel = checkEnforcedNamespaceLabel(owner, options.enforcedNamespaceLabel);
  }

  public scrapeNamespace(_namespace: string): void {}

  public scrapeRouterMetrics(_metrics: RouterMetrics): void {}

  public allowQueriesFrom(_namespace: string, _podLabels?: { [key: string]: string }): void {}

  /** `<namespace>/<PodMonitor name>`: the job the operator gives every target of a PodMonitor (no `jobLabel`). */
  public podMetricsJob(namespace: string, service: string): string {
    return `${namespace}/${service}${POD_MONITOR_SUFFIX}`;
  }

  /**
   * Under `enforcedNamespaceLabel` the operator appends, last, a relabeling that sets that label
   * (its name is the field's value, labeler.go:146-150) to the PodMonitor's namespace, to its relabelings and its metric relabelings alike
   * (prometheus-operator v0.93.0 pkg/prometheus/promcfg.go:1660-1661 and 1686,
   * pkg/namespacelabeler/labeler.go:138-151). The series of the service's PodMonitors then carry
   * the service's namespace and their job; another namespace's PodMonitor can copy the job, not
   * the namespace.
   */
  public monitorScopedSeries(namespace: string, service: string, routerMonitors: number): MonitorScopedSeries | undefined {
    const label = this.enforcedNamespaceLabel;
    if (label === undefined) return undefined;
    const jobs = Array.from({ length: routerMonitors }, (_, i) => `${namespace}/${routerMonitorName(service, i)}`);
    const routerJob = jobs.length === 1 ? `job="${jobs[0]}"` : `job=~"${jobs.join('|')}"`;
    return {
      routerMatchers: this.monitorRouter && jobs.length > 0 ? `${label}="${namespace}",${routerJob}` : undefined,
      podMatchers: `${label}="${namespace}",job="${this.podMetricsJob(namespace, service)}"`,
    };
  }

  /**
   * What the plan says of the router's checks: which series they read, and what the platform's
   * Prometheus must do for them to find those (and only those).
   * @internal
   */
  public _planNotes(service: MonitoredService, engine?: string): string[] {
    if (service.routerMetrics.length === 0) return [];
    const label = this.enforcedNamespaceLabel;
    // Flagger's built-in Traefik checks (Flagger v1.44.0 pkg/metrics/observers/traefik.go) select
    // only `service`: no namespace, no job. The other router checks select the router pods' namespace.
    const builtIn = engine === 'flagger' && service.routerMetrics.some((m) => m.metricNames.startsWith('traefik_'));
    const routerNamespaces = [...new Set(service.routerMetrics.map((m) => m.namespace))].map((ns) => `namespace="${ns}"`).join(', ');
    const unscoped = builtIn
      ? "Flagger's built-in Traefik checks, which select neither namespace nor job"
      : `the router pods' ${routerNamespaces}`;
    if (!this.monitorRouter) {
      if (label === undefined) return [];
      return [`the router's checks read the platform's own series of the router, unscoped (monitorRouter: false): ${unscoped}, which any namespace's monitor can forge `
        + `by relabeling its own series into them${builtIn ? '' : `; under 'enforcedNamespaceLabel: ${label}' they find the router's series only where the platform's monitor of the router runs in its namespace`}; `
        + `the pods' checks stay scoped to the PodMonitor '${service.namespace}/${service.name}${POD_MONITOR_SUFFIX}' by ${label}="${service.namespace}"`];
    }
    const monitors = service.routerMetrics.map((_, i) => `'${service.namespace}/${routerMonitorName(service.name, i)}'`).join(', ');
    if (label !== undefined) {
      return [`the router's checks read the series of the PodMonitor ${monitors} by ${label}="${service.namespace}" and its job, as the platform's Prometheus labels them `
        + `under 'enforcedNamespaceLabel: ${label}': it must enforce that label, or the checks find no router series; no PodMonitor of another namespace can forge them, `
        + "unless the platform excludes it from enforcement ('excludedFromEnforcement'): admit only trusted namespaces' monitors to that list"];
    }
    if (builtIn) {
      return [`the router's checks are ${unscoped}: they read every monitor's copy of this service's Traefik series (the PodMonitor ${monitors}'s and any other), `
        + 'including series any namespace whose PodMonitors that Prometheus selects relabels into them; where the platform\'s Prometheus enforces a namespace label '
        + "('enforcedNamespaceLabel'), name that label in Prometheus.operator({ enforcedNamespaceLabel }) to read only this service's PodMonitor"];
    }
    return [`the router's checks read the series of the PodMonitor ${monitors} by ${unscoped}: where the platform's Prometheus enforces a namespace label `
      + `('enforcedNamespaceLabel'), those series carry '${service.namespace}' and the checks find none, so name that label in Prometheus.operator({ enforcedNamespaceLabel }); without it, `
      + 'any namespace whose PodMonitors that Prometheus selects can relabel its own series into the ones these checks read'];
  }

  public monitorService(scope: Construct, service: MonitoredService): void {
    const monitoring = monitoringImports();
    const { PodMonitor } = monitoring;
    const relabelings = (job: string, annotated = true) =>
      podRelabelings(job, monitoring.PodMonitorSpecPodMetricsEndpointsRelabelingsAction, annotated);
    const owner = `CanaryService '${service.name}'`;
    // The longest name of the PodMonitors emitted: `<name>-router-2` with two router monitors.
    const longest = this.monitorRouter && service.routerMetrics.length > 0 ? routerMonitorName('', service.routerMetrics.length - 1) : POD_MONITOR_SUFFIX;
    checkDnsLabel(owner, 'name', service.name, 63 - longest.length, `, so that its PodMonitor '<name>${longest}' is a valid name`);
    const labels = { ...service.labels, ...this.monitorLabels };
    const job = this.podMetricsJob(service.namespace, service.name);
    new PodMonitor(scope, 'PodMonitor', {
      metadata: { name: `${service.name}${POD_MONITOR_SUFFIX}`, namespace: service.namespace, labels },
      spec: {
        selector: { matchExpressions: service.pods.map((e) => ({ key: e.key, operator: e.operator, values: e.values ? [...e.values] : undefined })) },
        podMetricsEndpoints: [{ interval: this.interval, honorLabels: false, relabelings: relabelings(job) }],
      },
    });
    if (!this.monitorRouter) return;
    service.routerMetrics.forEach((metrics, i) => {
      const declaredPort = metrics.metricsPortDeclared === true && metrics.metricsPort !== undefined;
      const name = routerMonitorName(service.name, i);
      const routerJob = `${service.namespace}/${name}`;
      new PodMonitor(scope, i === 0 ? 'RouterPodMonitor' : `RouterPodMonitor${i + 1}`, {
        metadata: { name, namespace: service.namespace, labels },
        spec: {
          namespaceSelector: { matchNames: [metrics.namespace] },
          selector: { matchLabels: { ...(metrics.podLabels ?? {}) } },
          podMetricsEndpoints: [{
            // A declared metrics port (Traefik's 9100) is scraped as such: the operator keeps that
            // container port alone (one target per pod), annotated or not.
            ...(declaredPort ? { portNumber: metrics.metricsPort, path: '/metrics' } : {}),
            interval: this.interval,
            honorLabels: false,
            relabelings: relabelings(routerJob, !declaredPort),
            // The router serves every namespace's services: only this service's series are kept.
            metricRelabelings: [{
              sourceLabels: ['__name__', metrics.serviceLabel],
              action: monitoring.PodMonitorSpecPodMetricsEndpointsMetricRelabelingsAction.KEEP,
              regex: `(${metrics.metricNames});(${metrics.serviceValues})`,
            }],
          }],
        },
      });
    });
  }
}

/** `<service>-router`, then `<service>-router-2`, ...: the PodMonitors of a service's router series. */
function routerMonitorName(service: string, index: number): string {
  return `${service}${ROUTER_MONITOR_SUFFIX}${index === 0 ? '' : `-${index + 1}`}`;
}

/**
 * What the embedded Prometheus and the community chart's `kubernetes-pods` job do, as relabelings
 * the operator appends to its own (pkg/prometheus/promcfg.go, generatePodMonitorConfig: `namespace`,
 * `container`, `pod`, then `job` = `<namespace>/<name>`): the pods annotated
 * `prometheus.io/scrape`, on the port and path they name (Istio rewrites them to its merged
 * metrics, 15020 at `/stats/prometheus`, which a sidecar declares as no container port, so no `port`
 * of the endpoint could name it; the Gateway API proxies declare it, as `metrics`, and are scraped
 * by annotation all the same, the path being `/stats/prometheus`, not `/metrics`), unless
 * `annotated` is false (an endpoint with the declared port: the operator keeps that port); every
 * pod label as a series label (`rollouts-pod-template-hash` as `rollouts_pod_template_hash`); the
 * names Flagger's configuration writes (`kubernetes_namespace`, `kubernetes_pod_name`).
 *
 * `container` is dropped: the operator makes a target of every container port of a pod, and after
 * the address is set from the annotation they differ only by `container`; without it they are one
 * target (Prometheus scrapes identical targets once), else every series would be counted once per
 * container. Then `namespace`, `pod` and `job` are set again, after the labelmap, so that no pod
 * label can override them.
 */
function podRelabelings(
  job: string, action: typeof MonitoringImports.PodMonitorSpecPodMetricsEndpointsRelabelingsAction, annotated: boolean,
): Relabeling[] {
  const replace = (source: string, target: string): Relabeling => ({ sourceLabels: [source], action: action.REPLACE, targetLabel: target });
  const byAnnotation: Relabeling[] = [
    { sourceLabels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: action.KEEP, regex: 'true' },
    { sourceLabels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], action: action.REPLACE, regex: '(.+)', targetLabel: '__metrics_path__' },
    {
      sourceLabels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
      action: action.REPLACE,
      regex: '([^:]+)(?::\\d+)?;(\\d+)',
      replacement: '$1:$2',
      targetLabel: '__address__',
    },
  ];
  return [
    ...(annotated ? byAnnotation : []),
    { action: action.LABELMAP, regex: '__meta_kubernetes_pod_label_(.+)' },
    { action: action.LABELDROP, regex: 'container' },
    replace('__meta_kubernetes_namespace', 'namespace'),
    replace('__meta_kubernetes_pod_name', 'pod'),
    { action: action.REPLACE, targetLabel: 'job', replacement: job },
    replace('__meta_kubernetes_namespace', 'kubernetes_namespace'),
    replace('__meta_kubernetes_pod_name', 'kubernetes_pod_name'),
  ];
}

/** The enforced namespace label's name, or undefined. */
function checkEnforcedNamespaceLabel(owner: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const problem = enforcedNamespaceLabelProblem(value);
  if (problem !== undefined) fail(owner, `'enforcedNamespaceLabel' (${JSON.stringify(value)}) ${problem}`);
  return value;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

function checkLabel(owner: string, key: string, value: string): void {
  if (!LABEL_KEY.test(key)) fail(owner, `'monitorLabels' key '${key}' must be a Kubernetes label key, e.g. 'release'`);
  if (typeof value !== 'string' || !LABEL_VALUE.test(value)) {
    fail(owner, `'monitorLabels.${key}' (${JSON.stringify(value)}) must be a Kubernetes label value (up to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit), e.g. 'kube-prometheus-stack'`);
  }
}
