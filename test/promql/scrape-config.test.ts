import { Chart, Testing } from 'cdk8s';
import * as yaml from 'js-yaml';
import { requirePromtool } from './promtool';
import {
  checkConfig, discoverPods, Exporter, FakePod, requirePrometheusServer, replaceDiscovery, RunningPrometheus, startExporter,
  startExporterAtPort, startPrometheus, waitFor,
} from './scrape-harness';
import { podinfo } from '../../examples/shared/podinfo';
import { DeliveryEngine, GitOps, IDeliveryEngine, ITrafficRouter, TrafficRouter } from '../../src';
import { only, synth } from '../synth';

// The prometheus.yml of the embedded Prometheus, checked with Debian's Prometheus 2.42 (promtool and
// the server). Debian builds it without Kubernetes discovery, so `kubernetes_sd_configs` is swapped
// for static targets (see scrape-harness.ts); jobs and relabelling stay as synthesized.

type Cell = [string, string, () => IDeliveryEngine, () => ITrafficRouter];
const cells: Cell[] = [
  ['flagger', 'traefik', () => DeliveryEngine.flagger(), () => TrafficRouter.traefik({ hosts: ['app.example.com'] })],
  ['flagger', 'istio', () => DeliveryEngine.flagger(), () => TrafficRouter.istio({ hosts: ['app.example.com'] })],
  ['argo-rollouts', 'traefik', () => DeliveryEngine.argoRollouts(), () => TrafficRouter.traefik({ hosts: ['app.example.com'] })],
  ['argo-rollouts', 'istio', () => DeliveryEngine.argoRollouts(), () => TrafficRouter.istio({ hosts: ['app.example.com'] })],
];

const manifestsOf = new Map<Cell, any[]>();
for (const cell of cells) {
  const chart = new Chart(Testing.app(), 'podinfo', { namespace: 'test' });
  podinfo(chart, cell[2](), cell[3](), { gitOps: GitOps.none() });
  manifestsOf.set(cell, synth(chart));
}

function prometheusConfig(cell: Cell): any {
  return yaml.load(only(manifestsOf.get(cell)!, 'ConfigMap', 'canary-prometheus').data['prometheus.yml']);
}

const withoutDiscovery = (config: any) => ({
  scrape_configs: config.scrape_configs.map(({ kubernetes_sd_configs: _k, static_configs: _s, ...job }: any) => job),
});

requirePromtool();

describe('promtool check config accepts the prometheus.yml of every engine and router', () => {
  test.each(cells)('%s with %s, with static targets in place of Kubernetes discovery', (...cell) => {
    const config = prometheusConfig(cells.find((c) => c[0] === cell[0] && c[1] === cell[1])!);
    const checked = replaceDiscovery(config, () => [{ targets: ['127.0.0.1:9090'] }]);
    // Only the discovery changed.
    expect(withoutDiscovery(checked)).toEqual(withoutDiscovery(config));
    expect(checked.global).toEqual(config.global);
    const result = checkConfig(checked);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  test('as synthesized, the only complaint of a promtool without Kubernetes discovery is kubernetes_sd_configs', () => {
    const result = checkConfig(prometheusConfig(cells[0]));
    if (!result.ok) {
      const complaints = result.output.split('\n').filter((line) => /^\s+line \d+:/.test(line));
      expect(complaints.length).toBeGreaterThan(0);
      expect(complaints.every((line) => line.includes('field kubernetes_sd_configs not found'))).toBe(true);
    }
  });

  test('promtool rejects a keep rule whose regex does not compile, so these checks can fail', () => {
    const config = replaceDiscovery(prometheusConfig(cells[0]), () => [{ targets: ['127.0.0.1:9090'] }]);
    const router = config.scrape_configs.find((job: any) => job.job_name === 'router-traefik');
    router.metric_relabel_configs[0].regex = router.metric_relabel_configs[0].regex.slice(0, -1);
    const result = checkConfig(config);
    expect(result.ok).toBe(false);
    expect(result.output).toContain('error parsing regexp');
  });
});

// What the pods expose, in the shapes the routers emit.
type Labels = { [name: string]: string };

function sample(name: string, labels: Labels, value: number): string {
  return `${name}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}} ${value}`;
}

/** Bucket, sum and count lines of a histogram of `count` observations, `shareAtOrBelow(le)` of them at or below `le`. */
function histogram(name: string, labels: Labels, count: number, bounds: number[], shareAtOrBelow: (le: number) => number, mean: number) {
  return [
    ...bounds.map((le) => sample(`${name}_bucket`, { ...labels, le: String(le) }, count * shareAtOrBelow(le))),
    sample(`${name}_bucket`, { ...labels, le: '+Inf' }, count),
    sample(`${name}_sum`, labels, count * mean),
    sample(`${name}_count`, labels, count),
  ];
}

const started = Date.now();
/**
 * Counters grow with the time since the exporters started, so each scrape sees more requests than
 * the last (rate() is then non-empty), and every series of one scrape uses the same time, so ratios
 * of rates are exact.
 */
const elapsed = () => (Date.now() - started) / 1000;

// Traefik v3, pkg/observability/metrics/prometheus.go: traefik_service_requests_total and
// traefik_service_request_duration_seconds{_bucket,_sum,_count} carry code, method, protocol, service;
// traefik_service_server_up carries service, url; traefik_entrypoint_* carry code, method, protocol,
// entrypoint. Default buckets 0.1, 0.3, 1.2, 5 s. A Kubernetes Service referenced by an IngressRoute is
// `<namespace>-<service>-<port>@kubernetescrd`.
const THIS_NAMESPACE_SERVICES = [
  'test-podinfo-canary-80@kubernetescrd',
  'test-podinfo-primary-80@kubernetescrd',
  'test-podinfo-stable-80@kubernetescrd',
];
/** [service, 2xx per second, 5xx per second]: the canary answers 99 % of requests without 5xx, the others do worse. */
const TRAEFIK_TRAFFIC: [string, number, number][] = [
  ['test-podinfo-canary-80@kubernetescrd', 99, 1],
  ['test-podinfo-primary-80@kubernetescrd', 10, 10],
  ['test-podinfo-stable-80@kubernetescrd', 10, 10],
  ['shop-web-canary-80@kubernetescrd', 1, 9],
  ['shop-web-primary-80@kubernetescrd', 1, 9],
  // A namespace whose name starts with this one's.
  ['testing-podinfo-canary-80@kubernetescrd', 1, 9],
];
// 90 % within 0.1 s, 98 % within 0.3 s, all within 1.2 s: the P99 interpolates to 0.3 + 0.9 * 0.5 = 0.75 s.
const traefikShare = (le: number) => (le < 0.3 ? 0.9 : le < 1.2 ? 0.98 : 1);

function traefikMetrics(): string {
  const t = elapsed();
  const lines = ['# TYPE traefik_service_requests_total counter'];
  const durations = ['# TYPE traefik_service_request_duration_seconds histogram'];
  const up = ['# TYPE traefik_service_server_up gauge'];
  for (const [service, ok, failed] of TRAEFIK_TRAFFIC) {
    for (const [code, perSecond] of [['200', ok], ['500', failed]] as [string, number][]) {
      const labels = { code, method: 'GET', protocol: 'http', service };
      lines.push(sample('traefik_service_requests_total', labels, perSecond * t));
      durations.push(...histogram('traefik_service_request_duration_seconds', labels, perSecond * t, [0.1, 0.3, 1.2, 5], traefikShare, 0.05));
    }
    up.push(sample('traefik_service_server_up', { service, url: 'http://10.42.0.17:9898' }, 1));
  }
  return [
    ...lines, ...durations, ...up,
    '# TYPE traefik_entrypoint_requests_total counter',
    sample('traefik_entrypoint_requests_total', { code: '200', entrypoint: 'web', method: 'GET', protocol: 'http' }, 120 * t),
    '# TYPE traefik_open_connections gauge',
    sample('traefik_open_connections', { entrypoint: 'web', protocol: 'TCP' }, 7),
    '# TYPE traefik_config_reloads_total counter',
    'traefik_config_reloads_total 3',
    '# TYPE go_goroutines gauge',
    'go_goroutines 61',
    '# TYPE process_open_fds gauge',
    'process_open_fds 23',
    '',
  ].join('\n');
}

// Istio, istio/proxy source/extensions/filters/http/istio_stats/istio_stats.cc: the standard labels of
// istio_requests_total and istio_request_duration_milliseconds, here as the destination sidecar of a
// podinfo pod reports a request from the ingress gateway. Default buckets 0.5 ms to 1 h.
function istioLabels(responseCode: string): Labels {
  return {
    reporter: 'destination',
    source_workload: 'istio-ingressgateway',
    source_canonical_service: 'istio-ingressgateway',
    source_canonical_revision: 'latest',
    source_workload_namespace: 'istio-system',
    source_principal: 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway',
    source_app: 'istio-ingressgateway',
    source_version: 'unknown',
    source_cluster: 'Kubernetes',
    destination_workload: 'podinfo',
    destination_workload_namespace: 'test',
    destination_principal: 'spiffe://cluster.local/ns/test/sa/default',
    destination_app: 'podinfo',
    destination_version: '6.7.0',
    destination_service: 'podinfo.test.svc.cluster.local',
    destination_service_name: 'podinfo',
    destination_service_namespace: 'test',
    destination_canonical_service: 'podinfo',
    destination_canonical_revision: '6.7.0',
    destination_cluster: 'Kubernetes',
    request_protocol: 'http',
    response_code: responseCode,
    response_flags: '-',
    connection_security_policy: 'mutual_tls',
  };
}
const ISTIO_BOUNDS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
// Half within 25 ms, 90 % within 50 ms, 98 % within 100 ms, all within 250 ms: the P99 interpolates to 100 + 150 * 0.5 = 175 ms.
const istioShare = (le: number) => (le < 25 ? 0 : le < 50 ? 0.5 : le < 100 ? 0.9 : le < 250 ? 0.98 : 1);

/** Istio's merged endpoint (/stats/prometheus) of a podinfo pod: its sidecar's series and the app's own. */
function istioMetrics(ok: number, failed: number): () => string {
  return () => {
    const t = elapsed();
    const requests = ['# TYPE istio_requests_total counter'];
    const durations = ['# TYPE istio_request_duration_milliseconds histogram'];
    for (const [code, perSecond] of [['200', ok], ['503', failed]] as [string, number][]) {
      requests.push(sample('istio_requests_total', istioLabels(code), perSecond * t));
      durations.push(...histogram('istio_request_duration_milliseconds', istioLabels(code), perSecond * t, ISTIO_BOUNDS, istioShare, 30));
    }
    const own = ['# TYPE envoy_server_live gauge', 'envoy_server_live 1', '# TYPE go_goroutines gauge', 'go_goroutines 12'];
    return [...requests, ...durations, ...own, ''].join('\n');
  };
}

/** Names of the series an exporter serves, and each series' labels. */
function served(text: string): { name: string; labels: Labels }[] {
  return text.split('\n').filter((line) => line && !line.startsWith('#')).map((line) => {
    const [, name, body] = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line)!;
    const labels: Labels = {};
    for (const [, key, value] of (body ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[key] = value;
    return { name, labels };
  });
}

const CANARY_HASH = '6d4f8b7c9';
const STABLE_HASH = '7c5d9f6b8';
const CANARY_POD = `podinfo-${CANARY_HASH}-x7k2m`;
const STABLE_POD = `podinfo-${STABLE_HASH}-q4n8z`;
const TRAEFIK_POD = 'traefik-5d8f9c7b6-h2x4v';
const UNDECLARED_TRAEFIK_POD = 'traefik-5d8f9c7b6-p9w3c';
type Exporters = { canary: Exporter; stable: Exporter; traefik: Exporter; undeclaredTraefik: Exporter; shop: Exporter };

/**
 * One cluster for the four configurations (a configuration does not depend on which controller made
 * the pods): the stable and canary pods of an Argo Rollouts rollout of podinfo in namespace `test`,
 * with the labels and annotations Istio's sidecar injector adds; the loadtester, not annotated for
 * scraping; Traefik in namespace `traefik`, annotated by its chart (scrape and port, no path); and an
 * annotated pod in namespace `shop`, which no job may scrape. Traefik's pod is not annotated (its
 * chart leaves the annotations out when its ServiceMonitor is enabled) and serves on its declared
 * metrics port 9100; a second Traefik pod is annotated but does not declare 9100, and must not be
 * scraped. Every other pod listens on 127.0.0.1; their container ports are not where anything
 * listens, so a scrape succeeds only at the annotated port.
 */
function pods(exporters: Exporters): FakePod[] {
  const podinfoPod = (name: string, hash: string, exporter: Exporter): FakePod => ({
    namespace: 'test',
    name,
    ip: '127.0.0.1',
    labels: {
      'app.kubernetes.io/managed-by': 'cdk8s-canary',
      'app.kubernetes.io/name': 'podinfo',
      'app.kubernetes.io/version': '6.7.0',
      'sidecar.istio.io/inject': 'true',
      'rollouts-pod-template-hash': hash,
      'security.istio.io/tlsMode': 'istio',
      'service.istio.io/canonical-name': 'podinfo',
      'service.istio.io/canonical-revision': '6.7.0',
    },
    annotations: {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(exporter.port),
      'prometheus.io/path': '/stats/prometheus',
      'sidecar.istio.io/status': '{"containers":["istio-proxy"]}',
    },
    // Two container ports, so two discovered targets that the relabelling makes one.
    ports: [{ container: 'podinfo', name: 'http', port: 9898 }, { container: 'istio-proxy', name: 'http-envoy-prom', port: 15090 }],
    controller: ['ReplicaSet', `podinfo-${hash}`],
  });
  return [
    podinfoPod(CANARY_POD, CANARY_HASH, exporters.canary),
    podinfoPod(STABLE_POD, STABLE_HASH, exporters.stable),
    {
      namespace: 'test',
      name: 'flagger-loadtester-5b8c9d7f6-k2j9p',
      ip: '127.0.0.1',
      labels: { 'app.kubernetes.io/name': 'flagger-loadtester' },
      annotations: {},
      ports: [{ container: 'loadtester', name: 'http', port: 8080 }],
      controller: ['ReplicaSet', 'flagger-loadtester-5b8c9d7f6'],
    },
    {
      namespace: 'traefik',
      name: TRAEFIK_POD,
      ip: exporters.traefik.host,
      labels: { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/instance': 'traefik-traefik' },
      annotations: {},
      ports: [
        { container: 'traefik', name: 'metrics', port: 9100 },
        { container: 'traefik', name: 'traefik', port: 8080 },
        { container: 'traefik', name: 'web', port: 8000 },
        { container: 'traefik', name: 'websecure', port: 8443 },
      ],
      controller: ['ReplicaSet', 'traefik-5d8f9c7b6'],
    },
    {
      namespace: 'traefik',
      name: UNDECLARED_TRAEFIK_POD,
      ip: '127.0.0.1',
      labels: { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/instance': 'traefik-traefik' },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics', 'prometheus.io/port': String(exporters.undeclaredTraefik.port) },
      ports: [{ container: 'traefik', name: 'web', port: 8000 }],
      controller: ['ReplicaSet', 'traefik-5d8f9c7b6'],
    },
    {
      namespace: 'shop',
      name: 'web-6b7c8d9f5-m3p6r',
      ip: '127.0.0.1',
      labels: { 'app.kubernetes.io/name': 'web' },
      annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(exporters.shop.port) },
      ports: [{ container: 'web', name: 'http', port: 8080 }],
      controller: ['ReplicaSet', 'web-6b7c8d9f5'],
    },
  ];
}

/** Labels the pods job gives the series of a podinfo pod: the pod's labels, namespace and pod name. */
function podinfoTargetLabels(pod: string, hash: string, exporter: Exporter): Labels {
  return {
    instance: `127.0.0.1:${exporter.port}`,
    job: 'kubernetes-pods',
    namespace: 'test',
    pod,
    kubernetes_namespace: 'test',
    kubernetes_pod_name: pod,
    app_kubernetes_io_managed_by: 'cdk8s-canary',
    app_kubernetes_io_name: 'podinfo',
    app_kubernetes_io_version: '6.7.0',
    sidecar_istio_io_inject: 'true',
    rollouts_pod_template_hash: hash,
    security_istio_io_tlsMode: 'istio',
    service_istio_io_canonical_name: 'podinfo',
    service_istio_io_canonical_revision: '6.7.0',
  };
}

function throwFailures(results: PromiseSettledResult<unknown>[]) {
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) throw new Error(failures.map((f) => String(f.reason?.message ?? f.reason)).join('\n\n'));
}

requirePrometheusServer();

describe('the embedded Prometheus, run by prometheus 2.42, ingests the series the checks read', () => {
  let exporters: Exporters;
  const running = new Map<Cell, RunningPrometheus>();

  beforeAll(async () => {
    const [canary, stable, traefik, undeclaredTraefik, shop] = await Promise.all([
      startExporter('/stats/prometheus', istioMetrics(99, 1)),
      startExporter('/stats/prometheus', istioMetrics(10, 10)),
      startExporterAtPort('/metrics', traefikMetrics, 9100),
      startExporter('/metrics', traefikMetrics),
      startExporter('/metrics', () => 'shop_orders_total 5\n'),
    ]);
    exporters = { canary, stable, traefik, undeclaredTraefik, shop };
    const cluster = pods(exporters);
    // Every second instead of the synthesized 5 s: rate() needs two samples of a series, which then
    // exist a second after the first scrape (and Prometheus applies new targets only every 5 s, so
    // the first scrape already comes some 5 s after the start).
    const starts = await Promise.allSettled(cells.map(async (cell) => {
      running.set(cell, await startPrometheus(replaceDiscovery(prometheusConfig(cell), discoverPods(cluster), '1s')));
    }));
    throwFailures(starts);
    const waits = await Promise.allSettled(cells.map((cell) => {
      const prometheus = running.get(cell)!;
      const expectedTargets = cell[1] === 'traefik' ? 3 : 2;
      return waitFor(async () => {
        const { activeTargets } = await prometheus.targets();
        if (activeTargets.length < expectedTargets || activeTargets.some((t) => t.health !== 'up')) return false;
        const scrapes = await prometheus.query('min(count_over_time(up[1m]))');
        return scrapes.length === 1 && scrapes[0].value >= 2;
      }, 30_000, async () => {
        const targets = (await prometheus.targets()).activeTargets
          .map((t) => `${t.scrapePool} ${t.labels.pod} ${t.scrapeUrl} ${t.health} ${t.lastError}`);
        return `${cell[0]} with ${cell[1]}: the targets were not scraped twice in 30 s:\n${targets.join('\n')}\n${prometheus.output.slice(-2000)}`;
      });
    }));
    throwFailures(waits);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...running.values()].map((prometheus) => prometheus.stop()));
    await Promise.all(Object.values(exporters ?? {}).map((exporter) => exporter.close()));
  });

  describe.each(cells)('%s with %s', (...cellValues) => {
    const cell = cells.find((c) => c[0] === cellValues[0] && c[1] === cellValues[1])!;
    const prometheus = () => running.get(cell)!;

    test('scrapes each annotated pod of the service namespace once, at the port and path of its annotations', async () => {
      const { activeTargets, droppedTargets } = await prometheus().targets();
      const pool = activeTargets.filter((t) => t.scrapePool === 'kubernetes-pods');
      expect(pool.map((t) => [t.labels.pod, t.scrapeUrl, t.health, t.lastError]).sort()).toEqual([
        [CANARY_POD, `http://127.0.0.1:${exporters.canary.port}/stats/prometheus`, 'up', ''],
        [STABLE_POD, `http://127.0.0.1:${exporters.stable.port}/stats/prometheus`, 'up', ''],
      ]);
      expect(pool.find((t) => t.labels.pod === CANARY_POD)!.labels).toEqual(podinfoTargetLabels(CANARY_POD, CANARY_HASH, exporters.canary));
      // The loadtester has no prometheus.io/scrape annotation.
      const dropped = droppedTargets.filter((t) => t.discoveredLabels.job === 'kubernetes-pods');
      expect(dropped.map((t) => t.discoveredLabels.__meta_kubernetes_pod_name)).toEqual(['flagger-loadtester-5b8c9d7f6-k2j9p']);
      // No job lists namespace shop.
      const everyTarget = [...activeTargets.map((t) => t.discoveredLabels), ...droppedTargets.map((t) => t.discoveredLabels)];
      expect(everyTarget.filter((labels) => labels.__meta_kubernetes_namespace === 'shop')).toEqual([]);
      expect(await prometheus().query('shop_orders_total')).toEqual([]);
    });

    test('keeps every series of those pods, labelled with the pod labels, namespace and pod name', async () => {
      const series = await prometheus().query(`{job="kubernetes-pods",pod="${CANARY_POD}",__name__!~"up|scrape_.+"}`);
      const exposed = served(istioMetrics(99, 1)());
      expect(new Set(series.map((s) => s.metric.__name__))).toEqual(new Set(exposed.map((s) => s.name)));
      expect(series).toHaveLength(exposed.length);
      const targetLabels = podinfoTargetLabels(CANARY_POD, CANARY_HASH, exporters.canary);
      const requests = series.filter((s) => s.metric.__name__ === 'istio_requests_total');
      expect(requests.map((s) => s.metric).sort((a, b) => a.response_code.localeCompare(b.response_code))).toEqual([
        { __name__: 'istio_requests_total', ...istioLabels('200'), ...targetLabels },
        { __name__: 'istio_requests_total', ...istioLabels('503'), ...targetLabels },
      ]);
    });

    if (cell[1] === 'traefik') {
      test("scrapes Traefik's pods on their declared metrics port 9100, annotated or not, with the pod's target labels", async () => {
        const { activeTargets, droppedTargets } = await prometheus().targets();
        const pool = activeTargets.filter((t) => t.scrapePool === 'router-traefik');
        expect(pool.map((t) => [t.labels.pod, t.scrapeUrl, t.health, t.lastError])).toEqual([
          [TRAEFIK_POD, `http://${exporters.traefik.host}:9100/metrics`, 'up', ''],
        ]);
        expect(pool[0].labels).toEqual({
          instance: `${exporters.traefik.host}:9100`,
          job: 'router-traefik',
          namespace: 'traefik',
          pod: TRAEFIK_POD,
          kubernetes_namespace: 'traefik',
          kubernetes_pod_name: TRAEFIK_POD,
          app_kubernetes_io_name: 'traefik',
          app_kubernetes_io_instance: 'traefik-traefik',
        });
        // The other container ports of that pod, and every port of the pod that declares no 9100
        // (although annotated for scraping), are dropped.
        const dropped = droppedTargets.filter((t) => t.discoveredLabels.job === 'router-traefik')
          .map((t) => `${t.discoveredLabels.__meta_kubernetes_pod_name}:${t.discoveredLabels.__meta_kubernetes_pod_container_port_number}`);
        expect(dropped.sort()).toEqual([`${TRAEFIK_POD}:8000`, `${TRAEFIK_POD}:8080`, `${TRAEFIK_POD}:8443`, `${UNDECLARED_TRAEFIK_POD}:8000`].sort());
        expect(await prometheus().query(`{pod="${UNDECLARED_TRAEFIK_POD}"}`)).toEqual([]);
        const counts = await prometheus().query('count by (pod) ({job="router-traefik",__name__="traefik_service_requests_total"})');
        expect(counts.map((s) => [s.metric.pod, s.value])).toEqual([[TRAEFIK_POD, 2 * THIS_NAMESPACE_SERVICES.length]]);
      });

      test("keeps only the traefik_service_* series of this namespace's services from Traefik's pods", async () => {
        const kept = await prometheus().query('group by (__name__, service) ({job="router-traefik",__name__!~"up|scrape_.+"})');
        const expected = served(traefikMetrics())
          .filter((s) => s.name.startsWith('traefik_service_') && THIS_NAMESPACE_SERVICES.includes(s.labels.service))
          .map((s) => `${s.name} ${s.labels.service}`);
        expect(new Set(kept.map((s) => `${s.metric.__name__} ${s.metric.service}`))).toEqual(new Set(expected));
        expect(kept.length).toBe(5 * THIS_NAMESPACE_SERVICES.length);
        // Not other namespaces' services, nor Traefik's entrypoint, Go and process series.
        expect(await prometheus().query('{__name__=~"traefik_entrypoint_.+|traefik_open_connections|traefik_config_.+"}')).toEqual([]);
        expect(await prometheus().query('{service=~"shop-.+|testing-.+"}')).toEqual([]);
        expect(await prometheus().query('go_goroutines{namespace="traefik"}')).toEqual([]);
      });
    } else {
      test('scrapes no router namespace: the sidecars in the service namespace report what the checks read', async () => {
        const { activeTargets } = await prometheus().targets();
        expect([...new Set(activeTargets.map((t) => t.scrapePool))]).toEqual(['kubernetes-pods']);
        expect(await prometheus().query('{__name__=~"traefik_.+"}')).toEqual([]);
      });
    }

    if (cell[0] === 'argo-rollouts') {
      test("each Prometheus check of the AnalysisTemplate returns one sample: the canary's", async () => {
        const manifests = manifestsOf.get(cell)!;
        const analysis = only(manifests, 'Rollout', 'podinfo').spec.strategy.canary.analysis;
        // The arguments the Rollout passes; Argo Rollouts resolves the pod-template hash of the canary.
        const args: Labels = Object.fromEntries(analysis.args.map((a: any) =>
          [a.name, a.value ?? (a.valueFrom.podTemplateHashValue === 'Latest' ? CANARY_HASH : STABLE_HASH)]));
        expect(args.namespace).toBe('test');
        expect(args['service-name']).toBe('podinfo');
        const template = only(manifests, 'AnalysisTemplate', analysis.templates[0].templateName);
        const checks = template.spec.metrics.filter((m: any) => m.provider.prometheus);
        expect(checks.map((m: any) => m.name)).toEqual(['request-success-rate', 'request-duration']);
        // The windows stay [1m]: rate() needs two samples in the window, not a window's worth.
        const expected: { [check: string]: number } = {
          'request-success-rate': 0.99,
          'request-duration': cell[1] === 'traefik' ? 750 : 175,
        };
        for (const check of checks) {
          const query = check.provider.prometheus.query.replace(/\{\{args\.([a-z-]+)\}\}/g, (_: string, name: string) => args[name]);
          expect(query).not.toContain('{{');
          const result = await prometheus().query(query);
          expect({ check: check.name, samples: result.length }).toEqual({ check: check.name, samples: 1 });
          expect(result[0].value).toBeCloseTo(expected[check.name], 6);
        }
      });
    }
  });
});
