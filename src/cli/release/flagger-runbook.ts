import { ReleaseContext, kubectlLine, ref } from './context';
import { command } from './flagger-hold';
import { GateKind, LoadTester, loadTesterCommand } from './loadtester';
import { RELEASE_RECORD_CONFIGMAP } from '../../platform/conventions';

/*
 * What `--dry-run` prints for Flagger: the loadtester calls a command would make, in order, with
 * what to watch between them. The printed commands write no gate record, and say so.
 */

/** `kubectl ... get canary <name> -w`, for printed runbooks and messages. */
function watchCommand(ctx: ReleaseContext): string {
  return kubectlLine([...ctx.printedFlags, '-n', ctx.namespace, 'get', 'canary', ctx.name, '-w']);
}

/** The printed commands leave no record of who opened the gate, which cdk8s-canary would write. */
function recordNote(ctx: ReleaseContext, kind: GateKind): string {
  return `unlike cdk8s-canary, these commands record nothing in ConfigMap ${ctx.namespace}/${RELEASE_RECORD_CONFIGMAP} (key ${ctx.name}.${kind}): `
    + '\'cdk8s-canary status\' will show the gate as opened outside cdk8s-canary';
}

export function printGate(ctx: ReleaseContext, tester: LoadTester, action: 'open' | 'close' | 'status', mode: 'once' | 'release' | 'detach'): void {
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

export function printAbort(ctx: ReleaseContext, tester: LoadTester, detach: boolean): void {
  ctx.out(`# open the rollback gate of ${ref(ctx)}: Flagger rolls back at its next check in phase Progressing or WaitingPromotion (${recordNote(ctx, 'rollback')})\n`);
  ctx.out(`${loadTesterCommand(ctx, tester, 'rollback', 'open')}\n`);
  if (detach) {
    ctx.out(`# left open (--detach): every later release is rolled back at its first check until '${command(ctx, 'reset')}'\n`);
    return;
  }
  ctx.out(`# then watch until the phase is Failed (${watchCommand(ctx)}), and close it then, or on any failure (else every later release is rolled back too):\n`);
  ctx.out(`${loadTesterCommand(ctx, tester, 'rollback', 'close')}\n`);
}

export function printReset(ctx: ReleaseContext, tester: LoadTester): void {
  ctx.out(`# close the gate and the rollback gate of ${ref(ctx)}\n`);
  ctx.out(`${loadTesterCommand(ctx, tester, 'gate', 'close')}\n${loadTesterCommand(ctx, tester, 'rollback', 'close')}\n`);
}
