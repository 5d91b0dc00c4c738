import { GATE_WEBHOOKS, Harness, execArgs } from './fakes/harness';

// Every test talks to in-process HTTPS servers; the machine is shared.
jest.setTimeout(120_000);

let h: Harness;
beforeEach(async () => { h = await new Harness().start(); });
afterEach(async () => { await h.stop(); });

const setRecord = (kind: string, record: object) => h.api.put('/api/v1/namespaces/test/configmaps/cdk8s-canary-gates', {
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cdk8s-canary-gates', namespace: 'test' }, data: { [`podinfo.${kind}`]: JSON.stringify(record) },
});

describe('status: the Canary and every gate it has', () => {
  test('both gates closed: one check each, no record read', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2' });
    expect(await h.cli('status', 'podinfo')).toEqual({
      code: 0,
      out: 'Canary test/podinfo: phase Progressing, canary weight 20%, failed checks 0 (revision rev2)\n'
        + 'gate (confirm-traffic-increase, confirm-promotion): closed\n'
        + 'rollback gate: closed\n',
      err: '',
    });
    expect(h.kubectl.calls).toEqual([execArgs('/gate/check'), execArgs('/rollback/check')]);
    // The loadtester Deployment is read once, for a ready pod to exec into.
    expect(h.api.lines()).toEqual(['GET /apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo', 'GET /apis/apps/v1/namespaces/test/deployments/flagger-loadtester']);
  });

  test('held at the promotion: WaitingPromotion resets status.canaryWeight to 0, while the router keeps the maximum', async () => {
    await h.stop();
    h = await new Harness().start(GATE_WEBHOOKS.slice(1));
    h.flagger.set({ phase: 'Progressing', canaryWeight: 30, lastAppliedSpec: 'rev2' });
    h.flagger.tick();
    expect(h.flagger.status).toEqual(expect.objectContaining({ phase: 'WaitingPromotion', canaryWeight: 0, iterations: -1 }));
    expect(await h.cli('status', 'podinfo')).toEqual({
      code: 0,
      out: 'Canary test/podinfo: phase WaitingPromotion, held at max weight (status.canaryWeight is reset in WaitingPromotion), failed checks 0 (revision rev2)\n'
        + 'gate (confirm-promotion): closed\n'
        + 'rollback gate: closed\n',
      err: '',
    });
  });

  test('a rollback gate open while the release waits at confirm-rollout: rolled back once let through (Flagger asks no rollback hook in Waiting)', async () => {
    h.flagger.set({ phase: 'Waiting', canaryWeight: 0, lastAppliedSpec: 'rev1' });
    h.tester.gates.set('rollback.podinfo.test', true);
    expect((await h.cli('status', 'podinfo')).err).toBe('warning: the rollback gate of test/podinfo is open: the release held at confirm-rollout (phase Waiting) is rolled back '
      + 'at its first check once it is let through. Close it: cdk8s-canary reset podinfo -n test\n');
  });

  test('a Canary without gates: no call to the loadtester at all', async () => {
    await h.stop();
    h = await new Harness().start([]);
    expect((await h.cli('status', 'podinfo')).out).toBe('Canary test/podinfo: phase Succeeded, canary weight 0%, failed checks 0 (revision rev1)\nno manual gate and no rollback gate\n');
    expect(h.kubectl.calls).toEqual([]);
  });

  test('a gate opened for this release: who opened it and when; no warning', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2' });
    h.tester.gates.set('podinfo.test', true);
    setRecord('gate', { revision: 'rev2', phase: 'Progressing', openedAt: '2025-06-01T09:00:00.000Z', command: 'gate open --detach' });
    expect(await h.cli('status', 'podinfo')).toEqual({
      code: 0,
      out: 'Canary test/podinfo: phase Progressing, canary weight 20%, failed checks 0 (revision rev2)\n'
        + "gate (confirm-traffic-increase, confirm-promotion): open, by 'gate open --detach' at 2025-06-01T09:00:00.000Z for this release\n"
        + 'rollback gate: closed\n',
      err: '',
    });
    expect(h.api.lines()).toEqual(['GET /apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo', 'GET /apis/apps/v1/namespaces/test/deployments/flagger-loadtester',
      'GET /api/v1/namespaces/test/configmaps/cdk8s-canary-gates']);
  });

  test('a gate opened while the release waited at confirm-rollout belongs to it', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 0, lastAppliedSpec: 'rev2', lastPromotedSpec: 'rev1' });
    h.tester.gates.set('podinfo.test', true);
    setRecord('gate', { revision: 'rev1', phase: 'Waiting', openedAt: '2025-06-01T09:00:00.000Z', command: 'gate open --detach' });
    const run = await h.cli('status', 'podinfo');
    expect(run.out).toContain("open, by 'gate open --detach' at 2025-06-01T09:00:00.000Z for this release\n");
    expect(run.err).toBe('');
  });

  test('a gate left open from an earlier revision: this release passes unasked', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev3', lastPromotedSpec: 'rev2' });
    h.tester.gates.set('podinfo.test', true);
    setRecord('gate', { revision: 'rev2', phase: 'Progressing', openedAt: '2025-06-01T09:00:00.000Z', command: 'gate open --detach' });
    const run = await h.cli('status', 'podinfo');
    expect(run.out).toContain("gate (confirm-traffic-increase, confirm-promotion): open, by 'gate open --detach' at 2025-06-01T09:00:00.000Z for revision rev2 (phase Progressing)\n");
    expect(run.err).toBe("warning: the gate of test/podinfo is open, and it was opened for revision rev2 (phase Progressing), not this release's rev3: this release passes its "
      + 'confirm-traffic-increase and confirm-promotion gates unasked. Close it: cdk8s-canary gate close podinfo -n test\n');
  });

  test('a gate opened before a ConfigMap the Deployment uses changed: the same pod template, but another revision (status.trackedConfigs)', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2', trackedConfigs: { 'configmap/podinfo-config': 'c1' } });
    expect((await h.cli('gate', 'open', 'podinfo', '--detach')).code).toBe(0);
    h.flagger.changeConfig('configmap/podinfo-config', 'c2');
    h.flagger.tick();
    expect(h.flagger.status).toEqual(expect.objectContaining({ phase: 'Progressing', canaryWeight: 0, lastAppliedSpec: 'rev2' }));
    // The revision is lastAppliedSpec and a hash of the tracked checksums (SHA-256 of [["configmap/podinfo-config","c1"]]: 3fbf7ced47...).
    expect(await h.cli('status', 'podinfo')).toEqual({
      code: 0,
      out: 'Canary test/podinfo: phase Progressing, canary weight 0%, failed checks 0 (revision rev2/configs-14cb62e268)\n'
        + "gate (confirm-traffic-increase, confirm-promotion): open, by 'gate open --detach' at 2025-06-01T10:00:00.000Z for revision rev2/configs-3fbf7ced47 (phase Progressing)\n"
        + 'rollback gate: closed\n',
      err: "warning: the gate of test/podinfo is open, and it was opened for revision rev2/configs-3fbf7ced47 (phase Progressing), not this release's rev2/configs-14cb62e268: "
        + 'this release passes its confirm-traffic-increase and confirm-promotion gates unasked. Close it: cdk8s-canary gate close podinfo -n test\n',
    });
  });

  test('a gate opened by someone else (no record) during a release', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2' });
    h.tester.gates.set('podinfo.test', true);
    const run = await h.cli('status', 'podinfo');
    expect(run.out).toContain('gate (confirm-traffic-increase, confirm-promotion): open (cdk8s-canary did not open it, or its record is gone)\n');
    expect(run.err).toBe('warning: the gate of test/podinfo is open, and cdk8s-canary did not open it, or its record is gone: this release passes its '
      + 'confirm-traffic-increase and confirm-promotion gates unasked. Close it: cdk8s-canary gate close podinfo -n test\n');
  });

  test('an open gate between releases: what it will do to the next one', async () => {
    h.tester.gates.set('podinfo.test', true);
    h.api.objects.delete('/api/v1/namespaces/test/configmaps/cdk8s-canary-gates');
    const run = await h.cli('status', 'podinfo');
    expect(run.out).toContain('gate (confirm-traffic-increase, confirm-promotion): open (its record cannot be read (ConfigMap test/cdk8s-canary-gates: '
      + '404 NotFound: configmaps "cdk8s-canary-gates" not found))\n');
    expect(run.err).toBe('warning: the gate of test/podinfo is open and no release is running (phase Succeeded, canary weight 0%, failed checks 0): the next release '
      + 'passes its confirm-traffic-increase and confirm-promotion gates unasked. Close it: cdk8s-canary gate close podinfo -n test\n');
    expect(run.code).toBe(0);
  });

  test('a rollback gate open during a release that did not open it: Flagger rolls it back', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2' });
    h.tester.gates.set('rollback.podinfo.test', true);
    expect((await h.cli('status', 'podinfo')).err).toBe('warning: the rollback gate of test/podinfo is open: Flagger rolls this release back at its next check\n');
  });

  test('--output json: the same as data', async () => {
    h.flagger.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev3' });
    h.tester.gates.set('podinfo.test', true);
    setRecord('gate', { revision: 'rev2', phase: 'Progressing', openedAt: '2025-06-01T09:00:00.000Z', command: 'gate open --detach' });
    const run = await h.cli('status', 'podinfo', '--output', 'json');
    expect(run.err).toBe('');
    expect(JSON.parse(run.out)).toEqual({
      kind: 'Canary',
      namespace: 'test',
      name: 'podinfo',
      phase: 'Progressing',
      canaryWeight: 20,
      failedChecks: 0,
      iterations: 0,
      revision: 'rev3',
      inRelease: true,
      gates: [
        {
          gate: 'gate',
          stages: ['confirm-traffic-increase', 'confirm-promotion'],
          state: 'open',
          record: { revision: 'rev2', phase: 'Progressing', openedAt: '2025-06-01T09:00:00.000Z', command: 'gate open --detach' },
          belongsToThisRelease: false,
          noRecord: null,
        },
        { gate: 'rollback', stages: ['rollback'], state: 'closed', record: null },
      ],
      warnings: ["the gate of test/podinfo is open, and it was opened for revision rev2 (phase Progressing), not this release's rev3: this release passes its "
        + 'confirm-traffic-increase and confirm-promotion gates unasked. Close it: cdk8s-canary gate close podinfo -n test'],
    });
  });

  test('a gate the loadtester cannot be asked about: unknown, exit 1', async () => {
    h.kubectl.deployments.set('test/flagger-loadtester', { tester: h.tester, down: true });
    const run = await h.cli('status', 'podinfo');
    expect(run.code).toBe(1);
    expect(run.out).toContain('gate (confirm-traffic-increase, confirm-promotion): unknown: kubectl exec into deploy/flagger-loadtester in namespace test failed (exit code 7)');
  });

  test('a user who may read Rollouts only still gets the status of a Rollout (403 on Canaries is no error)', async () => {
    h.api.objects.delete(h.flagger.path);
    h.api.put('/apis/argoproj.io/v1alpha1/namespaces/test/rollouts/podinfo', { kind: 'Rollout', metadata: { name: 'podinfo' }, spec: {}, status: { phase: 'Healthy' } });
    h.restrict([{ apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['get'] }]);
    expect(await h.cli('status', 'podinfo')).toEqual({ code: 0, out: 'Rollout test/podinfo: phase Healthy\n', err: '' });
    h.restrict([]);
    expect((await h.cli('status', 'podinfo')).err).toBe('cdk8s-canary status: cannot find test/podinfo: Canary: 403 Forbidden: canaries.flagger.app "podinfo" is forbidden: '
      + 'User "alice" cannot get resource "canaries" in API group "flagger.app" in the namespace "test"; Rollout: 403 Forbidden: rollouts.argoproj.io "podinfo" is forbidden: '
      + 'User "alice" cannot get resource "rollouts" in API group "argoproj.io" in the namespace "test" (--engine flagger|argo reads only one)\n');
  });

  test('nothing of that name', async () => {
    h.api.objects.delete(h.flagger.path);
    expect((await h.cli('status', 'podinfo')).err).toBe(`cdk8s-canary status: there is no Canary or Rollout test/podinfo on ${h.server}\n`);
    expect((await h.cli('status', 'podinfo', '--engine', 'flagger')).err).toBe(`cdk8s-canary status: there is no Canary test/podinfo on ${h.server} `
      + '(404 NotFound: canaries.flagger.app "podinfo" not found)\n');
  });
});

