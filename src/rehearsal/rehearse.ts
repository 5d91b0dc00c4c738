import { parseGoDuration } from '../analysis/load-command';
import { PINNED_IMAGES } from '../versions';
import { DEFAULT_MESH_PROVIDER, Release, findAnalysisTemplate } from './objects/releases';
import { PrometheusServer, prometheusVersion } from './prometheus/server';
import { Person, SCENARIO_NAMES, Scenario, ScenarioName, builtInScenario } from './scenarios';
import { CountingCheck, MAX_FALSE_ALARM_PER_MEASUREMENT, MAX_MISS_PER_MEASUREMENT, conditionBounds, countingCheck, measurementPower, regressionFor, requestsNeeded } from './sensitivity';
import { Exposure, RunResult, modelOf, rehearseRun, segmentsOf } from './simulation';
import { HEALTHY } from './traffic/behaviour';

/** What to rehearse and how. */
export interface RehearseOptions {
  /** Runs per scenario, each with its own seed (1..seeds). */
  readonly seeds: number;
  readonly scenarios: ScenarioName[];
  /** User requests per second; else each release's declared traffic, else 10. */
  readonly usersPerSecond?: number;
  readonly person: Person;
  /** Prometheus servers run side by side. */
  readonly lanes: number;
  /** The longest a run may last before it counts as stuck, seconds. */
  readonly maxSeconds: number;
  /** Share of the users in each segment a route matches, 0-1. */
  readonly segmentShare: number;
  /** Flagger's `-mesh-provider` flag: the provider of a Canary without `spec.provider`. */
  readonly meshProvider: string;
  /**
   * The namespace label the platform's Prometheus enforces on the PodMonitors' series
   * (`enforcedNamespaceLabel`), for releases whose declaration is not at hand; '' for none.
   */
  readonly enforcedNamespaceLabel?: string;
}

export const DEFAULT_OPTIONS: RehearseOptions = {
  seeds: 5,
  scenarios: SCENARIO_NAMES,
  person: { approvesAfterSeconds: 0 },
  lanes: 2,
  maxSeconds: 3600,
  segmentShare: 0.05,
  meshProvider: DEFAULT_MESH_PROVIDER,
};

/** The user traffic a release is rehearsed with when it declares none. */
export const DEFAULT_USERS_PER_SECOND = 10;

/** The runs of one scenario, summed up. */
export interface ScenarioSummary {
  readonly scenario: ScenarioName;
  readonly description: string;
  readonly bad: boolean;
  readonly runs: RunResult[];
  readonly promoted: number;
  readonly rolledBack: number;
  readonly stuck: number;
  /** Median time of full promotion over the promoted runs, seconds. */
  readonly medianPromotion?: number;
  /** Median time from the first user request to the stop, over the rolled-back runs that had traffic. */
  readonly medianStopAfterTraffic?: number;
  /** Median time from the first user request to the first failed check. */
  readonly medianDetection?: number;
  /** Median controller weight when rolled back. */
  readonly medianStopWeight?: number;
  /** The highest weight any run reached before its end. */
  readonly highestWeight: number;
  /** Median users' requests the new version answered, and failed. */
  readonly medianServed: number;
  readonly medianServedErrors: number;
}

/** One release rehearsed. */
export interface ReleaseRehearsal {
  readonly release: Release;
  readonly router: string;
  readonly usersPerSecond: number;
  readonly scenarios: ScenarioSummary[];
  /** Healthy runs (healthy, night) rolled back, and how many there were. */
  readonly falseAlarms: { readonly count: number; readonly of: number };
  /** Bad runs promoted, and how many there were. */
  readonly misses: { readonly count: number; readonly of: number };
  readonly warnings: string[];
  readonly notes: string[];
  /** What the rehearsal assumes for every release of its engine (pod start, the Prometheus engine). */
  readonly assumptions: string[];
  /** Expectations the release states that the rehearsal did not meet (and the defaults: healthy promotes, bad is never promoted). */
  readonly failures: string[];
}

const median = (values: number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};

function summarize(scenario: Scenario, runs: RunResult[]): ScenarioSummary {
  const rolledBack = runs.filter((r) => r.outcome === 'rolled back');
  const withTraffic = rolledBack.filter((r) => r.firstTrafficAt !== undefined);
  return {
    scenario: scenario.name,
    description: scenario.description,
    bad: scenario.bad,
    runs,
    promoted: runs.filter((r) => r.outcome === 'promoted').length,
    rolledBack: rolledBack.length,
    stuck: runs.filter((r) => r.outcome === 'stuck').length,
    medianPromotion: median(runs.filter((r) => r.promotedAt !== undefined && r.outcome === 'promoted').map((r) => r.promotedAt!)),
    medianStopAfterTraffic: median(withTraffic.map((r) => r.endedAt - r.firstTrafficAt!)),
    medianDetection: median(runs.filter((r) => r.firstFailureAt !== undefined && r.firstTrafficAt !== undefined)
      .map((r) => Math.max(0, r.firstFailureAt! - r.firstTrafficAt!))),
    medianStopWeight: median(rolledBack.map((r) => r.controllerWeightAtEnd)),
    highestWeight: Math.max(0, ...runs.map((r) => (r.outcome === 'promoted' ? 100 : r.maxWeight))),
    medianServed: median(runs.map((r) => r.servedByNew.requests)) ?? 0,
    medianServedErrors: median(runs.map((r) => r.servedByNew.errors)) ?? 0,
  };
}

/** A pool of Prometheus servers; each runs one rehearsal run at a time, each in a time slot after the previous one's. */
class Lanes {
  public static async start(count: number): Promise<Lanes> {
    return new Lanes(await Promise.all(Array.from({ length: Math.max(1, count) }, () => PrometheusServer.start())));
  }

  private readonly cursors: number[];
  private constructor(private readonly servers: PrometheusServer[]) {
    this.cursors = servers.map(() => Date.UTC(2026, 0, 1));
  }

  public async run<T>(jobs: ((server: PrometheusServer, slotStartMs: number) => Promise<{ result: T; spanSeconds: number }>)[]): Promise<T[]> {
    const results: T[] = new Array(jobs.length);
    let next = 0;
    await Promise.all(this.servers.map(async (server, lane) => {
      while (next < jobs.length) {
        const index = next++;
        const { result, spanSeconds } = await jobs[index](server, this.cursors[lane]);
        // Half an hour between runs: no range or lookback of one reaches into the next.
        this.cursors[lane] += Math.ceil(spanSeconds + 1800) * 1000;
        results[index] = result;
      }
    }));
    return results;
  }

  public async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }
}

/** Rehearses every release with every scenario and seed, on the real Prometheus. */
export async function rehearse(releases: Release[], options: RehearseOptions): Promise<ReleaseRehearsal[]> {
  const engineVersion = /version (\S+)/.exec(prometheusVersion() ?? '')?.[1] ?? 'unknown';
  const lanes = await Lanes.start(Math.min(options.lanes, releases.length * options.scenarios.length * options.seeds));
  try {
    const plans = releases.map((release) => {
      const usersPerSecond = options.usersPerSecond ?? release.expectations.usersPerSecond ?? DEFAULT_USERS_PER_SECOND;
      const segments = segmentsOf(release, options.segmentShare);
      // The last segment a route matches, else the group of users without a route of its own.
      const failingSegment = segments[segments.length - (segments.some((s) => s.matchKey) ? 2 : 1)].name;
      const skipped: string[] = [];
      const applies = (name: ScenarioName) => {
        // A failure in one segment is a question for releases that route segments (A/B tests, phases).
        if (name === 'one-segment' && !segments.some((s) => s.matchKey)) {
          skipped.push('one-segment: the release routes no segment of its own (no A/B match or header route), so it is not rehearsed');
          return false;
        }
        if (name === 'night' && release.expectations.requiresUserTraffic) {
          skipped.push('night: the release states that it runs only while users send requests (requires-user-traffic), so it is not rehearsed');
          return false;
        }
        return true;
      };
      const scenarios = options.scenarios.filter(applies)
        .map((name) => builtInScenario(name, { usersPerSecond, person: options.person, segmentShare: options.segmentShare, failingSegment }));
      return { release, usersPerSecond, scenarios, skipped };
    });
    const jobs = plans.flatMap((plan) => plan.scenarios
      .flatMap((scenario) => Array.from({ length: options.seeds }, (_, i) => ({ plan, scenario, seed: i + 1 }))));
    const results = await lanes.run(jobs.map((job) => async (server: PrometheusServer, slotStartMs: number) => {
      const result = await rehearseRun({
        release: job.plan.release,
        scenario: job.scenario,
        seed: job.seed,
        prometheus: server,
        slotStartMs,
        maxSeconds: options.maxSeconds,
        segmentShare: options.segmentShare,
      });
      return { result, spanSeconds: result.spanSeconds };
    }));
    return plans.map((plan) => {
      const runsOf = (scenario: Scenario) => jobs.map((job, i) => ({ job, result: results[i] }))
        .filter(({ job }) => job.plan === plan && job.scenario === scenario).map(({ result }) => result);
      const summaries = plan.scenarios.map((scenario) => summarize(scenario, runsOf(scenario)));
      const healthy = summaries.filter((s) => !s.bad);
      const bad = summaries.filter((s) => s.bad);
      const rehearsal: Omit<ReleaseRehearsal, 'failures' | 'warnings'> & { warnings: string[] } = {
        release: plan.release,
        router: modelRouter(plan.release),
        usersPerSecond: plan.usersPerSecond,
        scenarios: summaries,
        falseAlarms: { count: healthy.reduce((n, s) => n + s.rolledBack, 0), of: healthy.reduce((n, s) => n + s.runs.length, 0) },
        misses: { count: bad.reduce((n, s) => n + s.promoted, 0), of: bad.reduce((n, s) => n + s.runs.length, 0) },
        warnings: [],
        assumptions: assumptionsOf(plan.release, engineVersion),
        notes: [...new Set([...plan.release.problems, ...plan.skipped, ...summaries.flatMap((s) => s.runs.flatMap((r) => r.notes))])],
      };
      if (!plan.release.scrapeIntervalKnown) rehearsal.notes.push(`the Prometheus configuration is not in the manifests: a scrape interval of ${plan.release.scrapeIntervalSeconds}s is assumed`);
      rehearsal.warnings.push(...sensitivityWarnings(plan.release, summaries), ...shortWindowWarnings(plan.release));
      return { ...rehearsal, failures: expectationFailures(rehearsal) };
    });
  } finally {
    await lanes.stop();
  }
}

/** What every rehearsal of the release assumes, said in the report. */
function assumptionsOf(release: Release, engineVersion: string): string[] {
  const stack = PINNED_IMAGES.prometheus.tag;
  const pods = release.engine === 'flagger'
    ? 'the new pods are ready as soon as they are scaled up, and so is the primary when a promotion copies the new version to it; '
      + 'Flagger waits for the primary (scheduler.go:294-311), so a real promotion takes one interval or more longer when its rolling update outlasts the interval'
    : 'the new pods are available as soon as they are scaled up (Argo waits for them before a step completes and before the blue/green switch)';
  return [
    pods,
    `the queries run on the local prometheus binary, version ${engineVersion}; the stack this library synthesizes runs ${stack}, `
      + 'whose range selectors leave out a sample exactly at the start of the window, so a window of one or two scrape intervals can see one sample fewer (or none), '
      + 'and whose le and quantile labels are floats (PROMETHEUS_BINARY selects another binary)',
    ...release.labellingAssumptions,
  ];
}

function modelRouter(release: Release): string {
  const spec = release.controllerObject.spec ?? {};
  if (release.engine === 'flagger') return release.provider ?? 'istio';
  const strategy = spec.strategy ?? {};
  if (strategy.blueGreen) return 'blue/green Services';
  const routing = strategy.canary?.trafficRouting ?? {};
  if (routing.traefik) return 'traefik';
  if (routing.istio) return 'istio';
  if (routing.plugins) return Object.keys(routing.plugins).join(', ');
  return 'replica ratio';
}

/**
 * Queries whose range holds fewer than three scrapes: Prometheus v3 (the stack's) leaves out a sample
 * exactly at the start of a range, so there they can read one sample fewer than the local 2.x engine, or none.
 */
export function shortWindowWarnings(release: Release): string[] {
  const scrape = release.scrapeIntervalSeconds;
  const ranges = new Set<string>();
  for (const query of modelOf(release).queriesOf()) {
    for (const match of query.matchAll(/\[\s*(\d+(?:ms|s|m|h))\s*(?::[^\]]*)?\]/g)) {
      const seconds = parseGoDuration(match[1]);
      if (seconds !== undefined && seconds < 3 * scrape) ranges.add(match[1]);
    }
  }
  return [...ranges].map((range) => `a query reads a [${range}] window, fewer than three scrapes (every ${scrape}s): on Prometheus v3, which the stack runs, `
    + 'a range leaves out the sample at its start, so it can read one sample fewer than this rehearsal (or no value); make it three scrape intervals or more');
}

/** The checks of a release that count requests against a bound, with their windows. */
function countingChecks(release: Release): CountingCheck[] {
  const spec = release.controllerObject.spec ?? {};
  const checks: CountingCheck[] = [];
  if (release.engine === 'flagger') {
    const model = modelOf(release) as any;
    for (const q of model.queries() as any[]) {
      const window = parseGoDuration(q.metric.interval || '1m') ?? 60;
      const range = q.metric.thresholdRange ?? {};
      const check = countingCheck(q.metric.name, q.query, range.min, range.max, window, q.kind === 'duration' ? true : undefined);
      if (check) checks.push(check);
    }
    return checks;
  }
  const references = [spec.strategy?.canary?.analysis, ...(spec.strategy?.canary?.steps ?? []).map((s: any) => s.analysis),
    spec.strategy?.blueGreen?.prePromotionAnalysis, spec.strategy?.blueGreen?.postPromotionAnalysis].filter(Boolean);
  const seen = new Set<string>();
  for (const reference of references) {
    for (const ref of reference.templates ?? []) {
      const template = findAnalysisTemplate(release.index, release.namespace, ref);
      for (const metric of template?.spec?.metrics ?? []) {
        if (seen.has(metric.name) || !metric.provider?.prometheus) continue;
        seen.add(metric.name);
        const query: string = metric.provider.prometheus.query;
        const window = Math.max(0, ...[...query.matchAll(/\[(\d+[smh])\]/g)].map((m) => parseGoDuration(m[1]) ?? 0)) || 60;
        const { min, max } = conditionBounds(metric.successCondition);
        const check = countingCheck(metric.name, query, min, max, window);
        if (check) checks.push(check);
      }
    }
  }
  return checks;
}

/**
 * Checks that see too few requests in one measurement, at the rate the new version got when it was
 * first measured in the healthy runs, to tell their bound from the healthy baseline: each says the
 * requests a measurement needs, and the load or window that gives them.
 */
function sensitivityWarnings(release: Release, summaries: ScenarioSummary[]): string[] {
  // The rate a healthy release gets at the declared traffic; without the healthy scenario there is none to judge.
  const healthyRuns = summaries.find((s) => s.scenario === 'healthy')?.runs ?? [];
  const exposures = healthyRuns.map((r) => r.firstExposure).filter((e): e is Exposure => e !== undefined).sort((a, b) => a.rate - b.rate);
  const exposure = exposures[Math.floor((exposures.length - 1) / 2)];
  const rate = exposure?.rate;
  if (rate === undefined || rate <= 0) return [];
  const warnings: string[] = [];
  for (const check of countingChecks(release)) {
    const n = Math.floor(rate * check.windowSeconds);
    const power = measurementPower(check, n, HEALTHY, regressionFor(check));
    if (power.falseAlarm <= MAX_FALSE_ALARM_PER_MEASUREMENT && power.miss <= MAX_MISS_PER_MEASUREMENT) continue;
    const needed = requestsNeeded(check);
    const healthyText = check.kind === 'success-rate' ? `${(100 - HEALTHY.errorRate * 100).toFixed(1)} % (healthy)` : `P99 ${Math.round(HEALTHY.p99Seconds * 1000)} ms (healthy)`;
    const badText = check.kind === 'success-rate' ? `${(100 - regressionFor(check).errorRate * 100).toFixed(0)} % (the error-rate scenario)` : `P99 ${Math.round(regressionFor(check).p99Seconds * 1000)} ms (the latency scenario)`;
    const what = `'${check.name}' sees about ${n} requests per ${check.windowSeconds}s window at the first weight (${round(rate)} per second reach the new version): `
      + `a measurement fails a healthy version ${pct(power.falseAlarm)} of the time and passes the regression ${pct(power.miss)} of the time, so it cannot tell ${healthyText} from ${badText} against its bound ${check.bound}`;
    if (needed === undefined) {
      warnings.push(`${what}; no number of requests can: move the bound between the two`);
    } else {
      const window = Math.ceil(needed / rate);
      warnings.push(`${what}; it needs ${needed} requests per measurement: ${moreLoad(needed / check.windowSeconds - rate, exposure)}, or a ${formatSeconds(window)} window`);
    }
  }
  return warnings;
}

/**
 * The change that gives the new version `extra` more requests per second, in the rate a person sets:
 * the load test's own rate (of which only the share the router gives the new version reaches it, for
 * the part of the time it runs), else the users'.
 */
function moreLoad(extra: number, exposure: Exposure): string {
  const toNew = `${moreRequests(Math.ceil(extra))} per second to the new version`;
  const load = exposure.load;
  if (load && load.shareToNew > 0 && load.dutyCycle > 0) {
    const factor = load.shareToNew * load.dutyCycle;
    const via = [load.shareToNew < 1 ? `${pct(load.shareToNew)} of its requests reach the new version at the first weight` : '',
      load.dutyCycle < 1 ? `it runs ${pct(load.dutyCycle)} of the time` : ''].filter(Boolean).join(' and ');
    const target = Math.ceil(load.requestsPerSecond + extra / factor);
    return `${toNew}, which is a load test sending about ${target} per second instead of ${round(load.requestsPerSecond)}${via ? ` (${via})` : ''}`;
  }
  if (exposure.usersShare > 0) return `${toNew}, which is about ${Math.ceil(extra / exposure.usersShare)} more user requests per second (or a load test)`;
  return toNew;
}

const moreRequests = (n: number) => `${n} more ${n === 1 ? 'request' : 'requests'}`;
const round = (x: number) => Math.round(x * 10) / 10;
const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

function formatSeconds(value: number): string {
  const s = Math.round(value);
  if (s < 60) return `${s}s`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${Math.floor(s / 60)}m${s % 60}s`;
}

/** The expectations a release states, and the defaults every release must meet, as failures. */
function expectationFailures(r: Omit<ReleaseRehearsal, 'failures'>): string[] {
  const failures: string[] = [];
  const e = r.release.expectations;
  const name = `${r.release.namespace}/${r.release.name}`;
  const falseAlarmRate = r.falseAlarms.of ? r.falseAlarms.count / r.falseAlarms.of : 0;
  const missRate = r.misses.of ? r.misses.count / r.misses.of : 0;
  const maxFalseAlarms = e.maxFalseAlarmRate ?? 0;
  const maxMisses = e.maxMissRate ?? 0;
  failures.push(...e.errors.map((error) => `${name}: ${error}`));
  if (falseAlarmRate > maxFalseAlarms) {
    failures.push(`${name}: ${r.falseAlarms.count} of ${r.falseAlarms.of} healthy runs were rolled back (${pct(falseAlarmRate)}); at most ${pct(maxFalseAlarms)} expected`);
  }
  if (missRate > maxMisses) {
    failures.push(`${name}: ${r.misses.count} of ${r.misses.of} bad runs were promoted (${pct(missRate)}); at most ${pct(maxMisses)} expected`);
  }
  for (const s of r.scenarios) {
    // A slow degradation is healthy at first: it counts for misses, not for how fast or far a bad version goes.
    if (s.scenario === 'slow-degradation') continue;
    if (!s.bad) {
      const stuck = s.runs.filter((run) => run.outcome === 'stuck');
      if (stuck.length > 0 && s.runs.length > 0) failures.push(`${name}: ${stuck.length} of ${s.runs.length} '${s.scenario}' runs were neither promoted nor rolled back (${stuck[0].reason})`);
      continue;
    }
    for (const run of s.runs) {
      if (run.outcome === 'promoted' || run.firstTrafficAt === undefined) continue;
      const after = run.endedAt - run.firstTrafficAt;
      if (e.stopsBadWithinSeconds === undefined || after <= e.stopsBadWithinSeconds + 1e-9) continue;
      failures.push(run.outcome === 'rolled back'
        ? `${name}: '${s.scenario}' (seed ${run.seed}) was stopped ${formatSeconds(after)} after its first user request; at most ${formatSeconds(e.stopsBadWithinSeconds)} expected`
        : `${name}: '${s.scenario}' (seed ${run.seed}) was never stopped: it still served users at ${run.weightAtEnd}% ${formatSeconds(after)} after its first user request, `
          + `when the rehearsal ended (${run.servedByNew.requests} user requests, ${run.servedByNew.errors} failed); stopped within ${formatSeconds(e.stopsBadWithinSeconds)} expected`);
    }
    for (const run of s.runs) {
      if (e.maxBadWeight !== undefined && run.outcome !== 'promoted' && run.maxWeight > e.maxBadWeight + 1e-9) {
        failures.push(`${name}: '${s.scenario}' (seed ${run.seed}) reached ${run.maxWeight}% of the traffic; at most ${e.maxBadWeight}% expected`);
      }
    }
  }
  return failures;
}
