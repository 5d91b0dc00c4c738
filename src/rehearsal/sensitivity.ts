import { ERROR_REGRESSION } from './scenarios';
import { Answering, HEALTHY, shareSlowerThan } from './traffic/behaviour';

/** A check whose verdict is a share of bad requests against a bound: a success rate, or a latency quantile. */
export interface CountingCheck {
  readonly name: string;
  readonly kind: 'success-rate' | 'latency';
  /** Share of requests the check tolerates being bad (errors; or slower than the bound for a quantile), 0-1. */
  readonly allowedBadShare: number;
  /** For a latency quantile: the bound, in seconds. */
  readonly boundSeconds?: number;
  /** The check's query window, seconds. */
  readonly windowSeconds: number;
  /** The bound as written, for messages (`99 %`, `500 ms`). */
  readonly bound: string;
}

/** P(X > k) for X ~ Binomial(n, p), summed exactly (n is a few thousand at most). */
export function binomialTailAbove(n: number, p: number, k: number): number {
  if (k < 0) return 1;
  if (k >= n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  // P(X <= k) by the recurrence on the probability mass function, in logs to stay finite.
  let logPmf = n * Math.log(1 - p);
  let cdf = Math.exp(logPmf);
  for (let i = 1; i <= k; i++) {
    logPmf += Math.log((n - i + 1) / i) + Math.log(p / (1 - p));
    cdf += Math.exp(logPmf);
  }
  return Math.max(0, Math.min(1, 1 - cdf));
}

/** How well one measurement of `n` requests tells a healthy version from a bad one. */
export function measurementPower(check: CountingCheck, n: number, healthy: Answering, bad: Answering): { falseAlarm: number; miss: number } {
  const p0 = check.kind === 'success-rate' ? healthy.errorRate : shareSlowerThan(healthy, check.boundSeconds!);
  const p1 = check.kind === 'success-rate' ? bad.errorRate : shareSlowerThan(bad, check.boundSeconds!);
  const k = Math.floor(check.allowedBadShare * n + 1e-9);
  return { falseAlarm: binomialTailAbove(n, p0, k), miss: 1 - binomialTailAbove(n, p1, k) };
}

/** The per-measurement rates a check must keep to tell the versions apart. */
export const MAX_FALSE_ALARM_PER_MEASUREMENT = 0.01;
export const MAX_MISS_PER_MEASUREMENT = 0.1;

/** The bad version each kind of check is held against: the error-rate and latency scenarios'. */
export function regressionFor(check: CountingCheck): Answering {
  return check.kind === 'success-rate' ? { ...HEALTHY, errorRate: ERROR_REGRESSION } : { ...HEALTHY, medianSeconds: 0.25, p99Seconds: 1 };
}

/**
 * The fewest requests one measurement needs so that a healthy version fails it at most 1 % of the
 * time and the scenarios' regression passes it at most 10 % of the time; undefined when no count up
 * to 100 000 does (the bound lies beyond the regression, or at the healthy baseline).
 */
export function requestsNeeded(check: CountingCheck, healthy: Answering = HEALTHY): number | undefined {
  const bad = regressionFor(check);
  const ok = (n: number) => {
    const power = measurementPower(check, n, healthy, bad);
    return power.falseAlarm <= MAX_FALSE_ALARM_PER_MEASUREMENT && power.miss <= MAX_MISS_PER_MEASUREMENT;
  };
  let n = 10;
  while (n <= 100_000 && !ok(n)) n = Math.ceil(n * 1.25);
  if (n > 100_000) return undefined;
  // The power is not monotonic in n (the bound is a whole number of requests): look back for the least.
  let least = n;
  for (let m = Math.floor(n / 1.25); m < n; m++) if (m > 0 && ok(m)) return m;
  return least;
}

/**
 * A check's bound and kind, read from Flagger's metric (thresholdRange) or Argo's condition
 * (`result[0] >= x` / `result[0] <= x`) and its query: a ratio of requests without 5xx (a success
 * rate, in percent or as a ratio) or a `histogram_quantile` (a latency quantile, in milliseconds).
 * Undefined for anything else.
 */
export function countingCheck(
  name: string, query: string | undefined, min: number | undefined, max: number | undefined, windowSeconds: number, millisecondsOverride?: boolean,
): CountingCheck | undefined {
  if (!query) return undefined;
  const quantile = query.match(/histogram_quantile\(\s*(0?\.\d+|1)\s*,/);
  // A quantile of one version alone (a comparison with the other version is not a count against a bound).
  if (quantile && max !== undefined && (query.match(/histogram_quantile/g) ?? []).length === 1) {
    const milliseconds = millisecondsOverride ?? (/_milliseconds_bucket/.test(query) || /\*\s*1000/.test(query));
    const boundSeconds = milliseconds ? max / 1000 : max;
    return { name, kind: 'latency', allowedBadShare: 1 - Number(quantile[1]), boundSeconds, windowSeconds, bound: milliseconds ? `${max} ms` : `${max} s` };
  }
  const successRatio = /(code|response_code|status|grpc_response_status)\s*!~\s*"5/.test(query) || /(code|status)\s*!~\s*"5\.\."/.test(query);
  if (successRatio && min !== undefined) {
    const ratio = min > 1 ? min / 100 : min;
    return { name, kind: 'success-rate', allowedBadShare: 1 - ratio, windowSeconds, bound: min > 1 ? `${min} %` : `${min * 100} %` };
  }
  return undefined;
}

/** `result[0] >= 0.99` / `result[0] <= 500` in an Argo condition: the bounds it holds the first value to. */
export function conditionBounds(condition: string | undefined): { min?: number; max?: number } {
  if (!condition) return {};
  const min = condition.match(/result\[0\]\s*>=?\s*([0-9.]+)/);
  const max = condition.match(/result\[0\]\s*<=?\s*([0-9.]+)/);
  return { min: min ? Number(min[1]) : undefined, max: max ? Number(max[1]) : undefined };
}
