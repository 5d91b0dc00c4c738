import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ApplicationMetrics, CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GitOps, IDeliveryEngine, ITrafficRouter,
  ObjectAvailability, ReleasePhase, SafetyNetOptions, TrafficRouter, TrafficSegment,
} from '../../src';
import { inClusterAddresses } from '../../src/references/in-cluster-address';
import { referencesOf } from '../../src/references/object-references';
import { synth } from '../synth';

/**
 * The reference model, cell by cell: which Services and routes exist for every engine x router x
 * strategy, who creates them (this library, in the manifests, or the controller when it
 * initializes the service) and which version each reaches while a release is analysed. Written
 * out from the controllers' source, not read from the library: Flagger 1.44 creates `<target>-primary`
 * and `<hpa>-primary` (pkg/canary/deployment_controller.go, hpa_reconciler.go), the Services
 * `<apex>`, `<apex>-primary`, `<apex>-canary` (pkg/router/kubernetes_default.go, Canary.GetServiceNames)
 * and per provider the TraefikService `<apex>` (pkg/router/traefik.go), the VirtualService `<apex>` and
 * DestinationRules `<apex>-canary`/`-primary` (pkg/router/istio.go), the HTTPRoute `<apex>`
 * (pkg/router/gateway_api.go); Argo Rollouts 1.9 creates no named object: it rewrites the Services
 * and routes the Rollout names (canaryService, stableService, activeService, previewService).
 * A blue/green route reaches the stable version until the switch, an A/B or phased one by segment.
 */
const STRATEGIES: { [name: string]: () => DeliveryStrategy } = {
  'canary': () => DeliveryStrategy.canary(),
  'A/B test': () => DeliveryStrategy.abTest({ segments: [TrafficSegment.dogFood()], iterations: 6 }),
  'blue/green': () => DeliveryStrategy.blueGreen({ iterations: 5 }),
  'blue/green with mirroring': () => DeliveryStrategy.blueGreen({ iterations: 5, mirrorPercentage: 50 }),
  'phased': () => DeliveryStrategy.phased([
    ReleasePhase.of({ name: 'employees', segment: TrafficSegment.dogFood() }),
    ReleasePhase.of({ segment: TrafficSegment.randomSample([5, 25, 50]) }),
  ]),
};
const ENGINES: { [name: string]: () => IDeliveryEngine } = {
  'flagger': () => DeliveryEngine.flagger(),
  'argo-rollouts': () => DeliveryEngine.argoRollouts(),
};
const ROUTERS: { [name: string]: () => ITrafficRouter } = {
  'traefik': () => TrafficRouter.traefik({ hosts: ['app.example.com'] }),
  'istio': () => TrafficRouter.istio({ hosts: ['app.example.com'] }),
  'gateway-api': () => TrafficRouter.gatewayApi({ hosts: ['app.example.com'] }),
  'replica-ratio': () => TrafficRouter.replicaRatio({
    metrics: ApplicationMetrics.httpHistogram({ port: 9898 }), hosts: ['app.example.com'], previewHost: 'canary.example.com',
  }),
};

/** `<kind>/<name>[ by <controller>][: <reach>]`; a cell that is not here is rejected (test/strategy/strategy-matrix.test.ts says how). */
const EXPECTED: { [cell: string]: string[] } = {
  'canary | flagger | traefik': [
    'IngressRoute/podinfo: WEIGHTED',
    'Deployment/podinfo-primary by Flagger',
    'HorizontalPodAutoscaler/podinfo-primary by Flagger',
    'Service/podinfo by Flagger: STABLE_VERSION',
    'Service/podinfo-primary by Flagger: STABLE_VERSION',
    'Service/podinfo-canary by Flagger: NEW_VERSION',
    'TraefikService/podinfo by Flagger: WEIGHTED',
  ],
  'canary | flagger | istio': [
    'Gateway/podinfo',
    'Deployment/podinfo-primary by Flagger',
    'HorizontalPodAutoscaler/podinfo-primary by Flagger',
    'Service/podinfo by Flagger: STABLE_VERSION',
    'Service/podinfo-primary by Flagger: STABLE_VERSION',
    'Service/podinfo-canary by Flagger: NEW_VERSION',
    'VirtualService/podinfo by Flagger: WEIGHTED',
    'DestinationRule/podinfo-canary by Flagger',
    'DestinationRule/podinfo-primary by Flagger',
  ],
  'canary | flagger | gateway-api': [
    'Gateway/gateway',
    'Deployment/podinfo-primary by Flagger',
    'HorizontalPodAutoscaler/podinfo-primary by Flagger',
    'Service/podinfo by Flagger: STABLE_VERSION',
    'Service/podinfo-primary by Flagger: STABLE_VERSION',
    'Service/podinfo-canary by Flagger: NEW_VERSION',
    'HTTPRoute/podinfo by Flagger: WEIGHTED',
  ],
  'canary | argo-rollouts | traefik': [
    'Service/podinfo-stable: STABLE_VERSION',
    'Service/podinfo-canary: NEW_VERSION',
    'TraefikService/podinfo: WEIGHTED',
    'IngressRoute/podinfo: WEIGHTED',
  ],
  'canary | argo-rollouts | istio': [
    'Service/podinfo: EVERY_POD',
    'Service/podinfo-canary: NEW_VERSION',
    'DestinationRule/podinfo',
    'VirtualService/podinfo: WEIGHTED',
    'Gateway/podinfo',
  ],
  'canary | argo-rollouts | gateway-api': [
    'Service/podinfo-stable: STABLE_VERSION',
    'Service/podinfo-canary: NEW_VERSION',
    'HTTPRoute/podinfo: WEIGHTED',
    'Gateway/gateway',
  ],
  'canary | argo-rollouts | replica-ratio': [
    'Service/podinfo: EVERY_POD',
    'Service/podinfo-stable: STABLE_VERSION',
    'Service/podinfo-canary: NEW_VERSION',
    'Ingress/podinfo',
  ],
  'A/B test | flagger | istio': [
    'Gateway/podinfo',
    'Deployment/podinfo-primary by Flagger',
    'HorizontalPodAutoscaler/podinfo-primary by Flagger',
    'Service/podinfo by Flagger: STABLE_VERSION',
    'Service/podinfo-primary by Flagger: STABLE_VERSION',
    'Service/podinfo-canary by Flagger: NEW_VERSION',
    'VirtualService/podinfo by Flagger: SEGMENTED',
    'DestinationRule/podinfo-canary by Flagger',
    'DestinationRule/podinfo-primary by Flagger',
  ],
  'A/B test | flagger | gateway-api': [
    'Gateway/gateway',
    'Deployment/podinfo-primary by Flagger',
    'HorizontalPodAutoscaler/podinfo-primary by Flagger',
    'Service/podinfo by Flagger: STABLE_VERSION',
    'Service/podinfo-primary by Flagger: STABLE_VERSION',
    'Service/podinfo-canary by Flagger: NEW_VERSION',
    'HTTPRoute/podinfo by Flagger: SEGMENTED',
  ],
  'A/B test | argo-rollouts | istio': [
    'Service/podinfo: EVERY_POD',
    'Service/podinfo-canary: NEW_VERSION',
    'DestinationRule/podinfo',
    'VirtualService/podinfo: SEGMENTED',
    'Gateway/podinfo',
  ],
  'A/B test | argo-rollouts | gateway-api': [
    'Service/podinfo-stable: STABLE_VERSION',
    'Service/podinfo-canary: NEW_VERSION',
    'HTTPRoute/podinfo: SEGMENTED',
    'Gateway/gateway',
  ],
  'blue/green | flagger | traefik': [
    'IngressRoute/podinfo: STABLE_VERSION',
    'TraefikService/podinfo-preview: NEW_VERSION',
    'IngressRoute/podinfo-preview: NEW_VERSION',
    'Deployment/podinfo-primary by Flagger',
    'HorizontalPodAutoscaler/podinfo-primary by Flagger',
    'Service/podinfo by Flagger: STABLE_VERSION',
    'Service/podinfo-primary by Flagger: STABLE_VERSION',
    'Service/podinfo-canary by Flagger: NEW_VERSION',
    'TraefikService/podinfo by Flagger: STABLE_VERSION',
  ],
  'blue/green | flagger | istio': [
    'Gateway/podinfo',
    'Deployment/podinfo-primary by Flagger',
    'HorizontalPodAutoscaler/podinfo-primary by Flagger',
    'Service/podinfo by Flagger: STABLE_VERSION',
    'Service/podinfo-primary by Flagger: STABLE_VERSION',
    'Service/podinfo-canary by Flagger: NEW_VERSION',
    'VirtualService/podinfo by Flagger: STABLE_VERSION',
    'DestinationRule/podinfo-canary by Flagger',
    'DestinationRule/podinfo-primary by Flagger',
  ],
  'blue/green | flagger | gateway-api': [
    'Gateway/gateway',
    'HTTPRoute/podinfo-preview: NEW_VERSION',
    'Deployment/podinfo-primary by Flagger',
    'HorizontalPodAutoscaler/podinfo-primary by Flagger',
    'Service/podinfo by Flagger: STABLE_VERSION',
    'Service/podinfo-primary by Flagger: STABLE_VERSION',
    'Service/podinfo-canary by Flagger: NEW_VERSION',
    'HTTPRoute/podinfo by Flagger: STABLE_VERSION',
  ],
  'blue/green | flagger | replica-ratio': [
    'Ingress/podinfo',
    'Deployment/podinfo-primary by Flagger',
    'HorizontalPodAutoscaler/podinfo-primary by Flagger',
    'Service/podinfo by Flagger: STABLE_VERSION',
    'Service/podinfo-primary by Flagger: STABLE_VERSION',
    'Service/podinfo-canary by Flagger: NEW_VERSION',
  ],
  'blue/green | argo-rollouts | traefik': [
    'Service/podinfo: STABLE_VERSION',
    'Service/podinfo-preview: NEW_VERSION',
    'TraefikService/podinfo: STABLE_VERSION',
    'IngressRoute/podinfo: STABLE_VERSION',
    'TraefikService/podinfo-preview: NEW_VERSION',
    'IngressRoute/podinfo-preview: NEW_VERSION',
  ],
  'blue/green | argo-rollouts | istio': [
    'Service/podinfo: STABLE_VERSION',
    'Service/podinfo-preview: NEW_VERSION',
    'VirtualService/podinfo: STABLE_VERSION',
    'Gateway/podinfo',
  ],
  'blue/green | argo-rollouts | gateway-api': [
    'Service/podinfo: STABLE_VERSION',
    'Service/podinfo-preview: NEW_VERSION',
    'HTTPRoute/podinfo: STABLE_VERSION',
    'HTTPRoute/podinfo-preview: NEW_VERSION',
    'Gateway/gateway',
  ],
  'blue/green | argo-rollouts | replica-ratio': [
    'Service/podinfo: STABLE_VERSION',
    'Service/podinfo-preview: NEW_VERSION',
    'Ingress/podinfo',
  ],
  'blue/green with mirroring | flagger | istio': [
    'Gateway/podinfo',
    'Deployment/podinfo-primary by Flagger',
    'HorizontalPodAutoscaler/podinfo-primary by Flagger',
    'Service/podinfo by Flagger: STABLE_VERSION',
    'Service/podinfo-primary by Flagger: STABLE_VERSION',
    'Service/podinfo-canary by Flagger: NEW_VERSION',
    'VirtualService/podinfo by Flagger: STABLE_VERSION',
    'DestinationRule/podinfo-canary by Flagger',
    'DestinationRule/podinfo-primary by Flagger',
  ],
  'blue/green with mirroring | argo-rollouts | istio': [
    'Service/podinfo: EVERY_POD',
    'Service/podinfo-canary: NEW_VERSION',
    'DestinationRule/podinfo',
    'VirtualService/podinfo: STABLE_VERSION',
    'Gateway/podinfo',
  ],
  'phased | argo-rollouts | istio': [
    'Service/podinfo: EVERY_POD',
    'Service/podinfo-canary: NEW_VERSION',
    'DestinationRule/podinfo',
    'VirtualService/podinfo: SEGMENTED',
    'Gateway/podinfo',
  ],
  'phased | argo-rollouts | gateway-api': [
    'Service/podinfo-stable: STABLE_VERSION',
    'Service/podinfo-canary: NEW_VERSION',
    'HTTPRoute/podinfo: SEGMENTED',
    'Gateway/gateway',
  ],
};

function declare(strategy: string, engine: string, router: string, safetyNet?: SafetyNetOptions): { chart: Chart; service: CanaryService } {
  const chart = new Chart(Testing.app(), 'podinfo', { namespace: 'test' });
  const service = new CanaryService(chart, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    port: 80,
    readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }),
    liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9898 }),
    engine: ENGINES[engine](),
    router: ROUTERS[router](),
    strategy: STRATEGIES[strategy](),
    safetyNet,
    analysis: {
      interval: Duration.seconds(30),
      metrics: [CanaryMetric.requestSuccessRate({ min: 99 })],
      webhooks: [CanaryWebhook.loadTest({ requestsPerSecond: 10 })],
    },
  });
  return { chart, service };
}

/**
 * Services the platform runs, outside the app: Traefik's (the platform layer installs the chart
 * as 'traefik' in 'traefik', with the internal Service of preview hosts, 'traefik-internal'), and the one Istio's gateway controller creates for a Gateway of
 * class istio, `<gateway>-istio`.
 */
const PLATFORM_SERVICES = ['traefik.traefik', 'traefik-internal.traefik', 'gateway-istio.test'];

/** Every string in an object, depth first. */
function stringsOf(value: any): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

const CELLS = Object.keys(STRATEGIES).flatMap((strategy) => Object.keys(ENGINES).flatMap((engine) =>
  Object.keys(ROUTERS).map((router) => [strategy, engine, router] as [string, string, string])));

describe.each(CELLS)('%s | %s | %s', (strategy, engine, router) => {
  const cell = `${strategy} | ${engine} | ${router}`;
  const { chart, service } = declare(strategy, engine, router);

  test('its Services and routes: who creates them and which version each reaches', () => {
    if (EXPECTED[cell] === undefined) {
      expect(service._declarationErrors).not.toEqual([]);
      return;
    }
    expect(service._declarationErrors).toEqual([]);
    expect(service.topology.map((o) => `${o.kind}/${o.name}${o.createdBy === 'cdk8s-canary' ? '' : ` by ${o.createdBy}`}${o.reaches ? `: ${o.reaches}` : ''}`))
      .toEqual(EXPECTED[cell]);
    for (const object of service.topology) {
      expect(object.availability).toBe(object.createdBy === 'cdk8s-canary' ? ObjectAvailability.APPLIED : ObjectAvailability.CONTROLLER_INITIALIZED);
      expect(object.namespace).toBe('test');
    }
  });

  test('every Service and route the manifests name exists, and what exists only once the controller initializes is named only by this service\'s own routes', () => {
    if (EXPECTED[cell] === undefined) return;
    const manifests = synth(chart);
    const emitted = new Set(manifests.map((m) => `${m.kind}|${m.metadata.namespace}|${m.metadata.name}`));
    const generated = new Set(service.topology.filter((o) => o.availability === ObjectAvailability.CONTROLLER_INITIALIZED)
      .map((o) => `${o.kind}|${o.namespace}|${o.name}`));
    for (const manifest of manifests) {
      for (const ref of referencesOf(manifest)) {
        const key = `${ref.kind}|${ref.namespace}|${ref.name}`;
        const where = `${manifest.kind} '${manifest.metadata.name}' ${ref.field} -> ${ref.kind} '${ref.name}'`;
        expect({ where, resolves: emitted.has(key) || generated.has(key) }).toEqual({ where, resolves: true });
        // Missing until the controller initializes the service: harmless only where nothing but this service's own hosts depend on it.
        if (generated.has(key)) expect({ where, netOrForeign: /safety-net/.test(manifest.metadata.name) }).toEqual({ where, netOrForeign: false });
      }
    }
  });

  test('every in-cluster address the manifests call (webhooks, commands, Prometheus) is a Service the app, the controller or the platform provides', () => {
    if (EXPECTED[cell] === undefined) return;
    const manifests = synth(chart);
    const services = new Set([
      ...manifests.filter((m) => m.kind === 'Service').map((m) => `${m.metadata.name}.${m.metadata.namespace}`),
      ...service.topology.filter((o) => o.kind === 'Service').map((o) => `${o.name}.${o.namespace}`),
      ...PLATFORM_SERVICES,
    ]);
    const calls = manifests.filter((m) => ['Canary', 'AnalysisTemplate', 'MetricTemplate', 'Rollout'].includes(m.kind))
      .flatMap((m) => stringsOf(m).flatMap((text) => inClusterAddresses(text, 'test').filter((a) => a.namespaced || a.qualified)
        .map((a) => ({ where: `${m.kind} '${m.metadata.name}': ${text.slice(0, 80)}`, service: `${a.name}.${a.namespace}` }))));
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) expect({ ...call, exists: services.has(call.service) }).toEqual({ ...call, exists: true });
  });

  test('the plan names the Services and which version each reaches', () => {
    if (EXPECTED[cell] === undefined) return;
    const line = service.plan!.notes.find((n) => n.startsWith('services during a release: '));
    const newVersion = service.topology.find((o) => o.kind === 'Service' && o.reaches === 'NEW_VERSION')!;
    expect(line).toContain(`the new version at ${newVersion.name};`);
    expect(line).toMatch(engine === 'flagger' ? /; Flagger creates them when it initializes the service$/ : /; all in the manifests$/);
  });
});

test('the table has a row for every cell that synthesizes, and no other', () => {
  const synthesized = CELLS.filter(([s, e, r]) => declare(s, e, r).service._declarationErrors.length === 0).map(([s, e, r]) => `${s} | ${e} | ${r}`);
  expect(synthesized).toEqual(Object.keys(EXPECTED));
});

describe('a safety net never depends on what the controller creates later, or the plan says how to stage it', () => {
  const NET = { liveService: 'podinfo-live', share: 5 };
  const cells = Object.keys(ENGINES).flatMap((engine) => ['traefik', 'istio', 'gateway-api'].map((router) => [engine, router]));

  test.each(cells)('%s | %s', (engine, router) => {
    const { chart, service } = declare('canary', engine, router, NET);
    const manifests = synth(chart);
    const generated = new Set(service.topology.filter((o) => o.availability === ObjectAvailability.CONTROLLER_INITIALIZED).map((o) => `${o.kind}|${o.name}`));
    const net = manifests.filter((m) => /safety-net$/.test(m.metadata.name));
    const waits = net.flatMap((m) => referencesOf(m)).filter((ref) => generated.has(`${ref.kind}|${ref.name}`)).map((ref) => `${ref.kind} '${ref.name}'`);
    const fallback = manifests.find((m) => m.metadata.name === 'podinfo-safety-net-fallback');
    const staging = service.plan!.notes.find((n) => n.startsWith('safety net before the controller initializes'));
    const expected: { [cell: string]: { waits: string[]; fallback: boolean; staged: boolean } } = {
      // Traefik skips a router whose weighted service has a missing child; the fallback route then serves the hosts.
      'flagger | traefik': { waits: ["TraefikService 'podinfo'"], fallback: true, staged: false },
      // Istio answers 503 and Gateway API 500 for a missing backend: the share fails until Flagger creates <name>.
      'flagger | istio': { waits: ["Service 'podinfo'"], fallback: false, staged: true },
      'flagger | gateway-api': { waits: ["Service 'podinfo'"], fallback: false, staged: true },
      'argo-rollouts | traefik': { waits: [], fallback: false, staged: false },
      'argo-rollouts | istio': { waits: [], fallback: false, staged: false },
      'argo-rollouts | gateway-api': { waits: [], fallback: false, staged: false },
    };
    expect({ waits, fallback: fallback !== undefined, staged: staging !== undefined }).toEqual(expected[`${engine} | ${router}`]);
    if (fallback) {
      expect(fallback.spec.routes).toEqual([{ kind: 'Rule', match: 'Host(`app.example.com`)', priority: 1, services: [{ kind: 'Service', name: 'podinfo-live', port: 80 }] }]);
    }
    if (staging) {
      expect(staging).toBe('safety net before the controller initializes: the net sends 5% of the hosts\' requests to Service \'podinfo\', which Flagger creates only once \'podinfo-primary\' is ready; '
        + "until then those requests fail. On the first apply, stage the net: 'safetyNet.share' 0, then raise it (`kubectl -n test get canary podinfo` reports Initialized)");
    }
  });

  test.each(cells)('%s | %s, staged (share 0): the hosts stay on the live Service and nothing refers to the managed service', (engine, router) => {
    const { chart, service } = declare('canary', engine, router, { liveService: 'podinfo-live', share: 0 });
    const manifests = synth(chart);
    const net = manifests.filter((m) => /safety-net/.test(m.metadata.name));
    expect(net.flatMap((m) => referencesOf(m)).map((ref) => `${ref.kind}/${ref.name}`)).toEqual(
      router === 'traefik' ? ['Service/podinfo-live', 'TraefikService/podinfo-safety-net'] : ['Service/podinfo-live'],
    );
    expect(service.plan!.notes.filter((n) => n.startsWith('safety net'))).toEqual([
      `safety net staged (share 0): every request of the hosts stays on 'podinfo-live'; ${router === 'istio' ? 'the managed host' : "'managed.app.example.com'"} reaches this service alone. `
      + `Raise 'safetyNet.share' once the controller has initialized the service${engine === 'flagger' ? ' (`kubectl -n test get canary podinfo` reports Initialized)' : ''}`,
    ]);
    if (router === 'gateway-api' && engine === 'argo-rollouts') {
      const rollout = manifests.find((m) => m.kind === 'Rollout');
      expect(rollout.spec.strategy.canary.trafficRouting.plugins['argoproj-labs/gatewayAPI']).toEqual({ httpRoute: 'podinfo', namespace: 'test' });
    }
  });
});
