import * as path from 'path';
import { requirePrometheus } from './require-prometheus';
import { ArgoRolloutModel } from '../../src/rehearsal/argo/rollout-model';
import { FlaggerModel } from '../../src/rehearsal/flagger/flagger-model';
import { readManifests } from '../../src/rehearsal/objects/manifests';
import { EMBEDDED_LABELLING } from '../../src/rehearsal/objects/monitoring';
import { Release, findReleases } from '../../src/rehearsal/objects/releases';
import { PrometheusServer } from '../../src/rehearsal/prometheus/server';
import { Answering, HEALTHY, latencyShares } from '../../src/rehearsal/traffic/behaviour';
import { TrafficGenerator } from '../../src/rehearsal/traffic/generator';
import { parseLoadCommand } from '../../src/rehearsal/traffic/load';
import { Random } from '../../src/rehearsal/traffic/random';
import { TRAEFIK_POD, UNKNOWN_SOURCE, appFamily, istioFamily, podTargetLabels, traefikFamily } from '../../src/rehearsal/traffic/shapes';
import { INITIAL_ROUTING, RoutingState, Topology } from '../../src/rehearsal/traffic/topology';
import { labels } from '../promql/promtool';
import { appHistogramSeries, gatewayIstioSeries, istioSeries, traefikSeries } from '../promql/series';

/**
 * The rehearsal's traffic: seeded random draws, the series shapes the promtool tests prove, and the
 * split each router makes, measured by the real Prometheus with the queries the controllers send.
 */

requirePrometheus();

const examples = path.join(__dirname, '..', '..', 'examples');
const releaseOf = (example: string): Release => findReleases(readManifests([path.join(examples, example, 'manifests')]))[0];

describe('seeded random draws', () => {
  const draws = (seed: number, f: (r: Random) => number, n = 20_000) => {
    const random = new Random(seed);
    return Array.from({ length: n }, () => f(random));
  };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = (xs: number[]) => {
    const m = mean(xs);
    return xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  };

  test('the same seed gives the same draws, another seed others', () => {
    expect(draws(7, (r) => r.uniform(), 5)).toEqual(draws(7, (r) => r.uniform(), 5));
    expect(draws(7, (r) => r.uniform(), 5)).not.toEqual(draws(8, (r) => r.uniform(), 5));
    expect(draws(3, (r) => r.poisson(12), 50)).toEqual(draws(3, (r) => r.poisson(12), 50));
  });

  test.each([
    ['Poisson, small mean (inversion)', (r: Random) => r.poisson(3), 3, 3],
    ['Poisson, large mean (normal approximation)', (r: Random) => r.poisson(400), 400, 400],
    ['binomial, few trials (exact)', (r: Random) => r.binomial(20, 0.3), 6, 4.2],
    ['binomial, rare outcome (Poisson)', (r: Random) => r.binomial(1000, 0.005), 5, 4.975],
    ['binomial, many trials (normal approximation)', (r: Random) => r.binomial(1000, 0.05), 50, 47.5],
  ])('%s: mean and variance as the distribution says', (_name, f, expectedMean, expectedVariance) => {
    const xs = draws(11, f);
    expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    expect(Math.abs(mean(xs) - expectedMean)).toBeLessThan(0.03 * expectedMean + 0.05);
    expect(Math.abs(variance(xs) - expectedVariance)).toBeLessThan(0.06 * expectedVariance + 0.1);
  });

  test('a multinomial split keeps every draw and shares them by probability', () => {
    const random = new Random(5);
    const totals = [0, 0, 0];
    for (let i = 0; i < 2000; i++) {
      const counts = random.multinomial(100, [0.7, 0.2, 0.1]);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(100);
      counts.forEach((c, j) => { totals[j] += c; });
    }
    expect(totals.map((t) => Math.round(t / 2000))).toEqual([70, 20, 10]);
  });

  test('latencies are log-normal with the stated median and P99', () => {
    const shares = latencyShares({ ...HEALTHY, medianSeconds: 0.25, p99Seconds: 1 }, [0.25, 1]);
    expect(shares.map((s) => Math.round(s * 1000) / 1000)).toEqual([0.5, 0.49, 0.01]);
  });
});

describe('the series shapes are the ones the promtool tests prove the queries against (test/promql/series.ts)', () => {
  /** A series of the rehearsal as the promtool notation names it; the instance's port is the scraped one, which no query reads. */
  const named = (set: { [name: string]: string }) => {
    const { __name__: name, instance: _instance, ...rest } = set;
    return `${name}${labels(rest)}`;
  };
  const promtoolNames = (series: { series: string }[]) => series.map((s) => s.series.replace(/([{,])instance="[^"]*",?/, '$1')).sort();
  const traffic = [{ perScrape: 1, code: 200, bucket: 0.1 }];
  const familyNames = (family: ReturnType<typeof traefikFamily>, withCount: boolean, withCounter: boolean) => [
    ...(withCounter && family.counter ? [named(family.counter)] : []),
    ...family.buckets.map((b) => named(b.labels)),
    ...(withCount ? [named(family.count)] : []),
  ].sort();

  test('Traefik: traefik_service_requests_total and the duration histogram of a backend Service', () => {
    const service = 'test-podinfo-canary-80@kubernetescrd';
    const rehearsal = traefikFamily(service, { code: 200 }, EMBEDDED_LABELLING);
    expect(familyNames(rehearsal, false, true)).toEqual(promtoolNames(traefikSeries(service, traffic, TRAEFIK_POD.name)));
  });

  test('Istio: the destination sidecar\'s istio_requests_total and duration histogram', () => {
    const pod = { name: 'podinfo-6c9f8d7b5-k2x4p', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' }, workload: 'podinfo' };
    const destination = { pod, service: 'podinfo-canary', serviceNamespace: 'test' };
    const rehearsal = istioFamily('destination', podTargetLabels('kubernetes-pods', pod, 15020), UNKNOWN_SOURCE, destination, { code: 200 });
    const promtool = istioSeries({ pod: pod.name, namespace: 'test', workload: 'podinfo', service: 'podinfo-canary', podLabels: pod.labels }, traffic);
    expect(familyNames(rehearsal, false, true)).toEqual(promtoolNames(promtool));
  });

  test('Gateway API with Istio: the gateway reports as the source, the backend Service as the destination', () => {
    const proxy = {
      name: 'gateway-istio-7c9d8f6b5-abcde',
      namespace: 'istio-ingress',
      labels: { 'gateway.networking.k8s.io/gateway-name': 'gateway', 'service.istio.io/canonical-name': 'gateway-istio' },
      workload: 'gateway-istio',
    };
    const backendPod = { name: 'podinfo-6c9f8d7b5-k2x4p', namespace: 'test', labels: {}, workload: 'podinfo' };
    const source = { workload: 'gateway-istio', namespace: 'istio-ingress', canonicalService: 'gateway-istio', cluster: 'Kubernetes' };
    const rehearsal = istioFamily('source', podTargetLabels('router-istio-ingress', proxy, 15020), source, { pod: backendPod, service: 'podinfo-canary', serviceNamespace: 'test' }, { code: 200 });
    const promtool = gatewayIstioSeries({ pod: proxy.name, namespace: 'istio-ingress', gateway: 'gateway' }, { service: 'podinfo-canary', namespace: 'test', workload: 'podinfo' }, traffic);
    expect(familyNames(rehearsal, false, true)).toEqual(promtoolNames(promtool));
  });

  test('the application\'s own histogram (podinfo), per route', () => {
    const pod = { name: 'podinfo-7d9c5f8b6-q4w8e', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': '7d9c5f8b6' }, workload: 'podinfo' };
    const promtool = appHistogramSeries({ pod: pod.name, namespace: 'test', podLabels: pod.labels }, [{ ...traffic[0], path: 'readyz' }]);
    expect(familyNames(appFamily(pod, 'readyz', { code: 200 }, EMBEDDED_LABELLING), true, false)).toEqual(promtoolNames(promtool));
  });
});

describe('load tests are read from their commands', () => {
  const release = releaseOf('flagger-istio');

  test('hey: rate per worker times workers, the Host header, headers; the URL decides where the requests enter', () => {
    const load = parseLoadCommand("hey -z 1m -q 10 -c 2 -host app.example.com -H 'X-Canary: insider' http://istio-ingressgateway.istio-system/", release)!;
    expect(load).toEqual({
      entry: { kind: 'host', host: 'app.example.com', via: 'istio-ingress' },
      requestsPerSecond: 20,
      durationSeconds: 60,
      headers: { 'x-canary': 'insider' },
      note: undefined,
    });
    expect(parseLoadCommand('hey -z 2m -q 5 -c 4 http://podinfo-canary.test:9898/', release)).toMatchObject({
      entry: { kind: 'service', name: 'podinfo-canary', namespace: 'test', mesh: false }, requestsPerSecond: 20, durationSeconds: 120,
    });
  });

  test('ghz: calls per second; a command without a rate is assumed and says so; other commands are not load', () => {
    expect(parseLoadCommand('ghz --insecure --rps 30 -z 1m --call grpc.health.v1.Health/Check greeter-canary.test:9000', release))
      .toMatchObject({ requestsPerSecond: 30, entry: { kind: 'service', name: 'greeter-canary' } });
    expect(parseLoadCommand('hey -z 1m -c 2 http://podinfo-canary.test/', release))
      .toMatchObject({ requestsPerSecond: 100, note: "'hey -z 1m -c 2 http://podinfo-canary.test/' sets no rate (-q): assumed 50 requests per second per worker" });
    expect(parseLoadCommand('curl -sf http://podinfo-canary.test/', release)).toBeUndefined();
  });
});

/**
 * Each router's split, measured: 100 user requests per second for four minutes, 20 % to the new
 * version (which fails 5 % of its requests, the old one 0.1 %); the router's own series say how
 * much reached the new version, and the release's success-rate check, as the controller sends it,
 * sees the new version alone.
 */
describe('traffic as each router splits it, counted by the real Prometheus', () => {
  let server: PrometheusServer;
  let slot = Date.UTC(2026, 0, 1);
  beforeAll(async () => {
    server = await PrometheusServer.start();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  const BAD: Answering = { ...HEALTHY, errorRate: 0.05 };
  const SECONDS = 240;

  /** Sends the users' requests through the release's routes in one state; returns the share the new version answered and a query function at the end. */
  async function replay(release: Release, state: Partial<RoutingState>) {
    const topology = new Topology(release);
    const epochMs = slot;
    slot += 2 * 3600 * 1000;
    const random = new Random(42);
    const routing = { ...INITIAL_ROUTING, ...state };
    const behaviour = (isNew: boolean) => (isNew ? BAD : HEALTHY);
    const generator = new TrafficGenerator(topology, behaviour, random, () => true, release.scrapeIntervalSeconds, epochMs, 0, routing, [10]);
    generator.run({ id: 'users', entry: topology.usersEntry(), request: { headers: {} }, users: true, rate: () => 100 }, Infinity);
    await server.write(generator.advanceTo(SECONDS));
    return {
      shareToNew: generator.servedByNew.requests / (100 * SECONDS),
      query: async (expr: string) => (await server.query(expr, epochMs / 1000 + SECONDS)).samples.map((s) => s.value),
    };
  }

  /** The release's success-rate query as its controller sends it (Flagger's rendered template, Argo's arguments substituted). */
  function successQuery(release: Release): string {
    if (release.engine === 'flagger') return new FlaggerModel(release).queries().find((q) => /success-rate/.test(q.metric.name))!.query!;
    return new ArgoRolloutModel(release).queries().find((q) => /5\.\.|5\.\*/.test(q) && !q.startsWith('histogram_quantile'))!;
  }

  test.each([
    ['flagger-traefik', 'traefik_service_requests_total{service=~"test-podinfo-canary-.*"}', 'traefik_service_requests_total{service=~"test-podinfo-(canary|primary)-.*"}', 100],
    ['flagger-istio', 'istio_requests_total{reporter="destination",destination_workload="podinfo"}', 'istio_requests_total{reporter="destination"}', 100],
    ['flagger-gateway-api', 'istio_requests_total{reporter="source",destination_service_name="podinfo-canary"}', 'istio_requests_total{reporter="source"}', 100],
    ['argo-traefik', 'traefik_service_requests_total{service=~"test-podinfo-canary-.*"}', 'traefik_service_requests_total', 1],
    ['argo-istio', 'istio_requests_total{reporter="destination",rollouts_pod_template_hash="7d9c5f8b6"}', 'istio_requests_total{reporter="destination"}', 1],
    ['argo-gateway-api', 'istio_requests_total{reporter="source",destination_service_name="podinfo-canary"}', 'istio_requests_total{reporter="source"}', 1],
  ])('%s: the router sends 20 %% to the new version, and the success-rate check sees it alone', async (example, toNew, all, scale) => {
    const release = releaseOf(example);
    const { shareToNew, query } = await replay(release, { canaryWeight: 20, newPods: 2, stablePods: 2 });
    expect(Math.abs(shareToNew - 0.2)).toBeLessThan(0.015);
    const [counted] = await query(`sum(rate(${toNew}[2m])) / sum(rate(${all}[2m]))`);
    expect(Math.abs(counted - 0.2)).toBeLessThan(0.02);
    const [success] = await query(successQuery(release));
    // The new version's 95 %, not the blend with the old version's 99.9 % (99 % at this split).
    expect(Math.abs(success / scale - 0.95)).toBeLessThan(0.02);
  }, 60_000);

  test('argo-replica-ratio: without a router the pods share the requests (one new pod of three), as its own histogram counts them', async () => {
    const release = releaseOf('argo-replica-ratio');
    const { shareToNew, query } = await replay(release, { canaryWeight: 0, newPods: 1, stablePods: 2 });
    expect(Math.abs(shareToNew - 1 / 3)).toBeLessThan(0.015);
    const route = 'path="root"';
    const [counted] = await query(`sum(rate(http_request_duration_seconds_count{${route},rollouts_pod_template_hash="7d9c5f8b6"}[2m])) / sum(rate(http_request_duration_seconds_count{${route}}[2m]))`);
    expect(Math.abs(counted - 1 / 3)).toBeLessThan(0.02);
    const [success] = await query(successQuery(release));
    expect(Math.abs(success - 0.95)).toBeLessThan(0.02);
  }, 60_000);

  test('flagger-istio-ab-test: only the matched segment reaches the canary; everyone else stays on the primary', async () => {
    const release = releaseOf('flagger-istio-ab-test');
    const topology = new Topology(release);
    const state = { ...INITIAL_ROUTING, matchToCanary: true, newPods: 2, stablePods: 2 };
    const match = release.controllerObject.spec.analysis.match[0];
    const headers = Object.fromEntries(Object.entries<any>(match.headers).map(([k, v]) => [k.toLowerCase(), v.exact ?? 'x']));
    const toCanary = (request: { headers: { [k: string]: string } }) => topology.flows(topology.usersEntry(), request, state)
      .filter((f) => f.group?.id === 'canary').reduce((sum, f) => sum + f.share, 0);
    expect([toCanary({ headers }), toCanary({ headers: {} })]).toEqual([1, 0]);
  });
});
