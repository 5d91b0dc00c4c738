import { Duration } from 'cdk8s';
import { formatDuration } from './format';
import { CanaryMetric } from '../analysis/metric';

/**
 * The least time of load a query window must hold for `rate()` to see the canary: three scrapes at
 * the embedded Prometheus's 5 s interval (a rate needs two samples inside the window, and the window
 * may start just after a scrape).
 */
export const MIN_LOAD_IN_WINDOW_SECONDS = 15;

/**
 * Time Argo Rollouts needs on top of the measurement schedule: reconciles, the Prometheus query,
 * and measurements that are counted from the previous one's end (argo-rollouts analysis/analysis.go).
 */
export const ARGO_SLACK_SECONDS = 10;

/** The query window of a metric (its `interval`; Flagger's default when unset). */
export function windowOf(metric: CanaryMetric): Duration {
  return metric.interval ?? Duration.minutes(1);
}

/**
 * A metric measured every `interval` over a shorter window never sees part of the time between
 * two measurements: a canary failing only then would pass.
 */
export function windowGaps(metrics: CanaryMetric[], interval: Duration): string[] {
  return metrics
    .filter((metric) => windowOf(metric).toSeconds() < interval.toSeconds())
    .map((metric) => `the check '${metric.name}' measures every ${formatDuration(interval)} ('analysis.interval') `
      + `over the last ${formatDuration(windowOf(metric))} only (its 'interval'), so ${formatDuration(Duration.seconds(interval.toSeconds() - windowOf(metric).toSeconds()))} `
      + `of every interval is never measured and a canary failing then would pass: set the metric's 'interval' to at least ${formatDuration(interval)}`);
}

/** `n` with its noun, e.g. `1 measurement`, `3 measurements`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
