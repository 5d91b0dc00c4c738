import { ControllerEnv, ControllerModel, TimelineEntry } from '../../src/rehearsal/controller';
import { QueryResult } from '../../src/rehearsal/prometheus/server';
import { INITIAL_ROUTING, RoutingState } from '../../src/rehearsal/traffic/topology';

/** What a fake cluster answers: queries by time and text, tests, a person, pod readiness. */
export interface FakeCluster {
  /** The answer to a query at a time (seconds from the new revision). */
  readonly query?: (t: number, expr: string) => QueryResult;
  readonly testsPass?: boolean;
  /** Seconds a person takes to open a gate; undefined: never. */
  readonly approveAfter?: number;
  /** Seconds the new pods take to be ready; undefined: never. */
  readonly readyAfter?: number;
}

/** A vector with one sample. */
export const value = (v: number): QueryResult => ({ resultType: 'vector', samples: [{ labels: {}, value: v }] });
/** An empty vector. */
export const empty: QueryResult = { resultType: 'vector', samples: [] };

/** Drives a model in a fake cluster until it ends or `until` seconds; returns the timeline and the queries it sent. */
export async function drive(
  model: ControllerModel, cluster: FakeCluster, until = 7200,
): Promise<{ timeline: TimelineEntry[]; queries: { t: number; expr: string }[]; routing: RoutingState[] }> {
  const timeline: TimelineEntry[] = [];
  const queries: { t: number; expr: string }[] = [];
  const routing: RoutingState[] = [];
  let now = 0;
  let state: RoutingState = { ...INITIAL_ROUTING, stablePods: 2 };
  const env: ControllerEnv = {
    get now() { return now; },
    get routing() { return state; },
    replicas: 2,
    route(change) {
      state = { ...state, ...change };
      routing.push(state);
    },
    async query(expr) {
      queries.push({ t: now, expr });
      return cluster.query ? cluster.query(now, expr) : value(100);
    },
    startLoad: () => 'started',
    runTest: () => cluster.testsPass ?? true,
    approvalAt: (_gate, since) => (cluster.approveAfter === undefined ? undefined : since + cluster.approveAfter),
    readyAt: (since) => (cluster.readyAfter === undefined && 'readyAfter' in cluster ? undefined : since + (cluster.readyAfter ?? 0)),
    record: (entry) => timeline.push(entry),
  };
  for (let i = 0; i < 10_000 && !model.outcome; i++) {
    const next = model.nextWakeUp();
    if (!Number.isFinite(next) || next > until) break;
    now = Math.max(now, next);
    await model.act(env);
  }
  return { timeline, queries, routing };
}
