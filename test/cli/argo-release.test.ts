import { Harness } from './fakes/harness';
import { promotePatches } from '../../src/cli/release/argo-commands';

// Every test talks to in-process HTTPS servers; the machine is shared.
jest.setTimeout(120_000);

/*
 * Argo Rollouts: the patches of `kubectl argo rollouts promote|abort` (v1.9.1 promote.go, abort.go)
 * against the fake API server (status subresource, merge patches, RBAC, 409 on a stale
 * resourceVersion).
 */

let h: Harness;
beforeEach(async () => {
  h = await new Harness().start();
  h.api.objects.delete(h.flagger.path);
});
afterEach(async () => { await h.stop(); });

const CANARY = 'GET /apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo';
const ROLLOUT_PATH = '/apis/argoproj.io/v1alpha1/namespaces/test/rollouts/podinfo';
const STEPS = [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }];
const putRollout = (status: any, spec: any = {}) => h.api.put(ROLLOUT_PATH, {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'podinfo', namespace: 'test' },
  spec: { strategy: { canary: { steps: STEPS } }, ...spec },
  status,
});
const rv = () => h.api.objects.get(ROLLOUT_PATH).metadata.resourceVersion;

describe('promote', () => {
  test('at a pause: clears the pause conditions on the status subresource, guarded by the resourceVersion it read', async () => {
    putRollout({ phase: 'Paused', currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' }] });
    const read = rv();
    expect(await h.cli('promote', 'podinfo')).toEqual({ code: 0, out: 'Rollout test/podinfo promoted\n', err: '' });
    expect(h.api.lines()).toEqual([CANARY, `GET ${ROLLOUT_PATH}`, `PATCH ${ROLLOUT_PATH}/status`]);
    expect(h.api.writes().map((w) => [w.body, w.contentType])).toEqual([
      [`{"metadata":{"resourceVersion":"${read}"},"status":{"pauseConditions":null}}`, 'application/merge-patch+json'],
    ]);
    expect(h.api.objects.get(ROLLOUT_PATH).status).toEqual({ phase: 'Paused', currentStepIndex: 1 });
  });

  test('the Rollout moved between the read and the patch (409): computed again from what it is now', async () => {
    putRollout({ phase: 'Progressing', currentStepIndex: 0 });
    let moved = false;
    h.api.beforeRequest = (method) => {
      if (method === 'PATCH' && !moved) {
        moved = true;
        putRollout({ phase: 'Paused', currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' }] });
      }
    };
    const run = await h.cli('promote', 'podinfo', '--engine', 'argo');
    expect(run).toEqual({
      code: 0,
      out: 'Rollout test/podinfo promoted\n',
      err: 'the Rollout test/podinfo changed while promoting (409 Conflict); computing the promotion again from what it is now\n',
    });
    expect(h.api.lines()).toEqual([`GET ${ROLLOUT_PATH}`, `PATCH ${ROLLOUT_PATH}/status`, `GET ${ROLLOUT_PATH}`, `PATCH ${ROLLOUT_PATH}/status`]);
    // Computed from step 0 (skip to step 1), refused; then from the pause at step 1.
    expect(h.api.writes().map((w) => JSON.parse(w.body).status)).toEqual([{ pauseConditions: null, currentStepIndex: 1 }, { pauseConditions: null }]);
    expect(h.api.objects.get(ROLLOUT_PATH).status.currentStepIndex).toBe(1);
  });

  test('--full: status.promoteFull; a paused spec is unpaused after the status, as upstream orders them (tried as a dry run first)', async () => {
    putRollout({ currentPodHash: 'abc', stableRS: 'def' }, { paused: true });
    expect((await h.cli('promote', 'podinfo', '--full')).out).toBe('Rollout test/podinfo fully promoted\n');
    expect(h.api.writes().map((w) => [w.path, JSON.parse(w.body)])).toEqual([
      [`${ROLLOUT_PATH}?dryRun=All`, { spec: { paused: false } }],
      [`${ROLLOUT_PATH}/status`, { metadata: { resourceVersion: expect.any(String) }, status: { promoteFull: true } }],
      [ROLLOUT_PATH, { spec: { paused: false } }],
    ]);
    expect(h.api.objects.get(ROLLOUT_PATH).spec.paused).toBe(false);
  });

  test('--full on an aborted Rollout: a warning that the abort is removed and the aborted version promoted', async () => {
    putRollout({ currentPodHash: 'abc', stableRS: 'def', abort: true });
    const run = await h.cli('promote', 'podinfo', '--full');
    expect(run).toEqual({
      code: 0,
      out: 'Rollout test/podinfo fully promoted\n',
      err: 'warning: the Rollout test/podinfo is aborted (status.abort): a full promotion removes the abort (rollout/canary.go: PromoteFull clears it) '
        + 'and makes the aborted version the stable one\n',
    });
  });

  test('spec.paused with the Role (rollouts/status only): refused before anything is patched, so no step is skipped', async () => {
    putRollout({ currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' }] }, { paused: true });
    h.restrict([
      { apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['get'] },
      { apiGroups: ['argoproj.io'], resources: ['rollouts/status'], verbs: ['patch'] },
    ]);
    const run = await h.cli('promote', 'podinfo');
    expect(run).toEqual({
      code: 1,
      out: '',
      err: "cdk8s-canary promote: the API server refused to unpause the Rollout test/podinfo (spec.paused, set by 'kubectl argo rollouts pause' or by hand): "
        + `PATCH ${ROLLOUT_PATH}?dryRun=All: 403 Forbidden: rollouts.argoproj.io "podinfo" is forbidden: `
        + 'User "alice" cannot patch resource "rollouts" in API group "argoproj.io" in the namespace "test"; nothing was changed: the promotion needs both patches. '
        + 'Ask someone who may patch rollouts to unpause it (ReleaseOperatorRole grants only rollouts/status)\n',
    });
    expect(h.api.writes().map((w) => w.path)).toEqual([`${ROLLOUT_PATH}?dryRun=All`]);
    expect(h.api.objects.get(ROLLOUT_PATH).status).toEqual({ currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' }] });
  });

  test('nothing to promote', async () => {
    putRollout({ currentPodHash: 'abc', stableRS: 'abc' });
    expect((await h.cli('promote', 'podinfo', '--full')).out).toBe('Rollout test/podinfo has nothing to promote (its pods are already the stable version)\n');
    expect(h.api.writes()).toEqual([]);
  });
});

describe('abort', () => {
  test('status.abort on the status subresource; the next release resets it, so nothing is left behind', async () => {
    putRollout({ phase: 'Paused', currentStepIndex: 1 });
    expect(await h.cli('abort', 'podinfo')).toEqual({
      code: 0,
      out: 'Rollout test/podinfo aborted: traffic goes back to the stable version; spec.template still holds the new one, so the next change of it starts a new release\n',
      err: '',
    });
    expect(h.api.writes().map((w) => [w.method, w.path, w.body, w.contentType])).toEqual([
      ['PATCH', `${ROLLOUT_PATH}/status`, '{"status":{"abort":true}}', 'application/merge-patch+json'],
    ]);
    expect((await h.cli('status', 'podinfo')).out).toBe('Rollout test/podinfo: phase Paused, step 1 of 3, aborted\n');
    // The controller's resetRolloutStatus on the next pod template (rollout/sync.go).
    putRollout({ phase: 'Progressing', currentStepIndex: 0, abort: false });
    expect((await h.cli('status', 'podinfo')).out).toBe('Rollout test/podinfo: phase Progressing, step 0 of 3\n');
  });

  test('refused: RBAC, no Rollout, --detach', async () => {
    putRollout({});
    h.restrict([{ apiGroups: ['argoproj.io'], resources: ['rollouts'], verbs: ['get'] }]);
    expect((await h.cli('abort', 'podinfo')).err).toBe(`cdk8s-canary abort: the API server refused to abort the Rollout test/podinfo: PATCH ${ROLLOUT_PATH}/status: `
      + '403 Forbidden: rollouts.argoproj.io "podinfo" is forbidden: User "alice" cannot patch resource "rollouts/status" in API group "argoproj.io" in the namespace "test"\n');
    expect((await h.cli('abort', 'podinfo', '--detach')).err).toBe("cdk8s-canary abort: '--detach' is for Flagger's rollback gate: aborting the Rollout test/podinfo leaves nothing open\n");
    h.api.objects.delete(ROLLOUT_PATH);
    h.restrict([{ apiGroups: ['argoproj.io'], resources: ['rollouts', 'rollouts/status'], verbs: ['get', 'patch'] }]);
    expect((await h.cli('abort', 'podinfo', '--engine', 'argo')).err).toBe(`cdk8s-canary abort: there is no Rollout test/podinfo on ${h.server} `
      + '(404 NotFound: rollouts.argoproj.io "podinfo" not found)\n');
  });
});

describe('status, gate, reset', () => {
  test('status as text and as JSON', async () => {
    putRollout({ phase: 'Paused', currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' }], message: 'CanaryPauseStep' });
    expect((await h.cli('status', 'podinfo')).out).toBe('Rollout test/podinfo: phase Paused, step 1 of 3, paused (CanaryPauseStep): CanaryPauseStep\n');
    expect(JSON.parse((await h.cli('status', 'podinfo', '--output=json')).out)).toEqual({
      kind: 'Rollout',
      namespace: 'test',
      name: 'podinfo',
      phase: 'Paused',
      step: 1,
      steps: 3,
      paused: true,
      pauseReasons: ['CanaryPauseStep'],
      aborted: false,
      message: 'CanaryPauseStep',
      warnings: [],
    });
  });

  test('gate says to promote; reset has nothing to do', async () => {
    putRollout({});
    expect((await h.cli('gate', 'open', 'podinfo')).err).toBe(
      "cdk8s-canary gate: 'podinfo' is an Argo Rollouts Rollout, which has no loadtester gate: its holds are pauses; use 'cdk8s-canary promote podinfo -n test'\n");
    expect((await h.cli('reset', 'podinfo')).out).toBe('Rollout test/podinfo: Argo Rollouts keeps no gate outside the Rollout; nothing to reset\n');
    expect(h.api.writes()).toEqual([]);
    expect(h.kubectl.calls).toEqual([]);
  });
});

describe('promotePatches follows kubectl argo rollouts promote (v1.9.1 cmd/promote/promote.go, getPatches)', () => {
  const steps = { strategy: { canary: { steps: [{ setWeight: 10 }, { analysis: {} }, { setWeight: 50 }] } } };
  test.each([
    ['paused at a pause step', { spec: steps, status: { pauseConditions: [{}] } }, false, { status: '{"status":{"pauseConditions":null}}' }],
    ['a paused spec', { spec: { ...steps, paused: true }, status: { pauseConditions: [{}] } }, false, { spec: '{"spec":{"paused":false}}', status: '{"status":{"pauseConditions":null}}' }],
    ['mid-analysis: the next step', { spec: steps, status: { currentStepIndex: 1 } }, false, { status: '{"status":{"pauseConditions":null, "currentStepIndex":2}}' }],
    ['past the last step: the index stays', { spec: steps, status: { currentStepIndex: 3 } }, false, { status: '{"status":{"pauseConditions":null, "currentStepIndex":3}}' }],
    ['inconclusive: unpause the controller too', {
      spec: steps, status: { currentStepIndex: 1, controllerPause: true, pauseConditions: [{}], canary: { currentStepAnalysisRunStatus: { status: 'Inconclusive' } } },
    }, false, { status: '{"status":{"pauseConditions":null, "controllerPause":false, "currentStepIndex":2}}' }],
    ['inconclusive without steps: no index, so no status patch (GetCurrentCanaryStep gives none)', {
      spec: { strategy: { canary: {} } }, status: { controllerPause: true, pauseConditions: [{}], canary: { currentStepAnalysisRunStatus: { status: 'Inconclusive' } } },
    }, false, {}],
    ['a canary without steps, not paused: nothing (no currentStepIndex)', { spec: { strategy: { canary: {} } }, status: {} }, false, {}],
    ['full, not yet promoted', { spec: steps, status: { currentPodHash: 'a', stableRS: 'b' } }, true, { status: '{"status":{"promoteFull":true}}' }],
    ['full, already stable', { spec: steps, status: { currentPodHash: 'a', stableRS: 'a' } }, true, {}],
    ['blue/green waiting', { spec: { strategy: { blueGreen: {} } }, status: { pauseConditions: [{}] } }, false, { status: '{"status":{"pauseConditions":null}}' }],
  ])('%s', (_what, rollout, full, expected) => {
    expect(promotePatches(rollout, full)).toEqual({ spec: undefined, status: undefined, ...expected });
  });
});
