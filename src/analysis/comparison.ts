import { Duration } from 'cdk8s';

/** What a comparative check compares between the canary and the primary (or stable) version. */
export enum ComparedMeasure {
  /** The percentage of requests that failed with a 5xx. */
  ERROR_RATE = 'ERROR_RATE',
  /** The 99th percentile request duration, in milliseconds. */
  LATENCY_P99 = 'LATENCY_P99',
}

/** Options for `CanaryMetric.compareToPrimary()`. */
export interface CompareToPrimaryOptions {
  /** What is compared. */
  readonly measure: ComparedMeasure;
  /**
   * The canary's value may be at most this many times the primary's, e.g. 1.5. For the error rate
   * the primary's is taken as at least 0.1 %, so that a primary without errors does not make any
   * error of the canary an infinite ratio.
   *
   * @default - no ratio: `maxDifference`
   */
  readonly maxRatio?: number;
  /**
   * The canary's value may exceed the primary's by at most this much: percentage points for the
   * error rate, milliseconds for latency.
   *
   * @default - no difference: `maxRatio`
   */
  readonly maxDifference?: number;
  /**
   * Name of the check.
   *
   * @default 'error-rate-vs-primary' or 'latency-vs-primary'
   */
  readonly name?: string;
  /**
   * The window both versions are measured over.
   *
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;
}

/** A comparative check, as the engines read it. */
export interface ComparisonConfig {
  readonly measure: ComparedMeasure;
  /**
   * The ratio bound.
   *
   * @default - none
   */
  readonly maxRatio?: number;
  /**
   * The difference bound.
   *
   * @default - none
   */
  readonly maxDifference?: number;
}

/**
 * A router's series of requests, and how to tell the canary's from the primary's (or stable's), so
 * that a check can compare them over one window. Matchers use the engine's variables (Flagger's
 * `{{ namespace }}`, `{{ target }}`; Argo Rollouts' `{{args.<name>}}`).
 */
export interface ComparableSeries {
  /** The counter of requests, e.g. `istio_requests_total`. */
  readonly requests: string;
  /**
   * Matchers every request series needs besides the version's (e.g. `le="+Inf"` when the requests
   * are counted by a histogram's last bucket).
   *
   * @default - none
   */
  readonly requestMatchers?: string;
  /** The matcher of failed requests, e.g. `response_code=~"5.*"`. */
  readonly errorMatcher: string;
  /** The duration histogram's buckets, e.g. `istio_request_duration_milliseconds_bucket`. */
  readonly durationBuckets: string;
  /** What a duration is multiplied by to be milliseconds (1000 for seconds, 1 for milliseconds). */
  readonly durationToMillis: number;
  /** Matchers of the canary's series. */
  readonly canary: string;
  /** Matchers of the primary's (Flagger) or stable's (Argo Rollouts) series. */
  readonly baseline: string;
}
