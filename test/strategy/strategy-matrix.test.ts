import * as fs from 'fs';
import * as path from 'path';
import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ApplicationMetrics, CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GitOps, IDeliveryEngine, ITrafficRouter,
  ReleasePhase, TrafficRouter, TrafficSegment,
} from '../../src';
import { all, only, synth, validated } from '../synth';

/**
 * Every strategy x engine x router: synthesized and checked field by field (and recorded for the
 * conformance checker), or rejected with the message naming what works. The expected support is
 * written out here, from the controllers' source (Flagger 1.44 pkg/router, Argo Rollouts 1.9
 * validation), not read from the library's own table.
 */
const OWNER = "CanaryService 'podinfo'";
const COOKIE_REGEX = '^(.*?;\\s*)?(plan=beta)(;.*)?$';

const STRATEGIES: { [name: string]: () => DeliveryStrategy } = {
  'canary': () => DeliveryStrategy.canary(),
  'canary with session affinity': () => DeliveryStrategy.canary({ sessionAffinity: {} }),
  'A/B by header and cookie': () => DeliveryStrategy.abTest({ segments: [TrafficSegment.dogFood(), TrafficSegment.userCohort('plan', 'beta')], iterations: 6 }),
  'A/B by query parameter': () => DeliveryStrategy.abTest({ segments: [TrafficSegment.queryParam('variant', 'b')], iterations: 6 }),
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
  'gateway-api': () => TrafficRouter.gatewayApi({ hosts: ['app.example.com'] }),
  'replica-ratio': () => TrafficRouter.replicaRatio({
    metrics: ApplicationMetrics.httpHistogram({ port: 9898 }), hosts: ['app.example.com'], previewHost: 'canary.example.com',
  }),
  'istio': () => TrafficRouter.istio({ hosts: ['app.example.com'] }),
};

const FLAGGER_ISTIO = 'DeliveryEngine.flagger() with TrafficRouter.istio()';
const ARGO_ISTIO = 'DeliveryEngine.argoRollouts() with TrafficRouter.istio()';
const FLAGGER_GATEWAY = 'DeliveryEngine.flagger() with TrafficRouter.gatewayApi()';
const ARGO_GATEWAY = 'DeliveryEngine.argoRollouts() with TrafficRouter.gatewayApi()';
const PHASED_FLAGGER = `${OWNER}: 'strategy' (a phased release) cannot be one Flagger Canary: Flagger runs one strategy per Canary, either an A/B test `
  + '(analysis.iterations with analysis.match) or weights. Use DeliveryEngine.argoRollouts(), which runs the phases as one list of steps, '
  + 'or release in two steps with Flagger: DeliveryStrategy.abTest() for the segment, then DeliveryStrategy.canary() for the weights';
const cannot = (what: string, feature: string, engine: string, router: string, works: string[], blueGreenHint = false) =>
  `${OWNER}: 'strategy' (${what}) needs ${feature}, which ${engine} cannot do with the ${router} router; it works with ${works.join(', or ')}`
  + (blueGreenHint ? `; or use DeliveryStrategy.blueGreen(), which ${engine} runs with the ${router} router` : '');
const ARGO_RATIO = 'DeliveryEngine.argoRollouts() with TrafficRouter.replicaRatio()';
const FLAGGER_TRAEFIK = 'DeliveryEngine.flagger() with TrafficRouter.traefik()';
const ARGO_TRAEFIK = 'DeliveryEngine.argoRollouts() with TrafficRouter.traefik()';

/** `true`: synthesized; a string: the exact error. */
const EXPECTED: { [strategy: string]: { [cell: string]: true | string } } = {
  'canary': {
    'flagger/traefik': true,
    'flagger/gateway-api': true,
    'flagger/istio': true,
    'flagger/replica-ratio': cannot('a weighted canary', 'weighted traffic shifting', 'Flagger', 'replica-ratio', [
      ARGO_RATIO, FLAGGER_TRAEFIK, ARGO_TRAEFIK, FLAGGER_GATEWAY, ARGO_GATEWAY, FLAGGER_ISTIO, ARGO_ISTIO,
    ], true),
    'argo-rollouts/traefik': true,
    'argo-rollouts/gateway-api': true,
    'argo-rollouts/istio': true,
    'argo-rollouts/replica-ratio': true,
  },
  'canary with session affinity': {
    'flagger/traefik': cannot('a canary with session affinity', 'session affinity', 'Flagger', 'traefik', [FLAGGER_GATEWAY, FLAGGER_ISTIO]),
    'flagger/gateway-api': true,
    'flagger/istio': true,
    'flagger/replica-ratio': cannot('a canary with session affinity', 'weighted traffic shifting', 'Flagger', 'replica-ratio', [FLAGGER_GATEWAY, FLAGGER_ISTIO], true),
    'argo-rollouts/traefik': cannot('a canary with session affinity', 'session affinity', 'Argo Rollouts', 'traefik', [FLAGGER_GATEWAY, FLAGGER_ISTIO]),
    'argo-rollouts/gateway-api': cannot('a canary with session affinity', 'session affinity', 'Argo Rollouts', 'gateway-api', [FLAGGER_GATEWAY, FLAGGER_ISTIO]),
    'argo-rollouts/istio': cannot('a canary with session affinity', 'session affinity', 'Argo Rollouts', 'istio', [FLAGGER_ISTIO, FLAGGER_GATEWAY]),
    'argo-rollouts/replica-ratio': cannot('a canary with session affinity', 'session affinity', 'Argo Rollouts', 'replica-ratio', [FLAGGER_GATEWAY, FLAGGER_ISTIO]),
  },
  'A/B by header and cookie': {
    'flagger/traefik': cannot('an A/B test', 'routing by header or cookie', 'Flagger', 'traefik', [FLAGGER_GATEWAY, ARGO_GATEWAY, FLAGGER_ISTIO, ARGO_ISTIO]),
    'flagger/gateway-api': true,
    'flagger/istio': true,
    'flagger/replica-ratio': cannot('an A/B test', 'routing by header or cookie', 'Flagger', 'replica-ratio', [FLAGGER_GATEWAY, ARGO_GATEWAY, FLAGGER_ISTIO, ARGO_ISTIO], true),
    'argo-rollouts/traefik': cannot('an A/B test', 'routing by header or cookie', 'Argo Rollouts', 'traefik', [FLAGGER_GATEWAY, ARGO_GATEWAY, FLAGGER_ISTIO, ARGO_ISTIO]),
    'argo-rollouts/gateway-api': true,
    'argo-rollouts/istio': true,
    'argo-rollouts/replica-ratio': cannot('an A/B test', 'routing by header or cookie', 'Argo Rollouts', 'replica-ratio', [FLAGGER_GATEWAY, ARGO_GATEWAY, FLAGGER_ISTIO, ARGO_ISTIO]),
  },
  'A/B by query parameter': {
    'flagger/traefik': cannot('an A/B test', 'routing by query parameter', 'Flagger', 'traefik', [FLAGGER_GATEWAY, FLAGGER_ISTIO]),
    'flagger/gateway-api': true,
    'flagger/istio': true,
    'flagger/replica-ratio': cannot('an A/B test', 'routing by query parameter', 'Flagger', 'replica-ratio', [FLAGGER_GATEWAY, FLAGGER_ISTIO], true),
    'argo-rollouts/traefik': cannot('an A/B test', 'routing by query parameter', 'Argo Rollouts', 'traefik', [FLAGGER_GATEWAY, FLAGGER_ISTIO]),
    'argo-rollouts/gateway-api': cannot('an A/B test', 'routing by query parameter', 'Argo Rollouts', 'gateway-api', [FLAGGER_GATEWAY, FLAGGER_ISTIO]),
    'argo-rollouts/istio': cannot('an A/B test', 'routing by query parameter', 'Argo Rollouts', 'istio', [FLAGGER_ISTIO, FLAGGER_GATEWAY]),
    'argo-rollouts/replica-ratio': cannot('an A/B test', 'routing by query parameter', 'Argo Rollouts', 'replica-ratio', [FLAGGER_GATEWAY, FLAGGER_ISTIO]),
  },
  'blue/green': {
    'flagger/traefik': true,
    'flagger/gateway-api': true,
    'flagger/istio': true,
    'flagger/replica-ratio': true,
    'argo-rollouts/traefik': true,
    'argo-rollouts/gateway-api': true,
    'argo-rollouts/istio': true,
    'argo-rollouts/replica-ratio': true,
  },
  'blue/green with mirroring': {
    'flagger/traefik': cannot('blue/green with mirrored traffic', 'mirroring traffic to the new version', 'Flagger', 'traefik', [FLAGGER_ISTIO, ARGO_ISTIO]),
    'flagger/gateway-api': cannot('blue/green with mirrored traffic', 'mirroring traffic to the new version', 'Flagger', 'gateway-api', [FLAGGER_ISTIO, ARGO_ISTIO]),
    'flagger/istio': true,
    'flagger/replica-ratio': cannot('blue/green with mirrored traffic', 'mirroring traffic to the new version', 'Flagger', 'replica-ratio', [FLAGGER_ISTIO, ARGO_ISTIO]),
    'argo-rollouts/traefik': cannot('blue/green with mirrored traffic', 'mirroring traffic to the new version', 'Argo Rollouts', 'traefik', [FLAGGER_ISTIO, ARGO_ISTIO]),
    'argo-rollouts/gateway-api': cannot('blue/green with mirrored traffic', 'mirroring traffic to the new version', 'Argo Rollouts', 'gateway-api', [FLAGGER_ISTIO, ARGO_ISTIO]),
    'argo-rollouts/istio': true,
    'argo-rollouts/replica-ratio': cannot('blue/green with mirrored traffic', 'mirroring traffic to the new version', 'Argo Rollouts', 'replica-ratio', [FLAGGER_ISTIO, ARGO_ISTIO]),
  },
  'phased': {
    'flagger/traefik': PHASED_FLAGGER,
    'flagger/gateway-api': PHASED_FLAGGER,
    'flagger/istio': PHASED_FLAGGER,
    'flagger/replica-ratio': PHASED_FLAGGER,
    'argo-rollouts/traefik': cannot('a phased release, strategy.phases[0]', 'routing by header or cookie', 'Argo Rollouts', 'traefik', [ARGO_GATEWAY, ARGO_ISTIO]),
    'argo-rollouts/gateway-api': true,
    'argo-rollouts/istio': true,
    'argo-rollouts/replica-ratio': cannot('a phased release, strategy.phases[0]', 'routing by header or cookie', 'Argo Rollouts', 'replica-ratio', [ARGO_GATEWAY, ARGO_ISTIO]),
  },
};

function declare(strategy: string, engine: string, router: string): { chart: Chart; service: CanaryService } {
  const chart = new Chart(Testing.app(), 'podinfo', { namespace: 'test' });
  const service = validated(new CanaryService(chart, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    version: '6.7.0',
    containerPort: 9898,
    port: 80,
    readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }),
    liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9898 }),
    engine: ENGINES[engine](),
    router: ROUTERS[router](),
    strategy: STRATEGIES[strategy](),
    analysis: {
      interval: Duration.seconds(30),
      threshold: 5,
      metrics: [CanaryMetric.requestSuccessRate({ min: 99 }), CanaryMetric.requestDuration({ max: Duration.millis(500) })],
      webhooks: [CanaryWebhook.loadTest({ requestsPerSecond: 10 })],
    },
  }));
  return { chart, service };
}

const CELLS = Object.keys(STRATEGIES).flatMap((strategy) => Object.keys(ENGINES).flatMap((engine) =>
  Object.keys(ROUTERS).map((router) => [strategy, engine, router] as [string, string, string])));

test('the table covers every cell, and no other', () => {
  expect(CELLS).toHaveLength(Object.keys(EXPECTED).length * 8);
  for (const [strategy, engine, router] of CELLS) expect(EXPECTED[strategy][`${engine}/${router}`]).toBeDefined();
});

test('the README\'s table says the same, cell by cell', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf-8');
  const table = /<!-- strategy-table -->\n([\s\S]*?)<!-- \/strategy-table -->/.exec(readme)![1].trim().split('\n');
  const columns = Object.keys(ENGINES).flatMap((engine) => ['traefik', 'gateway-api', 'istio', 'replica-ratio'].map((router) => `${engine}/${router}`));
  expect(table[0]).toBe('| strategy | Flagger + Traefik | Flagger + Gateway API | Flagger + Istio | Flagger, replica ratio '
    + '| Argo Rollouts + Traefik | Argo Rollouts + Gateway API | Argo Rollouts + Istio | Argo Rollouts, replica ratio |');
  const rows = table.slice(2).map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
  expect(rows.map((row) => row[0])).toEqual(Object.keys(STRATEGIES));
  for (const [strategy, ...cells] of rows) {
    expect({ strategy, cells: cells.map((cell) => /^yes\b/.test(cell)) }).toEqual({ strategy, cells: columns.map((c) => EXPECTED[strategy][c] === true) });
    for (const cell of cells) expect(cell).toMatch(/^(yes|no)\b/);
  }
});

describe.each(CELLS.filter(([s, e, r]) => EXPECTED[s][`${e}/${r}`] !== true))('%s with %s and %s', (strategy, engine, router) => {
  test('is rejected, naming what works', () => {
    expect(() => declare(strategy, engine, router)).toThrow(EXPECTED[strategy][`${engine}/${router}`] as string);
  });
});

/** The load commands: Flagger's `cmd` webhooks, Argo's load Jobs. */
function loadCommands(manifests: any[]): string[] {
  const canary = all(manifests, 'Canary')[0];
  if (canary) return canary.spec.analysis.webhooks.filter((w: any) => w.metadata?.type === 'cmd').map((w: any) => w.metadata.cmd);
  return all(manifests, 'AnalysisTemplate').flatMap((t) => t.spec.metrics)
    .filter((m: any) => m.provider.job && m.name.startsWith('load')).map((m: any) => m.provider.job.spec.template.spec.containers[0].command[2]);
}

const TRAEFIK_LOAD = 'hey -z 27s -q 5 -c 2 -host app.example.com http://traefik.traefik:80/';
const TRAEFIK_PREVIEW_LOAD = 'hey -z 27s -q 5 -c 2 -host preview.app.example.com http://traefik-internal.traefik:8001/';
const ISTIO_LOAD = 'hey -z 27s -q 5 -c 2 http://podinfo-canary.test:80/';

describe('Flagger', () => {
  const canaryOf = (strategy: string, router: string) => {
    const manifests = synth(declare(strategy, 'flagger', router).chart);
    return { manifests, analysis: only(manifests, 'Canary', 'podinfo').spec.analysis };
  };

  test.each(['traefik', 'istio'])('canary with %s: weights, no iterations or match', (router) => {
    const { manifests, analysis } = canaryOf('canary', router);
    expect(analysis).toMatchObject({ interval: '30s', threshold: 5, maxWeight: 50, stepWeight: 10 });
    for (const key of ['iterations', 'match', 'mirror', 'mirrorWeight', 'sessionAffinity']) expect(analysis).not.toHaveProperty(key);
    expect(loadCommands(manifests)).toEqual(router === 'traefik' ? [TRAEFIK_LOAD, TRAEFIK_LOAD] : [ISTIO_LOAD, ISTIO_LOAD]);
  });

  test('canary with session affinity (Istio): sessionAffinity with the cookie and its lifetime in seconds', () => {
    const { analysis } = canaryOf('canary with session affinity', 'istio');
    expect(analysis.sessionAffinity).toEqual({ cookieName: 'canary-session', maxAge: 86400 });
    expect(analysis).toMatchObject({ maxWeight: 50, stepWeight: 10 });
  });

  test('A/B by header and cookie (Istio): iterations and one match entry per segment (ORed), no weights', () => {
    const { manifests, analysis } = canaryOf('A/B by header and cookie', 'istio');
    expect(analysis.iterations).toBe(6);
    expect(analysis.match).toEqual([
      { headers: { 'x-canary': { exact: 'insider' } } },
      { headers: { cookie: { regex: COOKIE_REGEX } } },
    ]);
    for (const key of ['maxWeight', 'stepWeight', 'stepWeights', 'mirror']) expect(analysis).not.toHaveProperty(key);
    // The load generator has no sidecar: it reaches the canary's pods through the canary Service, whatever the match.
    expect(loadCommands(manifests)).toEqual([ISTIO_LOAD, ISTIO_LOAD]);
  });

  test('A/B by query parameter (Istio): queryParams', () => {
    expect(canaryOf('A/B by query parameter', 'istio').analysis.match).toEqual([{ queryParams: { variant: { exact: 'b' } } }]);
  });

  test('blue/green (Traefik): iterations without weights; a preview route to the canary Service, which the load test calls', () => {
    const { manifests, analysis } = canaryOf('blue/green', 'traefik');
    expect(analysis.iterations).toBe(5);
    for (const key of ['maxWeight', 'stepWeight', 'match', 'mirror']) expect(analysis).not.toHaveProperty(key);
    expect(only(manifests, 'TraefikService', 'podinfo-preview').spec.weighted.services).toEqual([{ name: 'podinfo-canary', port: 80 }]);
    const route = only(manifests, 'IngressRoute', 'podinfo-preview').spec.routes[0];
    expect(route.match).toBe('Host(`preview.app.example.com`)');
    expect(route.services).toEqual([{ kind: 'TraefikService', name: 'podinfo-preview', port: 80 }]);
    // Flagger's Traefik queries read <ns>-<name>-canary-<port>: the Service the preview route leads to.
    expect(loadCommands(manifests)).toEqual([TRAEFIK_PREVIEW_LOAD, TRAEFIK_PREVIEW_LOAD]);
  });

  test('blue/green (Istio): iterations; no preview route (the load calls the canary Service)', () => {
    const { manifests, analysis } = canaryOf('blue/green', 'istio');
    expect(analysis.iterations).toBe(5);
    expect(all(manifests, 'IngressRoute')).toEqual([]);
    expect(loadCommands(manifests)).toEqual([ISTIO_LOAD, ISTIO_LOAD]);
  });

  test('blue/green with mirroring (Istio): mirror and mirrorWeight', () => {
    const { analysis } = canaryOf('blue/green with mirroring', 'istio');
    expect(analysis).toMatchObject({ iterations: 5, mirror: true, mirrorWeight: 50 });
  });
});

describe('Argo Rollouts', () => {
  const rolloutOf = (strategy: string, router: string) => {
    const manifests = synth(declare(strategy, 'argo-rollouts', router).chart);
    return { manifests, spec: only(manifests, 'Rollout', 'podinfo').spec.strategy };
  };
  const metricsOf = (manifests: any[], template: string) => only(manifests, 'AnalysisTemplate', template).spec.metrics;

  test.each(['traefik', 'istio'])('canary with %s: weighted steps and a background analysis', (router) => {
    const { spec } = rolloutOf('canary', router);
    expect(spec.blueGreen).toBeUndefined();
    expect(spec.canary.steps.filter((s: any) => s.setWeight !== undefined).map((s: any) => s.setWeight)).toEqual([10, 20, 30, 40, 50]);
    expect(spec.canary.analysis.templates).toEqual([{ templateName: 'podinfo' }]);
  });

  test('A/B (Istio): the canary is scaled up before the header route sends the segments to it, and checked for the iterations', () => {
    const { manifests, spec } = rolloutOf('A/B by header and cookie', 'istio');
    expect(spec.canary.steps.map((s: any) => Object.keys(s)[0])).toEqual(['setCanaryScale', 'setHeaderRoute', 'setHeaderRoute', 'analysis']);
    expect(spec.canary.steps[0]).toEqual({ setCanaryScale: { weight: 25 } });
    // One route per segment: "any segment" whether the router ORs or ANDs the conditions of a route.
    expect(spec.canary.steps[1]).toEqual({ setHeaderRoute: { name: 'ab-test-1', match: [{ headerName: 'x-canary', headerValue: { exact: 'insider' } }] } });
    expect(spec.canary.steps[2]).toEqual({ setHeaderRoute: { name: 'ab-test-2', match: [{ headerName: 'cookie', headerValue: { regex: COOKIE_REGEX } }] } });
    expect(spec.canary.steps[3].analysis.templates).toEqual([{ templateName: 'podinfo-ab-test' }]);
    expect(spec.canary.trafficRouting.managedRoutes).toEqual([{ name: 'ab-test-1' }, { name: 'ab-test-2' }]);
    expect(spec.canary.analysis).toBeUndefined();
    const metrics = metricsOf(manifests, 'podinfo-ab-test');
    expect(metrics.filter((m: any) => m.provider.prometheus).map((m: any) => [m.name, m.count, m.failureLimit]))
      .toEqual([['request-success-rate', 6, 4], ['request-duration', 6, 4]]);
    expect(loadCommands(manifests)).toEqual(['hey -z 225s -q 5 -c 2 http://podinfo-canary.test:80/']);
  });

  test('blue/green (Traefik): active and preview Services, a preview route, analyses before and after the switch that end', () => {
    const { manifests, spec } = rolloutOf('blue/green', 'traefik');
    expect(spec.canary).toBeUndefined();
    expect(spec.blueGreen).toMatchObject({
      activeService: 'podinfo', previewService: 'podinfo-preview', autoPromotionEnabled: true, abortScaleDownDelaySeconds: 30,
    });
    expect(spec.blueGreen.prePromotionAnalysis.templates).toEqual([{ templateName: 'podinfo-pre-promotion' }]);
    expect(spec.blueGreen.postPromotionAnalysis.templates).toEqual([{ templateName: 'podinfo-post-promotion' }]);
    for (const template of ['podinfo-pre-promotion', 'podinfo-post-promotion']) {
      for (const metric of metricsOf(manifests, template)) expect(metric.count).toBeGreaterThan(0);
    }
    expect(metricsOf(manifests, 'podinfo-pre-promotion').find((m: any) => m.name === 'request-success-rate').count).toBe(5);
    expect(only(manifests, 'TraefikService', 'podinfo').spec.weighted.services).toEqual([{ name: 'podinfo', port: 80 }]);
    expect(only(manifests, 'TraefikService', 'podinfo-preview').spec.weighted.services).toEqual([{ name: 'podinfo-preview', port: 80 }]);
    expect(only(manifests, 'IngressRoute', 'podinfo-preview').spec.routes[0].match).toBe('Host(`preview.app.example.com`)');
    // Before the switch the queries read the preview Service; after it, the active one too.
    const pre = metricsOf(manifests, 'podinfo-pre-promotion').find((m: any) => m.name === 'request-success-rate').provider.prometheus.query;
    expect(pre).toContain('service="{{args.namespace}}-{{args.preview-service}}-{{args.service-port}}@kubernetescrd"');
    const post = metricsOf(manifests, 'podinfo-post-promotion').find((m: any) => m.name === 'request-success-rate').provider.prometheus.query;
    expect(post).toContain('service=~"{{args.namespace}}-({{args.active-service}}|{{args.preview-service}})-{{args.service-port}}@kubernetescrd"');
    expect(spec.blueGreen.prePromotionAnalysis.args).toEqual(expect.arrayContaining([
      { name: 'active-service', value: 'podinfo' }, { name: 'preview-service', value: 'podinfo-preview' },
    ]));
    expect(loadCommands(manifests)[0]).toBe('hey -z 195s -q 5 -c 2 -host preview.app.example.com http://traefik-internal.traefik:8001/');
  });

  test('blue/green (Istio): the VirtualService routes to the active Service; the load calls the preview Service', () => {
    const { manifests, spec } = rolloutOf('blue/green', 'istio');
    expect(spec.blueGreen).toMatchObject({ activeService: 'podinfo', previewService: 'podinfo-preview' });
    const http = only(manifests, 'VirtualService', 'podinfo').spec.http;
    expect(http).toEqual([{ name: 'primary', route: [{ destination: { host: 'podinfo', port: { number: 80 } }, weight: 100 }] }]);
    expect(all(manifests, 'DestinationRule')).toEqual([]);
    expect(loadCommands(manifests)[0]).toBe('hey -z 195s -q 5 -c 2 http://podinfo-preview.test:80/');
  });

  test('blue/green with mirroring (Istio): canary steps that mirror, check, then switch all traffic and check again', () => {
    const { manifests, spec } = rolloutOf('blue/green with mirroring', 'istio');
    expect(spec.canary.steps).toEqual([
      { setCanaryScale: { weight: 100 } },
      // Without a match Argo Rollouts would remove the route (trafficrouting/istio): every path is matched.
      { setMirrorRoute: { name: 'mirror', percentage: 50, match: [{ path: { prefix: '/' } }] } },
      expect.objectContaining({ analysis: expect.objectContaining({ templates: [{ templateName: 'podinfo-mirror' }] }) }),
      { setMirrorRoute: { name: 'mirror' } },
      { setWeight: 100 },
      expect.objectContaining({ analysis: expect.objectContaining({ templates: [{ templateName: 'podinfo-post-promotion' }] }) }),
    ]);
    expect(spec.canary.trafficRouting.managedRoutes).toEqual([{ name: 'mirror' }]);
    for (const template of ['podinfo-mirror', 'podinfo-post-promotion']) {
      for (const metric of metricsOf(manifests, template)) expect(metric.count).toBeGreaterThan(0);
    }
  });

  test('phased (Istio): employees by header, then a random sample by weights, each with its own analysis', () => {
    const { manifests, spec } = rolloutOf('phased', 'istio');
    const steps = spec.canary.steps;
    expect(steps.map((s: any) => Object.keys(s)[0])).toEqual([
      'setCanaryScale', 'setHeaderRoute', 'analysis', 'setHeaderRoute',
      'setCanaryScale', 'setWeight', 'setCanaryScale', 'analysis', 'setWeight', 'analysis', 'setWeight', 'analysis',
    ]);
    expect(steps[0]).toEqual({ setCanaryScale: { weight: 25 } });
    expect(steps[1]).toEqual({ setHeaderRoute: { name: 'employees', match: [{ headerName: 'x-canary', headerValue: { exact: 'insider' } }] } });
    expect(steps[2].analysis.templates).toEqual([{ templateName: 'podinfo-employees' }]);
    // The employees' route is removed when their phase ends.
    expect(steps[3]).toEqual({ setHeaderRoute: { name: 'employees' } });
    // From the employees' 25 % of the pods to the first weight's size, never through zero (matchTrafficWeight
    // at weight 0 would scale the canary down and start new pods), then with the weights.
    expect(steps[4]).toEqual({ setCanaryScale: { weight: 5 } });
    expect(steps[6]).toEqual({ setCanaryScale: { matchTrafficWeight: true } });
    expect([steps[5], steps[8], steps[10]]).toEqual([{ setWeight: 5 }, { setWeight: 25 }, { setWeight: 50 }]);
    for (const i of [7, 9, 11]) expect(steps[i].analysis.templates).toEqual([{ templateName: 'podinfo-phase-2' }]);
    expect(spec.canary.trafficRouting.managedRoutes).toEqual([{ name: 'employees' }]);
    for (const template of ['podinfo-employees', 'podinfo-phase-2']) {
      expect(metricsOf(manifests, template).filter((m: any) => m.provider.prometheus).map((m: any) => m.count)).toEqual([5, 5]);
    }
  });
});

describe('A/B and phased releases with Argo Rollouts never route a header to a ReplicaSet without pods', () => {
  test.each(['A/B by header and cookie', 'phased'])('%s: every header route with a match follows a canary scale above zero', (strategy) => {
    const steps = only(synth(declare(strategy, 'argo-rollouts', 'istio').chart), 'Rollout', 'podinfo').spec.strategy.canary.steps;
    let scaled = false;
    let checked = 0;
    for (const step of steps) {
      // setCanaryScale completes only when the canary has its pods (rollout/canary.go, completedCurrentCanaryStep).
      const scale = step.setCanaryScale;
      if (scale) scaled = (scale.weight ?? 0) > 0 || scale.replicas > 0 || scale.matchTrafficWeight === true;
      if (step.setWeight !== undefined) scaled = step.setWeight > 0 || scaled;
      if (step.setHeaderRoute?.match) {
        expect(scaled).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('every synthesized cell can stop a bad canary before full promotion', () => {
  test.each(CELLS.filter(([s, e, r]) => EXPECTED[s][`${e}/${r}`] === true))('%s with %s and %s', (strategy, engine, router) => {
    const plan = declare(strategy, engine, router).service.plan!;
    expect(plan.problems).toEqual([]);
    expect(plan.canStopBadCanary).toBe(true);
    expect(plan.badCanary!.rolledBackAfter.toSeconds()).toBeGreaterThan(0);
    // Argo's steps advance on their own: a failure must come before promotion. Flagger holds the
    // weight on a failed check, so its rollback may fall on the tick promotion would have taken.
    if (engine === 'argo-rollouts') expect(plan.firstPossibleFailure!.toSeconds()).toBeLessThan(plan.earliestPromotion.toSeconds());
  });
});

describe('Gateway API (Istio\'s implementation measures at the gateway)', () => {
  const GATEWAY_LOAD = 'hey -z 27s -q 5 -c 2 -host app.example.com http://gateway-istio.test:80/';
  const manifestsOf = (strategy: string, engine: string) => synth(declare(strategy, engine, 'gateway-api').chart);

  describe('Flagger', () => {
    test('canary: provider gatewayapi:v1 with gatewayRefs and hosts; the checks as MetricTemplates on the gateway\'s telemetry', () => {
      const manifests = manifestsOf('canary', 'flagger');
      const spec = only(manifests, 'Canary', 'podinfo').spec;
      expect(spec.provider).toBe('gatewayapi:v1');
      expect(spec.service).toMatchObject({ gatewayRefs: [{ name: 'gateway', namespace: 'test', sectionName: 'http' }], hosts: ['app.example.com'] });
      // Flagger's own gatewayapi built-ins read the application's metrics: ours run under unreserved names.
      expect(spec.analysis.metrics).toEqual([
        { name: 'success-rate', interval: '1m', thresholdRange: { min: 99 }, templateRef: { name: 'podinfo-success-rate', namespace: 'test' } },
        { name: 'latency', interval: '1m', thresholdRange: { max: 500 }, templateRef: { name: 'podinfo-latency', namespace: 'test' } },
      ]);
      for (const template of ['podinfo-success-rate', 'podinfo-latency']) {
        expect(only(manifests, 'MetricTemplate', template).spec.query)
          .toContain('reporter="source",destination_service_namespace="{{ namespace }}",destination_service_name="{{ target }}-canary"');
      }
      // Flagger generates the HTTPRoute <name>; we create the namespace's Gateway only.
      expect(all(manifests, 'HTTPRoute')).toEqual([]);
      expect(only(manifests, 'Gateway', 'gateway').spec).toEqual({
        gatewayClassName: 'istio',
        listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }],
      });
      expect(loadCommands(manifests)).toEqual([GATEWAY_LOAD, GATEWAY_LOAD]);
    });

    test('session affinity', () => {
      expect(only(manifestsOf('canary with session affinity', 'flagger'), 'Canary', 'podinfo').spec.analysis.sessionAffinity)
        .toEqual({ cookieName: 'canary-session', maxAge: 86400 });
    });

    test('A/B: the match, and load that carries the first segment\'s header so the route sends it to the canary', () => {
      const manifests = manifestsOf('A/B by header and cookie', 'flagger');
      expect(only(manifests, 'Canary', 'podinfo').spec.analysis.match).toEqual([
        { headers: { 'x-canary': { exact: 'insider' } } },
        { headers: { cookie: { regex: COOKIE_REGEX } } },
      ]);
      const load = "hey -z 27s -q 5 -c 2 -host app.example.com -H 'x-canary: insider' http://gateway-istio.test:80/";
      expect(loadCommands(manifests)).toEqual([load, load]);
    });

    test('A/B by query parameter: queryParams, and load with the parameter', () => {
      const manifests = manifestsOf('A/B by query parameter', 'flagger');
      expect(only(manifests, 'Canary', 'podinfo').spec.analysis.match).toEqual([{ queryParams: { variant: { exact: 'b' } } }]);
      expect(loadCommands(manifests)[0]).toBe("hey -z 27s -q 5 -c 2 -host app.example.com 'http://gateway-istio.test:80/?variant=b'");
    });

    test('blue/green: a preview HTTPRoute to the canary Service on the preview host, which the load calls', () => {
      const manifests = manifestsOf('blue/green', 'flagger');
      const route = only(manifests, 'HTTPRoute', 'podinfo-preview').spec;
      expect(route.hostnames).toEqual(['preview.app.example.com']);
      expect(route.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gateway', namespace: 'test', sectionName: 'http' }]);
      expect(route.rules).toEqual([{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ group: '', kind: 'Service', name: 'podinfo-canary', port: 80 }] }]);
      expect(loadCommands(manifests)[0]).toBe('hey -z 27s -q 5 -c 2 -host preview.app.example.com http://gateway-istio.test:80/');
    });
  });

  describe('Argo Rollouts', () => {
    test('canary: the HTTPRoute to the stable and canary Services, whose weights the Gateway API plugin sets', () => {
      const manifests = manifestsOf('canary', 'argo-rollouts');
      const canary = only(manifests, 'Rollout', 'podinfo').spec.strategy.canary;
      expect(canary.trafficRouting).toEqual({ plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'podinfo', namespace: 'test' } } });
      expect([canary.stableService, canary.canaryService]).toEqual(['podinfo-stable', 'podinfo-canary']);
      const route = only(manifests, 'HTTPRoute', 'podinfo').spec;
      expect(route.hostnames).toEqual(['app.example.com']);
      expect(route.rules[0].backendRefs).toEqual([
        { group: '', kind: 'Service', name: 'podinfo-stable', port: 80, weight: 100 },
        { group: '', kind: 'Service', name: 'podinfo-canary', port: 80, weight: 0 },
      ]);
      for (const name of ['podinfo-stable', 'podinfo-canary']) expect(only(manifests, 'Service', name).spec.selector).toEqual({ 'app.kubernetes.io/name': 'podinfo' });
      const query = only(manifests, 'AnalysisTemplate', 'podinfo').spec.metrics.find((m: any) => m.name === 'request-success-rate').provider.prometheus.query;
      expect(query).toContain('reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.canary-service}}"');
      expect(canary.analysis.args).toEqual(expect.arrayContaining([{ name: 'canary-service', value: 'podinfo-canary' }]));
    });

    test('A/B: one managed header route per segment (the plugin ANDs the headers of one route)', () => {
      const manifests = manifestsOf('A/B by header and cookie', 'argo-rollouts');
      const canary = only(manifests, 'Rollout', 'podinfo').spec.strategy.canary;
      expect(canary.steps.filter((s: any) => s.setHeaderRoute).map((s: any) => s.setHeaderRoute.name)).toEqual(['ab-test-1', 'ab-test-2']);
      expect(canary.trafficRouting.managedRoutes).toEqual([{ name: 'ab-test-1' }, { name: 'ab-test-2' }]);
      expect(loadCommands(manifests)[0]).toBe("hey -z 225s -q 5 -c 2 -host app.example.com -H 'x-canary: insider' http://gateway-istio.test:80/");
    });

    test('blue/green: the HTTPRoute to the active Service, a preview route to the preview Service', () => {
      const manifests = manifestsOf('blue/green', 'argo-rollouts');
      expect(only(manifests, 'Rollout', 'podinfo').spec.strategy.blueGreen).toMatchObject({ activeService: 'podinfo', previewService: 'podinfo-preview' });
      expect(only(manifests, 'HTTPRoute', 'podinfo').spec.rules[0].backendRefs).toEqual([{ group: '', kind: 'Service', name: 'podinfo', port: 80 }]);
      expect(only(manifests, 'HTTPRoute', 'podinfo-preview').spec.rules[0].backendRefs).toEqual([{ group: '', kind: 'Service', name: 'podinfo-preview', port: 80 }]);
      expect(loadCommands(manifests)[0]).toBe('hey -z 195s -q 5 -c 2 -host preview.app.example.com http://gateway-istio.test:80/');
    });

    test('phased: the employees\' header route, then the weights; the load carries the employees\' header', () => {
      const manifests = manifestsOf('phased', 'argo-rollouts');
      const canary = only(manifests, 'Rollout', 'podinfo').spec.strategy.canary;
      expect(canary.trafficRouting.managedRoutes).toEqual([{ name: 'employees' }]);
      expect(loadCommands(manifests)[0]).toContain("-H 'x-canary: insider' http://gateway-istio.test:80/");
    });
  });
});
