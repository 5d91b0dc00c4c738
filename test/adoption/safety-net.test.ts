import { Chart, Testing } from 'cdk8s';
import {
  ApplicationMetrics, CanaryService, CanaryWebhook, DeliveryEngine, GitOps, IDeliveryEngine, ITrafficRouter, SafetyNetOptions, TrafficRouter,
} from '../../src';
import { all, only, synth } from '../synth';

const OWNER = "CanaryService 'podinfo'";
const NET: SafetyNetOptions = { liveService: 'podinfo-live', share: 5 };

function declare(engine: IDeliveryEngine, router: ITrafficRouter, net: SafetyNetOptions | null = NET): { manifests: any[]; service: CanaryService } {
  const safetyNet = net ?? undefined;
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const service = new CanaryService(chart, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine,
    router,
    safetyNet,
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
  });
  return { manifests: synth(chart), service };
}

const traefik = () => TrafficRouter.traefik({ hosts: ['app.example.com'] });
const gatewayApi = () => TrafficRouter.gatewayApi({ hosts: ['app.example.com'] });
const istio = () => TrafficRouter.istio({ hosts: ['app.example.com'] });
const hostsOf = (route: any) => route.spec.routes.map((r: any) => r.match);
const loadCommand = (manifests: any[]) => {
  const canary = all(manifests, 'Canary')[0];
  if (canary) return canary.spec.analysis.webhooks.find((w: any) => w.metadata?.type === 'cmd').metadata.cmd;
  return all(manifests, 'AnalysisTemplate').flatMap((t) => t.spec.metrics).find((m: any) => m.name === 'load-test').provider.job.spec.template.spec.containers[0].command[2];
};

describe('Traefik', () => {
  test.each([['flagger', DeliveryEngine.flagger()], ['argo-rollouts', DeliveryEngine.argoRollouts()]] as const)(
    '%s: the hosts go through a TraefikService that sends 5 % to the managed TraefikService (its own split within) and 95 % to the live Service', (_name, engine) => {
      const { manifests, service } = declare(engine, traefik());
      expect(only(manifests, 'TraefikService', 'podinfo-safety-net').spec.weighted.services).toEqual([
        { name: 'podinfo-live', port: 80, weight: 95 },
        { kind: 'TraefikService', name: 'podinfo', port: 80, weight: 5 },
      ]);
      expect(hostsOf(only(manifests, 'IngressRoute', 'podinfo-safety-net'))).toEqual(['Host(`app.example.com`)']);
      expect(only(manifests, 'IngressRoute', 'podinfo-safety-net').spec.routes[0].services).toEqual([{ kind: 'TraefikService', name: 'podinfo-safety-net', port: 80 }]);
      // The managed routing serves the managed host alone, and the load goes there (all of it measured).
      expect(hostsOf(only(manifests, 'IngressRoute', 'podinfo'))).toEqual(['Host(`managed.app.example.com`)']);
      expect(loadCommand(manifests)).toContain('-host managed.app.example.com http://traefik.traefik:80/');
      expect(service.plan!.notes).toContain(
        "safety net: 5% of the hosts' traffic reaches this service, the rest stays on 'podinfo-live'; a canary weight of W% is W x 5 / 100 % of the users; 'managed.app.example.com' reaches this service alone",
      );
      // The live Service and its Deployment are not ours.
      expect(all(manifests, 'Service').map((s) => s.metadata.name)).not.toContain('podinfo-live');
    });

  test('removing the option moves all traffic: the hosts go to the managed service, nothing else of the net is left', () => {
    const { manifests } = declare(DeliveryEngine.flagger(), traefik(), null);
    expect(hostsOf(only(manifests, 'IngressRoute', 'podinfo'))).toEqual(['Host(`app.example.com`)']);
    expect(all(manifests, 'TraefikService')).toEqual([]);
    expect(all(manifests, 'IngressRoute')).toHaveLength(1);
  });

  test('a managed host and a live port of one\'s own', () => {
    const { manifests } = declare(DeliveryEngine.argoRollouts(), traefik(), { liveService: 'legacy', livePort: 8080, share: 20, managedHost: 'next.example.com' });
    expect(only(manifests, 'TraefikService', 'podinfo-safety-net').spec.weighted.services[0]).toEqual({ name: 'legacy', port: 8080, weight: 80 });
    expect(hostsOf(only(manifests, 'IngressRoute', 'podinfo'))).toEqual(['Host(`next.example.com`)']);
  });
});

describe('Gateway API', () => {
  test('Argo Rollouts: the net HTTPRoute has the stable and canary Services too, and the plugin manages both routes', () => {
    const { manifests } = declare(DeliveryEngine.argoRollouts(), gatewayApi());
    const net = only(manifests, 'HTTPRoute', 'podinfo-safety-net').spec;
    expect(net.hostnames).toEqual(['app.example.com']);
    // Weights are relative: 1900 : (100 + 0) is 95 % : 5 %; the plugin rewrites stable and canary only.
    expect(net.rules[0].backendRefs.map((b: any) => [b.name, b.weight])).toEqual([['podinfo-live', 1900], ['podinfo-stable', 100], ['podinfo-canary', 0]]);
    expect(only(manifests, 'HTTPRoute', 'podinfo').spec.hostnames).toEqual(['managed.app.example.com']);
    expect(only(manifests, 'Rollout').spec.strategy.canary.trafficRouting.plugins['argoproj-labs/gatewayAPI']).toEqual({
      httpRoutes: [{ name: 'podinfo', useHeaderRoutes: true }, { name: 'podinfo-safety-net' }], namespace: 'test',
    });
  });

  test('Flagger: its HTTPRoute serves the managed host; the net sends 5 % to the Service podinfo (the primary)', () => {
    const { manifests } = declare(DeliveryEngine.flagger(), gatewayApi());
    expect(only(manifests, 'Canary').spec.service.hosts).toEqual(['managed.app.example.com']);
    expect(only(manifests, 'HTTPRoute', 'podinfo-safety-net').spec.rules[0].backendRefs.map((b: any) => [b.name, b.weight])).toEqual([['podinfo-live', 19], ['podinfo', 1]]);
  });
});

describe('Istio', () => {
  test.each([['flagger', DeliveryEngine.flagger()], ['argo-rollouts', DeliveryEngine.argoRollouts()]] as const)(
    '%s: a VirtualService of the hosts on the Gateway, 95 % to the live Service, 5 % to podinfo; the managed routing on the managed host', (name, engine) => {
      const { manifests } = declare(engine, istio());
      expect(only(manifests, 'VirtualService', 'podinfo-safety-net').spec).toEqual({
        hosts: ['app.example.com'],
        gateways: ['test/podinfo'],
        http: [{
          name: 'safety-net',
          route: [
            { destination: { host: 'podinfo-live', port: { number: 80 } }, weight: 95 },
            { destination: { host: 'podinfo', port: { number: 80 } }, weight: 5 },
          ],
        }],
      });
      expect(only(manifests, 'Gateway', 'podinfo').spec.servers[0].hosts).toEqual(['app.example.com', 'managed.app.example.com']);
      if (name === 'flagger') expect(only(manifests, 'Canary').spec.service.hosts).toEqual(['managed.app.example.com']);
      else expect(only(manifests, 'VirtualService', 'podinfo').spec.hosts).toEqual(['podinfo', 'managed.app.example.com']);
    });
});

describe('bad declarations fail with a message', () => {
  test.each([
    [{ liveService: 'podinfo-live', share: -1 }, "'safetyNet.share' (-1) must be an integer between 0 and 99"],
    [{ liveService: 'podinfo-live', share: 100 }, "'safetyNet.share' (100) must be an integer between 0 and 99"],
    [{ liveService: 'Podinfo Live' }, "'safetyNet.liveService' ('Podinfo Live') must be a DNS label of at most 63 characters"],
  ])('%j', (net, message) => {
    expect(() => declare(DeliveryEngine.flagger(), traefik(), net)).toThrow(`${OWNER}: ${message}`);
  });

  test('a router that cannot split by weight', () => {
    const router = TrafficRouter.replicaRatio({ metrics: ApplicationMetrics.httpHistogram({ port: 9898 }) });
    expect(() => declare(DeliveryEngine.argoRollouts(), router)).toThrow(
      `${OWNER}: 'safetyNet' splits the hosts' traffic by weight in a router; without one, give the live Service's pods and this service's pods one selector instead`,
    );
  });

  test('Istio without hosts', () => {
    expect(() => declare(DeliveryEngine.flagger(), TrafficRouter.istio())).toThrow(
      `${OWNER}: 'safetyNet' splits the traffic of the router's hosts on its Gateway: give TrafficRouter.istio() 'hosts' and a gateway`,
    );
  });
});
