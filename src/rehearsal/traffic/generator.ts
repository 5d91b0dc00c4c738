import { Answering, latencyShares } from './behaviour';
import { Random } from './random';
import { ALL_BOUNDS, Outcome, SeriesFamily, appFamily, istioFamily, monitoredTargetLabels, podTargetLabels, traefikFamily } from './shapes';
import { Entry, Flow, RequestIdentity, RoutingState, Topology } from './topology';
import { WriteSeries } from '../prometheus/remote-write';

/** A stream of requests: the users (or one segment of them), or a load test. */
export interface TrafficSource {
  readonly id: string;
  readonly entry: Entry;
  readonly request: RequestIdentity;
  /** The user segment, for the versions' behaviour; undefined for a load test. */
  readonly segment?: string;
  /** Whether its requests are users' (they count as users who saw a version). */
  readonly users: boolean;
  /** Requests per second at a time (seconds from the release's start), when active. */
  readonly rate: (t: number) => number;
}

/** How a version answers a segment's requests at a time; `isNew` tells the new version from the one before. */
export type BehaviourOf = (isNew: boolean, segment: string | undefined, t: number) => Answering;

/** Requests the users sent that one version answered. */
export interface Served {
  requests: number;
  errors: number;
}

interface Series {
  readonly labels: { [name: string]: string };
  value: number;
  samples: [number, number][];
  /** The pod group whose pods export it (they go away with the pods); undefined for a proxy's series. */
  readonly group?: string;
}

interface FamilyCounters {
  readonly counter?: Series;
  readonly buckets: { series: Series; bound: number }[];
  readonly count: Series;
  readonly sum: Series;
  readonly unit: number;
}

/** The outcomes of a batch of requests: counts per latency interval (ALL_BOUNDS, and above) for each outcome. */
interface Batch {
  readonly outcome: Outcome;
  readonly perInterval: number[];
  readonly total: number;
  readonly sumSeconds: number;
}

/** A sample value that the remote-write encoder writes as Prometheus's staleness marker (a pod's series end). */
export const STALE = Number.NaN;

const INTERVAL_MIDPOINTS = ALL_BOUNDS.map((bound, i) => (i === 0 ? bound / 2 : (ALL_BOUNDS[i - 1] + bound) / 2))
  .concat([ALL_BOUNDS[ALL_BOUNDS.length - 1] * 1.5]);

/**
 * The requests of one rehearsal run as the routers and applications count them: between two
 * scrapes every source's requests are drawn (Poisson for how many, binomial for how they end,
 * multinomial for their latencies), split by the routing in force, and added to the counters of
 * every hop that records them; at each scrape every live series gets a sample, as a scrape of the
 * router, gateway and pods would give. Only series some query can read are kept (`wanted`).
 */
export class TrafficGenerator {
  private readonly series = new Map<string, Series>();
  private readonly families = new Map<string, FamilyCounters | null>();
  private state: RoutingState;
  private integratedTo: number;
  private nextScrape: number;
  private readonly active = new Map<string, { source: TrafficSource; until: number }>();
  private readonly flowCache = new Map<string, Flow[]>();
  /** Users' requests answered by the new version (not mirrored copies). */
  public readonly servedByNew: Served = { requests: 0, errors: 0 };
  /** Every request the new version answered, by source (users and load tests). */
  public readonly newVersionRequests = new Map<string, number>();

  constructor(
    private readonly topology: Topology,
    private readonly behaviour: BehaviourOf,
    private readonly random: Random,
    private readonly wanted: (labels: { [name: string]: string }) => boolean,
    /** Scrape interval, seconds. */
    private readonly scrapeInterval: number,
    /** Unix time (ms) of the release's start. */
    private readonly epochMs: number,
    start: number,
    initial: RoutingState,
    /** Readiness and liveness probe periods of the pods, seconds. */
    private readonly probePeriods: number[],
  ) {
    this.state = initial;
    this.integratedTo = start;
    // A random phase: scrapes do not line up with the controller's ticks.
    this.nextScrape = start + random.uniform() * scrapeInterval;
  }

  /** Requests of `source` from now until `until` (seconds); a later call for the same id extends or restarts it. */
  public run(source: TrafficSource, until: number): void {
    this.active.set(source.id, { source, until });
  }

  /** Whether a source is running at the time the traffic was last advanced to. */
  public running(id: string): boolean {
    const entry = this.active.get(id);
    return entry !== undefined && entry.until > this.integratedTo;
  }

  /** The sources running at the time the traffic was last advanced to. */
  public activeSources(): TrafficSource[] {
    return [...this.active.values()].filter((a) => a.until > this.integratedTo).map((a) => a.source);
  }

  /** The routing from now on. */
  public route(state: RoutingState): void {
    this.state = state;
  }

  public get routing(): RoutingState {
    return this.state;
  }

  /**
   * Draws the requests up to `t` and returns the samples of the scrapes in between, to be written
   * before anything queries time `t`.
   */
  public advanceTo(t: number): WriteSeries[] {
    while (this.nextScrape <= t) {
      this.integrate(this.nextScrape);
      this.scrape(this.nextScrape);
      this.nextScrape += this.scrapeInterval;
    }
    this.integrate(t);
    const out: WriteSeries[] = [];
    for (const [key, s] of this.series) {
      if (s.samples.length === 0) continue;
      out.push({ labels: s.labels, samples: s.samples });
      s.samples = [];
      if (s.value !== s.value) this.series.delete(key);
    }
    return out;
  }

  private integrate(to: number): void {
    const from = this.integratedTo;
    if (to <= from) return;
    for (const { source, until } of this.active.values()) {
      const end = Math.min(to, until);
      if (end <= from) continue;
      const rate = source.rate(from);
      if (rate <= 0) continue;
      for (const flow of this.flowsOf(source)) {
        const mean = rate * flow.share * (end - from);
        const n = this.random.poisson(mean);
        if (n > 0) this.deliver(source, flow, n, from);
      }
    }
    this.probe(from, to);
    this.integratedTo = to;
  }

  private flowsOf(source: TrafficSource): Flow[] {
    const key = `${source.id}|${JSON.stringify(this.state)}`;
    let flows = this.flowCache.get(key);
    if (!flows) {
      flows = this.topology.flows(source.entry, source.request, this.state);
      if (this.flowCache.size > 10_000) this.flowCache.clear();
      this.flowCache.set(key, flows);
    }
    return flows;
  }

  /** `n` requests of a source along one flow: how they end, and every hop's counters. */
  private deliver(source: TrafficSource, flow: Flow, n: number, t: number): void {
    const group = flow.group;
    const isNew = group !== undefined && this.topology.isNew(group, this.state);
    const answering = this.behaviour(isNew, source.segment, t);
    const batches = this.draw(n, answering);
    if (isNew && !flow.mirrored) {
      this.newVersionRequests.set(source.id, (this.newVersionRequests.get(source.id) ?? 0) + n);
      if (source.users) {
        this.servedByNew.requests += n;
        const failed = batches.filter((b) => b.outcome.code >= 500 || (b.outcome.grpcStatus ?? 0) >= 13);
        this.servedByNew.errors += failed.reduce((sum, b) => sum + b.total, 0);
      }
    }
    for (const batch of batches) {
      if (batch.total === 0) continue;
      for (const observer of flow.observers) {
        if (observer.kind === 'traefik') {
          this.add(`t|${observer.service}|${batch.outcome.code}`, () => traefikFamily(observer.service, batch.outcome, this.topology.labelling), batch);
        } else if (group) {
          const destination = { pod: group.pod, service: flow.service, serviceNamespace: flow.serviceNamespace };
          this.add(`s|${observer.proxy.name}|${group.id}|${flow.service}|${batch.outcome.code}|${batch.outcome.grpcStatus}`,
            () => istioFamily('source', this.proxyTargetLabels(observer), observer.source, destination, batch.outcome), batch);
        }
      }
      if (!group) continue;
      if (group.injected) {
        const destination = { pod: group.pod, service: flow.service, serviceNamespace: flow.serviceNamespace };
        this.add(`d|${group.id}|${flow.service}|${flow.source.workload}|${batch.outcome.code}|${batch.outcome.grpcStatus}`,
          () => istioFamily('destination', monitoredTargetLabels(this.topology.labelling, 'pods', group.pod, 15020), flow.source, destination, batch.outcome), batch, group.id);
      }
      if (group.scraped && !this.topology.grpc) {
        this.add(`a|${group.id}|root|${batch.outcome.code}`, () => appFamily(group.pod, 'root', batch.outcome, this.topology.labelling), batch, group.id);
      }
    }
  }

  /** A proxy's target labels: a router's, scraped for the release; else the embedded Prometheus's job for it. */
  private proxyTargetLabels(observer: Extract<Flow['observers'][number], { kind: 'istio-source' }>): { [key: string]: string } {
    return observer.router ? monitoredTargetLabels(this.topology.labelling, 'router', observer.proxy, 15020) : podTargetLabels(observer.job, observer.proxy, 15020);
  }

  /** Probes and scrapes reach every pod's application without passing any router (the kubelet and Prometheus call the pod). */
  private probe(from: number, to: number): void {
    const seconds = to - from;
    for (const group of this.topology.groups) {
      const pods = this.topology.podsOf(group, this.state);
      if (pods === 0 || !group.scraped || this.topology.grpc) continue;
      const calls: [string, number][] = [
        ...this.probePeriods.map((period, i) => [i === 0 ? 'readyz' : 'healthz', (pods * seconds) / period] as [string, number]),
        ['metrics', (pods * seconds) / this.scrapeInterval],
      ];
      for (const [path, mean] of calls) {
        const n = this.random.poisson(mean);
        if (n === 0) continue;
        const perInterval = new Array(ALL_BOUNDS.length + 1).fill(0);
        perInterval[0] = n;
        this.add(`a|${group.id}|${path}|200`, () => appFamily(group.pod, path, { code: 200 }, this.topology.labelling), { outcome: { code: 200 }, perInterval, total: n, sumSeconds: n * 0.001 }, group.id);
      }
    }
  }

  /** How `n` requests end and how long they take. */
  private draw(n: number, answering: Answering): Batch[] {
    const grpc = this.topology.grpc;
    const outcomes: [Outcome, number][] = grpc
      ? [
        [{ code: 200, grpcStatus: 0 }, 1 - answering.errorRate - answering.notFoundRate],
        [{ code: 200, grpcStatus: 5 }, answering.notFoundRate],
        [{ code: 200, grpcStatus: 14 }, answering.errorRate],
      ]
      : [
        [{ code: 200 }, 1 - answering.errorRate - answering.notFoundRate],
        [{ code: 404 }, answering.notFoundRate],
        [{ code: 500 }, answering.errorRate],
      ];
    const possible = outcomes.filter(([, p]) => p > 0);
    const counts = this.random.multinomial(n, possible.map(([, p]) => p));
    const shares = latencyShares(answering, ALL_BOUNDS);
    return possible.map(([outcome], i) => {
      const perInterval = this.random.multinomial(counts[i], shares);
      const sumSeconds = perInterval.reduce((sum, k, j) => sum + k * INTERVAL_MIDPOINTS[j], 0);
      return { outcome, perInterval, total: counts[i], sumSeconds };
    });
  }

  private add(key: string, family: () => SeriesFamily, batch: Batch, group?: string): void {
    let counters = this.families.get(key);
    if (counters === undefined) {
      counters = this.createFamily(family(), group);
      this.families.set(key, counters);
    }
    if (counters === null) return;
    if (counters.counter) counters.counter.value += batch.total;
    counters.count.value += batch.total;
    counters.sum.value += batch.sumSeconds / counters.unit;
    let cumulative = 0;
    let interval = 0;
    for (const bucket of counters.buckets) {
      while (interval < ALL_BOUNDS.length && ALL_BOUNDS[interval] <= bucket.bound + 1e-12) {
        cumulative += batch.perInterval[interval];
        interval++;
      }
      bucket.series.value += bucket.bound === Infinity ? batch.total : cumulative;
    }
  }

  private createFamily(family: SeriesFamily, group?: string): FamilyCounters | null {
    const all = [family.counter, ...family.buckets.map((b) => b.labels), family.count, family.sum]
      .filter((l): l is { [name: string]: string } => l !== undefined);
    if (!all.some((labels) => this.wanted(labels))) return null;
    // A series no query reads is counted but never written.
    const make = (labels: { [name: string]: string }): Series => {
      if (!this.wanted(labels)) return { labels, value: 0, samples: [], group };
      const key = JSON.stringify(labels);
      let s = this.series.get(key);
      if (!s) {
        s = { labels, value: 0, samples: [], group };
        this.series.set(key, s);
      }
      return s;
    };
    return {
      counter: family.counter ? make(family.counter) : undefined,
      buckets: family.buckets.map((b) => ({ series: make(b.labels), bound: b.bound })),
      count: make(family.count),
      sum: make(family.sum),
      unit: family.unit,
    };
  }

  /** A scrape: every live series gets a sample; a pod that went away gets staleness markers, and its counters start over when pods come back. */
  private scrape(t: number): void {
    const ms = Math.round(this.epochMs + t * 1000);
    const goneGroups = new Set(this.topology.groups.filter((g) => this.topology.podsOf(g, this.state) === 0).map((g) => g.id));
    for (const s of this.series.values()) {
      if (s.group !== undefined && goneGroups.has(s.group)) {
        s.samples.push([ms, STALE]);
        s.value = STALE;
        continue;
      }
      s.samples.push([ms, s.value]);
    }
    for (const [key, family] of this.families) {
      if (family && family.count.value !== family.count.value) this.families.delete(key);
    }
  }
}
