import { FakeApiServer } from './fakes/fake-api-server';
import { FakeFlagger } from './fakes/fake-flagger';
import { FakeLoadTester } from './fakes/fake-loadtester';
import { GATE_WEBHOOKS } from './fakes/harness';

/*
 * The fake Flagger the CLI tests run against does what flagger v1.44.0 does, where the release
 * commands depend on it: setStatusPhase's resets (pkg/canary/status.go), the restart of the
 * analysis for a new revision in Progressing and WaitingPromotion (scheduler.go
 * hasCanaryRevisionChanged), and the early return of checkCanaryStatus in Waiting, which keeps the
 * rollback hooks from being asked there. No server is started: the fake calls the loadtester's
 * handler directly.
 */

const CONFIRM_ROLLOUT = { name: 'confirm-rollout-gate', type: 'confirm-rollout', url: 'http://flagger-loadtester.test/gate/check' };

function flagger(webhooks = GATE_WEBHOOKS) {
  const api = new FakeApiServer();
  const tester = new FakeLoadTester();
  return { tester, flagger: new FakeFlagger(api, tester, 'test', 'podinfo', webhooks) };
}

test('entering WaitingPromotion resets status.canaryWeight to 0 and iterations to analysis.iterations - 1; the router keeps the maximum; Promoting keeps the 0', () => {
  const { tester, flagger: f } = flagger(GATE_WEBHOOKS.slice(1));
  f.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2' });
  f.tick();
  expect(f.status).toEqual(expect.objectContaining({ phase: 'Progressing', canaryWeight: 30 }));
  f.tick();
  expect(f.status).toEqual(expect.objectContaining({ phase: 'WaitingPromotion', canaryWeight: 0, iterations: -1 }));
  expect(f.routedWeight).toBe(30);
  tester.gates.set('podinfo.test', true);
  f.tick();
  expect(f.status).toEqual(expect.objectContaining({ phase: 'Promoting', canaryWeight: 0 }));
  f.tick();
  expect(f.status).toEqual(expect.objectContaining({ phase: 'Finalising', canaryWeight: 0, iterations: 0 }));
  expect(f.routedWeight).toBe(0);
  f.tick();
  expect(f.status).toEqual(expect.objectContaining({ phase: 'Succeeded', lastPromotedSpec: 'rev2' }));
});

test('with a confirm-traffic-increase gate, the gate is asked at the maximum weight too, before the promotion (nextStepWeight > 0)', () => {
  const { tester, flagger: f } = flagger();
  f.set({ phase: 'Progressing', canaryWeight: 30, lastAppliedSpec: 'rev2' });
  f.tick();
  expect(f.status).toEqual(expect.objectContaining({ phase: 'Progressing', canaryWeight: 30 }));
  tester.gates.set('podinfo.test', true);
  f.tick();
  expect(f.status).toEqual(expect.objectContaining({ phase: 'Promoting', canaryWeight: 30 }));
});

test.each(['Progressing', 'WaitingPromotion'])('a new pod template in %s restarts the analysis: Progressing, weight 0, the new lastAppliedSpec, in one write', (phase) => {
  const { flagger: f } = flagger();
  f.set({ phase, canaryWeight: phase === 'Progressing' ? 20 : 0, iterations: 3, lastAppliedSpec: 'rev2' });
  f.deploy('rev3');
  f.tick();
  expect(f.status).toEqual(expect.objectContaining({ phase: 'Progressing', canaryWeight: 0, iterations: 0, failedChecks: 0, lastAppliedSpec: 'rev3' }));
  expect(f.routedWeight).toBe(0);
});

test('a changed ConfigMap restarts it too, with the same lastAppliedSpec and new trackedConfigs', () => {
  const { flagger: f } = flagger();
  f.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2', trackedConfigs: { 'configmap/podinfo': 'a' } });
  f.changeConfig('configmap/podinfo', 'b');
  f.tick();
  expect(f.status).toEqual(expect.objectContaining({ phase: 'Progressing', canaryWeight: 0, lastAppliedSpec: 'rev2', trackedConfigs: { 'configmap/podinfo': 'b' } }));
});

test('the promoted template again (a manual rollback) is no new revision (hasSpecChanged)', () => {
  const { flagger: f } = flagger();
  f.set({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2', lastPromotedSpec: 'rev1' });
  f.deploy('rev1');
  f.tick();
  expect(f.status).toEqual(expect.objectContaining({ phase: 'Progressing', canaryWeight: 20, lastAppliedSpec: 'rev2' }));
});

test('in Waiting only the confirm-rollout hooks are asked: an open rollback gate rolls nothing back there', () => {
  const { tester, flagger: f } = flagger([CONFIRM_ROLLOUT, GATE_WEBHOOKS[2]]);
  f.deploy('rev2');
  f.tick();
  expect(f.status).toEqual(expect.objectContaining({ phase: 'Waiting', lastAppliedSpec: 'rev1' }));
  tester.gates.set('rollback.podinfo.test', true);
  const before = tester.requests.length;
  f.tick();
  expect(f.status.phase).toBe('Waiting');
  expect(tester.requests.slice(before).map((r) => r.path)).toEqual(['/gate/check']);
});

test('Failed first syncs lastAppliedSpec to the new template, then asks confirm-rollout: held, it waits with the new revision applied', () => {
  const { flagger: f } = flagger([CONFIRM_ROLLOUT]);
  f.set({ phase: 'Failed', lastAppliedSpec: 'rev2', lastPromotedSpec: 'rev1' });
  f.deploy('rev3');
  f.tick();
  expect(f.status).toEqual(expect.objectContaining({ phase: 'Waiting', lastAppliedSpec: 'rev3' }));
});
