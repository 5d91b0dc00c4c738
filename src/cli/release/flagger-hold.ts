import { InterruptedError, ReleaseContext, ref } from './context';
import { readObject } from './find';
import { CanaryState, IN_RELEASE, HELD, analysisIntervalMillis, describe, stateOf } from './flagger-state';
import { GateRecord, claimGateRecord, gateHolder, readGateRecords, releaseGateRecord, updateGateRecord } from './gate-record';
import { GateCallError, GateKind, LoadTester, callGate, gateWebhooks } from './loadtester';
import { pollUntil } from './wait';

/*
 * Holding a loadtester gate open, and closing it in every outcome (flagger v1.44.0
 * pkg/controller/scheduler.go). A gate passes every check of its Canary while it is open, of this
 * release and of the next, so a command opens only a gate it finds closed, records itself as the
 * one who opened it, watches the Canary and the gate, and closes it when its work is done, on a
 * timeout, an error or Ctrl-C; never a gate another run holds.
 */

/** How a gate is held open: until one step, until the release ends, or (abort) until the rollback. */
export type HoldMode = 'once' | 'release' | 'rollback';

export function gateName(kind: GateKind): string {
  return kind === 'gate' ? 'gate' : 'rollback gate';
}

export function command(ctx: ReleaseContext, words: string): string {
  return `cdk8s-canary ${words} ${ctx.name} -n ${ctx.namespace}`;
}

function closeCommand(ctx: ReleaseContext, kind: GateKind): string {
  return command(ctx, kind === 'gate' ? 'gate close' : 'reset');
}

export function recordOf(ctx: ReleaseContext, state: CanaryState): GateRecord {
  return { revision: state.revision ?? '', phase: state.phase, openedAt: ctx.now().toISOString(), command: ctx.invocation, run: ctx.runId };
}

function who(record: GateRecord): string {
  return `'${record.command}' at ${record.openedAt} for revision ${record.revision || 'none'} (phase ${record.phase})`;
}

/**
 * Opens a gate this run will own: only if it is closed now (an open one belongs to someone else,
 * whose command would close it under us, or whose --detach we would end), after claiming its
 * record. When the open call fails, only a certain refusal means the gate stayed closed; after
 * anything else (a lost exec stream, a timeout) it is closed again in case it opened, and if that
 * fails too, its record stays and the message says it may be OPEN.
 */
export async function openOwnedGate(ctx: ReleaseContext, tester: LoadTester, kind: GateKind, state: CanaryState): Promise<void> {
  const name = `${gateName(kind)} of ${ref(ctx)}`;
  if (await callGate(ctx, tester, kind, 'check') === 'open') {
    const { records, problem } = await readGateRecords(ctx);
    const record = records[kind];
    throw new Error(`the ${name} is already open, ${record ? `opened by ${who(record)}` : `and ${problem ?? 'cdk8s-canary did not open it, or its record is gone'}`}: `
      + `this command leaves it as it is, and does not close a gate it did not open. To close it: ${closeCommand(ctx, kind)}`);
  }
  const rival = await claimGateRecord(ctx, kind, recordOf(ctx, state));
  if (rival) throw new Error(`someone else is opening the ${name} right now (${who(rival)}): this command leaves it to them`);
  try {
    await callGate(ctx, tester, kind, 'open');
  } catch (error) {
    if (error instanceof GateCallError && error.noEffect) {
      await releaseGateRecord(ctx, kind);
      throw error;
    }
    const message = (error as Error).message;
    try {
      await callGate(ctx, tester, kind, 'close');
    } catch (closeError) {
      throw new Error(`${message}; the request may have reached the loadtester all the same, and the ${name} may be OPEN: closing it failed: `
        + `${(closeError as Error).message}. Close it: ${closeCommand(ctx, kind)}`);
    }
    await releaseGateRecord(ctx, kind);
    throw new Error(`${message}; in case the request reached the loadtester all the same, the ${name} is closed again`);
  }
}

interface Outcome {
  readonly code: number;
  readonly result: string;
  /** The gate is someone else's now (left as it is), or already closed (nothing to close). */
  readonly gate?: 'theirs' | 'closed';
}

/**
 * Opens a gate, watches the Canary until `mode` says the gate has done its work, and closes it in
 * every case: done, timeout, error, Ctrl-C. Each read also asks the gate: one closed meanwhile (by
 * another operator, or lost by a restart of the loadtester, which keeps gates in memory only) or
 * taken over by another run ends the wait. A close that fails is the loudest message there is.
 */
export async function holdGate(ctx: ReleaseContext, canary: any, tester: LoadTester, kind: GateKind, mode: HoldMode): Promise<number> {
  const start = stateOf(canary);
  const interval = analysisIntervalMillis(canary);
  // A read every quarter interval at most: a step, then the close, before Flagger's next check.
  const pollMillis = Math.min(ctx.wait.pollMillis, Math.floor(interval / 4));
  if (mode === 'once' && interval < 30_000) {
    ctx.warn(`warning: the analysis interval of ${ref(ctx)} is ${interval / 1000}s: the gate is closed within about ${pollMillis / 1000}s of the step plus a kubectl exec, `
      + 'which can come close to Flagger\'s next check, and a second step would pass too; \'gate open\' holds it for the rest of the release instead\n');
  }
  await openOwnedGate(ctx, tester, kind, start);
  const name = `${gateName(kind)} of ${ref(ctx)}`;
  ctx.out({
    once: `gate of ${ref(ctx)} opened for one step (${describe(start)}); waiting for the Canary to take it (Ctrl-C closes the gate)\n`,
    release: `gate of ${ref(ctx)} opened for this release (${describe(start)}): its held stages pass until the release ends; waiting to close it then (Ctrl-C closes it now)\n`,
    rollback: `rollback gate of ${ref(ctx)} opened: Flagger rolls the release back at its next check; waiting for it (Ctrl-C closes the gate: no rollback)\n`,
  }[mode]);
  const trafficGate = gateWebhooks(canary, 'gate').some((w: any) => w.type === 'confirm-traffic-increase');
  let previous = start;
  const read = async () => {
    const now = stateOf(await readObject(ctx, 'flagger'));
    // A release held at confirm-rollout (Waiting) runs under its new revision once let through:
    // the record follows it, so that status counts the gate as this release's.
    if (mode !== 'once' && previous.phase === 'Waiting' && IN_RELEASE.includes(now.phase) && now.revision !== previous.revision) {
      await updateGateRecord(ctx, kind, recordOf(ctx, now));
    }
    return now;
  };
  let outcome: Outcome;
  try {
    const end = await pollUntil({ ...ctx.wait, pollMillis }, read, async (now) => {
      if (describe(now) !== describe(previous)) ctx.out(`  ${describe(now)}\n`);
      const verdict = judge(mode, previous, now, trafficGate);
      previous = now;
      return verdict ?? watchGate(ctx, tester, kind, mode);
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
  if (outcome.gate === undefined && typeof await holderOrUnknown(ctx, kind) === 'object') {
    outcome = { code: outcome.code, result: `${outcome.result}; meanwhile another run took the ${name} over`, gate: 'theirs' };
  }
  if (outcome.gate === 'theirs') throw new Error(`${outcome.result}: this command leaves it open, to them`);
  if (outcome.gate === 'closed') {
    await releaseGateRecord(ctx, kind);
    throw new Error(outcome.result);
  }
  try {
    await callGate(ctx, tester, kind, 'close');
  } catch (error) {
    throw new Error(`${outcome.result}; and the ${name} may still be OPEN: closing it failed: ${(error as Error).message}. Close it: ${closeCommand(ctx, kind)}`);
  }
  await releaseGateRecord(ctx, kind);
  if (outcome.code !== 0) throw new Error(`${outcome.result}; the ${name} is closed again${kind === 'rollback' ? ': the release was not rolled back' : ''}`);
  ctx.out(`${outcome.result}; ${gateName(kind)} closed${kind === 'rollback' ? ', so the next release is not rolled back' : ''}\n`);
  return 0;
}

/** The gate's holder by its record; unknown when it cannot be read (this run closes what it opened). */
async function holderOrUnknown(ctx: ReleaseContext, kind: GateKind) {
  try {
    return await gateHolder(ctx, kind);
  } catch {
    return 'unknown';
  }
}

/** Whether the gate is still open and this run's; an end of the wait when it is not. */
async function watchGate(ctx: ReleaseContext, tester: LoadTester, kind: GateKind, mode: HoldMode): Promise<Outcome | undefined> {
  const name = `${gateName(kind)} of ${ref(ctx)}`;
  const state = await callGate(ctx, tester, kind, 'check');
  const holder = await gateHolder(ctx, kind);
  if (typeof holder === 'object') return { code: 1, result: `${who(holder)} took the ${name} over`, gate: 'theirs' };
  if (state === 'open') return undefined;
  const consequence = mode === 'rollback' ? 'Flagger will not roll the release back' : 'the release is held again';
  const by = holder === 'nobody'
    ? `and its record removed: someone ran '${kind === 'gate' ? 'gate close' : 'reset'}'`
    : `not by cdk8s-canary: the loadtester keeps its gates in memory only, so a restart of its pod closes them all (or someone called its /${kind}/close)`;
  return { code: 1, result: `the ${name} was closed while this command held it open, ${by}: ${consequence}; run the command again to open it again`, gate: 'closed' };
}

/**
 * When a held gate has done its work. All modes: a new revision (Flagger restarts the analysis
 * for a new pod template or changed ConfigMaps/Secrets, in Progressing and in WaitingPromotion,
 * resetting the phase to Progressing in the same write) must not inherit the gate; only a release
 * let through confirm-rollout (Waiting) moves on to its new revision. `once`: the Canary left the
 * phase it was held in, or its weight went up (entering Waiting or WaitingPromotion is still being
 * held: the check ran before the gate opened; a weight that went down is no step). `release`: the
 * release left Progressing/Waiting/WaitingPromotion. `rollback`: phase Failed.
 */
export function judge(mode: HoldMode, prev: CanaryState, now: CanaryState, trafficGate: boolean): Outcome | undefined {
  if (now.revision !== prev.revision && prev.phase !== 'Waiting') {
    const what = now.revision?.split('/')[0] === prev.revision?.split('/')[0]
      ? 'a change of the ConfigMaps or Secrets the Deployment uses (status.trackedConfigs)'
      : `a new revision (${now.revision})`;
    return { code: 1, result: `${what} replaced the release (${describe(now)}): the gate must not pass it` };
  }
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
  if (now.weight < prev.weight) return { code: 1, result: `the canary weight went down (${describe(now)}): Flagger restarted the analysis, and no step was taken` };
  if (trafficGate && now.weight > prev.weight) return { code: 0, result: `one step taken (${describe(now)})` };
  return undefined;
}
