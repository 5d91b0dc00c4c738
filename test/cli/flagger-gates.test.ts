import { FakeApiServer } from './fakes/fake-api-server';
import { GATE_WEBHOOKS, Harness, LOADTESTER_DEPLOYMENT, execArgs, writeKubeconfig } from './fakes/harness';

// Every test talks to in-process HTTPS servers; the machine is shared.
jest.setTimeout(120_000);

/*
 * The Flagger gate lifecycle against the upstream-faithful loadtester (server.go), API server and a
 * Flagger that advances one analysis interval per wait of the CLI: every command's success and
 * refusal paths, with the exact kubectl calls, API requests and output.
 */

let h: Harness;
beforeEach(async () => { h = await new Harness().start(); });
afterEach(async () => { await h.stop(); });

const CANARY = 'GET /apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo';
const DEPLOYMENT = 'GET /apis/apps/v1/namespaces/test/deployments/flagger-loadtester';
const READ_RECORD = 'GET /api/v1/namespaces/test/configmaps/cdk8s-canary-gates';
const RECORD = 'PATCH /api/v1/namespaces/test/configmaps/cdk8s-canary-gates';
const RECORDS = '/api/v1/namespaces/test/configmaps/cdk8s-canary-gates';
const gateRecord = (revision: string, phase: string, command: string, run = 'run-1') => ({ revision, phase, openedAt: '2025-06-01T10:00:00.000Z', command, run });
const NO_GATE_RECORD = '{"data":{"podinfo.gate":null}}';

/** Each write of the record ConfigMap: its data, and whether it named the resourceVersion it read. */
function recordWrites(): { data: { [key: string]: any }; guarded: boolean }[] {
  return h.api.writes().filter((w) => w.path === RECORDS).map((w) => {
    const body = JSON.parse(w.body);
    return {
      data: Object.fromEntries(Object.entries(body.data).map(([k, v]) => [k, v === null ? null : JSON.parse(v as string)])),
      guarded: typeof body.metadata?.resourceVersion === 'string',
    };
  });
}

/** Someone else's record of a gate, as their cdk8s-canary run wrote it. */
function putRecord(kind: string, record: object): void {
  const object = h.api.objects.get(RECORDS);
  h.api.put(RECORDS, { ...object, data: { ...object.data, [`podinfo.${kind}`]: JSON.stringify(record) } });
}

describe('gate open --once: one step, then the gate is closed', () => {
  test('held before a traffic increase: checks the gate is closed, records, opens, Flagger takes the next weight, the gate closes', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run).toEqual({
      code: 0,
      out: 'gate of test/podinfo opened for one step (phase Progressing, canary weight 10%, failed checks 0); waiting for the Canary to take it (Ctrl-C closes the gate)\n'
        + '  phase Progressing, canary weight 20%, failed checks 0\n'
        + 'one step taken (phase Progressing, canary weight 20%, failed checks 0); gate closed\n',
      err: '',
    });
    expect(h.kubectl.calls).toEqual([execArgs('/gate/check'), execArgs('/gate/open'), execArgs('/gate/close')]);
    expect(h.tester.isOpen('podinfo.test')).toBe(false);
    // The record is claimed (with the resourceVersion read) before the gate opens, and removed after it closed.
    expect(h.api.lines()).toEqual([CANARY, DEPLOYMENT, READ_RECORD, RECORD, CANARY, READ_RECORD, READ_RECORD, RECORD]);
    expect(recordWrites()).toEqual([
      { data: { 'podinfo.gate': gateRecord('rev2', 'Progressing', 'gate open --once') }, guarded: true },
      { data: { 'podinfo.gate': null }, guarded: true },
    ]);
    expect(h.api.writes().map((w) => w.contentType)).toEqual(['application/merge-patch+json', 'application/merge-patch+json']);
    expect(h.records()).toEqual({});
  });

  test('held at the promotion (WaitingPromotion, status.canaryWeight reset to 0): the step is the promotion', async () => {
    h.flagger.set({ phase: 'WaitingPromotion', canaryWeight: 0, lastAppliedSpec: 'rev2' });
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.code).toBe(0);
    expect(run.out.split('\n')).toEqual([
      'gate of test/podinfo opened for one step (phase WaitingPromotion, held at max weight (status.canaryWeight is reset in WaitingPromotion), failed checks 0); '
        + 'waiting for the Canary to take it (Ctrl-C closes the gate)',
      '  phase Promoting, canary weight 0%, failed checks 0',
      'one step taken (phase Promoting, canary weight 0%, failed checks 0); gate closed',
      '',
    ]);
  });

  test('held before the start (confirm-rollout, phase Waiting): the step is the start of the release under its new revision', async () => {
    await h.stop();
    h = await new Harness().start([{ name: 'confirm-rollout-gate', type: 'confirm-rollout', url: 'http://flagger-loadtester.test/gate/check' }]);
    h.flagger.deploy('rev2');
    h.flagger.tick();
    expect(h.flagger.status).toEqual(expect.objectContaining({ phase: 'Waiting', lastAppliedSpec: 'rev1' }));
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.out).toBe('gate of test/podinfo opened for one step (phase Waiting, canary weight 0%, failed checks 0); waiting for the Canary to take it (Ctrl-C closes the gate)\n'
      + '  phase Progressing, canary weight 0%, failed checks 0\n'
      + 'one step taken (phase Progressing, canary weight 0%, failed checks 0); gate closed\n');
    expect(h.flagger.status.lastAppliedSpec).toBe('rev2');
  });

  test('a check that ran before the gate opened (WaitingPromotion) is still a hold: it waits for the promotion', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 30, lastAppliedSpec: 'rev2' });
    h.onWait = (n) => {
      if (n === 1) {
        h.flagger.set({ phase: 'WaitingPromotion', canaryWeight: 0 });
        h.flagger.stalled = 1;
      }
    };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.out.split('\n').slice(1)).toEqual([
      '  phase WaitingPromotion, held at max weight (status.canaryWeight is reset in WaitingPromotion), failed checks 0',
      '  phase Promoting, canary weight 0%, failed checks 0',
      'one step taken (phase Promoting, canary weight 0%, failed checks 0); gate closed',
      '',
    ]);
  });

  test('no step within --timeout: the gate is asked at every read, and closed again at the end, exit 1', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    h.flagger.stalled = 100;
    const run = await h.cli('gate', 'open', 'podinfo', '--once', '--timeout', '10');
    expect(run.code).toBe(1);
    expect(run.err).toBe('cdk8s-canary gate: the Canary took no step within 10s; the gate of test/podinfo is closed again\n');
    expect(h.waits).toBe(2);
    expect(h.kubectl.calls).toEqual([execArgs('/gate/check'), execArgs('/gate/open'), execArgs('/gate/check'), execArgs('/gate/check'), execArgs('/gate/close')]);
    expect(h.tester.isOpen('podinfo.test')).toBe(false);
    expect(h.records()).toEqual({});
  });

  test('Ctrl-C while waiting: the gate is closed before the command ends, exit 1', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    h.flagger.stalled = 100;
    h.onWait = (n) => { if (n === 2) h.interrupt.abort(); };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.code).toBe(1);
    expect(run.err).toBe('cdk8s-canary gate: interrupted; the gate of test/podinfo is closed again\n');
    expect(h.kubectl.calls).toEqual([execArgs('/gate/check'), execArgs('/gate/open'), execArgs('/gate/check'), execArgs('/gate/close')]);
    expect(h.tester.isOpen('podinfo.test')).toBe(false);
    expect(h.api.lines()).toEqual([CANARY, DEPLOYMENT, READ_RECORD, RECORD, CANARY, READ_RECORD, READ_RECORD, READ_RECORD, RECORD]);
    expect(h.records()).toEqual({});
  });

  test('an error while waiting (the right to read the Canary revoked) closes the gate and says why', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    h.flagger.stalled = 100;
    h.onWait = (n) => {
      if (n === 2) {
        h.restrict([
          { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'] },
          { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
          { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
          { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
        ]);
      }
    };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.code).toBe(1);
    expect(run.err).toBe('cdk8s-canary gate: the API server refused to read the Canary test/podinfo: 403 Forbidden: canaries.flagger.app "podinfo" is forbidden: '
      + 'User "alice" cannot get resource "canaries" in API group "flagger.app" in the namespace "test"; the gate of test/podinfo is closed again\n');
    expect(h.tester.isOpen('podinfo.test')).toBe(false);
  });

  test('a close that fails leaves the loudest message there is, and exit 1', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    h.flagger.stalled = 100;
    h.onWait = (n) => {
      if (n === 1) {
        h.kubectl.deployments.set('test/flagger-loadtester', { tester: h.tester, down: true });
        h.interrupt.abort();
      }
    };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.code).toBe(1);
    expect(run.err).toBe('cdk8s-canary gate: interrupted; and the gate of test/podinfo may still be OPEN: closing it failed: kubectl exec into deploy/flagger-loadtester '
      + 'in namespace test failed (exit code 7) (curl in the loadtester could not reach it on localhost): curl: (7) Failed to connect to localhost port 8080 after 0 ms: '
      + 'Could not connect to server; command terminated with exit code 7. Close it: cdk8s-canary gate close podinfo -n test\n');
    expect(h.tester.isOpen('podinfo.test')).toBe(true);
    // The record stays, so that status knows who opened it.
    expect(h.records()['podinfo.gate']).toEqual(gateRecord('rev2', 'Progressing', 'gate open --once'));
  });

  test('a weight that went down is no step (the analysis restarted)', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2' });
    h.flagger.stalled = 100;
    h.onWait = (n) => { if (n === 1) h.flagger.set({ canaryWeight: 0 }); };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.code).toBe(1);
    expect(run.err).toBe('cdk8s-canary gate: the canary weight went down (phase Progressing, canary weight 0%, failed checks 0): Flagger restarted the analysis, '
      + 'and no step was taken; the gate of test/podinfo is closed again\n');
  });
});

describe('a new revision restarts the analysis: the gate must not pass it (Flagger hasCanaryRevisionChanged, in Progressing and WaitingPromotion)', () => {
  const NEW_REVISION = 'a new revision (rev3) replaced the release (phase Progressing, canary weight 0%, failed checks 0): the gate must not pass it';

  test('--once, in Progressing: closed at once', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    h.onWait = (n) => { if (n === 1) h.flagger.deploy('rev3'); };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.code).toBe(1);
    expect(run.err).toBe(`cdk8s-canary gate: ${NEW_REVISION}; the gate of test/podinfo is closed again\n`);
  });

  test('gate open (this release), in WaitingPromotion: the restart changes the phase and the revision in one write; the new revision is held again', async () => {
    h.flagger.set({ phase: 'WaitingPromotion', canaryWeight: 0, lastAppliedSpec: 'rev2' });
    h.onWait = (n) => { if (n === 1) h.flagger.deploy('rev3'); };
    const run = await h.cli('gate', 'open', 'podinfo');
    expect(run.code).toBe(1);
    expect(run.err).toBe(`cdk8s-canary gate: ${NEW_REVISION}; the gate of test/podinfo is closed again\n`);
    expect(h.tester.isOpen('podinfo.test')).toBe(false);
    for (let i = 0; i < 3; i++) h.flagger.tick();
    expect(h.flagger.status).toEqual(expect.objectContaining({ phase: 'Progressing', canaryWeight: 0, lastAppliedSpec: 'rev3' }));
  });

  test('--once, in WaitingPromotion: no step is reported, the gate is closed', async () => {
    h.flagger.set({ phase: 'WaitingPromotion', canaryWeight: 0, lastAppliedSpec: 'rev2' });
    h.onWait = (n) => { if (n === 1) h.flagger.deploy('rev3'); };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect({ code: run.code, out: run.out.split('\n').slice(1), err: run.err }).toEqual({
      code: 1,
      out: ['  phase Progressing, canary weight 0%, failed checks 0', ''],
      err: `cdk8s-canary gate: ${NEW_REVISION}; the gate of test/podinfo is closed again\n`,
    });
  });

  test('abort, in WaitingPromotion: the rollback gate is closed before Flagger could roll back the new revision', async () => {
    h.flagger.set({ phase: 'WaitingPromotion', canaryWeight: 0, lastAppliedSpec: 'rev2' });
    h.onWait = (n) => { if (n === 1) h.flagger.deploy('rev3'); };
    const run = await h.cli('abort', 'podinfo');
    expect(run.code).toBe(1);
    expect(run.err).toBe(`cdk8s-canary abort: ${NEW_REVISION}; the rollback gate of test/podinfo is closed again: the release was not rolled back\n`);
    h.flagger.tick();
    expect(h.flagger.status).toEqual(expect.objectContaining({ phase: 'Progressing', lastAppliedSpec: 'rev3' }));
  });

  test('only a ConfigMap the Deployment uses changed (same lastAppliedSpec, new trackedConfigs): a new revision too', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2', trackedConfigs: { 'configmap/podinfo-config': 'c1' } });
    h.onWait = (n) => { if (n === 1) h.flagger.changeConfig('configmap/podinfo-config', 'c2'); };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.code).toBe(1);
    expect(run.err).toBe('cdk8s-canary gate: a change of the ConfigMaps or Secrets the Deployment uses (status.trackedConfigs) replaced the release '
      + '(phase Progressing, canary weight 0%, failed checks 0): the gate must not pass it; the gate of test/podinfo is closed again\n');
    expect(h.flagger.status).toEqual(expect.objectContaining({ lastAppliedSpec: 'rev2', trackedConfigs: { 'configmap/podinfo-config': 'c2' } }));
  });
});

describe('gate open: for this release, closed when it has passed its last gate', () => {
  test('every held weight and the promotion pass; at Promoting the gate closes, so the next release is held again', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    const run = await h.cli('gate', 'open', 'podinfo');
    expect(run).toEqual({
      code: 0,
      out: 'gate of test/podinfo opened for this release (phase Progressing, canary weight 10%, failed checks 0): its held stages pass until the release ends; waiting to close it then (Ctrl-C closes it now)\n'
        + '  phase Progressing, canary weight 20%, failed checks 0\n'
        + '  phase Progressing, canary weight 30%, failed checks 0\n'
        + '  phase Promoting, canary weight 30%, failed checks 0\n'
        + 'the release passed its last gate (phase Promoting, canary weight 30%, failed checks 0); gate closed\n',
      err: '',
    });
    expect(recordWrites()).toEqual([
      { data: { 'podinfo.gate': gateRecord('rev2', 'Progressing', 'gate open') }, guarded: true },
      { data: { 'podinfo.gate': null }, guarded: true },
    ]);
    // The next release: Flagger promotes, then a new revision is held at its first traffic increase.
    h.flagger.deploy('rev3');
    for (let i = 0; i < 6; i++) h.flagger.tick();
    expect(h.flagger.status).toEqual(expect.objectContaining({ phase: 'Progressing', canaryWeight: 0, lastAppliedSpec: 'rev3', lastPromotedSpec: 'rev2' }));
  });

  test('held at confirm-rollout: the record follows the release to its new revision', async () => {
    await h.stop();
    h = await new Harness().start([
      { name: 'confirm-rollout-gate', type: 'confirm-rollout', url: 'http://flagger-loadtester.test/gate/check' },
      ...GATE_WEBHOOKS,
    ]);
    h.flagger.deploy('rev2');
    h.flagger.tick();
    h.onWait = (n) => { if (n === 2) h.flagger.stalled = 100; };
    const run = await h.cli('gate', 'open', 'podinfo', '--timeout', '10');
    expect(run.code).toBe(1);
    expect(recordWrites().map((w) => w.data['podinfo.gate'])).toEqual([
      gateRecord('rev1', 'Waiting', 'gate open'),
      gateRecord('rev2', 'Progressing', 'gate open'),
      null,
    ]);
    expect(run.err).toBe('cdk8s-canary gate: the Canary did not finish its release within 10s; the gate of test/podinfo is closed again\n');
  });

  test('a Canary between releases is refused: an open gate would pass the next release unasked', async () => {
    const run = await h.cli('gate', 'open', 'podinfo');
    expect(run).toEqual({
      code: 1,
      out: '',
      err: 'cdk8s-canary gate: the Canary test/podinfo is not in a release (phase Succeeded, canary weight 0%, failed checks 0): no gate holds it now, and an open gate '
        + "would pass the next release's gates unasked; to do that on purpose: cdk8s-canary gate open podinfo -n test --detach\n",
    });
    expect(h.kubectl.calls).toEqual([]);
    expect(h.api.writes()).toEqual([]);
  });
});

describe('a gate is closed only by the run that opened it (other operators, a loadtester restart)', () => {
  beforeEach(() => h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' }));

  test('already open (another operator\'s gate open for this release): promote leaves it as it is, and their record', async () => {
    h.tester.gates.set('podinfo.test', true);
    putRecord('gate', gateRecord('rev2', 'Progressing', 'gate open', 'run-bob'));
    const run = await h.cli('promote', 'podinfo');
    expect(run).toEqual({
      code: 1,
      out: '',
      err: "cdk8s-canary promote: the gate of test/podinfo is already open, opened by 'gate open' at 2025-06-01T10:00:00.000Z for revision rev2 (phase Progressing): "
        + 'this command leaves it as it is, and does not close a gate it did not open. To close it: cdk8s-canary gate close podinfo -n test\n',
    });
    expect(h.kubectl.calls).toEqual([execArgs('/gate/check')]);
    expect(h.tester.isOpen('podinfo.test')).toBe(true);
    expect(h.records()).toEqual({ 'podinfo.gate': gateRecord('rev2', 'Progressing', 'gate open', 'run-bob') });
  });

  test('already open with no record (opened by hand): the same', async () => {
    h.tester.gates.set('podinfo.test', true);
    const run = await h.cli('gate', 'open', 'podinfo', '--detach');
    expect(run.err).toBe('cdk8s-canary gate: the gate of test/podinfo is already open, and cdk8s-canary did not open it, or its record is gone: '
      + 'this command leaves it as it is, and does not close a gate it did not open. To close it: cdk8s-canary gate close podinfo -n test\n');
    expect(h.api.writes()).toEqual([]);
  });

  test('two operators at once: the one whose record write loses (409 on the resourceVersion) leaves the gate to the other', async () => {
    putRecord('gate', gateRecord('rev1', 'Progressing', 'gate open --detach', 'run-old'));
    let raced = false;
    h.api.beforeRequest = (method, path) => {
      if (method === 'PATCH' && path === RECORDS && !raced) {
        raced = true;
        putRecord('gate', gateRecord('rev2', 'Progressing', 'gate open', 'run-bob'));
      }
    };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.err).toBe("cdk8s-canary gate: someone else is opening the gate of test/podinfo right now ('gate open' at 2025-06-01T10:00:00.000Z for revision rev2 "
      + '(phase Progressing)): this command leaves it to them\n');
    expect(h.kubectl.calls).toEqual([execArgs('/gate/check')]);
    expect(h.records()).toEqual({ 'podinfo.gate': gateRecord('rev2', 'Progressing', 'gate open', 'run-bob') });
  });

  test('a record left over from an earlier run is replaced (the gate is closed)', async () => {
    putRecord('gate', gateRecord('rev1', 'Progressing', 'gate open --detach', 'run-old'));
    expect((await h.cli('gate', 'open', 'podinfo', '--detach')).code).toBe(0);
    expect(h.records()).toEqual({ 'podinfo.gate': gateRecord('rev2', 'Progressing', 'gate open --detach') });
  });

  test('taken over while this run held it (closed and opened again by another operator): left open to them, with their record', async () => {
    h.flagger.stalled = 100;
    h.onWait = (n) => {
      if (n === 2) putRecord('gate', gateRecord('rev2', 'Progressing', 'gate open --detach', 'run-bob'));
    };
    const run = await h.cli('gate', 'open', 'podinfo');
    expect(run.err).toBe("cdk8s-canary gate: 'gate open --detach' at 2025-06-01T10:00:00.000Z for revision rev2 (phase Progressing) took the gate of test/podinfo over: "
      + 'this command leaves it open, to them\n');
    expect(run.code).toBe(1);
    expect(h.kubectl.calls.map((c) => c[c.length - 1].replace('http://localhost:8080', ''))).toEqual(['/gate/check', '/gate/open', '/gate/check', '/gate/check']);
    expect(h.tester.isOpen('podinfo.test')).toBe(true);
    expect(h.records()['podinfo.gate'].run).toBe('run-bob');
  });

  test('closed by another operator (gate close removes the record) while this run held it: the wait ends, exit 1', async () => {
    h.flagger.stalled = 100;
    h.onWait = (n) => {
      if (n === 2) {
        h.tester.gates.set('podinfo.test', false);
        h.api.put(RECORDS, { ...h.api.objects.get(RECORDS), data: {} });
      }
    };
    const run = await h.cli('gate', 'open', 'podinfo');
    expect(run.err).toBe("cdk8s-canary gate: the gate of test/podinfo was closed while this command held it open, and its record removed: someone ran 'gate close': "
      + 'the release is held again; run the command again to open it again\n');
    expect(h.kubectl.calls.map((c) => c[c.length - 1].replace('http://localhost:8080', ''))).toEqual(['/gate/check', '/gate/open', '/gate/check', '/gate/check']);
  });

  test('lost by a restart of the loadtester (gates live in its memory): reported at the next read, the record removed, exit 1', async () => {
    h.flagger.stalled = 100;
    h.onWait = (n) => { if (n === 1) h.tester.gates.clear(); };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.err).toBe('cdk8s-canary gate: the gate of test/podinfo was closed while this command held it open, not by cdk8s-canary: the loadtester keeps its gates '
      + 'in memory only, so a restart of its pod closes them all (or someone called its /gate/close): the release is held again; run the command again to open it again\n');
    expect(h.waits).toBe(1);
    expect(h.records()).toEqual({});
  });
});

describe('gate open --detach, gate close, gate status, reset', () => {
  test('--detach leaves the gate open: this release and the next pass their gates unasked until reset closes it', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    const run = await h.cli('gate', 'open', 'podinfo', '--detach');
    expect(run).toEqual({
      code: 0,
      out: 'gate of test/podinfo opened and left open (--detach): every held stage (confirm-traffic-increase and confirm-promotion) passes, of this release and of the next, '
        + "until 'cdk8s-canary gate close podinfo -n test'\n",
      err: '',
    });
    expect(h.records()).toEqual({ 'podinfo.gate': gateRecord('rev2', 'Progressing', 'gate open --detach') });
    for (let i = 0; i < 5; i++) h.flagger.tick();
    expect(h.flagger.status).toEqual(expect.objectContaining({ phase: 'Succeeded', lastPromotedSpec: 'rev2' }));
    h.flagger.deploy('rev3');
    for (let i = 0; i < 3; i++) h.flagger.tick();
    expect(h.flagger.status).toEqual(expect.objectContaining({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev3' }));
    const reset = await h.cli('reset', 'podinfo');
    expect(reset).toEqual({ code: 0, out: 'gate and rollback gate of test/podinfo closed\n', err: '' });
    expect(h.kubectl.calls.slice(2)).toEqual([execArgs('/gate/close'), execArgs('/rollback/close')]);
    expect(h.records()).toEqual({});
    h.flagger.tick();
    expect(h.flagger.status.canaryWeight).toBe(20);
  });

  test('gate close closes and removes the record, whoever opened it; gate status reads /gate/check', async () => {
    h.tester.gates.set('podinfo.test', true);
    putRecord('gate', gateRecord('rev2', 'Progressing', 'gate open --detach', 'run-bob'));
    expect(await h.cli('gate', 'status', 'podinfo')).toEqual({ code: 0, out: 'gate of test/podinfo: open\n', err: '' });
    expect(await h.cli('gate', 'close', 'podinfo')).toEqual({ code: 0, out: 'gate of test/podinfo closed\n', err: '' });
    expect(await h.cli('gate', 'status', 'podinfo')).toEqual({ code: 0, out: 'gate of test/podinfo: closed\n', err: '' });
    expect(h.kubectl.calls).toEqual([execArgs('/gate/check'), execArgs('/gate/close'), execArgs('/gate/check')]);
    expect(h.api.writes().map((w) => w.body)).toEqual([NO_GATE_RECORD]);
    expect(h.records()).toEqual({});
  });

  test('reset tries both closes: the one that fails is said (its record kept), the other gate is closed all the same', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    h.tester.gates.set('podinfo.test', true);
    h.tester.gates.set('rollback.podinfo.test', true);
    putRecord('gate', gateRecord('rev2', 'Progressing', 'gate open --detach', 'run-bob'));
    putRecord('rollback', gateRecord('rev2', 'Progressing', 'abort --detach', 'run-bob'));
    h.kubectl.intercept = (args, result) => (args[args.length - 1].endsWith('/gate/close') ? { status: 1, stdout: '', stderr: 'error: lost connection to pod\n' } : result);
    const run = await h.cli('reset', 'podinfo');
    expect(run).toEqual({
      code: 1,
      out: 'rollback gate of test/podinfo closed\n',
      err: 'cdk8s-canary reset: could not close the gate of test/podinfo: kubectl exec into deploy/flagger-loadtester in namespace test failed (exit code 1): '
        + 'error: lost connection to pod\n',
    });
    expect(h.kubectl.calls).toEqual([execArgs('/gate/close'), execArgs('/rollback/close')]);
    expect(h.tester.isOpen('rollback.podinfo.test')).toBe(false);
    expect(h.records()).toEqual({ 'podinfo.gate': gateRecord('rev2', 'Progressing', 'gate open --detach', 'run-bob') });
  });

  test('reset refused by the loadtester (its -namespace-regexp: 403 to both closes): both refusals said, nothing written', async () => {
    h.tester.namespaceRegexp = /^prod-/;
    const run = await h.cli('reset', 'podinfo');
    expect(run).toEqual({
      code: 1,
      out: '',
      err: 'cdk8s-canary reset: could not close the gate of test/podinfo: the loadtester test/flagger-loadtester refused to close the gate of test/podinfo (403 Forbidden): '
        + "its -namespace-regexp does not admit namespace 'test'; could not close the rollback gate of test/podinfo: the loadtester test/flagger-loadtester refused to close "
        + "the rollback gate of test/podinfo (403 Forbidden): its -namespace-regexp does not admit namespace 'test'\n",
    });
    expect(h.kubectl.calls).toEqual([execArgs('/gate/close'), execArgs('/rollback/close')]);
    expect(h.api.writes()).toEqual([]);
  });

  test('a Canary without a manual gate: nothing to open', async () => {
    await h.stop();
    h = await new Harness().start([GATE_WEBHOOKS[2]]);
    h.flagger.set({ phase: 'Progressing' });
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.err).toBe("cdk8s-canary gate: the Canary test/podinfo has no manual gate (a confirm-rollout, confirm-traffic-increase or confirm-promotion webhook to the loadtester's "
      + '/gate/check: CanaryWebhook.manualGate()): nothing holds it, so there is no gate to open\n');
    expect(h.kubectl.calls).toEqual([]);
  });
});

describe('only the loadtester of the Canary\'s own namespace (issue 19)', () => {
  const OWN = 'flagger-loadtester.test, flagger-loadtester.test.svc, flagger-loadtester.test.svc.cluster.local; another cluster domain: --cluster-domain';
  test.each([
    ['http://victim-admin.payments:8080/gate/check', 'a Service other than flagger-loadtester or flagger-loadtester-<appName> (victim-admin)'],
    ['http://flagger-loadtester.payments/gate/check', "the loadtester of namespace 'payments', not 'test'"],
    ['http://flagger-loadtester/gate/check', "without a namespace: Flagger resolves it in its own namespace, not in 'test'"],
    ['http://flagger-loadtester.test:9090/gate/check', "port 9090, not the loadtester Service's port 80"],
    ['https://flagger-loadtester.test/gate/check', 'not http:// (the loadtester serves plain http on port 80)'],
    ['http://flagger-loadtester.test.evil.example/gate/check', `a host outside the cluster's Services (flagger-loadtester.test.evil.example; the Service's names are ${OWN})`],
    ['http://flagger-loadtester.test.svc.attacker.example/gate/check', `a host outside the cluster's Services (flagger-loadtester.test.svc.attacker.example; the Service's names are ${OWN})`],
  ])('%s is refused before anything runs; status still shows the Canary', async (url, why) => {
    await h.stop();
    h = await new Harness().start([{ name: 'gate', type: 'confirm-promotion', url }]);
    h.flagger.set({ phase: 'WaitingPromotion', canaryWeight: 0 });
    const refusal = `the webhook 'gate' of the Canary test/podinfo calls ${url}, ${why}. cdk8s-canary opens only the gates of a loadtester of the Canary's own `
      + 'namespace (http://flagger-loadtester.test/, or http://flagger-loadtester-<appName>.test/), so it refuses: it would act on another loadtester with your credentials while Flagger checks the one the URL names. '
      + "Correct the webhook's URL in the declaration";
    for (const argv of [['gate', 'open', 'podinfo', '--once'], ['gate', 'close', 'podinfo'], ['promote', 'podinfo'], ['reset', 'podinfo']]) {
      const run = await h.cli(...argv);
      expect({ argv, code: run.code, err: run.err }).toEqual({ argv, code: 1, err: `cdk8s-canary ${argv[0]}: ${refusal}\n` });
    }
    expect(await h.cli('status', 'podinfo')).toEqual({
      code: 1,
      out: 'Canary test/podinfo: phase WaitingPromotion, held at max weight (status.canaryWeight is reset in WaitingPromotion), failed checks 0 (revision rev1)\n'
        + "gate (confirm-promotion): unknown: not asked: its webhook calls another loadtester than the namespace's own\n",
      err: `warning: ${refusal}\n`,
    });
    expect(h.kubectl.calls).toEqual([]);
    expect(h.api.writes()).toEqual([]);
  });

  test('the forms of the own loadtester\'s address are accepted, with another cluster domain when told', async () => {
    await h.stop();
    h = await new Harness().start([
      { name: 'a', type: 'confirm-promotion', url: 'http://flagger-loadtester.test.svc/gate/check' },
      { name: 'b', type: 'confirm-traffic-increase', url: 'http://flagger-loadtester.test.svc.cluster.local:80/gate/check' },
      { name: 'c', type: 'confirm-traffic-increase', url: 'http://flagger-loadtester.test/gate/check' },
    ]);
    expect((await h.cli('gate', 'status', 'podinfo')).out).toBe('gate of test/podinfo: closed\n');
    await h.stop();
    h = await new Harness().start([{ name: 'a', type: 'confirm-promotion', url: 'http://flagger-loadtester.test.svc.corp.example/gate/check' }]);
    expect((await h.cli('gate', 'status', 'podinfo')).code).toBe(1);
    expect(await h.cli('gate', 'status', 'podinfo', '--cluster-domain', 'corp.example')).toEqual({ code: 0, out: 'gate of test/podinfo: closed\n', err: '' });
  });
});

describe('refusals, each saying what was refused and why', () => {
  beforeEach(() => h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' }));

  test('the loadtester\'s -namespace-regexp refuses the namespace (403 Forbidden to /gate/open): nothing stays recorded', async () => {
    h.tester.namespaceRegexp = /^prod-/;
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run).toEqual({
      code: 1,
      out: '',
      err: "cdk8s-canary gate: the loadtester test/flagger-loadtester refused to open the gate of test/podinfo (403 Forbidden): its -namespace-regexp does not admit namespace 'test'\n",
    });
    expect(recordWrites().map((w) => w.data['podinfo.gate'])).toEqual([gateRecord('rev2', 'Progressing', 'gate open --once'), null]);
    // The same 403 to a check reads as closed, as it does for Flagger's own checks.
    expect((await h.cli('gate', 'status', 'podinfo')).out).toBe('gate of test/podinfo: closed\n');
  });

  test('the exec stream is lost after the open reached the loadtester: the gate is closed again, not left open without a record', async () => {
    h.kubectl.intercept = (args, result) => (args[args.length - 1].endsWith('/gate/open') ? { status: 1, stdout: '', stderr: 'error: lost connection to pod\n' } : result);
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.err).toBe('cdk8s-canary gate: kubectl exec into deploy/flagger-loadtester in namespace test failed (exit code 1): error: lost connection to pod; '
      + 'in case the request reached the loadtester all the same, the gate of test/podinfo is closed again\n');
    expect(h.kubectl.calls.map((c) => c[c.length - 1].replace('http://localhost:8080', ''))).toEqual(['/gate/check', '/gate/open', '/gate/close']);
    expect(h.tester.isOpen('podinfo.test')).toBe(false);
    expect(h.records()).toEqual({});
  });

  test('... and the close fails too: the record stays, and the message says the gate may be OPEN', async () => {
    h.kubectl.intercept = (args, result) => {
      if (!args[args.length - 1].endsWith('/gate/open')) return result;
      h.kubectl.deployments.set('test/flagger-loadtester', { tester: h.tester, down: true });
      return { status: 1, stdout: '', stderr: 'error: lost connection to pod\n' };
    };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.err).toBe('cdk8s-canary gate: kubectl exec into deploy/flagger-loadtester in namespace test failed (exit code 1): error: lost connection to pod; '
      + 'the request may have reached the loadtester all the same, and the gate of test/podinfo may be OPEN: closing it failed: kubectl exec into deploy/flagger-loadtester '
      + 'in namespace test failed (exit code 7) (curl in the loadtester could not reach it on localhost): curl: (7) Failed to connect to localhost port 8080 after 0 ms: '
      + 'Could not connect to server; command terminated with exit code 7. Close it: cdk8s-canary gate close podinfo -n test\n');
    expect(h.tester.isOpen('podinfo.test')).toBe(true);
    expect(h.records()).toEqual({ 'podinfo.gate': gateRecord('rev2', 'Progressing', 'gate open --once') });
  });

  test('RBAC refuses pods/exec (kubectl exec): the API server\'s message', async () => {
    h.restrict([
      { apiGroups: ['flagger.app'], resources: ['canaries'], verbs: ['get'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    ]);
    const run = await h.cli('gate', 'close', 'podinfo');
    expect(run.err).toBe('cdk8s-canary gate: kubectl exec into deploy/flagger-loadtester in namespace test failed (exit code 1): Error from server (Forbidden): '
      + 'pods "flagger-loadtester-7d9c8b5f4-x2x9z" is forbidden: User "alice" cannot get resource "pods/exec" in API group "" in the namespace "test"\n');
  });

  test('no loadtester Deployment', async () => {
    h.api.objects.delete(LOADTESTER_DEPLOYMENT);
    const run = await h.cli('gate', 'close', 'podinfo');
    expect(run.err).toBe('cdk8s-canary gate: there is no loadtester Deployment test/flagger-loadtester (404 NotFound: deployments.apps "flagger-loadtester" not found)\n');
    expect(h.kubectl.calls).toEqual([]);
  });

  test('no ready loadtester pod: said so, instead of kubectl\'s "cannot watch pods" (it watches for a pod, which the Role does not allow)', async () => {
    h.restrict([
      { apiGroups: ['flagger.app'], resources: ['canaries'], verbs: ['get'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
    ]);
    h.scaleLoadTester(0);
    const run = await h.cli('gate', 'close', 'podinfo');
    expect(run.err).toBe('cdk8s-canary gate: the loadtester Deployment test/flagger-loadtester has no ready pod (0 of 1 ready), so there is no loadtester to ask: '
      + 'look at it with kubectl -n test get deployment,pods -l app.kubernetes.io/name=flagger-loadtester\n');
    expect(h.kubectl.calls).toEqual([]);
  });

  test('a static token the API server no longer accepts: 401, with nothing to renew it', async () => {
    h.api.tokens.delete('alice-token');
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.err).toBe('cdk8s-canary gate: the API server refused to read the Canary test/podinfo: 401 Unauthorized: Unauthorized\n');
    expect(h.api.requests.map((r) => r.authorization)).toEqual(['Bearer alice-token']);
  });

  test('promote --full has no Flagger equivalent', async () => {
    const run = await h.cli('promote', 'podinfo', '--full');
    expect(run.err).toBe("cdk8s-canary promote: Flagger has no full promotion (skipping the analysis): 'cdk8s-canary gate open podinfo -n test' holds the gate open "
      + 'for the rest of this release, and the analysis still decides\n');
  });
});

describe('--once and a short analysis interval', () => {
  test('reads every quarter interval (10s: 2.5s, not 5s), and warns that a second step can pass', async () => {
    await h.stop();
    h = await new Harness().start(GATE_WEBHOOKS, '10s');
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    h.flagger.stalled = 2;
    const run = await h.cli('promote', 'podinfo');
    expect(run.code).toBe(0);
    expect(h.sleeps).toEqual([2500, 2500, 2500]);
    expect(run.err).toBe('warning: the analysis interval of test/podinfo is 10s: the gate is closed within about 2.5s of the step plus a kubectl exec, which can come close '
      + "to Flagger's next check, and a second step would pass too; 'gate open' holds it for the rest of the release instead\n");
  });

  test('a minute: reads every 5 s, no warning', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    const run = await h.cli('promote', 'podinfo');
    expect(h.sleeps).toEqual([5000]);
    expect(run.err).toBe('');
  });
});

describe('--via proxy: the API server\'s Service proxy', () => {
  const PROXY = (route: string) => `POST /api/v1/namespaces/test/services/http:flagger-loadtester:80/proxy${route}`;
  beforeEach(() => h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' }));

  test('promote: the same calls, as POSTs with the Canary\'s name and namespace', async () => {
    const run = await h.cli('promote', 'podinfo', '--via', 'proxy');
    expect(run.code).toBe(0);
    expect(h.api.lines()).toEqual([CANARY, PROXY('/gate/check'), READ_RECORD, RECORD, PROXY('/gate/open'), CANARY, READ_RECORD, PROXY('/gate/close'), READ_RECORD, RECORD]);
    expect(h.api.requests.filter((r) => r.method === 'POST').map((r) => [r.body, r.contentType, r.authorization])).toEqual(
      [1, 2, 3].map(() => ['{"name":"podinfo","namespace":"test"}', 'application/json', 'Bearer alice-token']));
    expect(h.kubectl.calls).toEqual([]);
    expect(h.tester.requests.filter((r) => !r.body.includes('phase')).map((r) => r.path)).toEqual(['/gate/check', '/gate/open', '/gate/close']);
  });

  test('the answer to /gate/open is lost in the proxy after the loadtester got it (503 "error trying to reach service: EOF"): the gate is closed again', async () => {
    h.api.services.set('test/flagger-loadtester', { backend: h.tester, endpoints: true, reachable: true, loseAnswerTo: '/gate/open' });
    const run = await h.cli('promote', 'podinfo', '--via', 'proxy');
    expect(run).toEqual({
      code: 1,
      out: '',
      err: "cdk8s-canary promote: POST /api/v1/namespaces/test/services/http:flagger-loadtester:80/proxy/gate/open failed in the API server's Service proxy, "
        + 'after it may have reached the loadtester: 503 ServiceUnavailable: error trying to reach service: EOF; in case the request reached the loadtester all the same, '
        + 'the gate of test/podinfo is closed again\n',
    });
    expect(h.api.lines()).toEqual([CANARY, PROXY('/gate/check'), READ_RECORD, RECORD, PROXY('/gate/open'), PROXY('/gate/close'), READ_RECORD, RECORD]);
    expect(h.tester.requests.map((r) => r.path)).toEqual(['/gate/check', '/gate/open', '/gate/close']);
    expect(h.tester.isOpen('podinfo.test')).toBe(false);
    expect(h.records()).toEqual({});
  });

  test.each([
    ['RBAC refuses services/proxy', () => h.restrict([{ apiGroups: ['flagger.app'], resources: ['canaries'], verbs: ['get'] }]),
      '403 Forbidden: services "http:flagger-loadtester:80" is forbidden: User "alice" cannot create resource "services/proxy" in API group "" in the namespace "test"'],
    ['no loadtester pod', () => h.api.services.set('test/flagger-loadtester', { endpoints: false, reachable: true }),
      '503 ServiceUnavailable: no endpoints available for service "flagger-loadtester"'],
    ['its NetworkPolicy drops the API server', () => h.api.services.set('test/flagger-loadtester', { backend: h.tester, endpoints: true, reachable: false }),
      "503 ServiceUnavailable: error trying to reach service: dial tcp 10.244.0.7:8080: i/o timeout (the loadtester's NetworkPolicy admits only Flagger's pods "
      + 'unless LoadTesterOptions.allowIngressFromCidrs admits the API server: use --via exec, the default)'],
    ['no loadtester Service', () => h.api.services.clear(), '404 NotFound: services "flagger-loadtester" not found'],
  ])('%s', async (_what, arrange, message) => {
    arrange();
    const run = await h.cli('gate', 'close', 'podinfo', '--via', 'proxy');
    expect(run).toEqual({ code: 1, out: '', err: `cdk8s-canary gate: the API server refused POST /api/v1/namespaces/test/services/http:flagger-loadtester:80/proxy/gate/close: ${message}\n` });
  });
});

describe('--insecure-allow-http-token covers the tool\'s own requests, not kubectl exec (client-go sends no credentials to http://)', () => {
  test('with --via exec the loadtester call is refused before kubectl runs; --via proxy works', async () => {
    const api = new FakeApiServer(false);
    const server = await api.start();
    api.tokens.set('alice-token', 'alice');
    for (const [path, object] of h.api.objects) api.objects.set(path, object);
    api.services.set('test/flagger-loadtester', { backend: h.tester, endpoints: true, reachable: true });
    h.env = { KUBECONFIG: writeKubeconfig(h.dir, server, 'token: alice-token') };
    try {
      const run = await h.cli('gate', 'status', 'podinfo', '--insecure-allow-http-token');
      expect(run).toEqual({
        code: 1,
        out: '',
        err: `warning: sending a bearer token to ${server} over plain http:// (--insecure-allow-http-token)\n`
          + `cdk8s-canary gate: kubectl sends no credentials to the http:// API server ${server} (client-go reads a user's credentials only for a TLS transport), `
          + "so kubectl exec would reach the loadtester as system:anonymous: --insecure-allow-http-token covers only this tool's own requests; add --via proxy\n",
      });
      expect(h.kubectl.calls).toEqual([]);
      expect((await h.cli('gate', 'status', 'podinfo', '--insecure-allow-http-token', '--via', 'proxy')).out).toBe('gate of test/podinfo: closed\n');
    } finally {
      await api.stop();
    }
  });
});

describe('abort: the rollback gate, closed again once Flagger has rolled back', () => {
  test('rolls back at the next check, closes the rollback gate, and the next release is not rolled back', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2' });
    const run = await h.cli('abort', 'podinfo');
    expect(run).toEqual({
      code: 0,
      out: 'rollback gate of test/podinfo opened: Flagger rolls the release back at its next check; waiting for it (Ctrl-C closes the gate: no rollback)\n'
        + '  phase Failed, canary weight 0%, failed checks 0\n'
        + 'rolled back (phase Failed, canary weight 0%, failed checks 0); rollback gate closed, so the next release is not rolled back\n',
      err: '',
    });
    expect(h.kubectl.calls).toEqual([execArgs('/rollback/check'), execArgs('/rollback/open'), execArgs('/rollback/close')]);
    expect(recordWrites()).toEqual([
      { data: { 'podinfo.rollback': gateRecord('rev2', 'Progressing', 'abort') }, guarded: true },
      { data: { 'podinfo.rollback': null }, guarded: true },
    ]);
    h.flagger.deploy('rev3');
    h.tester.gates.set('podinfo.test', true);
    for (let i = 0; i < 3; i++) h.flagger.tick();
    expect(h.flagger.status).toEqual(expect.objectContaining({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev3' }));
  });

  test('--detach leaves it open: the next release is rolled back at its first check until reset', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2' });
    const run = await h.cli('abort', 'podinfo', '--detach');
    expect(run.out).toBe('rollback gate of test/podinfo opened and left open (--detach): Flagger rolls this release back at its next check, and every later release at its first, '
      + "until 'cdk8s-canary reset podinfo -n test'\n");
    h.flagger.tick();
    expect(h.flagger.status.phase).toBe('Failed');
    h.flagger.deploy('rev3');
    h.flagger.tick();
    h.flagger.tick();
    expect(h.flagger.status).toEqual(expect.objectContaining({ phase: 'Failed', lastAppliedSpec: 'rev3' }));
    const status = await h.cli('status', 'podinfo');
    expect(status.err).toBe('warning: the rollback gate of test/podinfo is open and no release is running (phase Failed, canary weight 0%, failed checks 0): '
      + 'the next release is rolled back at its first check. Close it: cdk8s-canary reset podinfo -n test\n');
    await h.cli('reset', 'podinfo');
    h.flagger.deploy('rev4');
    h.flagger.tick();
    h.flagger.tick();
    expect(h.flagger.status).toEqual(expect.objectContaining({ phase: 'Progressing', lastAppliedSpec: 'rev4' }));
  });

  test('Flagger does not roll back within --timeout: the rollback gate is closed again and the release goes on', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2' });
    h.flagger.stalled = 100;
    const run = await h.cli('abort', 'podinfo', '--timeout', '5');
    expect(run.err).toBe('cdk8s-canary abort: Flagger did not roll back within 5s: the release goes on; the rollback gate of test/podinfo is closed again: the release was not rolled back\n');
    expect(h.tester.isOpen('rollback.podinfo.test')).toBe(false);
  });

  test('the release ends first (promoted): exit 1, rollback gate closed', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2' });
    h.onWait = (n) => { if (n === 1) { h.flagger.set({ phase: 'Promoting' }); h.flagger.stalled = 1; } };
    const run = await h.cli('abort', 'podinfo');
    expect(run.err).toBe('cdk8s-canary abort: the release ended before Flagger rolled it back (phase Promoting, canary weight 20%, failed checks 0); '
      + 'the rollback gate of test/podinfo is closed again: the release was not rolled back\n');
  });

  test('held at confirm-rollout (Waiting): refused, since Flagger asks no rollback hook there and would roll the release back once let through', async () => {
    await h.stop();
    h = await new Harness().start([{ name: 'confirm-rollout-gate', type: 'confirm-rollout', url: 'http://flagger-loadtester.test/gate/check' }, GATE_WEBHOOKS[2]]);
    h.flagger.deploy('rev2');
    h.flagger.tick();
    expect(h.flagger.status.phase).toBe('Waiting');
    const run = await h.cli('abort', 'podinfo');
    expect(run).toEqual({
      code: 1,
      out: '',
      err: 'cdk8s-canary abort: the Canary test/podinfo is held at confirm-rollout (phase Waiting, canary weight 0%, failed checks 0): Flagger asks the rollback gate '
        + 'only in phase Progressing and WaitingPromotion (in Waiting it returns before the rollback hooks), so an open rollback gate would roll nothing back now, '
        + 'and roll this release back as soon as it is let through. The new revision gets no traffic while its confirm-rollout gate is closed; to reject it, '
        + 'revert the change in Git\n',
    });
    expect(h.kubectl.calls).toEqual([]);
    // Flagger agrees: with the rollback gate open, a Waiting Canary stays Waiting; let through, it is rolled back at once.
    h.tester.gates.set('rollback.podinfo.test', true);
    h.flagger.tick();
    expect(h.flagger.status.phase).toBe('Waiting');
    h.tester.gates.set('podinfo.test', true);
    h.flagger.tick();
    h.flagger.tick();
    expect(h.flagger.status).toEqual(expect.objectContaining({ phase: 'Failed', lastAppliedSpec: 'rev2' }));
  });

  test('refused: no rollback gate; no release running', async () => {
    expect((await h.cli('abort', 'podinfo')).err).toBe('cdk8s-canary abort: the Canary test/podinfo is not in a release (phase Succeeded, canary weight 0%, failed checks 0): '
      + 'Flagger asks the rollback gate only in phase Progressing or WaitingPromotion, so there is nothing to roll back\n');
    await h.stop();
    h = await new Harness().start(GATE_WEBHOOKS.slice(0, 2));
    h.flagger.set({ phase: 'Progressing' });
    expect((await h.cli('abort', 'podinfo')).err).toBe('cdk8s-canary abort: the Canary test/podinfo has no rollback gate, so Flagger cannot be told to roll back: add CanaryWebhook.rollbackGate() to its analysis\n');
    expect(h.kubectl.calls).toEqual([]);
  });
});

test('a gate that is behind the Canary (confirm-rollout only, already Progressing): nothing to let through', async () => {
  await h.stop();
  h = await new Harness().start([{ name: 'confirm-rollout-gate', type: 'confirm-rollout', url: 'http://flagger-loadtester.test/gate/check' }]);
  h.flagger.set({ phase: 'Progressing', canaryWeight: 10 });
  const run = await h.cli('promote', 'podinfo');
  expect(run).toEqual({
    code: 1,
    out: '',
    err: 'cdk8s-canary promote: no gate of the Canary test/podinfo is ahead of it (phase Progressing, canary weight 10%, failed checks 0; its gates: confirm-rollout): '
      + 'there is nothing to let through\n',
  });
  expect(h.kubectl.calls).toEqual([]);
});
