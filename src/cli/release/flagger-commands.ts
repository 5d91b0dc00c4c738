import { InterruptedError, ReleaseContext, kubectlLine, ref } from './context';
import { readObject } from './find';
import { GateRecord, readGateRecords, writeGateRecord } from './gate-record';
import { GateKind, LoadTester, callGate, gateWebhooks, loadTesterCommand, ownLoadTester } from './loadtester';
import { pollUntil } from './wait';
import { RELEASE_RECORD_CONFIGMAP } from '../../platform/conventions';

/*
 * Flagger's manual gates and rollback gate, with a lifecycle the tool owns. From flagger v1.44.0
 * pkg/controller/scheduler.go and scheduler_hooks.go: confirm-rollout hooks hold a new revision in
 * phase Waiting; confirm-traffic-increase hooks hold each weight in Progressing; confirm-promotion
 * hooks hold the promotion (phase WaitingPromotion); rollback hooks are asked in Progressing,
 * Waiting and WaitingPromotion and roll back (phase Failed) when one answers 2xx. The loadtester's
 * gate has no stage and no revision: an open gate passes every one of these hooks, of this release
 * and of the next, until it is closed. So every command that opens a gate closes it again when its
 * step is taken, when the release ends, on a timeout, on any error, and on Ctrl-C; only `--detach`
 * leaves it open, and `status` says what an open gate will do.
 */

const IN_RELEASE = ['Progressing', 'Waiting', 'WaitingPromotion'];
const HELD = ['Waiting', 'WaitingPromotion'];

interface CanaryState {
  readonly phase: string;
  readonly weight: number;
  readonly failedChecks: number;
  readonly iterations?: number;
  /** `status.lastAppliedSpec`: Flagger's hash of the revision under analysis. */
  readonly revision?: string;
  readonly promotedRevision?: string;
}

function stateOf(canary: any): CanaryState {
  const status = canary?.status ?? {};
  return {
    phase: status.phase ?? 'unknown',
    weight: status.canaryWeight ?? 0,
    failedChecks: status.failedChecks ?? 0,
    iterations: status.iterations,
    revision: status.lastAppliedSpec,
    promotedRevision: status.lastPromotedSpec,
  };
}

function describe(state: CanaryState): string {
  return `phase ${state.phase}, canary weight ${state.weight}%, failed checks ${state.failedChecks}${state.iterations ? `, iterations ${state.iterations}` : ''}`;
}

function gateName(kind: GateKind): string {
  return kind === 'gate' ? 'gate' : 'rollback gate';
}

/** The stages the gate holds (its webhooks' types), in the order Flagger meets them. */
function stagesOf(canary: any): string[] {
  const order = ['confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion'];
  const types = new Set(gateWebhooks(canary, 'gate').map((w: any) => w.type ?? 'rollout'));
  return order.filter((type) => types.has(type));
}

function list(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** `kubectl ... get canary <name> -w`, for printed runbooks and messages. */
function watchCommand(ctx: ReleaseContext): string {
  return kubectlLine([...ctx.printedFlags, '-n', ctx.namespace, 'get', 'canary', ctx.name, '-w']);
}

function command(ctx: ReleaseContext, words: string): string {
  return `cdk8s-canary ${words} ${ctx.name} -n ${ctx.namespace}`;
}

function requireGate(ctx: ReleaseContext, canary: any): void {
  if (stagesOf(canary).length === 0) {
    throw new Error(`the Canary ${ref(ctx)} has no manual gate (a confirm-rollout, confirm-traffic-increase or confirm-promotion webhook to the loadtester's /gate/check: `
      + 'CanaryWebhook.manualGate()): nothing holds it, so there is no gate to open');
  }
}

function requireRelease(ctx: ReleaseContext, state: CanaryState, what: string): void {
  if (!IN_RELEASE.includes(state.phase)) throw new Error(`the Canary ${ref(ctx)} is not in a release (${describe(state)}): ${what}`);
}

/** `status`: the Canary, each of its gates (only those it has), and what an open gate will do. */
export async function flaggerStatus(ctx: ReleaseContext, canary: any, json: boolean): Promise<number> {
  const state = stateOf(canary);
  const tester = ownLoadTester(canary, ctx.namespace);
  const inRelease = IN_RELEASE.includes(state.phase);
  const kinds = ([['gate', stagesOf(canary)], ['rollback', gateWebhooks(canary, 'rollback').length > 0 ? ['rollback'] : []]] as const)
    .filter(([, stages]) => stages.length > 0);
  const gates: any[] = [];
  for (const [kind, stages] of kinds) {
    try {
      gates.push({ gate: kind, stages, state: await callGate(ctx, tester, kind, 'check') });
    } catch (error) {
      gates.push({ gate: kind, stages, state: 'unknown', error: (error as Error).message });
    }
  }
  const warnings: string[] = [];
  if (gates.some((g) => g.state === 'open')) {
    const { records, problem } = await readGateRecords(ctx);
    for (const gate of gates.filter((g) => g.state === 'open')) {
      const record: GateRecord | undefined = records[gate.gate as GateKind];
      gate.record = record;
      gate.belongsToThisRelease = inRelease && record !== undefined
        && (record.revision === state.revision || (record.phase === 'Waiting' && record.revision === state.promotedRevision));
      gate.noRecord = record ? undefined : problem ?? 'cdk8s-canary did not open it, or its record is gone';
      const warning = openGateWarning(ctx, gate, state, record);
      if (warning) warnings.push(warning);
    }
  }
  if (json) {
    ctx.out(`${JSON.stringify({
      kind: 'Canary',
      namespace: ctx.namespace,
      name: ctx.name,
      phase: state.phase,
      canaryWeight: state.weight,
      failedChecks: state.failedChecks,
      iterations: state.iterations ?? 0,
      revision: state.revision ?? null,
      inRelease,
      gates: gates.map(({ noRecord, ...gate }) => ({ ...gate, record: gate.record ?? null, ...(gate.state === 'open' ? { noRecord: noRecord ?? null } : {}) })),
      warnings,
    }, undefined, 2)}\n`);
  } else {
    ctx.out(`Canary ${ref(ctx)}: ${describe(state)}${state.revision ? ` (revision ${state.revision})` : ''}\n`);
    if (gates.length === 0) ctx.out('no manual gate and no rollback gate\n');
    for (const gate of gates) ctx.out(`${gate.gate === 'gate' ? `gate (${gate.stages.join(', ')})` : 'rollback gate'}: ${gateLine(gate)}\n`);
    warnings.forEach((warning) => ctx.warn(`warning: ${warning}\n`));
  }
  return gates.some((g) => g.state === 'unknown') ? 1 : 0;
}

function gateLine(gate: any): string {
  if (gate.state === 'unknown') return `unknown: ${gate.error}`;
  if (gate.state === 'closed') return 'closed';
  if (!gate.record) return `open (${gate.noRecord})`;
  const r: GateRecord = gate.record;
  return `open, by '${r.command}' at ${r.openedAt} for ${gate.belongsToThisRelease ? 'this release' : `revision ${r.revision || 'none'} (phase ${r.phase})`}`;
}

function openGateWarning(ctx: ReleaseContext, gate: any, state: CanaryState, record: GateRecord | undefined): string | undefined {
  const inRelease = IN_RELEASE.includes(state.phase);
  if (gate.gate === 'rollback') {
    if (inRelease) return gate.belongsToThisRelease ? undefined : `the rollback gate of ${ref(ctx)} is open: Flagger rolls this release back at its next check`;
    return `the rollback gate of ${ref(ctx)} is open and no release is running (${describe(state)}): the next release is rolled back at its first check. Close it: ${command(ctx, 'reset')}`;
  }
  const stages = list(gate.stages);
  if (!inRelease) {
    return `the gate of ${ref(ctx)} is open and no release is running (${describe(state)}): the next release passes its ${stages} gates unasked. Close it: ${command(ctx, 'gate close')}`;
  }
  if (gate.belongsToThisRelease) return undefined;
  const why = record ? `it was opened for revision ${record.revision || 'none'} (phase ${record.phase}), not this release's ${state.revision}` : `${gate.noRecord}`;
  return `the gate of ${ref(ctx)} is open, and ${why}: this release passes its ${stages} gates unasked. Close it: ${command(ctx, 'gate close')}`;
}

/**
 * The gates still ahead of a Canary in this phase: Waiting is held by confirm-rollout,
 * WaitingPromotion by confirm-promotion, Progressing by each traffic increase and the promotion.
 */
function stagesAhead(state: CanaryState, stages: string[]): string[] {
  const ahead: { [phase: string]: string[] } = {
    Waiting: ['confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion'],
    Progressing: ['confirm-traffic-increase', 'confirm-promotion'],
    WaitingPromotion: ['confirm-promotion'],
  };
  return stages.filter((stage) => (ahead[state.phase] ?? []).includes(stage));
}

/** How a gate is held open: until one step, until the release ends, or (abort) until the rollback. */
type HoldMode = 'once' | 'release' | 'rollback';

/**
 * `gate open|close|status` and `promote`. `open --once` (and `promote`) holds the gate open for one
 * step; `open` for the rest of this release; `open --detach` leaves it open.
 */
export async function flaggerGate(ctx: ReleaseContext, canary: any | undefined, action: 'open' | 'close' | 'status', mode: 'once' | 'release' | 'detach'): Promise<number> {
  const tester = ownLoadTester(canary, ctx.namespace);
  if (canary && action !== 'close') requireGate(ctx, canary);
  if (ctx.dryRun) {
    printGate(ctx, tester, action, mode);
    return 0;
  }
  if (action === 'status') {
    const state = await callGate(ctx, tester, 'gate', 'check');
    ctx.out(`gate of ${ref(ctx)}: ${state}\n`);
    return 0;
  }
  if (action === 'close') {
    await callGate(ctx, tester, 'gate', 'close');
    await writeGateRecord(ctx, 'gate', undefined);
    ctx.out(`gate of ${ref(ctx)} closed\n`);
    return 0;
  }
  const state = stateOf(canary);
  if (mode === 'detach') {
    await openGate(ctx, tester, 'gate', state);
    ctx.out(`gate of ${ref(ctx)} opened and left open (--detach): every held stage (${list(stagesOf(canary))}) passes, of this release and of the next, `
      + `until '${command(ctx, 'gate close')}'\n`);
    return 0;
  }
  requireRelease(ctx, state, `no gate holds it now, and an open gate would pass the next release's gates unasked; to do that on purpose: ${command(ctx, 'gate open')} --detach`);
  const ahead = stagesAhead(state, stagesOf(canary));
  if (ahead.length === 0) {
    throw new Error(`no gate of the Canary ${ref(ctx)} is ahead of it (${describe(state)}; its gates: ${list(stagesOf(canary))}): there is nothing to let through`);
  }
  return holdGate(ctx, canary, tester, 'gate', mode);
}

/** `promote` for Flagger: one step through the gate, as `gate open --once`. */
export async function flaggerPromote(ctx: ReleaseContext, canary: any | undefined, full: boolean): Promise<number> {
  if (full) {
    throw new Error(`Flagger has no full promotion (skipping the analysis): '${command(ctx, 'gate open')}' holds the gate open for the rest of this release, and the analysis still decides`);
  }
  return flaggerGate(ctx, canary, 'open', 'once');
}

/** `abort` for Flagger: the rollback gate, open until Flagger has rolled back (phase Failed), then closed again. */
export async function flaggerAbort(ctx: ReleaseContext, canary: any | undefined, detach: boolean): Promise<number> {
  const tester = ownLoadTester(canary, ctx.namespace);
  if (canary && gateWebhooks(canary, 'rollback').length === 0) {
    throw new Error(`the Canary ${ref(ctx)} has no rollback gate, so Flagger cannot be told to roll back: add CanaryWebhook.rollbackGate() to its analysis`);
  }
  if (ctx.dryRun) {
    printAbort(ctx, tester, detach);
    return 0;
  }
  const state = stateOf(canary);
  requireRelease(ctx, state, 'Flagger asks the rollback gate only in phase Progressing, Waiting or WaitingPromotion, so there is nothing to roll back');
  if (detach) {
    await openGate(ctx, tester, 'rollback', state);
    ctx.out(`rollback gate of ${ref(ctx)} opened and left open (--detach): Flagger rolls this release back at its next check, and every later release at its first, `
      + `until '${command(ctx, 'reset')}'\n`);
    return 0;
  }
  return holdGate(ctx, canary, tester, 'rollback', 'rollback');
}

/** `reset` for Flagger: closes both gates and removes their records, whatever the phase. */
export async function flaggerReset(ctx: ReleaseContext, canary: any | undefined): Promise<number> {
  const tester = ownLoadTester(canary, ctx.namespace);
  if (ctx.dryRun) {
    ctx.out(`# close the gate and the rollback gate of ${ref(ctx)}\n`);
    ctx.out(`${loadTesterCommand(ctx, tester, 'gate', 'close')}\n${loadTesterCommand(ctx, tester, 'rollback', 'close')}\n`);
    return 0;
  }
  for (const kind of ['gate', 'rollback'] as const) {
    await callGate(ctx, tester, kind, 'close');
    await writeGateRecord(ctx, kind, undefined);
  }
  ctx.out(`gate and rollback gate of ${ref(ctx)} closed\n`);
  return 0;
}

async function openGate(ctx: ReleaseContext, tester: LoadTester, kind: GateKind, state: CanaryState): Promise<void> {
  await writeGateRecord(ctx, kind, { revision: state.revision ?? '', phase: state.phase, openedAt: ctx.now().toISOString(), command: ctx.invocation });
  try {
    await callGate(ctx, tester, kind, 'open');
  } catch (error) {
    await writeGateRecord(ctx, kind, undefined);
    throw error;
  }
}

/**
 * Opens a gate, watches the Canary until `mode` says the gate has done its work, and closes it in
 * every case: done, timeout, error, Ctrl-C. A close that fails is the loudest message there is.
 */
async function holdGate(ctx: ReleaseContext, canary: any, tester: LoadTester, kind: GateKind, mode: HoldMode): Promise<number> {
  const start = stateOf(canary);
  await openGate(ctx, tester, kind, start);
  const name = `${gateName(kind)} of ${ref(ctx)}`;
  ctx.out({
    once: `gate of ${ref(ctx)} opened for one step (${describe(start)}); waiting for the Canary to take it (Ctrl-C closes the gate)\n`,
    release: `gate of ${ref(ctx)} opened for this release (${describe(start)}): its held stages pass until the release ends; waiting to close it then (Ctrl-C closes it now)\n`,
    rollback: `rollback gate of ${ref(ctx)} opened: Flagger rolls the release back at its next check; waiting for it (Ctrl-C closes the gate: no rollback)\n`,
  }[mode]);
  const trafficGate = stagesOf(canary).includes('confirm-traffic-increase');
  let previous = start;
  const read = async () => {
    const now = stateOf(await readObject(ctx, 'flagger'));
    // A release held at confirm-rollout (Waiting) runs under its new revision once let through:
    // the record follows it, so that status counts the gate as this release's.
    if (mode !== 'once' && previous.phase === 'Waiting' && IN_RELEASE.includes(now.phase) && now.revision !== previous.revision) {
      await writeGateRecord(ctx, kind, { revision: now.revision ?? '', phase: now.phase, openedAt: ctx.now().toISOString(), command: ctx.invocation });
    }
    return now;
  };
  let outcome: { code: number; result: string };
  try {
    const end = await pollUntil(ctx.wait, read, (now) => {
      if (describe(now) !== describe(previous)) ctx.out(`  ${describe(now)}\n`);
      const verdict = judge(mode, previous, now, trafficGate);
      previous = now;
      return verdict;
    });
    if (end.ended === 'timeout') {
      const seconds = Math.round(ctx.wait.timeoutMillis / 1000);
      outcome = { code: 1, result: mode === 'rollback' ? `Flagger did not roll back within ${seconds}s: the release goes on` : `the Canary ${mode === 'once' ? 'took no step' : 'did not finish its release'} within ${seconds}s` };
    } else {
      outcome = end;
    }
  } catch (error) {
    outcome = { code: 1, result: error instanceof InterruptedError ? 'interrupted' : (error as Error).message };
  }
  try {
    await callGate(ctx, tester, kind, 'close');
  } catch (error) {
    throw new Error(`${outcome.result}; and the ${name} may still be OPEN: closing it failed: ${(error as Error).message}. `
      + `Close it: ${command(ctx, kind === 'gate' ? 'gate close' : 'reset')}`);
  }
  await writeGateRecord(ctx, kind, undefined);
  if (outcome.code !== 0) throw new Error(`${outcome.result}; the ${name} is closed again${kind === 'rollback' ? ': the release was not rolled back' : ''}`);
  ctx.out(`${outcome.result}; ${gateName(kind)} closed${kind === 'rollback' ? ', so the next release is not rolled back' : ''}\n`);
  return 0;
}

/**
 * When a held gate has done its work. `once`: the Canary left the phase or weight it was held at
 * (entering Waiting or WaitingPromotion is still being held: the check ran before the gate
 * opened). `release`: the release left Progressing/Waiting/WaitingPromotion. `rollback`: phase
 * Failed. All: a new revision (Flagger restarts the analysis) must not inherit the gate.
 */
function judge(mode: HoldMode, prev: CanaryState, now: CanaryState, trafficGate: boolean): { code: number; result: string } | undefined {
  const newRevision = now.revision !== prev.revision && prev.phase !== 'Waiting' && now.phase === prev.phase;
  if (newRevision) return { code: 1, result: `a new revision (${now.revision}) replaced the release (${describe(now)}): the gate must not pass it` };
  if (mode === 'rollback') {
    if (now.phase === 'Failed') return { code: 0, result: `rolled back (${describe(now)})` };
    if (!IN_RELEASE.includes(now.phase)) return { code: 1, result: `the release ended before Flagger rolled it back (${describe(now)})` };
    return undefined;
  }
  if (mode === 'release') {
    if (now.phase === 'Failed') return { code: 0, result: `the release failed (${describe(now)})` };
    if (!IN_RELEASE.includes(now.phase)) return { code: 0, result: `the release passed its last gate (${describe(now)})` };
    return undefined;
  }
  if (now.phase !== prev.phase) {
    if (HELD.includes(now.phase)) return undefined;
    if (now.phase === 'Failed') return { code: 1, result: `the release failed (${describe(now)}) before taking the step` };
    if (IN_RELEASE.includes(now.phase) || ['Promoting', 'Finalising', 'Succeeded'].includes(now.phase)) return { code: 0, result: `one step taken (${describe(now)})` };
    return { code: 1, result: `the release ended (${describe(now)})` };
  }
  if (trafficGate && now.weight !== prev.weight) return { code: 0, result: `one step taken (${describe(now)})` };
  return undefined;
}

function recordNote(ctx: ReleaseContext, kind: GateKind): string {
  return `cdk8s-canary records it in ConfigMap ${ctx.namespace}/${RELEASE_RECORD_CONFIGMAP}, key ${ctx.name}.${kind}`;
}

function printGate(ctx: ReleaseContext, tester: LoadTester, action: 'open' | 'close' | 'status', mode: 'once' | 'release' | 'detach'): void {
  const line = (gateAction: 'open' | 'close' | 'check') => `${loadTesterCommand(ctx, tester, 'gate', gateAction)}\n`;
  if (action === 'status') {
    ctx.out(`# the loadtester answers 200 Approved (open) or 403 Forbidden (closed)\n${line('check')}`);
    return;
  }
  if (action === 'close') {
    ctx.out(line('close'));
    return;
  }
  if (mode === 'detach') {
    ctx.out(`# open the gate of ${ref(ctx)} and leave it open: every held stage passes, of this release and of the next (${recordNote(ctx, 'gate')})\n${line('open')}`);
    return;
  }
  ctx.out(mode === 'once'
    ? `# open the gate of ${ref(ctx)} for one step (${recordNote(ctx, 'gate')})\n`
    : `# open the gate of ${ref(ctx)} for the rest of this release (${recordNote(ctx, 'gate')})\n`);
  ctx.out(line('open'));
  ctx.out(mode === 'once'
    ? `# then watch until the phase or the canary weight changes (${watchCommand(ctx)}), and close it then, or on any failure:\n`
    : `# then watch until the phase is Promoting, Succeeded or Failed (${watchCommand(ctx)}), and close it then, or on any failure:\n`);
  ctx.out(line('close'));
}

function printAbort(ctx: ReleaseContext, tester: LoadTester, detach: boolean): void {
  ctx.out(`# open the rollback gate of ${ref(ctx)}: Flagger rolls back at its next check (${recordNote(ctx, 'rollback')})\n`);
  ctx.out(`${loadTesterCommand(ctx, tester, 'rollback', 'open')}\n`);
  if (detach) {
    ctx.out(`# left open (--detach): every later release is rolled back at its first check until '${command(ctx, 'reset')}'\n`);
    return;
  }
  ctx.out(`# then watch until the phase is Failed (${watchCommand(ctx)}), and close it then, or on any failure (else every later release is rolled back too):\n`);
  ctx.out(`${loadTesterCommand(ctx, tester, 'rollback', 'close')}\n`);
}
