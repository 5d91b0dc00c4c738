import { GATE_WEBHOOKS, Harness, execArgs } from './fakes/harness';

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
const RECORD = 'PATCH /api/v1/namespaces/test/configmaps/cdk8s-canary-gates';
const record = (revision: string, phase: string, command: string) => JSON.stringify({ data: { 'podinfo.gate': JSON.stringify({ revision, phase, openedAt: '2025-06-01T10:00:00.000Z', command }) } });
const NO_GATE_RECORD = '{"data":{"podinfo.gate":null}}';
const NO_ROLLBACK_RECORD = '{"data":{"podinfo.rollback":null}}';

describe('gate open --once: one step, then the gate is closed', () => {
  test('held before a traffic increase: opens, Flagger takes the next weight, the gate closes', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run).toEqual({
      code: 0,
      out: 'gate of test/podinfo opened for one step (phase Progressing, canary weight 10%, failed checks 0); waiting for the Canary to take it (Ctrl-C closes the gate)\n'
        + '  phase Progressing, canary weight 20%, failed checks 0\n'
        + 'one step taken (phase Progressing, canary weight 20%, failed checks 0); gate closed\n',
      err: '',
    });
    expect(h.kubectl.calls).toEqual([execArgs('/gate/open'), execArgs('/gate/close')]);
    expect(h.tester.isOpen('podinfo.test')).toBe(false);
    // The record is written before the gate opens and removed after it closed.
    expect(h.api.lines()).toEqual([CANARY, RECORD, CANARY, RECORD]);
    expect(h.api.writes().map((w) => w.body)).toEqual([record('rev2', 'Progressing', 'gate open --once'), NO_GATE_RECORD]);
    expect(h.api.writes().map((w) => w.contentType)).toEqual(['application/merge-patch+json', 'application/merge-patch+json']);
    expect(h.records()).toEqual({});
  });

  test('held at the promotion (WaitingPromotion): the step is the promotion', async () => {
    h.flagger.set({ phase: 'WaitingPromotion', canaryWeight: 30, lastAppliedSpec: 'rev2' });
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.code).toBe(0);
    expect(run.out.split('\n').slice(1)).toEqual([
      '  phase Promoting, canary weight 30%, failed checks 0',
      'one step taken (phase Promoting, canary weight 30%, failed checks 0); gate closed',
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
        h.flagger.set({ phase: 'WaitingPromotion' });
        h.flagger.stalled = 1;
      }
    };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.out.split('\n').slice(1)).toEqual([
      '  phase WaitingPromotion, canary weight 30%, failed checks 0',
      '  phase Promoting, canary weight 30%, failed checks 0',
      'one step taken (phase Promoting, canary weight 30%, failed checks 0); gate closed',
      '',
    ]);
  });

  test('no step within --timeout: the gate is closed again, exit 1', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    h.flagger.stalled = 100;
    const run = await h.cli('gate', 'open', 'podinfo', '--once', '--timeout', '10');
    expect(run.code).toBe(1);
    expect(run.err).toBe('cdk8s-canary gate: the Canary took no step within 10s; the gate of test/podinfo is closed again\n');
    expect(h.waits).toBe(2);
    expect(h.kubectl.calls).toEqual([execArgs('/gate/open'), execArgs('/gate/close')]);
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
    expect(h.kubectl.calls).toEqual([execArgs('/gate/open'), execArgs('/gate/close')]);
    expect(h.tester.isOpen('podinfo.test')).toBe(false);
    expect(h.api.lines()).toEqual([CANARY, RECORD, CANARY, RECORD]);
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
    expect(h.records()['podinfo.gate']).toEqual({ revision: 'rev2', phase: 'Progressing', openedAt: '2025-06-01T10:00:00.000Z', command: 'gate open --once' });
  });

  test('a new revision restarting the analysis ends the hold: the gate must not pass it', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    h.flagger.stalled = 100;
    h.onWait = (n) => { if (n === 1) h.flagger.set({ canaryWeight: 0, lastAppliedSpec: 'rev3' }); };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.code).toBe(1);
    expect(run.err).toBe('cdk8s-canary gate: a new revision (rev3) replaced the release (phase Progressing, canary weight 0%, failed checks 0): the gate must not pass it; '
      + 'the gate of test/podinfo is closed again\n');
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
    expect(h.api.writes().map((w) => w.body)).toEqual([record('rev2', 'Progressing', 'gate open'), NO_GATE_RECORD]);
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
    h.flagger.stalled = 0;
    h.onWait = (n) => { if (n === 2) h.flagger.stalled = 100; };
    const run = await h.cli('gate', 'open', 'podinfo', '--timeout', '10');
    expect(run.code).toBe(1);
    expect(h.api.writes().map((w) => w.body)).toEqual([
      record('rev1', 'Waiting', 'gate open'),
      record('rev2', 'Progressing', 'gate open'),
      NO_GATE_RECORD,
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

describe('gate open --detach, gate close, gate status, reset', () => {
  test('--detach leaves the gate open: the next release passes its gates unasked until reset closes it', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
    const run = await h.cli('gate', 'open', 'podinfo', '--detach');
    expect(run).toEqual({
      code: 0,
      out: 'gate of test/podinfo opened and left open (--detach): every held stage (confirm-traffic-increase and confirm-promotion) passes, of this release and of the next, '
        + "until 'cdk8s-canary gate close podinfo -n test'\n",
      err: '',
    });
    expect(h.records()).toEqual({ 'podinfo.gate': { revision: 'rev2', phase: 'Progressing', openedAt: '2025-06-01T10:00:00.000Z', command: 'gate open --detach' } });
    // This release and the next run through every gate.
    h.flagger.deploy('rev3');
    for (let i = 0; i < 8; i++) h.flagger.tick();
    expect(h.flagger.status).toEqual(expect.objectContaining({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev3' }));
    const reset = await h.cli('reset', 'podinfo');
    expect(reset).toEqual({ code: 0, out: 'gate and rollback gate of test/podinfo closed\n', err: '' });
    expect(h.kubectl.calls.slice(1)).toEqual([execArgs('/gate/close'), execArgs('/rollback/close')]);
    expect(h.records()).toEqual({});
    h.flagger.tick();
    expect(h.flagger.status.canaryWeight).toBe(20);
  });

  test('gate close closes and removes the record; gate status reads /gate/check', async () => {
    h.tester.gates.set('podinfo.test', true);
    expect(await h.cli('gate', 'status', 'podinfo')).toEqual({ code: 0, out: 'gate of test/podinfo: open\n', err: '' });
    expect(await h.cli('gate', 'close', 'podinfo')).toEqual({ code: 0, out: 'gate of test/podinfo closed\n', err: '' });
    expect(await h.cli('gate', 'status', 'podinfo')).toEqual({ code: 0, out: 'gate of test/podinfo: closed\n', err: '' });
    expect(h.kubectl.calls).toEqual([execArgs('/gate/check'), execArgs('/gate/close'), execArgs('/gate/check')]);
    expect(h.api.writes().map((w) => w.body)).toEqual([NO_GATE_RECORD]);
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
  test.each([
    ['http://victim-admin.payments:8080/gate/check', 'a Service other than flagger-loadtester (victim-admin)'],
    ['http://flagger-loadtester.payments/gate/check', "the loadtester of namespace 'payments', not 'test'"],
    ['http://flagger-loadtester/gate/check', "without a namespace: Flagger resolves it in its own namespace, not in 'test'"],
    ['http://flagger-loadtester.test:9090/gate/check', "port 9090, not the loadtester Service's port 80"],
    ['https://flagger-loadtester.test/gate/check', 'not http:// (the loadtester serves plain http on port 80)'],
    ['http://flagger-loadtester.test.evil.example/gate/check', 'a host outside the cluster\'s Services (flagger-loadtester.test.evil.example)'],
  ])('%s is refused before anything runs', async (url, why) => {
    await h.stop();
    h = await new Harness().start([{ name: 'gate', type: 'confirm-promotion', url }]);
    h.flagger.set({ phase: 'WaitingPromotion' });
    for (const argv of [['gate', 'open', 'podinfo', '--once'], ['gate', 'close', 'podinfo'], ['promote', 'podinfo'], ['status', 'podinfo'], ['reset', 'podinfo']]) {
      const run = await h.cli(...argv);
      expect({ argv, code: run.code, err: run.err }).toEqual({
        argv,
        code: 1,
        err: `cdk8s-canary ${argv[0]}: the webhook 'gate' of the Canary test/podinfo calls ${url}, ${why}. cdk8s-canary opens only the gates of the loadtester of the Canary's own `
          + 'namespace (http://flagger-loadtester.test/), so it refuses: it would act on another loadtester with your credentials while Flagger checks the one the URL names. '
          + "Correct the webhook's URL in the declaration\n",
      });
    }
    expect(h.kubectl.calls).toEqual([]);
    expect(h.api.writes()).toEqual([]);
  });

  test('the forms of the own loadtester\'s address are accepted', async () => {
    await h.stop();
    h = await new Harness().start([
      { name: 'a', type: 'confirm-promotion', url: 'http://flagger-loadtester.test.svc/gate/check' },
      { name: 'b', type: 'confirm-traffic-increase', url: 'http://flagger-loadtester.test.svc.cluster.local:80/gate/check' },
    ]);
    expect((await h.cli('gate', 'status', 'podinfo')).out).toBe('gate of test/podinfo: closed\n');
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
    expect(h.api.writes().map((w) => w.body)).toEqual([record('rev2', 'Progressing', 'gate open --once'), NO_GATE_RECORD]);
    // The same 403 to a check reads as closed, as it does for Flagger's own checks.
    expect((await h.cli('gate', 'status', 'podinfo')).out).toBe('gate of test/podinfo: closed\n');
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
    h.kubectl.deployments.clear();
    const run = await h.cli('gate', 'close', 'podinfo');
    expect(run.err).toBe('cdk8s-canary gate: kubectl exec into deploy/flagger-loadtester in namespace test failed (exit code 1): Error from server (NotFound): '
      + 'deployments.apps "flagger-loadtester" not found\n');
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

describe('--via proxy: the API server\'s Service proxy', () => {
  const PROXY = (route: string) => `POST /api/v1/namespaces/test/services/http:flagger-loadtester:80/proxy${route}`;
  beforeEach(() => h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' }));

  test('promote: the same calls, as POSTs with the Canary\'s name and namespace', async () => {
    const run = await h.cli('promote', 'podinfo', '--via', 'proxy');
    expect(run.code).toBe(0);
    expect(h.api.lines()).toEqual([CANARY, RECORD, PROXY('/gate/open'), CANARY, PROXY('/gate/close'), RECORD]);
    expect(h.api.requests.filter((r) => r.method === 'POST').map((r) => [r.body, r.contentType, r.authorization])).toEqual([
      ['{"name":"podinfo","namespace":"test"}', 'application/json', 'Bearer alice-token'],
      ['{"name":"podinfo","namespace":"test"}', 'application/json', 'Bearer alice-token'],
    ]);
    expect(h.kubectl.calls).toEqual([]);
    expect(h.tester.requests.filter((r) => !r.body.includes('phase')).map((r) => r.path)).toEqual(['/gate/open', '/gate/close']);
  });

  test.each([
    ['RBAC refuses services/proxy', () => h.restrict([{ apiGroups: ['flagger.app'], resources: ['canaries'], verbs: ['get'] }]),
      '403 Forbidden: services "http:flagger-loadtester:80" is forbidden: User "alice" cannot create resource "services/proxy" in API group "" in the namespace "test"'],
    ['no loadtester pod', () => h.api.services.set('test/flagger-loadtester', { endpoints: false, reachable: true }),
      '503 ServiceUnavailable: no endpoints available for service "flagger-loadtester"'],
    ['its NetworkPolicy drops the API server', () => h.api.services.set('test/flagger-loadtester', { backend: h.tester, endpoints: true, reachable: false }),
      "503 ServiceUnavailable: error trying to reach service: dial tcp 10.244.0.7:8080: i/o timeout (the loadtester's NetworkPolicy admits only Flagger's namespace, not the API server: use --via exec, the default)"],
    ['no loadtester Service', () => h.api.services.clear(), '404 NotFound: services "flagger-loadtester" not found'],
  ])('%s', async (_what, arrange, message) => {
    arrange();
    const run = await h.cli('gate', 'close', 'podinfo', '--via', 'proxy');
    expect(run).toEqual({ code: 1, out: '', err: `cdk8s-canary gate: the API server refused POST /api/v1/namespaces/test/services/http:flagger-loadtester:80/proxy/gate/close: ${message}\n` });
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
    expect(h.kubectl.calls).toEqual([execArgs('/rollback/open'), execArgs('/rollback/close')]);
    expect(h.api.writes().map((w) => w.body)).toEqual([
      JSON.stringify({ data: { 'podinfo.rollback': JSON.stringify({ revision: 'rev2', phase: 'Progressing', openedAt: '2025-06-01T10:00:00.000Z', command: 'abort' }) } }),
      NO_ROLLBACK_RECORD,
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

  test('refused: no rollback gate; no release running', async () => {
    expect((await h.cli('abort', 'podinfo')).err).toBe('cdk8s-canary abort: the Canary test/podinfo is not in a release (phase Succeeded, canary weight 0%, failed checks 0): '
      + 'Flagger asks the rollback gate only in phase Progressing, Waiting or WaitingPromotion, so there is nothing to roll back\n');
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
