import { Chart, Testing } from 'cdk8s';
import { InputSeries, Scenario, requirePromtool, runPromtool } from './promtool';
import { Traffic, appHistogramSeries, gatewayIstioSeries, istioSeries, stale, traefikSeries } from './series';
import { podinfo } from '../../examples/shared/podinfo';
import {
  ApplicationMetrics, DeliveryEngine, DeliveryStrategy, GitOps, IDeliveryEngine, ITrafficRouter, MetricKind, Prometheus, TrafficRouter,
} from '../../src';
import { only } from '../synth';

/**
 * The checks of services that use `Prometheus.operator()`, evaluated by promtool on series labelled
 * as the Prometheus Operator's Prometheus labels what the services' PodMonitors scrape: `job` is
 * `<namespace>/<PodMonitor>` (`test/podinfo-pods` for the service's pods, `test/podinfo-router`
 * for the router's, whose target label `namespace` is the router's), then `namespace`, `pod`, the
 * pod labels and `kubernetes_namespace`/`kubernetes_pod_name` from the PodMonitors' relabelings
 * (src/addons/prometheus-operator.ts; the operator's own, pkg/prometheus/promcfg.go
 * generatePodMonitorConfig). The same three properties as test/promql/queries.test.ts: one sample
 * for the canary, unchanged by a bad stable or primary (and by the canary's own series under
 * another monitor's job, as a ServiceMonitor with `service`, `endpoint` and `container` labels
 * would store them), none without canary traffic.
 */
requirePromtool();

const NAMESPACE = 'test';
const PODS_JOB = `${NAMESPACE}/podinfo-pods`;
const ROUTER_JOB = `${NAMESPACE}/podinfo-router`;
const ADDRESS = 'http://kube-prometheus-stack-prometheus.monitoring:9090';
const CANARY_HASH = '7d9c5f8b6';
const STABLE_HASH = '5c4b7d9f2';
const EVAL_TIME = '10m';

const CANARY_TRAEFIK: Traffic[] = [{ perScrape: 15, code: 200, bucket: 0.3 }, { perScrape: 5, code: 500, bucket: 0.3 }];
const CANARY_ISTIO: Traffic[] = [{ perScrape: 15, code: 200, bucket: 250 }, { perScrape: 5, code: 500, bucket: 250 }];
const CANARY_APP: Traffic[] = [{ perScrape: 15, code: 200, bucket: 0.25 }, { perScrape: 5, code: 500, bucket: 0.25 }];
const BAD_TRAEFIK: Traffic[] = [{ perScrape: 50, code: 503, bucket: 5 }];
const BAD_ISTIO: Traffic[] = [{ perScrape: 50, code: 503, bucket: 5000 }];
const BAD_APP: Traffic[] = [{ perScrape: 50, code: 503, bucket: 5 }];
const PERFECT_ISTIO: Traffic[] = [{ perScrape: 500, code: 200, bucket: 50 }];
const PERFECT_APP: Traffic[] = [{ perScrape: 500, code: 200, bucket: 0.005 }];
const SUCCESS_PERCENT = 75;
const TRAEFIK_P99_MS = 298;
const ISTIO_P99_MS = 248.5;
const APP_P99_MS = 248.5;

interface Shapes {
  readonly canary: InputSeries[];
  readonly others: InputSeries[];
}

/** The series as another monitor of the same pods stores them (a ServiceMonitor `podinfo`: its own job, and `service`, `endpoint`, `container`). */
function underServiceMonitor(series: InputSeries[], job: string, container: string, endpoint: string): InputSeries[] {
  return series.map((s) => ({
    ...s,
    series: s.series.replace(/job="[^"]*"/, `job="${job}"`).replace('{', `{container="${container}",endpoint="${endpoint}",service="podinfo",`),
  }));
}

function traefikShapes(canaryService: string, baselineService: string): Shapes {
  const pods = ['traefik-5d9f7c6b8-abcde', 'traefik-5d9f7c6b8-fghij'];
  const scrapedAs = { job: ROUTER_JOB, namespace: 'traefik' };
  return {
    canary: pods.flatMap((pod) => traefikSeries(`${NAMESPACE}-${canaryService}-80@kubernetescrd`, CANARY_TRAEFIK, pod, scrapedAs)),
    others: pods.flatMap((pod) => [
      ...traefikSeries(`${NAMESPACE}-${baselineService}-80@kubernetescrd`, BAD_TRAEFIK, pod, scrapedAs),
      ...traefikSeries(`shop-${canaryService}-80@kubernetescrd`, BAD_TRAEFIK, pod, { job: 'shop/podinfo-router', namespace: 'traefik' }),
    ]),
  };
}

function argoIstioShapes(): Shapes {
  const pod = (name: string, hash: string, namespace = NAMESPACE) => ({
    pod: name, namespace, workload: 'podinfo', service: 'podinfo', podLabels: { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': hash },
  });
  const canary = istioSeries(pod(`podinfo-${CANARY_HASH}-q4w8e`, CANARY_HASH), CANARY_ISTIO, 'destination', PODS_JOB);
  return {
    canary,
    others: [
      ...istioSeries(pod(`podinfo-${STABLE_HASH}-r5t7y`, STABLE_HASH), BAD_ISTIO, 'destination', PODS_JOB),
      ...istioSeries(pod(`podinfo-${CANARY_HASH}-u1i3o`, CANARY_HASH, 'shop'), BAD_ISTIO, 'destination', 'shop/podinfo-pods'),
      ...istioSeries(pod(`podinfo-${CANARY_HASH}-q4w8e`, CANARY_HASH), BAD_ISTIO, 'source', PODS_JOB),
      // The canary pod's sidecar as Istio's own PodMonitor (or a ServiceMonitor) scrapes it: perfect, and not ours.
      ...underServiceMonitor(istioSeries(pod(`podinfo-${CANARY_HASH}-q4w8e`, CANARY_HASH), PERFECT_ISTIO), 'istio-system/envoy-stats-monitor', 'istio-proxy', 'http-envoy-prom'),
    ],
  };
}

function gatewayShapes(canaryService: string, baselineService: string): Shapes {
  const pods = ['gateway-istio-7c9d8f6b5-abcde', 'gateway-istio-7c9d8f6b5-fghij'].map((pod) => ({ pod, namespace: NAMESPACE, gateway: 'gateway' }));
  const backend = (service: string, namespace = NAMESPACE) => ({ service, namespace, workload: 'podinfo' });
  return {
    canary: pods.flatMap((pod) => gatewayIstioSeries(pod, backend(canaryService), CANARY_ISTIO, ROUTER_JOB)),
    others: [
      ...pods.flatMap((pod) => gatewayIstioSeries(pod, backend(baselineService), BAD_ISTIO, ROUTER_JOB)),
      ...gatewayIstioSeries({ pod: 'gateway-istio-5b6c7d8e9-xyz12', namespace: 'shop', gateway: 'gateway' }, backend(canaryService, 'shop'), BAD_ISTIO, 'shop/podinfo-router'),
      ...istioSeries({ pod: 'podinfo-6c9f8d7b5-k2x4p', namespace: NAMESPACE, workload: 'podinfo', service: canaryService, podLabels: { 'app.kubernetes.io/name': 'podinfo' } }, BAD_ISTIO, 'destination', PODS_JOB),
    ],
  };
}

function appShapes(engine: 'flagger' | 'argo'): Shapes {
  const pod = (name: string, labels: { [key: string]: string }, namespace = NAMESPACE) => ({ pod: name, namespace, podLabels: labels });
  const canaryLabels: { [key: string]: string } = engine === 'flagger' ? { 'app.kubernetes.io/name': 'podinfo' } : { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': CANARY_HASH };
  const stableLabels: { [key: string]: string } = engine === 'flagger' ? { 'app.kubernetes.io/name': 'podinfo-primary' } : { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': STABLE_HASH };
  const canaryPods = [pod('podinfo-6c9f8d7b5-k2x4p', canaryLabels), pod('podinfo-6c9f8d7b5-m7q9r', canaryLabels)];
  return {
    canary: canaryPods.flatMap((p) => appHistogramSeries(p, CANARY_APP, PODS_JOB)),
    others: [
      ...appHistogramSeries(pod('podinfo-5c4b7d9f2-r5t7y', stableLabels), BAD_APP, PODS_JOB),
      ...appHistogramSeries(pod('podinfo-6c9f8d7b5-a1b2c', canaryLabels, 'shop'), BAD_APP, 'shop/podinfo-pods'),
      ...underServiceMonitor(appHistogramSeries(canaryPods[0], PERFECT_APP), `${NAMESPACE}/podinfo`, 'podinfo', 'http'),
    ],
  };
}

function scenarios(title: string, expr: string, shapes: Shapes, expected: number, staleResult: 'nan' | 'none'): Scenario[] {
  const expect = (value?: number) => [{ expr, evalTime: EVAL_TIME, value }];
  return [
    { name: `${title}: canary traffic`, interval: '5s', series: shapes.canary, expectations: expect(expected) },
    { name: `${title}: canary and bad others`, interval: '5s', series: [...shapes.canary, ...shapes.others], expectations: expect(expected) },
    { name: `${title}: no canary traffic`, interval: '5s', series: shapes.others, expectations: expect(undefined) },
    {
      name: `${title}: a canary that had traffic before the window`,
      interval: '5s',
      series: [...stale(shapes.canary), ...shapes.others],
      expectations: staleResult === 'none' ? expect(undefined) : [{ expr: `count((${expr}) != (${expr}))`, evalTime: EVAL_TIME, value: 1 }],
    },
  ];
}

function check(title: string, expr: string, shapes: Shapes, expected: number, staleResult: 'nan' | 'none'): void {
  const result = runPromtool(scenarios(title, expr, shapes, expected, staleResult));
  expect({ query: expr, passed: result.ok, output: result.ok ? '' : result.output }).toEqual({ query: expr, passed: true, output: '' });
}

function renderFlagger(query: string, window = '1m'): string {
  const values: { [name: string]: string } = { namespace: NAMESPACE, target: 'podinfo', name: 'podinfo', service: 'podinfo', interval: window };
  return query.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (_, name: string) => values[name]);
}

function renderArgo(query: string, args: any[]): string {
  const values = Object.fromEntries(args.map((a) => [a.name, a.value ?? (a.valueFrom?.podTemplateHashValue === 'Latest' ? CANARY_HASH : STABLE_HASH)]));
  return query.replace(/\{\{args\.([-a-z]+)\}\}/g, (_, name: string) => values[name]);
}

function synthesize(engine: IDeliveryEngine, router: ITrafficRouter, strategy?: DeliveryStrategy): any[] {
  const chart = new Chart(Testing.app(), 'podinfo', { namespace: NAMESPACE });
  podinfo(chart, engine, router, { gitOps: GitOps.none(), strategy, prometheus: Prometheus.operator({ address: ADDRESS }) });
  return Testing.synth(chart);
}

/** The Prometheus checks of the Rollout's AnalysisTemplate, with the Rollout's arguments. */
function argoChecks(manifests: any[]): { name: string; expr: string }[] {
  const args = only(manifests, 'Rollout').spec.strategy.canary.analysis.args;
  return only(manifests, 'AnalysisTemplate', 'podinfo').spec.metrics.filter((m: any) => m.provider.prometheus)
    .map((m: any) => ({ name: m.name, expr: renderArgo(m.provider.prometheus.query, args) }));
}

describe('Argo Rollouts\' checks, as synthesized with Prometheus.operator()', () => {
  test.each([
    ['Traefik', () => TrafficRouter.traefik({ hosts: ['app.example.com'] }), () => traefikShapes('podinfo-canary', 'podinfo-stable'), TRAEFIK_P99_MS],
    ['Istio', () => TrafficRouter.istio({ hosts: ['app.example.com'] }), argoIstioShapes, ISTIO_P99_MS],
    ['Gateway API', () => TrafficRouter.gatewayApi({ hosts: ['app.example.com'] }), () => gatewayShapes('podinfo-canary', 'podinfo-stable'), ISTIO_P99_MS],
    ['replica ratio', () => TrafficRouter.replicaRatio({ metrics: ApplicationMetrics.httpHistogram({ port: 9898 }) }), () => appShapes('argo'), APP_P99_MS],
  ])('%s: one sample for the canary, unchanged by a bad stable, none without canary traffic', (_name, router, shapes, p99) => {
    const checks = argoChecks(synthesize(DeliveryEngine.argoRollouts(), router()));
    expect(checks.map((c) => c.name)).toEqual(['request-success-rate', 'request-duration']);
    for (const { name, expr } of checks) {
      check(`argo ${_name} ${name}`, expr, shapes(), name === 'request-success-rate' ? SUCCESS_PERCENT / 100 : p99, 'none');
    }
  });

  test('Istio: were the query to read the conventional job, it would see nothing of the operator\'s series (the job was rewritten, and had to be)', () => {
    const [success] = argoChecks(synthesize(DeliveryEngine.argoRollouts(), TrafficRouter.istio({ hosts: ['app.example.com'] })));
    expect(success.expr).toContain(`job="${PODS_JOB}"`);
    const conventional = success.expr.split(`job="${PODS_JOB}"`).join('job="kubernetes-pods"');
    const result = runPromtool([{ name: 'conventional job', interval: '5s', series: argoIstioShapes().canary, expectations: [{ expr: conventional, evalTime: EVAL_TIME }] }]);
    expect(result.ok).toBe(true);
  });
});

describe('Flagger\'s checks with Prometheus.operator()', () => {
  test('Traefik: Flagger\'s built-in queries over the router PodMonitor\'s series', () => {
    const manifests = synthesize(DeliveryEngine.flagger(), TrafficRouter.traefik({ hosts: ['app.example.com'] }));
    expect(only(manifests, 'Canary').spec.metricsServer).toBe(ADDRESS);
    const traefik = TrafficRouter.traefik({ hosts: ['app.example.com'] });
    check('flagger traefik success', renderFlagger(traefik.builtInQuery(MetricKind.REQUEST_SUCCESS_RATE)), traefikShapes('podinfo-canary', 'podinfo-primary'), SUCCESS_PERCENT, 'nan');
    check('flagger traefik duration', renderFlagger(traefik.builtInQuery(MetricKind.REQUEST_DURATION)), traefikShapes('podinfo-canary', 'podinfo-primary'), TRAEFIK_P99_MS, 'nan');
  });

  test('Gateway API: the MetricTemplates over the router PodMonitor\'s series', () => {
    const manifests = synthesize(DeliveryEngine.flagger(), TrafficRouter.gatewayApi({ hosts: ['app.example.com'] }));
    const metrics = only(manifests, 'Canary').spec.analysis.metrics;
    expect(metrics.length).toBe(2);
    for (const metric of metrics) {
      const template = only(manifests, 'MetricTemplate', metric.templateRef.name);
      expect(template.spec.provider.address).toBe(ADDRESS);
      const expected = metric.name === 'success-rate' ? SUCCESS_PERCENT : ISTIO_P99_MS;
      check(`flagger gateway ${metric.name}`, renderFlagger(template.spec.query, metric.interval), gatewayShapes('podinfo-canary', 'podinfo-primary'), expected, 'nan');
    }
  });

  test('replica ratio: the MetricTemplates read the canary Deployment\'s pods under the PodMonitor\'s job, not the primary\'s', () => {
    const router = TrafficRouter.replicaRatio({ metrics: ApplicationMetrics.httpHistogram({ port: 9898 }) });
    const manifests = synthesize(DeliveryEngine.flagger(), router, DeliveryStrategy.blueGreen());
    const metrics = only(manifests, 'Canary').spec.analysis.metrics;
    expect(metrics.length).toBe(2);
    for (const metric of metrics) {
      const query = only(manifests, 'MetricTemplate', metric.templateRef.name).spec.query;
      expect(query).toContain(`job="${PODS_JOB}"`);
      const expected = metric.name === 'success-rate' ? SUCCESS_PERCENT : APP_P99_MS;
      check(`flagger replica-ratio ${metric.name}`, renderFlagger(query, metric.interval), appShapes('flagger'), expected, 'nan');
    }
  });
});
