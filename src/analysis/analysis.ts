import { Duration } from 'cdk8s';
import { CanaryAlert } from './alert';
import { CanaryMetric } from './metric';
import { RolloutStep } from './steps';
import { CanaryWebhook } from './webhook';

/** How the canary is analysed and how traffic shifts to it. Engine-neutral. */
export interface CanaryAnalysisOptions {
  /**
   * How often the checks run and traffic shifts (Flagger's `analysis.interval`). At least 10 seconds,
   * in whole seconds.
   *
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;
  /**
   * Failed checks after which the canary is rolled back.
   *
   * @default 5
   */
  readonly threshold?: number;
  /**
   * Highest percentage of traffic the canary gets before promotion (1-100).
   *
   * @default 50
   */
  readonly maxWeight?: number;
  /**
   * Percentage of traffic added at every interval (1..maxWeight). Either this or `stepWeights`.
   *
   * @default 10 (when `stepWeights` is not set)
   */
  readonly stepWeight?: number;
  /**
   * Explicit traffic percentages, strictly increasing, each 1-100; the last is the maximum.
   * Either this or `stepWeight`/`maxWeight`.
   *
   * @default - even steps of `stepWeight` up to `maxWeight`
   */
  readonly stepWeights?: number[];
  /**
   * Percentage of traffic moved to the primary at every interval during promotion.
   *
   * @default - all traffic moves to the promoted primary at once
   */
  readonly stepWeightPromotion?: number;
  /**
   * An explicit rollout plan, instead of `stepWeight`/`stepWeights`/`maxWeight`. Argo Rollouts runs
   * every step; Flagger turns weights into `stepWeights` and indefinite pauses into manual gates,
   * and rejects what it cannot express.
   *
   * @default - even steps of `stepWeight` up to `maxWeight`, one per `interval`
   */
  readonly steps?: RolloutStep[];
  /**
   * Checks that must pass at every interval. They need requests to measure: add a
   * `CanaryWebhook.loadTest()` or set `receivesLiveTraffic`.
   *
   * @default - request success rate >= 99% and P99 request duration <= 500ms
   */
  readonly metrics?: CanaryMetric[];
  /**
   * Tests, load generators, gates and hooks.
   *
   * @default - none
   */
  readonly webhooks?: CanaryWebhook[];
  /**
   * Where rollout events are reported.
   *
   * @default - no alerts
   */
  readonly alerts?: CanaryAlert[];
  /**
   * Set when the service gets real traffic during the analysis. Otherwise metrics need a load test
   * (`CanaryWebhook.loadTest()`): without requests the queries find no values and the analysis halts.
   *
   * @default false
   */
  readonly receivesLiveTraffic?: boolean;
  /**
   * Services of the service's namespace that its webhooks call but that the app does not declare
   * (managed elsewhere, e.g. a database). A call to any other Service of the namespace that is
   * neither declared in the app nor created by a controller fails synth, as a misspelled name would
   * fail at run time.
   *
   * @default - none
   */
  readonly externalServices?: string[];
}

/** The analysis after defaults and checks. */
export interface ResolvedAnalysis {
  /** How often checks run and traffic shifts. */
  readonly interval: Duration;
  /** Failed checks before rollback. */
  readonly threshold: number;
  /**
   * Highest canary weight.
   *
   * @default - set only when `stepWeights` is not
   */
  readonly maxWeight?: number;
  /**
   * Weight added at every interval.
   *
   * @default - set only when `stepWeights` is not
   */
  readonly stepWeight?: number;
  /**
   * Explicit weights.
   *
   * @default - set only when `stepWeight` is not
   */
  readonly stepWeights?: number[];
  /**
   * Weight moved to the primary at every interval during promotion.
   *
   * @default - all at once
   */
  readonly stepWeightPromotion?: number;
  /** The checks. */
  readonly metrics: CanaryMetric[];
  /** The webhooks. */
  readonly webhooks: CanaryWebhook[];
  /** The alerts. */
  readonly alerts: CanaryAlert[];
  /** Whether real traffic reaches the canary during the analysis. */
  readonly receivesLiveTraffic: boolean;
  /**
   * The explicit rollout plan.
   *
   * @default - set only when `maxWeight` and `stepWeight` or `stepWeights` are not
   */
  readonly steps?: RolloutStep[];
}

