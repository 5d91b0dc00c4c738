import { ApiObject, Chart, Duration, Testing } from 'cdk8s';
import {
  IstioDestinationRule, IstioDestinationRuleProps, IstioHttpRoute, IstioVirtualService, IstioVirtualServiceProps,
} from '../../../src/routers/istio/virtual-service';
import { only, synth } from '../../synth';

const VS_OWNER = "IstioVirtualService 'podinfo'";
const DR_OWNER = "IstioDestinationRule 'podinfo'";
const SUBDOMAIN_RULE = "must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'";
const LABEL_RULE = "must be a DNS label of at most 63 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit";
const SPLIT: IstioHttpRoute = {
  name: 'primary',
  destinations: [
    { host: 'podinfo-stable', weight: 100 },
    { host: 'podinfo-canary', weight: 0 },
  ],
};

function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

function newVirtualService(chart: Chart, overrides: Partial<IstioVirtualServiceProps> = {}): IstioVirtualService {
  return new IstioVirtualService(chart, 'vs', {
    metadata: { name: 'podinfo', namespace: 'test' },
    hosts: ['podinfo'],
    httpRoutes: [SPLIT],
    ...overrides,
  });
}

function newDestinationRule(chart: Chart, overrides: Partial<IstioDestinationRuleProps> = {}): IstioDestinationRule {
  return new IstioDestinationRule(chart, 'dr', {
    metadata: { name: 'podinfo', namespace: 'test' },
    host: 'podinfo',
    subsets: [
      { name: 'stable', labels: { 'app.kubernetes.io/name': 'podinfo' } },
      { name: 'canary', labels: { 'app.kubernetes.io/name': 'podinfo' } },
    ],
    ...overrides,
  });
}

function routeWith(overrides: Partial<IstioHttpRoute>): IstioHttpRoute {
  return { ...SPLIT, ...overrides };
}

describe('IstioVirtualService', () => {
  describe('defaults', () => {
    const chart = newChart();
    const virtualService = newVirtualService(chart);
    // Recorded for the conformance checker by the first test.
    const manifests = Testing.synth(chart);

    test('one VirtualService, networking.istio.io/v1, named and namespaced as given', () => {
      expect(synth(chart)).toEqual(manifests);
      expect(manifests).toHaveLength(1);
      const manifest = only(manifests, 'VirtualService', 'podinfo');
      expect(manifest.apiVersion).toBe('networking.istio.io/v1');
      expect(manifest.metadata).toEqual({ name: 'podinfo', namespace: 'test' });
      expect(virtualService.name).toBe('podinfo');
    });

    test('hosts, no gateways (mesh), the named route with its weighted destinations', () => {
      expect(only(manifests, 'VirtualService').spec).toEqual({
        hosts: ['podinfo'],
        http: [{
          name: 'primary',
          route: [
            { destination: { host: 'podinfo-stable' }, weight: 100 },
            { destination: { host: 'podinfo-canary' }, weight: 0 },
          ],
        }],
      });
    });
  });

  test('gateways, subsets, ports, retries and timeout reach the output', () => {
    const chart = newChart();
    newVirtualService(chart, {
      hosts: ['podinfo', 'podinfo.example.com', '*.example.com'],
      gateways: ['istio-system/public-gateway', 'mesh'],
      httpRoutes: [{
        name: 'primary',
        destinations: [
          { host: 'podinfo', subset: 'stable', port: 80, weight: 90 },
          { host: 'podinfo', subset: 'canary', port: 80, weight: 10 },
        ],
        retries: { attempts: 3, perTryTimeout: Duration.seconds(2), retryOn: 'gateway-error,connect-failure,refused-stream,503' },
        timeout: Duration.minutes(1),
      }],
    });
    expect(only(synth(chart), 'VirtualService').spec).toEqual({
      hosts: ['podinfo', 'podinfo.example.com', '*.example.com'],
      gateways: ['istio-system/public-gateway', 'mesh'],
      http: [{
        name: 'primary',
        route: [
          { destination: { host: 'podinfo', subset: 'stable', port: { number: 80 } }, weight: 90 },
          { destination: { host: 'podinfo', subset: 'canary', port: { number: 80 } }, weight: 10 },
        ],
        retries: { attempts: 3, perTryTimeout: '2s', retryOn: 'gateway-error,connect-failure,refused-stream,503' },
        timeout: '60s',
      }],
    });
  });

  test('several routes in order; one destination of weight 100', () => {
    const chart = newChart();
    newVirtualService(chart, {
      httpRoutes: [
        { name: 'api', destinations: [{ host: 'api.backend.svc.cluster.local', weight: 100 }], retries: { attempts: 0 } },
        SPLIT,
      ],
    });
    const http = only(synth(chart), 'VirtualService').spec.http;
    expect(http.map((r: any) => r.name)).toEqual(['api', 'primary']);
    expect(http[0]).toEqual({ name: 'api', route: [{ destination: { host: 'api.backend.svc.cluster.local' }, weight: 100 }], retries: { attempts: 0 } });
  });

  test('an empty gateways list is left out (mesh)', () => {
    const chart = newChart();
    newVirtualService(chart, { gateways: [] });
    expect(only(synth(chart), 'VirtualService').spec).not.toHaveProperty('gateways');
  });

  test('metadata labels are kept', () => {
    const chart = newChart();
    newVirtualService(chart, { metadata: { name: 'podinfo', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' } } });
    expect(only(synth(chart), 'VirtualService').metadata.labels).toEqual({ 'app.kubernetes.io/name': 'podinfo' });
  });

  test('defaultChild is the L1', () => {
    const virtualService = newVirtualService(newChart());
    const l1 = ApiObject.of(virtualService);
    expect(l1).toBe(virtualService.apiObject);
    expect(l1.apiVersion).toBe('networking.istio.io/v1');
    expect(l1.kind).toBe('VirtualService');
  });

  describe('errors', () => {
    test('no hosts', () => {
      expect(() => newVirtualService(newChart(), { hosts: [] })).toThrow(`${VS_OWNER}: 'hosts' must name at least one host`);
    });

    test.each(['Podinfo', 'podinfo_svc', '*', 'a.*.example.com'])('invalid host %p', (host) => {
      expect(() => newVirtualService(newChart(), { hosts: ['podinfo', host] })).toThrow(
        `${VS_OWNER}: 'hosts[1]' ('${host}') ${SUBDOMAIN_RULE}, optionally after a leading '*.' wildcard`,
      );
    });

    test('duplicate hosts', () => {
      expect(() => newVirtualService(newChart(), { hosts: ['podinfo', 'podinfo'] })).toThrow(
        `${VS_OWNER}: 'hosts' has two entries named 'podinfo'; names must be unique`,
      );
    });

    test.each(['public-gateway', 'istio-system/Public', 'Mesh'])('gateway %p is neither mesh nor <namespace>/<name>', (gateway) => {
      expect(() => newVirtualService(newChart(), { gateways: ['mesh', gateway] })).toThrow(
        `${VS_OWNER}: 'gateways[1]' ('${gateway}') must be 'mesh' or '<namespace>/<name>' of a Gateway, e.g. 'istio-system/public-gateway'`,
      );
    });

    test('duplicate gateways', () => {
      expect(() => newVirtualService(newChart(), { gateways: ['mesh', 'mesh'] })).toThrow(
        `${VS_OWNER}: 'gateways' has two entries named 'mesh'; names must be unique`,
      );
    });

    test('no routes', () => {
      expect(() => newVirtualService(newChart(), { httpRoutes: [] })).toThrow(`${VS_OWNER}: 'httpRoutes' must hold at least one route`);
    });

    test.each(['Primary', 'primary route', ''])('route name %p is not a DNS label', (name) => {
      expect(() => newVirtualService(newChart(), { httpRoutes: [routeWith({ name })] })).toThrow(
        `${VS_OWNER}: 'httpRoutes[0].name' ('${name}') ${LABEL_RULE}`,
      );
    });

    test('duplicate route names', () => {
      expect(() => newVirtualService(newChart(), { httpRoutes: [SPLIT, SPLIT] })).toThrow(
        `${VS_OWNER}: 'httpRoutes' has two entries named 'primary'; names must be unique`,
      );
    });

    test('a route without destinations', () => {
      expect(() => newVirtualService(newChart(), { httpRoutes: [routeWith({ destinations: [] })] })).toThrow(
        `${VS_OWNER}: 'httpRoutes[0].destinations' must hold at least one destination`,
      );
    });

    test('weights that do not add up to 100', () => {
      expect(() => newVirtualService(newChart(), {
        httpRoutes: [routeWith({ destinations: [{ host: 'a', weight: 80 }, { host: 'b', weight: 10 }] })],
      })).toThrow(`${VS_OWNER}: 'httpRoutes[0].destinations' have weights that add up to 90; they must add up to 100`);
    });

    test.each([-1, 101, 50.5])('weight %p out of range', (weight) => {
      expect(() => newVirtualService(newChart(), {
        httpRoutes: [routeWith({ destinations: [{ host: 'a', weight: 100 }, { host: 'b', weight }] })],
      })).toThrow(`${VS_OWNER}: 'httpRoutes[0].destinations[1].weight' (${weight}) must be an integer between 0 and 100`);
    });

    test('invalid destination host', () => {
      expect(() => newVirtualService(newChart(), {
        httpRoutes: [routeWith({ destinations: [{ host: 'Podinfo', weight: 100 }] })],
      })).toThrow(`${VS_OWNER}: 'httpRoutes[0].destinations[0].host' ('Podinfo') ${SUBDOMAIN_RULE}`);
    });

    test('invalid subset', () => {
      expect(() => newVirtualService(newChart(), {
        httpRoutes: [routeWith({ destinations: [{ host: 'podinfo', subset: 'Stable', weight: 100 }] })],
      })).toThrow(`${VS_OWNER}: 'httpRoutes[0].destinations[0].subset' ('Stable') ${LABEL_RULE}`);
    });

    test('invalid port', () => {
      expect(() => newVirtualService(newChart(), {
        httpRoutes: [routeWith({ destinations: [{ host: 'podinfo', port: 0, weight: 100 }] })],
      })).toThrow(`${VS_OWNER}: 'httpRoutes[0].destinations[0].port' (0) must be an integer between 1 and 65535`);
    });

    test('invalid retries', () => {
      expect(() => newVirtualService(newChart(), { httpRoutes: [routeWith({ retries: { attempts: 101 } })] })).toThrow(
        `${VS_OWNER}: 'httpRoutes[0].retries.attempts' (101) must be an integer between 0 and 100`,
      );
      const perTryTimeout = Duration.millis(100);
      expect(() => newVirtualService(newChart(), { httpRoutes: [routeWith({ retries: { attempts: 1, perTryTimeout } })] })).toThrow(
        `${VS_OWNER}: 'httpRoutes[0].retries.perTryTimeout' (100 millis) must be a whole number of seconds, at least 1s`,
      );
      expect(() => newVirtualService(newChart(), { httpRoutes: [routeWith({ retries: { attempts: 1, retryOn: '5xx, reset' } })] })).toThrow(
        `${VS_OWNER}: 'httpRoutes[0].retries.retryOn' ('5xx, reset') must be retry conditions separated by commas, without spaces, e.g. 'gateway-error,connect-failure,refused-stream'`,
      );
    });

    test('timeout not whole seconds', () => {
      expect(() => newVirtualService(newChart(), { httpRoutes: [routeWith({ timeout: Duration.millis(2500) })] })).toThrow(
        `${VS_OWNER}: 'httpRoutes[0].timeout' (2 seconds 500 millis) must be a whole number of seconds, at least 1s`,
      );
    });

    test('the owner falls back to the construct id without metadata.name', () => {
      expect(() => new IstioVirtualService(newChart(), 'route', { metadata: { namespace: 'test' }, hosts: [], httpRoutes: [SPLIT] })).toThrow(
        "IstioVirtualService 'route': 'hosts' must name at least one host",
      );
    });
  });
});

describe('IstioDestinationRule', () => {
  describe('defaults', () => {
    const chart = newChart();
    const destinationRule = newDestinationRule(chart);
    // Recorded for the conformance checker by the first test.
    const manifests = Testing.synth(chart);

    test('one DestinationRule, networking.istio.io/v1, named and namespaced as given', () => {
      expect(synth(chart)).toEqual(manifests);
      expect(manifests).toHaveLength(1);
      const manifest = only(manifests, 'DestinationRule', 'podinfo');
      expect(manifest.apiVersion).toBe('networking.istio.io/v1');
      expect(manifest.metadata).toEqual({ name: 'podinfo', namespace: 'test' });
      expect(destinationRule.name).toBe('podinfo');
    });

    test('the host and its subsets with their labels', () => {
      expect(only(manifests, 'DestinationRule').spec).toEqual({
        host: 'podinfo',
        subsets: [
          { name: 'stable', labels: { 'app.kubernetes.io/name': 'podinfo' } },
          { name: 'canary', labels: { 'app.kubernetes.io/name': 'podinfo' } },
        ],
      });
    });
  });

  test('a fully qualified host and subset labels of several keys', () => {
    const chart = newChart();
    newDestinationRule(chart, {
      host: 'podinfo.test.svc.cluster.local',
      subsets: [{ name: 'v1', labels: { 'app.kubernetes.io/name': 'podinfo', 'app.kubernetes.io/version': '1.0.0' } }],
    });
    expect(only(synth(chart), 'DestinationRule').spec).toEqual({
      host: 'podinfo.test.svc.cluster.local',
      subsets: [{ name: 'v1', labels: { 'app.kubernetes.io/name': 'podinfo', 'app.kubernetes.io/version': '1.0.0' } }],
    });
  });

  test('defaultChild is the L1', () => {
    const destinationRule = newDestinationRule(newChart());
    const l1 = ApiObject.of(destinationRule);
    expect(l1).toBe(destinationRule.apiObject);
    expect(l1.apiVersion).toBe('networking.istio.io/v1');
    expect(l1.kind).toBe('DestinationRule');
  });

  describe('errors', () => {
    test('invalid host', () => {
      expect(() => newDestinationRule(newChart(), { host: 'Podinfo' })).toThrow(`${DR_OWNER}: 'host' ('Podinfo') ${SUBDOMAIN_RULE}`);
    });

    test('no subsets', () => {
      expect(() => newDestinationRule(newChart(), { subsets: [] })).toThrow(`${DR_OWNER}: 'subsets' must name at least one subset`);
    });

    test('invalid subset name', () => {
      expect(() => newDestinationRule(newChart(), { subsets: [{ name: 'Canary', labels: {} }] })).toThrow(
        `${DR_OWNER}: 'subsets[0].name' ('Canary') ${LABEL_RULE}`,
      );
    });

    test('duplicate subset names', () => {
      expect(() => newDestinationRule(newChart(), { subsets: [{ name: 'canary', labels: {} }, { name: 'canary', labels: {} }] })).toThrow(
        `${DR_OWNER}: 'subsets' has two entries named 'canary'; names must be unique`,
      );
    });
  });
});

test('VirtualService and DestinationRule together: every subset a route names is in the rule for its host', () => {
  const chart = newChart();
  newDestinationRule(chart);
  newVirtualService(chart, {
    httpRoutes: [{
      name: 'primary',
      destinations: [
        { host: 'podinfo', subset: 'stable', port: 80, weight: 100 },
        { host: 'podinfo', subset: 'canary', port: 80, weight: 0 },
      ],
    }],
  });
  const manifests = synth(chart);
  const rule = only(manifests, 'DestinationRule', 'podinfo');
  for (const route of only(manifests, 'VirtualService', 'podinfo').spec.http[0].route) {
    expect(route.destination.host).toBe(rule.spec.host);
    expect(rule.spec.subsets.map((s: any) => s.name)).toContain(route.destination.subset);
  }
});
