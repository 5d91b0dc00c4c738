import { ReleaseContext, ref } from './context';
import { command, gateName, holdGate, openOwnedGate } from './flagger-hold';
import { printAbort, printGate, printReset } from './flagger-runbook';
import { CanaryState, IN_RELEASE, describe, stateOf } from './flagger-state';
import { GateRecord, readGateRecords, removeGateRecord } from './gate-record';
import { GateKind, LoadTester, callGate, gateWebhooks, ownLoadTester } from './loadtester';

/*
 * Flagger's manual gates and rollback gate, with a lifecycle the tool owns. From flagger v1.44.0
 * pkg/controller/scheduler.go and scheduler_hooks.go: confirm-rollout hooks hold a new revision in
 * phase Waiting; confirm-traffic-increase hooks hold each weight in Progressing; confirm-promotion
 * hooks hold the promotion (phase WaitingPromotion); rollback hooks are asked in Progressing and
 * WaitingPromotion and roll back (phase Failed) when one answers 2xx (not in Waiting:
 * checkCanaryStatus returns before them, so the Waiting in the rollback condition is never reached).
 * The loadtester's gate has no stage and no revision: an open gate passes every one of these
 * hooks, of this release and of the next, until it is closed. So every command that opens a gate
 * closes it again when its step is taken, when the release ends, on a timeout, on any error, and
 * on Ctrl-C (flagger-hold.ts); only `--detach` leaves it open, and `status` says what an open gate
 * will do.
 */

/** The phases in which Flagger asks the rollback hooks. */
const ROLLBACK_ASKED = ['Progressing', 'WaitingPromotion'];

/** The stages the gate holds (its webhooks' types), in the order Flagger meets them. */
function stagesOf(canary: any): string[] {
  const order = ['confirm-rollout', 'confirm-traffic-increase', 'confirm-promotion'];
  const types = new Set(gateWebhooks(canary, 'gate').map((w: any) => w.type ?? 'rollout'));
  return order.filter((type) => types.has(type));
}

function list(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function loadTesterOf(ctx: ReleaseContext, canary: any | undefined): LoadTester {
  return ownLoadTester(canary, ctx.namespace, ctx.clusterDomain);
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

/**
 * `status`: the Canary, each of its gates (only those it has), and what an open gate will do. A
 * Canary whose gate webhooks name another loadtester is shown, with its gates not asked.
 */
export async function flaggerStatus(ctx: ReleaseContext, canary: any, json: boolean): Promise<number> {
  const state = stateOf(canary);
  const warnings: string[] = [];
  let tester: LoadTester | undefined;
  try {
    tester = loadTesterOf(ctx, canary);
  } catch (error) {
    warnings.push((error as Error).message);
  }
  const inRelease = IN_RELEASE.includes(state.phase);
  const kinds = ([['gate', stagesOf(canary)], ['rollback', gateWebhooks(canary, 'rollback').length > 0 ? ['rollback'] : []]] as const)
    .filter(([, stages]) => stages.length > 0);
  const gates: any[] = [];
  for (const [kind, stages] of kinds) {
    if (!tester) {
      gates.push({ gate: kind, stages, state: 'unknown', error: 'not asked: its webhook calls another loadtester than the namespace\'s own' });
      continue;
    }
    try {
      gates.push({ gate: kind, stages, state: await callGate(ctx, tester, kind, 'check') });
    } catch (error) {
      gates.push({ gate: kind, stages, state: 'unknown', error: (error as Error).message });
    }
  }
  if (gates.some((g) => g.state === 'open')) {
    const { records, problem } = await readGateRecords(ctx);
    for (const gate of gates.filter((g) => g.state === 'open')) {
      const record: GateRecord | undefined = records[gate.gate as GateKind];
      gate.record = record;
      gate.belongsToThisRelease = inRelease && record !== undefined
        && (record.revision === state.revision || (record.phase === 'Waiting' && record.revision.split('/')[0] === state.promotedRevision));
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
    if (state.phase === 'Waiting') {
      return `the rollback gate of ${ref(ctx)} is open: the release held at confirm-rollout (phase Waiting) is rolled back at its first check once it is let through. `
        + `Close it: ${command(ctx, 'reset')}`;
    }
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

/**
 * `gate open|close|status` and `promote`. `open --once` (and `promote`) holds the gate open for one
 * step; `open` for the rest of this release; `open --detach` leaves it open.
 */
export async function flaggerGate(ctx: ReleaseContext, canary: any | undefined, action: 'open' | 'close' | 'status', mode: 'once' | 'release' | 'detach'): Promise<number> {
  const tester = loadTesterOf(ctx, canary);
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
    await removeGateRecord(ctx, 'gate');
    ctx.out(`gate of ${ref(ctx)} closed\n`);
    return 0;
  }
  const state = stateOf(canary);
  if (mode === 'detach') {
    await openOwnedGate(ctx, tester, 'gate', state);
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

/**
 * `abort` for Flagger: the rollback gate, open until Flagger has rolled back (phase Failed), then
 * closed again. Refused in Waiting, where Flagger does not ask it.
 */
export async function flaggerAbort(ctx: ReleaseContext, canary: any | undefined, detach: boolean): Promise<number> {
  const tester = loadTesterOf(ctx, canary);
  if (canary && gateWebhooks(canary, 'rollback').length === 0) {
    throw new Error(`the Canary ${ref(ctx)} has no rollback gate, so Flagger cannot be told to roll back: add CanaryWebhook.rollbackGate() to its analysis`);
  }
  if (ctx.dryRun) {
    printAbort(ctx, tester, detach);
    return 0;
  }
  const state = stateOf(canary);
  if (state.phase === 'Waiting') {
    throw new Error(`the Canary ${ref(ctx)} is held at confirm-rollout (${describe(state)}): Flagger asks the rollback gate only in phase ${ROLLBACK_ASKED.join(' and ')} `
      + '(in Waiting it returns before the rollback hooks), so an open rollback gate would roll nothing back now, and roll this release back as soon as it is let through. '
      + 'The new revision gets no traffic while its confirm-rollout gate is closed; to reject it, revert the change in Git');
  }
  requireRelease(ctx, state, `Flagger asks the rollback gate only in phase ${ROLLBACK_ASKED.join(' or ')}, so there is nothing to roll back`);
  if (detach) {
    await openOwnedGate(ctx, tester, 'rollback', state);
    ctx.out(`rollback gate of ${ref(ctx)} opened and left open (--detach): Flagger rolls this release back at its next check, and every later release at its first, `
      + `until '${command(ctx, 'reset')}'\n`);
    return 0;
  }
  return holdGate(ctx, canary, tester, 'rollback', 'rollback');
}

/**
 * `reset` for Flagger: closes both gates and removes their records, whatever the phase and whoever
 * opened them. Both closes are tried even when one fails (it is the command of last resort); a gate
 * whose close failed keeps its record.
 */
export async function flaggerReset(ctx: ReleaseContext, canary: any | undefined): Promise<number> {
  const tester = loadTesterOf(ctx, canary);
  if (ctx.dryRun) {
    printReset(ctx, tester);
    return 0;
  }
  const failures: string[] = [];
  const closed: string[] = [];
  for (const kind of ['gate', 'rollback'] as const) {
    try {
      await callGate(ctx, tester, kind, 'close');
    } catch (error) {
      failures.push(`could not close the ${gateName(kind)} of ${ref(ctx)}: ${(error as Error).message}`);
      continue;
    }
    await removeGateRecord(ctx, kind);
    closed.push(gateName(kind));
  }
  if (failures.length === 0) {
    ctx.out(`gate and rollback gate of ${ref(ctx)} closed\n`);
    return 0;
  }
  if (closed.length > 0) ctx.out(`${closed[0]} of ${ref(ctx)} closed\n`);
  throw new Error(failures.join('; '));
}
