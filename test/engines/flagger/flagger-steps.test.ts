import { Chart, Duration, Testing } from 'cdk8s';
import {
  CanaryAnalysisOptions, CanaryService, CanaryWebhook, DeliveryEngine, GateStage, RolloutStep, TrafficRouter,
} from '../../../src';
import { resolveAnalysis } from '../../../src/analysis/resolve-analysis';
import { toFlaggerAnalysis } from '../../../src/engines/flagger/flagger-steps';
import { all, only, synth, validated } from '../../synth';

const IMAGE = 'ghcr.io/stefanprodan/podinfo:6.7.0';
const OWNER = "CanaryService 'podinfo'";
const LOAD_TEST = CanaryWebhook.loadTest();
const GATE_URL = 'http://flagger-loadtester.test/gate/check';
const NOT_FLAGGER = "cannot be expressed with Flagger: it advances by 'stepWeights' at every interval and runs the analysis at every interval; use Argo Rollouts for this step";

function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

/** `podinfo` with Flagger and Traefik; the analysis defaults to live traffic so no webhook is needed. */
function newService(chart: Chart, analysis: CanaryAnalysisOptions): CanaryService {
  return validated(new CanaryService(chart, 'podinfo', {
    image: IMAGE,
    containerPort: 9898,
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
    analysis: { receivesLiveTraffic: true, ...analysis },
  }));
}

function stack(analysis: CanaryAnalysisOptions): { service: CanaryService; manifests: any[] } {
  const chart = newChart();
  const service = newService(chart, analysis);
  return { service, manifests: synth(chart) };
}

function analysisOf(manifests: any[]): any {
  return only(manifests, 'Canary', 'podinfo').spec.analysis;
}

function expectLoadTester(service: CanaryService, manifests: any[]): void {
  expect(service.loadTester?.url).toBe('http://flagger-loadtester.test/');
  expect(only(manifests, 'Deployment', 'flagger-loadtester').metadata.namespace).toBe('test');
  expect(only(manifests, 'Service', 'flagger-loadtester').spec.ports[0].port).toBe(80);
  only(manifests, 'NetworkPolicy', 'flagger-loadtester');
}

describe('weights', () => {
  const { service, manifests } = stack({
    steps: [
      RolloutStep.weight(20), RolloutStep.pause(Duration.minutes(1)), RolloutStep.weight(50), RolloutStep.pause(Duration.minutes(1)),
      RolloutStep.weight(80),
    ],
  });
  const analysis = analysisOf(manifests);

  test('become stepWeights, the one way of advancing', () => {
    expect(analysis.stepWeights).toEqual([20, 50, 80]);
    expect(analysis).not.toHaveProperty('stepWeight');
    expect(analysis).not.toHaveProperty('maxWeight');
    expect(analysis).not.toHaveProperty('iterations');
    expect(analysis).not.toHaveProperty('steps');
    expect(analysis.interval).toBe('1m');
  });

  test('timed pauses equal to the interval add nothing: no gate, no loadtester', () => {
    expect(analysis).not.toHaveProperty('webhooks');
    expect(service.loadTester).toBeUndefined();
    expect(manifests.filter((m) => m.metadata.name === 'flagger-loadtester')).toEqual([]);
  });

  test('a weight of zero is skipped', () => {
    const steps = [RolloutStep.weight(0), RolloutStep.pause(Duration.minutes(1)), RolloutStep.weight(30), RolloutStep.weight(100)];
    expect(analysisOf(stack({ steps }).manifests).stepWeights).toEqual([30, 100]);
  });

  test('a pause of the same length in another unit is accepted', () => {
    const steps = [RolloutStep.weight(25), RolloutStep.pause(Duration.seconds(30)), RolloutStep.weight(50)];
    expect(analysisOf(stack({ steps, interval: Duration.seconds(30) }).manifests).stepWeights).toEqual([25, 50]);
    const sixty = [RolloutStep.weight(25), RolloutStep.pause(Duration.seconds(60)), RolloutStep.weight(50)];
    expect(analysisOf(stack({ steps: sixty, interval: Duration.minutes(1) }).manifests).stepWeights).toEqual([25, 50]);
  });
});

describe('indefinite pauses become manual gates in the loadtester', () => {
  test('after the last weight: a confirm-promotion gate', () => {
    const { service, manifests } = stack({ steps: [RolloutStep.weight(20), RolloutStep.weight(50), RolloutStep.pause()] });
    expect(analysisOf(manifests).webhooks).toEqual([{ name: 'confirm-promotion-gate', type: 'confirm-promotion', url: GATE_URL }]);
    expectLoadTester(service, manifests);
  });

  test('between weights: a confirm-traffic-increase gate', () => {
    const { service, manifests } = stack({ steps: [RolloutStep.weight(20), RolloutStep.pause(), RolloutStep.weight(50)] });
    expect(analysisOf(manifests).webhooks).toEqual([{ name: 'confirm-traffic-increase-gate', type: 'confirm-traffic-increase', url: GATE_URL }]);
    expectLoadTester(service, manifests);
  });

  test('before the first weight: a confirm-traffic-increase gate', () => {
    const { manifests } = stack({ steps: [RolloutStep.pause(), RolloutStep.weight(50)] });
    expect(analysisOf(manifests).webhooks.map((w: any) => w.type)).toEqual(['confirm-traffic-increase']);
  });

  test('both, each once however many pauses, after the webhooks already declared', () => {
    const { manifests } = stack({
      webhooks: [LOAD_TEST],
      steps: [
        RolloutStep.weight(10), RolloutStep.pause(), RolloutStep.weight(20), RolloutStep.pause(), RolloutStep.weight(50),
        RolloutStep.pause(), RolloutStep.pause(),
      ],
    });
    const analysis = analysisOf(manifests);
    expect(analysis.stepWeights).toEqual([10, 20, 50]);
    expect(analysis.webhooks.map((w: any) => [w.name, w.type])).toEqual([
      ['load-test', 'rollout'],
      ['confirm-traffic-increase-gate', 'confirm-traffic-increase'],
      ['confirm-promotion-gate', 'confirm-promotion'],
      ['load-test-warm-up', 'pre-rollout'],
    ]);
    for (const webhook of analysis.webhooks.filter((w: any) => w.type.startsWith('confirm'))) expect(webhook.url).toBe(GATE_URL);
    // Every URL points at the loadtester Service that exists.
    const loadTester = only(manifests, 'Service', 'flagger-loadtester');
    for (const webhook of analysis.webhooks) {
      expect(webhook.url.startsWith(`http://${loadTester.metadata.name}.${loadTester.metadata.namespace}/`)).toBe(true);
    }
  });

  test('a gate of that stage already declared is not repeated', () => {
    const { manifests } = stack({
      webhooks: [CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION, name: 'ship-it' })],
      steps: [RolloutStep.weight(50), RolloutStep.pause()],
    });
    expect(analysisOf(manifests).webhooks).toEqual([{ name: 'ship-it', type: 'confirm-promotion', url: GATE_URL }]);
  });

  test('one loadtester however many services gate', () => {
    const chart = newChart();
    newService(chart, { steps: [RolloutStep.weight(50), RolloutStep.pause()] });
    new CanaryService(chart, 'backend', {
      image: IMAGE,
      engine: DeliveryEngine.flagger(),
      router: TrafficRouter.traefik({ hosts: ['backend.example.com'] }),
      analysis: { receivesLiveTraffic: true, steps: [RolloutStep.weight(50), RolloutStep.pause()] },
    });
    expect(all(synth(chart), 'Deployment').map((d) => d.metadata.name).filter((n) => n === 'flagger-loadtester')).toHaveLength(1);
  });
});

describe('toFlaggerAnalysis', () => {
  test('an analysis without steps is returned as it is', () => {
    const resolved = resolveAnalysis(OWNER, { receivesLiveTraffic: true, stepWeight: 5, maxWeight: 30 });
    expect(toFlaggerAnalysis(OWNER, resolved)).toBe(resolved);
  });

  test('the steps are replaced by stepWeights and gates', () => {
    const steps = [RolloutStep.weight(40), RolloutStep.weight(90), RolloutStep.pause()];
    const resolved = resolveAnalysis(OWNER, { receivesLiveTraffic: true, steps });
    const flagger = toFlaggerAnalysis(OWNER, resolved);
    expect(flagger.steps).toBeUndefined();
    expect(flagger.stepWeights).toEqual([40, 90]);
    expect(flagger.webhooks.map((w) => [w.name, w.type, w.loadTesterPath])).toEqual([['confirm-promotion-gate', 'confirm-promotion', 'gate/check']]);
    // The input is left alone.
    expect(resolved.steps).toHaveLength(3);
    expect(resolved.webhooks).toEqual([]);
  });
});

describe('errors', () => {
  test('a timed pause other than the interval', () => {
    expect(() => newService(newChart(), { steps: [RolloutStep.weight(20), RolloutStep.pause(Duration.seconds(30)), RolloutStep.weight(50)] }))
      .toThrow(`${OWNER}: 'analysis.steps[1]' pauses 30 seconds, but Flagger advances at the fixed 'analysis.interval' (1 minute): make them equal, or use Argo Rollouts`);
  });

  test('a timed pause longer than the interval', () => {
    expect(() => newService(newChart(), { interval: Duration.seconds(30), steps: [RolloutStep.weight(20), RolloutStep.pause(Duration.minutes(5))] }))
      .toThrow(`${OWNER}: 'analysis.steps[1]' pauses 5 minutes, but Flagger advances at the fixed 'analysis.interval' (30 seconds): make them equal, or use Argo Rollouts`);
  });

  test.each([
    ['an analysis step', RolloutStep.analysis(), 'ANALYSIS'],
    ['a header route', RolloutStep.headerRoute({ name: 'canary-by-header', match: [{ name: 'x-canary', value: 'always' }] }), 'SET_HEADER_ROUTE'],
    ['a mirror route', RolloutStep.mirrorRoute({ name: 'mirror-all', percentage: 50 }), 'SET_MIRROR_ROUTE'],
    ['a canary scale', RolloutStep.canaryScale({ replicas: 1 }), 'SET_CANARY_SCALE'],
  ])('%s', (_what, step, kind) => {
    expect(() => newService(newChart(), { steps: [RolloutStep.weight(20), step, RolloutStep.weight(50)] }))
      .toThrow(`${OWNER}: 'analysis.steps[1]' (${kind}) ${NOT_FLAGGER}`);
  });

  test.each([
    [[50, 20], '50, 20'],
    [[20, 20], '20, 20'],
    [[10, 40, 30], '10, 40, 30'],
  ])('weights %j that do not increase', (weights, listed) => {
    const steps = weights.flatMap((weight) => [RolloutStep.weight(weight), RolloutStep.pause(Duration.minutes(1))]);
    expect(() => newService(newChart(), { steps }))
      .toThrow(`${OWNER}: 'analysis.steps' set the weights ${listed}; Flagger needs them strictly increasing`);
  });

  test('the first step Flagger cannot express is named', () => {
    expect(() => newService(newChart(), { steps: [RolloutStep.weight(20), RolloutStep.pause(Duration.seconds(30)), RolloutStep.analysis()] }))
      .toThrow(`${OWNER}: 'analysis.steps[1]' pauses 30 seconds`);
  });
});
