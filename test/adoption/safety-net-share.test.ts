import { Chart, Testing } from 'cdk8s';
import { CanaryService, CanaryWebhook, DeliveryEngine, IDeliveryEngine, ITrafficRouter, SafetyNetOptions, TrafficRouter } from '../../src';

/**
 * What the plan says of the net's share, per engine x router, from what the objects the net sends
 * to reach (the topology): the controller's weighted object, the primary alone, or every pod.
 */
function notes(engine: IDeliveryEngine, router: ITrafficRouter, net: SafetyNetOptions): string[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const service = new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine,
    router,
    safetyNet: net,
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
  });
  return service.plan!.notes.filter((n) => n.startsWith('safety net'));
}

const ROUTERS: { [name: string]: () => ITrafficRouter } = {
  'traefik': () => TrafficRouter.traefik({ hosts: ['app.example.com'] }),
  'istio': () => TrafficRouter.istio({ hosts: ['app.example.com'] }),
  'gateway-api': () => TrafficRouter.gatewayApi({ hosts: ['app.example.com'] }),
};
const ENGINES: { [name: string]: () => IDeliveryEngine } = { 'flagger': () => DeliveryEngine.flagger(), 'argo-rollouts': () => DeliveryEngine.argoRollouts() };
const WEIGHTED = 'a canary weight of W% is W x 5 / 100 % of the users';
const PRIMARY_ONLY = "the net's share reaches the primary only ('podinfo'); the canary is judged on the managed host's traffic alone";
const EVERY_POD = "the net's share reaches every pod of 'podinfo' by their number, not by the canary's weight: the canary gets its replicas' part of it";

describe('the share note says where the net\'s share goes, per cell', () => {
  const expected: { [cell: string]: string } = {
    // The net's managed entry is the TraefikService <name>, Flagger's or Argo's weighted one.
    'flagger | traefik': WEIGHTED,
    'argo-rollouts | traefik': WEIGHTED,
    // Flagger's VirtualService and HTTPRoute are not applied to the net's destination: the Service <name> selects the primary.
    'flagger | istio': PRIMARY_ONLY,
    'flagger | gateway-api': PRIMARY_ONLY,
    // Argo's Service <name> selects both versions' pods; the gateway applies no second VirtualService.
    'argo-rollouts | istio': EVERY_POD,
    // The plugin manages the net's HTTPRoute too (stable and canary backends).
    'argo-rollouts | gateway-api': WEIGHTED,
  };
  test.each(Object.keys(expected))('%s', (cell) => {
    const [engine, router] = cell.split(' | ');
    const alone = router === 'istio' ? 'the managed host' : "'managed.app.example.com'";
    expect(notes(ENGINES[engine](), ROUTERS[router](), { liveService: 'podinfo-live', share: 5 })[0])
      .toBe(`safety net: 5% of the hosts' traffic reaches this service, the rest stays on 'podinfo-live'; ${expected[cell]}; ${alone} reaches this service alone`);
  });
});

describe('the default share is 0 (staged) where the net would send it to a Service Flagger has not created yet', () => {
  const staged = ['flagger | istio', 'flagger | gateway-api'];
  const cells = Object.keys(ENGINES).flatMap((engine) => Object.keys(ROUTERS).map((router) => `${engine} | ${router}`));
  test.each(cells)('%s', (cell) => {
    const [engine, router] = cell.split(' | ');
    const first = notes(ENGINES[engine](), ROUTERS[router](), { liveService: 'podinfo-live' })[0];
    if (staged.includes(cell)) {
      expect(first).toBe(`safety net staged (share 0): every request of the hosts stays on 'podinfo-live'; ${router === 'istio' ? 'the managed host' : "'managed.app.example.com'"} reaches this service alone. `
        + "Raise 'safetyNet.share' once the controller has initialized the service (`kubectl -n test get canary podinfo` reports Initialized)");
    } else {
      expect(first).toMatch(/^safety net: 5% of the hosts' traffic reaches this service/);
    }
  });
});
