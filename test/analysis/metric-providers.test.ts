import { Chart, Duration, Testing } from 'cdk8s';
import { CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, GitOps, IDeliveryEngine, TrafficRouter } from '../../src';
import { only, synth } from '../synth';

const OWNER = "CanaryService 'podinfo'";

function declare(engine: IDeliveryEngine, metric: CanaryMetric): any[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  new CanaryService(chart, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine,
    router: TrafficRouter.istio(),
    analysis: { interval: Duration.seconds(30), metrics: [metric], webhooks: [CanaryWebhook.loadTest()] },
  });
  return synth(chart);
}

const datadog = () => CanaryMetric.datadog({
  name: 'error-rate', query: 'sum:trace.http.request.errors{service:{{ target }},env:{{ namespace }}}.as_count()', max: 5, secretName: 'datadog',
});
const NRQL = "SELECT filter(count(*), WHERE error IS true) / count(*) * 100 FROM Transaction WHERE appName = '{{ target }}'";
const newRelic = (query = NRQL) => CanaryMetric.newRelic({ name: 'error-rate', query, max: 1, secretName: 'newrelic' });
const cloudWatch = () => CanaryMetric.cloudWatch({
  name: 'error-rate',
  region: 'eu-west-1',
  max: 1,
  metricDataQueries: [
    { id: 'errors', metricStat: { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', dimensions: { TargetGroup: 'podinfo-canary' }, stat: 'Sum', period: Duration.minutes(1) } },
    { id: 'requests', metricStat: { namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', dimensions: { TargetGroup: 'podinfo-canary' }, stat: 'Sum', period: Duration.minutes(1) } },
    { id: 'rate', expression: 'errors / requests * 100' },
  ],
});
const graphite = (secretName?: string) => CanaryMetric.graphite({
  name: 'error-rate', query: 'sumSeries(podinfo.canary.errors)', address: 'http://graphite.monitoring:8080', max: 3, secretName,
});

describe('Flagger: a MetricTemplate of the backend, referenced by the Canary', () => {
  const templateOf = (metric: CanaryMetric) => {
    const manifests = declare(DeliveryEngine.flagger(), metric);
    const reference = only(manifests, 'Canary').spec.analysis.metrics[0];
    expect(reference).toEqual({ name: 'error-rate', interval: '1m', thresholdRange: { max: metric.max }, templateRef: { name: 'podinfo-error-rate', namespace: 'test' } });
    return only(manifests, 'MetricTemplate', 'podinfo-error-rate').spec;
  };

  test('Datadog: the API address and the Secret with datadog_api_key / datadog_application_key', () => {
    expect(templateOf(datadog())).toEqual({
      provider: { type: 'datadog', address: 'https://api.datadoghq.com', secretRef: { name: 'datadog' } },
      query: 'sum:trace.http.request.errors{service:{{ target }},env:{{ namespace }}}.as_count()',
    });
  });

  test('New Relic: the Secret with newrelic_account_id / newrelic_query_key, and the NRQL', () => {
    expect(templateOf(newRelic())).toEqual({ provider: { type: 'newrelic', secretRef: { name: 'newrelic' } }, query: newRelic().query });
  });

  test('CloudWatch: the region, and the queries as the AWS SDK\'s MetricDataQuery JSON', () => {
    const spec = templateOf(cloudWatch());
    expect(spec.provider).toEqual({ type: 'cloudwatch', region: 'eu-west-1' });
    expect(JSON.parse(spec.query)).toEqual([
      { Id: 'errors', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [{ Name: 'TargetGroup', Value: 'podinfo-canary' }] }, Period: 60, Stat: 'Sum' }, ReturnData: false },
      { Id: 'requests', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount', Dimensions: [{ Name: 'TargetGroup', Value: 'podinfo-canary' }] }, Period: 60, Stat: 'Sum' }, ReturnData: false },
      { Id: 'rate', Expression: 'errors / requests * 100', ReturnData: true },
    ]);
  });

  test('Graphite: the address, the Secret with username / password when given, and the render query with the window', () => {
    expect(templateOf(graphite('graphite-auth'))).toEqual({
      provider: { type: 'graphite', address: 'http://graphite.monitoring:8080', secretRef: { name: 'graphite-auth' } },
      query: 'target=sumSeries(podinfo.canary.errors)&from=-60s',
    });
  });

  test('Graphite: {{ interval }} in the target is the window in seconds, which Graphite reads (it rejects "1m")', () => {
    const metric = CanaryMetric.graphite({
      name: 'error-rate', query: 'summarize(podinfo.{{ target }}.errors, "{{ interval }}", "sum")', address: 'http://graphite:8080', max: 3, interval: Duration.minutes(2),
    });
    const manifests = declare(DeliveryEngine.flagger(), metric);
    expect(only(manifests, 'MetricTemplate', 'podinfo-error-rate').spec.query)
      .toBe('target=summarize(podinfo.{{ target }}.errors%2C%20%22120s%22%2C%20%22sum%22)&from=-120s');
  });
});

describe('Argo Rollouts: the backend\'s provider in the AnalysisTemplate, with a condition on its result', () => {
  const metricOf = (metric: CanaryMetric) => only(declare(DeliveryEngine.argoRollouts(), metric), 'AnalysisTemplate', 'podinfo').spec.metrics
    .find((m: any) => m.name === 'error-rate');

  test('Datadog: API v2, the Secret of the service\'s namespace, Flagger\'s variables as arguments', () => {
    expect(metricOf(datadog())).toEqual({
      name: 'error-rate',
      initialDelay: '1m',
      interval: '30s',
      failureLimit: 4,
      successCondition: 'result != nil && result <= 5',
      provider: {
        datadog: {
          apiVersion: 'v2',
          interval: '1m',
          secretRef: { name: 'datadog', namespaced: true },
          query: 'sum:trace.http.request.errors{service:{{args.service-name}},env:{{args.namespace}}}.as_count()',
        },
      },
    });
  });

  test('New Relic: the profile (a Secret in the controller\'s namespace), the value named `value`, the window appended, and result.value', () => {
    const metric = metricOf(newRelic());
    expect(metric.provider).toEqual({
      newRelic: { profile: 'newrelic', query: "SELECT filter(count(*), WHERE error IS true) / count(*) * 100 AS value FROM Transaction WHERE appName = '{{args.service-name}}' SINCE 60 seconds ago" },
    });
    expect(metric.successCondition).toBe('result.value != nil && result.value <= 1');
  });

  test('New Relic: a query that starts with FROM, or names its value already, gets no second alias', () => {
    expect(metricOf(newRelic("FROM Transaction SELECT percentage(count(*), WHERE error IS true) WHERE appName = 'x'")).provider.newRelic.query)
      .toBe("FROM Transaction SELECT percentage(count(*), WHERE error IS true) AS value WHERE appName = 'x' SINCE 60 seconds ago");
    expect(metricOf(newRelic('SELECT percentage(count(*), WHERE error IS true) AS value FROM Transaction')).provider.newRelic.query)
      .toBe('SELECT percentage(count(*), WHERE error IS true) AS value FROM Transaction SINCE 60 seconds ago');
    expect(() => metricOf(newRelic('SELECT percentage(count(*), WHERE error IS true) AS errors FROM Transaction'))).toThrow(
      `${OWNER}: 'analysis.metrics[0].query' ('SELECT percentage(count(*), WHERE error IS true) AS errors FROM Transaction') names its value 'errors': the condition reads result.value (NerdGraph keys the row by the alias); name it value or leave the alias out`,
    );
  });

  test('CloudWatch: the queries in the Rollout CRD\'s form and the first value returned', () => {
    const metric = metricOf(cloudWatch());
    expect(metric.provider.cloudWatch.interval).toBe('1m');
    expect(metric.provider.cloudWatch.metricDataQueries[2]).toEqual({ id: 'rate', expression: 'errors / requests * 100', returnData: true });
    expect(metric.provider.cloudWatch.metricDataQueries[0].metricStat).toEqual({
      metric: { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', dimensions: [{ name: 'TargetGroup', value: 'podinfo-canary' }] }, period: 60, stat: 'Sum',
    });
    expect(metric.successCondition).toBe('len(result) > 0 && len(result[0].Values) > 0 && result[0].Values[0] <= 1');
  });

  test('Datadog: an address is rejected (Argo reads it from the Secret only, and would call the US site)', () => {
    const eu = CanaryMetric.datadog({ name: 'error-rate', query: 'sum:trace.http.request.errors{service:{{ target }}}.as_count()', max: 5, secretName: 'datadog', address: 'https://api.datadoghq.eu' });
    expect(() => declare(DeliveryEngine.argoRollouts(), eu)).toThrow(
      `${OWNER}: 'analysis.metrics[0].address' ('https://api.datadoghq.eu'): Argo Rollouts reads the Datadog address from the Secret only; `
      + "put it under the key 'address' of the Secret 'datadog' and leave 'address' out",
    );
    expect(() => declare(DeliveryEngine.flagger(), eu)).not.toThrow();
  });

  test('Graphite: the address and the render query; the newest point; credentials are rejected (the provider takes none)', () => {
    expect(metricOf(graphite()).provider).toEqual({ graphite: { address: 'http://graphite.monitoring:8080', query: 'target=sumSeries(podinfo.canary.errors)&from=-60s' } });
    expect(metricOf(graphite()).successCondition).toBe('len(result) > 0 && result[len(result)-1] <= 3');
    expect(() => declare(DeliveryEngine.argoRollouts(), graphite('graphite-auth'))).toThrow(
      `${OWNER}: metric 'error-rate': Argo Rollouts' Graphite provider takes no credentials ('secretName' 'graphite-auth'); leave it out or put an authenticating proxy in front of Graphite`,
    );
  });
});

describe('missing or malformed fields fail with a message', () => {
  test.each([
    ['Datadog without credentials', () => CanaryMetric.datadog({ name: 'e', query: 'sum:a{b}', max: 1, secretName: '' }),
      "'analysis.metrics[0].secretName' is required: the datadog credentials (API and application keys) come from a Secret"],
    ['New Relic without credentials', () => CanaryMetric.newRelic({ name: 'e', query: 'SELECT count(*) / 1 FROM T', max: 1, secretName: '' }),
      "'analysis.metrics[0].secretName' is required: the newrelic credentials (account id and key) come from a Secret"],
    ['a Datadog query that is not one', () => CanaryMetric.datadog({ name: 'e', query: 'errors > 5', max: 1, secretName: 'dd' }),
      "'analysis.metrics[0].query' ('errors > 5') is not a Datadog metric query: expected '<aggregator>:<metric>{<scope>}', e.g. 'sum:trace.http.request.errors{service:podinfo}.as_count()'"],
    ['NRQL that is no SELECT', () => CanaryMetric.newRelic({ name: 'e', query: 'SHOW EVENT TYPES', max: 1, secretName: 'nr' }),
      "'analysis.metrics[0].query' ('SHOW EVENT TYPES') must be one NRQL SELECT ... FROM ... query that returns one number, e.g. \"SELECT filter(count(*), WHERE error IS true) / count(*) * 100 FROM Transaction WHERE appName = '{{ target }}'\""],
    ['NRQL with a window of its own', () => CanaryMetric.newRelic({ name: 'e', query: 'SELECT count(*) / 1 FROM T SINCE 1 minute ago', max: 1, secretName: 'nr' }),
      "'analysis.metrics[0].query' ('SELECT count(*) / 1 FROM T SINCE 1 minute ago') must not contain SINCE: the window is the metric's interval: Flagger appends ' SINCE <n> seconds ago' itself (a second SINCE is an NRQL syntax error), and the library appends the same for Argo Rollouts"],
    ['NRQL with UNTIL', () => CanaryMetric.newRelic({ name: 'e', query: 'SELECT count(*) / 1 FROM T UNTIL 1 minute ago', max: 1, secretName: 'nr' }),
      "'analysis.metrics[0].query' ('SELECT count(*) / 1 FROM T UNTIL 1 minute ago') must not contain UNTIL: the window is the metric's interval, up to now: Flagger appends ' SINCE <n> seconds ago' itself, and the library appends the same for Argo Rollouts"],
    ['NRQL with FACET', () => CanaryMetric.newRelic({ name: 'e', query: 'SELECT count(*) / 1 FROM T FACET appName', max: 1, secretName: 'nr' }),
      "'analysis.metrics[0].query' ('SELECT count(*) / 1 FROM T FACET appName') must not contain FACET: FACET returns one row per facet, and the check needs one number"],
    ['NRQL with TIMESERIES', () => CanaryMetric.newRelic({ name: 'e', query: 'SELECT count(*) / 1 FROM T TIMESERIES', max: 1, secretName: 'nr' }),
      "'analysis.metrics[0].query' ('SELECT count(*) / 1 FROM T TIMESERIES') must not contain TIMESERIES: TIMESERIES returns a series of buckets, and the check needs one number"],
    ['NRQL with two values', () => CanaryMetric.newRelic({ name: 'e', query: 'SELECT count(*) / 1, sum(x) / 1 FROM T', max: 1, secretName: 'nr' }),
      "'analysis.metrics[0].query' ('SELECT count(*) / 1, sum(x) / 1 FROM T') selects several values; the check needs one number: select one expression"],
    ['NRQL with an alias, under Flagger', () => newRelic('SELECT filter(count(*), WHERE error IS true) / count(*) * 100 AS value FROM Transaction'),
      "'analysis.metrics[0].query' ('SELECT filter(count(*), WHERE error IS true) / count(*) * 100 AS value FROM Transaction') names its value (AS value): Flagger reads only the key 'result' of the first row (pkg/metrics/providers/newrelic.go, RunQuery), which NRQL gives to an arithmetic expression of aggregates; other columns are named after their function or alias, and Flagger halts with \"no values found\"; leave out the alias (for Argo Rollouts the library names the value itself)"],
    ['NRQL with a lone function, under Flagger', () => newRelic('SELECT percentage(count(*), WHERE error IS true) FROM Transaction'),
      "'analysis.metrics[0].query' ('SELECT percentage(count(*), WHERE error IS true) FROM Transaction') must select an arithmetic expression of aggregates, e.g. 'filter(count(*), WHERE error IS true) / count(*) * 100' or 'sum(x) / 1': Flagger reads only the key 'result' of the first row (pkg/metrics/providers/newrelic.go, RunQuery), which NRQL gives to an arithmetic expression of aggregates; other columns are named after their function or alias, and Flagger halts with \"no values found\""],
    ['a Graphite query string instead of a target', () => CanaryMetric.graphite({ name: 'e', query: 'target=a.b&from=-5min', address: 'http://graphite:8080', max: 1 }),
      "'analysis.metrics[0].query' ('target=a.b&from=-5min') must be a Graphite target (a series or a function of series, e.g. 'sumSeries(podinfo.canary.errors)'): both controllers request '<address>/render?<query>', and the library writes the query as 'target=<target>&from=-<interval>'; leave out 'target=', 'from=' and '&'"],
    ['Graphite without an address', () => CanaryMetric.graphite({ name: 'e', query: 'a.b', address: 'graphite:8080', max: 1 }),
      "'analysis.metrics[0].address' ('graphite:8080') must be the http:// or https:// URL of the Graphite API"],
    ['CloudWatch without a region', () => CanaryMetric.cloudWatch({ name: 'e', region: 'Ireland', max: 1, metricDataQueries: [{ id: 'a', expression: '1' }] }),
      "'analysis.metrics[0].region' ('Ireland') must be an AWS region, e.g. 'eu-west-1'"],
    ['CloudWatch with two values', () => CanaryMetric.cloudWatch({ name: 'e', region: 'eu-west-1', max: 1, metricDataQueries: [{ id: 'a', expression: '1', returnData: true }, { id: 'b', expression: '2' }] }),
      "'analysis.metrics[0].metricDataQueries' must return data from exactly one query (the check's value); 2 do"],
    ['a CloudWatch query with neither expression nor metric', () => CanaryMetric.cloudWatch({ name: 'e', region: 'eu-west-1', max: 1, metricDataQueries: [{ id: 'a' }] }),
      "'analysis.metrics[0].metricDataQueries[0]' needs either 'expression' or 'metricStat', exactly one"],
    ['a check without a threshold', () => CanaryMetric.graphite({ name: 'e', query: 'a.b', address: 'http://graphite:8080' }),
      "'analysis.metrics[0]' ('e') needs 'min' or 'max': a check without a threshold can never fail"],
  ])('%s', (what, metric, message) => {
    // What only Flagger rejects is found where the Canary is rendered (FlaggerCanary).
    const owner = what.endsWith('under Flagger') ? "FlaggerCanary 'podinfo'" : OWNER;
    expect(() => declare(DeliveryEngine.flagger(), metric())).toThrow(`${owner}: ${message}`);
  });
});
