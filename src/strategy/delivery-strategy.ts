import { Duration } from 'cdk8s';
import { ReleasePhase } from './release-phase';
import { TrafficSegment } from './traffic-segment';
import { checkArguments } from '../arguments/check-arguments';

/** How traffic moves to the new version. */
export enum StrategyKind {
  /** A random share of the traffic, growing by weights (the analysis's `stepWeight`/`stepWeights`/`steps`). */
  CANARY = 'CANARY',
  /** Requests of some segments go to the new version for a while; then it is promoted. */
  AB_TEST = 'AB_TEST',
  /** The new version runs beside the old one without live traffic (or with mirrored traffic), is checked, then takes all traffic at once. */
  BLUE_GREEN = 'BLUE_GREEN',
  /** Several phases in a row, each with its own traffic and checks (Argo Rollouts). */
  PHASED = 'PHASED',
}

/** Options for `DeliveryStrategy.canary()`. */
export interface CanaryStrategyOptions {
  /**
   * Keep a user on the version they first got, with a cookie (Flagger with Istio or Gateway API).
   *
   * @default - no session affinity: each request is routed by weight
   */
  readonly sessionAffinity?: SessionAffinityOptions;
}

/** Session affinity of a canary: a cookie keeps a user on the version they first got. */
export interface SessionAffinityOptions {
  /**
   * The cookie that keeps a user on the canary.
   *
   * @default 'canary-session'
   */
  readonly cookieName?: string;
  /**
   * The cookie that keeps a user on the primary.
   *
   * @default - Flagger's default: none, users on the primary are not pinned
   */
  readonly primaryCookieName?: string;
  /**
   * How long the cookie lasts (whole seconds).
   *
   * @default Duration.days(1)
   */
  readonly maxAge?: Duration;
}

/** Options for `DeliveryStrategy.abTest()`. */
export interface AbTestOptions {
  /** The segments whose requests go to the new version (any of them: they are ORed). */
  readonly segments: TrafficSegment[];
  /**
   * How many analysis intervals the test lasts. Either this or `duration`.
   *
   * @default - from `duration`, or 10
   */
  readonly iterations?: number;
  /**
   * How long the test lasts, rounded up to whole analysis intervals. Either this or `iterations`.
   *
   * @default - 10 intervals
   */
  readonly duration?: Duration;
  /**
   * With Argo Rollouts: the canary's pods, as a percentage of the stable's, brought up before the
   * header route sends the segment to them (a route to a ReplicaSet with no pods would fail every
   * matched request).
   *
   * @default 25
   */
  readonly canaryScale?: number;
}

/** Options for `DeliveryStrategy.blueGreen()`. */
export interface BlueGreenOptions {
  /**
   * How many analysis intervals the new version is checked before it takes the traffic (Flagger:
   * `analysis.iterations`; Argo Rollouts: the pre-promotion analysis's measurements).
   *
   * @default 10
   */
  readonly iterations?: number;
  /**
   * Copy this percentage of the live traffic to the new version while it is checked (its answers
   * are dropped), so the checks see real requests. Istio only.
   *
   * @default - no mirroring: only the load test reaches the new version before the switch
   */
  readonly mirrorPercentage?: number;
  /**
   * Switch the traffic as soon as the checks pass. Without, the rollout waits for a person
   * (`kubectl argo rollouts promote`, or Flagger's confirm-promotion gate).
   *
   * @default true
   */
  readonly autoPromote?: boolean;
  /**
   * How long the old version keeps running after the switch, ready to take the traffic back.
   *
   * @default - Argo Rollouts: until the post-promotion analysis succeeds; Flagger: it is scaled to zero after promotion
   */
  readonly scaleDownDelay?: Duration;
  /**
   * Host name of the route to the new version for ingress routers (Traefik), which measure only
   * what they route: the load test reaches the new version through it.
   *
   * @default - `preview.<the router's first host>`
   */
  readonly previewHost?: string;
}

/** Session affinity as the engines render it. */
export interface SessionAffinityConfig {
  /** The canary's cookie. */
  readonly cookieName: string;
  /**
   * The primary's cookie.
   *
   * @default - none
   */
  readonly primaryCookieName?: string;
  /** Lifetime of the cookies. */
  readonly maxAge: Duration;
}

/** A weighted canary, as the engines render it. */
export interface CanaryStrategyConfig {
  /**
   * Session affinity.
   *
   * @default - none
   */
  readonly sessionAffinity?: SessionAffinityConfig;
}

/** An A/B test, as the engines render it. */
export interface AbTestConfig {
  /** The segments (ORed). */
  readonly segments: TrafficSegment[];
  /**
   * Intervals the test lasts.
   *
   * @default - from `duration`
   */
  readonly iterations?: number;
  /**
   * How long the test lasts.
   *
   * @default - from `iterations`
   */
  readonly duration?: Duration;
  /** Canary pods as a percentage of the stable's (Argo Rollouts). */
  readonly canaryScale: number;
}

/** A blue/green release, as the engines render it. */
export interface BlueGreenConfig {
  /** Intervals of checks before the switch. */
  readonly iterations: number;
  /**
   * Percentage of live traffic mirrored to the new version before the switch.
   *
   * @default - none
   */
  readonly mirrorPercentage?: number;
  /** Whether the switch happens as soon as the checks pass. */
  readonly autoPromote: boolean;
  /**
   * How long the old version keeps running after the switch.
   *
   * @default - the engine's default
   */
  readonly scaleDownDelay?: Duration;
  /**
   * Host of the preview route (ingress routers).
   *
   * @default - preview.<first host>
   */
  readonly previewHost?: string;
}

/** A strategy as the engines read it: a kind, and the settings of that kind. */
export interface StrategyConfig {
  /** The kind; exactly the matching field below is set. */
  readonly kind: StrategyKind;
  /**
   * Settings of a canary.
   *
   * @default - not a canary
   */
  readonly canary?: CanaryStrategyConfig;
  /**
   * Settings of an A/B test.
   *
   * @default - not an A/B test
   */
  readonly abTest?: AbTestConfig;
  /**
   * Settings of a blue/green release.
   *
   * @default - not blue/green
   */
  readonly blueGreen?: BlueGreenConfig;
  /**
   * The phases of a phased release.
   *
   * @default - not phased
   */
  readonly phases?: ReleasePhase[];
}

/**
 * How traffic moves to the new version, whatever the engine: a weighted canary (optionally with
 * session affinity), an A/B test on segments, blue/green (optionally with mirrored traffic first),
 * or several phases in a row. Each engine renders it as its controller allows, per router; a
 * combination the controller cannot run fails at synth, naming the combinations that would.
 */
export abstract class DeliveryStrategy {
  /**
   * A weighted canary: a random share of the traffic, growing through the analysis's weights
   * (`stepWeight`/`maxWeight`, `stepWeights` or `steps`). The default strategy.
   */
  public static canary(options: CanaryStrategyOptions = {}): DeliveryStrategy {
    checkArguments('DeliveryStrategy.canary', [options]);
    return new FixedStrategy({
      kind: StrategyKind.CANARY,
      canary: {
        sessionAffinity: options.sessionAffinity && {
          cookieName: options.sessionAffinity.cookieName ?? 'canary-session',
          primaryCookieName: options.sessionAffinity.primaryCookieName,
          maxAge: options.sessionAffinity.maxAge ?? Duration.days(1),
        },
      },
    });
  }

  /** An A/B test: the requests of `segments` go to the new version for a while, then it is promoted. */
  public static abTest(options: AbTestOptions): DeliveryStrategy {
    checkArguments('DeliveryStrategy.abTest', [options]);
    return new FixedStrategy({
      kind: StrategyKind.AB_TEST,
      abTest: {
        segments: [...options.segments],
        iterations: options.iterations ?? (options.duration === undefined ? 10 : undefined),
        duration: options.duration,
        canaryScale: options.canaryScale ?? 25,
      },
    });
  }

  /**
   * Blue/green: the new version runs at full size beside the old one, is checked without live
   * traffic (or with mirrored traffic), then takes all traffic at once.
   */
  public static blueGreen(options: BlueGreenOptions = {}): DeliveryStrategy {
    checkArguments('DeliveryStrategy.blueGreen', [options]);
    return new FixedStrategy({
      kind: StrategyKind.BLUE_GREEN,
      blueGreen: {
        iterations: options.iterations ?? 10,
        mirrorPercentage: options.mirrorPercentage,
        autoPromote: options.autoPromote ?? true,
        scaleDownDelay: options.scaleDownDelay,
        previewHost: options.previewHost,
      },
    });
  }

  /**
   * Several phases in a row, each with its own traffic and checks, e.g. employees first, then a
   * random sample growing to half the users. Argo Rollouts runs it as one list of steps; Flagger,
   * which runs one strategy per Canary, cannot.
   */
  public static phased(phases: ReleasePhase[]): DeliveryStrategy {
    checkArguments('DeliveryStrategy.phased', [phases]);
    return new FixedStrategy({ kind: StrategyKind.PHASED, phases: [...phases] });
  }

  /** The strategy as the engines read it. */
  public abstract bind(): StrategyConfig;
}

/** The strategies of the factories: their configuration is fixed when they are made. */
class FixedStrategy extends DeliveryStrategy {
  public constructor(private readonly config: StrategyConfig) {
    super();
  }

  public bind(): StrategyConfig {
    return this.config;
  }
}
