import { ReleaseRehearsal } from './rehearse';
import { formatSeconds } from './report';
import { parseGoDuration } from '../analysis/load-command';
import { RolloutPlan } from '../plan/rollout-plan';
import { findAnalysisTemplate } from './objects/releases';

/** One figure of the plan beside the rehearsal's. */
export interface Agreement {
  readonly what: string;
  readonly plan?: number;
  readonly rehearsal?: number;
  /** How far apart they may be. */
  readonly tolerance: number;
  readonly agrees: boolean;
  readonly unit: 'seconds' | 'percent';
}

/** The analysis interval of a release: Flagger's `analysis.interval`, or the longest measurement interval of the Rollout's metrics. */
export function intervalOf(r: ReleaseRehearsal): number {
  const spec = r.release.controllerObject.spec ?? {};
  if (r.release.engine === 'flagger') return Math.max(10, parseGoDuration(spec.analysis?.interval ?? '1m') ?? 60);
  const references = [spec.strategy?.canary?.analysis, ...(spec.strategy?.canary?.steps ?? []).map((s: any) => s.analysis),
    spec.strategy?.blueGreen?.prePromotionAnalysis, spec.strategy?.blueGreen?.postPromotionAnalysis].filter(Boolean);
  const intervals = references.flatMap((reference: any) => (reference.templates ?? [])
    .flatMap((ref: any) => findAnalysisTemplate(r.release.index, r.release.namespace, ref)?.spec?.metrics ?? [])
    .filter((m: any) => m.provider?.prometheus && m.interval)
    .map((m: any) => parseGoDuration(m.interval) ?? 0));
  return Math.max(10, ...intervals);
}

/**
 * The plan's figures against the rehearsal's (issue 21): the healthy release's full promotion (the
 * median of the `healthy` runs) and where the plan's bad canary is stopped: time from its first user
 * request and weight (the median of the `broken` runs, whose checks all fail from the first
 * measurement, as the plan assumes). Each must agree within one analysis interval; the weight
 * exactly.
 */
export function agreementWithPlan(r: ReleaseRehearsal, plan: RolloutPlan): Agreement[] {
  const interval = intervalOf(r);
  const out: Agreement[] = [];
  const healthy = r.scenarios.find((s) => s.scenario === 'healthy');
  if (healthy) {
    const rehearsal = healthy.medianPromotion;
    const planned = plan.earliestPromotion.toSeconds();
    out.push({ what: 'healthy release fully promoted after', plan: planned, rehearsal, tolerance: interval, unit: 'seconds', agrees: rehearsal !== undefined && Math.abs(rehearsal - planned) <= interval });
  }
  const broken = r.scenarios.find((s) => s.scenario === 'broken');
  if (broken) {
    const bad = plan.badCanary;
    const stop = broken.medianStopAfterTraffic ?? (broken.rolledBack > 0 ? median(broken.runs.filter((run) => run.outcome === 'rolled back').map((run) => run.endedAt)) : undefined);
    out.push({
      what: 'bad canary stopped after (from its first request)',
      plan: bad?.rolledBackAfter.toSeconds(),
      rehearsal: stop,
      tolerance: interval,
      unit: 'seconds',
      agrees: bad === undefined ? broken.promoted > 0 : stop !== undefined && Math.abs(stop - bad.rolledBackAfter.toSeconds()) <= interval,
    });
    out.push({
      what: 'bad canary stopped at weight',
      plan: bad?.weight,
      rehearsal: broken.medianStopWeight,
      tolerance: 0,
      unit: 'percent',
      agrees: bad === undefined || broken.medianStopWeight === bad.weight,
    });
  }
  return out;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** The comparison as lines of text. */
export function agreementText(agreements: Agreement[]): string[] {
  const show = (a: Agreement, v: number | undefined) => (v === undefined ? 'never' : a.unit === 'seconds' ? formatSeconds(v) : `${v}%`);
  return agreements.map((a) => `plan vs rehearsal: ${a.what}: ${show(a, a.plan)} planned, ${show(a, a.rehearsal)} rehearsed`
    + `${a.agrees ? '' : ` DISAGREE (more than ${a.unit === 'seconds' ? formatSeconds(a.tolerance) : `${a.tolerance}%`} apart)`}`);
}
