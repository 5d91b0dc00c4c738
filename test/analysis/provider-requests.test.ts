import { Chart, Duration, Testing } from 'cdk8s';
import {
  HttpRequest, NERDGRAPH_NRQL_QUERY, argoCloudWatchInput, argoCondition, argoDatadogRequest, argoDatadogResult, argoGraphiteRequest,
  argoGraphiteResult, argoNewRelicRequest, argoNewRelicResult, argoResolve, flaggerCloudWatchInput, flaggerCloudWatchValue,
  flaggerDatadogRequest, flaggerDatadogValue, flaggerGraphiteRequest, flaggerGraphiteValue, flaggerNewRelicRequest, flaggerNewRelicValue,
  flaggerPasses, flaggerRender, goEncodeQuery, goParseQuery,
} from './controller-requests';
import { CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, GitOps, IDeliveryEngine, TrafficRouter } from '../../src';
import { only, synth } from '../synth';

/**
 * The exact request each controller sends for each backend, from the synthesized manifests, and
 * how it reads the answer (test/analysis/controller-requests.ts follows each controller's source:
 * Flagger v1.44.0 pkg/metrics/providers, Argo Rollouts v1.9.1 metricproviders).
 */

const NOW = 1767225600; // 2026-01-01T00:00:00Z
const GRAPHITE_TARGET = 'aliasByNode(sumSeries(stats.{{ namespace }}.{{ target }}-canary.{errors,timeouts}), 2)';
const TAGGED_TARGET = "seriesByTag('name=http.errors', 'app={{ target }}')";
const NRQL = "SELECT filter(count(*), WHERE error IS true) / count(*) * 100 FROM Transaction WHERE appName = '{{ target }}-canary'";

function metrics(engine: 'flagger' | 'argo'): CanaryMetric[] {
  return [
    CanaryMetric.datadog({
      name: 'datadog-errors', query: 'sum:trace.http.request.errors{service:{{ target }},version:canary}.as_count()', max: 5, secretName: 'datadog', interval: Duration.minutes(2),
    }),
    CanaryMetric.newRelic({ name: 'newrelic-errors', query: NRQL, max: 1, secretName: 'newrelic' }),
    CanaryMetric.cloudWatch({
      name: 'cloudwatch-errors',
      region: 'eu-west-1',
      max: 1,
      interval: Duration.seconds(90),
      metricDataQueries: [
        { id: 'errors', metricStat: { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', dimensions: { TargetGroup: 'podinfo-canary' }, stat: 'Sum', period: Duration.minutes(1) } },
        { id: 'rate', expression: 'errors * 100' },
      ],
    }),
    CanaryMetric.graphite({ name: 'graphite-errors', query: GRAPHITE_TARGET, address: 'http://graphite.monitoring:8080', max: 3, secretName: engine === 'flagger' ? 'graphite-auth' : undefined }),
    CanaryMetric.graphite({ name: 'graphite-tagged', query: TAGGED_TARGET, address: 'https://graphite.example.com/graphite', max: 3 }),
  ];
}

function declare(engine: IDeliveryEngine, kind: 'flagger' | 'argo'): any[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  new CanaryService(chart, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine,
    router: TrafficRouter.istio(),
    analysis: { interval: Duration.seconds(30), metrics: metrics(kind), webhooks: [CanaryWebhook.loadTest()] },
  });
  return synth(chart);
}

const DATADOG_SECRET = { datadog_api_key: 'dd-api', datadog_application_key: 'dd-app' };
const NEWRELIC_SECRET = { newrelic_account_id: '51312', newrelic_query_key: 'nr-query-key' };

describe('Flagger: each MetricTemplate, rendered and sent as pkg/metrics/providers sends it', () => {
  const manifests = declare(DeliveryEngine.flagger(), 'flagger');
  const canary = only(manifests, 'Canary');
  /** The template, and the query Flagger renders with the Canary's model (scheduler_metrics.go runMetricChecks). */
  const prepared = (name: string) => {
    const metric = canary.spec.analysis.metrics.find((m: any) => m.name === name);
    const template = only(manifests, 'MetricTemplate', metric.templateRef.name);
    const query = flaggerRender(template.spec.query, { name: 'podinfo', namespace: 'test', target: 'podinfo', service: 'podinfo', interval: metric.interval });
    return { metric, spec: template.spec, query };
  };

  test('Datadog: GET /api/v1/query over 10 x the interval, both keys as headers; the oldest point is the value', () => {
    const { metric, spec, query } = prepared('datadog-errors');
    expect(metric.interval).toBe('2m');
    expect(flaggerDatadogRequest(spec, query, metric.interval, DATADOG_SECRET, NOW)).toEqual<HttpRequest>({
      method: 'GET',
      url: `https://api.datadoghq.com/api/v1/query?from=${NOW - 1200}&query=sum%3Atrace.http.request.errors%7Bservice%3Apodinfo%2Cversion%3Acanary%7D.as_count%28%29&to=${NOW}`,
      headers: { 'DD-API-KEY': 'dd-api', 'DD-APPLICATION-KEY': 'dd-app' },
    });
    // Oldest 7, newest 2: Flagger reads 7 and halts at max 5.
    const answer = { series: [{ pointlist: [[(NOW - 1200) * 1000, 7], [NOW * 1000, 2]] }] };
    expect(flaggerDatadogValue(answer)).toBe(7);
    expect(flaggerPasses(flaggerDatadogValue(answer), metric.thresholdRange)).toBe(false);
    expect(flaggerPasses(flaggerDatadogValue({ series: [] }), metric.thresholdRange)).toBe(false);
  });

  test('New Relic: GET /v1/accounts/<id>/query with the query and Flagger\'s own SINCE; the value is the row\'s `result`', () => {
    const { metric, spec, query } = prepared('newrelic-errors');
    expect(spec.query).toBe(NRQL);
    expect(flaggerNewRelicRequest(spec, query, metric.interval, NEWRELIC_SECRET)).toEqual<HttpRequest>({
      method: 'GET',
      url: 'https://insights-api.newrelic.com/v1/accounts/51312/query?nrql=SELECT+filter%28count%28%2A%29%2C+WHERE+error+IS+true%29+%2F+count%28%2A%29+%2A+100+FROM+Transaction+WHERE+appName+%3D+%27podinfo-canary%27+SINCE+60+seconds+ago',
      headers: { 'X-Query-Key': 'nr-query-key' },
    });
    expect(goParseQuery(flaggerNewRelicRequest(spec, query, metric.interval, NEWRELIC_SECRET).url.split('?')[1]).get('nrql'))
      .toEqual(["SELECT filter(count(*), WHERE error IS true) / count(*) * 100 FROM Transaction WHERE appName = 'podinfo-canary' SINCE 60 seconds ago"]);
    // An arithmetic expression is answered under `result`; an alias or a lone function is not, and Flagger halts.
    expect(flaggerPasses(flaggerNewRelicValue({ results: [{ result: 0.4 }] }), metric.thresholdRange)).toBe(true);
    expect(flaggerPasses(flaggerNewRelicValue({ results: [{ result: 4 }] }), metric.thresholdRange)).toBe(false);
    expect(flaggerNewRelicValue({ results: [{ value: 0.4 }] })).toBeUndefined();
    expect(flaggerNewRelicValue({ results: [{ sum: 0.4 }] })).toBeUndefined();
  });

  test('CloudWatch: GetMetricData over 10 x the interval, at most 20 points; the first result\'s first (newest) value', () => {
    const { metric, spec, query } = prepared('cloudwatch-errors');
    expect(flaggerCloudWatchInput(spec, query, metric.interval, NOW)).toEqual({
      region: 'eu-west-1',
      StartTime: NOW - 900,
      EndTime: NOW,
      MaxDatapoints: 20,
      MetricDataQueries: [
        { Id: 'errors', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [{ Name: 'TargetGroup', Value: 'podinfo-canary' }] }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        { Id: 'rate', Expression: 'errors * 100', ReturnData: true },
      ],
    });
    expect(flaggerCloudWatchValue({ MetricDataResults: [{ Id: 'rate', Values: [0.4, 2] }] })).toBe(0.4);
  });

  test('Graphite: GET <address>/render with format, from and the target, basic auth from the Secret; the newest non-null point', () => {
    const { spec, query } = prepared('graphite-errors');
    expect(spec.query).toBe('target=aliasByNode(sumSeries(stats.{{ namespace }}.{{ target }}-canary.%7Berrors%2Ctimeouts%7D)%2C%202)&from=-60s');
    expect(flaggerGraphiteRequest(spec, query, { username: 'flagger', password: 's3cret' })).toEqual<HttpRequest>({
      method: 'GET',
      url: 'http://graphite.monitoring:8080/render?format=json&from=-60s&target=aliasByNode%28sumSeries%28stats.test.podinfo-canary.%7Berrors%2Ctimeouts%7D%29%2C+2%29',
      headers: { Authorization: `Basic ${Buffer.from('flagger:s3cret').toString('base64')}` },
    });
    const { metric } = prepared('graphite-errors');
    // Oldest 1, then 9, then an incomplete (null) bucket: Flagger reads 9 and halts at max 3.
    expect(flaggerGraphiteValue([{ target: 'errors', datapoints: [[1, NOW - 50], [9, NOW - 20], [null, NOW]] }])).toBe(9);
    expect(flaggerPasses(9, metric.thresholdRange)).toBe(false);
  });

  test('Graphite: a tagged series keeps its `=` and quotes, and an address with a path keeps it', () => {
    const { spec, query } = prepared('graphite-tagged');
    const request = flaggerGraphiteRequest(spec, query);
    expect(request.url).toBe('https://graphite.example.com/graphite/render?format=json&from=-60s&target=seriesByTag%28%27name%3Dhttp.errors%27%2C+%27app%3Dpodinfo%27%29');
    expect(goParseQuery(request.url.split('?')[1]).get('target')).toEqual(["seriesByTag('name=http.errors', 'app=podinfo')"]);
    expect(request.headers).toEqual({});
  });
});

describe('Argo Rollouts: each provider of the AnalysisTemplate, resolved and sent as metricproviders sends it', () => {
  const manifests = declare(DeliveryEngine.argoRollouts(), 'argo');
  const rollout = only(manifests, 'Rollout');
  const args = Object.fromEntries(rollout.spec.strategy.canary.analysis.args
    .filter((a: any) => a.value !== undefined).map((a: any) => [a.name, a.value]));
  const metricOf = (name: string) => {
    const metric = only(manifests, 'AnalysisTemplate', 'podinfo').spec.metrics.find((m: any) => m.name === name);
    return JSON.parse(argoResolve(JSON.stringify(metric), args));
  };

  test('Datadog: POST /api/v2/query/scalar over one interval, aggregator last, the Secret of the Rollout\'s namespace', () => {
    const metric = metricOf('datadog-errors');
    expect(metric.provider.datadog.secretRef).toEqual({ name: 'datadog', namespaced: true });
    const request = argoDatadogRequest(metric.provider.datadog, { 'api-key': 'dd-api', 'app-key': 'dd-app' }, NOW);
    expect(request).toEqual<HttpRequest>({
      method: 'POST',
      url: 'https://api.datadoghq.com/api/v2/query/scalar',
      headers: { 'Content-Type': 'application/json', 'DD-API-KEY': 'dd-api', 'DD-APPLICATION-KEY': 'dd-app' },
      body: `{"data":{"attributes":{"from":${(NOW - 120) * 1000},"to":${NOW * 1000},"queries":[{"aggregator":"last","data_source":"metrics","name":"query","query":"sum:trace.http.request.errors{service:podinfo,version:canary}.as_count()"}],"formulas":[]},"type":"scalar_request"}}`,
    });
    // The same series as Flagger's: Argo Rollouts reads the newest point (2) and passes.
    const result = argoDatadogResult({ data: { attributes: { columns: [{ values: [2] }] } } });
    expect(argoCondition(metric.successCondition, result)).toBe(true);
    expect(argoCondition(metric.successCondition, argoDatadogResult({ data: { attributes: { columns: [] } } }))).toBe(false);
  });

  test('New Relic: NerdGraph with the query, the value named `value` and the window appended; the condition reads result.value', () => {
    const metric = metricOf('newrelic-errors');
    const query = "SELECT filter(count(*), WHERE error IS true) / count(*) * 100 AS value FROM Transaction WHERE appName = 'podinfo-canary' SINCE 60 seconds ago";
    expect(metric.provider.newRelic).toEqual({ profile: 'newrelic', query });
    expect(argoNewRelicRequest(metric.provider.newRelic, { 'personal-api-key': 'NRAK-1', 'account-id': '51312' })).toEqual<HttpRequest>({
      method: 'POST',
      url: 'https://api.newrelic.com/graphql',
      headers: { 'Api-Key': 'NRAK-1', 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: NERDGRAPH_NRQL_QUERY, variables: { accountId: 51312, query, timeout: 5 } }),
    });
    expect(argoCondition(metric.successCondition, argoNewRelicResult([{ value: 0.4 }]))).toBe(true);
    expect(argoCondition(metric.successCondition, argoNewRelicResult([{ value: 4 }]))).toBe(false);
    expect(argoCondition(metric.successCondition, argoNewRelicResult([{ result: 0.4 }]))).toBe(false);
  });

  test('CloudWatch: GetMetricData over one interval; the condition reads the first result\'s first (newest) value', () => {
    const metric = metricOf('cloudwatch-errors');
    expect(argoCloudWatchInput(metric.provider.cloudWatch, NOW)).toEqual({
      StartTime: NOW - 90,
      EndTime: NOW,
      MetricDataQueries: [
        { Id: 'errors', MetricStat: { Metric: { Dimensions: [{ Name: 'TargetGroup', Value: 'podinfo-canary' }], MetricName: 'HTTPCode_Target_5XX_Count', Namespace: 'AWS/ApplicationELB' }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        { Id: 'rate', Expression: 'errors * 100', ReturnData: true },
      ],
    });
    expect(argoCondition(metric.successCondition, [{ Id: 'rate', Values: [0.4, 2] }])).toBe(true);
    expect(argoCondition(metric.successCondition, [{ Id: 'rate', Values: [] }])).toBe(false);
    expect(argoCondition(metric.successCondition, [])).toBe(false);
  });

  test('Graphite: the same URL as Flagger\'s, no credentials; the condition reads the newest point, not result[0] (the oldest)', () => {
    const metric = metricOf('graphite-errors');
    expect(argoGraphiteRequest(metric.provider.graphite)).toEqual<HttpRequest>({
      method: 'GET',
      url: 'http://graphite.monitoring:8080/render?format=json&from=-60s&target=aliasByNode%28sumSeries%28stats.test.podinfo-canary.%7Berrors%2Ctimeouts%7D%29%2C+2%29',
      headers: {},
    });
    const result = argoGraphiteResult([{ target: 'errors', datapoints: [[1, NOW - 50], [9, NOW - 20], [null, NOW]] }]);
    expect(result).toEqual([1, 9]);
    expect(metric.successCondition).toBe('len(result) > 0 && result[len(result)-1] <= 3');
    expect(argoCondition(metric.successCondition, result)).toBe(false);
    expect(argoCondition('len(result) > 0 && result[0] <= 3', result)).toBe(true);
    expect(argoCondition(metric.successCondition, argoGraphiteResult([{ target: 'errors', datapoints: [[null, NOW]] }]))).toBe(false);
  });

  test('Graphite: Argo Rollouts removes every space of the query (sanitizeQuery), so the library encodes them', () => {
    const metric = metricOf('graphite-tagged');
    const request = argoGraphiteRequest(metric.provider.graphite);
    expect(goParseQuery(request.url.split('?')[1]).get('target')).toEqual(["seriesByTag('name=http.errors', 'app=podinfo')"]);
    // Written raw instead of encoded, the space would be lost.
    expect(goParseQuery(argoGraphiteRequest({ ...metric.provider.graphite, query: "target=seriesByTag('a=b', 'c=d')" }).url.split('?')[1]).get('target'))
      .toEqual(["seriesByTag('a=b','c=d')"]);
  });
});

describe('the Go URL helpers behave as net/url', () => {
  test('a pair with a semicolon is dropped, `+` is a space, keys are sorted', () => {
    expect(goEncodeQuery(goParseQuery('target=a;b&from=-1min&x=1+2'))).toBe('from=-1min&x=1+2');
  });
});
