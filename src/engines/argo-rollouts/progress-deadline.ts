import { Duration } from 'cdk8s';
import { ArgoPlan } from './argo-plan';
import { boundedAnalysisSeconds } from './argo-rollout-plan';
import { formatDuration } from '../../plan/format';
import { ProgressDeadline } from '../../plan/rollout-plan';
import { fail } from '../../validation';

/** Argo Rollouts' default `progressDeadlineSeconds` (utils/defaults), and ours. */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/** What the deadline to emit is, and what the plan says of it. */
export interface ArgoProgressDeadline {
  /** `progressDeadlineSeconds`. */
  readonly seconds: number;
  /** For the plan. */
  readonly plan: ProgressDeadline;
}

export interface ProgressDeadlineOptions {
  readonly owner: string;
  readonly plan: ArgoPlan;
  /** The engine's `progressDeadline`, when declared. */
  readonly declared?: Duration;
  /** The engine's `progressDeadlineAbort`. */
  readonly abort: boolean;
}

/**
 * The progress deadline a Rollout needs, as Argo Rollouts 1.9 enforces it. A rollout times out when
 * its Progressing condition has not been updated for `progressDeadlineSeconds` (rollout/sync.go,
 * calculateRolloutConditions; utils/conditions RolloutTimedOut), which happens whenever replicas
 * become available, the step index moves or a blue/green selector switches (RolloutProgressing),
 * and never at an "indefinite step": a canary step that is a pause, an analysis or an experiment,
 * or a rollout with a Paused condition (sync.go, isIndefiniteStep). So:
 * - with canary steps no analysis counts: acceptance tests and step analyses are steps of their
 *   own, pauses too, and the background analysis holds no step;
 * - with blue/green the pre-promotion analysis counts, from the last replica that became available
 *   until it succeeds: the pause waiting for promotion is added only once it has completed
 *   (rollout/bluegreen.go, reconcileBlueGreenPause: "not ready for pause: prePromotionAnalysis
 *   incomplete"); the post-promotion analysis does not, the rollout being healthy once the active
 *   Service has switched (RolloutHealthy).
 * A blue/green deadline left at its default is raised to fit the pre-promotion analysis; a declared
 * one that does not fit fails, naming what would.
 */
export function argoProgressDeadline(options: ProgressDeadlineOptions): ArgoProgressDeadline {
  const { plan, declared, abort } = options;
  const outcome = abort
    ? 'at the deadline the rollout is aborted (progressDeadlineAbort)'
    : 'at the deadline the Rollout is marked Progressing=False/TimedOut (Argo CD: Degraded)';
  if (!plan.blueGreen) {
    const seconds = declared?.toSeconds() ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
    return {
      seconds,
      plan: {
        deadline: Duration.seconds(seconds),
        description: 'counts only while a step waits for canary pods to become available; pauses and analysis steps do not count, '
          + `and the background analysis holds no step; ${outcome}`,
      },
    };
  }
  const pre = boundedAnalysisSeconds(plan.templates[plan.blueGreen.prePromotion] ?? []);
  // Reconciles, queries and measurements counted from the previous one's end (analysis/analysis.go) add to the schedule.
  const needed = Math.ceil((pre + Math.max(60, Math.ceil(pre / 10))) / 60) * 60;
  const counts = `the pre-promotion analysis (at least ${formatDuration(Duration.seconds(pre))}) counts against it: no pause holds a blue/green rollout before it completes`;
  const after = `${plan.blueGreen.autoPromote ? '' : 'waiting for promotion after it and '}the post-promotion analysis do${plan.blueGreen.autoPromote ? 'es' : ''} not count`;
  if (declared !== undefined) {
    if (declared.toSeconds() < needed) {
      fail(options.owner, `'progressDeadline' (${declared.toHumanString()}) of DeliveryEngine.argoRollouts() must be at least ${formatDuration(Duration.seconds(needed))} for this blue/green release: `
        + `its pre-promotion analysis takes at least ${formatDuration(Duration.seconds(pre))}, and Argo Rollouts counts it against the deadline (no pause holds a blue/green rollout `
        + 'until that analysis completes: rollout/bluegreen.go, reconcileBlueGreenPause), so the Rollout would time out before the switch '
        + `(Progressing=False/TimedOut, Argo CD: Degraded${abort ? '; with progressDeadlineAbort, aborted' : ''}); leave 'progressDeadline' out to have it set to fit, `
        + `set it to at least ${formatDuration(Duration.seconds(needed))}, or shorten the analysis ('strategy.iterations' or 'analysis.interval')`);
    }
    return { seconds: declared.toSeconds(), plan: { deadline: declared, description: `${counts} and fits; ${after}; ${outcome}` } };
  }
  const seconds = Math.max(DEFAULT_PROGRESS_DEADLINE_SECONDS, needed);
  const chosen = seconds > DEFAULT_PROGRESS_DEADLINE_SECONDS
    ? `raised from Argo Rollouts' default of ${formatDuration(Duration.seconds(DEFAULT_PROGRESS_DEADLINE_SECONDS))} to fit: `
    : '';
  return { seconds, plan: { deadline: Duration.seconds(seconds), description: `${chosen}${counts}; ${after}; ${outcome}` } };
}
