import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as yaml from 'js-yaml';
import { InputSeries, Scenario, requirePromtool, runPromtool } from './promtool';
import { Traffic, appHistogramSeries, gatewayIstioSeries, istioSeries, stale, traefikSeries } from './series';
import { podinfo } from '../../examples/shared/podinfo';
import {
  ApplicationMetrics, CanaryMetric, CanaryService, CanaryWebhook, ComparedMeasure, DeliveryEngine, DeliveryStrategy, GitOps, IDeliveryEngine,
  ITrafficRouter, IstioRoutingMode, LoadTool, MetricKind, ServiceProtocol, TrafficRouter,
} from '../../src';
import { all, only } from '../synth';

/**
 * Every query the library generates or ships, evaluated by Prometheus's own engine (promtool from
 * Debian's `prometheus` package, 2.42) against series in the shapes the routers emit
 * (test/promql/series.ts, with their upstream sources). For each query:
 * 1. with canary traffic, it returns exactly one sample, with the expected value;
 * 2. the stable or primary version's traffic, however bad, and other namespaces' and other
 *    reporters' series do not change it;
 * 3. without canary traffic it returns no sample. A canary Service that had traffic in an earlier
 *    rollout keeps its counters (Traefik keeps exporting them, Istio's sidecars too), and then the
 *    queries Flagger runs return NaN, which Flagger counts as "no values found"
 *    (pkg/metrics/providers/prometheus.go: `value == nil || math.IsNaN(*value)`); the Argo Rollouts
 *    queries are written to return no sample there too, so `len(result) > 0` means "had traffic".
 *
 * Prometheus 2.42 against the v3 line the library deploys: v3 range selectors are left-open (a
 * sample exactly at the window's start is not in it), which changes nothing for counters growing at
 * a constant rate (the extrapolated rate is the same); v3 normalizes the values of `le` on classic
 * histograms ("5" becomes "5.0"), and the queries select only le="+Inf", which keeps its spelling.
 * Neither changes a result here.
 */
requirePromtool();

const NAMESPACE = 'test';
const CANARY_HASH = '7d9c5f8b6';
const STABLE_HASH = '5c4b7d9f2';
const EVAL_TIME = '10m';

/** The canary: 3 of 4 requests succeed; all in the bucket up to 0.3 s (Traefik) or 250 ms (Istio). */
const CANARY_TRAEFIK: Traffic[] = [{ perScrape: 15, code: 200, bucket: 0.3 }, { perScrape: 5, code: 500, bucket: 0.3 }];
const CANARY_ISTIO: Traffic[] = [{ perScrape: 15, code: 200, bucket: 250 }, { perScrape: 5, code: 500, bucket: 250 }];
/** The stable or primary version, and anything else that must not count: every request fails, slowly. */
const BAD_TRAEFIK: Traffic[] = [{ perScrape: 50, code: 503, bucket: 5 }];
const BAD_ISTIO: Traffic[] = [{ perScrape: 50, code: 503, bucket: 5000 }];
/** Success 75 % (3 of 4); P99 in the lowest bucket above 0.1 s / 100 ms, interpolated: 0.1 + 0.2 x 0.99 s, 100 + 150 x 0.99 ms. */
const SUCCESS_PERCENT = 75;
const TRAEFIK_P99_MS = 298;
const ISTIO_P99_MS = 248.5;

/** Where each version's traffic shows up, per router and engine. */
interface Shapes {
  readonly canary: InputSeries[];
  /** Stable or primary, and series of other namespaces or reporters that a query must ignore. */
  readonly others: InputSeries[];
}

/** Traefik: each Service of the TraefikService is its own `service`; two Traefik replicas report separately. */
function traefikShapes(canaryService: string, baselineService: string, canary = CANARY_TRAEFIK): Shapes {
  const pods = ['traefik-5d9f7c6b8-abcde', 'traefik-5d9f7c6b8-fghij'];
  return {
    canary: pods.flatMap((pod) => traefikSeries(`${NAMESPACE}-${canaryService}-80@kubernetescrd`, canary, pod)),
    others: pods.flatMap((pod) => [
      ...traefikSeries(`${NAMESPACE}-${baselineService}-80@kubernetescrd`, BAD_TRAEFIK, pod),
      // The same service name in another namespace.
      ...traefikSeries(`shop-${canaryService}-80@kubernetescrd`, BAD_TRAEFIK, pod),
    ]),
  };
}

/** Flagger + Istio: the canary Deployment `podinfo` and the primary `podinfo-primary` are two workloads. */
function flaggerIstioShapes(canary: Traffic[] = CANARY_ISTIO, bad: Traffic[] = BAD_ISTIO): Shapes {
  const canaryPod = (pod: string) => ({ pod, namespace: NAMESPACE, workload: 'podinfo', service: 'podinfo-canary', podLabels: { 'app.kubernetes.io/name': 'podinfo' } });
  return {
    canary: [...istioSeries(canaryPod('podinfo-6c9f8d7b5-k2x4p'), canary), ...istioSeries(canaryPod('podinfo-6c9f8d7b5-m7q9r'), canary)],
    others: [
      ...istioSeries({ pod: 'podinfo-primary-58f9c7d6b-z8w2t', namespace: NAMESPACE, workload: 'podinfo-primary', service: 'podinfo', podLabels: { 'app.kubernetes.io/name': 'podinfo-primary' } }, bad),
      ...istioSeries({ ...canaryPod('podinfo-6c9f8d7b5-a1b2c'), namespace: 'shop' }, bad),
      // The ingress gateway reports the same requests as their source.
      ...istioSeries({ ...canaryPod('istio-ingressgateway-7d8f9-xyz12'), namespace: NAMESPACE }, BAD_ISTIO, 'source'),
    ],
  };
}

/**
 * Argo Rollouts + Istio: stable and canary pods are one workload (`podinfo`, the Rollout) to Istio;
 * the scrape config copies their `rollouts-pod-template-hash` onto the series.
 */
function argoIstioShapes(service: string, canary: Traffic[] = CANARY_ISTIO, bad: Traffic[] = BAD_ISTIO): Shapes {
  const pod = (name: string, hash: string, namespace = NAMESPACE) => ({
    pod: name, namespace, workload: 'podinfo', service, podLabels: { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': hash },
  });
  return {
    canary: istioSeries(pod(`podinfo-${CANARY_HASH}-q4w8e`, CANARY_HASH), canary),
    others: [
      ...istioSeries(pod(`podinfo-${STABLE_HASH}-r5t7y`, STABLE_HASH), bad),
      ...istioSeries(pod(`podinfo-${CANARY_HASH}-u1i3o`, CANARY_HASH, 'shop'), bad),
      ...istioSeries(pod(`podinfo-${CANARY_HASH}-q4w8e`, CANARY_HASH), bad, 'source'),
    ],
  };
}

/**
 * Gateway API with Istio: the gateway `gateway` (pods `gateway-istio-*`, two replicas) reports what
 * it forwards to each backend Service. Others: the stable (or primary) Service, the same Service
 * name in another namespace, and the canary pods' own sidecars (reporter="destination"), which
 * must not be counted twice.
 */
function gatewayShapes(canaryService: string, baselineService: string, canary = CANARY_ISTIO): Shapes {
  const pods = ['gateway-istio-7c9d8f6b5-abcde', 'gateway-istio-7c9d8f6b5-fghij'].map((pod) => ({ pod, namespace: NAMESPACE, gateway: 'gateway' }));
  const backend = (service: string, namespace = NAMESPACE) => ({ service, namespace, workload: 'podinfo' });
  return {
    canary: pods.flatMap((pod) => gatewayIstioSeries(pod, backend(canaryService), canary)),
    others: [
      ...pods.flatMap((pod) => gatewayIstioSeries(pod, backend(baselineService), BAD_ISTIO)),
      ...gatewayIstioSeries({ pod: 'gateway-istio-5b6c7d8e9-xyz12', namespace: 'shop', gateway: 'gateway' }, backend(canaryService, 'shop'), BAD_ISTIO),
      ...istioSeries({ pod: 'podinfo-6c9f8d7b5-k2x4p', namespace: NAMESPACE, workload: 'podinfo', service: canaryService, podLabels: { 'app.kubernetes.io/name': 'podinfo' } }, BAD_ISTIO),
    ],
  };
}

/** The application's own histogram (seconds): 3 of 4 requests succeed, all within 0.25 s. */
const CANARY_APP: Traffic[] = [{ perScrape: 15, code: 200, bucket: 0.25 }, { perScrape: 5, code: 500, bucket: 0.25 }];
const BAD_APP: Traffic[] = [{ perScrape: 50, code: 503, bucket: 5 }];
/** P99 in the 0.1-0.25 s bucket, interpolated: (0.1 + 0.15 x 0.99) s in milliseconds. */
const APP_P99_MS = 248.5;

/**
 * The replica-ratio canary: the pods' own metrics. Flagger: the canary Deployment's pods keep the
 * selector value, the primary's get `<value>-primary`; Argo Rollouts: one value, the canary by its
 * pod-template hash. Others: the stable or primary pods, and the same pods' names in another namespace.
 */
function appShapes(engine: 'flagger' | 'argo'): Shapes {
  const pod = (name: string, labels: { [key: string]: string }, namespace = NAMESPACE) => ({ pod: name, namespace, podLabels: labels });
  const canaryLabels: { [key: string]: string } = engine === 'flagger' ? { 'app.kubernetes.io/name': 'podinfo' } : { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': CANARY_HASH };
  const stableLabels: { [key: string]: string } = engine === 'flagger' ? { 'app.kubernetes.io/name': 'podinfo-primary' } : { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': STABLE_HASH };
  return {
    canary: [...appHistogramSeries(pod('podinfo-6c9f8d7b5-k2x4p', canaryLabels), CANARY_APP), ...appHistogramSeries(pod('podinfo-6c9f8d7b5-m7q9r', canaryLabels), CANARY_APP)],
    others: [
      ...appHistogramSeries(pod('podinfo-5c4b7d9f2-r5t7y', stableLabels), BAD_APP),
      ...appHistogramSeries(pod('podinfo-6c9f8d7b5-a1b2c', canaryLabels, 'shop'), BAD_APP),
    ],
  };
}

interface QueryCase {
  readonly title: string;
  readonly expr: string;
  readonly shapes: Shapes;
  readonly expected: number;
  /** What the query returns for a canary whose series stand still: NaN for Flagger's, nothing for ours. */
  readonly stale: 'nan' | 'none';
}

/** The scenarios of the three properties, for one query. */
function scenarios(c: QueryCase): Scenario[] {
  const expect = (value?: number) => [{ expr: c.expr, evalTime: EVAL_TIME, value }];
  return [
    { name: `${c.title}: canary traffic`, interval: '5s', series: c.shapes.canary, expectations: expect(c.expected) },
    { name: `${c.title}: canary and bad others`, interval: '5s', series: [...c.shapes.canary, ...c.shapes.others], expectations: expect(c.expected) },
    { name: `${c.title}: no canary traffic`, interval: '5s', series: c.shapes.others, expectations: expect(undefined) },
    {
      name: `${c.title}: a canary that had traffic before the window`,
      interval: '5s',
      series: [...stale(c.shapes.canary), ...c.shapes.others],
      expectations: c.stale === 'none' ? expect(undefined) : [{ expr: `count((${c.expr}) != (${c.expr}))`, evalTime: EVAL_TIME, value: 1 }],
    },
  ];
}

function check(c: QueryCase): void {
  const result = runPromtool(scenarios(c));
  expect({ query: c.expr, passed: result.ok, output: result.ok ? '' : result.output }).toEqual({ query: c.expr, passed: true, output: '' });
}

/** Flagger renders its Go-template functions (pkg/apis/flagger/v1beta1/metric.go, the FuncMap). */
function renderFlagger(query: string, window = '1m'): string {
  const values: { [name: string]: string } = { namespace: NAMESPACE, target: 'podinfo', name: 'podinfo', service: 'podinfo', interval: window };
  return query.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (_, name: string) => values[name]);
}

/** Argo Rollouts resolves {{args.x}} with the Rollout's arguments; the canary's pod-template hash is CANARY_HASH. */
function renderArgo(query: string, args: any[]): string {
  const values = Object.fromEntries(args.map((a) => [a.name, a.value ?? (a.valueFrom?.podTemplateHashValue === 'Latest' ? CANARY_HASH : STABLE_HASH)]));
  return query.replace(/\{\{args\.([-a-z]+)\}\}/g, (_, name: string) => values[name]);
}

function synthesize(engine: IDeliveryEngine, router: ITrafficRouter): any[] {
  const chart = new Chart(Testing.app(), 'podinfo', { namespace: NAMESPACE });
  podinfo(chart, engine, router, { gitOps: GitOps.none() });
  return Testing.synth(chart);
}

/** The checks of an Argo Rollout as it runs them: the AnalysisTemplate's queries with the Rollout's arguments. */
function argoQueries(manifests: any[]): { [metric: string]: string } {
  const args = only(manifests, 'Rollout').spec.strategy.canary.analysis.args;
  const template = only(manifests, 'AnalysisTemplate', 'podinfo');
  const checks = template.spec.metrics.filter((m: any) => m.provider.prometheus);
  return Object.fromEntries(checks.map((m: any) => [m.name, renderArgo(m.provider.prometheus.query, args)]));
}

describe('Flagger\'s built-in checks, as Flagger runs them', () => {
  const traefik = TrafficRouter.traefik({ hosts: ['app.example.com'] });
  const istio = TrafficRouter.istio();

  test('Traefik, success rate: the canary Service in the TraefikService Flagger generates', () => {
    check({ title: 'flagger traefik success', expr: renderFlagger(traefik.builtInQuery(MetricKind.REQUEST_SUCCESS_RATE)), shapes: traefikShapes('podinfo-canary', 'podinfo-primary'), expected: SUCCESS_PERCENT, stale: 'nan' });
  });

  test('Traefik, P99 duration in milliseconds', () => {
    check({ title: 'flagger traefik duration', expr: renderFlagger(traefik.builtInQuery(MetricKind.REQUEST_DURATION)), shapes: traefikShapes('podinfo-canary', 'podinfo-primary'), expected: TRAEFIK_P99_MS, stale: 'nan' });
  });

  test('Istio, success rate: the canary workload, reported by its own sidecars', () => {
    check({ title: 'flagger istio success', expr: renderFlagger(istio.builtInQuery(MetricKind.REQUEST_SUCCESS_RATE)), shapes: flaggerIstioShapes(), expected: SUCCESS_PERCENT, stale: 'nan' });
  });

  test('Istio, P99 duration in milliseconds', () => {
    check({ title: 'flagger istio duration', expr: renderFlagger(istio.builtInQuery(MetricKind.REQUEST_DURATION)), shapes: flaggerIstioShapes(), expected: ISTIO_P99_MS, stale: 'nan' });
  });
});

describe('Gateway API (Istio\'s gateway telemetry): Flagger\'s checks as MetricTemplates', () => {
  const gateway = TrafficRouter.gatewayApi({ hosts: ['app.example.com'] });

  test('success rate: what the gateway forwarded to <target>-canary', () => {
    check({ title: 'flagger gateway success', expr: renderFlagger(gateway.builtInQuery(MetricKind.REQUEST_SUCCESS_RATE)), shapes: gatewayShapes('podinfo-canary', 'podinfo-primary'), expected: SUCCESS_PERCENT, stale: 'nan' });
  });

  test('P99 duration in milliseconds', () => {
    check({ title: 'flagger gateway duration', expr: renderFlagger(gateway.builtInQuery(MetricKind.REQUEST_DURATION)), shapes: gatewayShapes('podinfo-canary', 'podinfo-primary'), expected: ISTIO_P99_MS, stale: 'nan' });
  });
});

describe.each([
  ['Traefik', () => TrafficRouter.traefik({ hosts: ['app.example.com'] }), () => traefikShapes('podinfo-canary', 'podinfo-stable'), TRAEFIK_P99_MS],
  ['Gateway API', () => TrafficRouter.gatewayApi({ hosts: ['app.example.com'] }), () => gatewayShapes('podinfo-canary', 'podinfo-stable'), ISTIO_P99_MS],
  ['Istio, subset routing', () => TrafficRouter.istio({ hosts: ['app.example.com'] }), () => argoIstioShapes('podinfo'), ISTIO_P99_MS],
  ['Istio, host routing', () => TrafficRouter.istio({ hosts: ['app.example.com'], routingMode: IstioRoutingMode.HOST }), () => argoIstioShapes('podinfo-canary'), ISTIO_P99_MS],
])('Argo Rollouts\' checks with %s, as synthesized', (routerName, router, shapes, p99) => {
  const queries = argoQueries(synthesize(DeliveryEngine.argoRollouts(), router()));

  test('success rate, a ratio', () => {
    check({ title: `argo ${routerName} success`, expr: queries['request-success-rate'], shapes: shapes(), expected: SUCCESS_PERCENT / 100, stale: 'none' });
  });

  test('P99 duration in milliseconds', () => {
    check({ title: `argo ${routerName} duration`, expr: queries['request-duration'], shapes: shapes(), expected: p99, stale: 'none' });
  });

  test('a canary that answered only 5xx gets 0, not an empty result', () => {
    const allErrors = routerName === 'Traefik'
      ? traefikShapes('podinfo-canary', 'podinfo-stable', [{ perScrape: 5, code: 500, bucket: 0.3 }])
      : { ...shapes(), canary: shapes().canary.filter((s) => !s.series.includes('response_code="200"')) };
    const result = runPromtool([{ name: 'only errors', interval: '5s', series: allErrors.canary, expectations: [{ expr: queries['request-success-rate'], evalTime: EVAL_TIME, value: 0 }] }]);
    expect(result.output).toContain('SUCCESS');
  });
});

describe('a pod that is not the router\'s or the service\'s cannot pass its series off as theirs', () => {
  // An annotated pod in the team's namespace (or a second scrape job) exposing perfect series for the
  // canary: every request a success, fast. Were they counted, a bad canary would be promoted.
  const PERFECT: Traffic[] = [{ perScrape: 500, code: 200, bucket: 0.1 }];

  test('Argo Rollouts + Traefik: only Traefik\'s own pods (target label namespace) count', () => {
    const queries = argoQueries(synthesize(DeliveryEngine.argoRollouts(), TrafficRouter.traefik({ hosts: ['app.example.com'] })));
    const shapes = traefikShapes('podinfo-canary', 'podinfo-stable');
    const forged = traefikSeries(`${NAMESPACE}-podinfo-canary-80@kubernetescrd`, PERFECT, 'impostor-7f8d9c-abcde', { job: 'kubernetes-pods', namespace: NAMESPACE });
    check({ title: 'argo traefik forged series', expr: queries['request-success-rate'], shapes: { canary: shapes.canary, others: [...shapes.others, ...forged] }, expected: SUCCESS_PERCENT / 100, stale: 'none' });
  });

  test('Argo Rollouts + Istio: only the pods\' scrape job counts', () => {
    const queries = argoQueries(synthesize(DeliveryEngine.argoRollouts(), TrafficRouter.istio({ hosts: ['app.example.com'] })));
    const shapes = argoIstioShapes('podinfo');
    // The canary pods' series, perfect, under another job (as a second scrape config or a pushgateway would store them).
    const impostor = { pod: `podinfo-${CANARY_HASH}-zzzzz`, namespace: NAMESPACE, workload: 'podinfo', service: 'podinfo', podLabels: { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': CANARY_HASH } };
    const forged = istioSeries(impostor, [{ perScrape: 500, code: 200, bucket: 50 }]).map((s) => ({ ...s, series: s.series.replace('job="kubernetes-pods"', 'job="pushgateway"') }));
    expect(forged.every((s) => s.series.includes('job="pushgateway"'))).toBe(true);
    check({ title: 'argo istio forged job', expr: queries['request-success-rate'], shapes: { canary: shapes.canary, others: [...shapes.others, ...forged] }, expected: SUCCESS_PERCENT / 100, stale: 'none' });
  });
});

describe('the examples\' checks, as their controllers run them', () => {
  const examplesDir = path.join(__dirname, '..', '..', 'examples');

  function manifestsOf(example: string): any[] {
    const dir = path.join(examplesDir, example, 'manifests');
    return fs.readdirSync(dir).sort().flatMap((f) => yaml.loadAll(fs.readFileSync(path.join(dir, f), 'utf-8')) as any[]);
  }

  test('flagger-traefik: the built-ins and not-found-percentage (a MetricTemplate) over their windows', () => {
    const manifests = manifestsOf('flagger-traefik');
    const canary = only(manifests, 'Canary');
    const traefik = TrafficRouter.traefik({ hosts: ['app.example.com'] });
    const metrics = canary.spec.analysis.metrics;
    expect(metrics.map((m: any) => m.name)).toEqual(['request-success-rate', 'request-duration', 'not-found-percentage']);
    const window = (name: string) => metrics.find((m: any) => m.name === name).interval;
    check({ title: 'example success', expr: renderFlagger(traefik.builtInQuery(MetricKind.REQUEST_SUCCESS_RATE), window('request-success-rate')), shapes: traefikShapes('podinfo-canary', 'podinfo-primary'), expected: SUCCESS_PERCENT, stale: 'nan' });
    check({ title: 'example duration', expr: renderFlagger(traefik.builtInQuery(MetricKind.REQUEST_DURATION), window('request-duration')), shapes: traefikShapes('podinfo-canary', 'podinfo-primary'), expected: TRAEFIK_P99_MS, stale: 'nan' });

    // 3 of 4 requests are not 404s; the 404s are fast (first bucket), the 200s slower.
    const notFound: Traffic[] = [{ perScrape: 15, code: 200, bucket: 0.3 }, { perScrape: 5, code: 404, bucket: 0.1 }];
    const template = only(manifests, 'MetricTemplate', canary.spec.analysis.metrics[2].templateRef.name);
    const expr = renderFlagger(template.spec.query, window('not-found-percentage'));
    check({ title: 'example not-found', expr, shapes: traefikShapes('podinfo-canary', 'podinfo-primary', notFound), expected: 75, stale: 'nan' });

    // Flagger's tutorial sums every bucket of the duration histogram instead: a fast 404 falls into
    // five buckets, a 200 into four, so it reports 15 x 4 / (15 x 4 + 5 x 5) = 70.6 %, not 75 %.
    const tutorial = expr.split('traefik_service_requests_total').join('traefik_service_request_duration_seconds_bucket');
    const result = runPromtool(scenarios({ title: 'tutorial', expr: tutorial, shapes: traefikShapes('podinfo-canary', 'podinfo-primary', notFound), expected: 60 / 85 * 100, stale: 'nan' }));
    expect(result.ok).toBe(true);
  });

  test.each(['flagger-istio', 'flagger-istio-ab-test', 'flagger-istio-sticky'])('%s: the built-ins', (example) => {
    const metrics = only(manifestsOf(example), 'Canary').spec.analysis.metrics;
    const istio = TrafficRouter.istio();
    expect(metrics.map((m: any) => m.templateRef)).toEqual([undefined, undefined]);
    for (const metric of metrics) {
      const kind = metric.name === 'request-success-rate' ? MetricKind.REQUEST_SUCCESS_RATE : MetricKind.REQUEST_DURATION;
      const expected = kind === MetricKind.REQUEST_SUCCESS_RATE ? SUCCESS_PERCENT : ISTIO_P99_MS;
      check({ title: `${example} ${metric.name}`, expr: renderFlagger(istio.builtInQuery(kind), metric.interval), shapes: flaggerIstioShapes(), expected, stale: 'nan' });
    }
  });

  test.each([
    ['argo-traefik', () => traefikShapes('podinfo-canary', 'podinfo-stable'), TRAEFIK_P99_MS],
    ['argo-istio', () => argoIstioShapes('podinfo'), ISTIO_P99_MS],
  ])('%s: every metric of its AnalysisTemplates', (example, shapes, p99) => {
    const manifests = manifestsOf(example);
    const args = only(manifests, 'Rollout').spec.strategy.canary.analysis.args;
    const metrics = all(manifests, 'AnalysisTemplate').flatMap((t) => t.spec.metrics).filter((m: any) => m.provider.prometheus);
    expect(metrics.length).toBeGreaterThan(0);
    for (const metric of metrics) {
      const expected = metric.name === 'request-success-rate' ? SUCCESS_PERCENT / 100 : p99;
      check({ title: `${example} ${metric.name}`, expr: renderArgo(metric.provider.prometheus.query, args), shapes: shapes(), expected, stale: 'none' });
    }
  });
});

describe('the strategy examples\' checks, with the arguments of the analysis that runs them', () => {
  const examplesDir = path.join(__dirname, '..', '..', 'examples');
  const manifestsOf = (example: string) => {
    const dir = path.join(examplesDir, example, 'manifests');
    return fs.readdirSync(dir).sort().flatMap((f) => yaml.loadAll(fs.readFileSync(path.join(dir, f), 'utf-8')) as any[]);
  };
  /** Each Prometheus metric of the templates a reference names, rendered with that reference's arguments. */
  const queriesOf = (manifests: any[], reference: any) => reference.templates
    .flatMap(({ templateName }: any) => only(manifests, 'AnalysisTemplate', templateName).spec.metrics)
    .filter((m: any) => m.provider.prometheus)
    .map((m: any) => ({ name: m.name as string, expr: renderArgo(m.provider.prometheus.query, reference.args) }));
  const expectedOf = (name: string, p99: number) => (name === 'request-success-rate' ? SUCCESS_PERCENT / 100 : p99);

  test('argo-traefik-blue-green, before the switch: the preview Service alone, not the active one the old version still serves', () => {
    const manifests = manifestsOf('argo-traefik-blue-green');
    const queries = queriesOf(manifests, only(manifests, 'Rollout').spec.strategy.blueGreen.prePromotionAnalysis);
    expect(queries).toHaveLength(2);
    for (const { name, expr } of queries) {
      check({ title: `blue-green pre ${name}`, expr, shapes: traefikShapes('podinfo-preview', 'podinfo'), expected: expectedOf(name, TRAEFIK_P99_MS), stale: 'none' });
    }
  });

  test('argo-traefik-blue-green, after the switch: the active and the preview Service, both the new version now', () => {
    const manifests = manifestsOf('argo-traefik-blue-green');
    const queries = queriesOf(manifests, only(manifests, 'Rollout').spec.strategy.blueGreen.postPromotionAnalysis);
    expect(queries).toHaveLength(2);
    const active = traefikShapes('podinfo', 'podinfo-stable');
    const preview = traefikShapes('podinfo-preview', 'podinfo-canary');
    const both: Shapes = { canary: [...active.canary, ...preview.canary], others: [...active.others, ...preview.others] };
    for (const { name, expr } of queries) {
      check({ title: `blue-green post ${name}`, expr, shapes: both, expected: expectedOf(name, TRAEFIK_P99_MS), stale: 'none' });
    }
  });

  test('flagger-gateway-api: its MetricTemplates, as Flagger renders them', () => {
    const manifests = manifestsOf('flagger-gateway-api');
    const canary = only(manifests, 'Canary');
    const metrics = canary.spec.analysis.metrics;
    expect(metrics.map((m: any) => m.name)).toEqual(['success-rate', 'latency']);
    for (const metric of metrics) {
      const expr = renderFlagger(only(manifests, 'MetricTemplate', metric.templateRef.name).spec.query, metric.interval);
      const expected = metric.name === 'success-rate' ? SUCCESS_PERCENT : ISTIO_P99_MS;
      check({ title: `flagger-gateway-api ${metric.name}`, expr, shapes: gatewayShapes('podinfo-canary', 'podinfo-primary'), expected, stale: 'nan' });
    }
  });

  test('argo-gateway-api: every metric of its AnalysisTemplate, with the Rollout\'s arguments', () => {
    const manifests = manifestsOf('argo-gateway-api');
    const queries = queriesOf(manifests, only(manifests, 'Rollout').spec.strategy.canary.analysis);
    expect(queries).toHaveLength(2);
    for (const { name, expr } of queries) {
      check({ title: `argo-gateway-api ${name}`, expr, shapes: gatewayShapes('podinfo-canary', 'podinfo-stable'), expected: expectedOf(name, ISTIO_P99_MS), stale: 'none' });
    }
  });

  test('argo-istio-phased: every phase\'s step analysis reads the canary by its pod-template hash', () => {
    const manifests = manifestsOf('argo-istio-phased');
    const references = only(manifests, 'Rollout').spec.strategy.canary.steps.filter((s: any) => s.analysis).map((s: any) => s.analysis);
    const queries = references.flatMap((reference: any) => queriesOf(manifests, reference));
    expect(new Set(references.map((r: any) => r.templates[0].templateName))).toEqual(new Set(['podinfo-employees', 'podinfo-everyone', 'podinfo-acceptance']));
    expect(queries.length).toBeGreaterThanOrEqual(4);
    for (const { name, expr } of queries) {
      check({ title: `phased ${name}`, expr, shapes: argoIstioShapes('podinfo'), expected: expectedOf(name, ISTIO_P99_MS), stale: 'none' });
    }
  });
});

describe('the replica-ratio canary: the application\'s own metrics', () => {
  const examplesDir = path.join(__dirname, '..', '..', 'examples');
  const manifestsOf = (example: string) => {
    const dir = path.join(examplesDir, example, 'manifests');
    return fs.readdirSync(dir).sort().flatMap((f) => yaml.loadAll(fs.readFileSync(path.join(dir, f), 'utf-8')) as any[]);
  };

  test('argo-replica-ratio: every metric of its AnalysisTemplate, the new pods by their hash', () => {
    const manifests = manifestsOf('argo-replica-ratio');
    const args = only(manifests, 'Rollout').spec.strategy.canary.analysis.args;
    const metrics = only(manifests, 'AnalysisTemplate', 'podinfo').spec.metrics.filter((m: any) => m.provider.prometheus);
    expect(metrics).toHaveLength(2);
    for (const metric of metrics) {
      const expected = metric.name === 'request-success-rate' ? SUCCESS_PERCENT / 100 : APP_P99_MS;
      check({ title: `argo-replica-ratio ${metric.name}`, expr: renderArgo(metric.provider.prometheus.query, args), shapes: appShapes('argo'), expected, stale: 'none' });
    }
  });

  test('Flagger (provider kubernetes): the MetricTemplates read the canary Deployment\'s pods, not the primary\'s', () => {
    const chart = new Chart(Testing.app(), 'podinfo', { namespace: NAMESPACE });
    const router = TrafficRouter.replicaRatio({ metrics: ApplicationMetrics.httpHistogram({ port: 9898 }) });
    podinfo(chart, DeliveryEngine.flagger(), router, { strategy: DeliveryStrategy.blueGreen() });
    const manifests = Testing.synth(chart);
    const canary = only(manifests, 'Canary');
    expect(canary.spec.provider).toBe('kubernetes');
    for (const metric of canary.spec.analysis.metrics) {
      const expr = renderFlagger(only(manifests, 'MetricTemplate', metric.templateRef.name).spec.query, metric.interval);
      const expected = metric.name === 'success-rate' ? SUCCESS_PERCENT : APP_P99_MS;
      check({ title: `flagger replica-ratio ${metric.name}`, expr, shapes: appShapes('flagger'), expected, stale: 'nan' });
    }
  });
});

/**
 * What no user sent: the kubelet probes /healthz and /readyz on every pod and the embedded
 * Prometheus scrapes /metrics from them, and podinfo counts all three, with status 200, in the
 * histogram the checks read. Fast (first bucket), so they would pull the P99 down too.
 */
const PROBES_AND_SCRAPES: Traffic[] = [
  { perScrape: 1, code: 200, bucket: 0.005, path: 'healthz' },
  { perScrape: 1, code: 200, bucket: 0.005, path: 'readyz' },
  { perScrape: 1, code: 200, bucket: 0.005, path: 'metrics' },
];

describe('application metrics leave out the probes\' and the scrapes\' requests', () => {
  const examplesDir = path.join(__dirname, '..', '..', 'examples');
  const manifestsOf = (example: string) => {
    const dir = path.join(examplesDir, example, 'manifests');
    return fs.readdirSync(dir).sort().flatMap((f) => yaml.loadAll(fs.readFileSync(path.join(dir, f), 'utf-8')) as any[]);
  };
  /** The pods of `appShapes`, each also answering probes and scrapes. */
  function noisyAppShapes(engine: 'flagger' | 'argo', userTraffic: boolean): Shapes {
    const canaryLabels: { [key: string]: string } = engine === 'flagger'
      ? { 'app.kubernetes.io/name': 'podinfo' } : { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': CANARY_HASH };
    const otherLabels: { [key: string]: string } = engine === 'flagger'
      ? { 'app.kubernetes.io/name': 'podinfo-primary' } : { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': STABLE_HASH };
    const pod = (name: string, labels: { [key: string]: string }) => ({ pod: name, namespace: NAMESPACE, podLabels: labels });
    const canaryPods = ['podinfo-6c9f8d7b5-k2x4p', 'podinfo-6c9f8d7b5-m7q9r'].map((name) => pod(name, canaryLabels));
    const other = pod(engine === 'flagger' ? 'podinfo-primary-58f9c7d6b-z8w2t' : `podinfo-${STABLE_HASH}-r5t7y`, otherLabels);
    return {
      canary: canaryPods.flatMap((p) => appHistogramSeries(p, userTraffic ? [...CANARY_APP, ...PROBES_AND_SCRAPES] : PROBES_AND_SCRAPES)),
      others: appHistogramSeries(other, [...BAD_APP, ...PROBES_AND_SCRAPES]),
    };
  }
  /** Each check of a service, as its controller runs it. */
  function checksOf(engine: 'flagger' | 'argo'): { name: string; expr: string }[] {
    if (engine === 'argo') {
      const manifests = manifestsOf('argo-replica-ratio');
      const args = only(manifests, 'Rollout').spec.strategy.canary.analysis.args;
      return only(manifests, 'AnalysisTemplate', 'podinfo').spec.metrics.filter((m: any) => m.provider.prometheus)
        .map((m: any) => ({ name: m.name, expr: renderArgo(m.provider.prometheus.query, args) }));
    }
    const chart = new Chart(Testing.app(), 'podinfo', { namespace: NAMESPACE });
    const router = TrafficRouter.replicaRatio({ metrics: ApplicationMetrics.httpHistogram({ port: 9898 }) });
    podinfo(chart, DeliveryEngine.flagger(), router, { strategy: DeliveryStrategy.blueGreen() });
    const manifests = Testing.synth(chart);
    return only(manifests, 'Canary').spec.analysis.metrics
      .map((m: any) => ({ name: m.name, expr: renderFlagger(only(manifests, 'MetricTemplate', m.templateRef.name).spec.query, m.interval) }));
  }
  const expectedOf = (engine: 'flagger' | 'argo', name: string) => {
    if (name === 'request-duration' || name === 'latency') return APP_P99_MS;
    return engine === 'flagger' ? SUCCESS_PERCENT : SUCCESS_PERCENT / 100;
  };

  test.each(['flagger', 'argo'] as const)('%s: one sample for the canary\'s users, unchanged by probes, scrapes and a bad other version; none without users', (engine) => {
    const checks = checksOf(engine);
    expect(checks.map((c) => c.name)).toEqual(engine === 'flagger' ? ['success-rate', 'latency'] : ['request-success-rate', 'request-duration']);
    for (const { name, expr } of checks) {
      const withUsers = noisyAppShapes(engine, true);
      const withoutUsers = noisyAppShapes(engine, false);
      const result = runPromtool([
        { name: `${engine} ${name}: users, probes and scrapes`, interval: '5s', series: withUsers.canary, expectations: [{ expr, evalTime: EVAL_TIME, value: expectedOf(engine, name) }] },
        { name: `${engine} ${name}: and a bad other version`, interval: '5s', series: [...withUsers.canary, ...withUsers.others], expectations: [{ expr, evalTime: EVAL_TIME, value: expectedOf(engine, name) }] },
        { name: `${engine} ${name}: probes and scrapes only`, interval: '5s', series: [...withoutUsers.canary, ...withoutUsers.others], expectations: [{ expr, evalTime: EVAL_TIME }] },
      ]);
      expect({ check: name, passed: result.ok, output: result.ok ? '' : result.output }).toEqual({ check: name, passed: true, output: '' });
    }
  });

  test.each(['flagger', 'argo'] as const)('%s: without the path matcher, probes and scrapes alone would pass the canary (what the matcher prevents)', (engine) => {
    const success = checksOf(engine).find((c) => c.name.includes('success-rate'))!.expr;
    const unfiltered = success.split(',path!~"/healthz|healthz|/metrics|metrics|/readyz|readyz"').join('');
    expect(unfiltered).not.toBe(success);
    const probesOnly = noisyAppShapes(engine, false);
    const result = runPromtool([{
      name: 'unfiltered',
      interval: '5s',
      series: [...probesOnly.canary, ...probesOnly.others],
      expectations: [{ expr: unfiltered, evalTime: EVAL_TIME, value: engine === 'flagger' ? 100 : 1 }],
    }]);
    expect({ passed: result.ok, output: result.ok ? '' : result.output }).toEqual({ passed: true, output: '' });
  });

  test.each([
    ['flagger', 'pod=~"{{ target }}-[0-9a-z]+-[0-9a-z]+"'],
    ['argo', 'rollouts_pod_template_hash="{{args.canary-hash}}"'],
  ] as const)('%s: the pod selector the canary-selection message suggests (%s) selects the canary pods alone', (engine, selector) => {
    const query = `sum(rate(http_request_duration_seconds_count{${selector},path="root"}[1m]))`;
    const expr = engine === 'flagger' ? renderFlagger(query) : renderArgo(query, [{ name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } }]);
    const shapes = noisyAppShapes(engine, true);
    // Two canary pods with 20 user requests per 5 s scrape each: 8 per second; the other version's 10 per second are not counted.
    const result = runPromtool([{ name: 'pods', interval: '5s', series: [...shapes.canary, ...shapes.others], expectations: [{ expr, evalTime: EVAL_TIME, value: 8 }] }]);
    expect({ passed: result.ok, output: result.ok ? '' : result.output }).toEqual({ passed: true, output: '' });
  });

  test.each(['flagger', 'argo'] as const)('%s: compareToPrimary has nothing to compare when only probes and scrapes reach either version', (engine) => {
    const chart = new Chart(Testing.app(), 'podinfo', { namespace: NAMESPACE });
    new CanaryService(chart, 'podinfo', {
      gitOps: GitOps.none(),
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
      containerPort: 9898,
      readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }),
      liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9898 }),
      engine: engine === 'flagger' ? DeliveryEngine.flagger() : DeliveryEngine.argoRollouts(),
      router: TrafficRouter.replicaRatio({ metrics: ApplicationMetrics.httpHistogram({ port: 9898 }) }),
      strategy: engine === 'flagger' ? DeliveryStrategy.blueGreen() : undefined,
      analysis: {
        metrics: [CanaryMetric.compareToPrimary({ measure: ComparedMeasure.ERROR_RATE, maxRatio: 1.5 })],
        webhooks: [CanaryWebhook.loadTest()],
      },
    });
    const manifests = Testing.synth(chart);
    const expr = engine === 'flagger'
      ? renderFlagger(only(manifests, 'MetricTemplate', 'podinfo-error-rate-vs-primary').spec.query)
      : renderArgo(all(manifests, 'AnalysisTemplate').flatMap((t) => t.spec.metrics).find((m: any) => m.name === 'error-rate-vs-primary').provider.prometheus.query,
        only(manifests, 'Rollout').spec.strategy.canary.analysis.args);
    // Users: the canary fails 25 %, the other version (BAD_APP) 100 %: a ratio of 0.25; probes and scrapes change nothing.
    const withUsers = noisyAppShapes(engine, true);
    const probesOnly = noisyAppShapes(engine, false);
    const result = runPromtool([
      { name: 'users', interval: '5s', series: [...withUsers.canary, ...withUsers.others], expectations: [{ expr, evalTime: EVAL_TIME, value: 0.25 }] },
      {
        name: 'probes and scrapes only',
        interval: '5s',
        series: [...probesOnly.canary, ...probesOnly.others.filter((s) => !s.series.includes('path="root"'))],
        expectations: [{ expr, evalTime: EVAL_TIME }],
      },
    ]);
    expect({ passed: result.ok, output: result.ok ? '' : result.output }).toEqual({ passed: true, output: '' });
  });
});

describe('canary versus primary (CanaryMetric.compareToPrimary): one query per router and engine', () => {
  type Versions = (canary: Traffic[], baseline: Traffic[]) => InputSeries[];
  const traefikPods = ['traefik-5d9f7c6b8-abcde', 'traefik-5d9f7c6b8-fghij'];
  const traefik = (baseline: string): Versions => (canary, base) => traefikPods.flatMap((pod) => [
    ...traefikSeries(`${NAMESPACE}-podinfo-canary-80@kubernetescrd`, canary, pod),
    ...traefikSeries(`${NAMESPACE}-${baseline}-80@kubernetescrd`, base, pod),
  ]);
  const istioPod = (pod: string, workload: string, labels: { [key: string]: string }) => ({ pod, namespace: NAMESPACE, workload, service: 'podinfo', podLabels: labels });
  const flaggerIstio: Versions = (canary, base) => [
    ...istioSeries(istioPod('podinfo-6c9f8d7b5-k2x4p', 'podinfo', { 'app.kubernetes.io/name': 'podinfo' }), canary),
    ...istioSeries(istioPod('podinfo-primary-58f9c7d6b-z8w2t', 'podinfo-primary', { 'app.kubernetes.io/name': 'podinfo-primary' }), base),
  ];
  const argoIstio: Versions = (canary, base) => [
    ...istioSeries(istioPod(`podinfo-${CANARY_HASH}-q4w8e`, 'podinfo', { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': CANARY_HASH }), canary),
    ...istioSeries(istioPod(`podinfo-${STABLE_HASH}-r5t7y`, 'podinfo', { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': STABLE_HASH }), base),
  ];
  const gateway = (baseline: string): Versions => (canary, base) => [
    ...gatewayIstioSeries({ pod: 'gateway-istio-7c9d8f6b5-abcde', namespace: NAMESPACE, gateway: 'gateway' }, { service: 'podinfo-canary', namespace: NAMESPACE, workload: 'podinfo' }, canary),
    ...gatewayIstioSeries({ pod: 'gateway-istio-7c9d8f6b5-abcde', namespace: NAMESPACE, gateway: 'gateway' }, { service: baseline, namespace: NAMESPACE, workload: baseline }, base),
  ];
  const app = (engine: 'flagger' | 'argo'): Versions => (canary, base) => [
    ...appHistogramSeries({ pod: 'podinfo-6c9f8d7b5-k2x4p', namespace: NAMESPACE, podLabels: engine === 'flagger' ? { 'app.kubernetes.io/name': 'podinfo' } : { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': CANARY_HASH } }, canary),
    ...appHistogramSeries({ pod: 'podinfo-5c4b7d9f2-r5t7y', namespace: NAMESPACE, podLabels: engine === 'flagger' ? { 'app.kubernetes.io/name': 'podinfo-primary' } : { 'app.kubernetes.io/name': 'podinfo', 'rollouts-pod-template-hash': STABLE_HASH } }, base),
  ];
  const replica = () => TrafficRouter.replicaRatio({ metrics: ApplicationMetrics.httpHistogram({ port: 9898 }) });
  // Buckets (router units) that requests fall into: fast and slow, with their P99 in milliseconds.
  const cases: [string, string, () => ITrafficRouter, Versions, { fast: number; slow: number; fastMs: number; slowMs: number }][] = [
    ['flagger', 'traefik', () => TrafficRouter.traefik({ hosts: ['app.example.com'] }), traefik('podinfo-primary'), { fast: 0.3, slow: 1.2, fastMs: 298, slowMs: 1191 }],
    ['argo', 'traefik', () => TrafficRouter.traefik({ hosts: ['app.example.com'] }), traefik('podinfo-stable'), { fast: 0.3, slow: 1.2, fastMs: 298, slowMs: 1191 }],
    ['flagger', 'istio', () => TrafficRouter.istio({ hosts: ['app.example.com'] }), flaggerIstio, { fast: 250, slow: 1000, fastMs: 248.5, slowMs: 995 }],
    ['argo', 'istio', () => TrafficRouter.istio({ hosts: ['app.example.com'] }), argoIstio, { fast: 250, slow: 1000, fastMs: 248.5, slowMs: 995 }],
    ['flagger', 'gateway-api', () => TrafficRouter.gatewayApi({ hosts: ['app.example.com'] }), gateway('podinfo-primary'), { fast: 250, slow: 1000, fastMs: 248.5, slowMs: 995 }],
    ['argo', 'gateway-api', () => TrafficRouter.gatewayApi({ hosts: ['app.example.com'] }), gateway('podinfo-stable'), { fast: 250, slow: 1000, fastMs: 248.5, slowMs: 995 }],
    ['flagger', 'replica-ratio', replica, app('flagger'), { fast: 0.25, slow: 1, fastMs: 248.5, slowMs: 995 }],
    ['argo', 'replica-ratio', replica, app('argo'), { fast: 0.25, slow: 1, fastMs: 248.5, slowMs: 995 }],
  ];

  test.each(cases)('%s with %s', (engine, _router, router, versions, b) => {
    const chart = new Chart(Testing.app(), 'podinfo', { namespace: NAMESPACE });
    new CanaryService(chart, 'podinfo', {
      gitOps: GitOps.none(),
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
      containerPort: 9898,
      readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }),
      liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9898 }),
      engine: engine === 'flagger' ? DeliveryEngine.flagger() : DeliveryEngine.argoRollouts(),
      router: router(),
      strategy: engine === 'flagger' && _router === 'replica-ratio' ? DeliveryStrategy.blueGreen() : undefined,
      analysis: {
        metrics: [
          CanaryMetric.compareToPrimary({ measure: ComparedMeasure.ERROR_RATE, maxRatio: 1.5 }),
          CanaryMetric.compareToPrimary({ measure: ComparedMeasure.LATENCY_P99, maxDifference: 100 }),
        ],
        webhooks: [CanaryWebhook.loadTest()],
      },
    });
    const manifests = Testing.synth(chart);
    const queryOf = (metric: string) => {
      if (engine === 'flagger') return renderFlagger(only(manifests, 'MetricTemplate', `podinfo-${metric}`).spec.query);
      const rollout = only(manifests, 'Rollout').spec.strategy;
      const args = (rollout.canary ?? rollout.blueGreen.prePromotionAnalysis).analysis?.args ?? rollout.blueGreen.prePromotionAnalysis.args;
      const template = all(manifests, 'AnalysisTemplate').flatMap((t) => t.spec.metrics).find((m: any) => m.name === metric);
      return renderArgo(template.provider.prometheus.query, args);
    };
    const errors = queryOf('error-rate-vs-primary');
    const latency = queryOf('latency-vs-primary');
    const quarterFailing = (bucket: number): Traffic[] => [{ perScrape: 15, code: 200, bucket }, { perScrape: 5, code: 503, bucket }];
    const result = runPromtool([
      {
        // A bad day for both (a slow database): equally bad is not the canary's fault.
        name: 'equally bad',
        interval: '5s',
        series: versions(quarterFailing(b.slow), quarterFailing(b.slow)),
        expectations: [{ expr: errors, evalTime: EVAL_TIME, value: 1 }, { expr: latency, evalTime: EVAL_TIME, value: 0 }],
      },
      {
        // The canary fails 25 % and is slow; the primary fails 5 % and is fast.
        name: 'canary worse',
        interval: '5s',
        series: versions(quarterFailing(b.slow), [{ perScrape: 19, code: 200, bucket: b.fast }, { perScrape: 1, code: 503, bucket: b.fast }]),
        expectations: [{ expr: errors, evalTime: EVAL_TIME, value: 5 }, { expr: latency, evalTime: EVAL_TIME, value: b.slowMs - b.fastMs }],
      },
      {
        // Neither version had a request: nothing to compare, no sample (the check fails).
        name: 'no traffic',
        interval: '5s',
        series: stale(versions(quarterFailing(b.slow), quarterFailing(b.fast))),
        expectations: [{ expr: `count(${errors}) or vector(0)`, evalTime: EVAL_TIME, value: 0 }, { expr: `count(${latency}) or vector(0)`, evalTime: EVAL_TIME, value: 0 }],
      },
    ]);
    expect({ passed: result.ok, output: result.ok ? '' : result.output }).toEqual({ passed: true, output: '' });
  });
});

/**
 * gRPC on Istio: a failed call is HTTP 200 with a gRPC status. The canary: 12 OK, 3 NotFound (a
 * client error, which does not fail a canary, as an HTTP 404 does not) and 5 Unavailable per
 * scrape: 75 % succeed. The primary or stable version fails every call with Internal.
 */
const CANARY_GRPC: Traffic[] = [
  { perScrape: 12, code: 200, grpcStatus: 0, bucket: 250 },
  { perScrape: 3, code: 200, grpcStatus: 5, bucket: 250 },
  { perScrape: 5, code: 200, grpcStatus: 14, bucket: 250 },
];
const BAD_GRPC: Traffic[] = [{ perScrape: 50, code: 200, grpcStatus: 13, bucket: 5000 }];

describe('gRPC on Istio (ServiceProtocol.GRPC): the checks count gRPC server errors', () => {
  function grpcService(engine: IDeliveryEngine, router: ITrafficRouter): any[] {
    const chart = new Chart(Testing.app(), 'podinfo', { namespace: NAMESPACE });
    new CanaryService(chart, 'podinfo', {
      gitOps: GitOps.none(),
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
      containerPort: 9999,
      port: 9999,
      protocol: ServiceProtocol.GRPC,
      engine,
      router,
      analysis: { webhooks: [CanaryWebhook.loadTest({ tool: LoadTool.GHZ, grpcCall: 'grpc.health.v1.Health/Check' })] },
    });
    return Testing.synth(chart);
  }
  const flaggerTemplates = grpcService(DeliveryEngine.flagger(), TrafficRouter.istio());
  const flaggerQuery = (name: string) => renderFlagger(only(flaggerTemplates, 'MetricTemplate', name).spec.query);

  test('Flagger\'s own Istio success rate would pass every failed gRPC call (why the check is a MetricTemplate)', () => {
    const own = renderFlagger(TrafficRouter.istio().builtInQuery(MetricKind.REQUEST_SUCCESS_RATE));
    const result = runPromtool([{ name: 'own', interval: '5s', series: flaggerIstioShapes(CANARY_GRPC, BAD_GRPC).canary, expectations: [{ expr: own, evalTime: EVAL_TIME, value: 100 }] }]);
    expect(result.output).toContain('SUCCESS');
  });

  test('Flagger, success rate: the canary workload\'s gRPC server errors', () => {
    check({ title: 'flagger istio grpc success', expr: flaggerQuery('podinfo-success-rate'), shapes: flaggerIstioShapes(CANARY_GRPC, BAD_GRPC), expected: SUCCESS_PERCENT, stale: 'nan' });
  });

  test('Flagger, P99 duration in milliseconds', () => {
    check({ title: 'flagger istio grpc duration', expr: flaggerQuery('podinfo-latency'), shapes: flaggerIstioShapes(CANARY_GRPC, BAD_GRPC), expected: ISTIO_P99_MS, stale: 'nan' });
  });

  test.each([
    ['subset routing', IstioRoutingMode.SUBSET, 'podinfo'],
    ['host routing', IstioRoutingMode.HOST, 'podinfo-canary'],
  ])('Argo Rollouts with %s: success rate and duration of the canary pods', (_mode, routingMode, service) => {
    const queries = argoQueries(grpcService(DeliveryEngine.argoRollouts(), TrafficRouter.istio({ hosts: ['app.example.com'], routingMode })));
    check({ title: `argo istio grpc ${routingMode} success`, expr: queries['request-success-rate'], shapes: argoIstioShapes(service, CANARY_GRPC, BAD_GRPC), expected: SUCCESS_PERCENT / 100, stale: 'none' });
    check({ title: `argo istio grpc ${routingMode} duration`, expr: queries['request-duration'], shapes: argoIstioShapes(service, CANARY_GRPC, BAD_GRPC), expected: ISTIO_P99_MS, stale: 'none' });
  });

  test('the example flagger-istio-grpc measures its canary, greeter, the same way', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const manifests = Testing.synth(require('../../examples/flagger-istio-grpc/main').build(fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-'))).charts[0]);
    const query = only(manifests, 'MetricTemplate', 'greeter-success-rate').spec.query;
    expect(renderFlagger(query).replace(/podinfo/g, 'greeter')).toBe(flaggerQuery('podinfo-success-rate').replace(/podinfo/g, 'greeter'));
  });
});

describe('the harness can fail', () => {
  test('a query that mixes in the primary\'s traffic is caught', () => {
    const wrong = 'sum(rate(traefik_service_request_duration_seconds_bucket{code!~"5..",le="+Inf"}[1m])) / sum(rate(traefik_service_request_duration_seconds_bucket{le="+Inf"}[1m])) * 100';
    expect(runPromtool(scenarios({ title: 'wrong', expr: wrong, shapes: traefikShapes('podinfo-canary', 'podinfo-primary'), expected: SUCCESS_PERCENT, stale: 'nan' })).ok).toBe(false);
  });

  test('a query that returns one sample per pod is caught', () => {
    const perPod = 'sum by (pod) (rate(traefik_service_request_duration_seconds_bucket{service=~"test-podinfo-canary-.*",code!~"5..",le="+Inf"}[1m])) / ignoring(code) sum by (pod) (rate(traefik_service_request_duration_seconds_bucket{service=~"test-podinfo-canary-.*",le="+Inf"}[1m])) * 100';
    expect(runPromtool(scenarios({ title: 'per pod', expr: perPod, shapes: traefikShapes('podinfo-canary', 'podinfo-primary'), expected: SUCCESS_PERCENT, stale: 'nan' })).ok).toBe(false);
  });
});
