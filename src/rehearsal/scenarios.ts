import { Answering, HEALTHY } from './traffic/behaviour';

/** A built-in scenario's name. */
export type ScenarioName = 'healthy' | 'error-rate' | 'latency' | 'crash' | 'slow-degradation' | 'one-segment' | 'night' | 'broken';

/** Who is in front of a gate during a rehearsal: approves after a delay, or never. */
export interface Person {
  /** Seconds a gate waits before the person opens it; undefined: never. */
  readonly approvesAfterSeconds?: number;
}

/** What a rehearsal run assumes about the release: traffic, the new version's behaviour, the person. */
export interface Scenario {
  readonly name: ScenarioName;
  readonly description: string;
  /** Whether the new version is bad (it should be stopped) or healthy (it should be promoted). */
  readonly bad: boolean;
  /** User requests per second, at a time. */
  readonly usersPerSecond: (t: number) => number;
  /** How a version answers a segment's requests at a time. */
  readonly behaviour: (isNew: boolean, segment: string | undefined, t: number) => Answering;
  /** Whether the new version's pods never become ready. */
  readonly crashes: boolean;
  /** Seconds the new version's pods take to become ready. */
  readonly podStartSeconds: number;
  /** Whether acceptance tests pass against the new version whatever it does to users (they test a function the regression does not touch). */
  readonly testsPass: boolean;
  readonly person: Person;
}

/** The knobs of the built-in scenarios. */
export interface ScenarioOptions {
  /** User requests per second (the declared traffic, else 10). */
  readonly usersPerSecond: number;
  readonly person: Person;
  /** Share of the users in each segment a route matches (A/B, phases), 0-1. */
  readonly segmentShare: number;
  /** The segment that fails in `one-segment`: the last matched segment, or a group of users without a route of its own. */
  readonly failingSegment: string;
}

/** The segment of users the rehearsal fails when a release routes no segment of its own. */
export const CLIENT_GROUP = 'one client group (20 % of users)';
/** Its share of the users. */
export const CLIENT_GROUP_SHARE = 0.2;

/** Errors of a bad version: 5 % of requests fail (a 99 % success-rate check must stop it). */
export const ERROR_REGRESSION = 0.05;

export const SCENARIO_NAMES: ScenarioName[] = ['healthy', 'error-rate', 'latency', 'crash', 'slow-degradation', 'one-segment', 'night', 'broken'];

/** The built-in scenarios, with the release's traffic and person. */
export function builtInScenario(name: ScenarioName, options: ScenarioOptions): Scenario {
  const users = () => options.usersPerSecond;
  const base = { usersPerSecond: users, crashes: false, podStartSeconds: 0, person: options.person, testsPass: false };
  const healthy = () => HEALTHY;
  switch (name) {
    case 'healthy':
      return { ...base, name, bad: false, description: 'the new version behaves as the stable one', behaviour: healthy };
    case 'error-rate':
      return {
        ...base,
        name,
        bad: true,
        description: `the new version fails ${ERROR_REGRESSION * 100} % of requests from its first one`,
        behaviour: (isNew) => (isNew ? { ...HEALTHY, errorRate: ERROR_REGRESSION } : HEALTHY),
      };
    case 'latency':
      return {
        ...base,
        name,
        bad: true,
        description: 'the new version is slow: median 250 ms, P99 1 s',
        behaviour: (isNew) => (isNew ? { ...HEALTHY, medianSeconds: 0.25, p99Seconds: 1 } : HEALTHY),
      };
    case 'crash':
      return { ...base, name, bad: true, crashes: true, description: 'the new version crashes: its pods never become ready', behaviour: healthy };
    case 'slow-degradation':
      return {
        ...base,
        name,
        bad: true,
        description: 'the new version degrades: its errors grow from 0.1 % to 10 % over 10 minutes',
        behaviour: (isNew, _segment, t) => (isNew
          ? { ...HEALTHY, errorRate: Math.min(0.1, HEALTHY.errorRate + (Math.max(0, t) * (0.1 - HEALTHY.errorRate)) / 600) }
          : HEALTHY),
      };
    case 'one-segment':
      return {
        ...base,
        name,
        bad: true,
        description: `the new version fails half the requests of ${options.failingSegment}, and no one else's`,
        behaviour: (isNew, segment) => (isNew && segment === options.failingSegment ? { ...HEALTHY, errorRate: 0.5 } : HEALTHY),
      };
    case 'broken':
      return {
        ...base,
        name,
        bad: true,
        testsPass: true,
        description: "the plan's bad canary: every check fails from its first measurement (half the requests fail, P99 3 s), though the acceptance tests pass",
        behaviour: (isNew) => (isNew ? { ...HEALTHY, errorRate: 0.5, medianSeconds: 1, p99Seconds: 3 } : HEALTHY),
      };
    case 'night':
      return { ...base, name, bad: false, usersPerSecond: () => 0, description: 'no user traffic (at night): only the load test reaches the new version', behaviour: healthy };
  }
}
