import * as fs from 'fs';
import * as path from 'path';
import { Chart, Duration, Testing } from 'cdk8s';
import { CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, GitOps, RolloutStep, TrafficRouter } from '../../src';
import { synth } from '../synth';

/**
 * A declaration whose analysis cannot stop a bad canary fails when the app is synthesized, with
 * every problem of every service in one message (cdk8s runs the validations before rendering).
 */
function chart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

const CUT_SHORT = [RolloutStep.weight(20), RolloutStep.pause(Duration.seconds(30)), RolloutStep.weight(100)];

test('a plan with problems fails at synth, naming the construct path and each problem', () => {
  const c = chart();
  new CanaryService(c, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    engine: DeliveryEngine.argoRollouts(),
    router: TrafficRouter.istio(),
    analysis: { steps: CUT_SHORT, webhooks: [CanaryWebhook.loadTest()], metrics: [CanaryMetric.requestSuccessRate()] },
  });
  expect(() => Testing.synth(c)).toThrow(
    "Validation failed with the following errors:\n  [test/podinfo] CanaryService 'podinfo': the background analysis can measure 'request-success-rate' only 0 times before full promotion",
  );
});

test('two services with problems are reported together', () => {
  const c = chart();
  for (const name of ['web', 'api']) {
    new CanaryService(c, name, {
      gitOps: GitOps.none(),
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
      engine: DeliveryEngine.argoRollouts(),
      router: TrafficRouter.istio(),
      analysis: { steps: CUT_SHORT, webhooks: [CanaryWebhook.loadTest()], metrics: [CanaryMetric.requestSuccessRate()] },
    });
  }
  let message = '';
  try {
    Testing.synth(c);
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toMatch(/\[test\/web\] CanaryService 'web': the background analysis can measure/);
  expect(message).toMatch(/\[test\/api\] CanaryService 'api': the background analysis can measure/);
});

test('checks added after construction count: a Flagger metric added later with a short window fails synth', () => {
  const c = chart();
  const service = new CanaryService(c, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
    analysis: {
      interval: Duration.minutes(2),
      metrics: [CanaryMetric.requestSuccessRate({ interval: Duration.minutes(2) })],
      webhooks: [CanaryWebhook.loadTest()],
    },
  });
  expect(service.plan?.problems).toEqual([]);
  synth(c);
  service.canary!.addMetric(CanaryMetric.prometheus({ name: 'errors', query: 'sum(rate(errors_total{pod=~"{{ target }}-[0-9a-z]+-[0-9a-z]+"}[{{ interval }}]))', max: 1, interval: Duration.seconds(30) }));
  expect(service.plan?.problems).toEqual([
    "the check 'errors' measures every 2m ('analysis.interval') over the last 30s only (its 'interval'), so 1m30s of every interval is never measured and a canary failing then would pass: set the metric's 'interval' to at least 2m",
  ]);
  expect(() => Testing.synth(c)).toThrow(/\[test\/podinfo\] CanaryService 'podinfo': the check 'errors' measures every 2m/);
});

test('every example\'s plan can stop a bad canary', () => {
  const examples = fs.readdirSync(path.join(__dirname, '..', '..', 'examples')).filter((name) => /^(flagger|argo)-/.test(name));
  expect(examples.length).toBeGreaterThanOrEqual(8);
  for (const name of examples) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const app = require(`../../examples/${name}/main`).build('/tmp/unused');
    const services = app.node.findAll().filter((c: any) => c instanceof CanaryService) as CanaryService[];
    expect(services.length).toBeGreaterThan(0);
    for (const service of services) {
      expect({ name, problems: service.plan?.problems }).toEqual({ name, problems: [] });
      expect(service.plan?.badCanary).toBeDefined();
    }
  }
});
