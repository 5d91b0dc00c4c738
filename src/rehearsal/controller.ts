import { QueryResult } from './prometheus/server';
import { RoutingState } from './traffic/topology';

/** A check's verdict at one evaluation. */
export type Verdict = 'pass' | 'fail' | 'no values' | 'error' | 'inconclusive' | 'not run' | 'not evaluated';

/** One check (a metric, a test, a gate) at one evaluation. */
export interface CheckResult {
  readonly name: string;
  /** The value the controller read, when there was one. */
  readonly value?: number;
  readonly verdict: Verdict;
  /** Why, in a few words (the bound it was held to, the error). */
  readonly detail?: string;
  /** The query as the controller sent it (Prometheus checks). */
  readonly query?: string;
  /** Dry-run metrics (Argo) count for nothing. */
  readonly dryRun?: boolean;
}

/** Something the controller did or saw at a time. */
export interface TimelineEntry {
  /** Seconds from the moment the controller sees the new revision. */
  readonly t: number;
  /** The new version's share of the traffic then, in percent. */
  readonly weight: number;
  /** What happened, in a few words. */
  readonly event: string;
  readonly checks: CheckResult[];
  /** A gate waiting for a person. */
  readonly gate?: string;
}

/** How a rehearsal run ended. */
export type RunOutcome = 'promoted' | 'rolled back' | 'stuck';

/** What a controller model can do and see: the simulated cluster around it. */
export interface ControllerEnv {
  /** Seconds since the controller saw the new revision. */
  readonly now: number;
  readonly routing: RoutingState;
  /** How many pods the new version gets at full size. */
  readonly replicas: number;
  /** Changes the routing from now on. */
  route(change: Partial<RoutingState>): void;
  /** An instant query at `now` against the rehearsal's Prometheus. */
  query(expr: string): Promise<QueryResult>;
  /**
   * Starts a load test command (a Flagger `cmd` webhook or an Argo load Job) for `seconds` (its own
   * duration when undefined). `skipped` when the same command still runs (the loadtester drops the
   * call); `unknown` when the command is not a load generator the rehearsal knows.
   */
  startLoad(key: string, command: string, seconds?: number): 'started' | 'skipped' | 'unknown';
  /** An acceptance test against the new version: it passes when the version answers its request well. */
  runTest(name: string): boolean;
  /** When the person opens a gate that has waited since `since`; undefined: never. */
  approvalAt(gate: string, since: number): number | undefined;
  /** When the new version's pods, scaled up at `since`, are ready; undefined: never (they crash). */
  readyAt(since: number): number | undefined;
  record(entry: TimelineEntry): void;
}

/** A controller's state machine, driven by the rehearsal. */
export interface ControllerModel {
  /** How the release ended, once it has. */
  readonly outcome?: RunOutcome;
  /** When it ended. */
  readonly endedAt?: number;
  /** Why it ended, in a sentence. */
  readonly reason?: string;
  /** When the analysis first failed a check that counts (for time to detection). */
  readonly firstFailureAt?: number;
  /** When all traffic went to the new version for good. */
  readonly promotedAt?: number;
  /** Notes on what the rehearsal could not evaluate. */
  readonly notes: string[];
  /** The controller's own weight for the new version now (Flagger's canary weight, 0 in an A/B test; Argo's setWeight; 0 or 100 in blue/green). */
  readonly weight: number;
  /** When the controller acts next (seconds since the new revision), given what happened so far. */
  nextWakeUp(): number;
  /** Acts at `env.now`. */
  act(env: ControllerEnv): Promise<void>;
}
