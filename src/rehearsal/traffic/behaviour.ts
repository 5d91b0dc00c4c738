import { normalCdf } from './random';

/** How one version answers requests at a moment: its error and not-found shares and its latency. */
export interface Answering {
  /** Share of requests answered with a server error (5xx, or a gRPC server error), 0-1. */
  readonly errorRate: number;
  /** Share of requests answered with 404 (not found), 0-1. */
  readonly notFoundRate: number;
  /** Median latency, in seconds. */
  readonly medianSeconds: number;
  /** 99th percentile latency, in seconds. */
  readonly p99Seconds: number;
}

/**
 * The healthy baseline: 0.1 % errors, 40 ms median, 150 ms P99. No request is answered 404 unless a
 * scenario says so (each outcome is a family of series more to write).
 */
export const HEALTHY: Answering = Object.freeze({ errorRate: 0.001, notFoundRate: 0, medianSeconds: 0.04, p99Seconds: 0.15 });

/** The z-score of the 99th percentile of a normal distribution. */
const Z99 = 2.326348;

/**
 * The share of requests in each interval between consecutive `bounds` (seconds, ascending), and
 * above the last, for a log-normal latency with the given median and P99.
 */
export function latencyShares(answering: Answering, bounds: number[]): number[] {
  const mu = Math.log(answering.medianSeconds);
  const sigma = Math.max(1e-6, Math.log(answering.p99Seconds / answering.medianSeconds) / Z99);
  const cdf = (x: number) => (x <= 0 ? 0 : normalCdf((Math.log(x) - mu) / sigma));
  const shares: number[] = [];
  let below = 0;
  for (const bound of bounds) {
    const at = cdf(bound);
    shares.push(Math.max(0, at - below));
    below = at;
  }
  shares.push(Math.max(0, 1 - below));
  return shares;
}

/** The share of requests slower than `seconds`. */
export function shareSlowerThan(answering: Answering, seconds: number): number {
  const mu = Math.log(answering.medianSeconds);
  const sigma = Math.max(1e-6, Math.log(answering.p99Seconds / answering.medianSeconds) / Z99);
  return 1 - normalCdf((Math.log(seconds) - mu) / sigma);
}
