import { Duration } from 'cdk8s';
import { formatDuration } from './format';
import { checkArguments } from '../arguments/check-arguments';

/** What a planned check is. */
export enum PlannedCheckKind {
  /** A metric query that must stay within its bounds. */
  METRIC = 'METRIC',
  /** A load test that generates the requests the metrics measure. */
  LOAD = 'LOAD',
  /** A test run against the canary (acceptance test). */
  TEST = 'TEST',
  /** A gate that waits for a person. */
  GATE = 'GATE',
  /** A webhook of your own. */
  WEBHOOK = 'WEBHOOK',
}

/** A check, load or gate that runs during a phase. */
export interface PlannedCheck {
  /** Name of the metric or webhook. */
  readonly name: string;
  /** What it is. */
  readonly kind: PlannedCheckKind;
  /**
   * How often it measures (or is called) during the phase, at the least: a phase that waits for a
   * person may see more.
   */
  readonly measurements: number;
}

/** One stretch of the rollout at one traffic weight. */
export interface RolloutPhase {
  /** What happens, e.g. `weight 20%`, `scale up`, `promotion`. */
  readonly description: string;
  /** Share of the traffic the new version gets during the phase, in percent. */
  readonly weight: number;
  /** When the phase starts at the earliest, counted from the moment the controller sees the new revision. */
  readonly startsAfter: Duration;
  /** How long the phase lasts at the least (a person may make it longer). */
  readonly minDuration: Duration;
  /** Whether the phase waits for a person (a gate or an indefinite pause). */
  readonly waitsForPerson: boolean;
  /** What runs during the phase. */
  readonly checks: PlannedCheck[];
}

/** How far a bad canary gets before the analysis stops it. */
export interface BadCanaryExposure {
  /** How long it serves traffic, from the first request routed to it until it is rolled back. */
  readonly rolledBackAfter: Duration;
  /** The share of the traffic it has then, in percent. */
  readonly weight: number;
  /** The scenario, in a sentence. */
  readonly description: string;
}

/** The progress deadline a controller enforces during a release, and what counts against it. */
export interface ProgressDeadline {
  /** How long the rollout may make no progress before the controller gives up on it. */
  readonly deadline: Duration;
  /** What counts against it and what does not, and how it was chosen, in a sentence. */
  readonly description: string;
}

/** Props for `RolloutPlan`. */
export interface RolloutPlanProps {
  /** Name of the service. */
  readonly service: string;
  /** Namespace of the service. */
  readonly namespace: string;
  /** The controller, e.g. `flagger`. */
  readonly engine: string;
  /** How the analysis runs, in a sentence. */
  readonly summary: string;
  /** The phases, in order. */
  readonly phases: RolloutPhase[];
  /** When all traffic is on the new version at the earliest, from the new revision. */
  readonly earliestPromotion: Duration;
  /**
   * When the analysis can first roll the canary back, from the new revision.
   *
   * @default - it never can (see `problems`)
   */
  readonly firstPossibleFailure?: Duration;
  /**
   * What a canary that is bad from its first request gets to do.
   *
   * @default - it is not stopped (see `problems`)
   */
  readonly badCanary?: BadCanaryExposure;
  /**
   * The controller's progress deadline and what counts against it.
   *
   * @default - the plan does not know one
   */
  readonly progressDeadline?: ProgressDeadline;
  /**
   * Why the analysis cannot stop a bad canary, each with what to change; empty when it can.
   *
   * @default []
   */
  readonly problems?: string[];
  /**
   * Things worth knowing that do not stop the analysis from working.
   *
   * @default []
   */
  readonly notes?: string[];
}

/**
 * The rollout of one service as its controller runs it: the phases with their weights and minimum
 * durations, what runs in each, when the analysis can first fail, when the new version gets all
 * the traffic at the earliest, and how far a bad canary gets. `problems` lists why the analysis
 * could not stop a bad release; a `CanaryService` with problems fails at synth.
 */
export class RolloutPlan {
  /** Name of the service. */
  public readonly service: string;
  /** Namespace of the service. */
  public readonly namespace: string;
  /** The controller. */
  public readonly engine: string;
  /** How the analysis runs, in a sentence. */
  public readonly summary: string;
  /** The phases, in order. */
  public readonly phases: RolloutPhase[];
  /** When all traffic is on the new version at the earliest. */
  public readonly earliestPromotion: Duration;
  /** When the analysis can first roll the canary back; undefined if it never can. */
  public readonly firstPossibleFailure?: Duration;
  /** What a canary that is bad from its first request gets to do; undefined if it is not stopped. */
  public readonly badCanary?: BadCanaryExposure;
  /** The controller's progress deadline and what counts against it; undefined if the plan does not know one. */
  public readonly progressDeadline?: ProgressDeadline;
  /** Why the analysis cannot stop a bad canary. */
  public readonly problems: string[];
  /** Things worth knowing. */
  public readonly notes: string[];

  public constructor(props: RolloutPlanProps) {
    checkArguments('RolloutPlan.new', [props]);
    this.service = props.service;
    this.namespace = props.namespace;
    this.engine = props.engine;
    this.summary = props.summary;
    this.phases = props.phases.map((phase) => ({ ...phase, checks: phase.checks.map((check) => ({ ...check })) }));
    this.earliestPromotion = props.earliestPromotion;
    this.firstPossibleFailure = props.firstPossibleFailure;
    this.badCanary = props.badCanary;
    this.progressDeadline = props.progressDeadline;
    this.problems = [...(props.problems ?? [])];
    this.notes = [...(props.notes ?? [])];
  }

  /** Whether the analysis can stop a bad canary before it is fully promoted. */
  public get canStopBadCanary(): boolean {
    return this.problems.length === 0;
  }

  /** The plan as a table a person reads at a glance. */
  public toTable(): string {
    const header = ['phase', 'weight', 'from', 'holds', 'person', 'checks (measurements)'];
    const rows = this.phases.map((phase) => [
      phase.description,
      `${phase.weight}%`,
      formatDuration(phase.startsAfter),
      formatDuration(phase.minDuration) + (phase.waitsForPerson ? '+' : ''),
      phase.waitsForPerson ? 'waits' : '',
      phase.checks.map((check) => `${check.name}${check.kind === PlannedCheckKind.METRIC ? ` x${check.measurements}` : ''}`).join(', '),
    ]);
    const widths = header.map((_, i) => Math.max(header[i].length, ...rows.map((row) => row[i].length)));
    const line = (cells: string[]) => cells.map((cell, i) => (i === 1 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
    const out = [
      `${this.namespace}/${this.service} (${this.engine}): ${this.summary}`,
      line(header),
      line(widths.map((w) => '-'.repeat(w))),
      ...rows.map(line),
      `full promotion at the earliest after ${formatDuration(this.earliestPromotion)}${this.phases.some((p) => p.waitsForPerson) ? ', plus the time people take' : ''}`,
      this.firstPossibleFailure
        ? `the analysis can first roll back after ${formatDuration(this.firstPossibleFailure)}`
        : 'the analysis can never roll back',
      this.badCanary
        ? `a canary bad from its first request: ${this.badCanary.description}`
        : 'a canary bad from its first request: not stopped',
      ...(this.progressDeadline ? [`progress deadline ${formatDuration(this.progressDeadline.deadline)}: ${this.progressDeadline.description}`] : []),
      ...this.notes.map((note) => `note: ${note}`),
      ...this.problems.map((problem) => `PROBLEM: ${problem}`),
    ];
    return `${out.join('\n')}\n`;
  }

  /** The plan as plain data (durations in seconds), for `--json`. */
  public toJson(): any {
    return {
      service: this.service,
      namespace: this.namespace,
      engine: this.engine,
      summary: this.summary,
      phases: this.phases.map((phase) => ({
        description: phase.description,
        weight: phase.weight,
        startsAfterSeconds: phase.startsAfter.toSeconds(),
        minDurationSeconds: phase.minDuration.toSeconds(),
        waitsForPerson: phase.waitsForPerson,
        checks: phase.checks.map((check) => ({ ...check })),
      })),
      earliestPromotionSeconds: this.earliestPromotion.toSeconds(),
      firstPossibleFailureSeconds: this.firstPossibleFailure?.toSeconds(),
      badCanary: this.badCanary
        ? {
          rolledBackAfterSeconds: this.badCanary.rolledBackAfter.toSeconds(),
          weight: this.badCanary.weight,
          description: this.badCanary.description,
        }
        : undefined,
      progressDeadline: this.progressDeadline
        ? { seconds: this.progressDeadline.deadline.toSeconds(), description: this.progressDeadline.description }
        : undefined,
      canStopBadCanary: this.canStopBadCanary,
      problems: [...this.problems],
      notes: [...this.notes],
    };
  }
}
