import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as yaml from 'js-yaml';
import {
  discoverPods, Exporter, FakePod, requirePrometheusServer, replaceDiscovery, RunningPrometheus, startExporter, startPrometheus, waitFor,
} from './scrape-harness';
import { CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, GitOps, Prometheus, SharedAddons, TrafficRouter } from '../../src';

/*
 * Two named apps in one namespace (SharedAddons.configure appName), each with its embedded
 * Prometheus: run by the real Prometheus server (Debian's 2.42, discovery emulated as static targets
 * with the pod role's labels, see scrape-harness.ts), each app's `kubernetes-pods` job scrapes the
 * pods of its own services (Flagger's primary and canary, an Argo Rollout's ReplicaSets, a Gateway's
 * proxies beside them) and not the other app's, nor a pod whose name only starts like one of its own;
 * a namespace asked for with `scrapeNamespace` is kept whole. The emulated labels are those of the
 * pod role in the version we deploy too: `__meta_kubernetes_pod_label_<name>` and
 * `__meta_kubernetes_pod_labelpresent_<name>` ("true") per pod label (Prometheus v3.5.5
 * discovery/kubernetes/kubernetes.go:786-793 addObjectMetaLabels, pod.go:225; v2.42.0 pod.go:194-195,238-241).
 */

const NAMESPACE = 'team';
/** A dependency's namespace, which the shop asks its Prometheus to scrape in full. */
const DEPS = 'deps';
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

/**
 * Shop: cart (Flagger, Traefik) and basket (Flagger, behind a Gateway API Gateway it creates in the
 * namespace, Istio's proxies); its Prometheus also scrapes the namespace of a dependency, in full.
 */
function shop(app: App): void {
  const cart = new Chart(app, 'cart', { namespace: NAMESPACE });
  new CanaryService(cart, 'cart', base('cart'));
  Prometheus.of(cart, NAMESPACE).scrapeNamespace(DEPS);
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
const POD_LABELS: [string, { [key: string]: string }, string?][] = [
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
  // The dependency, in its own namespace.
  ['db-0', { 'app.kubernetes.io/name': 'db' }, DEPS],
];

function fakePods(exporters: Map<string, Exporter>): FakePod[] {
  return POD_LABELS.map(([name, labels, namespace]) => ({
    namespace: namespace ?? NAMESPACE,
    name,
    ip: '127.0.0.1',
    labels,
    annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(exporters.get(name)!.port), 'prometheus.io/path': '/metrics' },
    ports: [{ container: 'app', name: 'http', port: 9898 }],
    controller: ['ReplicaSet', name.replace(/-[a-z0-9]+$/, '')],
  }));
}

const SHOP_PODS = ['basket-primary-6f7a8b9c1-b1c2d', 'cart-7d9f8c6b5-x2k4m', 'cart-primary-5c6d7e8f9-p9q8r', 'db-0', 'gateway-istio-8c9d1e2f3-g4h5j'];
const SEARCH_PODS = ['suggest-5f6a7b8c9-s1t2u', 'suggest-6a7b8c9d1-v3w4x'];
const EVERY_POD = POD_LABELS.map(([name]) => name).sort();
const TEAM_PODS = POD_LABELS.filter(([, , namespace]) => namespace === undefined).map(([name]) => name).sort();

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
  // The pods its job discovers: search does not list the dependency's namespace.
  const discovered: { [app: string]: string[] } = { shop: EVERY_POD, search: TEAM_PODS, unnamed: EVERY_POD };

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
    expect(dropped).toEqual(discovered[app].filter((pod) => !expected[app].includes(pod)));
    // Only its pods' series are stored.
    const stored = await prometheus.query('app_requests_total');
    expect(stored.map((s) => s.metric.served_by).sort()).toEqual(expected[app]);
  });

  test('the two named apps together store the series of every pod but the one no app declares, and none twice', async () => {
    const storedBy = async (app: string) => (await running.get(app)!.query('app_requests_total')).map((s) => s.metric.served_by);
    const [shopSeries, searchSeries] = [await storedBy('shop'), await storedBy('search')];
    expect(shopSeries.filter((pod) => searchSeries.includes(pod))).toEqual([]);
    expect([...shopSeries, ...searchSeries].sort()).toEqual(EVERY_POD.filter((pod) => pod !== 'cart-extra-4b5c6d7e8-y5z6a'));
  });
});

describe("a named app's pods selected by a label's presence (Exists, DoesNotExist) are told by the label being there, even empty (prometheus 2.42)", () => {
  // A custom engine's running pods: worker by Exists('tier'), batch by DoesNotExist('tier').
  const config = (() => {
    const app = new App();
    SharedAddons.configure(app, { appName: 'jobs' });
    const prometheus = Prometheus.of(new Chart(app, 'c'), NAMESPACE);
    const name = (value: string) => kplus.LabelExpression.in('app.kubernetes.io/name', [value]);
    prometheus.monitorService(prometheus, { name: 'worker', namespace: NAMESPACE, labels: {}, pods: [name('worker'), kplus.LabelExpression.exists('tier')], routerMetrics: [] });
    prometheus.monitorService(prometheus, { name: 'batch', namespace: NAMESPACE, labels: {}, pods: [name('batch'), kplus.LabelExpression.doesNotExist('tier')], routerMetrics: [] });
    const manifests = app.charts.flatMap((chart) => chart.toJson());
    return yaml.load(manifests.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'canary-prometheus-jobs').data['prometheus.yml']) as any;
  })();
  const pods: [string, { [key: string]: string }][] = [
    ['worker-empty-tier', { 'app.kubernetes.io/name': 'worker', 'tier': '' }],
    ['worker-no-tier', { 'app.kubernetes.io/name': 'worker' }],
    ['batch-empty-tier', { 'app.kubernetes.io/name': 'batch', 'tier': '' }],
    ['batch-no-tier', { 'app.kubernetes.io/name': 'batch' }],
  ];
  const exporters: Exporter[] = [];
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    const cluster: FakePod[] = [];
    for (const [name, labels] of pods) {
      const exporter = await startExporter('/metrics', () => `app_requests_total{served_by="${name}"} 1\n`);
      exporters.push(exporter);
      cluster.push({
        namespace: NAMESPACE,
        name,
        ip: '127.0.0.1',
        labels,
        ports: [{ container: 'app', name: 'http', port: 9898 }],
        controller: ['ReplicaSet', name],
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(exporter.port) },
      });
    }
    prometheus = await startPrometheus(replaceDiscovery(config, discoverPods(cluster), '1s'));
    await waitFor(async () => (await prometheus.query('app_requests_total')).length === 2, 30_000,
      async () => `not 2 series in 30 s: ${JSON.stringify((await prometheus.targets()).activeTargets.map((t) => [t.labels.pod, t.health]))}`);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all(exporters.map((exporter) => exporter.close()));
  });

  test('Exists keeps the pod whose label is empty, DoesNotExist the pod without it', async () => {
    const { activeTargets } = await prometheus.targets();
    expect(activeTargets.filter((t) => t.scrapePool === PODS_JOB).map((t) => t.labels.pod).sort()).toEqual(['batch-no-tier', 'worker-empty-tier']);
    expect((await prometheus.query('app_requests_total')).map((s) => s.metric.served_by).sort()).toEqual(['batch-no-tier', 'worker-empty-tier']);
  });
});
