import { Duration } from 'cdk8s';
import { CanaryAlert } from '../../src/analysis/alert';
import { CanaryAnalysisOptions } from '../../src/analysis/analysis';
import { LoadTool } from '../../src/analysis/load-test';
import { CanaryMetric, MetricKind } from '../../src/analysis/metric';
import { resolveAnalysis } from '../../src/analysis/resolve-analysis';
import { CanaryScaleOptions, HeaderMatchKind, RolloutStep } from '../../src/analysis/steps';
import { CanaryWebhook, GateStage, WebhookType } from '../../src/analysis/webhook';

const OWNER = 'podinfo';
/** Keeps the "metrics need requests" rule out of tests about something else. */
const LIVE: CanaryAnalysisOptions = { receivesLiveTraffic: true };
const LOAD_TEST = CanaryWebhook.loadTest({ command: 'hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/' });
const ERROR_RATE_QUERY = 'sum(rate(http_requests_total{namespace="{{ namespace }}",code=~"5.."}[{{ interval }}]))';
const DNS_LABEL_RULE = "must be a DNS label of at most 63 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit";
const NEEDS_REQUESTS = "podinfo: 'analysis.metrics' need requests to measure, but no webhook generates load: add CanaryWebhook.loadTest() to 'analysis.webhooks', or set 'analysis.receivesLiveTraffic' to true if real traffic reaches the canary";
const PROMQL_SUFFIX = '(after substituting template variables)';

function resolve(options: CanaryAnalysisOptions) {
  return resolveAnalysis(OWNER, { ...LIVE, ...options });
}

function errorRate(overrides: { name?: string; query?: string; min?: number; max?: number } = {}): CanaryMetric {
  return CanaryMetric.prometheus({ name: 'error-rate', query: ERROR_RATE_QUERY, max: 1, ...overrides });
}

describe('defaults', () => {
  const resolved = resolveAnalysis(OWNER, LIVE);

  test('interval is 1 minute', () => {
    expect(resolved.interval.toMilliseconds()).toBe(60_000);
  });

  test('threshold is 5 failed checks', () => {
    expect(resolved.threshold).toBe(5);
  });

  test('maxWeight is 50 and stepWeight is 10', () => {
    expect(resolved.maxWeight).toBe(50);
    expect(resolved.stepWeight).toBe(10);
  });

  test('stepWeights and stepWeightPromotion are not set', () => {
    expect(resolved.stepWeights).toBeUndefined();
    expect(resolved.stepWeightPromotion).toBeUndefined();
  });

  test('metrics are success rate >= 99% and P99 duration <= 500ms', () => {
    expect(resolved.metrics.map((m) => ({ name: m.name, kind: m.kind, min: m.min, max: m.max, interval: m.interval }))).toEqual([
      { name: 'request-success-rate', kind: MetricKind.REQUEST_SUCCESS_RATE, min: 99, max: undefined, interval: undefined },
      { name: 'request-duration', kind: MetricKind.REQUEST_DURATION, min: undefined, max: 500, interval: undefined },
    ]);
  });

  test('there are no webhooks and no alerts', () => {
    expect(resolved.webhooks).toEqual([]);
    expect(resolved.alerts).toEqual([]);
  });

  test('without any options the default metrics need a load test', () => {
    expect(() => resolveAnalysis(OWNER)).toThrow(NEEDS_REQUESTS);
  });
});

describe('resolved values', () => {
  test('keeps the given interval and threshold', () => {
    const resolved = resolve({ interval: Duration.seconds(30), threshold: 2 });
    expect(resolved.interval.toMilliseconds()).toBe(30_000);
    expect(resolved.threshold).toBe(2);
  });

  test('accepts the minimum interval of 10 seconds', () => {
    expect(resolve({ interval: Duration.seconds(10) }).interval.toMilliseconds()).toBe(10_000);
  });

  test('accepts a threshold of 1', () => {
    expect(resolve({ threshold: 1 }).threshold).toBe(1);
  });

  test('keeps the given maxWeight and stepWeight', () => {
    const resolved = resolve({ maxWeight: 80, stepWeight: 20 });
    expect(resolved.maxWeight).toBe(80);
    expect(resolved.stepWeight).toBe(20);
    expect(resolved.stepWeights).toBeUndefined();
  });

  test('accepts maxWeight 100 and stepWeight equal to maxWeight', () => {
    const resolved = resolve({ maxWeight: 100, stepWeight: 100 });
    expect(resolved.maxWeight).toBe(100);
    expect(resolved.stepWeight).toBe(100);
  });

  test('lowers the default stepWeight to a maxWeight below 10', () => {
    const resolved = resolve({ maxWeight: 5 });
    expect(resolved.maxWeight).toBe(5);
    expect(resolved.stepWeight).toBe(5);
  });

  test('keeps the default stepWeight of 10 under a larger maxWeight', () => {
    expect(resolve({ maxWeight: 100 }).stepWeight).toBe(10);
  });

  test('with stepWeights sets neither maxWeight nor stepWeight', () => {
    const resolved = resolve({ stepWeights: [1, 5, 20, 50, 100] });
    expect(resolved.stepWeights).toEqual([1, 5, 20, 50, 100]);
    expect(resolved.maxWeight).toBeUndefined();
    expect(resolved.stepWeight).toBeUndefined();
  });

  test('accepts a single step weight', () => {
    expect(resolve({ stepWeights: [100] }).stepWeights).toEqual([100]);
  });

  test.each([1, 100])('accepts stepWeightPromotion %d', (value) => {
    expect(resolve({ stepWeightPromotion: value }).stepWeightPromotion).toBe(value);
  });

  test('keeps the given metrics, webhooks and alerts in order', () => {
    const metrics = [CanaryMetric.requestSuccessRate({ min: 95 }), errorRate()];
    const webhooks = [CanaryWebhook.acceptanceTest({ command: 'true' }), LOAD_TEST];
    const alerts = [CanaryAlert.slack({ secretName: 'slack-url' }), CanaryAlert.existingProvider({ providerName: 'team' })];
    const resolved = resolveAnalysis(OWNER, { metrics, webhooks, alerts });
    expect(resolved.metrics.map((m) => m.name)).toEqual(['request-success-rate', 'error-rate']);
    expect(resolved.webhooks.map((w) => w.name)).toEqual(['acceptance-test', 'load-test']);
    expect(resolved.alerts.map((a) => a.name)).toEqual(['slack', 'team']);
  });

  test('accepts success-rate min at both ends of 0..100', () => {
    const metrics = [CanaryMetric.requestSuccessRate({ min: 0 })];
    expect(resolve({ metrics }).metrics[0].min).toBe(0);
    const hundred = [CanaryMetric.requestSuccessRate({ min: 100 })];
    expect(resolve({ metrics: hundred }).metrics[0].min).toBe(100);
  });

  test('accepts a custom metric with min equal to max', () => {
    expect(() => resolve({ metrics: [errorRate({ min: 1, max: 1 })] })).not.toThrow();
  });

  test('accepts a custom metric with only min', () => {
    expect(() => resolve({ metrics: [CanaryMetric.prometheus({ name: 'throughput', query: 'sum(rate(http_requests_total[1m]))', min: 1 })] })).not.toThrow();
  });
});

describe('interval', () => {
  test('rejects an interval under 10 seconds', () => {
    expect(() => resolve({ interval: Duration.seconds(9) })).toThrow(
      "podinfo: 'analysis.interval' (9 seconds) must be a whole number of seconds, at least 10s",
    );
  });

  test('rejects an interval that is not whole seconds', () => {
    expect(() => resolve({ interval: Duration.millis(10_500) })).toThrow(
      "podinfo: 'analysis.interval' (10 seconds 500 millis) must be a whole number of seconds, at least 10s",
    );
  });
});

describe('threshold', () => {
  test('rejects threshold 0', () => {
    expect(() => resolve({ threshold: 0 })).toThrow(
      "podinfo: 'analysis.threshold' (0) must be an integer between 1 and 100 (failed checks before rollback)",
    );
  });

  test('rejects a fractional threshold', () => {
    expect(() => resolve({ threshold: 1.5 })).toThrow(
      "podinfo: 'analysis.threshold' (1.5) must be an integer between 1 and 100 (failed checks before rollback)",
    );
  });
});

describe('maxWeight and stepWeight', () => {
  test('rejects maxWeight 0', () => {
    expect(() => resolve({ maxWeight: 0 })).toThrow("podinfo: 'analysis.maxWeight' (0) must be an integer between 1 and 100");
  });

  test('rejects maxWeight 101', () => {
    expect(() => resolve({ maxWeight: 101 })).toThrow("podinfo: 'analysis.maxWeight' (101) must be an integer between 1 and 100");
  });

  test('rejects stepWeight 0', () => {
    expect(() => resolve({ stepWeight: 0 })).toThrow(
      "podinfo: 'analysis.stepWeight' (0) must be an integer between 1 and 'analysis.maxWeight' (50)",
    );
  });

  test('rejects a stepWeight above the default maxWeight', () => {
    expect(() => resolve({ stepWeight: 60 })).toThrow(
      "podinfo: 'analysis.stepWeight' (60) must be an integer between 1 and 'analysis.maxWeight' (50)",
    );
  });

  test('rejects a stepWeight above the given maxWeight', () => {
    expect(() => resolve({ maxWeight: 30, stepWeight: 31 })).toThrow(
      "podinfo: 'analysis.stepWeight' (31) must be an integer between 1 and 'analysis.maxWeight' (30)",
    );
  });

  test('rejects a fractional stepWeight', () => {
    expect(() => resolve({ stepWeight: 2.5 })).toThrow(
      "podinfo: 'analysis.stepWeight' (2.5) must be an integer between 1 and 'analysis.maxWeight' (50)",
    );
  });
});

describe('a stepWeight that does not divide maxWeight', () => {
  // Flagger adds stepWeight until the weight reaches maxWeight and caps only at 100
  // (pkg/controller/scheduler.go, runCanary), so the last step overshoots.
  test('is rejected with the weights Flagger would set and the stepWeights that were meant', () => {
    expect(() => resolve({ maxWeight: 50, stepWeight: 20 })).toThrow(
      "podinfo: 'analysis.stepWeight' (20) does not divide 'analysis.maxWeight' (50): Flagger would set 20, 40, 60%, past the maximum; use 'stepWeights' ([20, 40, 50]) or a stepWeight that divides 50",
    );
  });

  test('with the default stepWeight of 10', () => {
    expect(() => resolve({ maxWeight: 25 })).toThrow(
      "podinfo: 'analysis.stepWeight' (10) does not divide 'analysis.maxWeight' (25): Flagger would set 10, 20, 30%, past the maximum; use 'stepWeights' ([10, 20, 25]) or a stepWeight that divides 25",
    );
  });

  test('the overshoot stops at 100', () => {
    expect(() => resolve({ maxWeight: 90, stepWeight: 40 })).toThrow("Flagger would set 40, 80, 100%, past the maximum; use 'stepWeights' ([40, 80, 90])");
  });
});

describe('typed load tests', () => {
  test('defaults: 10 requests per second over 2 workers on /, with hey; the engine picks the duration', () => {
    const [webhook] = resolve({ webhooks: [CanaryWebhook.loadTest()] }).webhooks;
    expect(webhook.load).toEqual({ requestsPerSecond: 10, concurrency: 2, duration: undefined, path: '/', tool: LoadTool.HEY, grpcCall: undefined });
    expect(webhook.command).toBeUndefined();
    expect(webhook.type).toBe(WebhookType.ROLLOUT);
    expect(webhook.name).toBe('load-test');
  });

  test('a command and typed options together', () => {
    expect(() => resolve({ webhooks: [CanaryWebhook.loadTest({ command: 'hey http://x/', requestsPerSecond: 5, path: '/a' })] })).toThrow(
      "podinfo: 'analysis.webhooks[0]' sets 'command' and 'requestsPerSecond', 'path': either a command of your own or the typed options, not both",
    );
  });

  test.each([
    [{ requestsPerSecond: 0 }, "'analysis.webhooks[0].requestsPerSecond' (0) must be a number between 0.001 and 100000"],
    [{ concurrency: 0 }, "'analysis.webhooks[0].concurrency' (0) must be an integer between 1 and 1000"],
    [{ duration: Duration.millis(1500) }, "'analysis.webhooks[0].duration' (1 second 500 millis) must be a whole number of seconds, at least 1s"],
    [{ path: 'health' }, "'analysis.webhooks[0].path' ('health') must start with '/' and hold only letters, digits and -._~%/:@+,= (and after a '?' a query of the same characters and '&'), e.g. '/api/items?page=1'; percent-encode anything else"],
    [{ path: "/a'; rm -rf /" }, "'analysis.webhooks[0].path' ('/a'; rm -rf /') must start with '/' and hold only letters, digits and -._~%/:@+,= (and after a '?' a query of the same characters and '&'), e.g. '/api/items?page=1'; percent-encode anything else"],
    [{ path: '/$(id)' }, "'analysis.webhooks[0].path' ('/$(id)') must start with '/' and hold only letters, digits and -._~%/:@+,= (and after a '?' a query of the same characters and '&'), e.g. '/api/items?page=1'; percent-encode anything else"],
    [{ path: '/?a=1;id' }, "'analysis.webhooks[0].path' ('/?a=1;id') must start with '/' and hold only letters, digits and -._~%/:@+,= (and after a '?' a query of the same characters and '&'), e.g. '/api/items?page=1'; percent-encode anything else"],
    [{ tool: LoadTool.GHZ }, "'analysis.webhooks[0].grpcCall' is required with LoadTool.GHZ: the gRPC method to call, e.g. 'grpc.health.v1.Health/Check'"],
    [{ grpcCall: 'grpc.health.v1.Health/Check' }, "'analysis.webhooks[0].grpcCall' ('grpc.health.v1.Health/Check') needs 'tool: LoadTool.GHZ' (hey speaks HTTP only)"],
    [{ tool: LoadTool.GHZ, grpcCall: 'Health.Check' }, "'analysis.webhooks[0].grpcCall' ('Health.Check') must be '<package>.<Service>/<Method>', e.g. 'grpc.health.v1.Health/Check'"],
  ])('rejects %j', (options, message) => {
    expect(() => resolve({ webhooks: [CanaryWebhook.loadTest(options)] })).toThrow(`podinfo: ${message}`);
  });

  test('the message that asks for load shows the command the router would get', () => {
    expect(() => resolveAnalysis('podinfo', { webhooks: [] }, 'hey -z 54s -q 5 -c 2 -host app.example.com http://traefik.traefik:80/')).toThrow(
      "podinfo: 'analysis.metrics' need requests to measure, but no webhook generates load: add CanaryWebhook.loadTest() to 'analysis.webhooks' (for this router it runs: hey -z 54s -q 5 -c 2 -host app.example.com http://traefik.traefik:80/), or set 'analysis.receivesLiveTraffic' to true if real traffic reaches the canary",
    );
  });
});

describe('stepWeights', () => {
  test('rejects weights that are not strictly increasing', () => {
    expect(() => resolve({ stepWeights: [10, 10, 20] })).toThrow(
      "podinfo: 'analysis.stepWeights[1]' (10) in [10, 10, 20] must be greater than 'analysis.stepWeights[0]' (10): the weights only grow (the list must be a non-empty list of strictly increasing integers between 1 and 100)",
    );
  });

  test('rejects decreasing weights', () => {
    expect(() => resolve({ stepWeights: [20, 10] })).toThrow(
      "podinfo: 'analysis.stepWeights[1]' (10) in [20, 10] must be greater than 'analysis.stepWeights[0]' (20): the weights only grow (the list must be a non-empty list of strictly increasing integers between 1 and 100)",
    );
  });

  test('rejects a weight above 100', () => {
    expect(() => resolve({ stepWeights: [50, 101] })).toThrow(
      "podinfo: 'analysis.stepWeights[1]' (101) in [50, 101] must be an integer between 1 and 100 (the list must be a non-empty list of strictly increasing integers between 1 and 100)",
    );
  });

  test('rejects a weight of 0', () => {
    expect(() => resolve({ stepWeights: [0, 10] })).toThrow(
      "podinfo: 'analysis.stepWeights[0]' (0) in [0, 10] must be an integer between 1 and 100 (the list must be a non-empty list of strictly increasing integers between 1 and 100)",
    );
  });

  test('rejects a fractional weight', () => {
    expect(() => resolve({ stepWeights: [2.5, 10] })).toThrow(
      "podinfo: 'analysis.stepWeights[0]' (2.5) in [2.5, 10] must be an integer between 1 and 100 (the list must be a non-empty list of strictly increasing integers between 1 and 100)",
    );
  });

  test('rejects an empty list', () => {
    expect(() => resolve({ stepWeights: [] })).toThrow(
      "podinfo: 'analysis.stepWeights' ([]) must be a non-empty list of strictly increasing integers between 1 and 100",
    );
  });

  test('rejects stepWeight together with stepWeights', () => {
    expect(() => resolve({ stepWeight: 10, stepWeights: [10, 20] })).toThrow(
      "podinfo: either 'analysis.stepWeight' or 'analysis.stepWeights', not both",
    );
  });

  test('rejects maxWeight together with stepWeights', () => {
    expect(() => resolve({ maxWeight: 50, stepWeights: [10, 20] })).toThrow(
      "podinfo: either 'analysis.maxWeight' or 'analysis.stepWeights', not both: the last of 'stepWeights' is the maximum",
    );
  });
});

describe('stepWeightPromotion', () => {
  test('rejects 0', () => {
    expect(() => resolve({ stepWeightPromotion: 0 })).toThrow(
      "podinfo: 'analysis.stepWeightPromotion' (0) must be an integer between 1 and 100",
    );
  });

  test('rejects 101', () => {
    expect(() => resolve({ stepWeightPromotion: 101 })).toThrow(
      "podinfo: 'analysis.stepWeightPromotion' (101) must be an integer between 1 and 100",
    );
  });

  test('rejects a fractional value', () => {
    expect(() => resolve({ stepWeightPromotion: 12.5 })).toThrow(
      "podinfo: 'analysis.stepWeightPromotion' (12.5) must be an integer between 1 and 100",
    );
  });
});

describe('built-in metrics', () => {
  test('rejects a success-rate min above 100', () => {
    expect(() => resolve({ metrics: [CanaryMetric.requestSuccessRate({ min: 101 })] })).toThrow(
      "podinfo: 'analysis.metrics[0].min' (101) must be a number between 0 and 100",
    );
  });

  test('rejects a negative success-rate min', () => {
    expect(() => resolve({ metrics: [CanaryMetric.requestSuccessRate({ min: -1 })] })).toThrow(
      "podinfo: 'analysis.metrics[0].min' (-1) must be a number between 0 and 100",
    );
  });

  test('rejects a request-duration max of 0', () => {
    expect(() => resolve({ metrics: [CanaryMetric.requestDuration({ max: Duration.millis(0) })] })).toThrow(
      "podinfo: 'analysis.metrics[0].max' (0ms) must be a positive duration",
    );
  });

  test('names the index of the bad metric', () => {
    const metrics = [CanaryMetric.requestSuccessRate(), CanaryMetric.requestDuration({ max: Duration.millis(0) })];
    expect(() => resolve({ metrics })).toThrow("podinfo: 'analysis.metrics[1].max' (0ms) must be a positive duration");
  });

  test('rejects a metric interval that is not whole seconds', () => {
    expect(() => resolve({ metrics: [CanaryMetric.requestSuccessRate({ interval: Duration.millis(1500) })] })).toThrow(
      "podinfo: 'analysis.metrics[0].interval' (1 second 500 millis) must be a whole number of seconds, at least 1s",
    );
  });
});

describe('custom metrics', () => {
  test.each(['request-success-rate', 'request-duration'])("rejects a custom metric named '%s'", (name) => {
    expect(() => resolve({ metrics: [errorRate({ name })] })).toThrow(
      `podinfo: 'analysis.metrics[0].name' ('${name}') is reserved: Flagger always runs its built-in query for 'request-success-rate' and 'request-duration'; choose another name or use CanaryMetric.requestSuccessRate() / requestDuration()`,
    );
  });

  test('rejects a custom metric with neither min nor max', () => {
    const metric = CanaryMetric.prometheus({ name: 'error-rate', query: ERROR_RATE_QUERY });
    expect(() => resolve({ metrics: [metric] })).toThrow(
      "podinfo: 'analysis.metrics[0]' ('error-rate') needs 'min' or 'max': a check without a threshold can never fail",
    );
  });

  test('rejects min greater than max', () => {
    expect(() => resolve({ metrics: [errorRate({ min: 5, max: 1 })] })).toThrow(
      "podinfo: 'analysis.metrics[0].min' (5) must be less than or equal to 'analysis.metrics[0].max' (1)",
    );
  });

  test('rejects a name with upper case and an underscore', () => {
    expect(() => resolve({ metrics: [errorRate({ name: 'Error_Rate' })] })).toThrow(
      `podinfo: 'analysis.metrics[0].name' ('Error_Rate') ${DNS_LABEL_RULE}`,
    );
  });

  test('rejects a name that starts with a digit', () => {
    expect(() => resolve({ metrics: [errorRate({ name: '5xx-rate' })] })).toThrow(
      `podinfo: 'analysis.metrics[0].name' ('5xx-rate') ${DNS_LABEL_RULE}`,
    );
  });

  test('rejects a name longer than 63 characters', () => {
    const name = 'a'.repeat(64);
    expect(() => resolve({ metrics: [errorRate({ name })] })).toThrow(`podinfo: 'analysis.metrics[0].name' ('${name}') ${DNS_LABEL_RULE}`);
  });

  test('rejects a query with an unclosed parenthesis, giving the column in the query as written', () => {
    const query = 'sum(rate(http_requests_total{namespace="{{ namespace }}"}[{{ interval }}])';
    expect(() => resolve({ metrics: [errorRate({ query })] })).toThrow(
      `podinfo: 'analysis.metrics[0].query' is not valid PromQL: unexpected end of query ('(' is not closed) at column 75 ${PROMQL_SUFFIX}: ${query}`,
    );
  });

  test('rejects a query with a dangling keyword', () => {
    const query = 'sum(rate(http_requests_total[{{ interval }}])) by';
    expect(() => resolve({ metrics: [errorRate({ query })] })).toThrow(
      `podinfo: 'analysis.metrics[0].query' is not valid PromQL: unexpected end of query at column 50 ${PROMQL_SUFFIX}: ${query}`,
    );
  });

  test('rejects a query that returns a range vector', () => {
    const query = 'http_requests_total[{{ interval }}]';
    expect(() => resolve({ metrics: [errorRate({ query })] })).toThrow(
      `podinfo: 'analysis.metrics[0].query' must return a single number, but it is a range vector: ${query}`,
    );
  });

  test('rejects two custom metrics with the same name', () => {
    expect(() => resolve({ metrics: [errorRate(), errorRate({ max: 2 })] })).toThrow(
      "podinfo: 'analysis.metrics' has two entries named 'error-rate'; names must be unique",
    );
  });

  test('rejects the same built-in metric twice', () => {
    const metrics = [CanaryMetric.requestSuccessRate({ min: 99 }), CanaryMetric.requestSuccessRate({ min: 95 })];
    expect(() => resolve({ metrics })).toThrow(
      "podinfo: 'analysis.metrics' has two entries named 'request-success-rate'; names must be unique",
    );
  });
});

describe('webhooks', () => {
  test('rejects two webhooks with the same name', () => {
    expect(() => resolve({ webhooks: [LOAD_TEST, CanaryWebhook.loadTest({ command: 'hey http://other/' })] })).toThrow(
      "podinfo: 'analysis.webhooks' has two entries named 'load-test'; names must be unique",
    );
  });

  test('rejects a webhook name with upper case', () => {
    const webhook = CanaryWebhook.acceptanceTest({ command: 'true', name: 'Smoke' });
    expect(() => resolve({ webhooks: [webhook] })).toThrow(
      "podinfo: 'analysis.webhooks[0].name' ('Smoke') must be lower-case letters, digits and '-', starting and ending with a letter or digit",
    );
  });

  test('names the index of the bad webhook', () => {
    const webhook = CanaryWebhook.http({ name: 'Notify', type: WebhookType.EVENT, url: 'https://hooks.example.com/' });
    expect(() => resolve({ webhooks: [LOAD_TEST, webhook] })).toThrow(
      "podinfo: 'analysis.webhooks[1].name' ('Notify') must be lower-case letters, digits and '-', starting and ending with a letter or digit",
    );
  });

  test('rejects a url that is not http or https', () => {
    const webhook = CanaryWebhook.http({ name: 'notify', type: WebhookType.EVENT, url: 'ftp://hooks.example.com/' });
    expect(() => resolve({ webhooks: [webhook] })).toThrow(
      "podinfo: 'analysis.webhooks[0].url' ('ftp://hooks.example.com/') must be an http:// or https:// URL",
    );
  });

  test('rejects a url without a scheme', () => {
    const webhook = CanaryWebhook.http({ name: 'notify', type: WebhookType.EVENT, url: 'hooks.example.com/flagger' });
    expect(() => resolve({ webhooks: [webhook] })).toThrow(
      "podinfo: 'analysis.webhooks[0].url' ('hooks.example.com/flagger') must be an http:// or https:// URL",
    );
  });

  test.each(['http://hooks.example.com/', 'https://hooks.example.com:8443/flagger?x=1'])('accepts the url %s', (url) => {
    const webhook = CanaryWebhook.http({ name: 'notify', type: WebhookType.EVENT, url });
    expect(resolve({ webhooks: [webhook] }).webhooks[0].url).toBe(url);
  });

  test('rejects an empty command', () => {
    expect(() => resolve({ webhooks: [CanaryWebhook.acceptanceTest({ command: '' })] })).toThrow(
      "podinfo: 'analysis.webhooks[0].command' must not be empty",
    );
  });

  test('rejects a command of only whitespace', () => {
    expect(() => resolve({ webhooks: [CanaryWebhook.loadTest({ command: '  \n' })] })).toThrow(
      "podinfo: 'analysis.webhooks[0].command' must not be empty",
    );
  });

  test('rejects negative retries', () => {
    const webhook = CanaryWebhook.http({ name: 'notify', type: WebhookType.EVENT, url: 'https://hooks.example.com/', retries: -1 });
    expect(() => resolve({ webhooks: [webhook] })).toThrow(
      "podinfo: 'analysis.webhooks[0].retries' (-1) must be an integer between 0 and 100",
    );
  });

  test('rejects a timeout that is not whole seconds', () => {
    const webhook = CanaryWebhook.acceptanceTest({ command: 'true', timeout: Duration.millis(500) });
    expect(() => resolve({ webhooks: [webhook] })).toThrow(
      "podinfo: 'analysis.webhooks[0].timeout' (500 millis) must be a whole number of seconds, at least 1s",
    );
  });
});

describe('alerts', () => {
  test('rejects two alerts with the same name', () => {
    const alerts = [CanaryAlert.slack({ secretName: 'a' }), CanaryAlert.slack({ secretName: 'b' })];
    expect(() => resolve({ alerts })).toThrow("podinfo: 'analysis.alerts' has two entries named 'slack'; names must be unique");
  });

  test('accepts two alerts of one type with different names', () => {
    const alerts = [CanaryAlert.slack({ secretName: 'a' }), CanaryAlert.slack({ secretName: 'b', name: 'slack-oncall' })];
    expect(resolve({ alerts }).alerts.map((a) => a.name)).toEqual(['slack', 'slack-oncall']);
  });

  test('rejects an alert name that is not a DNS label', () => {
    const alerts = [CanaryAlert.slack({ secretName: 'a', name: 'Team_Alerts' })];
    expect(() => resolve({ alerts })).toThrow(`podinfo: 'analysis.alerts[0].name' ('Team_Alerts') ${DNS_LABEL_RULE}`);
  });
});

describe('metrics need requests', () => {
  test('rejects metrics without a rollout webhook', () => {
    expect(() => resolveAnalysis(OWNER, { metrics: [CanaryMetric.requestSuccessRate()] })).toThrow(NEEDS_REQUESTS);
  });

  test('rejects metrics when receivesLiveTraffic is false', () => {
    expect(() => resolveAnalysis(OWNER, { receivesLiveTraffic: false })).toThrow(NEEDS_REQUESTS);
  });

  test('an acceptance test does not count as load', () => {
    expect(() => resolveAnalysis(OWNER, { webhooks: [CanaryWebhook.acceptanceTest({ command: 'true' })] })).toThrow(NEEDS_REQUESTS);
  });

  test('a manual gate does not count as load', () => {
    expect(() => resolveAnalysis(OWNER, { webhooks: [CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION })] })).toThrow(NEEDS_REQUESTS);
  });

  test('passes with receivesLiveTraffic: true', () => {
    expect(resolveAnalysis(OWNER, { receivesLiveTraffic: true }).metrics).toHaveLength(2);
  });

  test('passes with a load test', () => {
    const resolved = resolveAnalysis(OWNER, { webhooks: [LOAD_TEST] });
    expect(resolved.metrics).toHaveLength(2);
    expect(resolved.webhooks).toEqual([LOAD_TEST]);
  });

  test('passes with a custom rollout webhook', () => {
    const webhook = CanaryWebhook.http({ name: 'traffic', type: WebhookType.ROLLOUT, url: 'http://traffic-gen.test/' });
    expect(resolveAnalysis(OWNER, { webhooks: [webhook] }).webhooks).toEqual([webhook]);
  });

  test('passes when metrics is an empty list', () => {
    expect(resolveAnalysis(OWNER, { metrics: [] }).metrics).toEqual([]);
  });
});

describe('bounds and references', () => {
  const load = [CanaryWebhook.loadTest({ command: 'hey http://podinfo-canary.test/' })];

  test.each([
    ['max', NaN, "CanaryMetric.prometheus(): 'max' (NaN) must be a finite number"],
    ['min', -Infinity, "CanaryMetric.prometheus(): 'min' (-Infinity) must be a finite number"],
  ])('a custom metric %s of %s is rejected where it is made', (bound, value, message) => {
    expect(() => CanaryMetric.prometheus({ name: 'errors', query: 'sum(up)', [bound as string]: value })).toThrow(message);
  });

  test('a chat alert with an invalid secret name is rejected', () => {
    expect(() => resolveAnalysis('podinfo', { webhooks: load, alerts: [CanaryAlert.slack({ secretName: 'Slack_URL' })] }))
      .toThrow("podinfo: 'analysis.alerts[0].secretName' ('Slack_URL') must be a DNS subdomain (lower-case letters, digits, '-' and '.'): "
        + "the name of a Secret in the service's namespace whose key 'address' holds the webhook URL, "
        + 'e.g. kubectl create secret generic slack-webhook --from-literal=address=https://hooks.example.com/...');
  });

  test('a chat alert with an empty secretName says what the Secret must hold', () => {
    expect(() => resolveAnalysis('podinfo', { webhooks: load, alerts: [CanaryAlert.msteams({ secretName: '', secretKey: 'url' })] }))
      .toThrow("podinfo: 'analysis.alerts[0].secretName' ('') is required: the name of a Secret in the service's namespace whose key 'url' holds the webhook URL, "
        + 'e.g. kubectl create secret generic msteams-webhook --from-literal=url=https://hooks.example.com/...');
  });

  test('a chat alert without secretName (from an untyped caller) fails where it is made', () => {
    expect(() => CanaryAlert.msteams({ secretName: undefined as any, secretKey: 'url' })).toThrow("CanaryAlert.msteams(): 'secretName' (undefined) is required: a string");
  });

  test('every mistake of an analysis is reported at once, each naming its property', () => {
    let error: Error | undefined;
    try {
      resolveAnalysis('podinfo', {
        interval: Duration.seconds(5),
        threshold: 0,
        stepWeights: [10, 5],
        metrics: [CanaryMetric.prometheus({ name: 'errors', query: 'sum(up)' })],
        alerts: [CanaryAlert.slack({ secretName: '' })],
      });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message.split('\n')).toEqual([
      "podinfo: 'analysis.interval' (5 seconds) must be a whole number of seconds, at least 10s",
      "podinfo: 'analysis.threshold' (0) must be an integer between 1 and 100 (failed checks before rollback)",
      "podinfo: 'analysis.metrics[0]' ('errors') needs 'min' or 'max': a check without a threshold can never fail",
      "podinfo: 'analysis.alerts[0].secretName' ('') is required: the name of a Secret in the service's namespace whose key 'address' holds the webhook URL, "
        + 'e.g. kubectl create secret generic slack-webhook --from-literal=address=https://hooks.example.com/...',
      "podinfo: 'analysis.metrics' need requests to measure, but no webhook generates load: add CanaryWebhook.loadTest() to 'analysis.webhooks', "
        + "or set 'analysis.receivesLiveTraffic' to true if real traffic reaches the canary",
      "podinfo: 'analysis.stepWeights[1]' (5) in [10, 5] must be greater than 'analysis.stepWeights[0]' (10): the weights only grow "
        + '(the list must be a non-empty list of strictly increasing integers between 1 and 100)',
    ]);
  });

  test('an existing provider with an invalid namespace is rejected', () => {
    expect(() => resolveAnalysis('podinfo', { webhooks: load, alerts: [CanaryAlert.existingProvider({ providerName: 'team', providerNamespace: 'Bad NS' })] }))
      .toThrow("podinfo: 'analysis.alerts[0].providerNamespace' ('Bad NS') must be a DNS label of at most 63 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit");
  });

  test('an existing provider with a dotted name gets an alert name without dots', () => {
    const resolved = resolveAnalysis('podinfo', { webhooks: load, alerts: [CanaryAlert.existingProvider({ providerName: 'team.alerts' })] });
    expect(resolved.alerts.map((a) => [a.name, a.providerName])).toEqual([['team-alerts', 'team.alerts']]);
  });

  test('the default metrics are a fresh list for every analysis', () => {
    const first = resolveAnalysis('podinfo', { webhooks: load });
    first.metrics.push(CanaryMetric.prometheus({ name: 'extra', query: 'sum(up)', min: 1 }));
    expect(resolveAnalysis('podinfo', { webhooks: load }).metrics.map((m) => m.name)).toEqual(['request-success-rate', 'request-duration']);
  });
});

describe('explicit steps', () => {
  const WEIGHT = RolloutStep.weight(20);
  const HEADER_ROUTE = RolloutStep.headerRoute({ name: 'canary-by-header', match: [{ name: 'x-canary', value: 'always' }] });

  test('are kept as given, with no other way of advancing', () => {
    const steps = [
      RolloutStep.canaryScale({ replicas: 1 }), RolloutStep.weight(0), RolloutStep.pause(Duration.seconds(30)), HEADER_ROUTE,
      RolloutStep.mirrorRoute({ name: 'mirror', percentage: 0, match: [{ name: 'x-mirror', value: 'on', kind: HeaderMatchKind.PREFIX }] }),
      RolloutStep.weight(50), RolloutStep.analysis(), RolloutStep.canaryScale({ weight: 100 }), RolloutStep.pause(),
      RolloutStep.canaryScale({ matchTrafficWeight: true }), RolloutStep.weight(100),
    ];
    const resolved = resolve({ steps });
    expect(resolved.steps).toBe(steps);
    expect(resolved.stepWeight).toBeUndefined();
    expect(resolved.maxWeight).toBeUndefined();
    expect(resolved.stepWeights).toBeUndefined();
  });

  test('the factories record what each step does', () => {
    expect(RolloutStep.weight(30)).toMatchObject({ kind: 'SET_WEIGHT', percentage: 30 });
    expect(RolloutStep.pause()).toMatchObject({ kind: 'PAUSE', duration: undefined });
    expect(RolloutStep.pause(Duration.seconds(30)).duration?.toSeconds()).toBe(30);
    expect(RolloutStep.analysis()).toMatchObject({ kind: 'ANALYSIS' });
    expect(HEADER_ROUTE).toMatchObject({ kind: 'SET_HEADER_ROUTE', routeName: 'canary-by-header', match: [{ name: 'x-canary', value: 'always' }] });
    expect(RolloutStep.mirrorRoute({ name: 'mirror', percentage: 10 })).toMatchObject({ kind: 'SET_MIRROR_ROUTE', routeName: 'mirror', percentage: 10, match: undefined });
    expect(RolloutStep.canaryScale({ replicas: 2 })).toMatchObject({ kind: 'SET_CANARY_SCALE', scale: { replicas: 2 } });
  });

  test('a route may be set again by a later step', () => {
    const again = RolloutStep.headerRoute({ name: 'canary-by-header', match: [{ name: 'x-canary', value: 'beta', kind: HeaderMatchKind.REGEX }] });
    expect(resolve({ steps: [HEADER_ROUTE, WEIGHT, again] }).steps).toHaveLength(3);
  });

  test.each([
    [{ stepWeight: 10 }, "'analysis.stepWeight'"],
    [{ maxWeight: 50 }, "'analysis.maxWeight'"],
    [{ stepWeights: [10, 50] }, "'analysis.stepWeights'"],
    [{ stepWeight: 10, maxWeight: 50 }, "'analysis.stepWeight' and 'analysis.maxWeight'"],
    [{ stepWeight: 10, stepWeights: [10, 50], maxWeight: 50 }, "'analysis.stepWeight' and 'analysis.stepWeights' and 'analysis.maxWeight'"],
  ])('with %j is rejected, listing them', (weights, listed) => {
    expect(() => resolve({ steps: [WEIGHT], ...weights })).toThrow(`podinfo: either 'analysis.steps' or ${listed}, not both`);
  });

  test.each([
    ['empty', []],
    ['only pauses and analyses', [RolloutStep.pause(), RolloutStep.analysis()]],
  ])('without a weight step (%s) is rejected', (_what, steps) => {
    expect(() => resolve({ steps })).toThrow("podinfo: 'analysis.steps' must contain at least one RolloutStep.weight()");
  });

  test.each([101, -1, 12.5])('a weight of %s is rejected', (weight) => {
    expect(() => resolve({ steps: [WEIGHT, RolloutStep.weight(weight)] }))
      .toThrow(`podinfo: 'analysis.steps[1].weight' (${weight}) must be an integer between 0 and 100`);
  });

  test.each([
    [Duration.millis(1500), '1 second 500 millis'],
    [Duration.seconds(0), '0 seconds'],
  ])('a pause of %s is rejected', (duration, shown) => {
    expect(() => resolve({ steps: [WEIGHT, RolloutStep.pause(duration)] }))
      .toThrow(`podinfo: 'analysis.steps[1].duration' (${shown}) must be a whole number of seconds, at least 1s`);
  });

  test('a header route without a header is rejected', () => {
    expect(() => resolve({ steps: [WEIGHT, RolloutStep.headerRoute({ name: 'everyone', match: [] })] }))
      .toThrow("podinfo: 'analysis.steps[1].match' must have at least one header: a header route without conditions would send every request to the canary");
  });

  test.each([
    ['a header route', (match: any[]) => RolloutStep.headerRoute({ name: 'canary', match })],
    ['a mirror route', (match: any[]) => RolloutStep.mirrorRoute({ name: 'canary', percentage: 10, match })],
  ])('%s with a bad header name is rejected', (_what, make) => {
    const step = make([{ name: 'x-ok', value: '1' }, { name: 'x canary', value: 'always' }]);
    expect(() => resolve({ steps: [WEIGHT, step] }))
      .toThrow("podinfo: 'analysis.steps[1].match[1].name' ('x canary') must be an HTTP header name: letters, digits and '-'");
  });

  test('a route name that is not a DNS label is rejected', () => {
    expect(() => resolve({ steps: [WEIGHT, RolloutStep.headerRoute({ name: 'Canary_Route', match: [{ name: 'x-canary', value: '1' }] })] }))
      .toThrow(`podinfo: 'analysis.steps[1].name' ('Canary_Route') ${DNS_LABEL_RULE}`);
  });

  test.each([101, -1])('a mirror percentage of %s is rejected', (percentage) => {
    expect(() => resolve({ steps: [WEIGHT, RolloutStep.mirrorRoute({ name: 'mirror', percentage })] }))
      .toThrow(`podinfo: 'analysis.steps[1].percentage' (${percentage}) must be an integer between 0 and 100`);
  });

  test.each<[string, CanaryScaleOptions]>([
    ['none', {}],
    ['matchTrafficWeight false only', { matchTrafficWeight: false }],
    ['replicas and weight', { replicas: 1, weight: 50 }],
    ['replicas and matchTrafficWeight', { replicas: 1, matchTrafficWeight: true }],
    ['weight and matchTrafficWeight', { weight: 50, matchTrafficWeight: true }],
    ['all three', { replicas: 1, weight: 50, matchTrafficWeight: true }],
  ])('a canary scale with %s is rejected', (_what, scale) => {
    expect(() => resolve({ steps: [WEIGHT, RolloutStep.canaryScale(scale)] }))
      .toThrow("podinfo: 'analysis.steps[1]' must set exactly one of 'replicas', 'weight' or 'matchTrafficWeight'");
  });

  test.each<[CanaryScaleOptions, string]>([
    [{ replicas: -1 }, "'analysis.steps[1].replicas' (-1) must be an integer between 0 and 1000"],
    [{ replicas: 1.5 }, "'analysis.steps[1].replicas' (1.5) must be an integer between 0 and 1000"],
    [{ weight: 101 }, "'analysis.steps[1].weight' (101) must be an integer between 0 and 100"],
  ])('a canary scale of %j is rejected', (scale, message) => {
    expect(() => resolve({ steps: [WEIGHT, RolloutStep.canaryScale(scale)] })).toThrow(`podinfo: ${message}`);
  });

  test('one name for a header route and a mirror route is rejected', () => {
    const steps = [WEIGHT, RolloutStep.headerRoute({ name: 'canary', match: [{ name: 'x-canary', value: '1' }] }), RolloutStep.mirrorRoute({ name: 'canary', percentage: 10 })];
    expect(() => resolve({ steps }))
      .toThrow("podinfo: 'analysis.steps' uses the route name 'canary' for a header route and a mirror route; give them different names");
  });

  test('the first bad step is named', () => {
    expect(() => resolve({ steps: [RolloutStep.weight(200), RolloutStep.pause(Duration.millis(1))] }))
      .toThrow("podinfo: 'analysis.steps[0].weight' (200) must be an integer between 0 and 100");
  });
});
