import { Chart, Testing } from 'cdk8s';
import {
  discoverPods, Exporter, FakePod, requirePrometheusServer, replaceDiscovery, RunningPrometheus, startExporter, startExporterAtPort, startPrometheus,
  waitFor,
} from './scrape-harness';
import { podinfo } from '../../examples/shared/podinfo';
import { DeliveryEngine, GitOps, Prometheus, TrafficRouter } from '../../src';
import { only, synth } from '../synth';

/**
 * The PodMonitor `<name>-pods` of `Prometheus.operator()`, run by Debian's Prometheus 2.42 as the
 * Prometheus Operator v0.93 configures it. The operator cannot run here, so its scrape config is
 * written from its source (prometheus-operator v0.93.0 pkg/prometheus/promcfg.go,
 * generatePodMonitorConfig and initRelabelings): job `podMonitor/<ns>/<name>/0`, the pod role in the
 * PodMonitor's namespace, its own relabelings (the job name kept in `__tmp_prometheus_job_name`,
 * pods not Running dropped, the selector as keep rules, `namespace`, `container`, `pod`, then
 * `job` = `<ns>/<name>`), then the endpoint's relabelings as synthesized. What this proves: each
 * pod, though it has two container ports (two targets to the operator), is scraped once; the
 * series carry `job="test/podinfo-pods"` and `rollouts_pod_template_hash`; and the Rollout's checks
 * return one sample, the canary's. Then the router PodMonitor `<name>-router` (Traefik's pods in
 * another namespace, kept by their declared port), with and without `enforcedNamespaceLabel`.
 */
requirePrometheusServer();

const CANARY_HASH = '7d9c5f8b6';
const STABLE_HASH = '5c4b7d9f2';
const CANARY_POD = `podinfo-${CANARY_HASH}-q4w8e`;
const STABLE_POD = `podinfo-${STABLE_HASH}-r5t7y`;

const chart = new Chart(Testing.app(), 'podinfo', { namespace: 'test' });
podinfo(chart, DeliveryEngine.argoRollouts(), TrafficRouter.istio({ hosts: ['app.example.com'] }), {
  gitOps: GitOps.none(), prometheus: Prometheus.operator({ address: 'http://kube-prometheus-stack-prometheus.monitoring:9090' }),
});
const manifests = synth(chart);

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toPrometheus = (relabeling: any) => Object.fromEntries(Object.entries(relabeling).map(([k, v]) => [snake(k), v]));

/**
 * The scrape config the operator generates for endpoint 0 of a PodMonitor (promcfg.go@v0.93.0
 * generatePodMonitorConfig): `matchLabels` (sorted) and `In` expressions as keep rules (1528-1545),
 * the endpoint's `portNumber` as a keep rule on the container port number (1576-1581), its `path`
 * as `metrics_path` (1489). With `enforcedNamespaceLabel`, the operator appends, last, to the
 * relabelings and to the metric relabelings, `namespace` = the PodMonitor's namespace (1660-1661,
 * 1686; pkg/namespacelabeler/labeler.go:138-151).
 */
function operatorScrapeConfig(monitor: any, enforcedNamespaceLabel?: string): any {
  const { namespace, name } = monitor.metadata;
  const endpoint = monitor.spec.podMetricsEndpoints[0];
  const sanitize = (label: string) => label.replace(/[^a-zA-Z0-9_]/g, '_');
  const keep = (key: string, values: string[]) => ({
    action: 'keep',
    source_labels: [`__meta_kubernetes_pod_label_${sanitize(key)}`, `__meta_kubernetes_pod_labelpresent_${sanitize(key)}`],
    regex: `(${values.join('|')});true`,
  });
  const enforced = enforcedNamespaceLabel ? [{ target_label: enforcedNamespaceLabel, replacement: namespace }] : [];
  const metricRelabelings = [...(endpoint.metricRelabelings ?? []).map(toPrometheus), ...enforced];
  return {
    job_name: `podMonitor/${namespace}/${name}/0`,
    honor_labels: endpoint.honorLabels,
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: monitor.spec.namespaceSelector?.matchNames ?? [namespace] } }],
    // 1 s instead of the synthesized interval, so that rate() has two samples within seconds.
    scrape_interval: '1s',
    ...(endpoint.path ? { metrics_path: endpoint.path } : {}),
    relabel_configs: [
      { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
      { action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' },
      ...Object.keys(monitor.spec.selector.matchLabels ?? {}).sort().map((key) => keep(key, [monitor.spec.selector.matchLabels[key]])),
      ...(monitor.spec.selector.matchExpressions ?? []).map((e: any) => {
        if (e.operator !== 'In') throw new Error(`only In is emulated, not ${e.operator}`);
        return keep(e.key, e.values);
      }),
      ...(endpoint.portNumber ? [{ action: 'keep', source_labels: ['__meta_kubernetes_pod_container_port_number'], regex: String(endpoint.portNumber) }] : []),
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      { target_label: 'job', replacement: `${namespace}/${name}` },
      ...endpoint.relabelings.map(toPrometheus),
      ...enforced,
    ],
    ...(metricRelabelings.length > 0 ? { metric_relabel_configs: metricRelabelings } : {}),
  };
}

const started = Date.now();
/** Istio's merged endpoint of a pod: `ok` and `failed` requests per second since the start, all within 25 ms. */
function istioMetrics(ok: number, failed: number): () => string {
  return () => {
    const t = (Date.now() - started) / 1000;
    const labels = (code: string) => `reporter="destination",destination_workload="podinfo",destination_workload_namespace="test",response_code="${code}"`;
    return [
      '# TYPE istio_requests_total counter',
      `istio_requests_total{${labels('200')}} ${ok * t}`,
      `istio_requests_total{${labels('503')}} ${failed * t}`,
      '# TYPE istio_request_duration_milliseconds histogram',
      ...[['200', ok], ['503', failed]].flatMap(([code, rate]) => [
        `istio_request_duration_milliseconds_bucket{${labels(code as string)},le="25"} ${(rate as number) * t}`,
        `istio_request_duration_milliseconds_bucket{${labels(code as string)},le="+Inf"} ${(rate as number) * t}`,
        `istio_request_duration_milliseconds_count{${labels(code as string)}} ${(rate as number) * t}`,
      ]),
      '',
    ].join('\n');
  };
}

function podinfoPod(name: string, hash: string, exporter: Exporter): FakePod {
  return {
    namespace: 'test',
    name,
    ip: '127.0.0.1',
    labels: { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': hash, 'security.istio.io/tlsMode': 'istio' },
    annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(exporter.port), 'prometheus.io/path': '/stats/prometheus' },
    // Two container ports: two targets to the pod role, which the relabelings make one.
    ports: [{ container: 'podinfo', name: 'http', port: 9898 }, { container: 'istio-proxy', name: 'http-envoy-prom', port: 15090 }],
    controller: ['ReplicaSet', `podinfo-${hash}`],
  };
}

describe('the PodMonitor of the service\'s pods, as the Prometheus Operator configures Prometheus', () => {
  let canary: Exporter;
  let stable: Exporter;
  let other: Exporter;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    [canary, stable, other] = await Promise.all([
      startExporter('/stats/prometheus', istioMetrics(99, 1)),
      startExporter('/stats/prometheus', istioMetrics(10, 10)),
      startExporter('/stats/prometheus', istioMetrics(1000, 0)),
    ]);
    const pods: FakePod[] = [
      podinfoPod(CANARY_POD, CANARY_HASH, canary),
      podinfoPod(STABLE_POD, STABLE_HASH, stable),
      // Another service of the namespace, annotated too, with the canary's hash: not selected.
      { ...podinfoPod(`checkout-${CANARY_HASH}-z9x8c`, CANARY_HASH, other), labels: { 'app.kubernetes.io/name': 'checkout', 'rollouts-pod-template-hash': CANARY_HASH } },
    ];
    const config = replaceDiscovery({ global: { scrape_interval: '1s' }, scrape_configs: [operatorScrapeConfig(only(manifests, 'PodMonitor', 'podinfo-pods'))] }, discoverPods(pods));
    prometheus = await startPrometheus(config);
    await waitFor(async () => {
      const { activeTargets } = await prometheus.targets();
      if (activeTargets.length < 2 || activeTargets.some((t) => t.health !== 'up')) return false;
      const scrapes = await prometheus.query('min(count_over_time(up[1m]))');
      return scrapes.length === 1 && scrapes[0].value >= 2;
    }, 30_000, async () => `targets not scraped twice in 30 s: ${JSON.stringify((await prometheus.targets()).activeTargets)}\n${prometheus.output.slice(-2000)}`);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([canary, stable, other].filter((e) => e).map((e) => e.close()));
  });

  test('each selected pod is one target, at its annotated port and path, labelled with the operator\'s job, without container', async () => {
    const { activeTargets } = await prometheus.targets();
    expect(activeTargets.map((t) => [t.labels.pod, t.scrapeUrl, t.health]).sort()).toEqual([
      [STABLE_POD, `http://127.0.0.1:${stable.port}/stats/prometheus`, 'up'],
      [CANARY_POD, `http://127.0.0.1:${canary.port}/stats/prometheus`, 'up'],
    ].sort());
    const labels = activeTargets.find((t) => t.labels.pod === CANARY_POD)!.labels;
    expect(labels).toEqual({
      job: 'test/podinfo-pods',
      instance: `127.0.0.1:${canary.port}`,
      namespace: 'test',
      pod: CANARY_POD,
      kubernetes_namespace: 'test',
      kubernetes_pod_name: CANARY_POD,
      app_kubernetes_io_name: 'podinfo',
      rollouts_pod_template_hash: CANARY_HASH,
      security_istio_io_tlsMode: 'istio',
    });
  });

  test('each series once: the two container ports did not double it', async () => {
    expect(await prometheus.query(`count(istio_requests_total{pod="${CANARY_POD}"})`)).toEqual([expect.objectContaining({ value: 2 })]);
  });

  test('the Rollout\'s checks return one sample, the canary\'s', async () => {
    const analysis = only(manifests, 'Rollout', 'podinfo').spec.strategy.canary.analysis;
    const args = Object.fromEntries(analysis.args.map((a: any) => [a.name, a.value ?? (a.valueFrom.podTemplateHashValue === 'Latest' ? CANARY_HASH : STABLE_HASH)]));
    const checks = only(manifests, 'AnalysisTemplate', 'podinfo').spec.metrics.filter((m: any) => m.provider.prometheus);
    expect(checks.map((m: any) => m.name)).toEqual(['request-success-rate', 'request-duration']);
    const expected: { [check: string]: number } = { 'request-success-rate': 0.99, 'request-duration': 24.75 };
    for (const check of checks) {
      const query = check.provider.prometheus.query.replace(/\{\{args\.([a-z-]+)\}\}/g, (_: string, name: string) => args[name]);
      const result = await prometheus.query(query);
      expect({ check: check.name, samples: result.length }).toEqual({ check: check.name, samples: 1 });
      expect(result[0].value).toBeCloseTo(expected[check.name], 6);
    }
  });
});

/** Traefik's `/metrics`: requests per second since the start, by Traefik service, all within 0.3 s. */
function traefikMetrics(rates: { [service: string]: [number, number] }): () => string {
  return () => {
    const t = (Date.now() - started) / 1000;
    const lines = ['# TYPE traefik_service_request_duration_seconds histogram'];
    for (const [service, [ok, failed]] of Object.entries(rates)) {
      for (const [code, rate] of [['200', ok], ['503', failed]] as const) {
        const labels = `code="${code}",method="GET",protocol="http",service="${service}"`;
        lines.push(
          `traefik_service_request_duration_seconds_bucket{${labels},le="0.1"} 0`,
          `traefik_service_request_duration_seconds_bucket{${labels},le="0.3"} ${rate * t}`,
          `traefik_service_request_duration_seconds_bucket{${labels},le="+Inf"} ${rate * t}`,
          `traefik_service_request_duration_seconds_count{${labels}} ${rate * t}`,
        );
      }
    }
    return [...lines, ''].join('\n');
  };
}

/**
 * The router PodMonitor `<name>-router` of Argo Rollouts + Traefik, on two Prometheus servers: one
 * as the operator configures it by default, one under `enforcedNamespaceLabel: namespace`. Traefik's
 * pod in `traefik` declares its metrics port 9100 among others and has no prometheus.io
 * annotations (its chart drops them when its own ServiceMonitor is on); a second Traefik pod
 * declares no 9100. A PodMonitor of another namespace (`evil`) relabels a pod of its own into the
 * router PodMonitor's series (`namespace="traefik"`, `job="test/podinfo-router"`) and serves a bad
 * copy of the canary's Traefik service.
 */
describe('the router PodMonitor of Traefik\'s pods in another namespace, as the Prometheus Operator configures Prometheus', () => {
  const CANARY = 'test-podinfo-canary-80@kubernetescrd';
  const STABLE = 'test-podinfo-stable-80@kubernetescrd';
  const TRAEFIK_POD = 'traefik-5d8f9c7b6-x2v4n';
  const synthesized = (enforcedNamespaceLabel?: string) => {
    const app = new Chart(Testing.app(), 'podinfo', { namespace: 'test' });
    podinfo(app, DeliveryEngine.argoRollouts(), TrafficRouter.traefik({ hosts: ['app.example.com'] }), {
      gitOps: GitOps.none(), prometheus: Prometheus.operator({ address: 'http://kube-prometheus-stack-prometheus.monitoring:9090', enforcedNamespaceLabel }),
    });
    return synth(app);
  };
  const plain = synthesized(undefined);
  const enforced = synthesized('namespace');
  const forgerMonitor = {
    metadata: { namespace: 'evil', name: 'forger' },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': 'forger' } },
      podMetricsEndpoints: [{
        honorLabels: false,
        path: '/metrics',
        relabelings: [
          { action: 'replace', targetLabel: 'namespace', replacement: 'traefik' },
          { action: 'replace', targetLabel: 'job', replacement: 'test/podinfo-router' },
        ],
      }],
    },
  };
  let traefik: Exporter;
  let undeclared: Exporter;
  let forger: Exporter;
  const servers: { plain?: RunningPrometheus; enforced?: RunningPrometheus } = {};

  beforeAll(async () => {
    [traefik, undeclared, forger] = await Promise.all([
      startExporterAtPort('/metrics', traefikMetrics({ [CANARY]: [99, 1], [STABLE]: [10, 10], 'shop-web-80@kubernetescrd': [5, 5] }), 9100),
      startExporter('/metrics', traefikMetrics({ [CANARY]: [1, 1] })),
      startExporter('/metrics', traefikMetrics({ [CANARY]: [0, 50] })),
    ]);
    const traefikLabels = { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/instance': 'traefik-traefik' };
    const pods: FakePod[] = [
      {
        namespace: 'traefik',
        name: TRAEFIK_POD,
        ip: traefik.host,
        labels: traefikLabels,
        annotations: {},
        ports: [
          { container: 'traefik', name: 'metrics', port: 9100 },
          { container: 'traefik', name: 'traefik', port: 8080 },
          { container: 'traefik', name: 'web', port: 8000 },
        ],
        controller: ['ReplicaSet', 'traefik-5d8f9c7b6'],
      },
      {
        namespace: 'traefik',
        name: 'traefik-5d8f9c7b6-undcl',
        ip: '127.0.0.1',
        labels: traefikLabels,
        annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics', 'prometheus.io/port': String(undeclared.port) },
        ports: [{ container: 'traefik', name: 'web', port: undeclared.port }],
        controller: ['ReplicaSet', 'traefik-5d8f9c7b6'],
      },
      {
        namespace: 'evil',
        name: 'forger-7f8e9d6c5-zz1aa',
        ip: '127.0.0.1',
        labels: { 'app.kubernetes.io/name': 'forger' },
        annotations: {},
        ports: [{ container: 'forger', name: 'metrics', port: forger.port }],
        controller: ['ReplicaSet', 'forger-7f8e9d6c5'],
      },
    ];
    const start = async (objects: any[], enforcedNamespaceLabel?: string) => {
      const config = replaceDiscovery({
        global: { scrape_interval: '1s' },
        scrape_configs: [operatorScrapeConfig(only(objects, 'PodMonitor', 'podinfo-router'), enforcedNamespaceLabel), operatorScrapeConfig(forgerMonitor, enforcedNamespaceLabel)],
      }, discoverPods(pods));
      const prometheus = await startPrometheus(config);
      await waitFor(async () => {
        const { activeTargets } = await prometheus.targets();
        if (activeTargets.length < 2 || activeTargets.some((t) => t.health !== 'up')) return false;
        const scrapes = await prometheus.query('min(count_over_time(up[1m]))');
        return scrapes.length === 1 && scrapes[0].value >= 2;
      }, 30_000, async () => `targets not scraped twice in 30 s: ${JSON.stringify((await prometheus.targets()).activeTargets)}\n${prometheus.output.slice(-2000)}`);
      return prometheus;
    };
    servers.plain = await start(plain, undefined);
    servers.enforced = await start(enforced, 'namespace');
  }, 90_000);

  afterAll(async () => {
    await Promise.all([servers.plain?.stop(), servers.enforced?.stop()]);
    await Promise.all([traefik, undeclared, forger].filter((e) => e).map((e) => e.close()));
  });

  /** The Rollout's checks, their arguments filled in, and their results. */
  async function runChecks(objects: any[], prometheus: RunningPrometheus): Promise<{ [check: string]: number[] }> {
    const analysis = only(objects, 'Rollout', 'podinfo').spec.strategy.canary.analysis;
    const args = Object.fromEntries(analysis.args.filter((a: any) => a.value !== undefined).map((a: any) => [a.name, a.value]));
    const checks = only(objects, 'AnalysisTemplate', 'podinfo').spec.metrics.filter((m: any) => m.provider.prometheus);
    const results: { [check: string]: number[] } = {};
    for (const check of checks) {
      const query = check.provider.prometheus.query.replace(/\{\{args\.([a-z-]+)\}\}/g, (_: string, name: string) => args[name]);
      results[check.name] = (await prometheus.query(query)).map((sample) => Math.round(sample.value * 1e6) / 1e6);
    }
    return results;
  }

  test('one target per Traefik pod that declares 9100, at /metrics, annotated or not; the pod that declares no 9100 is not scraped', async () => {
    for (const prometheus of [servers.plain!, servers.enforced!]) {
      const { activeTargets } = await prometheus.targets();
      expect(activeTargets.filter((t) => t.scrapePool === 'podMonitor/test/podinfo-router/0').map((t) => [t.labels.pod, t.scrapeUrl, t.health]))
        .toEqual([[TRAEFIK_POD, `http://${traefik.host}:9100/metrics`, 'up']]);
    }
  });

  test('the stored series: this service\'s only; namespace the Traefik pod\'s by default, the PodMonitor\'s under the enforced label; the forgery keeps its own namespace then', async () => {
    const stored = async (prometheus: RunningPrometheus) => (await prometheus.query('count by (namespace, job, service, kubernetes_namespace) (traefik_service_request_duration_seconds_count)'))
      .map((s) => [s.metric.namespace, s.metric.job, s.metric.service, s.metric.kubernetes_namespace]).sort();
    expect(await stored(servers.plain!)).toEqual([
      ['traefik', 'test/podinfo-router', CANARY, undefined],
      ['traefik', 'test/podinfo-router', CANARY, 'traefik'],
      ['traefik', 'test/podinfo-router', STABLE, 'traefik'],
    ]);
    expect(await stored(servers.enforced!)).toEqual([
      ['evil', 'test/podinfo-router', CANARY, undefined],
      ['test', 'test/podinfo-router', CANARY, 'traefik'],
      ['test', 'test/podinfo-router', STABLE, 'traefik'],
    ]);
  });

  test('under the enforced label, the checks synthesized with enforcedNamespaceLabel return one sample, the canary\'s, not the forgery\'s', async () => {
    expect(await runChecks(enforced, servers.enforced!)).toEqual({ 'request-success-rate': [0.99], 'request-duration': [298] });
  });

  test('the checks synthesized without it find nothing there (review finding 4), and by default the forgery counts (finding 5: why the option is recommended)', async () => {
    expect(await runChecks(plain, servers.enforced!)).toEqual({ 'request-success-rate': [], 'request-duration': [] });
    const forged = await runChecks(plain, servers.plain!);
    expect(forged['request-success-rate']).toHaveLength(1);
    expect(forged['request-success-rate'][0]).toBeLessThan(0.9);
  });
});
