import { Chart, Testing } from 'cdk8s';
import {
  CanaryMetric, CanaryService, CanaryWebhook, ComparedMeasure, DeliveryEngine, DeliveryStrategy, GitOps, IDeliveryEngine, IstioRoutingMode,
  ITrafficRouter, TrafficRouter,
} from '../../src';
import { only, synth } from '../synth';

const OWNER = "CanaryService 'podinfo'";

function declare(
  engine: IDeliveryEngine, metrics: CanaryMetric[], router: ITrafficRouter = TrafficRouter.istio(),
  more: { receivesLiveTraffic?: boolean; strategy?: DeliveryStrategy } = {},
): any[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  new CanaryService(chart, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine,
    router,
    strategy: more.strategy,
    analysis: { metrics, webhooks: [CanaryWebhook.loadTest()], receivesLiveTraffic: more.receivesLiveTraffic },
  });
  return synth(chart);
}

const errorRatio = () => CanaryMetric.compareToPrimary({ measure: ComparedMeasure.ERROR_RATE, maxRatio: 1.5 });

test('Flagger: a MetricTemplate comparing the canary with the primary, at most the bound', () => {
  const manifests = declare(DeliveryEngine.flagger(), [errorRatio()]);
  expect(only(manifests, 'Canary').spec.analysis.metrics).toEqual([{
    name: 'error-rate-vs-primary', interval: '1m', thresholdRange: { max: 1.5 }, templateRef: { name: 'podinfo-error-rate-vs-primary', namespace: 'test' },
  }]);
  const query = only(manifests, 'MetricTemplate', 'podinfo-error-rate-vs-primary').spec.query;
  expect(query).toContain('destination_workload="{{ target }}"');
  expect(query).toContain('destination_workload="{{ target }}-primary"');
  expect(query).toContain('clamp_min(');
});

test('Argo Rollouts: the stable version by its pod-template hash, passed only when a check compares', () => {
  const args = (metrics: CanaryMetric[]) => only(declare(DeliveryEngine.argoRollouts(), metrics), 'Rollout').spec.strategy.canary.analysis.args;
  expect(args([errorRatio()])).toContainEqual({ name: 'stable-hash', valueFrom: { podTemplateHashValue: 'Stable' } });
  expect(args([CanaryMetric.requestSuccessRate()]).map((a: any) => a.name)).not.toContain('stable-hash');
  const metric = only(declare(DeliveryEngine.argoRollouts(), [errorRatio()]), 'AnalysisTemplate', 'podinfo').spec.metrics
    .find((m: any) => m.name === 'error-rate-vs-primary');
  expect(metric.successCondition).toBe('len(result) > 0 && result[0] <= 1.5');
  expect(metric.provider.prometheus.query).toContain('rollouts_pod_template_hash="{{args.stable-hash}}"');
});

test('latency by difference, named after its measure', () => {
  const manifests = declare(DeliveryEngine.flagger(), [CanaryMetric.compareToPrimary({ measure: ComparedMeasure.LATENCY_P99, maxDifference: 50 })]);
  expect(only(manifests, 'Canary').spec.analysis.metrics[0]).toMatchObject({ name: 'latency-vs-primary', thresholdRange: { max: 50 } });
  expect(only(manifests, 'MetricTemplate', 'podinfo-latency-vs-primary').spec.query).toMatch(/^\(histogram_quantile\(0\.99, .* - \(histogram_quantile/);
});

describe('bad bounds fail with a message', () => {
  test.each([
    [{ measure: ComparedMeasure.ERROR_RATE }, "'analysis.metrics[0]' ('error-rate-vs-primary') needs either 'maxRatio' or 'maxDifference', exactly one"],
    [{ measure: ComparedMeasure.ERROR_RATE, maxRatio: 2, maxDifference: 1 }, "'analysis.metrics[0]' ('error-rate-vs-primary') needs either 'maxRatio' or 'maxDifference', exactly one"],
    [{ measure: ComparedMeasure.LATENCY_P99, maxRatio: 0 }, "'analysis.metrics[0].maxRatio' (0) must be a positive number, e.g. 1.5"],
    [{ measure: ComparedMeasure.LATENCY_P99, maxDifference: -5 }, "'analysis.metrics[0].maxDifference' (-5) must be a number of at least 0"],
  ])('%j', (options, message) => {
    expect(() => declare(DeliveryEngine.flagger(), [CanaryMetric.compareToPrimary(options)])).toThrow(`${OWNER}: ${message}`);
  });
});

/**
 * Istio: the load generator has no sidecar, so its load reaches only the Service it calls. The
 * comparison's queries need requests to both versions (`> 0` on each), so a typed load test also
 * loads the compared version's own Service, whose sidecars report it under its own workload.
 */
describe('a comparison on Istio loads both versions', () => {
  const flaggerLoad = (manifests: any[]) => only(manifests, 'Canary').spec.analysis.webhooks.find((w: any) => w.name === 'load-test').metadata.cmd;
  const loadtesterEgress = (manifests: any[]) => manifests.filter((o) => o.kind === 'NetworkPolicy').flatMap((p) => p.spec.egress ?? []);

  test('Flagger: the same load to <name>-canary and <name>-primary, and the loadtester may reach the primary pods', () => {
    const manifests = declare(DeliveryEngine.flagger(), [errorRatio()]);
    expect(flaggerLoad(manifests)).toBe('hey -z 54s -q 5 -c 2 http://podinfo-canary.test:80/ & hey -z 54s -q 5 -c 2 http://podinfo-primary.test:80/ && wait $!');
    expect(loadtesterEgress(manifests)).toContainEqual(expect.objectContaining({
      to: [expect.objectContaining({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'podinfo-primary' } } })],
    }));
  });

  test('Flagger: without a comparison, or with live traffic declared, the canary alone', () => {
    expect(flaggerLoad(declare(DeliveryEngine.flagger(), [CanaryMetric.requestSuccessRate()]))).toBe('hey -z 54s -q 5 -c 2 http://podinfo-canary.test:80/');
    expect(flaggerLoad(declare(DeliveryEngine.flagger(), [errorRatio()], TrafficRouter.istio(), { receivesLiveTraffic: true })))
      .toBe('hey -z 54s -q 5 -c 2 http://podinfo-canary.test:80/');
  });

  test('Argo Rollouts: subset mode loads <name> (the stable pods are behind it), host mode <name>-stable', () => {
    const argoLoad = (manifests: any[]) => only(manifests, 'AnalysisTemplate', 'podinfo').spec.metrics
      .find((m: any) => m.name === 'load-test').provider.job.spec.template.spec.containers[0].command[2];
    expect(argoLoad(declare(DeliveryEngine.argoRollouts(), [errorRatio()])))
      .toBe('hey -z 1m -q 5 -c 2 http://podinfo-canary.test:80/ & hey -z 1m -q 5 -c 2 http://podinfo.test:80/ && wait $!');
    expect(argoLoad(declare(DeliveryEngine.argoRollouts(), [errorRatio()], TrafficRouter.istio({ routingMode: IstioRoutingMode.HOST }))))
      .toBe('hey -z 1m -q 5 -c 2 http://podinfo-canary.test:80/ & hey -z 1m -q 5 -c 2 http://podinfo-stable.test:80/ && wait $!');
  });
});
