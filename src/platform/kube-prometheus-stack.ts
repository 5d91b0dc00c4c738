/**
 * The Helm values of kube-prometheus-stack as the platform installs it instead of the shared
 * Prometheus (chart 88.5.3: the Prometheus Operator v0.93.1 and one Prometheus). The Prometheus
 * selects the CanaryServices' PodMonitors (`Prometheus.operator()`) by `release: <release>` in
 * every namespace, and runs the embedded Prometheus's image, so that both modes run one version.
 */
import { PINNED_IMAGES } from '../versions';

/** The labels the Prometheus selects PodMonitors by: the chart's own default (`podMonitorSelectorNilUsesHelmValues`), explicit. */
export function kubePrometheusStackMonitorLabels(release: string): { [key: string]: string } {
  return { release };
}

/**
 * The Service the chart puts in front of the Prometheus: `<fullname>-prometheus`, where fullname
 * is the release name when it contains the chart's name, else `<release>-kube-prometheus-stack`,
 * cut to 26 characters (templates/_helpers.tpl, `kube-prometheus-stack.fullname`).
 */
export function kubePrometheusStackServiceName(release: string): string {
  const chart = 'kube-prometheus-stack';
  const fullname = (release.includes(chart) ? release : `${release}-${chart}`).slice(0, 26).replace(/-+$/, '');
  return `${fullname}-prometheus`;
}

export function kubePrometheusStackValues(release: string): { [key: string]: any } {
  const image = PINNED_IMAGES.prometheus;
  const [registry, ...path] = image.repository.split('/');
  return {
    // The operator and its Prometheus: canary analysis needs neither Alertmanager nor Grafana, and
    // node-exporter (host network and PID) is refused in namespaces that enforce Pod Security
    // "restricted". Turn them back on with `kubePrometheusStack.values`.
    alertmanager: { enabled: false },
    grafana: { enabled: false },
    nodeExporter: { enabled: false },
    kubeStateMetrics: { enabled: false },
    defaultRules: { create: false },
    prometheus: {
      prometheusSpec: {
        // What the CanaryServices' PodMonitors carry, in any namespace (the chart's defaults, written out).
        podMonitorSelector: { matchLabels: kubePrometheusStackMonitorLabels(release) },
        podMonitorNamespaceSelector: {},
        // The PodMonitors of the router's series select the router's pods in its namespace.
        ignoreNamespaceSelectors: false,
        // The embedded Prometheus's image, pinned by digest (the chart writes <registry>/<repository>:<tag>@sha256:<sha>).
        image: { registry, repository: path.join('/'), tag: image.tag, sha: image.digest?.replace(/^sha256:/, '') },
        version: image.tag,
        // Analysis looks at the last minutes only.
        retention: '2h',
      },
    },
  };
}
