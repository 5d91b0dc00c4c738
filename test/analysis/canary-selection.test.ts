import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ApplicationMetrics, CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GitOps, ITrafficRouter, MetricScope,
  ReleasePhase, TrafficRouter, TrafficSegment,
} from '../../src';
import { only, synth } from '../synth';

/**
 * A query of your own must select the canary (MetricScope.CANARY, the default) or say that it
 * measures what every version shares (MetricScope.GLOBAL). The message shows the selector to add
 * for the engine and router.
 */

const OWNER = "CanaryService 'podinfo'";
const FLAGGER_OWNER = "FlaggerCanary 'podinfo'";
const UNSELECTED = 'sum(rate(http_requests_total{code=~"5.."}[{{ interval }}]))';
const GLOBAL_HINT = "or set 'scope: MetricScope.GLOBAL' if it measures what every version shares (e.g. a global SLO guard)";
const NO_MATCHER = 'no label matcher names the canary, so it measures every version (or nothing, and the analysis halts with "no values found")';

type Engine = 'flagger' | 'argo';

const routers: { [name: string]: () => ITrafficRouter } = {
  'traefik': () => TrafficRouter.traefik({ hosts: ['app.example.com'] }),
  'istio': () => TrafficRouter.istio({ hosts: ['app.example.com'] }),
  'gateway-api': () => TrafficRouter.gatewayApi({ hosts: ['app.example.com'] }),
  'replica-ratio': () => TrafficRouter.replicaRatio({ metrics: ApplicationMetrics.httpHistogram({ port: 9898 }) }),
};

function declare(engine: Engine, router: string, metrics: CanaryMetric[], strategy?: DeliveryStrategy): any[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  new CanaryService(chart, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }),
    liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9898 }),
    engine: engine === 'flagger' ? DeliveryEngine.flagger() : DeliveryEngine.argoRollouts(),
    router: routers[router](),
    // Flagger runs the replica-ratio canary as blue/green only (provider kubernetes).
    strategy: strategy ?? (engine === 'flagger' && router === 'replica-ratio' ? DeliveryStrategy.blueGreen() : undefined),
    analysis: { metrics, webhooks: [CanaryWebhook.loadTest()] },
  });
  return synth(chart);
}

const errors = (query: string, scope?: MetricScope) => CanaryMetric.prometheus({ name: 'errors', query, max: 1, scope });

describe('a query that selects no canary fails, with the selector to add for the engine and router', () => {
  const hint = (engine: Engine, routerSeries: string | undefined) => {
    const pod = engine === 'flagger' ? '{pod=~"{{ target }}-[0-9a-z]+-[0-9a-z]+"}' : '{rollouts_pod_template_hash="{{args.canary-hash}}"}';
    const router = routerSeries ? `the router's series, e.g. ${routerSeries}, or ` : '';
    return `With %s, select it in ${router}the canary pods' own series, e.g. ${pod}; ${GLOBAL_HINT}`;
  };
  test.each<[Engine, string, string, string]>([
    ['flagger', 'traefik', 'Flagger (provider traefik)', 'traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",le="+Inf"}'],
    ['flagger', 'istio', 'Flagger (provider istio)', 'istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}"}'],
    ['flagger', 'gateway-api', 'Flagger (provider gatewayapi:v1)', 'istio_requests_total{namespace="test",reporter="source",destination_service_namespace="{{ namespace }}",destination_service_name="{{ target }}-canary"}'],
    ['flagger', 'replica-ratio', 'Flagger (provider kubernetes)', 'http_request_duration_seconds_count{job="kubernetes-pods",kubernetes_namespace="{{ namespace }}",app_kubernetes_io_name="podinfo",path!~"/healthz|healthz|/metrics|metrics|/readyz|readyz"}'],
    ['argo', 'traefik', 'Argo Rollouts (router traefik)', 'traefik_service_request_duration_seconds_bucket{namespace="traefik",service="{{args.namespace}}-{{args.canary-service}}-{{args.service-port}}@kubernetescrd",le="+Inf"}'],
    ['argo', 'istio', 'Argo Rollouts (router istio)', 'istio_requests_total{job="kubernetes-pods",reporter="destination",destination_workload_namespace="{{args.namespace}}",destination_workload="{{args.service-name}}",rollouts_pod_template_hash="{{args.canary-hash}}"}'],
    ['argo', 'gateway-api', 'Argo Rollouts (router gateway-api)', 'istio_requests_total{namespace="test",reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.canary-service}}"}'],
    ['argo', 'replica-ratio', 'Argo Rollouts (router replica-ratio)', 'http_request_duration_seconds_count{job="kubernetes-pods",kubernetes_namespace="{{args.namespace}}",app_kubernetes_io_name="podinfo",rollouts_pod_template_hash="{{args.canary-hash}}",path!~"/healthz|healthz|/metrics|metrics|/readyz|readyz"}'],
  ])('%s with %s', (engine, router, cell, series) => {
    const owner = engine === 'flagger' ? FLAGGER_OWNER : OWNER;
    expect(() => declare(engine, router, [errors(UNSELECTED)])).toThrow(
      `${owner}: 'analysis.metrics[0].query' ('${UNSELECTED}') does not select the canary: ${NO_MATCHER}. ${hint(engine, series).replace('%s', cell)}`,
    );
  });
});

describe('queries that select the canary pass', () => {
  test.each<[Engine, string, string]>([
    ['flagger', 'istio', 'sum(rate(istio_requests_total{destination_workload=~"{{ target }}",response_code=~"5.*"}[{{ interval }}]))'],
    ['flagger', 'traefik', 'sum(rate(traefik_service_requests_total{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",code=~"5.."}[{{ interval }}]))'],
    ['flagger', 'traefik', 'sum(rate(http_requests_total{pod=~"{{ target }}-[0-9a-z]+-[0-9a-z]+",code=~"5.."}[{{ interval }}]))'],
    ['flagger', 'gateway-api', 'sum(rate(istio_requests_total{destination_service_name="{{ target }}-canary",response_code=~"5.*"}[{{ interval }}]))'],
    ['argo', 'istio', 'sum(rate(istio_requests_total{rollouts_pod_template_hash="{{args.canary-hash}}",response_code=~"5.*"}[{{ interval }}]))'],
    ['argo', 'traefik', 'sum(rate(traefik_service_requests_total{service="{{ namespace }}-{{args.canary-service}}-80@kubernetescrd",code=~"5.."}[{{ interval }}]))'],
    ['argo', 'traefik', 'sum(rate(traefik_service_requests_total{service=~"{{ namespace }}-{{ target }}-canary-[0-9]+@kubernetescrd",code=~"5.."}[{{ interval }}]))'],
    ['argo', 'gateway-api', 'sum(rate(istio_requests_total{destination_service_name="{{args.canary-service}}",response_code=~"5.*"}[{{ interval }}]))'],
    ['argo', 'replica-ratio', 'sum(rate(panics_total{rollouts_pod_template_hash="{{args.canary-hash}}"}[{{ interval }}]))'],
  ])('%s with %s: %s', (engine, router, query) => {
    expect(() => declare(engine, router, [errors(query)])).not.toThrow();
  });

  test('MetricScope.GLOBAL: a guard over every version is not checked for a canary selector', () => {
    for (const engine of ['flagger', 'argo'] as Engine[]) {
      expect(() => declare(engine, 'istio', [errors(UNSELECTED, MetricScope.GLOBAL)])).not.toThrow();
    }
  });

  test('with Argo Rollouts, {{args.canary-hash}} is passed by every router (the newest ReplicaSet\'s pod-template hash)', () => {
    const manifests = declare('argo', 'traefik', [errors('sum(rate(http_requests_total{rollouts_pod_template_hash="{{args.canary-hash}}",code=~"5.."}[{{ interval }}]))')]);
    expect(only(manifests, 'Rollout').spec.strategy.canary.analysis.args).toContainEqual({ name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } });
    expect(only(manifests, 'AnalysisTemplate', 'podinfo').spec.args).toContainEqual({ name: 'canary-hash' });
    // Without such a query the argument is not passed.
    expect(only(declare('argo', 'traefik', [CanaryMetric.requestSuccessRate()]), 'Rollout').spec.strategy.canary.analysis.args.map((a: any) => a.name)).not.toContain('canary-hash');
  });

  test('with Argo Rollouts blue/green, the preview Service is the canary\'s', () => {
    const query = 'sum(rate(traefik_service_requests_total{service="{{ namespace }}-{{args.preview-service}}-80@kubernetescrd",code=~"5.."}[{{ interval }}]))';
    expect(() => declare('argo', 'traefik', [errors(query)], DeliveryStrategy.blueGreen())).not.toThrow();
  });
});

describe('queries that name the canary but match the other version too fail', () => {
  test('Flagger: a regex on {{ target }} that also matches <target>-primary', () => {
    const query = 'sum(rate(istio_requests_total{destination_workload=~"{{ target }}.*"}[{{ interval }}]))';
    expect(() => declare('flagger', 'istio', [errors(query)])).toThrow(
      `${FLAGGER_OWNER}: 'analysis.metrics[0].query' ('${query}') does not select the canary: its matcher destination_workload=~"{{ target }}.*" also matches the other version's name (podinfo-primary), so it does not tell the canary apart.`,
    );
  });

  test('Flagger: the primary itself', () => {
    const query = 'sum(rate(istio_requests_total{destination_workload="{{ target }}-primary"}[{{ interval }}]))';
    expect(() => declare('flagger', 'istio', [errors(query)])).toThrow("its matcher destination_workload=\"{{ target }}-primary\" also matches the other version's name (podinfo-primary)");
  });

  test('Flagger with Istio: {{ target }} as the destination Service is the Service in front of both versions', () => {
    const query = 'sum(rate(istio_requests_total{destination_service_name="{{ target }}"}[{{ interval }}]))';
    expect(() => declare('flagger', 'istio', [errors(query)])).toThrow(
      `${FLAGGER_OWNER}: 'analysis.metrics[0].query' ('${query}') does not select the canary: its matcher destination_service_name="{{ target }}" also matches the other version's name (podinfo-primary) or a Service in front of every version (podinfo), so it does not tell the canary apart.`,
    );
    expect(() => declare('flagger', 'istio', [errors(query.replace('{{ target }}"', '{{ target }}-canary"'))])).not.toThrow();
  });

  test('Argo Rollouts: {{ target }} names the Rollout, whose pods are stable and canary alike', () => {
    const query = 'sum(rate(istio_requests_total{destination_workload="{{ target }}"}[{{ interval }}]))';
    expect(() => declare('argo', 'istio', [errors(query)])).toThrow(`${OWNER}: 'analysis.metrics[0].query' ('${query}') does not select the canary: ${NO_MATCHER}.`);
  });

  test('Argo Rollouts blue/green: <target>-canary does not exist, the new version is behind <target>-preview', () => {
    const query = 'sum(rate(traefik_service_requests_total{service=~"{{ namespace }}-{{ target }}-canary-[0-9]+@kubernetescrd"}[{{ interval }}]))';
    expect(() => declare('argo', 'traefik', [errors(query)], DeliveryStrategy.blueGreen())).toThrow(
      `${OWNER}: 'analysis.metrics[0].query' ('${query}') does not select the canary: ${NO_MATCHER}. With Argo Rollouts (router traefik), select it in the router's series, e.g. traefik_service_request_duration_seconds_bucket{namespace="traefik",service="{{args.namespace}}-{{args.preview-service}}-{{args.service-port}}@kubernetescrd",le="+Inf"}`,
    );
  });

  test('a canary regex of Argo Rollouts that also matches the stable Service', () => {
    const regex = '{{ namespace }}-{{ target }}-canary-[0-9]+@kubernetescrd|{{ namespace }}-{{ target }}-stable-[0-9]+@kubernetescrd';
    const query = `sum(rate(traefik_service_requests_total{service=~"${regex}"}[{{ interval }}]))`;
    expect(() => declare('argo', 'traefik', [errors(query)])).toThrow(
      `its matcher service=~"${regex}" also matches the other version's name (podinfo-stable)`,
    );
  });
});

describe('every vector selector counts, not one of them', () => {
  test('Flagger: an unscoped selector beside one of the canary measures every version', () => {
    const query = 'sum(rate(http_requests_total[1m])) or vector(0) * count(up{job="{{ target }}-canary"})';
    expect(() => declare('flagger', 'istio', [errors(query)])).toThrow(
      `${FLAGGER_OWNER}: 'analysis.metrics[0].query' ('${query}') selects the canary in one vector selector but not in another: selector 1 ({}) measures every version, `
      + 'so the result mixes the canary with the others. Select the canary in every selector (as in job="{{ target }}-canary"), '
      + GLOBAL_HINT,
    );
  });

  test('Flagger: the canary against the primary, named explicitly, is a deliberate baseline and passes', () => {
    const query = 'sum(rate(istio_requests_total{destination_workload="{{ target }}"}[{{ interval }}])) / sum(rate(istio_requests_total{destination_workload="{{ target }}-primary"}[{{ interval }}]))';
    expect(() => declare('flagger', 'istio', [errors(query)])).not.toThrow();
  });
});

describe('placeholders each controller can fill in', () => {
  test('Flagger cannot render Argo Rollouts\' arguments', () => {
    const query = 'sum(rate(http_requests_total{rollouts_pod_template_hash="{{args.canary-hash}}"}[{{ interval }}]))';
    expect(() => declare('flagger', 'istio', [errors(query)])).toThrow(
      `${FLAGGER_OWNER}: 'analysis.metrics[0].query' ('${query}') uses {{args.canary-hash}}, which is Argo Rollouts' syntax, and Flagger cannot render (its template functions here: {{ name }}, {{ namespace }}, {{ target }}, {{ service }}, {{ ingress }}, {{ route }}, {{ interval }})`,
    );
  });

  test('Argo Rollouts cannot fill in an argument the analysis does not pass, nor Flagger\'s {{ ingress }}', () => {
    const unknown = 'sum(rate(http_requests_total{rollouts_pod_template_hash="{{args.canary-hash}}",app="{{args.app}}"}[{{ interval }}]))';
    const ingress = 'sum(rate(nginx_ingress_controller_requests{ingress="{{ ingress }}",canary="{{args.canary-hash}}"}[{{ interval }}]))';
    const messages = () => declare('argo', 'istio', [errors(unknown), CanaryMetric.prometheus({ name: 'nginx', query: ingress, max: 1 })]);
    expect(messages).toThrow(
      `${OWNER}: 'analysis.metrics[0].query' ('${unknown}') uses {{args.app}}, which Argo Rollouts cannot fill in with this router: use {{ name }}, {{ namespace }}, {{ target }}, {{ service }}, {{ interval }} or an argument of the analysis (`,
    );
    // Both mistakes at once.
    expect(messages).toThrow(`${OWNER}: 'analysis.metrics[1].query' ('${ingress}') uses {{ ingress }}, which Argo Rollouts cannot fill in with this router`);
  });

  test('a query in a phase is named by its phase', () => {
    const phases = DeliveryStrategy.phased([
      ReleasePhase.of({ segment: TrafficSegment.header('x-employee', 'true'), hold: Duration.minutes(2), metrics: [CanaryMetric.requestSuccessRate(), errors(UNSELECTED)] }),
      ReleasePhase.of({ segment: TrafficSegment.randomSample([25, 50]) }),
    ]);
    expect(() => declare('argo', 'istio', [CanaryMetric.requestSuccessRate()], phases)).toThrow(
      `${OWNER}: 'strategy.phases[0].metrics[1].query' ('${UNSELECTED}') does not select the canary`,
    );
  });
});

test('an untyped caller\'s scope is checked where it is given', () => {
  expect(() => errors(UNSELECTED, 'everything' as any)).toThrow(
    "CanaryMetric.prometheus(): 'scope' ('everything') must be one of MetricScope.CANARY, MetricScope.GLOBAL",
  );
});
