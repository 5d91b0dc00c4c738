import { ComparableSeries } from '../../analysis/comparison';
import { MetricKind } from '../../analysis/metric';
import { checkArguments } from '../../arguments/check-arguments';
import { POD_METRICS_JOB } from '../../platform/conventions';
import { checkPort, fail } from '../../validation';

/** The scrape job of the service's pods: series of any other job (another Prometheus config's, a router's) do not count. */
const SCRAPE_JOB = `job="${POD_METRICS_JOB}"`;

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
  /**
   * The label of that histogram that holds the request's path (or route). The checks leave out the
   * requests no user sent: those to the scrape path (when the metrics are served on the port users
   * are served on) and to the paths of the pods' HTTP probes on that port, plus `excludedPaths`.
   * A histogram without this label is not filtered.
   *
   * @default 'path' (podinfo's)
   */
  readonly pathLabel?: string;
  /**
   * Further paths no user requests that the application counts, e.g. a sidecar's health check
   * (`/ping`). Each is matched as the application may label it: the path itself (`/ping`) and the
   * route name podinfo and other gorilla/mux-instrumented apps write (`ping`: every run of
   * characters other than letters and digits becomes `_`, trimmed, lower case).
   *
   * @default - none besides the scrape path and the probes' paths
   */
  readonly excludedPaths?: string[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const PATH = /^\/[A-Za-z0-9._~/-]*$/;

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
    checkArguments('ApplicationMetrics.httpHistogram', [options]);
    const owner = 'ApplicationMetrics.httpHistogram()';
    checkPort(owner, 'port', options.port);
    const path = options.path ?? '/metrics';
    if (!PATH.test(path)) fail(owner, `'path' ('${path}') must be an absolute URL path, e.g. '/metrics'`);
    const histogram = options.histogram ?? 'http_request_duration_seconds';
    if (!METRIC_NAME.test(histogram)) fail(owner, `'histogram' ('${histogram}') must be a Prometheus metric name (letters, digits, '_' and ':')`);
    const statusLabel = options.statusLabel ?? 'status';
    if (!LABEL_NAME.test(statusLabel)) fail(owner, `'statusLabel' ('${statusLabel}') must be a Prometheus label name (letters, digits and '_')`);
    const pathLabel = options.pathLabel ?? 'path';
    if (!LABEL_NAME.test(pathLabel)) fail(owner, `'pathLabel' ('${pathLabel}') must be a Prometheus label name (letters, digits and '_')`);
    const excludedPaths = options.excludedPaths ?? [];
    if (!Array.isArray(excludedPaths)) fail(owner, `'excludedPaths' (${JSON.stringify(excludedPaths)}) must be a list of absolute URL paths, e.g. ['/ping']`);
    excludedPaths.forEach((excluded, i) => {
      if (typeof excluded !== 'string' || !PATH.test(excluded) || excluded === '/') {
        fail(owner, `'excludedPaths[${i}]' (${JSON.stringify(excluded)}) must be an absolute URL path other than '/' (users request '/'), e.g. '/ping'`);
      }
    });
    return new ApplicationMetrics(options.port, path, histogram, statusLabel, pathLabel, excludedPaths);
  }

  /** The port the metrics are served on. */
  public readonly port: number;
  /** Their path. */
  public readonly path: string;
  /** The histogram's name. */
  public readonly histogram: string;
  /** The status label. */
  public readonly statusLabel: string;
  /** The path label. */
  public readonly pathLabel: string;
  /** Paths left out besides the scrape path and the probes'. */
  public readonly excludedPaths: string[];

  private constructor(port: number, path: string, histogram: string, statusLabel: string, pathLabel: string, excludedPaths: string[]) {
    this.port = port;
    this.path = path;
    this.histogram = histogram;
    this.statusLabel = statusLabel;
    this.pathLabel = pathLabel;
    this.excludedPaths = [...excludedPaths];
  }

  /**
   * The paths the checks leave out: the scrape path when the metrics are served on `servicePort`
   * (the port users are served on), the probes' paths on that port, and `excludedPaths`.
   *
   * @internal
   */
  public _unmeasuredPaths(servicePort: number, probePaths: { [probe: string]: string } = {}): string[] {
    const scrape = this.port === servicePort ? [this.path] : [];
    return [...new Set([...scrape, ...Object.values(probePaths), ...this.excludedPaths])].sort();
  }

  /**
   * The matcher that leaves the unmeasured paths out, each as written and as a route name.
   *
   * @internal
   */
  public _pathMatcher(unmeasured: string[]): string | undefined {
    if (unmeasured.length === 0) return undefined;
    const alternatives = [...new Set(unmeasured.flatMap((path) => [path, routeName(path)]))];
    // Escaped for RE2, then for the PromQL string literal.
    const regex = alternatives.map((a) => a.replace(/[.+*?()|[\]{}^$\\]/g, '\\$&')).join('|');
    return `${this.pathLabel}!~"${regex.replace(/\\/g, '\\\\')}"`;
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
   * The success rate and P99 duration over the pods `pods` selects (label matchers), the
   * `unmeasured` paths left out. Flagger: percent, with `scale` 100; Argo Rollouts: a ratio, guarded
   * so that no request gives no sample and only errors give 0.
   *
   * @internal
   */
  public _queries(pods: string, guarded: boolean, unmeasured: string[] = []): { [kind: string]: string } {
    const selector = [SCRAPE_JOB, pods, this._pathMatcher(unmeasured)].filter((m) => m).join(',');
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
  public _comparableSeries(canary: string, baseline: string, unmeasured: string[] = []): ComparableSeries {
    const paths = this._pathMatcher(unmeasured);
    const withPaths = (pods: string) => [SCRAPE_JOB, pods, paths].filter((m) => m).join(',');
    return {
      requests: `${this.histogram}_count`,
      errorMatcher: `${this.statusLabel}=~"5.."`,
      durationBuckets: `${this.histogram}_bucket`,
      durationToMillis: 1000,
      canary: withPaths(canary),
      baseline: withPaths(baseline),
    };
  }
}

/**
 * A path as podinfo labels it (pkg/api/http/metrics.go, urlToLabel): every run of characters
 * other than letters and digits becomes `_`, trimmed, lower case; nothing left is `root`.
 */
function routeName(path: string): string {
  return path.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase() || 'root';
}
