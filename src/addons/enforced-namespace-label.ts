/** A Prometheus label name (model.LabelNameRE of Prometheus 2.x). */
const PROMETHEUS_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

// prometheus-operator writes the enforced label last, over every other relabeling
// (pkg/namespacelabeler/labeler.go GetRelabelingConfigs). These names would lose their own value:
// the target labels the operator sets on a PodMonitor's series (pkg/prometheus/promcfg.go:
// namespace is the enforced label's usual name and keeps its value) and the labels our checks select.
const TAKEN = [
  'job', 'instance', 'pod', 'container', 'endpoint', 'service', 'le', 'quantile', 'code', 'response_code', 'reporter',
  'destination_workload', 'destination_workload_namespace', 'destination_service_name', 'destination_service_namespace',
  'rollouts_pod_template_hash', 'kubernetes_pod_name',
];

/**
 * What is wrong with `value` as the label by which the platform's Prometheus enforces the namespace
 * of a monitor's series, as the end of a sentence that starts with the property and the value; or
 * undefined when it will do. One check for the synth and the rehearsal.
 */
export function enforcedNamespaceLabelProblem(value: string): string | undefined {
  if (typeof value !== 'string' || !PROMETHEUS_LABEL_NAME.test(value) || value.startsWith('__')) {
    return "must be a Prometheus label name (letters, digits and '_', not starting with a digit nor with '__'), e.g. 'namespace'";
  }
  if (TAKEN.includes(value)) {
    return 'is a label that the operator sets on every series or that the checks select, which the enforced namespace would overwrite, '
      + `so every check would read no series: name a label of its own, not one of ${TAKEN.join(', ')}, e.g. 'namespace'`;
  }
  return undefined;
}
