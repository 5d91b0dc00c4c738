import { CanaryService } from '../canary-service';
import type { PrometheusKnowledge } from './objects/monitoring';

/**
 * What the CanaryServices of an app declare of their Prometheus, by `<namespace>/<name>`: the
 * namespace label it enforces. `monitorScopedSeries` is how the declaration scopes its checks: under
 * an enforced label its pods' matchers start with that label set to the service's namespace
 * (`<label>="<namespace>",job="..."`); undefined when the Prometheus enforces none (or is not the
 * operator's, whose series the rehearsal then labels as the embedded one's).
 */
export function declaredPrometheus(constructs: Iterable<unknown>): Map<string, PrometheusKnowledge> {
  const known = new Map<string, PrometheusKnowledge>();
  for (const construct of constructs) {
    if (!CanaryService.isCanaryService(construct)) continue;
    const service = construct as CanaryService;
    const scoped = service.prometheus.monitorScopedSeries(service.namespace, service.name, 1);
    const label = scoped === undefined ? undefined : /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(scoped.podMatchers)?.[1];
    known.set(`${service.namespace}/${service.name}`, { enforcedNamespaceLabel: label, source: `the declaration of CanaryService '${service.name}'` });
  }
  return known;
}
