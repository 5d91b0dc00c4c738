import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, TrafficRouter } from '../../src';
import { only, synth } from '../synth';

/**
 * A probe of a port the container does not serve on, while nothing probes the port the Services
 * and load tests use: the pods never become Ready, and the controller says so only at its progress
 * deadline (Flagger: progressDeadlineSeconds on the canary Deployment; Argo Rollouts: the Rollout's).
 */
const OWNER = "CanaryService 'podinfo'";

function synthError(props: Partial<CanaryServiceProps>, build?: (chart: Chart) => Partial<CanaryServiceProps>): string[] {
  const chart = new Chart(new App(), 'test', { namespace: 'test' });
  new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.istio({ hosts: ['app.example.com'] }),
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
    ...props,
    ...build?.(chart),
  });
  try {
    Testing.synth(chart);
  } catch (error) {
    return (error as Error).message.split('\n').slice(1).map((line) => line.replace(/^ {2}\[[^\]]*\] /, ''));
  }
  return [];
}

describe('the generated Deployment', () => {
  test('podinfo on 9898 with probes copied from a template on 8080: both ports named', () => {
    expect(synthError({
      containerPort: 9898,
      readiness: kplus.Probe.fromHttpGet('/readyz', { port: 8080 }),
      liveness: kplus.Probe.fromHttpGet('/healthz', { port: 8080 }),
    })).toEqual(['readiness', 'liveness'].map((kind) => `${OWNER}: '${kind}' probes port 8080, but the container listens on 'containerPort' 9898 `
      + '(the port its Services and load tests use), which no readiness probe checks: the probe would fail, the pods never become Ready, and the controller '
      + "would report it only at its progress deadline; probe port 9898 (a probe without 'port' does), or set 'containerPort' to 8080 if the application listens there, "
      + "or list 8080 in 'additionalPorts' if it listens there as well (e.g. a management port)"));
  });

  test('containerPort left at its default (8080) while the probes knock on the port podinfo listens on', () => {
    expect(synthError({ readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }) })).toEqual([
      `${OWNER}: 'readiness' probes port 9898, but the container listens on 'containerPort' 8080 (the port its Services and load tests use), `
      + 'which no readiness probe checks: the probe would fail, the pods never become Ready, and the controller would report it only at its progress deadline; '
      + "probe port 8080 (a probe without 'port' does), or set 'containerPort' to 9898 if the application listens there, "
      + "or list 9898 in 'additionalPorts' if it listens there as well (e.g. a management port)",
    ]);
  });

  test('probes without a port, or a liveness probe on an admin port beside a readiness probe on the served one, are fine', () => {
    expect(synthError({ containerPort: 9898, readiness: kplus.Probe.fromHttpGet('/readyz') })).toEqual([]);
    expect(synthError({
      containerPort: 9898,
      readiness: kplus.Probe.fromHttpGet('/readyz'),
      liveness: kplus.Probe.fromTcpSocket({ port: 9797 }),
    })).toEqual([]);
    expect(synthError({ containerPort: 9898, readiness: kplus.Probe.fromCommand(['true']) })).toEqual([]);
  });
});

describe('a management port', () => {
  test('probes on 8081 beside the served 8080 are accepted once 8081 is listed in additionalPorts, which the container declares', () => {
    const management = {
      containerPort: 8080,
      additionalPorts: [8081],
      readiness: kplus.Probe.fromHttpGet('/actuator/health/readiness', { port: 8081 }),
      liveness: kplus.Probe.fromHttpGet('/actuator/health/liveness', { port: 8081 }),
    };
    expect(synthError(management)).toEqual([]);
    const chart = new Chart(new App(), 'test', { namespace: 'test' });
    new CanaryService(chart, 'podinfo', {
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
      engine: DeliveryEngine.flagger(),
      router: TrafficRouter.istio({ hosts: ['app.example.com'] }),
      analysis: { webhooks: [CanaryWebhook.loadTest()] },
      ...management,
    });
    expect(only(synth(chart), 'Deployment', 'podinfo').spec.template.spec.containers[0].ports).toEqual([{ containerPort: 8080, name: 'http' }, { containerPort: 8081 }]);
  });

  test('a port listed twice, or the containerPort again, fails', () => {
    expect(synthError({ containerPort: 8080, additionalPorts: [8080, 8081, 8081] })).toEqual([
      // Named as the generated Deployment's other container options are ('containerPort', 'image').
      "podinfo: 'additionalPorts[0]' (8080) is declared already ('containerPort'): list each other port once",
      "podinfo: 'additionalPorts[2]' (8081) is declared already: list each other port once",
    ]);
  });
});

test('a probe without a port knocks on the container port, as cdk8s-plus documents (it would render port 80: the container declares its port by name)', () => {
  const chart = new Chart(new App(), 'test', { namespace: 'test' });
  new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.istio({ hosts: ['app.example.com'] }),
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
    readiness: kplus.Probe.fromHttpGet('/readyz'),
    liveness: kplus.Probe.fromTcpSocket(),
  });
  const container = only(synth(chart), 'Deployment', 'podinfo').spec.template.spec.containers[0];
  expect(container.ports).toEqual([{ containerPort: 9898, name: 'http' }]);
  expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 9898, scheme: 'HTTP' });
  expect(container.livenessProbe.tcpSocket).toEqual({ port: 9898 });
});

const RESTRICTED: kplus.ContainerSecurityContextProps = {
  user: 1000,
  capabilities: { drop: [kplus.Capability.ALL] },
  seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
};

describe('a Deployment of one\'s own', () => {
  const own = (ports: kplus.ContainerPort[], readiness: kplus.Probe) => (chart: Chart): Partial<CanaryServiceProps> => {
    const deployment = new kplus.Deployment(chart, 'own', {
      metadata: { name: 'podinfo' },
      select: false,
      podMetadata: { labels: { app: 'podinfo' } },
      containers: [{
        name: 'app',
        image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
        ports,
        readiness,
        // Pod Security "restricted", which a Deployment of one's own must meet too.
        securityContext: RESTRICTED,
      }],
    });
    deployment.select(kplus.LabelSelector.of({ labels: { app: 'podinfo' } }));
    return { image: undefined, deployment };
  };

  test('a readiness probe on a port it does not declare', () => {
    expect(synthError({}, own([{ number: 9898, name: 'http' }], kplus.Probe.fromHttpGet('/readyz', { port: 8080 })))).toEqual([
      `${OWNER}: 'deployment' (podinfo) container 'app' has its readiness probe on port 8080, which it does not declare, and no readiness probe checks its port 9898 `
      + '(the port its Services and load tests use): the probe would fail, the pods never become Ready, and the controller would report it only at its '
      + 'progress deadline; probe port 9898, or declare the probed port on the container',
    ]);
  });

  test('a health port it declares is fine', () => {
    expect(synthError({}, own([{ number: 9898, name: 'http' }, { number: 8080, name: 'health' }], kplus.Probe.fromHttpGet('/readyz', { port: 8080 })))).toEqual([]);
  });
});
