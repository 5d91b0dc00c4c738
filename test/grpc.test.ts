import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { all, only, synth } from './synth';
import {
  CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, GitOps, ITrafficRouter, IstioRoutingMode, LoadTool, ServiceProtocol,
  TrafficFeature, TrafficRouter,
} from '../src';

const GHZ = CanaryWebhook.loadTest({ tool: LoadTool.GHZ, grpcCall: 'grpc.health.v1.Health/Check' });

function props(overrides: Partial<CanaryServiceProps> = {}): CanaryServiceProps {
  return {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9999,
    port: 9999,
    protocol: ServiceProtocol.GRPC,
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.istio({ hosts: ['greeter.example.com'] }),
    gitOps: GitOps.none(),
    analysis: { webhooks: [GHZ] },
    ...overrides,
  };
}

function manifests(overrides: Partial<CanaryServiceProps> = {}): any[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  new CanaryService(chart, 'greeter', props(overrides));
  return synth(chart);
}

describe('ServiceProtocol.GRPC with Flagger and Istio', () => {
  const out = manifests();

  test('the Services Flagger generates name their port grpc, with appProtocol grpc', () => {
    const service = only(out, 'Canary').spec.service;
    expect([service.port, service.targetPort, service.portName, service.appProtocol]).toEqual([9999, 9999, 'grpc', 'grpc']);
  });

  test('the container port is named grpc and the probes are gRPC health checks on it', () => {
    const container = only(out, 'Deployment', 'greeter').spec.template.spec.containers[0];
    expect(container.ports).toEqual([{ containerPort: 9999, name: 'grpc' }]);
    expect(container.readinessProbe).toEqual({ grpc: { port: 9999 }, periodSeconds: 10 });
    expect(container.livenessProbe).toEqual({ grpc: { port: 9999 }, periodSeconds: 10 });
  });

  test('probes given by the team are kept', () => {
    const container = only(manifests({ readiness: kplus.Probe.fromTcpSocket({ port: 9999 }) }), 'Deployment', 'greeter').spec.template.spec.containers[0];
    expect(container.readinessProbe.tcpSocket).toEqual({ port: 9999 });
    expect(container.livenessProbe).toEqual({ grpc: { port: 9999 }, periodSeconds: 10 });
  });

  test('the built-in checks are MetricTemplates that count gRPC server errors', () => {
    const canary = only(out, 'Canary');
    expect(canary.spec.analysis.metrics.map((m: any) => [m.name, m.templateRef?.name])).toEqual([
      ['success-rate', 'greeter-success-rate'], ['latency', 'greeter-latency'],
    ]);
    expect(only(out, 'MetricTemplate', 'greeter-success-rate').spec.query).toContain(',response_code!~"5.*",grpc_response_status!~"2|4|13|14|15"}');
  });

  test('the load test is ghz against the canary Service', () => {
    const webhooks = only(out, 'Canary').spec.analysis.webhooks;
    expect(webhooks.map((w: any) => w.metadata.cmd)).toEqual([
      'ghz --insecure --call grpc.health.v1.Health/Check -z 54s --rps 10 -c 2 greeter-canary.test:9999',
      'ghz --insecure --call grpc.health.v1.Health/Check -z 54s --rps 10 -c 2 greeter-canary.test:9999',
    ]);
  });

  test('HTTP stays as it was: port http, no appProtocol, HTTP probes, Flagger\'s own checks', () => {
    const http = manifests({ protocol: undefined, analysis: { webhooks: [CanaryWebhook.loadTest()] } });
    const service = only(http, 'Canary').spec.service;
    expect([service.portName, service.appProtocol]).toEqual(['http', undefined]);
    expect(only(http, 'Deployment', 'greeter').spec.template.spec.containers[0].readinessProbe.httpGet).toBeDefined();
    expect(all(http, 'MetricTemplate')).toEqual([]);
  });
});

describe('ServiceProtocol.GRPC with Argo Rollouts and Istio', () => {
  test.each([IstioRoutingMode.SUBSET, IstioRoutingMode.HOST])('%s: every Service names its port grpc, and the success rate counts gRPC errors', (routingMode) => {
    const out = manifests({ engine: DeliveryEngine.argoRollouts(), router: TrafficRouter.istio({ hosts: ['greeter.example.com'], routingMode }) });
    const services = all(out, 'Service').filter((s) => s.metadata.name.startsWith('greeter'));
    expect(services.length).toBeGreaterThanOrEqual(2);
    for (const service of services) expect(service.spec.ports).toEqual([{ name: 'grpc', appProtocol: 'grpc', port: 9999, targetPort: 9999 }]);
    const rate = only(out, 'AnalysisTemplate', 'greeter').spec.metrics.find((m: any) => m.name === 'request-success-rate');
    expect(rate.provider.prometheus.query).toContain(',response_code!~"5.*",grpc_response_status!~"2|4|13|14|15"}');
  });
});

describe('what gRPC cannot do, said at synth', () => {
  function errors(overrides: Partial<CanaryServiceProps>): string[] {
    const app = new App({ outdir: '/tmp' });
    new CanaryService(new Chart(app, 'test', { namespace: 'test' }), 'greeter', props(overrides));
    try {
      app.synth();
    } catch (error) {
      return (error as Error).message.split('\n').slice(1);
    }
    return [];
  }

  test.each([
    ['traefik', TrafficRouter.traefik({ hosts: ['greeter.example.com'] })],
    ['gateway-api', TrafficRouter.gatewayApi({ hosts: ['greeter.example.com'] })],
  ])('the %s router', (name, router) => {
    expect(errors({ router })).toContain('  [test/greeter] CanaryService \'greeter\': \'protocol\' (ServiceProtocol.GRPC) needs a router whose metrics carry each call\'s gRPC status '
      + '(DeliveryEngine.flagger() with TrafficRouter.istio()): '
      + `with the '${name}' router the checks would see HTTP 200 for failed gRPC calls and could never fail`);
  });

  test('the router decides: one that declares TrafficFeature.GRPC is accepted, whatever its name', () => {
    const istio = TrafficRouter.istio({ hosts: ['greeter.example.com'] });
    const own: ITrafficRouter = Object.assign(Object.create(Object.getPrototypeOf(istio)), istio, { name: 'my-mesh' });
    expect(own.supports('flagger', TrafficFeature.GRPC)).toBe(false);
    expect(errors({ router: own }).join('\n')).toContain("with the 'my-mesh' router the checks would see HTTP 200");
    own.supports = (engine, feature) => feature === TrafficFeature.GRPC || istio.supports(engine, feature);
    expect(errors({ router: own }).filter((e) => e.includes('gRPC'))).toEqual([]);
  });

  test('a Deployment of the team\'s own whose port is not named grpc', () => {
    const chart = new Chart(Testing.app(), 'own', { namespace: 'test' });
    const deployment = new kplus.Deployment(chart, 'greeter-deployment', {
      metadata: { name: 'greeter' },
      select: false,
      podMetadata: { labels: { 'app.kubernetes.io/name': 'greeter' } },
      containers: [{ image: 'ghcr.io/acme/greeter:1.0.0', ports: [{ number: 9999, name: 'http' }], securityContext: { user: 1000, capabilities: { drop: [kplus.Capability.ALL] }, seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT } } }],
    });
    deployment.select(kplus.LabelSelector.of({ labels: { 'app.kubernetes.io/name': 'greeter' } }));
    expect(errors({ image: undefined, containerPort: undefined, deployment })).toEqual([
      "  [test/greeter] CanaryService 'greeter': 'deployment' (greeter) names its first container port 'http', but 'protocol' is ServiceProtocol.GRPC: "
      + "name it 'grpc' and give the container gRPC probes (readinessProbe.grpc), as the generated Deployment has",
    ]);
  });

  test('a hey load test', () => {
    expect(errors({ analysis: { webhooks: [CanaryWebhook.loadTest()] } })).toEqual([
      "  [test/greeter] CanaryService 'greeter': 'analysis.webhooks[0]' ('load-test') runs hey, which speaks HTTP/1.1, against a gRPC service: "
      + "use CanaryWebhook.loadTest({ tool: LoadTool.GHZ, grpcCall: '<package>.<Service>/<Method>' }), e.g. grpcCall: 'grpc.health.v1.Health/Check'",
    ]);
  });
});
