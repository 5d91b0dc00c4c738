import { stringifyYaml } from '../synth/yaml-writer';
import { toLongDuration } from '../validation';

/** What `prometheus.yml` of the embedded Prometheus depends on. */
export interface PrometheusConfigInput {
  /** Global scrape interval in seconds. */
  readonly scrapeInterval: number;
  /** Namespaces whose pods are discovered, sorted. */
  readonly namespaces: string[];
}

function copyTo(sourceLabel: string, targetLabel: string) {
  return { source_labels: [sourceLabel], action: 'replace', target_label: targetLabel };
}

/**
 * `prometheus.yml`: one job that scrapes the pods annotated `prometheus.io/scrape: "true"` in the
 * given namespaces, with the relabelling of Flagger's chart. Pod discovery lists its namespaces, so
 * the Roles in those namespaces are all the access Prometheus needs.
 */
export function renderPrometheusConfig(input: PrometheusConfigInput): string {
  // The same text as cdk8s's Yaml.stringify, without its per-document syntax tree.
  return stringifyYaml([{
    global: { scrape_interval: toLongDuration(input.scrapeInterval) },
    scrape_configs: [{
      job_name: 'kubernetes-pods',
      kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: input.namespaces } }],
      relabel_configs: [
        { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' },
        { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], action: 'replace', regex: '(.+)', target_label: '__metrics_path__' },
        {
          source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
          action: 'replace',
          regex: '([^:]+)(?::\\d+)?;(\\d+)',
          replacement: '$1:$2',
          target_label: '__address__',
        },
        { action: 'labelmap', regex: '__meta_kubernetes_pod_label_(.+)' },
        // After the labelmap, so that a pod label called `namespace` or `pod` cannot override them.
        copyTo('__meta_kubernetes_namespace', 'namespace'),
        copyTo('__meta_kubernetes_pod_name', 'pod'),
        // The names Flagger's own configuration writes, for queries written against it.
        copyTo('__meta_kubernetes_namespace', 'kubernetes_namespace'),
        copyTo('__meta_kubernetes_pod_name', 'kubernetes_pod_name'),
      ],
    }],
  }]);
}
