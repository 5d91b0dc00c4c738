import { Duration } from 'cdk8s';
import { ComparedMeasure, CompareToPrimaryOptions, ComparisonConfig } from './comparison';
import {
  CloudWatchMetricOptions, DatadogMetricOptions, ExternalMetricSource, GraphiteMetricOptions, MetricProviderType, NewRelicMetricOptions,
} from './metric-providers';
import { checkArguments } from '../arguments/check-arguments';

/** What a metric measures; each engine renders it, each router supplies the query for built-ins. */
export enum MetricKind {
  /** Percentage of requests that did not answer 5xx (0-100), measured by the router. */
  REQUEST_SUCCESS_RATE = 'REQUEST_SUCCESS_RATE',
  /** 99th percentile of request duration in milliseconds, measured by the router. */
  REQUEST_DURATION = 'REQUEST_DURATION',
  /** A PromQL query of your own that returns one number. */
  PROMETHEUS_QUERY = 'PROMETHEUS_QUERY',
  /** A query of your own to another backend (Datadog, New Relic, CloudWatch, Graphite): `source` says which. */
  EXTERNAL_QUERY = 'EXTERNAL_QUERY',
  /** The canary against the primary (or stable) over the same window, as measured by the router: `comparison` says how. */
  COMPARISON = 'COMPARISON',
}

/** What a query of your own measures, and so whether it must select the canary. */
export enum MetricScope {
  /**
   * The new version alone. The query must select it: with Flagger a label matcher with
   * `{{ target }}` (e.g. `destination_workload="{{ target }}"`, `pod=~"{{ target }}-[0-9a-z]+-[0-9a-z]+"`),
   * with Argo Rollouts a canary argument (`{{args.canary-hash}}`, the router's canary Service) or
   * the canary Service's name. A query that selects every version judges the service, not the
   * canary; one that selects nothing halts the analysis with "no values found".
   */
  CANARY = 'CANARY',
  /**
   * Something every version shares, e.g. a global SLO guard (the whole service's error budget) or
   * a dependency's health: the query is not checked for a canary selector, and when it fails it
   * stops whichever rollout is in progress.
   */
  GLOBAL = 'GLOBAL',
}

/** Options shared by every metric. */
export interface MetricOptions {
  /**
   * The window the metric is evaluated over (the query's `{{ interval }}`).
   *
   * @default - Flagger's default: 1 minute
   */
  readonly interval?: Duration;
}

/** Options for `CanaryMetric.requestSuccessRate()`. */
export interface RequestSuccessRateOptions extends MetricOptions {
  /**
   * Lowest acceptable percentage of non-5xx responses (0-100).
   *
   * @default 99
   */
  readonly min?: number;
}

/** Options for `CanaryMetric.requestDuration()`. */
export interface RequestDurationOptions extends MetricOptions {
  /** Highest acceptable 99th percentile request duration. */
  readonly max: Duration;
}

/** Options for `CanaryMetric.prometheus()`. */
export interface PrometheusMetricOptions extends MetricOptions {
  /**
   * Name of the check: a DNS label, unique within the analysis. `request-success-rate` and
   * `request-duration` are reserved by Flagger for its built-in queries.
   */
  readonly name: string;
  /**
   * PromQL that returns one number. It may use Flagger's template variables `{{ namespace }}`,
   * `{{ target }}`, `{{ service }}`, `{{ name }}` and `{{ interval }}`; engines that are not Flagger
   * translate them.
   */
  readonly query: string;
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
  /**
   * What the query measures: the canary alone (it must select it, checked at synth with a message
   * that shows the selector to add for the engine and router), or something every version shares.
   *
   * @default MetricScope.CANARY
   */
  readonly scope?: MetricScope;
}

/**
 * A check that must hold for the canary to progress. Engine-neutral: Flagger renders it into the
 * Canary's `analysis.metrics` (plus a MetricTemplate for queries of your own), Argo Rollouts into an
 * AnalysisTemplate.
 */
export class CanaryMetric {
  /** Flagger's reserved names for its built-in queries. */
  public static readonly RESERVED_NAMES = ['request-success-rate', 'request-duration'];

  /** Percentage of requests to the canary that did not fail with a 5xx, at least `min`. */
  public static requestSuccessRate(options: RequestSuccessRateOptions = {}): CanaryMetric {
    checkArguments('CanaryMetric.requestSuccessRate', [options]);
    return new CanaryMetric('request-success-rate', MetricKind.REQUEST_SUCCESS_RATE, options.interval, options.min ?? 99);
  }

  /** 99th percentile request duration of the canary, at most `max`. */
  public static requestDuration(options: RequestDurationOptions): CanaryMetric {
    checkArguments('CanaryMetric.requestDuration', [options]);
    return new CanaryMetric('request-duration', MetricKind.REQUEST_DURATION, options.interval, undefined, options.max.toMilliseconds());
  }

  /**
   * A PromQL query of your own, within `min` and/or `max`. It must select the canary, unless its
   * `scope` is `MetricScope.GLOBAL`.
   */
  public static prometheus(options: PrometheusMetricOptions): CanaryMetric {
    checkArguments('CanaryMetric.prometheus', [options]);
    return new CanaryMetric(options.name, MetricKind.PROMETHEUS_QUERY, options.interval, options.min, options.max, options.query,
      undefined, undefined, options.scope ?? MetricScope.CANARY);
  }

  /**
   * A Datadog query within `min` and/or `max` (Flagger: a MetricTemplate of type `datadog`, the
   * oldest point of 10 x the interval; Argo Rollouts: the `datadog` provider, API v2, the newest
   * point of one interval, the Secret read from the service's namespace).
   */
  public static datadog(options: DatadogMetricOptions): CanaryMetric {
    checkArguments('CanaryMetric.datadog', [options]);
    return new CanaryMetric(options.name, MetricKind.EXTERNAL_QUERY, options.interval, options.min, options.max, options.query, {
      type: MetricProviderType.DATADOG, secretName: options.secretName, address: options.address,
    });
  }

  /**
   * An NRQL query within `min` and/or `max`, over the metric's interval (Flagger: type `newrelic`,
   * which appends the window and reads the key `result`; Argo Rollouts: `newRelic`, with the value
   * named `value` and the same window appended by the library).
   */
  public static newRelic(options: NewRelicMetricOptions): CanaryMetric {
    checkArguments('CanaryMetric.newRelic', [options]);
    return new CanaryMetric(options.name, MetricKind.EXTERNAL_QUERY, options.interval, options.min, options.max, options.query, {
      type: MetricProviderType.NEW_RELIC, secretName: options.secretName,
    });
  }

  /** CloudWatch GetMetricData queries within `min` and/or `max` (Flagger: type `cloudwatch`; Argo Rollouts: `cloudWatch`). */
  public static cloudWatch(options: CloudWatchMetricOptions): CanaryMetric {
    checkArguments('CanaryMetric.cloudWatch', [options]);
    return new CanaryMetric(options.name, MetricKind.EXTERNAL_QUERY, options.interval, options.min, options.max, undefined, {
      type: MetricProviderType.CLOUDWATCH, region: options.region, cloudWatchQueries: [...options.metricDataQueries],
    });
  }

  /**
   * A Graphite target within `min` and/or `max`, its newest point over the metric's interval
   * (Flagger: type `graphite`; Argo Rollouts: `graphite`; both request
   * `<address>/render?target=<target>&from=-<interval>`).
   */
  public static graphite(options: GraphiteMetricOptions): CanaryMetric {
    checkArguments('CanaryMetric.graphite', [options]);
    return new CanaryMetric(options.name, MetricKind.EXTERNAL_QUERY, options.interval, options.min, options.max, options.query, {
      type: MetricProviderType.GRAPHITE, address: options.address, secretName: options.secretName,
    });
  }

  /**
   * The canary against the primary (Flagger) or the stable version (Argo Rollouts) running at the
   * same time: their error rate or P99 latency over the same window, as the router measures them,
   * in one query; the canary may be at most `maxRatio` times as bad, or `maxDifference` worse. A
   * bad day for both versions (a slow database) then does not fail the canary.
   */
  public static compareToPrimary(options: CompareToPrimaryOptions): CanaryMetric {
    checkArguments('CanaryMetric.compareToPrimary', [options]);
    const name = options.name ?? (options.measure === ComparedMeasure.ERROR_RATE ? 'error-rate-vs-primary' : 'latency-vs-primary');
    const bound = options.maxRatio ?? options.maxDifference;
    return new CanaryMetric(name, MetricKind.COMPARISON, options.interval, undefined, bound, undefined, undefined, {
      measure: options.measure, maxRatio: options.maxRatio, maxDifference: options.maxDifference,
    });
  }

  private constructor(
    /** Name of the check. */
    public readonly name: string,
    /** What it measures. */
    public readonly kind: MetricKind,
    /** Evaluation window; undefined means the engine's default. */
    public readonly interval?: Duration,
    /** Lowest acceptable value (for durations: milliseconds). */
    public readonly min?: number,
    /** Highest acceptable value (for durations: milliseconds). */
    public readonly max?: number,
    /** The PromQL of a `PROMETHEUS_QUERY` metric, or the query of an `EXTERNAL_QUERY` one. */
    public readonly query?: string,
    /** The backend of an `EXTERNAL_QUERY` metric. */
    public readonly source?: ExternalMetricSource,
    /** How a `COMPARISON` metric compares. */
    public readonly comparison?: ComparisonConfig,
    /** What a `PROMETHEUS_QUERY` metric measures: the canary alone, or what every version shares. */
    public readonly scope?: MetricScope,
  ) {}
}
