import { ApiObject, Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import { AlertSeverity, CanaryAlert } from '../../../src/analysis/alert';
import { LoadTarget } from '../../../src/analysis/load-test';
import { CanaryMetric } from '../../../src/analysis/metric';
import { CanaryWebhook, GateStage, WebhookType } from '../../../src/analysis/webhook';
import { FlaggerCanary, FlaggerCanaryProps } from '../../../src/engines/flagger/canary';
import { FlaggerMetricTemplate } from '../../../src/engines/flagger/metric-template';
import { all, only, synth } from '../../synth';

const METRICS_SERVER = 'http://canary-prometheus.test:9090';
const LOAD_TESTER_URL = 'http://flagger-loadtester.test/';
const ERROR_RATE_QUERY = 'sum(rate(http_requests_total{namespace="{{ namespace }}",pod=~"{{ target }}-[0-9a-z]+-[0-9a-z]+",status=~"5.."}[{{ interval }}]))';
const LATENCY_QUERY = 'histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket{namespace="{{ namespace }}",pod=~"{{ target }}-[0-9a-z]+-[0-9a-z]+"}[{{ interval }}])) by (le))';
const OWNER = "FlaggerCanary 'podinfo'";

function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

/** A Canary for `podinfo` in `test`; `analysis.receivesLiveTraffic` so the default metrics need no load test. */
function newCanary(chart: Chart, overrides: Partial<FlaggerCanaryProps> = {}): FlaggerCanary {
  return new FlaggerCanary(chart, 'canary', {
    metadata: { name: 'podinfo', namespace: 'test' },
    targetName: 'podinfo',
    provider: 'traefik',
    port: 80,
    ...overrides,
    analysis: { receivesLiveTraffic: true, ...overrides.analysis },
  });
}

function canarySpec(chart: Chart): any {
  return only(synth(chart), 'Canary', 'podinfo').spec;
}

function errorRate(max = 1): CanaryMetric {
  return CanaryMetric.prometheus({ name: 'error-rate', query: ERROR_RATE_QUERY, max });
}

describe('defaults', () => {
  const chart = newChart();
  newCanary(chart);
  // Recorded for the conformance checker by the first test.
  const manifests = Testing.synth(chart);
  const canary = only(manifests, 'Canary', 'podinfo');

  test('synthesizes only the Canary, named and namespaced as given', () => {
    expect(synth(chart)).toEqual(manifests);
    expect(manifests.map((m) => `${m.apiVersion}/${m.kind}/${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
      'flagger.app/v1beta1/Canary/test/podinfo',
    ]);
  });

  test('provider, targetRef and no autoscalerRef', () => {
    expect(canary.spec.provider).toBe('traefik');
    expect(canary.spec.targetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' });
    expect(canary.spec).not.toHaveProperty('autoscalerRef');
    expect(canary.spec).not.toHaveProperty('metricsServer');
    expect(canary.spec).not.toHaveProperty('skipAnalysis');
    expect(canary.spec).not.toHaveProperty('revertOnDeletion');
  });

  test('service is named after the target, targetPort defaults to port, portName to http', () => {
    expect(canary.spec.service).toEqual({ name: 'podinfo', port: 80, targetPort: 80, portName: 'http' });
  });

  test('progressDeadlineSeconds defaults to 600', () => {
    expect(canary.spec.progressDeadlineSeconds).toBe(600);
  });

  test('analysis: 1m interval, threshold 5, steps of 10 up to 50, success rate >= 99 and P99 <= 500ms, no webhooks or alerts', () => {
    expect(canary.spec.analysis).toEqual({
      interval: '1m',
      threshold: 5,
      maxWeight: 50,
      stepWeight: 10,
      metrics: [
        { name: 'request-success-rate', interval: '1m', thresholdRange: { min: 99 } },
        { name: 'request-duration', interval: '1m', thresholdRange: { max: 500 } },
      ],
    });
  });
});

describe('defaultChild', () => {
  test('ApiObject.of(canary) is the L1 Canary', () => {
    const chart = newChart();
    const canary = newCanary(chart, { metricsServer: METRICS_SERVER, analysis: { metrics: [errorRate()] } });
    const l1 = ApiObject.of(canary);
    expect(l1).toBe(canary.apiObject);
    expect(l1.apiVersion).toBe('flagger.app/v1beta1');
    expect(l1.kind).toBe('Canary');
    expect(l1.name).toBe('podinfo');
  });

  test('a JSON patch on the defaultChild reaches the output', () => {
    const chart = newChart();
    const canary = newCanary(chart);
    ApiObject.of(canary).addJsonPatch(JsonPatch.add('/spec/suspend', true));
    expect(canarySpec(chart).suspend).toBe(true);
  });
});

test('the Canary name defaults to the target name', () => {
  const chart = newChart();
  const canary = newCanary(chart, { metadata: { namespace: 'test' } });
  expect(canary.name).toBe('podinfo');
  expect(canary.namespace).toBe('test');
  expect(only(synth(chart), 'Canary').metadata).toEqual({ name: 'podinfo', namespace: 'test' });
});

test('metadata labels and annotations are kept', () => {
  const chart = newChart();
  newCanary(chart, {
    metadata: { name: 'podinfo', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' }, annotations: { team: 'shop' } },
  });
  expect(only(synth(chart), 'Canary').metadata).toEqual({
    name: 'podinfo',
    namespace: 'test',
    labels: { 'app.kubernetes.io/name': 'podinfo' },
    annotations: { team: 'shop' },
  });
});

test('autoscalerRef points at the HPA with autoscaling/v2', () => {
  const chart = newChart();
  newCanary(chart, { autoscalerName: 'podinfo-hpa' });
  expect(canarySpec(chart).autoscalerRef).toEqual({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    name: 'podinfo-hpa',
  });
});

test('provider is passed through', () => {
  const chart = newChart();
  newCanary(chart, { provider: 'istio' });
  expect(canarySpec(chart).provider).toBe('istio');
});

test('targetName names the targetRef and the service, independent of the Canary name', () => {
  const chart = newChart();
  newCanary(chart, { metadata: { name: 'podinfo', namespace: 'test' }, targetName: 'podinfo-web' });
  const spec = canarySpec(chart);
  expect(spec.targetRef.name).toBe('podinfo-web');
  expect(spec.service.name).toBe('podinfo-web');
});

test('service port and a different targetPort', () => {
  const chart = newChart();
  newCanary(chart, { port: 8080, targetPort: 9898 });
  expect(canarySpec(chart).service).toEqual({ name: 'podinfo', port: 8080, targetPort: 9898, portName: 'http' });
});

test('serviceFields merge into spec.service and may override portName', () => {
  const chart = newChart();
  newCanary(chart, {
    provider: 'istio',
    serviceFields: { gateways: ['istio-system/public'], hosts: ['podinfo.example.com'], portName: 'grpc' },
  });
  expect(canarySpec(chart).service).toEqual({
    name: 'podinfo',
    port: 80,
    targetPort: 80,
    portName: 'grpc',
    gateways: ['istio-system/public'],
    hosts: ['podinfo.example.com'],
  });
});

test('custom progressDeadline, skipAnalysis and revertOnDeletion', () => {
  const chart = newChart();
  newCanary(chart, { progressDeadline: Duration.minutes(5), skipAnalysis: true, revertOnDeletion: true });
  const spec = canarySpec(chart);
  expect(spec.progressDeadlineSeconds).toBe(300);
  expect(spec.skipAnalysis).toBe(true);
  expect(spec.revertOnDeletion).toBe(true);
});

test('metricsServer is set on the Canary', () => {
  const chart = newChart();
  newCanary(chart, { metricsServer: METRICS_SERVER });
  expect(canarySpec(chart).metricsServer).toBe(METRICS_SERVER);
});

describe('analysis', () => {
  test.each([
    [10, '10s'],
    [60, '1m'],
    [90, '90s'],
    [300, '5m'],
  ])('interval of %p seconds renders as %p', (seconds, expected) => {
    const chart = newChart();
    newCanary(chart, { analysis: { interval: Duration.seconds(seconds) } });
    expect(canarySpec(chart).analysis.interval).toBe(expected);
  });

  test('threshold, maxWeight, stepWeight and stepWeightPromotion', () => {
    const chart = newChart();
    newCanary(chart, { analysis: { threshold: 3, maxWeight: 80, stepWeight: 20, stepWeightPromotion: 50 } });
    const analysis = canarySpec(chart).analysis;
    expect(analysis.threshold).toBe(3);
    expect(analysis.maxWeight).toBe(80);
    expect(analysis.stepWeight).toBe(20);
    expect(analysis.stepWeightPromotion).toBe(50);
    expect(analysis).not.toHaveProperty('stepWeights');
  });

  test('stepWeight defaults to maxWeight when maxWeight is below 10', () => {
    const chart = newChart();
    newCanary(chart, { analysis: { maxWeight: 5 } });
    const analysis = canarySpec(chart).analysis;
    expect(analysis.maxWeight).toBe(5);
    expect(analysis.stepWeight).toBe(5);
  });

  test('stepWeights replace maxWeight and stepWeight', () => {
    const chart = newChart();
    newCanary(chart, { analysis: { stepWeights: [1, 5, 20, 50, 80] } });
    const analysis = canarySpec(chart).analysis;
    expect(analysis.stepWeights).toEqual([1, 5, 20, 50, 80]);
    expect(analysis).not.toHaveProperty('maxWeight');
    expect(analysis).not.toHaveProperty('stepWeight');
  });

  test('built-in metrics: thresholdRange min for success rate, max in milliseconds for duration, their intervals', () => {
    const chart = newChart();
    newCanary(chart, {
      analysis: {
        metrics: [
          CanaryMetric.requestSuccessRate({ min: 95, interval: Duration.minutes(2) }),
          CanaryMetric.requestDuration({ max: Duration.seconds(1), interval: Duration.seconds(30) }),
        ],
      },
    });
    const manifests = synth(chart);
    expect(only(manifests, 'Canary').spec.analysis.metrics).toEqual([
      { name: 'request-success-rate', interval: '2m', thresholdRange: { min: 95 } },
      { name: 'request-duration', interval: '30s', thresholdRange: { max: 1000 } },
    ]);
    expect(all(manifests, 'MetricTemplate')).toEqual([]);
  });

  test('requestSuccessRate defaults to min 99 and a 1m interval', () => {
    const chart = newChart();
    newCanary(chart, { analysis: { metrics: [CanaryMetric.requestSuccessRate()] } });
    expect(canarySpec(chart).analysis.metrics).toEqual([
      { name: 'request-success-rate', interval: '1m', thresholdRange: { min: 99 } },
    ]);
  });

  test('an empty metrics list renders no checks', () => {
    const chart = newChart();
    newCanary(chart, { analysis: { metrics: [] } });
    expect(canarySpec(chart).analysis.metrics).toEqual([]);
  });
});

describe('custom metrics', () => {
  const chart = newChart();
  const canary = newCanary(chart, {
    metadata: { name: 'podinfo', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' } },
    metricsServer: METRICS_SERVER,
    analysis: {
      metrics: [
        CanaryMetric.requestSuccessRate(),
        errorRate(2),
        CanaryMetric.prometheus({ name: 'latency-p95', query: LATENCY_QUERY, min: 0, max: 0.25, interval: Duration.seconds(30) }),
      ],
    },
  });
  // Recorded for the conformance checker by the first test.
  const manifests = Testing.synth(chart);

  test('each gets a templateRef to the MetricTemplate <canary>-<metric> in the same namespace', () => {
    expect(synth(chart)).toEqual(manifests);
    expect(only(manifests, 'Canary').spec.analysis.metrics).toEqual([
      { name: 'request-success-rate', interval: '1m', thresholdRange: { min: 99 } },
      { name: 'error-rate', interval: '1m', thresholdRange: { max: 2 }, templateRef: { name: 'podinfo-error-rate', namespace: 'test' } },
      { name: 'latency-p95', interval: '30s', thresholdRange: { min: 0, max: 0.25 }, templateRef: { name: 'podinfo-latency-p95', namespace: 'test' } },
    ]);
  });

  test('the MetricTemplates query the metricsServer and carry the Canary labels', () => {
    expect(only(manifests, 'MetricTemplate', 'podinfo-error-rate')).toEqual({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'MetricTemplate',
      metadata: { name: 'podinfo-error-rate', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' } },
      spec: { provider: { type: 'prometheus', address: METRICS_SERVER }, query: ERROR_RATE_QUERY },
    });
    expect(only(manifests, 'MetricTemplate', 'podinfo-latency-p95').spec.query).toBe(LATENCY_QUERY);
    expect(all(manifests, 'MetricTemplate')).toHaveLength(2);
  });

  test('metricTemplates lists them in declaration order', () => {
    expect(canary.metricTemplates.map((t) => t.name)).toEqual(['podinfo-error-rate', 'podinfo-latency-p95']);
    expect(canary.metricTemplates[0]).toBeInstanceOf(FlaggerMetricTemplate);
  });
});

describe('webhooks', () => {
  test.each([
    ['with a trailing slash', 'http://flagger-loadtester.test/'],
    ['without a trailing slash', 'http://flagger-loadtester.test'],
  ])('loadtester URLs from loadTesterUrl %s', (_, loadTesterUrl) => {
    const chart = newChart();
    newCanary(chart, {
      loadTesterUrl,
      analysis: {
        webhooks: [
          CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_ROLLOUT }),
          CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION, name: 'promotion' }),
          CanaryWebhook.rollbackGate(),
          CanaryWebhook.loadTest({ command: 'hey -z 1m -q 10 -c 2 http://podinfo-canary.test/' }),
        ],
      },
    });
    expect(canarySpec(chart).analysis.webhooks).toEqual([
      { name: 'confirm-rollout-gate', type: 'confirm-rollout', url: 'http://flagger-loadtester.test/gate/check' },
      { name: 'promotion', type: 'confirm-promotion', url: 'http://flagger-loadtester.test/gate/check' },
      { name: 'rollback-gate', type: 'rollback', url: 'http://flagger-loadtester.test/rollback/check' },
      {
        name: 'load-test',
        type: 'rollout',
        url: 'http://flagger-loadtester.test/',
        timeout: '5s',
        metadata: { type: 'cmd', cmd: 'hey -z 1m -q 10 -c 2 http://podinfo-canary.test/' },
      },
      // The same command before traffic, so that the first check finds requests (see below).
      {
        name: 'load-test-warm-up',
        type: 'pre-rollout',
        url: 'http://flagger-loadtester.test/',
        timeout: '5s',
        metadata: { type: 'cmd', cmd: 'hey -z 1m -q 10 -c 2 http://podinfo-canary.test/' },
      },
    ]);
  });

  describe('load tests', () => {
    const TRAEFIK_TARGET: LoadTarget = {
      url: 'http://traefik.traefik:80',
      host: 'app.example.com',
      measuredAtIngress: true,
      bypassedServices: ['podinfo', 'podinfo-canary', 'podinfo-primary'],
      reason: 'Traefik measures only the requests it routes.',
      egress: [],
    };

    function loadWebhooks(webhooks: CanaryWebhook[], interval = Duration.minutes(1)): any[] {
      const chart = newChart();
      newCanary(chart, { loadTesterUrl: LOAD_TESTER_URL, loadTarget: TRAEFIK_TARGET, analysis: { interval, webhooks } });
      return canarySpec(chart).analysis.webhooks;
    }

    test('a typed load test is built for the router: through the ingress with the routed host, a run shorter than the interval', () => {
      const [rollout, warmUp] = loadWebhooks([CanaryWebhook.loadTest({ requestsPerSecond: 20 })], Duration.seconds(30));
      expect(rollout).toEqual({
        name: 'load-test',
        type: 'rollout',
        url: 'http://flagger-loadtester.test/',
        timeout: '5s',
        metadata: { type: 'cmd', cmd: 'hey -z 27s -q 10 -c 2 -host app.example.com http://traefik.traefik:80/' },
      });
      // Flagger runs `rollout` hooks only from the second interval of traffic on, right before that
      // interval's queries, and a `cmd` only starts the load: without the pre-rollout warm-up, the
      // first check would find no values (and count as failed). The loadtester drops the identical
      // rollout call while the warm-up still runs (keyed by canary and command).
      expect(warmUp).toEqual({ ...rollout, name: 'load-test-warm-up', type: 'pre-rollout' });
      expect(warmUp.metadata.cmd).toBe(rollout.metadata.cmd);
    });

    test('warm-ups come after every other webhook, so acceptance tests pass before load starts', () => {
      const names = loadWebhooks([
        CanaryWebhook.loadTest(),
        CanaryWebhook.acceptanceTest({ command: 'curl -s http://podinfo-canary.test/ | grep ok' }),
      ]).map((w) => `${w.type}:${w.name}`);
      expect(names).toEqual(['rollout:load-test', 'pre-rollout:acceptance-test', 'pre-rollout:load-test-warm-up']);
    });

    test('a given duration is kept; the command is available for plans', () => {
      const chart = newChart();
      const canary = newCanary(chart, {
        loadTesterUrl: LOAD_TESTER_URL,
        loadTarget: TRAEFIK_TARGET,
        analysis: { webhooks: [CanaryWebhook.loadTest({ duration: Duration.seconds(45), path: '/api' })] },
      });
      expect(canary.commandOf('load-test')).toBe('hey -z 45s -q 5 -c 2 -host app.example.com http://traefik.traefik:80/api');
      expect(canary.commandOf('nothing')).toBeUndefined();
    });

    test('a command of one\'s own that bypasses the router is rejected, with the command that would work', () => {
      expect(() => loadWebhooks([CanaryWebhook.loadTest({ command: 'hey -z 1m -q 10 -c 2 http://podinfo-canary.test/' })])).toThrow(
        `${OWNER}: 'analysis.webhooks[0]' sends its load to 'podinfo-canary.test', the Service 'podinfo-canary' itself, so it never passes through the router that measures it: Traefik measures only the requests it routes. The canary's series would stay empty and every check would find no values. Use CanaryWebhook.loadTest({ requestsPerSecond: 10 }) to build the command for the router, or write it as: hey -z 54s -q 5 -c 2 -host app.example.com http://traefik.traefik:80/`,
      );
    });

    test('a command through the router is accepted as written', () => {
      const [rollout] = loadWebhooks([CanaryWebhook.loadTest({ command: 'hey -z 50s -host app.example.com http://traefik.traefik/' })]);
      expect(rollout.metadata).toEqual({ type: 'cmd', cmd: 'hey -z 50s -host app.example.com http://traefik.traefik/' });
    });

    test('a typed load test needs the router\'s load target', () => {
      expect(() => newCanary(newChart(), { loadTesterUrl: LOAD_TESTER_URL, analysis: { webhooks: [CanaryWebhook.loadTest()] } })).toThrow(
        `${OWNER}: 'analysis.webhooks[0]' ('load-test') is a typed load test, which is built for the router: set 'loadTarget', or give it a 'command'`,
      );
    });

    test('a webhook that takes the warm-up\'s name is rejected', () => {
      expect(() => loadWebhooks([
        CanaryWebhook.http({ name: 'load-test-warm-up', type: WebhookType.EVENT, url: 'https://hooks.example.com/' }),
        CanaryWebhook.loadTest(),
      ])).toThrow(`${OWNER}: 'analysis.webhooks[1]' ('load-test') needs the webhook name 'load-test-warm-up' for its warm-up; rename the webhook that has it`);
    });
  });

  test('confirm-traffic-increase gate', () => {
    const chart = newChart();
    newCanary(chart, {
      loadTesterUrl: LOAD_TESTER_URL,
      analysis: { webhooks: [CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_TRAFFIC_INCREASE })] },
    });
    expect(canarySpec(chart).analysis.webhooks).toEqual([
      { name: 'confirm-traffic-increase-gate', type: 'confirm-traffic-increase', url: 'http://flagger-loadtester.test/gate/check' },
    ]);
  });

  test('acceptance test: pre-rollout bash command on the loadtester, 30s timeout by default', () => {
    const chart = newChart();
    newCanary(chart, {
      loadTesterUrl: LOAD_TESTER_URL,
      analysis: {
        webhooks: [
          CanaryWebhook.acceptanceTest({ command: "curl -sd 'test' http://podinfo-canary.test/token | grep token" }),
          CanaryWebhook.acceptanceTest({ name: 'smoke', command: 'curl -f http://podinfo-canary.test/healthz', timeout: Duration.minutes(2) }),
        ],
      },
    });
    expect(canarySpec(chart).analysis.webhooks).toEqual([
      {
        name: 'acceptance-test',
        type: 'pre-rollout',
        url: 'http://flagger-loadtester.test/',
        timeout: '30s',
        metadata: { type: 'bash', cmd: "curl -sd 'test' http://podinfo-canary.test/token | grep token" },
      },
      {
        name: 'smoke',
        type: 'pre-rollout',
        url: 'http://flagger-loadtester.test/',
        timeout: '2m',
        metadata: { type: 'bash', cmd: 'curl -f http://podinfo-canary.test/healthz' },
      },
    ]);
  });

  test('an http webhook keeps its URL, timeout, metadata, muteAlert and retries, and needs no loadtester', () => {
    const chart = newChart();
    newCanary(chart, {
      analysis: {
        webhooks: [
          CanaryWebhook.http({
            name: 'notify',
            type: WebhookType.POST_ROLLOUT,
            url: 'https://hooks.example.com/flagger?team=shop',
            timeout: Duration.seconds(15),
            metadata: { environment: 'prod' },
            muteAlert: true,
            retries: 3,
          }),
          CanaryWebhook.http({ name: 'events', type: WebhookType.EVENT, url: 'http://events.monitoring:8080/' }),
        ],
      },
    });
    expect(canarySpec(chart).analysis.webhooks).toEqual([
      {
        name: 'notify',
        type: 'post-rollout',
        url: 'https://hooks.example.com/flagger?team=shop',
        timeout: '15s',
        metadata: { environment: 'prod' },
        muteAlert: true,
        retries: 3,
      },
      { name: 'events', type: 'event', url: 'http://events.monitoring:8080/' },
    ]);
  });
});

describe('alerts', () => {
  const chart = newChart();
  const canary = newCanary(chart, {
    metadata: { name: 'podinfo', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' } },
    analysis: {
      alerts: [
        CanaryAlert.slack({ secretName: 'slack-url', channel: 'deploys', username: 'flagger-bot' }),
        CanaryAlert.msteams({ name: 'teams-errors', secretName: 'teams-url', severity: AlertSeverity.ERROR }),
        CanaryAlert.existingProvider({ providerName: 'on-call', providerNamespace: 'flagger-system', severity: AlertSeverity.WARN }),
        CanaryAlert.existingProvider({ providerName: 'team-chat', name: 'team' }),
      ],
    },
  });
  // Recorded for the conformance checker by the first test.
  const manifests = Testing.synth(chart);

  test('each alert references its provider; existing providers default to the Canary namespace', () => {
    expect(synth(chart)).toEqual(manifests);
    expect(only(manifests, 'Canary').spec.analysis.alerts).toEqual([
      { name: 'slack', severity: 'info', providerRef: { name: 'podinfo-slack', namespace: 'test' } },
      { name: 'teams-errors', severity: 'error', providerRef: { name: 'podinfo-teams-errors', namespace: 'test' } },
      { name: 'on-call', severity: 'warn', providerRef: { name: 'on-call', namespace: 'flagger-system' } },
      { name: 'team', severity: 'info', providerRef: { name: 'team-chat', namespace: 'test' } },
    ]);
  });

  test('chat alerts create an AlertProvider <canary>-<alert> whose address comes from the Secret', () => {
    expect(only(manifests, 'AlertProvider', 'podinfo-slack')).toEqual({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'AlertProvider',
      metadata: { name: 'podinfo-slack', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' } },
      spec: { type: 'slack', channel: 'deploys', username: 'flagger-bot', secretRef: { name: 'slack-url' } },
    });
    expect(only(manifests, 'AlertProvider', 'podinfo-teams-errors').spec).toEqual({
      type: 'msteams',
      secretRef: { name: 'teams-url' },
    });
  });

  test('existing providers create nothing', () => {
    expect(all(manifests, 'AlertProvider').map((m) => m.metadata.name)).toEqual(['podinfo-slack', 'podinfo-teams-errors']);
    expect(canary.alertProviders.map((p) => p.name)).toEqual(['podinfo-slack', 'podinfo-teams-errors']);
  });
});

describe('added after construction', () => {
  test('addMetric reaches the Canary and creates the MetricTemplate', () => {
    const chart = newChart();
    const canary = newCanary(chart, { metricsServer: METRICS_SERVER, analysis: { metrics: [CanaryMetric.requestSuccessRate()] } });
    canary.addMetric(errorRate());
    canary.addMetric(CanaryMetric.requestDuration({ max: Duration.millis(250) }));
    const manifests = synth(chart);
    expect(only(manifests, 'Canary').spec.analysis.metrics).toEqual([
      { name: 'request-success-rate', interval: '1m', thresholdRange: { min: 99 } },
      { name: 'error-rate', interval: '1m', thresholdRange: { max: 1 }, templateRef: { name: 'podinfo-error-rate', namespace: 'test' } },
      { name: 'request-duration', interval: '1m', thresholdRange: { max: 250 } },
    ]);
    expect(only(manifests, 'MetricTemplate', 'podinfo-error-rate').spec.provider.address).toBe(METRICS_SERVER);
  });

  test('addWebhook reaches the Canary', () => {
    const chart = newChart();
    const canary = newCanary(chart, { loadTesterUrl: LOAD_TESTER_URL });
    expect(canarySpec(chart).analysis).not.toHaveProperty('webhooks');
    canary.addWebhook(CanaryWebhook.rollbackGate());
    canary.addWebhook(CanaryWebhook.http({ name: 'notify', type: WebhookType.EVENT, url: 'https://hooks.example.com/' }));
    expect(canarySpec(chart).analysis.webhooks).toEqual([
      { name: 'rollback-gate', type: 'rollback', url: 'http://flagger-loadtester.test/rollback/check' },
      { name: 'notify', type: 'event', url: 'https://hooks.example.com/' },
    ]);
  });

  test('addWebhook can supply the load test the default metrics need', () => {
    const chart = newChart();
    const canary = new FlaggerCanary(chart, 'canary', {
      metadata: { name: 'podinfo', namespace: 'test' },
      targetName: 'podinfo',
      provider: 'traefik',
      port: 80,
      loadTesterUrl: LOAD_TESTER_URL,
      analysis: { metrics: [], webhooks: [] },
    });
    canary.addWebhook(CanaryWebhook.loadTest({ command: 'hey -z 1m http://podinfo-canary.test/' }));
    canary.addMetric(CanaryMetric.requestSuccessRate());
    const analysis = canarySpec(chart).analysis;
    expect(analysis.webhooks.map((w: any) => w.name)).toEqual(['load-test', 'load-test-warm-up']);
    expect(analysis.metrics.map((m: any) => m.name)).toEqual(['request-success-rate']);
  });

  test('addAlert reaches the Canary and creates the AlertProvider', () => {
    const chart = newChart();
    const canary = newCanary(chart);
    canary.addAlert(CanaryAlert.discord({ secretName: 'discord-url', severity: AlertSeverity.ERROR }));
    canary.addAlert(CanaryAlert.existingProvider({ providerName: 'shared', providerNamespace: 'ops' }));
    const manifests = synth(chart);
    expect(only(manifests, 'Canary').spec.analysis.alerts).toEqual([
      { name: 'discord', severity: 'error', providerRef: { name: 'podinfo-discord', namespace: 'test' } },
      { name: 'shared', severity: 'info', providerRef: { name: 'shared', namespace: 'ops' } },
    ]);
    expect(only(manifests, 'AlertProvider', 'podinfo-discord').spec).toEqual({ type: 'discord', secretRef: { name: 'discord-url' } });
  });
});

test('full stack snapshot', () => {
  const chart = newChart();
  const canary = newCanary(chart, {
    metadata: { name: 'podinfo', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' } },
    autoscalerName: 'podinfo',
    targetPort: 9898,
    metricsServer: METRICS_SERVER,
    loadTesterUrl: LOAD_TESTER_URL,
    progressDeadline: Duration.minutes(15),
    analysis: {
      receivesLiveTraffic: false,
      interval: Duration.seconds(30),
      threshold: 10,
      stepWeights: [5, 10, 25, 50],
      metrics: [CanaryMetric.requestSuccessRate(), CanaryMetric.requestDuration({ max: Duration.millis(500) }), errorRate()],
      webhooks: [
        CanaryWebhook.acceptanceTest({ command: "curl -sd 'test' http://podinfo-canary.test/token | grep token" }),
        CanaryWebhook.loadTest({ command: 'hey -z 1m -q 10 -c 2 http://podinfo-canary.test/' }),
      ],
      alerts: [CanaryAlert.slack({ secretName: 'slack-url' })],
    },
  });
  canary.addWebhook(CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION }));
  const manifests = synth(chart);
  expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
    'MetricTemplate/podinfo-error-rate',
    'AlertProvider/podinfo-slack',
    'Canary/podinfo',
  ]);
  expect(manifests).toMatchSnapshot();
});

describe('errors', () => {
  test('metadata.namespace is required', () => {
    expect(() => newCanary(newChart(), { metadata: { name: 'podinfo' } })).toThrow(
      "FlaggerCanary 'podinfo': 'metadata.namespace' is required: the webhook and metric addresses are built from it",
    );
  });

  test('targetName longer than 55 characters', () => {
    const targetName = `a${'b'.repeat(55)}`;
    expect(targetName).toHaveLength(56);
    expect(() => newCanary(newChart(), { targetName })).toThrow(
      `${OWNER}: 'targetName' ('${targetName}') must be a DNS label of at most 55 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit (Flagger appends '-primary' and '-canary', and Service names have at most 63)`,
    );
  });

  test('targetName of exactly 55 characters is accepted', () => {
    const targetName = `a${'b'.repeat(54)}`;
    const chart = newChart();
    newCanary(chart, { targetName });
    expect(canarySpec(chart).targetRef.name).toBe(targetName);
  });

  test('targetName that is not a DNS label', () => {
    expect(() => newCanary(newChart(), { targetName: 'Podinfo_v2' })).toThrow(
      `${OWNER}: 'targetName' ('Podinfo_v2') must be a DNS label of at most 55 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit (Flagger appends '-primary' and '-canary', and Service names have at most 63)`,
    );
  });

  test.each([0, 65536, 80.5])('port %p out of range', (port) => {
    expect(() => newCanary(newChart(), { port })).toThrow(`${OWNER}: 'port' (${port}) must be an integer between 1 and 65535`);
  });

  test('targetPort out of range', () => {
    expect(() => newCanary(newChart(), { targetPort: 70000 })).toThrow(`${OWNER}: 'targetPort' (70000) must be an integer between 1 and 65535`);
  });

  test('progressDeadline in fractions of a second', () => {
    expect(() => newCanary(newChart(), { progressDeadline: Duration.millis(1500) })).toThrow(
      `${OWNER}: 'progressDeadline' (1 second 500 millis) must be a whole number of seconds, at least 1s`,
    );
  });

  test('custom metric without metricsServer', () => {
    expect(() => newCanary(newChart(), { analysis: { metrics: [errorRate()] } })).toThrow(
      `${OWNER}: metric 'error-rate' needs a Prometheus to query: set 'metricsServer'`,
    );
  });

  test('custom metric added with addMetric without metricsServer', () => {
    const canary = newCanary(newChart());
    expect(() => canary.addMetric(errorRate())).toThrow(`${OWNER}: metric 'error-rate' needs a Prometheus to query: set 'metricsServer'`);
  });

  test('loadtester webhook without loadTesterUrl', () => {
    expect(() => newCanary(newChart(), {
      analysis: { webhooks: [CanaryWebhook.http({ name: 'notify', type: WebhookType.EVENT, url: 'https://hooks.example.com/' }), CanaryWebhook.rollbackGate()] },
    })).toThrow(`${OWNER}: 'analysis.webhooks[1]' ('rollback-gate') is served by the loadtester: set 'loadTesterUrl'`);
  });

  test('loadtester webhook added with addWebhook without loadTesterUrl', () => {
    const canary = newCanary(newChart());
    expect(() => canary.addWebhook(CanaryWebhook.loadTest({ command: 'hey http://podinfo-canary.test/' }))).toThrow(
      `${OWNER}: 'analysis.webhooks[0]' ('load-test') is served by the loadtester: set 'loadTesterUrl'`,
    );
  });

  test('duplicate metric added with addMetric', () => {
    const canary = newCanary(newChart(), { metricsServer: METRICS_SERVER, analysis: { metrics: [errorRate()] } });
    expect(() => canary.addMetric(errorRate(5))).toThrow(`${OWNER}: 'analysis.metrics' has two entries named 'error-rate'; names must be unique`);
  });

  test('duplicate built-in metric added with addMetric', () => {
    const canary = newCanary(newChart());
    expect(() => canary.addMetric(CanaryMetric.requestSuccessRate({ min: 90 }))).toThrow(
      `${OWNER}: 'analysis.metrics' has two entries named 'request-success-rate'; names must be unique`,
    );
  });

  test('duplicate webhook added with addWebhook', () => {
    const canary = newCanary(newChart(), { loadTesterUrl: LOAD_TESTER_URL, analysis: { webhooks: [CanaryWebhook.rollbackGate()] } });
    expect(() => canary.addWebhook(CanaryWebhook.rollbackGate())).toThrow(
      `${OWNER}: 'analysis.webhooks' has two entries named 'rollback-gate'; names must be unique`,
    );
  });

  test('duplicate alert added with addAlert', () => {
    const canary = newCanary(newChart(), { analysis: { alerts: [CanaryAlert.slack({ secretName: 'slack-url' })] } });
    expect(() => canary.addAlert(CanaryAlert.slack({ secretName: 'other-url' }))).toThrow(
      `${OWNER}: 'analysis.alerts' has two entries named 'slack'; names must be unique`,
    );
  });

  test('invalid analysis settings are reported with the Canary name', () => {
    expect(() => newCanary(newChart(), { analysis: { interval: Duration.seconds(5) } })).toThrow(
      `${OWNER}: 'analysis.interval' (5 seconds) must be a whole number of seconds, at least 10s`,
    );
  });

  test('metrics without load test or live traffic', () => {
    expect(() => new FlaggerCanary(newChart(), 'canary', {
      metadata: { name: 'podinfo', namespace: 'test' },
      targetName: 'podinfo',
      provider: 'traefik',
      port: 80,
    })).toThrow(
      `${OWNER}: 'analysis.metrics' need requests to measure, but no webhook generates load: add CanaryWebhook.loadTest() to 'analysis.webhooks', or set 'analysis.receivesLiveTraffic' to true if real traffic reaches the canary`,
    );
  });
});

describe('a failed add leaves the Canary unchanged', () => {
  test('a metric whose MetricTemplate cannot be created is not rendered', () => {
    const chart = newChart();
    const canary = newCanary(chart, { metricsServer: undefined });
    expect(() => canary.addMetric(errorRate())).toThrow(`${OWNER}: metric 'error-rate' needs a Prometheus to query: set 'metricsServer'`);
    expect(canarySpec(chart).analysis.metrics.map((m: any) => m.name)).toEqual(['request-success-rate', 'request-duration']);
  });

  test('an alert whose AlertProvider cannot be created is not rendered', () => {
    const chart = newChart();
    const canary = newCanary(chart);
    expect(() => canary.addAlert(CanaryAlert.slack({ secretName: 'Bad Secret' }))).toThrow();
    expect(canarySpec(chart).analysis.alerts).toBeUndefined();
  });
});

test('a loadTesterUrl that is not a URL is rejected', () => {
  expect(() => newCanary(newChart(), { loadTesterUrl: 'flagger-loadtester' }))
    .toThrow(`${OWNER}: 'loadTesterUrl' ('flagger-loadtester') must be an http:// or https:// URL`);
});
