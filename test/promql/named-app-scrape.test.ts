import { App, Chart } from 'cdk8s';
import * as yaml from 'js-yaml';
import {
  discoverPods, Exporter, FakePod, requirePrometheusServer, replaceDiscovery, RunningPrometheus, startExporter, startPrometheus, waitFor,
} from './scrape-harness';
import { CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, GitOps, SharedAddons, TrafficRouter } from '../../src';

/*
 * Two named apps in one namespace (SharedAddons.configure appName), each with its embedded
 * Prometheus: run by the real Prometheus server (Debian's 2.42, discovery emulated as static targets
 * with the pod role's labels, see scrape-harness.ts), each app's `kubernetes-pods` job scrapes the
 * pods of its own services (Flagger's primary and canary, an Argo Rollout's ReplicaSets, a Gateway's
 * proxies beside them) and not the other app's, nor a pod whose name only starts like one of its own.
 */

const NAMESPACE = 'team';
const PODS_JOB = 'kubernetes-pods';

const base = (name: string): CanaryServiceProps => ({
  image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
  containerPort: 9898,
  engine: DeliveryEngine.flagger(),
  router: TrafficRouter.traefik({ hosts: [`${name}.example.com`] }),
  analysis: { webhooks: [CanaryWebhook.loadTest()] },
});

/** The prometheus.yml of a named app's embedded Prometheus, synthesized on its own. */
function appConfig(appName: string | undefined, declare: (app: App) => void): any {
  const app = new App();
  if (appName !== undefined) SharedAddons.configure(app, { appName });
  declare(app);
  const manifests = app.charts.flatMap((chart) => chart.toJson());
  const name = appName === undefined ? 'canary-prometheus' : `canary-prometheus-${appName}`;
  return yaml.load(manifests.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name).data['prometheus.yml']);
}

/** Shop: cart (Flagger, Traefik) and basket (Flagger, behind a Gateway API Gateway it creates in the namespace, Istio's proxies). */
function shop(app: App): void {
  new CanaryService(new Chart(app, 'cart', { namespace: NAMESPACE }), 'cart', base('cart'));
  new CanaryService(new Chart(app, 'basket', { namespace: NAMESPACE }), 'basket', {
    ...base('basket'), router: TrafficRouter.gatewayApi({ hosts: ['basket.example.com'] }),
  });
}

/** Search: suggest (Argo Rollouts, Istio). */
function search(app: App): void {
  new CanaryService(new Chart(app, 'suggest', { namespace: NAMESPACE }), 'suggest', {
    ...base('suggest'), engine: DeliveryEngine.argoRollouts(), router: TrafficRouter.istio({ hosts: ['suggest.example.com'] }), gitOps: GitOps.none(),
  });
}

/** The pods of the namespace, each annotated for scraping and served by an exporter of its own (named after the pod). */
const POD_LABELS: [string, { [key: string]: string }][] = [
  // Flagger: the canary keeps the selector label's value, the primary gets `-primary`.
  ['cart-7d9f8c6b5-x2k4m', { 'app.kubernetes.io/name': 'cart' }],
  ['cart-primary-5c6d7e8f9-p9q8r', { 'app.kubernetes.io/name': 'cart-primary' }],
  ['basket-primary-6f7a8b9c1-b1c2d', { 'app.kubernetes.io/name': 'basket-primary' }],
  // Istio's proxy of the Gateway `gateway` the basket's router creates in the namespace.
  ['gateway-istio-8c9d1e2f3-g4h5j', { 'gateway.networking.k8s.io/gateway-name': 'gateway', 'app.kubernetes.io/name': 'gateway-istio' }],
  // Argo Rollouts: every ReplicaSet carries the Rollout's selector labels.
  ['suggest-5f6a7b8c9-s1t2u', { 'app.kubernetes.io/name': 'suggest', 'rollouts-pod-template-hash': '5f6a7b8c9' }],
  ['suggest-6a7b8c9d1-v3w4x', { 'app.kubernetes.io/name': 'suggest', 'rollouts-pod-template-hash': '6a7b8c9d1' }],
  // A workload of nobody's here whose name starts like a service's.
  ['cart-extra-4b5c6d7e8-y5z6a', { 'app.kubernetes.io/name': 'cart-extra' }],
];

function fakePods(exporters: Map<string, Exporter>): FakePod[] {
  return POD_LABELS.map(([name, labels]) => ({
    namespace: NAMESPACE,
    name,
    ip: '127.0.0.1',
    labels,
    annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(exporters.get(name)!.port), 'prometheus.io/path': '/metrics' },
    ports: [{ container: 'app', name: 'http', port: 9898 }],
    controller: ['ReplicaSet', name.replace(/-[a-z0-9]+$/, '')],
  }));
}

const SHOP_PODS = ['basket-primary-6f7a8b9c1-b1c2d', 'cart-7d9f8c6b5-x2k4m', 'cart-primary-5c6d7e8f9-p9q8r', 'gateway-istio-8c9d1e2f3-g4h5j'];
const SEARCH_PODS = ['suggest-5f6a7b8c9-s1t2u', 'suggest-6a7b8c9d1-v3w4x'];
const EVERY_POD = POD_LABELS.map(([name]) => name).sort();

requirePrometheusServer();

describe('two named apps in one namespace: each Prometheus scrapes its own services\' pods only (prometheus 2.42)', () => {
  const exporters = new Map<string, Exporter>();
  const running = new Map<string, RunningPrometheus>();
  const configs: [string, any][] = [
    ['shop', appConfig('shop', shop)],
    ['search', appConfig('search', search)],
    // The control: an unnamed app (one app per namespace) scrapes every annotated pod, as before.
    ['unnamed', appConfig(undefined, shop)],
  ];
  const expected: { [app: string]: string[] } = { shop: SHOP_PODS, search: SEARCH_PODS, unnamed: EVERY_POD };

  beforeAll(async () => {
    await Promise.all(POD_LABELS.map(async ([name]) => {
      exporters.set(name, await startExporter('/metrics', () => `# TYPE app_requests_total counter\napp_requests_total{served_by="${name}"} 1\n`));
    }));
    const cluster = fakePods(exporters);
    for (const [app, config] of configs) running.set(app, await startPrometheus(replaceDiscovery(config, discoverPods(cluster), '1s')));
    await Promise.all(configs.map(([app]) => {
      const prometheus = running.get(app)!;
      return waitFor(async () => {
        const scraped = await prometheus.query(`count(count_over_time(up{job="${PODS_JOB}"}[1m]) >= 2)`);
        return scraped.length === 1 && scraped[0].value === expected[app].length;
      }, 30_000, async () => `${app}: not every target scraped twice in 30 s:\n${JSON.stringify((await prometheus.targets()).activeTargets.map((t) => [t.labels.pod, t.health]))}`);
    }));
  }, 90_000);

  afterAll(async () => {
    await Promise.all([...running.values()].map((prometheus) => prometheus.stop()));
    await Promise.all([...exporters.values()].map((exporter) => exporter.close()));
  });

  test.each(['shop', 'search', 'unnamed'])('%s: the pods job scrapes exactly its pods, all up, and drops the others', async (app) => {
    const prometheus = running.get(app)!;
    const { activeTargets, droppedTargets } = await prometheus.targets();
    const active = activeTargets.filter((t) => t.scrapePool === PODS_JOB);
    expect(active.map((t) => t.labels.pod).sort()).toEqual(expected[app]);
    expect(active.every((t) => t.health === 'up')).toBe(true);
    const dropped = droppedTargets.filter((t) => t.discoveredLabels.job === PODS_JOB)
      .map((t) => t.discoveredLabels.__meta_kubernetes_pod_name).sort();
    expect(dropped).toEqual(EVERY_POD.filter((pod) => !expected[app].includes(pod)));
    // Only its pods' series are stored.
    const stored = await prometheus.query('app_requests_total');
    expect(stored.map((s) => s.metric.served_by).sort()).toEqual(expected[app]);
  });

  test('the two named apps together scrape every pod of their services, and none twice', () => {
    expect(SHOP_PODS.filter((pod) => SEARCH_PODS.includes(pod))).toEqual([]);
    expect([...SHOP_PODS, ...SEARCH_PODS, 'cart-extra-4b5c6d7e8-y5z6a'].sort()).toEqual(EVERY_POD);
  });
});
