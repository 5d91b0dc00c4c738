import { CANARY_HASH_ARGUMENT, argoCanarySelection, checkSelectsCanary } from '../../analysis/canary-selection';
import { CanaryMetric } from '../../analysis/metric';
import { argumentsUsed, checkArgoPlaceholders } from '../../analysis/template-variables';
import { AnalysisArgument, ArgoRolloutsRouting, PodTemplateHash } from '../../routers/router';
import { DeclarationErrors } from '../../validation';

/**
 * The arguments the queries of your own need besides the router's: the canary's pod-template hash
 * (`{{args.canary-hash}}`, Argo Rollouts' `Latest`), which every router can pass, for queries that
 * select the canary pods' own series.
 */
export function customQueryArguments(metrics: Map<CanaryMetric, string>): AnalysisArgument[] {
  const used = [...metrics.keys()].some((metric) => metric.query !== undefined && argumentsUsed(metric.query).includes(CANARY_HASH_ARGUMENT));
  return used ? [{ name: CANARY_HASH_ARGUMENT, podTemplateHash: PodTemplateHash.LATEST }] : [];
}

/**
 * Every query of your own, against what this Rollout's analyses pass: each placeholder resolves
 * (Argo Rollouts fails an analysis on one it cannot), and a Prometheus query of `MetricScope.CANARY`
 * selects the canary. Every mistake is reported.
 */
export function checkArgoQueries(
  owner: string, metrics: Map<CanaryMetric, string>, args: AnalysisArgument[], routing: ArgoRolloutsRouting,
  service: { name: string; namespace: string; router: string },
): void {
  const canaryService = routing.canaryService ?? routing.previewService;
  const selection = argoCanarySelection({
    router: service.router,
    canaryArguments: args
      .filter((arg) => arg.podTemplateHash === PodTemplateHash.LATEST || (arg.value !== undefined && arg.value === canaryService))
      .map((arg) => arg.name),
    canaryService,
    otherServices: [routing.stableService, routing.activeService].filter((s): s is string => s !== undefined),
    name: service.name,
    namespace: service.namespace,
    series: routing.comparableSeries,
  });
  const errors = new DeclarationErrors();
  for (const [metric, property] of metrics) {
    if (metric.query === undefined) continue;
    errors.attempt(() => checkArgoPlaceholders(owner, `${property}.query`, metric.query!, args.map((arg) => arg.name)));
    errors.attempt(() => checkSelectsCanary(owner, property, metric, selection));
  }
  errors.throwIfAny();
}
