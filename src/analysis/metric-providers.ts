import { Duration } from 'cdk8s';
import { MetricOptions } from './metric';

/** Options shared by the checks of a metrics backend other than Prometheus. */
export interface ExternalMetricOptions extends MetricOptions {
  /** Name of the check: a DNS label, unique within the analysis. */
  readonly name: string;
  /**
   * Lowest acceptable value.
   *
   * @default - no lower bound
   */
  readonly min?: number;
  /**
   * Highest acceptable value.
   *
   * @default - no upper bound
   */
  readonly max?: number;
}

/** Options for `CanaryMetric.datadog()`. */
export interface DatadogMetricOptions extends ExternalMetricOptions {
  /**
   * A Datadog metric query that returns one series, e.g.
   * `sum:trace.http.request.errors{service:podinfo,version:canary}.as_count()`. Flagger's template
   * variables (`{{ namespace }}`, `{{ target }}`, `{{ interval }}`) work with both engines.
   *
   * The engines read different points of it, so one query can give each a different number:
   * - Flagger (pkg/metrics/providers/datadog.go, RunQuery): `GET <address>/api/v1/query` from
   *   10 x the metric's interval ago to now, and the value of the first series' first, oldest point:
   *   data from the start of that window, about 10 intervals old, not the newest;
   * - Argo Rollouts (metricproviders/datadog/datadog.go, API v2): `POST <address>/api/v2/query/scalar`
   *   from one interval ago to now, the series reduced to one number by the aggregator `last` (the
   *   newest point).
   *
   * With Flagger, a query rolled up over the whole window (`.rollup(sum, <10 x interval in
   * seconds>)`) gives one point that covers it; there is no query that reads the same data under both.
   */
  readonly query: string;
  /**
   * A Secret in the service's namespace with the API and application keys: Flagger reads
   * `datadog_api_key` and `datadog_application_key`, Argo Rollouts `api-key` and `app-key` (and an
   * optional `address`) of the same Secret.
   */
  readonly secretName: string;
  /**
   * The Datadog API (Flagger). Argo Rollouts reads `address` from the Secret only, so with it this
   * is rejected: put the address under the key `address` of the Secret.
   *
   * @default 'https://api.datadoghq.com'
   */
  readonly address?: string;
}

/** Options for `CanaryMetric.newRelic()`. */
export interface NewRelicMetricOptions extends ExternalMetricOptions {
  /**
   * An NRQL query that selects one arithmetic expression of aggregates, without alias and without
   * a window, e.g. `SELECT filter(count(*), WHERE error IS true) / count(*) * 100 FROM Transaction
   * WHERE appName = '{{ target }}'`. Both engines measure over the metric's interval:
   * - Flagger (pkg/metrics/providers/newrelic.go): `GET <address>/v1/accounts/<account id>/query`
   *   with `nrql=<query> SINCE <interval in seconds> seconds ago`, appended by Flagger (a SINCE or
   *   UNTIL of your own would be doubled), and the value under the key `result` of the only row,
   *   which NRQL gives an arithmetic expression; a lone function (`sum(x)`) is keyed `sum` and an
   *   alias renames the key, so both halt with "no values found" (write `sum(x) / 1`);
   * - Argo Rollouts (metricproviders/newrelic/newrelic.go): NerdGraph runs the query as it is, so the
   *   library appends the same ` SINCE <n> seconds ago` and names the value `AS value`, which the
   *   condition reads (`result.value`).
   * FACET, TIMESERIES and COMPARE WITH are rejected: they give more than one number.
   */
  readonly query: string;
  /**
   * The credentials' Secret. Flagger reads `newrelic_account_id` and `newrelic_query_key` from it in
   * the service's namespace; Argo Rollouts reads `account-id` and `personal-api-key` from a Secret
   * of this name in its own namespace (the `profile`).
   */
  readonly secretName: string;
}

/** A CloudWatch metric a query reads. */
export interface CloudWatchMetricStat {
  /** The metric's namespace, e.g. `AWS/ApplicationELB`. */
  readonly namespace: string;
  /** The metric's name, e.g. `HTTPCode_Target_5XX_Count`. */
  readonly metricName: string;
  /**
   * Its dimensions.
   *
   * @default - none
   */
  readonly dimensions?: { [name: string]: string };
  /** The statistic, e.g. `Sum`, `Average`, `p99`. */
  readonly stat: string;
  /** The period of a data point. */
  readonly period: Duration;
  /**
   * The unit.
   *
   * @default - CloudWatch's
   */
  readonly unit?: string;
}

/** One query of a CloudWatch GetMetricData call: a metric, or an expression over other queries. */
export interface CloudWatchMetricQuery {
  /** Its id (lower-case first letter, then letters, digits and `_`), used in expressions. */
  readonly id: string;
  /**
   * A metric math expression over other queries' ids, e.g. `errors / requests * 100`.
   *
   * @default - none: `metricStat`
   */
  readonly expression?: string;
  /**
   * A metric.
   *
   * @default - none: `expression`
   */
  readonly metricStat?: CloudWatchMetricStat;
  /**
   * Whether this query's result is the check's value; exactly one query returns data.
   *
   * @default - true for the last query, false for the others
   */
  readonly returnData?: boolean;
}

/** Options for `CanaryMetric.cloudWatch()`. */
export interface CloudWatchMetricOptions extends ExternalMetricOptions {
  /**
   * The queries; the one that returns data is the check's value, its first (newest: CloudWatch
   * returns points newest first) value. Flagger (pkg/metrics/providers/cloudwatch.go) calls
   * GetMetricData from 10 x the interval ago with at most 20 points; Argo Rollouts
   * (metricproviders/cloudwatch) from one interval ago.
   */
  readonly metricDataQueries: CloudWatchMetricQuery[];
  /**
   * The AWS region (Flagger; Argo Rollouts uses its own). Credentials are the controllers' own
   * (e.g. IAM roles for service accounts).
   */
  readonly region: string;
}

/** Options for `CanaryMetric.graphite()`. */
export interface GraphiteMetricOptions extends ExternalMetricOptions {
  /**
   * A Graphite target that returns one series, e.g. `sumSeries(podinfo.canary.errors)`. Both
   * engines request `<address>/render?<query>&format=json` (Flagger graphite.go RunQuery, Argo
   * Rollouts graphite/api.go Query): the library writes the query as
   * `target=<target, URL-encoded>&from=-<interval in seconds>s`, so give the target alone (no
   * `target=`, `from=` or `&`). `{{ interval }}` in the target becomes the interval in seconds
   * (`60s`; Graphite reads `1m` as no unit). The value is the newest non-null point: Flagger takes the
   * last non-null point it receives; for Argo Rollouts, which returns the first target's non-null
   * points oldest first, the condition reads the last one.
   */
  readonly query: string;
  /** The Graphite web API, e.g. `http://graphite.monitoring:8080`. */
  readonly address: string;
  /**
   * A Secret with `username` and `password` for the API (Flagger only; Argo Rollouts' Graphite
   * provider takes no credentials).
   *
   * @default - no credentials
   */
  readonly secretName?: string;
}

/** A metrics backend. */
export enum MetricProviderType {
  /** Prometheus. */
  PROMETHEUS = 'prometheus',
  /** Datadog. */
  DATADOG = 'datadog',
  /** New Relic. */
  NEW_RELIC = 'newrelic',
  /** Amazon CloudWatch. */
  CLOUDWATCH = 'cloudwatch',
  /** Graphite. */
  GRAPHITE = 'graphite',
}

/** Where a check of a backend other than Prometheus gets its number, as the engines read it. */
export interface ExternalMetricSource {
  /** The backend. */
  readonly type: MetricProviderType;
  /**
   * The credentials' Secret.
   *
   * @default - none
   */
  readonly secretName?: string;
  /**
   * The backend's address.
   *
   * @default - the backend's own
   */
  readonly address?: string;
  /**
   * The AWS region (CloudWatch).
   *
   * @default - none
   */
  readonly region?: string;
  /**
   * CloudWatch queries.
   *
   * @default - none
   */
  readonly cloudWatchQueries?: CloudWatchMetricQuery[];
}
