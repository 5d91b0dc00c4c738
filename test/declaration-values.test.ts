import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { all, only, synth } from './synth';
import {
  CanaryMetric, CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GitOps,
  ReleasePhase, RolloutStep, TrafficRouter, TrafficSegment,
} from '../src';

/**
 * Values of the right type that no manifest may carry: each fails at synth with a message naming
 * the property, the value and what is allowed, all of a declaration's together.
 */
const IMAGE = 'ghcr.io/stefanprodan/podinfo:6.7.0';
const OWNER = "CanaryService 'cart'";

function props(overrides: Partial<CanaryServiceProps> = {}): CanaryServiceProps {
  return {
    image: IMAGE,
    containerPort: 9898,
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
    ...overrides,
  };
}

function errorsOf(overrides: Partial<CanaryServiceProps>): string[] {
  const app = Testing.app();
  new CanaryService(new Chart(app, 'shop', { namespace: 'shop' }), 'cart', props(overrides));
  try {
    app.synthYaml();
  } catch (error) {
    return (error as Error).message.split('\n').slice(1).map((line) => line.replace(/^ {2}\[shop\/cart\] /, ''));
  }
  throw new Error('synth did not fail');
}

const LABEL_RULE = "a label value: at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit";

test('version and partOf become labels of every object, so they must be label values', () => {
  expect(errorsOf({ version: 'v1.0 beta', partOf: 'shop/team' })).toEqual([
    `${OWNER}: 'partOf' ('shop/team') becomes the label 'app.kubernetes.io/part-of' of every object, so it must be ${LABEL_RULE}`,
    `${OWNER}: 'version' ('v1.0 beta') becomes the label 'app.kubernetes.io/version' of every object, so it must be ${LABEL_RULE}`,
  ]);
});

test('a Duration of NaN names its property, not cdk8s\'s conversion', () => {
  expect(errorsOf({ analysis: { interval: Duration.seconds(NaN), webhooks: [CanaryWebhook.loadTest()] } })).toEqual([
    `${OWNER}: 'analysis.interval' (Duration of NaN seconds) must be a Duration of a whole number of milliseconds, e.g. Duration.seconds(30)`,
  ]);
  expect(() => CanaryMetric.requestDuration({ max: Duration.millis(NaN) })).toThrow(
    "CanaryMetric.requestDuration(): 'max' (Duration of NaN millis) must be a Duration of a whole number of milliseconds, e.g. Duration.seconds(30)");
});

describe('time stays bounded', () => {
  test('a threshold above 100 is rejected', () => {
    expect(errorsOf({ engine: DeliveryEngine.argoRollouts(), analysis: { threshold: 1e9, webhooks: [CanaryWebhook.loadTest()] } })).toEqual([
      `${OWNER}: 'analysis.threshold' (1000000000) must be an integer between 1 and 100 (failed checks before rollback)`,
    ]);
  });

  test('pauses of 100000 days plan in well under five seconds (the plan counts measurements without a loop)', () => {
    const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
    const started = Date.now();
    const service = new CanaryService(chart, 'cart', props({
      engine: DeliveryEngine.argoRollouts(),
      gitOps: GitOps.none(),
      analysis: {
        threshold: 100,
        interval: Duration.seconds(10),
        steps: [RolloutStep.weight(10), RolloutStep.pause(Duration.days(100000)), RolloutStep.weight(50), RolloutStep.pause(Duration.days(100000))],
        webhooks: [CanaryWebhook.loadTest()],
      },
    }));
    synth(chart);
    expect(service.plan?.phases.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

test('a container runs as a non-root user', () => {
  expect(errorsOf({ runAsUser: 0 })).toEqual([
    "cart: 'runAsUser' (0) must be an integer between 1 and 2147483647: the containers run as a non-root user (Pod Security \"restricted\"; 0 is root)",
  ]);
});

test('probe ports are port numbers', () => {
  expect(errorsOf({ readiness: kplus.Probe.fromHttpGet('/readyz', { port: 0 }), liveness: kplus.Probe.fromTcpSocket({ port: 70000 }) })).toEqual([
    "cart: 'readiness.port' (0) must be an integer between 1 and 65535",
    "cart: 'liveness.port' (70000) must be an integer between 1 and 65535",
  ]);
});

test('a request above its limit, and quantities cdk8s-plus cannot write', () => {
  expect(errorsOf({
    resources: {
      cpu: { request: kplus.Cpu.units(2), limit: kplus.Cpu.millis(1500) },
      memory: { request: Size.mebibytes(512), limit: Size.mebibytes(256) },
    },
  })).toEqual([
    "cart: 'resources.cpu.request' (2) must be at most 'resources.cpu.limit' (1500m): the API server rejects a request above its limit",
  ]);
  expect(errorsOf({ resources: { memory: { request: Size.mebibytes(512), limit: Size.mebibytes(256) } } })).toEqual([
    "cart: 'resources.memory.request' (512Mi) must be at most 'resources.memory.limit' (256Mi): the API server rejects a request above its limit",
  ]);
  expect(errorsOf({ resources: { cpu: { limit: kplus.Cpu.units(NaN) }, memory: { limit: Size.kibibytes(100) } } })).toEqual([
    "cart: 'resources.cpu.limit' (NaN) must be a CPU quantity, e.g. Cpu.millis(100) or Cpu.units(1), above zero",
  ]);
  expect(errorsOf({ resources: { memory: { limit: Size.kibibytes(100) } } })).toEqual([
    "cart: 'resources.memory.limit' (0.09765625Mi) must be a Size of a whole number of mebibytes above zero, e.g. Size.mebibytes(128)",
  ]);
});

test('every label of a host name is at most 63 characters', () => {
  const host = `${'a'.repeat(64)}.example.com`;
  expect(() => TrafficRouter.traefik({ hosts: [host] })).toThrow(
    `TrafficRouter.traefik(): 'hosts[0]' ('${host}') has a label of 64 characters ('${'a'.repeat(64)}'): each label of a host name, between dots, is at most 63 characters`);
  for (const router of [() => TrafficRouter.istio({ hosts: [host] }), () => TrafficRouter.gatewayApi({ hosts: [host] })]) {
    expect(router).toThrow('has a label of 64 characters');
  }
});

describe('images are references a registry serves', () => {
  test.each([
    ['ghcr.io/stefanprodan/podinfo 6.7.0', "must be an image reference '[registry/]repository[:tag][@digest]', e.g. 'ghcr.io/org/app:1.2.3', without spaces"],
    ['ghcr.io/StefanProdan/podinfo:6.7.0', "has the repository 'StefanProdan/podinfo' (upper case is not allowed): each part between '/' is lower-case letters and digits, separated by '.', '_', '__' or '-'"],
    ['Podinfo:6.7.0', "has the repository 'Podinfo' (upper case is not allowed): each part between '/' is lower-case letters and digits, separated by '.', '_', '__' or '-'"],
    ['ghcr.io/podinfo:-6.7.0', "has the tag '-6.7.0': a tag is at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"],
    ['ghcr.io/podinfo@sha256:abc', "has the digest 'sha256:abc': a digest is '<algorithm>:<hex>', e.g. 'sha256:' and 64 hexadecimal digits"],
    ['ghcr..io/podinfo:1', "has the registry 'ghcr..io': a registry is a host name, optionally with ':<port>'"],
  ])('%s', (image, problem) => {
    expect(errorsOf({ image })).toEqual([`cart: 'image' ('${image}') ${problem}`]);
  });

  test.each([
    'ghcr.io/stefanprodan/podinfo:6.7.0',
    'localhost:5000/podinfo:1.0',
    'Registry.Example.com:5000/team/app__x.y-z:v1',
    `podinfo@sha256:${'a'.repeat(64)}`,
    'docker.io/library/nginx:1.27.0-alpine',
  ])('%s is one', (image) => {
    const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
    new CanaryService(chart, 'cart', props({ image }));
    expect(only(synth(chart), 'Deployment', 'cart').spec.template.spec.containers[0].image).toBe(image);
  });
});

test('Argo blue/green without any check says what to add, not that a template is missing', () => {
  expect(errorsOf({
    engine: DeliveryEngine.argoRollouts(),
    router: TrafficRouter.istio({ hosts: ['app.example.com'] }),
    strategy: DeliveryStrategy.blueGreen(),
    gitOps: GitOps.none(),
    analysis: { metrics: [], webhooks: [] },
  })).toEqual([
    `${OWNER}: the analysis has no checks, so nothing can stop a bad release before the switch: add metrics to 'analysis.metrics' (e.g. CanaryMetric.requestSuccessRate()), or a test to 'analysis.webhooks'`,
  ]);
});

test('an Argo phase without checks is named, not its missing AnalysisTemplate', () => {
  expect(errorsOf({
    engine: DeliveryEngine.argoRollouts(),
    router: TrafficRouter.istio({ hosts: ['app.example.com'] }),
    strategy: DeliveryStrategy.phased([ReleasePhase.of({ name: 'employees', segment: TrafficSegment.dogFood() })]),
    analysis: { metrics: [], webhooks: [] },
  })).toEqual([
    `${OWNER}: 'strategy.phases[0].metrics' ([], from 'analysis.metrics') must name at least one check: the phase ('employees', employees (header x-canary: insider)) `
      + 'would end without measuring anything, and nothing could stop a bad release there; give it CanaryMetric.requestSuccessRate() or another metric',
  ]);
});

test('blue/green without automatic promotion and without load gets the loadtester its confirm-promotion gate calls (Flagger)', () => {
  const app = new App({ outdir: '/tmp' });
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  const service = new CanaryService(chart, 'cart', props({
    router: TrafficRouter.istio({ hosts: ['app.example.com'] }),
    strategy: DeliveryStrategy.blueGreen({ autoPromote: false }),
    analysis: { receivesLiveTraffic: true },
  }));
  const manifests = synth(chart);
  const gate = only(manifests, 'Canary', 'cart').spec.analysis.webhooks.find((w: any) => w.type === 'confirm-promotion');
  expect(gate.url).toBe('http://flagger-loadtester.shop/gate/check');
  expect(service.loadTester).toBeDefined();
  expect(all(manifests, 'Deployment').map((d) => d.metadata.name)).toContain('flagger-loadtester');
});
