import { Duration } from 'cdk8s';
import { TrafficSegment } from './traffic-segment';
import { CanaryMetric } from '../analysis/metric';
import { checkArguments } from '../arguments/check-arguments';

/** Options for `ReleasePhase.of()`. */
export interface ReleasePhaseOptions {
  /** Who gets the new version in this phase: a matched segment, or a random sample growing by weights. */
  readonly segment: TrafficSegment;
  /**
   * How long the phase holds: a matched segment for this long, each weight of a sample for this
   * long. Rounded up to whole analysis intervals.
   *
   * @default - the analysis interval times the measurements the checks need (one window, then
   * `threshold` measurements)
   */
  readonly hold?: Duration;
  /**
   * The checks of this phase.
   *
   * @default - the analysis's metrics
   */
  readonly metrics?: CanaryMetric[];
  /**
   * A name for the phase, used in the names of its AnalysisTemplate and routes.
   *
   * @default 'phase-<n>' (from 1)
   */
  readonly name?: string;
  /**
   * For a matched segment: the canary's pods, as a percentage of the stable's, brought up before
   * the header route sends the segment to them.
   *
   * @default 25
   */
  readonly canaryScale?: number;
}

/** One phase of a phased release: who gets the new version, for how long, and which checks run. */
export class ReleasePhase {
  /** A phase of a phased release. */
  public static of(options: ReleasePhaseOptions): ReleasePhase {
    checkArguments('ReleasePhase.of', [options]);
    return new ReleasePhase(options);
  }

  /** Who gets the new version. */
  public readonly segment: TrafficSegment;
  /**
   * How long the phase (or each weight of a sample) holds.
   *
   * @default - long enough for the checks
   */
  public readonly hold?: Duration;
  /**
   * The phase's checks.
   *
   * @default - the analysis's metrics
   */
  public readonly metrics?: CanaryMetric[];
  /**
   * Its name.
   *
   * @default - 'phase-<n>'
   */
  public readonly name?: string;

  /**
   * For a matched segment, the canary's pods as a percentage of the stable's.
   *
   * @default 25
   */
  public readonly canaryScale?: number;

  private constructor(options: ReleasePhaseOptions) {
    this.segment = options.segment;
    this.hold = options.hold;
    this.metrics = options.metrics ? [...options.metrics] : undefined;
    this.name = options.name;
    this.canaryScale = options.canaryScale;
  }
}
