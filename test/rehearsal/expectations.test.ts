import { Chart, Duration, Testing } from 'cdk8s';
import { CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, GitOps, TrafficRouter } from '../../src';
import { EXPECTATION_ANNOTATIONS } from '../../src/rehearsal/expectation-keys';
import { findReleases } from '../../src/rehearsal/objects/releases';
import { shortWindowWarnings } from '../../src/rehearsal/rehearse';
import { declareService, only, synth } from '../synth';

/** What a declaration states its rehearsal must show (CanaryServiceProps.rehearsal): written as annotations, read back by the rehearsal. */

function props(overrides: Partial<CanaryServiceProps>): CanaryServiceProps {
  return {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
    ...overrides,
  };
}

test.each([
  ['Flagger', DeliveryEngine.flagger(), 'Canary'],
  ['Argo Rollouts', DeliveryEngine.argoRollouts(), 'Rollout'],
])('%s: the expectations are annotations of the %s, which the rehearsal reads back', (_name, engine, kind) => {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  new CanaryService(chart, 'podinfo', props({
    engine,
    gitOps: GitOps.fluxCd(),
    rehearsal: {
      usersPerSecond: 25,
      stopsBadWithin: Duration.seconds(270),
      maxBadWeight: 20,
      maxFalseAlarmPercent: 2.5,
      maxMissPercent: 0,
      requiresUserTraffic: true,
    },
  }));
  const manifests = synth(chart);
  expect(only(manifests, kind).metadata.annotations).toMatchObject({
    [EXPECTATION_ANNOTATIONS.usersPerSecond]: '25',
    [EXPECTATION_ANNOTATIONS.stopsBadWithin]: '4m30s',
    [EXPECTATION_ANNOTATIONS.maxBadWeight]: '20',
    [EXPECTATION_ANNOTATIONS.maxFalseAlarms]: '2.5%',
    [EXPECTATION_ANNOTATIONS.maxMisses]: '0%',
    [EXPECTATION_ANNOTATIONS.requiresUserTraffic]: 'true',
  });
  const [release] = findReleases(manifests);
  expect(release.expectations).toEqual({
    usersPerSecond: 25, stopsBadWithinSeconds: 270, maxBadWeight: 20, maxFalseAlarmRate: 0.025, maxMissRate: 0, requiresUserTraffic: true, errors: [],
  });
});

test('no expectations: no annotation', () => {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  new CanaryService(chart, 'podinfo', props({}));
  const annotations = only(synth(chart), 'Canary').metadata.annotations ?? {};
  expect(Object.keys(annotations).filter((k) => k.startsWith('rehearsal.'))).toEqual([]);
});

test('every mistake of the expectations at once, each with the property, the value and what is allowed', () => {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  expect(() => declareService(chart, 'podinfo', props({
    rehearsal: {
      usersPerSecond: -1,
      stopsBadWithin: Duration.seconds(0),
      maxBadWeight: 101,
      maxFalseAlarmPercent: 150,
      maxMissPercent: -5,
    },
  }))).toThrow([
    'Validation failed with the following errors:',
    "CanaryService 'podinfo': 'rehearsal.usersPerSecond' (-1) must be a number of requests per second, 0 or more",
    "CanaryService 'podinfo': 'rehearsal.stopsBadWithin' (0s) must be longer than 0 seconds",
    "CanaryService 'podinfo': 'rehearsal.maxBadWeight' (101) must be a percentage from 0 to 100",
    "CanaryService 'podinfo': 'rehearsal.maxFalseAlarmPercent' (150) must be a percentage from 0 to 100",
    "CanaryService 'podinfo': 'rehearsal.maxMissPercent' (-5) must be a percentage from 0 to 100",
  ].join('\n  [test/podinfo] '));
});

test('a query whose window holds fewer than three scrapes is named: Prometheus v3, which the stack runs, can read one sample fewer there', () => {
  const canary = (interval: string) => findReleases([{
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { provider: 'istio', targetRef: { kind: 'Deployment', name: 'web' }, service: { port: 80 }, analysis: { interval: '30s', metrics: [{ name: 'request-success-rate', interval, thresholdRange: { min: 99 } }] } },
  }])[0];
  // No Prometheus configuration in the manifests: a scrape every 15s is assumed.
  expect(shortWindowWarnings(canary('30s'))).toEqual(['a query reads a [30s] window, fewer than three scrapes (every 15s): on Prometheus v3, which the stack runs, '
    + 'a range leaves out the sample at its start, so it can read one sample fewer than this rehearsal (or no value); make it three scrape intervals or more']);
  expect(shortWindowWarnings(canary('45s'))).toEqual([]);
});
