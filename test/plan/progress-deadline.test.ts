import { App, Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ArgoRolloutsEngineOptions, CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GitOps, IDeliveryEngine, RolloutPlan, TrafficRouter,
} from '../../src';
import { only } from '../synth';

/**
 * The progress deadline each controller enforces, from its source:
 * - Argo Rollouts 1.9.1 times a rollout out when its Progressing condition has not been updated for
 *   progressDeadlineSeconds (rollout/sync.go, calculateRolloutConditions), except at a pause, an
 *   analysis or an experiment step, or while Paused (isIndefiniteStep). Blue/green is paused only
 *   once its pre-promotion analysis has completed (rollout/bluegreen.go, reconcileBlueGreenPause),
 *   so that analysis counts; after the switch the rollout is healthy (RolloutHealthy).
 * - Flagger 1.44 reads progressDeadlineSeconds only to judge whether the canary's or the primary's
 *   pods are stuck unavailable (pkg/canary/deployment_ready.go, isDeploymentReady).
 */
const OWNER = "CanaryService 'podinfo'";

function declare(engine: IDeliveryEngine, strategy?: DeliveryStrategy, interval = Duration.minutes(1)): { plan: () => RolloutPlan; chart: Chart } {
  const chart = new Chart(new App(), 'test', { namespace: 'test' });
  const service = new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine,
    gitOps: GitOps.none(),
    router: TrafficRouter.istio({ hosts: ['app.example.com'] }),
    strategy,
    analysis: { interval, webhooks: [CanaryWebhook.loadTest()] },
  });
  return { plan: () => service.plan!, chart };
}

const argo = (options: ArgoRolloutsEngineOptions = {}) => DeliveryEngine.argoRollouts(options);
const rolloutOf = (chart: Chart) => only(Testing.synth(chart), 'Rollout', 'podinfo').spec;

describe('Argo Rollouts blue/green: the pre-promotion analysis counts against the deadline', () => {
  test('10 intervals of a minute (10m15s with its load) do not fit the default 10m: the deadline is raised to 12m and the plan says why', () => {
    const { plan, chart } = declare(argo(), DeliveryStrategy.blueGreen());
    expect(rolloutOf(chart).progressDeadlineSeconds).toBe(720);
    expect(plan().progressDeadline?.deadline.toSeconds()).toBe(720);
    expect(plan().progressDeadline?.description).toBe("raised from Argo Rollouts' default of 10m to fit: the pre-promotion analysis (at least 10m15s) counts against it: "
      + 'no pause holds a blue/green rollout before it completes; the post-promotion analysis does not count; '
      + 'at the deadline the Rollout is marked Progressing=False/TimedOut (Argo CD: Degraded)');
    expect(plan().toTable()).toContain('\nprogress deadline 12m: raised from Argo Rollouts\' default of 10m to fit: the pre-promotion analysis (at least 10m15s)');
    expect(plan().toJson().progressDeadline.seconds).toBe(720);
  });

  test('a short analysis fits the default, which stays', () => {
    const { plan, chart } = declare(argo(), DeliveryStrategy.blueGreen({ iterations: 3 }), Duration.seconds(30));
    expect(rolloutOf(chart).progressDeadlineSeconds).toBe(600);
    expect(plan().progressDeadline?.description).toBe('the pre-promotion analysis (at least 2m15s) counts against it: no pause holds a blue/green rollout before it completes; '
      + 'the post-promotion analysis does not count; at the deadline the Rollout is marked Progressing=False/TimedOut (Argo CD: Degraded)');
  });

  test('without auto-promotion the wait for a person does not count either; with progressDeadlineAbort the rollout is aborted', () => {
    const { plan } = declare(argo({ progressDeadlineAbort: true }), DeliveryStrategy.blueGreen({ autoPromote: false }));
    expect(plan().progressDeadline?.description).toBe("raised from Argo Rollouts' default of 10m to fit: the pre-promotion analysis (at least 10m15s) counts against it: "
      + 'no pause holds a blue/green rollout before it completes; waiting for promotion after it and the post-promotion analysis do not count; '
      + 'at the deadline the rollout is aborted (progressDeadlineAbort)');
  });

  test('a declared deadline shorter than the analysis fails synth, saying what fits', () => {
    const { chart } = declare(argo({ progressDeadline: Duration.minutes(10), progressDeadlineAbort: true }), DeliveryStrategy.blueGreen());
    expect(() => Testing.synth(chart)).toThrow(`${OWNER}: 'progressDeadline' (10 minutes) of DeliveryEngine.argoRollouts() must be at least 12m for this blue/green release: `
      + 'its pre-promotion analysis takes at least 10m15s, and Argo Rollouts counts it against the deadline (no pause holds a blue/green rollout until that analysis '
      + 'completes: rollout/bluegreen.go, reconcileBlueGreenPause), so the Rollout would time out before the switch (Progressing=False/TimedOut, Argo CD: Degraded; '
      + "with progressDeadlineAbort, aborted); leave 'progressDeadline' out to have it set to fit, set it to at least 12m, or shorten the analysis "
      + "('strategy.iterations' or 'analysis.interval')");
  });

  test('a declared deadline that fits is kept as declared', () => {
    const { plan, chart } = declare(argo({ progressDeadline: Duration.minutes(15) }), DeliveryStrategy.blueGreen());
    expect(rolloutOf(chart).progressDeadlineSeconds).toBe(900);
    expect(plan().progressDeadline?.description).toBe('the pre-promotion analysis (at least 10m15s) counts against it: no pause holds a blue/green rollout before it completes and fits; '
      + 'the post-promotion analysis does not count; at the deadline the Rollout is marked Progressing=False/TimedOut (Argo CD: Degraded)');
  });
});

test('Argo Rollouts canary steps: analyses and pauses are steps the deadline does not count, whatever their length', () => {
  const { plan, chart } = declare(argo());
  expect(rolloutOf(chart).progressDeadlineSeconds).toBe(600);
  // The analysis runs as long as the deadline, and more with any pause a person holds.
  expect(plan().earliestPromotion.toSeconds()).toBe(600);
  expect(plan().progressDeadline?.description).toBe('counts only while a step waits for canary pods to become available; pauses and analysis steps do not count, '
    + 'and the background analysis holds no step; at the deadline the Rollout is marked Progressing=False/TimedOut (Argo CD: Degraded)');
});

test('Flagger: the deadline bounds the pods becoming available, not the analysis', () => {
  const { plan, chart } = declare(DeliveryEngine.flagger({ progressDeadline: Duration.minutes(5) }), DeliveryStrategy.blueGreen());
  expect(only(Testing.synth(chart), 'Canary', 'podinfo').spec.progressDeadlineSeconds).toBe(300);
  // Flagger copies the Deployment's own deadline to the primary and fails on ProgressDeadlineExceeded: they agree.
  expect(only(Testing.synth(chart), 'Deployment', 'podinfo').spec.progressDeadlineSeconds).toBe(300);
  expect(plan().earliestPromotion.toSeconds()).toBeGreaterThan(300);
  expect(plan().problems).toEqual([]);
  expect(plan().progressDeadline).toEqual({
    deadline: Duration.minutes(5),
    description: "bounds only how long the canary's or the primary's pods may stay unavailable (then Flagger rolls back), not the analysis or the gates",
  });
});

test('Flagger: the generated Deployment carries the engine\'s deadline, default or declared (the Deployment\'s own would end the release first)', () => {
  expect(only(Testing.synth(declare(DeliveryEngine.flagger({ progressDeadline: Duration.minutes(30) })).chart), 'Deployment', 'podinfo').spec.progressDeadlineSeconds).toBe(1800);
  expect(only(Testing.synth(declare(DeliveryEngine.flagger()).chart), 'Deployment', 'podinfo').spec.progressDeadlineSeconds).toBe(600);
});

describe('Flagger with a Deployment of one\'s own', () => {
  const ownDeployment = (chart: Chart, progressDeadline?: Duration) => new kplus.Deployment(chart, 'own', {
    metadata: { name: 'podinfo' },
    select: false,
    progressDeadline,
    podMetadata: { labels: { 'app.kubernetes.io/name': 'podinfo' } },
    containers: [{
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
      portNumber: 9898,
      securityContext: {
        user: 1000,
        capabilities: { drop: [kplus.Capability.ALL] },
        seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
      },
    }],
  });
  const service = (progressDeadline?: Duration) => {
    const chart = new Chart(new App(), 'test', { namespace: 'test' });
    const deployment = ownDeployment(chart, progressDeadline);
    deployment.select(kplus.LabelSelector.of({ labels: { 'app.kubernetes.io/name': 'podinfo' } }));
    return () => {
      new CanaryService(chart, 'podinfo', {
        deployment,
        engine: DeliveryEngine.flagger({ progressDeadline: Duration.minutes(30) }),
        router: TrafficRouter.istio({ hosts: ['app.example.com'] }),
        analysis: { webhooks: [CanaryWebhook.loadTest()] },
      });
      Testing.synth(chart);
    };
  };

  test('a shorter deadline than the engine\'s fails, naming both', () => {
    expect(service()).toThrow(`${OWNER}: 'deployment' (podinfo) has 'progressDeadline' 10 minutes, shorter than the engine's 'progressDeadline' (30 minutes): `
      + "the controller fails the release when the Deployment's own deadline passes (and Flagger copies it to the primary), so the shorter one would win; "
      + "give the Deployment 'progressDeadline: Duration.seconds(1800)' or more, or shorten the engine's");
  });

  test('an equal or longer one is accepted', () => {
    expect(service(Duration.minutes(30))).not.toThrow();
    expect(service(Duration.hours(1))).not.toThrow();
  });
});
