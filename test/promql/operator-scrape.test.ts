import { Chart, Testing } from 'cdk8s';
import {
  discoverPods, Exporter, FakePod, requirePrometheusServer, replaceDiscovery, RunningPrometheus, startExporter, startPrometheus, waitFor,
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
 * return one sample, the canary's.
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

/** The scrape config the operator generates for endpoint 0 of a PodMonitor (the selector's matchExpressions of operator In only). */
function operatorScrapeConfig(monitor: any): any {
  const { namespace, name } = monitor.metadata;
  const endpoint = monitor.spec.podMetricsEndpoints[0];
  const sanitize = (label: string) => label.replace(/[^a-zA-Z0-9_]/g, '_');
  return {
    job_name: `podMonitor/${namespace}/${name}/0`,
    honor_labels: endpoint.honorLabels,
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: monitor.spec.namespaceSelector?.matchNames ?? [namespace] } }],
    // 1 s instead of the synthesized interval, so that rate() has two samples within seconds.
    scrape_interval: '1s',
    relabel_configs: [
      { source_labels: ['job'], target_label: '__tmp_prometheus_job_name' },
      { action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' },
      ...monitor.spec.selector.matchExpressions.map((e: any) => {
        if (e.operator !== 'In') throw new Error(`only In is emulated, not ${e.operator}`);
        return {
          action: 'keep',
          source_labels: [`__meta_kubernetes_pod_label_${sanitize(e.key)}`, `__meta_kubernetes_pod_labelpresent_${sanitize(e.key)}`],
          regex: `(${e.values.join('|')});true`,
        };
      }),
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      { target_label: 'job', replacement: `${namespace}/${name}` },
      ...endpoint.relabelings.map(toPrometheus),
    ],
    ...(endpoint.metricRelabelings ? { metric_relabel_configs: endpoint.metricRelabelings.map(toPrometheus) } : {}),
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
