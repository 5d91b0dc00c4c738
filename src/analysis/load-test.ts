import { Duration } from 'cdk8s';

/** The program that generates load (both ship in Flagger's loadtester image). */
export enum LoadTool {
  /** `hey`, for HTTP services. */
  HEY = 'HEY',
  /** `ghz`, for gRPC services (needs `grpcCall`; uses server reflection). */
  GHZ = 'GHZ',
}

/**
 * Options for `CanaryWebhook.loadTest()`. Give either `command` (a command of your own) or the typed
 * options, from which the command is built for the router in use, so that the load reaches the
 * place where the router measures it.
 */
export interface LoadTestOptions {
  /**
   * Name of the webhook, unique within the analysis.
   *
   * @default 'load-test'
   */
  readonly name?: string;
  /**
   * A command of your own instead of the typed options. It is checked against the router: a command
   * that calls the service's own Services while the router measures at the ingress is rejected,
   * because the router would never see that traffic.
   *
   * @default - built from the typed options and the router
   */
  readonly command?: string;
  /**
   * Requests per second, in total over all workers.
   *
   * @default 10
   */
  readonly requestsPerSecond?: number;
  /**
   * Concurrent workers.
   *
   * @default 2
   */
  readonly concurrency?: number;
  /**
   * How long one run of the load lasts. The engine repeats it so that every check has requests to
   * measure (Flagger: at every interval; Argo Rollouts: a Job after another).
   *
   * @default - Flagger: the analysis interval less 10 % (at least 2 s less), so that each run ends
   * before the next interval starts the next one; Argo Rollouts: the analysis interval, at least 1 minute
   */
  readonly duration?: Duration;
  /**
   * Path requested, after the router's path prefix.
   *
   * @default '/'
   */
  readonly path?: string;
  /**
   * The load generator.
   *
   * @default LoadTool.HEY
   */
  readonly tool?: LoadTool;
  /**
   * The gRPC method `ghz` calls, e.g. `grpc.health.v1.Health/Check` (required with `LoadTool.GHZ`).
   *
   * @default - none
   */
  readonly grpcCall?: string;
  /**
   * How long Flagger waits for the loadtester to accept the command.
   *
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;
}

/** The typed part of a load test: what is generated, not where it goes (the router decides that). */
export interface LoadGeneration {
  /** Requests per second in total. */
  readonly requestsPerSecond: number;
  /** Concurrent workers. */
  readonly concurrency: number;
  /**
   * How long one run lasts.
   *
   * @default - chosen by the engine
   */
  readonly duration?: Duration;
  /** Path requested, after the router's path prefix. */
  readonly path: string;
  /** The load generator. */
  readonly tool: LoadTool;
  /**
   * The gRPC method, with `LoadTool.GHZ`.
   *
   * @default - none
   */
  readonly grpcCall?: string;
}

/** Pods a load generator must be allowed to reach (the egress rules of its NetworkPolicy). */
export interface LoadEgress {
  /** Namespace of the pods. */
  readonly namespace: string;
  /**
   * Labels the pods have; all must match.
   *
   * @default - every pod of the namespace
   */
  readonly podLabels?: { [key: string]: string };
  /**
   * Values of one label, any of which selects a pod (e.g. a canary and its primary).
   *
   * @default - no such condition
   */
  readonly podLabelIn?: LabelValues;
  /** The pods' container ports (NetworkPolicies see the port after a Service's translation). */
  readonly ports: number[];
}

/** One label and the values it may have. */
export interface LabelValues {
  /** The label key. */
  readonly key: string;
  /** The values. */
  readonly values: string[];
}

/**
 * Where the version the new one is compared with is reached, when the load target reaches the new
 * version alone: a comparison (`CanaryMetric.compareToPrimary()`) needs requests to both versions.
 */
export interface LoadBaseline {
  /** Base URL, as `LoadTarget.url`, e.g. `http://podinfo-primary.test:80`. */
  readonly url: string;
  /** What the load generator must be allowed to reach besides the target's pods. */
  readonly egress: LoadEgress[];
}

/** Where load must go for a router to measure it. */
export interface LoadTarget {
  /**
   * Base URL the load generator calls: scheme, host and port, without a path, e.g.
   * `http://traefik.traefik:80` or `http://podinfo-canary.test:80`.
   *
   * @default - the router cannot tell (`urlUnknown` says why): typed load tests are rejected
   */
  readonly url?: string;
  /**
   * Why the router cannot tell the URL, and what to do instead.
   *
   * @default - the URL is known
   */
  readonly urlUnknown?: string;
  /**
   * The Host header (and TLS server name) to send, when the router routes by host.
   *
   * @default - the URL's host
   */
  readonly host?: string;
  /**
   * Path prefix the router routes; the load test's path is appended to it.
   *
   * @default - none
   */
  readonly pathPrefix?: string;
  /**
   * Headers every request carries, so that the router sends it where it is measured (e.g. the
   * segment of an A/B test, when the load passes through the router).
   *
   * @default - none
   */
  readonly headers?: { [name: string]: string };
  /**
   * Query string every request carries (without `?`), for segments matched by query parameter.
   *
   * @default - none
   */
  readonly query?: string;
  /** Whether the router measures at the ingress (load must pass through it) rather than at the pods. */
  readonly measuredAtIngress: boolean;
  /**
   * Where the compared version is reached, when `url` reaches the new version alone. When the
   * analysis compares the versions and no live traffic is declared, a typed load test sends the same
   * load there as well, so that both versions have requests in every window.
   *
   * @default - `url` reaches both versions by their weights, or no comparison needs it
   */
  readonly baseline?: LoadBaseline;
  /**
   * Services a load test must not call directly, because the router would not measure that traffic.
   *
   * @default - none
   */
  readonly bypassedServices?: string[];
  /** Why load must go to `url`, in one sentence (used in messages). */
  readonly reason: string;
  /** What the load generator must be allowed to reach. */
  readonly egress: LoadEgress[];
  /**
   * Paths the checks leave out (the application's own metrics: the probes' and the scrape path),
   * so a load test on them measures nothing.
   *
   * @default - every path is measured
   */
  readonly unmeasuredPaths?: string[];
}
