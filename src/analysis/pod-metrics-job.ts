import { ComparableSeries } from './comparison';
import { POD_METRICS_JOB } from '../platform/conventions';

/** The matcher the routers write into the queries that read the service's pods' own series. */
const CONVENTIONAL_MATCHER = `job="${POD_METRICS_JOB}"`;

/** The queries and series of a router's output, with the pods' job matcher replaced. */
interface RouterQueries {
  readonly builtInQueries?: { [kind: string]: string };
  readonly queries?: { [kind: string]: string };
  readonly activeQueries?: { [kind: string]: string };
  readonly comparableSeries?: ComparableSeries;
}

/** The matcher of a job, quoted for PromQL. */
export function jobMatcher(job: string): string {
  return `job="${job.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The routers' queries select the service's pods' series by the conventional job
 * (`kubernetes-pods`, the embedded Prometheus's and the community chart's); a Prometheus that names
 * that job otherwise (the Prometheus Operator's `<namespace>/<PodMonitor>`) gets the queries with
 * its own matchers (`jobMatcher(job)`, or with its namespace too when the Prometheus enforces a
 * namespace label). Only the routers' queries: a query of your own (`CanaryMetric.prometheus()`)
 * is left as written.
 */
export function withPodMetricsJob<T extends RouterQueries>(routing: T, matcher: string): T {
  if (matcher === CONVENTIONAL_MATCHER) return routing;
  const rewrite = (text: string) => text.split(CONVENTIONAL_MATCHER).join(matcher);
  const all = (queries?: { [kind: string]: string }) => queries
    && Object.fromEntries(Object.entries(queries).map(([kind, query]) => [kind, rewrite(query)]));
  const series = routing.comparableSeries;
  return {
    ...routing,
    ...(routing.builtInQueries ? { builtInQueries: all(routing.builtInQueries) } : {}),
    ...(routing.queries ? { queries: all(routing.queries) } : {}),
    ...(routing.activeQueries ? { activeQueries: all(routing.activeQueries) } : {}),
    ...(series ? {
      comparableSeries: {
        ...series,
        canary: rewrite(series.canary),
        baseline: rewrite(series.baseline),
        errorMatcher: rewrite(series.errorMatcher),
        ...(series.requestMatchers === undefined ? {} : { requestMatchers: rewrite(series.requestMatchers) }),
      },
    } : {}),
  };
}
