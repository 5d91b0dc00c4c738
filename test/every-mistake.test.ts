import { App, Chart, Duration, Testing } from 'cdk8s';
import {
  CanaryAlert, CanaryMetric, CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, DeliveryStrategy, HeaderMatchKind, ReleasePhase,
  TrafficRouter, TrafficSegment, WebhookType,
} from '../src';

/**
 * A declaration's mistakes are reported together: one mistake does not keep the independent checks
 * of the others from running (the strategy's when the analysis has mistakes, every segment's and
 * every condition's, the engine's when the image has one, every alert's and webhook's).
 */
const OWNER = "CanaryService 'podinfo'";
const RE2 = 'must be an RE2 regular expression (Envoy and Istio match with RE2, which has no lookarounds, backreferences, possessive quantifiers or atomic groups)';

function mistakes(props: Partial<CanaryServiceProps>): string[] {
  const chart = new Chart(new App(), 'test', { namespace: 'test' });
  new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.istio({ hosts: ['app.example.com'] }),
    ...props,
  });
  try {
    Testing.synth(chart);
  } catch (error) {
    return (error as Error).message.split('\n').slice(1).map((line) => line.replace(/^ {2}\[[^\]]*\] /, ''));
  }
  return [];
}

test('an analysis mistake, and every mistake of the strategy: each segment\'s, each condition\'s, and its own settings', () => {
  expect(mistakes({
    analysis: { threshold: 0, webhooks: [CanaryWebhook.loadTest()] },
    strategy: DeliveryStrategy.abTest({
      segments: [
        // JavaScript accepts a lookahead; RE2 does not.
        TrafficSegment.header('x-user', '^(?!bot-).*', { kind: HeaderMatchKind.REGEX }),
        TrafficSegment.region(['NZ', 'UK', 'EL']),
      ],
      canaryScale: 0,
    }),
  })).toEqual([
    `${OWNER}: 'analysis.threshold' (0) must be an integer between 1 and 100 (failed checks before rollback)`,
    `${OWNER}: 'strategy.segments[0]' value for 'x-user' ('^(?!bot-).*') ${RE2}: invalid or unsupported Perl syntax: '(?!'`,
    `${OWNER}: 'strategy.segments[1]' country code ('UK') must be an ISO 3166-1 alpha-2 code, the codes edges send ('UK' is reserved, not assigned: the United Kingdom is 'GB')`,
    `${OWNER}: 'strategy.segments[1]' country code ('EL') must be an ISO 3166-1 alpha-2 code, the codes edges send ('EL' is reserved, not assigned: Greece is 'GR')`,
    `${OWNER}: 'strategy.canaryScale' (0) must be an integer between 1 and 100`,
  ]);
});

test('a bad image does not hide the engine\'s mistakes: its options, every webhook it cannot run, every alert', () => {
  expect(mistakes({
    image: '',
    engine: DeliveryEngine.argoRollouts({ maxSurge: '50%', analysisStartingStep: 1 }),
    strategy: DeliveryStrategy.blueGreen({ iterations: 3 }),
    analysis: {
      interval: Duration.seconds(30),
      webhooks: [
        CanaryWebhook.loadTest(),
        CanaryWebhook.http({ name: 'notify', type: WebhookType.EVENT, url: 'https://hooks.example.com/notify' }),
        CanaryWebhook.http({ name: 'cleanup', type: WebhookType.POST_ROLLOUT, url: 'https://hooks.example.com/cleanup' }),
      ],
      alerts: [CanaryAlert.slack({ secretName: 'argo-rollouts-notification-secret', secretKey: 'slack.url' })],
    },
  })).toEqual([
    `${OWNER}: 'image' ('') is empty: give a pinned image reference, e.g. 'ghcr.io/org/app:1.2.3', or pass your own 'deployment'`,
    `${OWNER}: 'maxSurge' of DeliveryEngine.argoRollouts() apply to canary steps, not to blue/green; leave them out, or use DeliveryStrategy.canary()`,
    `${OWNER}: 'analysisStartingStep' applies to a canary's background analysis; this strategy checks with analyses of its own steps`,
    `${OWNER}: 'analysis.alerts[0].secretKey' ('slack.url') must be letters, digits, '_' and '-' with Argo Rollouts: the webhook service reads its URL as '$slack.url', `
      + "and notifications-engine replaces only '$' followed by letters, digits, '_' and '-' ([$][\\w-]+, pkg/api/config.go), so it would look up the key 'slack' "
      + "and never 'slack.url'; use e.g. 'slack-url' (and that key in 'argo-rollouts-notification-secret')",
    `${OWNER}: 'analysis.webhooks[1]' ('notify', event) has no Argo Rollouts equivalent: use acceptance tests, load tests, manual gates before the rollout or before promotion, or RolloutStep.pause() in 'analysis.steps'`,
    `${OWNER}: 'analysis.webhooks[2]' ('cleanup', post-rollout) has no Argo Rollouts equivalent: use acceptance tests, load tests, manual gates before the rollout or before promotion, or RolloutStep.pause() in 'analysis.steps'`,
  ]);
});

test('every webhook without an Argo Rollouts equivalent is named', () => {
  expect(mistakes({
    engine: DeliveryEngine.argoRollouts(),
    analysis: {
      webhooks: [
        CanaryWebhook.loadTest(),
        CanaryWebhook.http({ name: 'notify', type: WebhookType.EVENT, url: 'https://hooks.example.com/notify' }),
        CanaryWebhook.http({ name: 'cleanup', type: WebhookType.POST_ROLLOUT, url: 'https://hooks.example.com/cleanup' }),
      ],
    },
  })).toEqual([
    `${OWNER}: 'analysis.webhooks[1]' ('notify', event) has no Argo Rollouts equivalent: use acceptance tests, load tests, manual gates before the rollout or before promotion, or RolloutStep.pause() in 'analysis.steps'`,
    `${OWNER}: 'analysis.webhooks[2]' ('cleanup', post-rollout) has no Argo Rollouts equivalent: use acceptance tests, load tests, manual gates before the rollout or before promotion, or RolloutStep.pause() in 'analysis.steps'`,
  ]);
});

test('a phase\'s metric mistakes are named by their place in the phase, once, beside the analysis\'s own', () => {
  expect(mistakes({
    engine: DeliveryEngine.argoRollouts(),
    analysis: { threshold: 0, webhooks: [CanaryWebhook.loadTest()] },
    strategy: DeliveryStrategy.phased([
      ReleasePhase.of({ segment: TrafficSegment.dogFood(), metrics: [CanaryMetric.requestSuccessRate({ min: 120 })] }),
      ReleasePhase.of({ segment: TrafficSegment.randomSample([20, 50]), metrics: [CanaryMetric.prometheus({ name: 'queue-depth', query: 'sum(queue_depth)' })] }),
    ]),
  })).toEqual([
    `${OWNER}: 'analysis.threshold' (0) must be an integer between 1 and 100 (failed checks before rollback)`,
    `${OWNER}: 'strategy.phases[0].metrics[0].min' (120) must be a number between 0 and 100`,
    `${OWNER}: 'strategy.phases[1].metrics[0]' ('queue-depth') needs 'min' or 'max': a check without a threshold can never fail`,
  ]);
});
