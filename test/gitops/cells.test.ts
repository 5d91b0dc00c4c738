import { execFileSync } from 'child_process';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ApplicationMetrics, CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GatewayApiGatewayReference, GatewayMetrics, GitOps,
  ITrafficRouter, TrafficRouter,
} from '../../src';
import { main } from '../../src/cli/main';
import { synth } from '../synth';
import { requireJq } from './require-jq';

/*
 * Every engine x router cell (and Argo Rollouts' blue/green, which rewrites other objects) is safe
 * under GitOps without opting in: a declaration whose controller rewrites objects of the output
 * cannot be synthesized without saying which tool applies it, and each choice protects exactly the
 * objects the controller rewrites. The expected objects are written out by hand from Argo Rollouts
 * v1.9.1 (rollout/service.go, rollout/trafficrouting/{traefik,istio}) and the Gateway API plugin
 * v0.15.0 (httproute.go), not derived from the code under test.
 */

const SSA = 'kustomize.toolkit.fluxcd.io/ssa';
const HASH = 'rollouts-pod-template-hash';

const ROUTERS: { [name: string]: () => ITrafficRouter } = {
  traefik: () => TrafficRouter.traefik({ hosts: ['app.example.com'] }),
  istio: () => TrafficRouter.istio({ hosts: ['app.example.com'] }),
  gatewayApi: () => TrafficRouter.gatewayApi({
    hosts: ['app.example.com'], gateway: GatewayApiGatewayReference.existing({ name: 'public', namespace: 'gateways' }), metrics: GatewayMetrics.istio(),
  }),
  replicaRatio: () => TrafficRouter.replicaRatio({ metrics: ApplicationMetrics.httpHistogram({ port: 9898 }), hosts: ['app.example.com'] }),
};

interface Cell {
  readonly engine: 'flagger' | 'argo';
  readonly router: string;
  readonly blueGreen: boolean;
  /** What the controller rewrites in the output, as `Kind/name`. */
  readonly rewritten: string[];
}

const CELLS: Cell[] = [
  { engine: 'flagger', router: 'traefik', blueGreen: false, rewritten: [] },
  { engine: 'flagger', router: 'istio', blueGreen: false, rewritten: [] },
  { engine: 'flagger', router: 'gatewayApi', blueGreen: false, rewritten: [] },
  // Flagger's `provider: kubernetes` runs blue/green only.
  { engine: 'flagger', router: 'replicaRatio', blueGreen: true, rewritten: [] },
  { engine: 'argo', router: 'traefik', blueGreen: false, rewritten: ['Service/podinfo-stable', 'Service/podinfo-canary', 'TraefikService/podinfo'] },
  { engine: 'argo', router: 'istio', blueGreen: false, rewritten: ['Service/podinfo-canary', 'VirtualService/podinfo', 'DestinationRule/podinfo'] },
  { engine: 'argo', router: 'gatewayApi', blueGreen: false, rewritten: ['Service/podinfo-stable', 'Service/podinfo-canary', 'HTTPRoute/podinfo'] },
  { engine: 'argo', router: 'replicaRatio', blueGreen: false, rewritten: ['Service/podinfo-stable', 'Service/podinfo-canary'] },
  ...['traefik', 'istio', 'gatewayApi', 'replicaRatio'].map((router): Cell => (
    { engine: 'argo', router, blueGreen: true, rewritten: ['Service/podinfo', 'Service/podinfo-preview'] })),
];

const label = (cell: Cell) => `${cell.engine} + ${cell.router}${cell.blueGreen ? ', blue/green' : ''}`;

function declare(cell: Cell, gitOps?: GitOps): { chart: Chart; service: CanaryService } {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const service = new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }),
    liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9898 }),
    engine: cell.engine === 'flagger' ? DeliveryEngine.flagger() : DeliveryEngine.argoRollouts(),
    router: ROUTERS[cell.router](),
    strategy: cell.blueGreen ? DeliveryStrategy.blueGreen({ iterations: 5 }) : undefined,
    gitOps,
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
  });
  return { chart, service };
}

const key = (m: any) => `${m.kind}/${m.metadata.name}`;
const marked = (manifests: any[]) => manifests.filter((m) => m.metadata.annotations?.[SSA] !== undefined).map(key);

/**
 * What Argo Rollouts does to an object of the output during a release (the fields only, with the
 * values of a release at 30 %): the pod-template hash in Service selectors and DestinationRule
 * subsets, the weights of the stable and canary backends of routes.
 */
function rewrite(object: any, rollout: any): any {
  const live = JSON.parse(JSON.stringify(object));
  const canary = rollout.spec.strategy.canary ?? {};
  const weight = (name: string) => (name === canary.canaryService ? 30 : name === canary.stableService ? 70 : undefined);
  switch (object.kind) {
    case 'Service':
      live.spec.selector[HASH] = '5d9f7c6b8';
      break;
    case 'TraefikService':
      for (const service of live.spec.weighted.services) if (weight(service.name) !== undefined) service.weight = weight(service.name);
      break;
    case 'HTTPRoute':
      for (const rule of live.spec.rules) for (const ref of rule.backendRefs ?? []) if (weight(ref.name) !== undefined) ref.weight = weight(ref.name);
      break;
    case 'VirtualService': {
      const routes: string[] = canary.trafficRouting.istio.virtualService.routes;
      for (const http of live.spec.http) {
        if (!routes.includes(http.name)) continue;
        for (const destination of http.route) destination.weight = destination.destination.subset === 'canary' ? 30 : 70;
      }
      break;
    }
    case 'DestinationRule':
      for (const subset of live.spec.subsets) subset.labels[HASH] = subset.name === 'canary' ? '5d9f7c6b8' : '7c8d9e6f5';
      break;
    default:
      throw new Error(`no rewrite known for ${object.kind}`);
  }
  return live;
}

/** Argo CD removes each expression's paths from both sides before it compares (`del(<expr>)`, diff_normalizer.go). */
function normalized(object: any, expressions: string[]): any {
  let result = object;
  for (const expression of expressions) {
    result = JSON.parse(execFileSync('jq', ['-c', `del(${expression})`], { input: JSON.stringify(result) }).toString());
  }
  return result;
}

requireJq();

describe.each(CELLS.map((cell) => [label(cell), cell] as const))('%s', (_label, cell) => {
  if (cell.rewritten.length === 0) {
    test('without gitOps: synthesizes, and nothing Flagger rewrites is in the output', () => {
      const manifests = synth(declare(cell).chart);
      expect(marked(manifests)).toEqual([]);
      // Flagger scales the target and owns the Services and routes it generates: none is emitted.
      const deployment = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'podinfo');
      expect(deployment.spec.replicas).toBeUndefined();
      expect(manifests.filter((m) => m.kind === 'Service').map(key)).not.toEqual(expect.arrayContaining(['Service/podinfo']));
      expect(manifests.map(key).filter((k) => /^(Service|TraefikService|VirtualService|DestinationRule|HTTPRoute)\/podinfo(-primary|-canary)?$/.test(k))).toEqual([]);
      expect(declare(cell).service.plan!.notes.filter((note) => note.startsWith('GitOps'))).toEqual([]);
    });
    return;
  }

  test('without gitOps: synth fails, naming what is rewritten and the three choices', () => {
    const objects = cell.rewritten.map((k) => k.replace('/', " '") + "'").join(', ');
    expect(() => synth(declare(cell).chart)).toThrow(`CanaryService 'podinfo': 'gitOps' (not set) is required with Argo Rollouts, which rewrites ${objects} during every release, `
      + 'and a GitOps tool that applies them again resets them in the middle of it: set gitOps: GitOps.fluxCd() (Flux creates them once and leaves them to the '
      + "controller: kustomize.toolkit.fluxcd.io/ssa: IfNotPresent), GitOps.argoCd() (the Application ignores the rewritten fields: 'npx cdk8s-canary argocd' "
      + 'prints its ignoreDifferences) or GitOps.none() (nothing applies the files again)');
  });

  test('GitOps.fluxCd(): exactly the rewritten objects are created once (ssa: IfNotPresent), and the plan says so', () => {
    const { chart, service } = declare(cell, GitOps.fluxCd());
    expect(marked(synth(chart)).sort()).toEqual([...cell.rewritten].sort());
    expect(service.plan!.notes).toContain(`GitOps (Flux): Argo Rollouts rewrites ${cell.rewritten.map((k) => k.replace('/', " '") + "'").join(', ')} `
      + 'during a release; Flux creates them once and then leaves them alone (kustomize.toolkit.fluxcd.io/ssa: IfNotPresent), so a later change to them '
      + 'in Git is not applied: to land one, between releases, commit them for one reconcile without the annotation (gitOps: GitOps.none()) and then with it again; '
      + 'deleting them in the cluster instead cuts their traffic until Flux creates them again');
  });

  test('GitOps.argoCd(): nothing is annotated, and after the controller\'s rewrite Argo CD sees no difference in any object', () => {
    const { chart, service } = declare(cell, GitOps.argoCd());
    const manifests = synth(chart);
    expect(marked(manifests)).toEqual([]);
    const entries = GitOps.argoCdIgnoreDifferences(chart);
    expect(entries.map((e) => `${e.kind}/${e.name}`).sort()).toEqual([...cell.rewritten].sort());
    const rollout = manifests.find((m) => m.kind === 'Rollout');
    for (const entry of entries) {
      const desired = manifests.find((m) => key(m) === `${entry.kind}/${entry.name}`);
      const live = rewrite(desired, rollout);
      expect(live).not.toEqual(desired);
      expect(normalized(live, entry.jqPathExpressions)).toEqual(normalized(desired, entry.jqPathExpressions));
    }
    expect(service.plan!.notes.find((n) => n.startsWith('GitOps (Argo CD)'))).toContain(cell.rewritten.map((k) => k.replace('/', " '") + "'").join(', '));
  });

  test('GitOps.none(): nothing is annotated; the plan lists what a tool that applies the files must leave alone', () => {
    const { chart, service } = declare(cell, GitOps.none());
    expect(marked(synth(chart))).toEqual([]);
    expect(service.plan!.notes.find((n) => n.startsWith('GitOps (GitOps.none())'))).toBe(
      `GitOps (GitOps.none()): whatever applies these files again must leave alone the fields Argo Rollouts rewrites in ${cell.rewritten.map((k) => k.replace('/', " '") + "'").join(', ')} `
      + '(CanaryService.controllerRewrites lists them)');
  });
});

describe('npx cdk8s-canary argocd', () => {
  const examples = path.resolve(__dirname, '../../examples');
  const run = (entry: string) => {
    let out = '';
    const code = main(['argocd', entry], (t) => { out += t; });
    return { code, out };
  };

  test('exits 1 for a service declared for Flux: its settings would not be what applies it', () => {
    const { code, out } = run(path.join(examples, 'argo-traefik/main.ts'));
    expect(code).toBe(1);
    expect(out).toBe("[podinfo/podinfo] CanaryService 'podinfo' is declared with GitOps.fluxCd(), so no Argo CD settings are printed for "
      + "Service 'podinfo-stable', Service 'podinfo-canary', TraefikService 'podinfo': declare it with gitOps: GitOps.argoCd() if an Argo CD Application applies its files\n");
  });

  test('exits 1 for services declared with GitOps.none()', () => {
    const { code, out } = run(path.resolve(__dirname, '../cli/fixtures/synth-app.ts'));
    expect(code).toBe(1);
    expect(out.split('\n').filter((l) => l !== '').map((l) => l.split(' is declared')[0])).toEqual([
      "[shop/web] CanaryService 'web'", "[shop/api] CanaryService 'api'",
    ]);
    expect(out).toContain('is declared with GitOps.none(), so no Argo CD settings are printed for Service \'web-canary\', VirtualService \'web\', DestinationRule \'web\'');
  });

  test('exits 0 with a comment when nothing is rewritten (Flagger)', () => {
    const entry = path.join(examples, 'flagger-traefik/main.ts');
    expect(run(entry)).toEqual({
      code: 0,
      out: `# nothing to ignore: no CanaryService of '${entry}' has objects a controller rewrites (Flagger creates and owns its routing objects)\n`,
    });
  });

  test('exits 1 for a declaration without gitOps, with the message synth gives', () => {
    // The README's first example, switched to Argo Rollouts, is what a user writes first.
    const { code, out } = run(path.resolve(__dirname, '../cli/fixtures/no-gitops-app.ts'));
    expect(code).toBe(1);
    expect(out).toMatch(/^\[podinfo\/podinfo\] CanaryService 'podinfo': 'gitOps' \(not set\) is required with Argo Rollouts, which rewrites Service 'podinfo-stable', Service 'podinfo-canary', TraefikService 'podinfo'/);
  });
});
