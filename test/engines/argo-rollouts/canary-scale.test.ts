import { App, Chart, Duration, Testing } from 'cdk8s';
import { CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GitOps, ReleasePhase, RolloutStep, TrafficRouter, TrafficSegment } from '../../../src';
import { only } from '../../synth';

/**
 * The pod that passed the acceptance tests is the one the traffic reaches first. Argo Rollouts sizes
 * the canary by the last setCanaryScale step up to the current one, and by the traffic weight after
 * a `matchTrafficWeight` one (utils/replicaset/canary.go, UseSetCanaryScale): a matchTrafficWeight at
 * weight 0 scales the canary to zero, and the next scaling step starts a new, untested pod.
 */
const TEST = CanaryWebhook.acceptanceTest({ command: 'curl -sf http://podinfo-canary.test/readyz' });

function stepsOf(strategy: DeliveryStrategy | undefined, steps?: RolloutStep[]): any[] {
  const chart = new Chart(new App(), 'test', { namespace: 'test' });
  new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: DeliveryEngine.argoRollouts(),
    gitOps: GitOps.none(),
    router: TrafficRouter.istio({ hosts: ['app.example.com'] }),
    strategy,
    analysis: { interval: Duration.seconds(30), steps, webhooks: [CanaryWebhook.loadTest(), TEST] },
  });
  return only(Testing.synth(chart), 'Rollout', 'podinfo').spec.strategy.canary.steps;
}

/** The canary's size after each step, as Argo Rollouts sets it: a number of pods, or a share of them. */
function sizes(steps: any[]): string[] {
  let weight = 0;
  let scale: any;
  return steps.map((step) => {
    if (step.setWeight !== undefined) weight = step.setWeight;
    if (step.setCanaryScale !== undefined) scale = step.setCanaryScale;
    if (scale === undefined || scale.matchTrafficWeight) return `${weight}%`;
    return scale.replicas !== undefined ? `${scale.replicas} pod` : `${scale.weight}%`;
  });
}

const STRATEGIES: [string, DeliveryStrategy | undefined, RolloutStep[] | undefined][] = [
  ['weights', undefined, undefined],
  ['explicit steps', undefined, [RolloutStep.pause(Duration.minutes(1)), RolloutStep.weight(20), RolloutStep.pause(Duration.minutes(5)), RolloutStep.weight(100)]],
  ['A/B test', DeliveryStrategy.abTest({ segments: [TrafficSegment.dogFood()], iterations: 6 }), undefined],
  ['blue/green with mirroring', DeliveryStrategy.blueGreen({ iterations: 5, mirrorPercentage: 50 }), undefined],
  ['phased', DeliveryStrategy.phased([
    ReleasePhase.of({ name: 'employees', segment: TrafficSegment.dogFood() }),
    ReleasePhase.of({ segment: TrafficSegment.randomSample([5, 50]) }),
  ]), undefined],
];

test.each(STRATEGIES)('%s: from the acceptance test on, the canary never scales to zero', (_name, strategy, steps) => {
  const rollout = stepsOf(strategy, steps);
  const tested = rollout.findIndex((step) => step.analysis?.templates?.[0]?.templateName === 'podinfo-acceptance');
  expect(tested).toBe(1);
  expect(sizes(rollout).slice(tested).filter((size) => /^0(%| pod)$/.test(size))).toEqual([]);
});

test('A/B test: the A/B scale follows the test directly (no matchTrafficWeight at weight 0 before it)', () => {
  expect(stepsOf(DeliveryStrategy.abTest({ segments: [TrafficSegment.dogFood()], iterations: 6 })).slice(0, 4)).toEqual([
    { setCanaryScale: { replicas: 1 } },
    { analysis: { templates: [{ templateName: 'podinfo-acceptance' }], args: expect.any(Array) } },
    { setCanaryScale: { weight: 25 } },
    { setHeaderRoute: { name: 'ab-test', match: [{ headerName: 'x-canary', headerValue: { exact: 'insider' } }] } },
  ]);
});

test('explicit steps: the declared pause runs on the tested pod, then the canary grows to the first weight before it', () => {
  const rollout = stepsOf(undefined, [
    RolloutStep.pause(Duration.minutes(1)), RolloutStep.weight(20), RolloutStep.pause(Duration.minutes(5)), RolloutStep.weight(100),
  ]);
  expect(rollout.slice(2)).toEqual([
    { pause: { duration: '1m' } },
    { setCanaryScale: { weight: 20 } },
    { setWeight: 20 },
    { setCanaryScale: { matchTrafficWeight: true } },
    { pause: { duration: '5m' } },
    { setWeight: 100 },
  ]);
  expect(sizes(rollout)).toEqual(['1 pod', '1 pod', '1 pod', '20%', '20%', '20%', '20%', '100%']);
});
