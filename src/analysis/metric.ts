import { Duration } from 'cdk8s';

/** What a metric measures; each engine renders it, each router supplies the query for built-ins. */
export enum MetricKind {
  /** Percentage of requests that did not answer 5xx (0-100), measured by the router. */
  REQUEST_SUCCESS_RATE = 'REQUEST_SUCCESS_RATE',
  /** 99th percentile of request duration in milliseconds, measured by the router. */
  REQUEST_DURATION = 'REQUEST_DURATION',
  /** A PromQL query of your own that returns one number. */
  PROMETHEUS_QUERY = 'PROMETHEUS_QUERY',
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
    return new CanaryMetric('request-success-rate', MetricKind.REQUEST_SUCCESS_RATE, options.interval, options.min ?? 99);
  }

  /** 99th percentile request duration of the canary, at most `max`. */
  public static requestDuration(options: RequestDurationOptions): CanaryMetric {
    return new CanaryMetric('request-duration', MetricKind.REQUEST_DURATION, options.interval, undefined, options.max.toMilliseconds());
  }

  /** A PromQL query of your own, within `min` and/or `max`. */
  public static prometheus(options: PrometheusMetricOptions): CanaryMetric {
    return new CanaryMetric(options.name, MetricKind.PROMETHEUS_QUERY, options.interval, options.min, options.max, options.query);
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
    /** The PromQL of a `PROMETHEUS_QUERY` metric. */
    public readonly query?: string,
  ) {}
}
