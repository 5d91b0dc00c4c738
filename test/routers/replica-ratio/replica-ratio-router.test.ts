import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ApplicationMetrics, CanaryMetric, CanaryService, CanaryWebhook, ComparedMeasure, DeliveryEngine, DeliveryStrategy, GitOps, RolloutStep,
  TrafficRouter,
} from '../../../src';
import { replicaSplit, surgeCount } from '../../../src/plan/replica-split';
import { all, only, synth, validated } from '../../synth';

const OWNER = "CanaryService 'podinfo'";
const metrics = () => ApplicationMetrics.httpHistogram({ port: 9898 });

interface Declaration {
  readonly engine?: any;
  readonly strategy?: DeliveryStrategy;
  readonly analysis?: any;
  readonly replicas?: number;
  readonly router?: any;
  readonly readiness?: kplus.Probe;
  readonly liveness?: kplus.Probe;
}

function declare(options: Declaration = {}): { chart: Chart; service: CanaryService } {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const service = validated(new CanaryService(chart, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    readiness: options.readiness ?? kplus.Probe.fromHttpGet('/readyz', { port: 9898 }),
    liveness: options.liveness ?? kplus.Probe.fromHttpGet('/healthz', { port: 9898 }),
    engine: options.engine ?? DeliveryEngine.argoRollouts(),
    router: options.router ?? TrafficRouter.replicaRatio({ metrics: metrics(), hosts: ['app.example.com'], stableHosts: ['stable.example.com'], previewHost: 'canary.example.com' }),
    strategy: options.strategy,
    replicas: options.replicas,
    analysis: { interval: Duration.seconds(30), webhooks: [CanaryWebhook.loadTest()], ...options.analysis },
  }));
  return { chart, service };
}

describe('replicaSplit follows Argo Rollouts\' approximation (utils/replicaset/canary_test.go vectors)', () => {
  test.each([
    [1, 0, 1, 0, 1], [1, 0, 49, 0, 1], [1, 0, 50, 1, 0], [1, 0, 99, 1, 0],
    [1, 1, 1, 1, 1], [1, 1, 99, 1, 1],
    [2, 0, 1, 1, 1], [2, 0, 99, 1, 1],
    [2, 1, 1, 1, 2], [2, 1, 99, 2, 1],
    // docs/features/canary: 10 replicas at 41 % give 4 canary and 6 stable.
    [10, 0, 41, 4, 6],
  ])('%i replicas, surge %i, weight %i: %i canary and %i stable', (replicas, surge, weight, canary, stable) => {
    expect(replicaSplit(replicas, weight, surge)).toEqual({ canary, stable });
  });

  test('a surge percentage rounds up', () => {
    expect([surgeCount('25%', 2), surgeCount('25%', 10), surgeCount('1', 10), surgeCount('0', 4)]).toEqual([1, 3, 1, 0]);
  });
});

describe('Argo Rollouts: a basic canary', () => {
  const { chart, service } = declare({ analysis: { webhooks: [CanaryWebhook.loadTest(), CanaryWebhook.acceptanceTest({ command: 'curl -s http://podinfo-canary.test/' })] } });
  const manifests = synth(chart);
  const canary = only(manifests, 'Rollout', 'podinfo').spec.strategy.canary;

  test('no trafficRouting and no abort delay (nothing to route); stable and canary Services for Argo to select', () => {
    expect(canary.trafficRouting).toBeUndefined();
    expect(canary.abortScaleDownDelaySeconds).toBeUndefined();
    expect([canary.stableService, canary.canaryService]).toEqual(['podinfo-stable', 'podinfo-canary']);
    expect(all(manifests, 'Service').map((s) => s.metadata.name)).toEqual(expect.arrayContaining(['podinfo', 'podinfo-stable', 'podinfo-canary']));
  });

  test('no setCanaryScale (rejected without traffic routing): the acceptance tests run right after the first weight', () => {
    expect(canary.steps.some((s: any) => s.setCanaryScale)).toBe(false);
    expect(canary.steps.slice(0, 2).map((s: any) => Object.keys(s)[0])).toEqual(['setWeight', 'analysis']);
    expect(canary.steps[1].analysis.templates).toEqual([{ templateName: 'podinfo-acceptance' }]);
  });

  test('the Ingress: hosts to every pod, stable hosts to the stable pods, the preview host to the canary', () => {
    expect(only(manifests, 'Ingress', 'podinfo').spec.rules.map((r: any) => [r.host, r.http.paths[0].backend.service.name])).toEqual([
      ['app.example.com', 'podinfo'], ['stable.example.com', 'podinfo-stable'], ['canary.example.com', 'podinfo-canary'],
    ]);
  });

  test('the pods are annotated for scraping their own metrics', () => {
    expect(only(manifests, 'Deployment', 'podinfo').spec.template.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true', 'prometheus.io/port': '9898', 'prometheus.io/path': '/metrics',
    });
  });

  test('the plan says the split is by replica count, what each weight gives, and the finest step', () => {
    expect(service.plan!.notes).toContain(
      "the traffic is split by replica count, not by weight: with 2 replicas (the autoscaler's minimum), 10% runs 1 canary and 2 stable pods (33% of the traffic); "
      + '20% runs 1 canary and 2 stable pods (33% of the traffic); 30% runs 1 canary and 2 stable pods (33% of the traffic); '
      + '40% runs 1 canary and 2 stable pods (33% of the traffic); 50% runs 1 canary and 1 stable pod (50% of the traffic)',
    );
    expect(service.plan!.notes).toContain('the finest step is one pod in 3 (33% of the traffic); more replicas give finer steps');
  });

  test('more replicas give finer steps', () => {
    const notes = declare({ replicas: 10, analysis: { stepWeights: [10, 25, 50] } }).service.plan!.notes;
    expect(notes).toContain("the traffic is split by replica count, not by weight: with 10 replicas (the autoscaler's minimum), "
      + '10% runs 1 canary and 9 stable pods (10% of the traffic); 25% runs 3 canary and 8 stable pods (27% of the traffic); 50% runs 5 canary and 5 stable pods (50% of the traffic)');
  });

  test('options that need traffic routing are rejected', () => {
    expect(() => declare({ engine: DeliveryEngine.argoRollouts({ dynamicStableScale: true }) })).toThrow(
      `${OWNER}: 'dynamicStableScale' of DeliveryEngine.argoRollouts() need traffic routing, which the replica-ratio router does not do (validation.go: "can only be used with traffic routing"); leave them out`,
    );
    const steps = [RolloutStep.canaryScale({ replicas: 1 }), RolloutStep.weight(50), RolloutStep.pause(Duration.minutes(5))];
    expect(() => declare({ analysis: { steps } })).toThrow(
      `${OWNER}: 'analysis.steps[0]' (setCanaryScale) needs traffic routing, which the router does not do: Argo Rollouts sizes the canary by its weight (validation.go: "SetCanaryScale requires TrafficRouting to be set"); remove the step`,
    );
  });

  test('blue/green: the active Service behind the hosts, the preview Service behind the preview host', () => {
    const bg = synth(declare({ strategy: DeliveryStrategy.blueGreen() }).chart);
    expect(only(bg, 'Rollout', 'podinfo').spec.strategy.blueGreen).toMatchObject({ activeService: 'podinfo', previewService: 'podinfo-preview' });
    expect(only(bg, 'Ingress', 'podinfo').spec.rules.map((r: any) => [r.host, r.http.paths[0].backend.service.name])).toEqual([
      ['app.example.com', 'podinfo'], ['stable.example.com', 'podinfo'], ['canary.example.com', 'podinfo-preview'],
    ]);
  });
});

describe('Flagger: provider kubernetes, blue/green only', () => {
  test('the Canary, the Ingress to Flagger\'s Services, and no Services of ours', () => {
    const manifests = synth(declare({ engine: DeliveryEngine.flagger(), strategy: DeliveryStrategy.blueGreen({ iterations: 5 }) }).chart);
    const spec = only(manifests, 'Canary', 'podinfo').spec;
    expect(spec.provider).toBe('kubernetes');
    expect(spec.analysis.iterations).toBe(5);
    expect(spec.analysis.metrics.map((m: any) => m.name)).toEqual(['success-rate', 'latency']);
    expect(only(manifests, 'Ingress', 'podinfo').spec.rules.map((r: any) => [r.host, r.http.paths[0].backend.service.name])).toEqual([
      ['app.example.com', 'podinfo'], ['stable.example.com', 'podinfo-primary'], ['canary.example.com', 'podinfo-canary'],
    ]);
    expect(all(manifests, 'Service').map((s) => s.metadata.name)).not.toContain('podinfo-canary');
  });

  test('a weighted canary is rejected, naming Argo Rollouts and blue/green', () => {
    expect(() => declare({ engine: DeliveryEngine.flagger() })).toThrow(
      /which Flagger cannot do with the replica-ratio router; it works with DeliveryEngine.argoRollouts\(\) with TrafficRouter.replicaRatio\(\), .*; or use DeliveryStrategy.blueGreen\(\), which Flagger runs with the replica-ratio router$/,
    );
  });
});

describe('options are checked', () => {
  test.each([
    [{ hosts: ['App.example.com'] }, "'hosts[0]' ('App.example.com') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'"],
    [{ hosts: ['a.example.com'], previewHost: 'a.example.com' }, "'previewHost' ('a.example.com') is also 'hosts[0]': a host is routed once, to the service, to the stable version or to the preview"],
  ])('%j', (options, message) => {
    expect(() => TrafficRouter.replicaRatio({ metrics: metrics(), ...options })).toThrow(`TrafficRouter.replicaRatio(): ${message}`);
  });

  test('the application metrics', () => {
    expect(() => ApplicationMetrics.httpHistogram({ port: 9898, histogram: 'http-duration' })).toThrow(
      "ApplicationMetrics.httpHistogram(): 'histogram' ('http-duration') must be a Prometheus metric name (letters, digits, '_' and ':')",
    );
    expect(() => ApplicationMetrics.httpHistogram({ port: 9898, path: 'metrics' })).toThrow(
      "ApplicationMetrics.httpHistogram(): 'path' ('metrics') must be an absolute URL path, e.g. '/metrics'",
    );
  });

  test('a custom query still works next to the built-ins', () => {
    const { service } = declare({
      analysis: {
        metrics: [
          CanaryMetric.requestSuccessRate(),
          CanaryMetric.prometheus({
            name: 'panics', query: 'sum(rate(panics_total{namespace="{{ namespace }}",rollouts_pod_template_hash="{{args.canary-hash}}"}[{{ interval }}]))', max: 0,
          }),
        ],
      },
    });
    expect(service.plan!.problems).toEqual([]);
  });
});

describe('the checks leave out requests no user sent (the probes\' and the scrape path)', () => {
  const queriesOf = (manifests: any[]) => Object.fromEntries(only(manifests, 'AnalysisTemplate', 'podinfo').spec.metrics
    .filter((m: any) => m.provider.prometheus).map((m: any) => [m.name, m.provider.prometheus.query]));

  test('the declared probes\' paths and the scrape path, as written and as podinfo labels them, in every query and comparison', () => {
    const comparison = CanaryMetric.compareToPrimary({ measure: ComparedMeasure.ERROR_RATE, maxRatio: 2 });
    const { chart } = declare({ analysis: { metrics: [CanaryMetric.requestSuccessRate(), comparison] } });
    const queries = queriesOf(synth(chart));
    const matcher = 'path!~"/healthz|healthz|/metrics|metrics|/readyz|readyz"';
    expect(queries['request-success-rate']).toBe(
      `(sum(rate(http_request_duration_seconds_count{job="kubernetes-pods",kubernetes_namespace="{{args.namespace}}",app_kubernetes_io_name="podinfo",rollouts_pod_template_hash="{{args.canary-hash}}",${matcher},status!~"5.."}[1m])) or vector(0)) `
      + `/ (sum(rate(http_request_duration_seconds_count{job="kubernetes-pods",kubernetes_namespace="{{args.namespace}}",app_kubernetes_io_name="podinfo",rollouts_pod_template_hash="{{args.canary-hash}}",${matcher}}[1m])) > 0)`,
    );
    // Both versions' series of the comparison.
    expect(queries['error-rate-vs-primary'].split(matcher).length - 1).toBe(4);
  });

  test('a custom path label, further paths, and metrics on a port of their own (then the scrape path is not the users\' server\'s)', () => {
    const router = TrafficRouter.replicaRatio({
      metrics: ApplicationMetrics.httpHistogram({ port: 9797, pathLabel: 'route', excludedPaths: ['/ping', '/api/v1.0/status'] }),
    });
    const queries = queriesOf(synth(declare({ router }).chart));
    expect(queries['request-success-rate']).toContain(String.raw`route!~"/api/v1\\.0/status|api_v1_0_status|/healthz|healthz|/ping|ping|/readyz|readyz"`);
    expect(queries['request-success-rate']).not.toContain('metrics');
  });

  test('a probe on another port than the users\' is not theirs to leave out', () => {
    const { chart } = declare({ liveness: kplus.Probe.fromHttpGet('/', { port: 9797 }) });
    expect(queriesOf(synth(chart))['request-success-rate']).toContain('path!~"/metrics|metrics|/readyz|readyz"');
  });

  test('probes of \'/\' on the users\' port are rejected: the application cannot tell them from users\' requests', () => {
    expect(() => declare({ readiness: kplus.Probe.fromHttpGet('/', { port: 9898 }), liveness: kplus.Probe.fromHttpGet('/', { port: 9898 }) })).toThrow(
      `${OWNER}: 'readiness' and 'liveness' request '/' on port 9898, where users are served: the application counts the kubelet's probes with the users' requests `
      + "(podinfo labels both 'root'), so the checks would always see traffic; give the probes a path of their own, "
      + "e.g. readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }), liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9898 })",
    );
  });

  test('a load test on a path the checks leave out is rejected', () => {
    expect(() => declare({ analysis: { webhooks: [CanaryWebhook.loadTest({ path: '/healthz' })] } })).toThrow(
      `${OWNER}: 'analysis.webhooks[0].path' ('/healthz') is a path the checks leave out ('/healthz', '/metrics', '/readyz': the probes' and the scrape path, which no user requests), `
      + "so the load would give them nothing to measure: request a path users request, e.g. '/'",
    );
  });

  test.each([
    [{ pathLabel: 'the path' }, "'pathLabel' ('the path') must be a Prometheus label name (letters, digits and '_')"],
    [{ excludedPaths: ['/'] }, "'excludedPaths[0]' (\"/\") must be an absolute URL path other than '/' (users request '/'), e.g. '/ping'"],
    [{ excludedPaths: ['/ok', 'ping'] }, "'excludedPaths[1]' (\"ping\") must be an absolute URL path other than '/' (users request '/'), e.g. '/ping'"],
    // From an untyped caller: the type is checked first, as for every argument.
    [{ excludedPaths: '/ping' as any }, "'excludedPaths' ('/ping') must be a list (each a string)"],
  ])('%j', (options, message) => {
    expect(() => ApplicationMetrics.httpHistogram({ port: 9898, ...options })).toThrow(`ApplicationMetrics.httpHistogram(): ${message}`);
  });
});
