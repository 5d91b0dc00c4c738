import { ComparableSeries, ComparedMeasure, ComparisonConfig } from './comparison';

/** The error rate of the primary is taken as at least this (percent) in a ratio. */
const ERROR_RATE_FLOOR = 0.1;

function matchers(...parts: (string | undefined)[]): string {
  return parts.filter((p) => p !== undefined && p !== '').join(',');
}

/** The percentage of 5xx among the requests `selector` selects; 0 without errors, nothing without requests. */
function errorRate(series: ComparableSeries, selector: string, window: string): string {
  const all = `sum(rate(${series.requests}{${matchers(selector, series.requestMatchers)}}[${window}]))`;
  const errors = `sum(rate(${series.requests}{${matchers(selector, series.requestMatchers, series.errorMatcher)}}[${window}]))`;
  return `((${errors} or vector(0)) / (${all} > 0) * 100)`;
}

/** The P99 in milliseconds; nothing without requests (rather than NaN). */
function latency(series: ComparableSeries, selector: string, window: string): string {
  const scale = series.durationToMillis === 1 ? '' : ` * ${series.durationToMillis}`;
  const any = `(sum(rate(${series.requests}{${matchers(selector, series.requestMatchers)}}[${window}])) > 0)`;
  return `(histogram_quantile(0.99, sum(rate(${series.durationBuckets}{${selector}}[${window}])) by (le))${scale} and on() ${any})`;
}

/**
 * One PromQL expression that compares the canary with the primary over one window: their ratio or
 * their difference. No sample when either had no request (no comparison is possible), so the check
 * fails rather than pass on nothing.
 */
export function comparisonQuery(series: ComparableSeries, comparison: ComparisonConfig, window: string): string {
  const value = comparison.measure === ComparedMeasure.ERROR_RATE ? errorRate : latency;
  const canary = value(series, series.canary, window);
  const baseline = value(series, series.baseline, window);
  if (comparison.maxRatio !== undefined) {
    const floor = comparison.measure === ComparedMeasure.ERROR_RATE ? `clamp_min(${baseline}, ${ERROR_RATE_FLOOR})` : baseline;
    return `${canary} / ${floor}`;
  }
  return `${canary} - ${baseline}`;
}
