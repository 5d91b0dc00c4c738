import { createHash } from 'crypto';

/*
 * A Flagger Canary's status as the release commands read it (flagger v1.44.0
 * pkg/apis/flagger/v1beta1/status.go, pkg/canary/status.go, pkg/controller/scheduler.go).
 */

/** The phases of a release: Flagger asks the manual gate in each. */
export const IN_RELEASE = ['Progressing', 'Waiting', 'WaitingPromotion'];
/** The phases a closed gate holds the release in. */
export const HELD = ['Waiting', 'WaitingPromotion'];

/** What the commands need of a Canary's status. */
export interface CanaryState {
  readonly phase: string;
  /** `status.canaryWeight`: reset to 0 in WaitingPromotion, Finalising and Succeeded, whatever the routing. */
  readonly weight: number;
  readonly failedChecks: number;
  readonly iterations?: number;
  /**
   * Which revision is under analysis, as Flagger tells them apart: `status.lastAppliedSpec` (the
   * hash of the pod template) and, when the Deployment uses ConfigMaps or Secrets, a hash of
   * `status.trackedConfigs` (their checksums). Flagger restarts the analysis when either changes
   * (hasCanaryRevisionChanged: HasTargetChanged or HaveDependenciesChanged), and its webhooks'
   * `checksum` hashes both (webhook.go, canaryChecksum).
   */
  readonly revision?: string;
  readonly promotedRevision?: string;
}

export function stateOf(canary: any): CanaryState {
  const status = canary?.status ?? {};
  return {
    phase: status.phase ?? 'unknown',
    weight: status.canaryWeight ?? 0,
    failedChecks: status.failedChecks ?? 0,
    iterations: status.iterations,
    revision: revisionOf(status),
    promotedRevision: status.lastPromotedSpec,
  };
}

/**
 * `lastAppliedSpec`, followed by `/configs-<hash>` when ConfigMaps or Secrets are tracked. The
 * hash is ours (sorted JSON, SHA-256), stable across reads: it only has to tell two sets of
 * checksums apart. An empty `trackedConfigs` is the same as none (ConfigTracker.HasConfigChanged).
 */
export function revisionOf(status: any): string | undefined {
  const spec: string | undefined = status?.lastAppliedSpec || undefined;
  const configs = status?.trackedConfigs;
  if (!configs || typeof configs !== 'object' || Object.keys(configs).length === 0) return spec;
  const sorted = Object.keys(configs).sort().map((key) => [key, configs[key]]);
  return `${spec ?? ''}/configs-${createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 10)}`;
}

/**
 * The state in words. In WaitingPromotion Flagger has reset `status.canaryWeight` to 0
 * (setStatusPhase) while the router still sends the canary its maximum weight, so the weight is
 * not printed as 0 % there.
 */
export function describe(state: CanaryState): string {
  const weight = state.phase === 'WaitingPromotion'
    ? 'held at max weight (status.canaryWeight is reset in WaitingPromotion)'
    : `canary weight ${state.weight}%`;
  return `phase ${state.phase}, ${weight}, failed checks ${state.failedChecks}${state.iterations && state.iterations > 0 ? `, iterations ${state.iterations}` : ''}`;
}

/** Flagger's default analysis interval, and the shortest it accepts (Canary.GetAnalysisInterval). */
const DEFAULT_INTERVAL_MILLIS = 60_000;
const MIN_INTERVAL_MILLIS = 10_000;
const UNIT_MILLIS: { [unit: string]: number } = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `spec.analysis.interval` in milliseconds, as Flagger reads it: a Go duration (`1m`, `30s`,
 * `1m30s`); empty or unreadable gives 60 s, and anything under 10 s is 10 s.
 */
export function analysisIntervalMillis(canary: any): number {
  const text = canary?.spec?.analysis?.interval;
  const millis = typeof text === 'string' && text !== '' ? parseGoDuration(text) : undefined;
  if (millis === undefined) return DEFAULT_INTERVAL_MILLIS;
  return Math.max(millis, MIN_INTERVAL_MILLIS);
}

/** time.ParseDuration, for the non-negative durations a Canary holds; undefined when Go would refuse it. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = text.startsWith('+') ? 1 : 0;
  if (at === text.length) return undefined;
  while (at < text.length) {
    part.lastIndex = at;
    const match = part.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * UNIT_MILLIS[match[2]];
    at = part.lastIndex;
  }
  return total;
}
