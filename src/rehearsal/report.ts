import { CheckResult } from './controller';
import { ReleaseRehearsal, ScenarioSummary } from './rehearse';
import { RunResult } from './simulation';

/** `90` as `1m30s`. */
export function formatSeconds(value: number | undefined): string {
  if (value === undefined) return '-';
  let s = Math.round(value);
  const sign = s < 0 ? '-' : '';
  s = Math.abs(s);
  if (s === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return sign + parts.join('');
}

function table(header: string[], rows: string[][], rightAligned: number[] = []): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function outcomes(s: ScenarioSummary): string {
  const parts = [`${s.promoted} promoted`, `${s.rolledBack} rolled back`];
  if (s.stuck > 0) parts.push(`${s.stuck} stuck`);
  return parts.join(', ');
}

function verdictOf(s: ScenarioSummary): string {
  if (!s.bad) return s.rolledBack + s.stuck === 0 ? 'ok' : s.rolledBack > 0 ? 'FALSE ALARM' : 'STUCK';
  if (s.promoted > 0) return 'MISSED';
  // A bad version left at a weight nobody ends keeps serving users: not stopped.
  return s.runs.some((r) => r.outcome === 'stuck' && r.servedByNew.requests > 0) ? 'STUCK' : 'ok';
}

/** When the bad version was stopped: from its first user request, or from the new revision when no user reached it (a crash). */
function stoppedText(s: ScenarioSummary): string {
  if (s.medianStopAfterTraffic !== undefined) return `${formatSeconds(s.medianStopAfterTraffic)} at ${s.medianStopWeight}%`;
  const beforeUsers = s.runs.filter((r) => r.outcome === 'rolled back' && r.firstTrafficAt === undefined).map((r) => r.endedAt).sort((a, b) => a - b);
  if (beforeUsers.length > 0) return `before any user (${formatSeconds(beforeUsers[Math.floor((beforeUsers.length - 1) / 2)])})`;
  return s.stuck > 0 ? 'not stopped' : '-';
}

function check(c: CheckResult): string {
  const value = c.value === undefined ? '' : `=${Number.isInteger(c.value) ? c.value : Math.round(c.value * 1000) / 1000}`;
  const verdict = c.verdict === 'pass' ? '' : ` ${c.verdict.toUpperCase()}`;
  const detail = c.verdict !== 'pass' && c.detail ? ` (${c.detail})` : '';
  return `${c.name}${value}${verdict}${detail}${c.dryRun ? ' [dry-run]' : ''}`;
}

/** The run to show a timeline of: the first bad scenario's first rolled-back run, else the first run. */
function exampleRun(r: ReleaseRehearsal): RunResult | undefined {
  const bad = r.scenarios.find((s) => s.scenario === 'error-rate') ?? r.scenarios.find((s) => s.bad);
  return bad?.runs.find((run) => run.outcome === 'rolled back') ?? bad?.runs[0] ?? r.scenarios[0]?.runs[0];
}

/** A run's timeline as a table: time, weight, what happened, each check's value and verdict. */
export function timelineText(run: RunResult): string[] {
  const rows = run.timeline.map((e) => [formatSeconds(e.t), `${e.weight}%`, e.event, e.checks.filter((c) => c.verdict !== 'not run').map(check).join(', ')]);
  return table(['time', 'weight', 'event', 'checks'], rows, [1]);
}

/** The rehearsal of one release, as a person reads it. */
export function releaseText(r: ReleaseRehearsal, options: { timeline?: boolean } = {}): string {
  const seeds = r.scenarios[0]?.runs.length ?? 0;
  const out: string[] = [
    `${r.release.namespace}/${r.release.name} (${r.release.engine}, ${r.router}): ${r.scenarios.length} scenarios x ${seeds} seeds, `
      + `${r.usersPerSecond} user requests/s, scrape every ${r.release.scrapeIntervalSeconds}s`,
  ];
  const rows = r.scenarios.map((s) => [
    s.scenario,
    outcomes(s),
    verdictOf(s),
    s.bad ? '-' : formatSeconds(s.medianPromotion),
    s.bad ? formatSeconds(s.medianDetection) : '-',
    s.bad ? stoppedText(s) : '-',
    `${s.highestWeight}%`,
    s.bad ? `${s.medianServed} (${s.medianServedErrors} failed)` : '-',
  ]);
  out.push(...table(['scenario', 'runs', 'verdict', 'promoted after', 'detected after', 'stopped after (weight)', 'highest weight', 'users served by the bad version'], rows, [6]));
  const fa = r.falseAlarms;
  const miss = r.misses;
  out.push(`false alarms: ${fa.count} of ${fa.of} healthy runs rolled back; misses: ${miss.count} of ${miss.of} bad runs promoted`);
  out.push('times: promoted = all traffic on the new version for good, from the new revision; detected and stopped = from the first user request to the new version, or from the new revision when no user reached it (medians)');
  for (const s of r.scenarios) out.push(`  ${s.scenario}: ${s.description}`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  for (const a of r.assumptions) out.push(`assumed: ${a}`);
  for (const f of r.failures) out.push(`FAILED: ${f}`);
  const run = exampleRun(r);
  if (options.timeline !== false && run) {
    out.push('', `timeline of '${run.scenario}' (seed ${run.seed}): ${run.outcome} after ${formatSeconds(run.endedAt)} (${run.reason})`);
    out.push(...timelineText(run));
  }
  return `${out.join('\n')}\n`;
}

/** Every release's rehearsal, for `--json`: summaries and every run's timeline (times in seconds). */
export function rehearsalJson(releases: ReleaseRehearsal[]): any {
  return releases.map((r) => ({
    name: r.release.name,
    namespace: r.release.namespace,
    engine: r.release.engine,
    router: r.router,
    usersPerSecond: r.usersPerSecond,
    scrapeIntervalSeconds: r.release.scrapeIntervalSeconds,
    falseAlarms: r.falseAlarms,
    misses: r.misses,
    warnings: r.warnings,
    notes: r.notes,
    assumptions: r.assumptions,
    failures: r.failures,
    scenarios: r.scenarios.map((s) => ({
      scenario: s.scenario,
      description: s.description,
      bad: s.bad,
      promoted: s.promoted,
      rolledBack: s.rolledBack,
      stuck: s.stuck,
      medianPromotionSeconds: s.medianPromotion,
      medianDetectionSeconds: s.medianDetection,
      medianStopAfterTrafficSeconds: s.medianStopAfterTraffic,
      medianStopWeight: s.medianStopWeight,
      highestWeight: s.highestWeight,
      medianUsersServedByNew: s.medianServed,
      medianUsersFailedByNew: s.medianServedErrors,
      runs: s.runs.map((run) => ({
        seed: run.seed,
        outcome: run.outcome,
        endedAtSeconds: run.endedAt,
        reason: run.reason,
        promotedAtSeconds: run.promotedAt,
        firstTrafficAtSeconds: run.firstTrafficAt,
        firstFailureAtSeconds: run.firstFailureAt,
        highestWeight: run.maxWeight,
        weightAtEnd: run.controllerWeightAtEnd,
        usersServedByNew: run.servedByNew,
        timeline: run.timeline,
      })),
    })),
  }));
}
