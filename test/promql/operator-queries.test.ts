import { Chart, Testing } from 'cdk8s';
import { InputSeries, Scenario, requirePromtool, runPromtool } from './promtool';
import { Traffic, appHistogramSeries, gatewayIstioSeries, istioSeries, stale, traefikSeries } from './series';
import { podinfo } from '../../examples/shared/podinfo';
import {
  ApplicationMetrics, DeliveryEngine, DeliveryStrategy, GitOps, IDeliveryEngine, ITrafficRouter, MetricKind, Prometheus, TrafficRouter,
} from '../../src';
import { all, only } from '../synth';

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
 * would store them), none without canary traffic. Under an enforced namespace label
 * (`enforcedNamespaceLabel`) every series carries its PodMonitor's namespace (`byMonitorOf`), and a
 * PodMonitor of another namespace that copies the service's job serves a bad copy: it must not count.
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
const PERFECT_TRAEFIK: Traffic[] = [{ perScrape: 500, code: 200, bucket: 0.1 }];
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

/** Flagger's canary Deployment `podinfo` and its primary, as their sidecars report (the destination's), under the pods PodMonitor. */
function flaggerIstioShapes(enforced: boolean): Shapes {
  const pod = (name: string, workload: string, namespace = NAMESPACE) => ({
    pod: name, namespace, workload, service: 'podinfo', podLabels: { 'app.kubernetes.io/name': workload },
  });
  const canary = istioSeries(pod('podinfo-6c9f8d7b5-k2x4p', 'podinfo'), CANARY_ISTIO, 'destination', PODS_JOB);
  return {
    canary,
    others: [
      ...istioSeries(pod('podinfo-primary-5c4b7d9f2-r5t7y', 'podinfo-primary'), BAD_ISTIO, 'destination', PODS_JOB),
      ...byMonitorOf('shop', istioSeries(pod('podinfo-6c9f8d7b5-a1b2c', 'podinfo', 'shop'), BAD_ISTIO, 'destination', 'shop/podinfo-pods')),
      ...istioSeries(pod('podinfo-6c9f8d7b5-k2x4p', 'podinfo'), BAD_ISTIO, 'source', PODS_JOB),
      ...(enforced ? [
        // Istio's own monitor of the same sidecars (in istio-system), perfect, and not ours.
        ...byMonitorOf('istio-system', underServiceMonitor(istioSeries(pod('podinfo-6c9f8d7b5-k2x4p', 'podinfo'), PERFECT_ISTIO), 'istio-system/envoy-stats-monitor', 'istio-proxy', 'http-envoy-prom')),
        // Another namespace's PodMonitor that relabels its own pod into the canary's series and job.
        ...byMonitorOf('evil', istioSeries(pod('forger-7f8e9d-zz1aa', 'podinfo'), BAD_ISTIO, 'destination', PODS_JOB)),
      ] : []),
    ],
  };
}

/**
 * The series as a Prometheus that enforces the namespace label stores them: `namespace` is the
 * namespace of the PodMonitor that scraped them, whatever its relabelings set (the operator's last
 * relabeling, pkg/namespacelabeler/labeler.go GetRelabelingConfigs). `kubernetes_namespace` stays
 * the pod's.
 */
function byMonitorOf(monitorNamespace: string, series: InputSeries[]): InputSeries[] {
  return series.map((s) => ({ ...s, series: s.series.replace(/([{,])namespace="[^"]*"/, `$1namespace="${monitorNamespace}"`) }));
}

/**
 * Traefik's series under an enforced namespace label: the service's router PodMonitor's in its own
 * namespace; another team's; the platform's own PodMonitor of Traefik (in `traefik`), perfect; and
 * another namespace's PodMonitor that copies the job and serves the canary's Traefik service, bad.
 */
function enforcedTraefikShapes(canaryService: string, baselineService: string): Shapes {
  const pods = ['traefik-5d9f7c6b8-abcde', 'traefik-5d9f7c6b8-fghij'];
  const of = (service: string, traffic: Traffic[], pod: string, job: string) => traefikSeries(service, traffic, pod, { job, namespace: 'traefik' });
  return {
    canary: byMonitorOf(NAMESPACE, pods.flatMap((pod) => of(`${NAMESPACE}-${canaryService}-80@kubernetescrd`, CANARY_TRAEFIK, pod, ROUTER_JOB))),
    others: [
      ...byMonitorOf(NAMESPACE, pods.flatMap((pod) => of(`${NAMESPACE}-${baselineService}-80@kubernetescrd`, BAD_TRAEFIK, pod, ROUTER_JOB))),
      ...byMonitorOf('shop', pods.flatMap((pod) => of(`shop-${canaryService}-80@kubernetescrd`, BAD_TRAEFIK, pod, 'shop/podinfo-router'))),
      ...byMonitorOf('traefik', pods.flatMap((pod) => of(`${NAMESPACE}-${canaryService}-80@kubernetescrd`, PERFECT_TRAEFIK, pod, 'traefik/traefik'))),
      ...byMonitorOf('evil', of(`${NAMESPACE}-${canaryService}-80@kubernetescrd`, BAD_TRAEFIK, 'forger-7f8e9d-zz1aa', ROUTER_JOB)),
    ],
  };
}

/** A Gateway API gateway's series under an enforced namespace label, with a forger in another namespace. */
function enforcedGatewayShapes(canaryService: string, baselineService: string): Shapes {
  const shapes = gatewayShapes(canaryService, baselineService);
  const backend = { service: canaryService, namespace: NAMESPACE, workload: 'podinfo' };
  return {
    canary: byMonitorOf(NAMESPACE, shapes.canary),
    others: [
      ...byMonitorOf(NAMESPACE, shapes.others.filter((s) => !s.series.includes('shop'))),
      ...byMonitorOf('shop', shapes.others.filter((s) => s.series.includes('shop'))),
      ...byMonitorOf('evil', gatewayIstioSeries({ pod: 'forger-7f8e9d-zz1aa', namespace: 'evil', gateway: 'gateway' }, backend, BAD_ISTIO, ROUTER_JOB)),
    ],
  };
}

/** Argo's canary and stable ReplicaSets' sidecars under an enforced namespace label, with Istio's own monitor and a forger. */
function enforcedArgoIstioShapes(): Shapes {
  const shapes = argoIstioShapes();
  const pod = { pod: 'forger-7f8e9d-zz1aa', namespace: NAMESPACE, workload: 'podinfo', service: 'podinfo', podLabels: { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': CANARY_HASH } };
  return {
    canary: shapes.canary,
    others: [
      ...shapes.others.flatMap((s) => {
        if (s.series.includes('shop')) return byMonitorOf('shop', [s]);
        return s.series.includes('envoy-stats-monitor') ? byMonitorOf('istio-system', [s]) : [s];
      }),
      ...byMonitorOf('evil', istioSeries(pod, BAD_ISTIO, 'destination', PODS_JOB)),
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

function synthesize(engine: IDeliveryEngine, router: ITrafficRouter, strategy?: DeliveryStrategy, enforcedNamespaceLabel?: string): any[] {
  const chart = new Chart(Testing.app(), 'podinfo', { namespace: NAMESPACE });
  podinfo(chart, engine, router, { gitOps: GitOps.none(), strategy, prometheus: Prometheus.operator({ address: ADDRESS, enforcedNamespaceLabel }) });
  return Testing.synth(chart);
}

/** Flagger's checks as the Canary runs them: MetricTemplates rendered with the Canary's interval. */
function flaggerTemplateChecks(manifests: any[]): { name: string; expr: string }[] {
  return only(manifests, 'Canary').spec.analysis.metrics.map((metric: any) => ({
    name: metric.name,
    expr: renderFlagger(only(manifests, 'MetricTemplate', metric.templateRef.name).spec.query, metric.interval),
  }));
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

  test('Istio: Flagger\'s built-in queries over the pods PodMonitor\'s series (no job matcher: the same series under Istio\'s own monitor count twice, and cancel)', () => {
    const manifests = synthesize(DeliveryEngine.flagger(), TrafficRouter.istio({ hosts: ['app.example.com'] }));
    expect(only(manifests, 'Canary').spec.analysis.metrics.map((m: any) => m.name)).toEqual(['request-success-rate', 'request-duration']);
    expect(all(manifests, 'MetricTemplate')).toEqual([]);
    const istio = TrafficRouter.istio({ hosts: ['app.example.com'] });
    const shapes = flaggerIstioShapes(false);
    // Flagger's own queries select no job: the canary's series as Istio's own monitor stores them too are counted as well, in the numerator as in the denominator.
    const duplicated = { ...shapes, canary: [...shapes.canary, ...underServiceMonitor(shapes.canary, 'istio-system/envoy-stats-monitor', 'istio-proxy', 'http-envoy-prom')] };
    check('flagger istio success', renderFlagger(istio.builtInQuery(MetricKind.REQUEST_SUCCESS_RATE)), duplicated, SUCCESS_PERCENT, 'nan');
    check('flagger istio duration', renderFlagger(istio.builtInQuery(MetricKind.REQUEST_DURATION)), duplicated, ISTIO_P99_MS, 'nan');
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

describe('with an enforced namespace label (enforcedNamespaceLabel): every series labelled with its PodMonitor\'s namespace', () => {
  const traefik = () => TrafficRouter.traefik({ hosts: ['app.example.com'] });
  const istio = () => TrafficRouter.istio({ hosts: ['app.example.com'] });
  const gateway = () => TrafficRouter.gatewayApi({ hosts: ['app.example.com'] });

  test.each([
    ['Traefik', traefik, () => enforcedTraefikShapes('podinfo-canary', 'podinfo-primary'), TRAEFIK_P99_MS],
    ['Istio', istio, () => flaggerIstioShapes(true), ISTIO_P99_MS],
    ['Gateway API', gateway, () => enforcedGatewayShapes('podinfo-canary', 'podinfo-primary'), ISTIO_P99_MS],
  ])('Flagger + %s: MetricTemplates that read the canary alone, not the platform\'s own monitor, not another namespace\'s forgery', (_name, router, shapes, p99) => {
    const checks = flaggerTemplateChecks(synthesize(DeliveryEngine.flagger(), router(), undefined, 'namespace'));
    expect(checks.map((c) => c.name)).toEqual(['success-rate', 'latency']);
    for (const { name, expr } of checks) {
      check(`flagger enforced ${_name} ${name}`, expr, shapes(), name === 'success-rate' ? SUCCESS_PERCENT : p99, 'nan');
    }
  });

  test.each([
    ['Traefik', traefik, () => enforcedTraefikShapes('podinfo-canary', 'podinfo-stable'), TRAEFIK_P99_MS],
    ['Istio', istio, enforcedArgoIstioShapes, ISTIO_P99_MS],
    ['Gateway API', gateway, () => enforcedGatewayShapes('podinfo-canary', 'podinfo-stable'), ISTIO_P99_MS],
  ])('Argo Rollouts + %s: one sample for the canary, unchanged by a bad stable or a forgery, none without canary traffic', (_name, router, shapes, p99) => {
    const checks = argoChecks(synthesize(DeliveryEngine.argoRollouts(), router(), undefined, 'namespace'));
    expect(checks.map((c) => c.name)).toEqual(['request-success-rate', 'request-duration']);
    for (const { name, expr } of checks) {
      check(`argo enforced ${_name} ${name}`, expr, shapes(), name === 'request-success-rate' ? SUCCESS_PERCENT / 100 : p99, 'none');
    }
  });

  test('the forgeries matter: Flagger\'s own Traefik and Istio queries read them, and the unscoped Argo Traefik query finds no router series at all', () => {
    for (const [router, shapes, expected] of [
      [traefik(), enforcedTraefikShapes('podinfo-canary', 'podinfo-primary'), SUCCESS_PERCENT],
      [istio(), flaggerIstioShapes(true), SUCCESS_PERCENT],
    ] as const) {
      const builtIn = renderFlagger(router.builtInQuery(MetricKind.REQUEST_SUCCESS_RATE));
      // What the built-in returns over some series: promtool reports it against an impossible expectation.
      const value = (series: typeof shapes.canary): number => {
        const result = runPromtool([{ name: 'built-in', interval: '5s', series, expectations: [{ expr: builtIn, evalTime: EVAL_TIME, value: -1 }] }]);
        const got = /got:\s*\{\}\s*([-0-9.eE+]+)/.exec(result.output);
        expect({ ok: result.ok, got: got !== null || result.output }).toEqual({ ok: false, got: true });
        return Number(got![1]) / 1000;
      };
      // The canary's own series alone: the canary's success rate.
      expect(value(shapes.canary)).toBeCloseTo(expected, 2);
      // The forger's series (a PodMonitor of 'evil' relabeled into the canary's) change the result.
      const honest = [...shapes.canary, ...shapes.others.filter((s) => !s.series.includes('forger-'))];
      expect(honest.length).toBeLessThan(shapes.canary.length + shapes.others.length);
      expect(Math.abs(value([...shapes.canary, ...shapes.others]) - value(honest))).toBeGreaterThan(1);
    }
    const [unscoped] = argoChecks(synthesize(DeliveryEngine.argoRollouts(), traefik()));
    expect(unscoped.expr).toContain('namespace="traefik"');
    // Without the option, the checks look for the router pods' namespace, which the service's router series no longer carry: no sample (review finding 4).
    const { canary } = enforcedTraefikShapes('podinfo-canary', 'podinfo-stable');
    const result = runPromtool([{ name: 'unscoped', interval: '5s', series: canary, expectations: [{ expr: unscoped.expr, evalTime: EVAL_TIME }] }]);
    expect({ ok: result.ok, output: result.ok ? '' : result.output }).toEqual({ ok: true, output: '' });
  });
});
