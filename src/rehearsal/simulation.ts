import { ArgoRolloutModel } from './argo/rollout-model';
import { CheckResult, ControllerEnv, ControllerModel, RunOutcome, TimelineEntry } from './controller';
import { FlaggerModel } from './flagger/flagger-model';
import { seriesFilter } from './prometheus/selectors';
import { CLIENT_GROUP, CLIENT_GROUP_SHARE, Scenario } from './scenarios';
import { parseGoDuration } from '../analysis/load-command';
import { Release } from './objects/releases';
import { PrometheusServer, QueryResult } from './prometheus/server';
import { TrafficGenerator, TrafficSource } from './traffic/generator';
import { parseLoadCommand } from './traffic/load';
import { Random } from './traffic/random';
import { INITIAL_ROUTING, RoutingState, Topology, matchKey, satisfies } from './traffic/topology';

/** A group of users the routes can tell apart (a match of an A/B test or a phase), or everyone else. */
export interface Segment {
  readonly name: string;
  /** Share of the users, 0-1. */
  readonly share: number;
  /** The match (as JSON) its requests satisfy. */
  readonly matchKey?: string;
  /** The match itself. */
  readonly match?: any;
}

/** The user segments of a release: one per route match (each `segmentShare` of the users), the rest as one. */
export function segmentsOf(release: Release, segmentShare: number): Segment[] {
  const spec = release.controllerObject.spec ?? {};
  const matches: { name: string; match: any }[] = [];
  if (release.engine === 'flagger') {
    (spec.analysis?.match ?? []).forEach((m: any, i: number) => matches.push({ name: describeMatch(m) ?? `match ${i + 1}`, match: m }));
  } else {
    for (const step of spec.strategy?.canary?.steps ?? []) {
      const route = step.setHeaderRoute;
      if (route?.match && !matches.some((m) => matchKey(m.match) === matchKey(route.match))) {
        matches.push({ name: describeMatch(route.match) ?? route.name, match: route.match });
      }
    }
  }
  if (matches.length === 0) {
    return [{ name: 'most users', share: 1 - CLIENT_GROUP_SHARE }, { name: CLIENT_GROUP, share: CLIENT_GROUP_SHARE }];
  }
  const share = Math.min(segmentShare, 0.9 / matches.length);
  return [
    ...matches.map((m) => ({ name: m.name, share, matchKey: matchKey(m.match), match: m.match })),
    { name: 'other users', share: 1 - share * matches.length },
  ];
}

/** A match in words: `x-canary: insider`, `cookie ~ plan=beta`. */
function describeMatch(match: any): string | undefined {
  if (Array.isArray(match)) {
    return match.map((m: any) => `${m.headerName}: ${m.headerValue?.exact ?? m.headerValue?.prefix ?? m.headerValue?.regex ?? ''}`).join(' or ');
  }
  const headers = Object.entries<any>(match?.headers ?? {});
  if (headers.length === 0) return undefined;
  return headers.map(([name, value]) => `${name}${value.exact !== undefined ? `: ${value.exact}` : ` ~ ${value.regex ?? value.prefix ?? value.suffix}`}`).join(' and ');
}

/** What one rehearsal run did. */
export interface RunResult {
  readonly scenario: string;
  readonly seed: number;
  readonly outcome: RunOutcome;
  /** Seconds from the new revision. */
  readonly endedAt: number;
  readonly reason: string;
  /** When all traffic went to the new version. */
  readonly promotedAt?: number;
  /** When users first reached the new version. */
  readonly firstTrafficAt?: number;
  /** When a check that counts first failed. */
  readonly firstFailureAt?: number;
  /** The highest weight the controller gave the new version before the end (100 once promoted). */
  readonly maxWeight: number;
  /** The weight in force when the run ended (before a rollback reset it). */
  readonly weightAtEnd: number;
  /** Users' requests the new version answered, and how many of them failed. */
  readonly servedByNew: { readonly requests: number; readonly errors: number };
  readonly timeline: TimelineEntry[];
  readonly notes: string[];
  /** Seconds of the TSDB the run used (its warm-up and its length). */
  readonly spanSeconds: number;
  /** The controller's own weight at the end (Flagger's canary weight, 0 for A/B; Argo's setWeight; blue/green 0 or 100). */
  readonly controllerWeightAtEnd: number;
  /** Requests per second the new version received at the first weight it was given (users and load tests), when it got any. */
  readonly firstExposureRate?: number;
  /** What made up that rate: the users', and the load test's (its own rate, and the share of it that reached the new version). */
  readonly firstExposure?: Exposure;
}

/** The requests per second reaching the new version at its first measurement, by where they come from. */
export interface Exposure {
  /** Requests per second to the new version, averaged over the load tests' on and off times. */
  readonly rate: number;
  /** The users' part of `rate`. */
  readonly usersRate: number;
  /** The share of the users' requests that reached the new version (the weight, for a canary). */
  readonly usersShare: number;
  /** The load test with the largest part of `rate`: its own rate while it runs, the share of it that reaches the new version, and the share of the time it runs. */
  readonly load?: { readonly requestsPerSecond: number; readonly shareToNew: number; readonly dutyCycle: number };
}

export interface RunOptions {
  readonly release: Release;
  readonly scenario: Scenario;
  readonly seed: number;
  readonly prometheus: PrometheusServer;
  /** Unix time (ms) of the start of the run's slot in the Prometheus TSDB. */
  readonly slotStartMs: number;
  /** The longest a run may last before it counts as stuck, seconds. */
  readonly maxSeconds: number;
  readonly segmentShare: number;
}

/**
 * Seconds of traffic before the new revision, so that the stable version's series have a history
 * as long as the longest range a query reads (and two scrapes more).
 */
export function warmupSeconds(queries: string[], scrapeInterval: number): number {
  const ranges = queries.flatMap((q) => [...q.matchAll(/\[\s*((?:\d+(?:ms|s|m|h|d|w|y))+)\s*(?::[^\]]*)?\]/g)].map((m) => parseGoDuration(m[1].replace(/(\d+)d/g, (_, d) => `${Number(d) * 24}h`)) ?? 60));
  return Math.ceil(Math.max(60, ...ranges) + 2 * scrapeInterval);
}

/** The controller model for a release. */
export function modelOf(release: Release): ControllerModel & { queriesOf(): string[] } {
  if (release.engine === 'flagger') {
    const model = new FlaggerModel(release);
    return Object.assign(model, { queriesOf: () => model.queries().flatMap((q) => (q.query ? [q.query] : [])) });
  }
  const model = new ArgoRolloutModel(release);
  return Object.assign(model, { queriesOf: () => model.queries() });
}

/**
 * One rehearsal run: the controller model acts at its times; before each, the traffic up to that
 * moment is drawn and written to the real Prometheus, so every query it sends is evaluated by
 * Prometheus's engine on the series the routers would have exported.
 */
export async function rehearseRun(options: RunOptions): Promise<RunResult> {
  const { release, scenario } = options;
  const random = new Random(options.seed * 7919 + hash(`${release.namespace}/${release.name}/${scenario.name}`));
  const topology = new Topology(release);
  const model = modelOf(release);
  const queries = model.queriesOf();
  const replicas = release.engine === 'argo-rollouts'
    ? release.controllerObject.spec?.replicas ?? release.autoscaler?.spec?.minReplicas ?? 1
    : release.autoscaler?.spec?.minReplicas ?? release.workload?.spec?.replicas ?? 1;
  const warmup = warmupSeconds(queries, release.scrapeIntervalSeconds);
  const epochMs = options.slotStartMs + warmup * 1000;
  const probePeriods = ['readinessProbe', 'livenessProbe']
    .map((probe) => release.podTemplate?.spec?.containers?.[0]?.[probe])
    .filter((p) => p?.httpGet)
    .map((p) => p.periodSeconds ?? 10);
  const generator = new TrafficGenerator(topology, scenario.behaviour, random, seriesFilter(queries), release.scrapeIntervalSeconds, epochMs, -warmup,
    { ...INITIAL_ROUTING, stablePods: replicas }, probePeriods);

  const segments = segmentsOf(release, options.segmentShare);
  const usersEntry = topology.usersEntry();
  for (const segment of segments) {
    const source: TrafficSource = {
      id: `users/${segment.name}`,
      entry: usersEntry,
      request: { headers: {}, matchKey: segment.matchKey },
      segment: segment.name,
      users: true,
      rate: (t) => scenario.usersPerSecond(t) * segment.share,
    };
    generator.run(source, Infinity);
  }

  const timeline: TimelineEntry[] = [];
  const notes = new Set<string>(topology.notes);
  let now = -warmup;
  let firstTrafficAt: number | undefined;
  let maxWeight = 0;
  let weight = 0;
  const usersShareToNew = (state: RoutingState): number => {
    let share = 0;
    for (const segment of segments) {
      for (const flow of topology.flows(usersEntry, { headers: {}, matchKey: segment.matchKey }, state)) {
        if (flow.group && topology.isNew(flow.group, state) && !flow.mirrored) share += segment.share * flow.share;
      }
    }
    return share;
  };
  const observe = (state: RoutingState) => {
    const share = usersShareToNew(state);
    if (share > 0 && firstTrafficAt === undefined) firstTrafficAt = now;
    if (!model.outcome) {
      const promoted = state.primaryIsNew || state.stableIsNew;
      weight = promoted ? 100 : Math.max(state.canaryWeight, Math.round(share * 1000) / 10, state.activeIsNew ? 100 : 0);
      maxWeight = Math.max(maxWeight, weight);
    }
  };

  let firstExposure: Exposure | undefined;
  /** Of each load test: the share of the time it runs (`hey -z 8s` called every 10s runs 8 s of 10). */
  const dutyCycles = new Map<string, number>();
  /** Requests per second reaching the new version now: the users' share and every running load test's (averaged over its duty cycle). */
  const exposure = (): Exposure => {
    const state = generator.routing;
    let rate = 0;
    let usersRate = 0;
    let load: Exposure['load'];
    for (const source of generator.activeSources()) {
      let share = 0;
      for (const flow of topology.flows(source.entry, source.request, state)) {
        if (flow.group && topology.isNew(flow.group, state)) share += flow.share;
      }
      const duty = source.users ? 1 : dutyCycles.get(source.id) ?? 1;
      const part = source.rate(now) * share * duty;
      rate += part;
      if (source.users) {
        usersRate += part;
      } else if (!load || part > load.requestsPerSecond * load.shareToNew * load.dutyCycle) {
        load = { requestsPerSecond: source.rate(now), shareToNew: share, dutyCycle: duty };
      }
    }
    return { rate, usersRate, usersShare: usersShareToNew(state), load };
  };

  const env: ControllerEnv = {
    get now() {
      return now;
    },
    get routing() {
      return generator.routing;
    },
    route(change) {
      const next = { ...generator.routing, ...change };
      generator.route(next);
      observe(next);
    },
    query(expr: string): Promise<QueryResult> {
      if (firstExposure === undefined && generator.routing.newPods > 0) firstExposure = exposure();
      return options.prometheus.query(expr, epochMs / 1000 + now);
    },
    startLoad(key, command, seconds) {
      const load = parseLoadCommand(command, release);
      if (!load) return 'unknown';
      if (load.note) notes.add(load.note);
      if (generator.running(key)) return 'skipped';
      const duration = seconds ?? load.durationSeconds ?? 60;
      // A command the controller calls at each tick runs for its duration, then rests until the next call.
      const interval = (model as { intervalSeconds?: number }).intervalSeconds;
      dutyCycles.set(key, interval !== undefined && seconds === undefined ? Math.min(1, duration / interval) : 1);
      // A load test that carries a segment's header is that segment's request to the versions too.
      const segment = segments.find((s) => s.match !== undefined && satisfies({ headers: load.headers }, s.match))?.name;
      const source = { id: key, entry: load.entry, request: { headers: load.headers }, segment, users: false, rate: () => load.requestsPerSecond };
      generator.run(source, now + duration);
      return 'started';
    },
    runTest() {
      if (scenario.testsPass) return true;
      const answering = scenario.behaviour(true, undefined, now);
      return random.uniform() >= answering.errorRate;
    },
    approvalAt(_gate, since) {
      return scenario.person.approvesAfterSeconds === undefined ? undefined : since + scenario.person.approvesAfterSeconds;
    },
    readyAt(since) {
      return scenario.crashes ? undefined : since + scenario.podStartSeconds;
    },
    replicas,
    record(entry) {
      timeline.push(entry);
    },
  };

  let controllerWeight = 0;
  for (let guard = 0; guard < 100_000; guard++) {
    const next = model.nextWakeUp();
    if (!Number.isFinite(next) || next > options.maxSeconds) break;
    const target = Math.max(now, next);
    await options.prometheus.write(generator.advanceTo(target));
    now = target;
    controllerWeight = model.weight;
    await model.act(env);
    if (model.outcome) break;
    controllerWeight = model.weight;
  }
  const outcome: RunOutcome = model.outcome ?? 'stuck';
  const endedAt = model.endedAt ?? Math.min(options.maxSeconds, Math.max(now, model.nextWakeUp()));
  if (!model.outcome && endedAt > now) {
    // Nobody acts any more (a pause no person ends), but the routes stay and the users keep coming
    // (Argo keeps the current setWeight, rollout/trafficrouting.go:260-265): the traffic runs to the end
    // of the horizon. No query reads it, so it is not written to Prometheus.
    generator.advanceTo(endedAt);
    now = endedAt;
  }
  model.notes.forEach((n) => notes.add(n));
  return {
    scenario: scenario.name,
    seed: options.seed,
    outcome,
    endedAt,
    reason: model.reason ?? stuckReason(timeline, options.maxSeconds),
    promotedAt: model.promotedAt,
    firstTrafficAt,
    firstFailureAt: model.firstFailureAt,
    maxWeight,
    weightAtEnd: weight,
    servedByNew: { ...generator.servedByNew },
    timeline,
    notes: [...notes],
    spanSeconds: warmup + endedAt,
    controllerWeightAtEnd: model.outcome === 'promoted' ? 100 : controllerWeight,
    firstExposureRate: firstExposure?.rate,
    firstExposure,
  };
}

function stuckReason(timeline: TimelineEntry[], maxSeconds: number): string {
  const last = timeline[timeline.length - 1];
  return `neither promoted nor rolled back within ${Math.round(maxSeconds / 60)} minutes${last ? `; last: ${last.event}` : ''}`;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0; // eslint-disable-line no-bitwise
  }
  return h;
}

/** The checks of a timeline, flattened with their times. */
export function checksOf(timeline: TimelineEntry[]): (CheckResult & { t: number })[] {
  return timeline.flatMap((e) => e.checks.map((c) => ({ ...c, t: e.t })));
}
