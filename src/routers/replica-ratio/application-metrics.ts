import { ComparableSeries } from '../../analysis/comparison';
import { MetricKind } from '../../analysis/metric';
import { checkPort, fail } from '../../validation';

/** Options for `ApplicationMetrics.httpHistogram()`. */
export interface HttpHistogramOptions {
  /** The port the application serves its metrics on (the pods are annotated for scraping). */
  readonly port: number;
  /**
   * The path of the metrics.
   *
   * @default '/metrics'
   */
  readonly path?: string;
  /**
   * Name of the request duration histogram (in seconds) the application exports, without the
   * `_bucket`/`_count` suffix.
   *
   * @default 'http_request_duration_seconds' (podinfo's, and the name Flagger's own `kubernetes` checks read)
   */
  readonly histogram?: string;
  /**
   * The label of that histogram that holds the HTTP status code.
   *
   * @default 'status'
   */
  readonly statusLabel?: string;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The application's own request metrics, for a router that has no telemetry of its own (the
 * replica-ratio canary): the checks read what the canary's pods export about themselves. The
 * choice is explicit because nothing else measures the requests.
 */
export class ApplicationMetrics {
  /**
   * A Prometheus histogram of request durations in seconds with the status code as a label, such
   * as podinfo's `http_request_duration_seconds{status="200"}`: the success rate from its
   * `_count`, the P99 from its `_bucket`.
   */
  public static httpHistogram(options: HttpHistogramOptions): ApplicationMetrics {
    const owner = 'ApplicationMetrics.httpHistogram()';
    checkPort(owner, 'port', options.port);
    const path = options.path ?? '/metrics';
    if (!/^\/[A-Za-z0-9._~/-]*$/.test(path)) fail(owner, `'path' ('${path}') must be an absolute URL path, e.g. '/metrics'`);
    const histogram = options.histogram ?? 'http_request_duration_seconds';
    if (!METRIC_NAME.test(histogram)) fail(owner, `'histogram' ('${histogram}') must be a Prometheus metric name (letters, digits, '_' and ':')`);
    const statusLabel = options.statusLabel ?? 'status';
    if (!LABEL_NAME.test(statusLabel)) fail(owner, `'statusLabel' ('${statusLabel}') must be a Prometheus label name (letters, digits and '_')`);
    return new ApplicationMetrics(options.port, path, histogram, statusLabel);
  }

  /** The port the metrics are served on. */
  public readonly port: number;
  /** Their path. */
  public readonly path: string;
  /** The histogram's name. */
  public readonly histogram: string;
  /** The status label. */
  public readonly statusLabel: string;

  private constructor(port: number, path: string, histogram: string, statusLabel: string) {
    this.port = port;
    this.path = path;
    this.histogram = histogram;
    this.statusLabel = statusLabel;
  }

  /**
   * The annotations that make Prometheus scrape the pods (what the embedded Prometheus and the
   * community chart's `kubernetes-pods` job read).
   *
   * @internal
   */
  public _podAnnotations(): { [key: string]: string } {
    return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(this.port), 'prometheus.io/path': this.path };
  }

  /**
   * The success rate and P99 duration over the pods `selector` selects (label matchers). Flagger:
   * percent, with `scale` 100; Argo Rollouts: a ratio, guarded so that no request gives no sample
   * and only errors give 0.
   *
   * @internal
   */
  public _queries(selector: string, guarded: boolean): { [kind: string]: string } {
    const count = `${this.histogram}_count`;
    const ok = `sum(rate(${count}{${selector},${this.statusLabel}!~"5.."}[{{ interval }}]))`;
    const all = `sum(rate(${count}{${selector}}[{{ interval }}]))`;
    const p99 = `histogram_quantile(0.99, sum(rate(${this.histogram}_bucket{${selector}}[{{ interval }}])) by (le)) * 1000`;
    return guarded
      ? {
        [MetricKind.REQUEST_SUCCESS_RATE]: `(${ok} or vector(0)) / (${all} > 0)`,
        [MetricKind.REQUEST_DURATION]: `${p99} and on() (${all} > 0)`,
      }
      : {
        [MetricKind.REQUEST_SUCCESS_RATE]: `${ok} / ${all} * 100`,
        [MetricKind.REQUEST_DURATION]: p99,
      };
  }

  /**
   * The histogram of two sets of pods (matchers), for comparisons.
   *
   * @internal
   */
  public _comparableSeries(canary: string, baseline: string): ComparableSeries {
    return {
      requests: `${this.histogram}_count`,
      errorMatcher: `${this.statusLabel}=~"5.."`,
      durationBuckets: `${this.histogram}_bucket`,
      durationToMillis: 1000,
      canary,
      baseline,
    };
  }
}
