import { Chart, Testing } from 'cdk8s';
import { Harness } from './fakes/harness';
import { CanaryService, CanaryWebhook, DeliveryEngine, GateStage, GitOps, LoadTesterAccess, ReleaseOperatorRole, TrafficRouter } from '../../src';

// Every test talks to in-process HTTPS servers; the machine is shared.
jest.setTimeout(120_000);

/*
 * The Role the library emits for release operators, enforced by the fake API server and kubectl:
 * with it every command works; without any one of its rules, a command is refused (or, for the
 * record, warns), so no rule is more than a command needs.
 */

function roleRules(engine: 'flagger' | 'argo', access = LoadTesterAccess.EXEC): any[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const podinfo = new CanaryService(chart, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    engine: engine === 'flagger' ? DeliveryEngine.flagger() : DeliveryEngine.argoRollouts(),
    router: engine === 'flagger' ? TrafficRouter.traefik({ hosts: ['app.example.com'] }) : TrafficRouter.istio(),
    analysis: engine === 'flagger'
      ? {
        webhooks: [CanaryWebhook.loadTest(), CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_TRAFFIC_INCREASE }), CanaryWebhook.rollbackGate()],
      }
      : { webhooks: [CanaryWebhook.loadTest()] },
  });
  const role = new ReleaseOperatorRole(chart, 'operators', { services: [podinfo], loadTesterAccess: access });
  return role.rules.map((rule) => ({ ...rule }));
}

let h: Harness;
beforeEach(async () => { h = await new Harness().start(); });
afterEach(async () => { await h.stop(); });

async function everyFlaggerCommand(via: string[]): Promise<{ argv: string[]; code: number; err: string }[]> {
  const results = [];
  const runs: [string[], () => void][] = [
    [['status', 'podinfo'], () => h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' })],
    [['gate', 'open', 'podinfo', '--once'], () => undefined],
    [['gate', 'open', 'podinfo', '--detach'], () => undefined],
    [['status', 'podinfo'], () => undefined],
    [['gate', 'close', 'podinfo'], () => undefined],
    [['gate', 'status', 'podinfo'], () => undefined],
    [['promote', 'podinfo'], () => undefined],
    [['abort', 'podinfo'], () => h.flagger.set({ phase: 'Progressing', canaryWeight: 10 })],
    [['reset', 'podinfo'], () => undefined],
  ];
  for (const [argv, arrange] of runs) {
    arrange();
    const run = await h.cli(...argv, ...via);
    results.push({ argv, code: run.code, err: run.err });
  }
  return results;
}

describe('Flagger, exec access', () => {
  test('with the Role, every command works, with nothing refused', async () => {
    h.restrict(roleRules('flagger'));
    expect((await everyFlaggerCommand([])).filter((r) => r.code !== 0 || r.err !== '')).toEqual([]);
  });

  test.each([
    ['canaries', 'User "alice" cannot get resource "canaries" in API group "flagger.app" in the namespace "test"'],
    ['configmaps', 'warning: could not record which release the gate of test/podinfo was opened for (ConfigMap test/cdk8s-canary-gates, created by ReleaseOperatorRole: '
      + '403 Forbidden: configmaps "cdk8s-canary-gates" is forbidden: User "alice" cannot patch resource "configmaps" in API group "" in the namespace "test")'],
    ['deployments', 'User "alice" cannot get resource "deployments" in API group "apps" in the namespace "test"'],
    ['pods', 'Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "test"'],
    ['pods/exec', 'User "alice" cannot get resource "pods/exec" in API group "" in the namespace "test"'],
  ])('without the rule for %s, a command says so', async (resource, message) => {
    h.restrict(roleRules('flagger').filter((rule) => !rule.resources.includes(resource)));
    const results = await everyFlaggerCommand([]);
    expect(results.some((r) => r.err.includes(message))).toBe(true);
  });
});

describe('Flagger, proxy access', () => {
  test('with the Role, every command works through the Service proxy; without services/proxy, refused', async () => {
    h.restrict(roleRules('flagger', LoadTesterAccess.PROXY));
    expect((await everyFlaggerCommand(['--via', 'proxy'])).filter((r) => r.code !== 0 || r.err !== '')).toEqual([]);
    expect(h.kubectl.calls).toEqual([]);
    h.restrict(roleRules('flagger', LoadTesterAccess.PROXY).filter((rule) => !rule.resources.includes('services/proxy')));
    expect((await h.cli('gate', 'close', 'podinfo', '--via', 'proxy')).err).toContain(
      'services "http:flagger-loadtester:80" is forbidden: User "alice" cannot create resource "services/proxy" in API group "" in the namespace "test"');
    // The exec Role does not reach the proxy, nor the proxy Role exec.
    expect((await h.cli('gate', 'close', 'podinfo')).err).toContain('cannot get resource "deployments"');
  });
});

describe('Argo Rollouts', () => {
  const ROLLOUT = '/apis/argoproj.io/v1alpha1/namespaces/test/rollouts/podinfo';
  beforeEach(() => {
    h.api.objects.delete(h.flagger.path);
    h.api.put(ROLLOUT, { kind: 'Rollout', metadata: { name: 'podinfo' }, spec: { strategy: { canary: { steps: [{ pause: {} }] } } }, status: { pauseConditions: [{ reason: 'CanaryPauseStep' }] } });
  });

  test('with the Role: status, promote and abort work (a 403 on Canaries while finding the Rollout is no error)', async () => {
    h.restrict(roleRules('argo'));
    for (const argv of [['status', 'podinfo'], ['promote', 'podinfo'], ['abort', 'podinfo'], ['reset', 'podinfo']]) {
      expect({ argv, ...(await h.cli(...argv)) }).toEqual(expect.objectContaining({ argv, code: 0, err: '' }));
    }
  });

  test.each([
    ['rollouts', 'User "alice" cannot get resource "rollouts" in API group "argoproj.io"'],
    ['rollouts/status', 'User "alice" cannot patch resource "rollouts/status" in API group "argoproj.io"'],
  ])('without the rule for %s, refused', async (resource, message) => {
    h.restrict(roleRules('argo').filter((rule) => !rule.resources.includes(resource)));
    expect((await h.cli('promote', 'podinfo')).err).toContain(message);
  });
});
