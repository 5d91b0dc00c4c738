import { Duration } from 'cdk8s';
import { checkArguments } from '../arguments/check-arguments';

/** What a rollout step does. */
export enum RolloutStepKind {
  /** Send a percentage of traffic to the canary. */
  SET_WEIGHT = 'SET_WEIGHT',
  /** Wait for a duration, or until promoted by hand. */
  PAUSE = 'PAUSE',
  /** Run the analysis metrics a number of times and stop on failure. */
  ANALYSIS = 'ANALYSIS',
  /** Route requests that match headers to the canary. */
  SET_HEADER_ROUTE = 'SET_HEADER_ROUTE',
  /** Copy a percentage of matching requests to the canary. */
  SET_MIRROR_ROUTE = 'SET_MIRROR_ROUTE',
  /** Scale the canary independently of its traffic weight. */
  SET_CANARY_SCALE = 'SET_CANARY_SCALE',
}

/** How a header value is matched. */
export enum HeaderMatchKind {
  /** Equal to the value. */
  EXACT = 'exact',
  /** Starts with the value. */
  PREFIX = 'prefix',
  /** Matches the regular expression. */
  REGEX = 'regex',
}

/** One header condition of a header or mirror route. */
export interface HeaderMatch {
  /** Header name, e.g. `x-canary`. */
  readonly name: string;
  /** Value to match. */
  readonly value: string;
  /**
   * How the value is matched.
   *
   * @default HeaderMatchKind.EXACT
   */
  readonly kind?: HeaderMatchKind;
}

/** Options for `RolloutStep.headerRoute()`. */
export interface HeaderRouteOptions {
  /** Name of the route (listed in the Rollout's `managedRoutes`). */
  readonly name: string;
  /**
   * Headers that send a request to the canary. Argo Rollouts' Istio router ORs them (one match per
   * header, trafficrouting/istio createHeaderRoute); the Gateway API plugin ANDs them (one
   * HTTPRouteMatch). For "any of" on both, use one header route per header.
   */
  readonly match: HeaderMatch[];
}

/** Options for `RolloutStep.mirrorRoute()`. */
export interface MirrorRouteOptions {
  /** Name of the route (listed in the Rollout's `managedRoutes`). */
  readonly name: string;
  /** Percentage of matching requests copied to the canary (0-100). */
  readonly percentage: number;
  /**
   * Headers a request must have to be mirrored.
   *
   * @default - every request
   */
  readonly match?: HeaderMatch[];
}

/** Options for `RolloutStep.canaryScale()`; set exactly one. */
export interface CanaryScaleOptions {
  /**
   * A fixed number of canary pods.
   *
   * @default - not a fixed number
   */
  readonly replicas?: number;
  /**
   * Canary pods as a percentage of the total.
   *
   * @default - not a percentage
   */
  readonly weight?: number;
  /**
   * Scale the canary with its traffic weight again.
   *
   * @default false
   */
  readonly matchTrafficWeight?: boolean;
}

/**
 * One step of an explicit rollout plan. The factories are named after Argo Rollouts' step fields
 * without their `set` prefix (`weight()` is `setWeight`), since jsii forbids `setXxx` names.
 * Argo Rollouts runs every kind; Flagger runs what it can
 * express (weights become `stepWeights`, an indefinite pause becomes a manual gate) and rejects the
 * rest with a message.
 */
export class RolloutStep {
  /** Send `weight` percent of traffic to the canary (0-100). */
  public static weight(weight: number): RolloutStep {
    checkArguments('RolloutStep.weight', [weight]);
    return new RolloutStep(RolloutStepKind.SET_WEIGHT, { percentage: weight });
  }

  /** Wait `duration`, or, without one, until someone promotes the rollout. */
  public static pause(duration?: Duration): RolloutStep {
    checkArguments('RolloutStep.pause', [duration]);
    return new RolloutStep(RolloutStepKind.PAUSE, { duration });
  }

  /** Run the analysis metrics and stop the rollout if they fail. */
  public static analysis(): RolloutStep {
    return new RolloutStep(RolloutStepKind.ANALYSIS, {});
  }

  /** Route requests with matching headers to the canary (A/B testing). */
  public static headerRoute(options: HeaderRouteOptions): RolloutStep {
    checkArguments('RolloutStep.headerRoute', [options]);
    return new RolloutStep(RolloutStepKind.SET_HEADER_ROUTE, { routeName: options.name, match: options.match });
  }

  /** Copy a percentage of requests to the canary, whose answers are dropped. */
  public static mirrorRoute(options: MirrorRouteOptions): RolloutStep {
    checkArguments('RolloutStep.mirrorRoute', [options]);
    return new RolloutStep(RolloutStepKind.SET_MIRROR_ROUTE, { routeName: options.name, match: options.match, percentage: options.percentage });
  }

  /** Scale the canary independently of its traffic weight. */
  public static canaryScale(options: CanaryScaleOptions): RolloutStep {
    checkArguments('RolloutStep.canaryScale', [options]);
    return new RolloutStep(RolloutStepKind.SET_CANARY_SCALE, { scale: options });
  }

  /** What the step does. */
  public readonly kind: RolloutStepKind;
  /** Traffic percentage (SET_WEIGHT) or mirrored percentage (SET_MIRROR_ROUTE). */
  public readonly percentage?: number;
  /** Pause duration; undefined for an indefinite pause. */
  public readonly duration?: Duration;
  /** Route name (SET_HEADER_ROUTE, SET_MIRROR_ROUTE). */
  public readonly routeName?: string;
  /** Header conditions (SET_HEADER_ROUTE, SET_MIRROR_ROUTE). */
  public readonly match?: HeaderMatch[];
  /** Canary scale (SET_CANARY_SCALE). */
  public readonly scale?: CanaryScaleOptions;

  private constructor(kind: RolloutStepKind, details: StepDetails) {
    this.kind = kind;
    this.percentage = details.percentage;
    this.duration = details.duration;
    this.routeName = details.routeName;
    this.match = details.match;
    this.scale = details.scale;
  }
}

interface StepDetails {
  readonly percentage?: number;
  readonly duration?: Duration;
  readonly routeName?: string;
  readonly match?: HeaderMatch[];
  readonly scale?: CanaryScaleOptions;
}
