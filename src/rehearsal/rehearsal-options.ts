import { Duration } from 'cdk8s';

/**
 * What a release's rehearsal must show (`npx cdk8s-canary rehearse`, `Rehearsal.ofApp()`). They are
 * written as annotations on the Canary or Rollout (`rehearsal.cdk8s-canary.dev/...`), so a
 * hand-written manifest can state them too. Whatever is stated, a rehearsal fails when a healthy
 * release is rolled back or stuck, or a bad one is promoted, unless the rates below allow it.
 */
export interface RehearsalExpectations {
  /**
   * User requests per second the service gets while a release runs: the scenarios' traffic.
   *
   * @default 10
   */
  readonly usersPerSecond?: number;
  /**
   * A bad version is stopped within this time of its first user request, in every bad scenario.
   *
   * @default - any time, as long as it is not promoted
   */
  readonly stopsBadWithin?: Duration;
  /**
   * A bad version never gets more than this share of the traffic, in percent.
   *
   * @default 100
   */
  readonly maxBadWeight?: number;
  /**
   * At most this share of the healthy releases (healthy, night) is rolled back, in percent.
   *
   * @default 0
   */
  readonly maxFalseAlarmPercent?: number;
  /**
   * At most this share of the bad releases is promoted, in percent.
   *
   * @default 0
   */
  readonly maxMissPercent?: number;
  /**
   * Releases run only while users send requests (e.g. checks that compare the canary with the
   * primary need the primary's traffic): the night scenario is not rehearsed.
   *
   * @default false
   */
  readonly requiresUserTraffic?: boolean;
}

/** How to rehearse. */
export interface RehearsalOptions {
  /**
   * Runs per scenario, each with its own seed: a whole number from 1 to 1000.
   *
   * @default 5
   */
  readonly seeds?: number;
  /**
   * The built-in scenarios to run, by name: `healthy`, `error-rate`, `latency`, `crash`,
   * `slow-degradation`, `one-segment`, `night`, `broken`.
   *
   * @default - all of them
   */
  readonly scenarios?: string[];
  /**
   * User requests per second, for every release.
   *
   * @default - what each release states (`RehearsalExpectations.usersPerSecond`), else 10
   */
  readonly usersPerSecond?: number;
  /**
   * How long the person at a gate (a confirm webhook, an indefinite pause) takes to open it.
   *
   * @default Duration.seconds(0)
   */
  readonly approveAfter?: Duration;
  /**
   * The person never opens a gate (not with `approveAfter`).
   *
   * @default false
   */
  readonly neverApprove?: boolean;
  /**
   * Prometheus servers run side by side: a whole number from 1 to 16.
   *
   * @default 2
   */
  readonly parallelism?: number;
  /**
   * The longest a run may last (in the rehearsal's time) before it counts as stuck.
   *
   * @default Duration.hours(1)
   */
  readonly maxDuration?: Duration;
  /**
   * Flagger's `-mesh-provider` flag (the Helm chart's `meshProvider`): the provider of a Canary
   * that sets no `spec.provider`, e.g. `traefik`, `gatewayapi:v1`, `kubernetes`.
   *
   * @default 'istio' (Flagger's own default)
   */
  readonly meshProvider?: string;
  /**
   * The label the platform's Prometheus enforces on the series of the services' PodMonitors
   * (`enforcedNamespaceLabel` of the Prometheus Operator), e.g. `namespace`: the rehearsal writes
   * the series with that label set to the service's namespace, as that Prometheus stores them. Only
   * for manifests (`Rehearsal.ofManifests`): an app's CanaryServices say it themselves
   * (`Prometheus.operator()`), and that wins.
   *
   * @default - no enforced label, said in the report's assumptions when a release has PodMonitors
   */
  readonly enforcedNamespaceLabel?: string;
}
