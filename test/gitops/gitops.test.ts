import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import * as yaml from 'js-yaml';
import {
  CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GatewayApiGatewayReference, GatewayMetrics, GitOps,
  GitOpsTool, ITrafficRouter, RolloutStep, TrafficRouter,
} from '../../src';
import { main } from '../../src/cli/main';
import { synth } from '../synth';
import { requireJq } from './require-jq';

const SSA = 'kustomize.toolkit.fluxcd.io/ssa';
const HASH = '.spec.selector["rollouts-pod-template-hash"]';

const ROUTERS: { [name: string]: () => ITrafficRouter } = {
  traefik: () => TrafficRouter.traefik({ hosts: ['app.example.com'] }),
  istio: () => TrafficRouter.istio({ hosts: ['app.example.com'] }),
  gatewayApi: () => TrafficRouter.gatewayApi({
    hosts: ['app.example.com'], gateway: GatewayApiGatewayReference.existing({ name: 'public', namespace: 'gateways' }), metrics: GatewayMetrics.istio(),
  }),
};

function declare(router: string, gitOps?: GitOps, overrides: Partial<CanaryServiceProps> = {}): { chart: Chart; service: CanaryService } {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const service = new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: DeliveryEngine.argoRollouts(),
    router: ROUTERS[router](),
    gitOps,
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
    ...overrides,
  });
  return { chart, service };
}

const marked = (manifests: any[]) => manifests.filter((m) => m.metadata.annotations?.[SSA] !== undefined).map((m) => `${m.kind}/${m.metadata.name}=${m.metadata.annotations[SSA]}`);

describe('what Argo Rollouts rewrites, read from the Rollout', () => {
  test('Traefik: the stable and canary Services and the TraefikService weights', () => {
    expect(declare('traefik').service.controllerRewrites).toEqual([
      { group: '', kind: 'Service', name: 'podinfo-stable', namespace: 'test', jqPathExpressions: [HASH], reason: "Argo Rollouts adds 'rollouts-pod-template-hash' to the selector of the stable Service" },
      { group: '', kind: 'Service', name: 'podinfo-canary', namespace: 'test', jqPathExpressions: [HASH], reason: "Argo Rollouts adds 'rollouts-pod-template-hash' to the selector of the canary Service" },
      { group: 'traefik.io', kind: 'TraefikService', name: 'podinfo', namespace: 'test', jqPathExpressions: ['.spec.weighted.services[]? | select(.name == "podinfo-stable" or .name == "podinfo-canary") | .weight'], reason: 'Argo Rollouts sets the weights of the stable and canary Services' },
    ]);
  });

  test('Istio (subsets): the canary Service, the primary route weights and the subset labels', () => {
    expect(declare('istio').service.controllerRewrites.map((o) => [o.group, o.kind, o.name, o.jqPathExpressions])).toEqual([
      ['', 'Service', 'podinfo-canary', [HASH]],
      ['networking.istio.io', 'VirtualService', 'podinfo', ['.spec.http[]? | select(.name == "primary") | .route[]?.weight']],
      ['networking.istio.io', 'DestinationRule', 'podinfo', ['.spec.subsets[]?.labels["rollouts-pod-template-hash"]']],
    ]);
  });

  test('Istio header routes: the managed routes Argo adds to the VirtualService are ignored by name', () => {
    const { service } = declare('istio', undefined, {
      analysis: {
        webhooks: [CanaryWebhook.loadTest()],
        steps: [RolloutStep.headerRoute({ name: 'canary-by-header', match: [{ name: 'x-canary', value: 'always' }] }), RolloutStep.weight(20), RolloutStep.pause(), RolloutStep.weight(100)],
      },
    });
    const vs = service.controllerRewrites.find((o) => o.kind === 'VirtualService')!;
    expect(vs.jqPathExpressions).toEqual([
      '.spec.http[]? | select(.name == "primary") | .route[]?.weight',
      '.spec.http[]? | select(.name == "canary-by-header")',
    ]);
    expect(vs.reason).toBe("Argo Rollouts sets the weights of the route 'primary' and adds the header or mirror routes 'canary-by-header'");
  });

  test('Gateway API: the Services and the HTTPRoute backend weights', () => {
    expect(declare('gatewayApi').service.controllerRewrites.map((o) => [o.group, o.kind, o.name, o.jqPathExpressions])).toEqual([
      ['', 'Service', 'podinfo-stable', [HASH]],
      ['', 'Service', 'podinfo-canary', [HASH]],
      ['gateway.networking.k8s.io', 'HTTPRoute', 'podinfo', ['.spec.rules[]?.backendRefs[]? | select(.name == "podinfo-stable" or .name == "podinfo-canary") | .weight']],
    ]);
  });

  test('blue/green: only the active and preview Services (the routes point at the active Service)', () => {
    const { service } = declare('traefik', undefined, { strategy: DeliveryStrategy.blueGreen({ iterations: 5 }) });
    expect(service.controllerRewrites.map((o) => `${o.kind}/${o.name}`)).toEqual(['Service/podinfo', 'Service/podinfo-preview']);
  });

  test('Flagger rewrites nothing that is emitted', () => {
    const { service } = declare('traefik', GitOps.fluxCd(), { engine: DeliveryEngine.flagger() });
    expect(service.controllerRewrites).toEqual([]);
    expect(marked(synth(Chart.of(service)))).toEqual([]);
  });
});

/** Argo CD removes each expression's paths from both sides before it compares (`del(<expr>)`, diff_normalizer.go). */
function jqDelete(expression: string, object: any): any {
  return JSON.parse(execFileSync('jq', ['-c', `del(${expression})`], { input: JSON.stringify(object) }).toString());
}
requireJq();

describe('the jq paths, run by jq', () => {
  test.each(['traefik', 'gatewayApi', 'istio'])('%s: the controller\'s fields go, the rest stays (a safety net\'s live weight included)', (router) => {
    const { chart, service } = declare(router, GitOps.none(), {
      safetyNet: { liveService: 'podinfo-live', share: 5 },
    });
    const objects = synth(chart);
    for (const rewrite of service.controllerRewrites) {
      const object = objects.find((o) => o.kind === rewrite.kind && o.metadata.name === rewrite.name);
      let normalized = object;
      for (const expression of rewrite.jqPathExpressions) normalized = jqDelete(expression, normalized);
      const text = JSON.stringify(normalized);
      expect(text).not.toContain('"weight":100');
      expect(text).not.toContain('rollouts-pod-template-hash');
      // What is ours is not ignored: names, ports, hosts, and the live Service's share.
      expect(text).toContain(`"name":"${rewrite.name}"`);
      if (rewrite.name.endsWith('safety-net')) expect(text).toMatch(/"name":"podinfo-live","port":80,"weight":1900/);
    }
  });
});

describe('GitOps.fluxCd()', () => {
  test.each([
    ['traefik', ['Service/podinfo-stable=IfNotPresent', 'Service/podinfo-canary=IfNotPresent', 'TraefikService/podinfo=IfNotPresent']],
    ['istio', ['Service/podinfo-canary=IfNotPresent', 'DestinationRule/podinfo=IfNotPresent', 'VirtualService/podinfo=IfNotPresent']],
    ['gatewayApi', ['Service/podinfo-stable=IfNotPresent', 'Service/podinfo-canary=IfNotPresent', 'HTTPRoute/podinfo=IfNotPresent']],
  ])('%s: exactly the rewritten objects carry ssa: IfNotPresent', (router, expected) => {
    const { chart } = declare(router, GitOps.fluxCd());
    expect(marked(synth(chart))).toEqual(expected);
  });

  test('with a safety net the plan says which routes to delete once the net is removed', () => {
    const { service } = declare('istio', GitOps.fluxCd(), { safetyNet: { liveService: 'podinfo-live', share: 5 } });
    expect(service.plan!.notes).toContain('safety net with Flux: the routes Argo Rollouts rewrites are created once (ssa: IfNotPresent), so removing the net does not '
      + "give them the public hosts: after that commit, delete VirtualService 'podinfo' in the cluster (between releases) and Flux creates them anew");
    expect(declare('istio', GitOps.none(), { safetyNet: { liveService: 'podinfo-live', share: 5 } }).service.plan!.notes.join('\n')).not.toContain('with Flux');
  });

  test('GitOps.none() annotates nothing', () => {
    const { chart, service } = declare('istio', GitOps.none());
    expect(marked(synth(chart))).toEqual([]);
    expect(service.gitOpsTool).toBe(GitOpsTool.NONE);
  });

  test('GitOps.argoCd() annotates nothing', () => {
    const { chart, service } = declare('istio', GitOps.argoCd());
    expect(marked(synth(chart))).toEqual([]);
    expect(service.gitOpsTool).toBe(GitOpsTool.ARGO_CD);
  });
});

describe('GitOps.argoCd()', () => {
  test('argoCdIgnoreDifferences lists the services declared for Argo CD only', () => {
    const app = Testing.app();
    const a = new Chart(app, 'a', { namespace: 'test' });
    const b = new Chart(app, 'b', { namespace: 'other' });
    const props = (gitOps?: GitOps): CanaryServiceProps => ({
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0', engine: DeliveryEngine.argoRollouts(), router: ROUTERS.traefik(), gitOps, analysis: { webhooks: [CanaryWebhook.loadTest()] },
    });
    new CanaryService(a, 'cart', props(GitOps.argoCd()));
    new CanaryService(a, 'checkout', props(GitOps.fluxCd()));
    new CanaryService(b, 'posts', props());
    expect(GitOps.argoCdIgnoreDifferences(b).map((o) => `${o.namespace}/${o.kind}/${o.name}`)).toEqual([
      'test/Service/cart-stable', 'test/Service/cart-canary', 'test/TraefikService/cart',
    ]);
    expect(GitOps.ARGO_CD_SYNC_OPTIONS).toEqual(['ApplyOutOfSyncOnly=true', 'RespectIgnoreDifferences=true']);
  });

  test('npx cdk8s-canary argocd prints the Application fields', () => {
    let out = '';
    expect(main(['argocd', path.resolve(__dirname, '../../examples/argo-istio/main.ts')], (t) => { out += t; })).toBe(0);
    const spec = yaml.load(out) as any;
    expect(spec.syncPolicy).toEqual({ syncOptions: ['ApplyOutOfSyncOnly=true', 'RespectIgnoreDifferences=true'] });
    expect(spec.ignoreDifferences.map((e: any) => `${e.group}/${e.kind}/${e.namespace}/${e.name}`)).toEqual([
      '/Service/test/podinfo-canary', 'networking.istio.io/VirtualService/test/podinfo', 'networking.istio.io/DestinationRule/test/podinfo',
    ]);
    expect(out).toContain("# VirtualService test/podinfo: Argo Rollouts sets the weights of the route 'primary'\n");
  });

  test("the README's Application agrees with the CLI, and the objects it names exist in the example's output", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf-8');
    const block = readme.split('<!-- argocd-application: examples/argo-istio/main.ts -->\n```yaml\n')[1].split('\n```')[0];
    const application = yaml.load(block) as any;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const app: App = require('../../examples/argo-istio/main').build(fs.mkdtempSync(path.join(os.tmpdir(), 'argocd-')));
    const expected = GitOps.argoCdIgnoreDifferences(app).map(({ reason, ...entry }) => entry);
    expect(application.spec.ignoreDifferences).toEqual(expected);
    expect(application.spec.syncPolicy.syncOptions).toEqual(GitOps.ARGO_CD_SYNC_OPTIONS);
    expect(application.spec.source.path).toBe('examples/argo-istio/manifests');
    const output = fs.readFileSync(path.resolve(__dirname, '../../examples/argo-istio/manifests/podinfo.k8s.yaml'), 'utf-8');
    const objects = (yaml.loadAll(output) as any[]).map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`);
    for (const entry of expected) expect(objects).toContain(`${entry.kind}/${entry.namespace}/${entry.name}`);
  });

  test('the Flux example carries the annotation on its rewritten objects only', () => {
    const output = fs.readFileSync(path.resolve(__dirname, '../../examples/argo-traefik/manifests/podinfo.k8s.yaml'), 'utf-8');
    expect(marked(yaml.loadAll(output) as any[])).toEqual(['Service/podinfo-stable=IfNotPresent', 'Service/podinfo-canary=IfNotPresent', 'TraefikService/podinfo=IfNotPresent']);
  });
});
