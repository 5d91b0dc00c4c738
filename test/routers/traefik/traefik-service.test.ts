import { ApiObject, Chart, Testing } from 'cdk8s';
import { TraefikWeightedService, TraefikWeightedServiceProps } from '../../../src/routers/traefik/traefik-service';
import { only, synth } from '../../synth';

const OWNER = "TraefikWeightedService 'podinfo'";
const LABEL_RULE = "must be a DNS label of at most 63 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit";

function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

function newService(chart: Chart, overrides: Partial<TraefikWeightedServiceProps> = {}): TraefikWeightedService {
  return new TraefikWeightedService(chart, 'wrr', {
    metadata: { name: 'podinfo', namespace: 'test' },
    services: [{ name: 'podinfo-stable', port: 80 }, { name: 'podinfo-canary', port: 80 }],
    ...overrides,
  });
}

describe('defaults', () => {
  const chart = newChart();
  newService(chart);
  // Recorded for the conformance checker by the first test.
  const manifests = Testing.synth(chart);

  test('one TraefikService, traefik.io/v1alpha1, with exactly name and port per entry and no weight', () => {
    expect(synth(chart)).toEqual(manifests);
    expect(manifests).toEqual([{
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'TraefikService',
      metadata: { name: 'podinfo', namespace: 'test' },
      spec: {
        weighted: {
          services: [{ name: 'podinfo-stable', port: 80 }, { name: 'podinfo-canary', port: 80 }],
        },
      },
    }]);
  });

  test('the port is a plain number, not a wrapper object', () => {
    for (const entry of only(manifests, 'TraefikService').spec.weighted.services) {
      expect(typeof entry.port).toBe('number');
      expect(entry).not.toHaveProperty('weight');
    }
  });
});

test('weights, a namespace and labels when given', () => {
  const chart = newChart();
  newService(chart, {
    metadata: { name: 'podinfo', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' } },
    services: [
      { name: 'podinfo-stable', port: 80, weight: 1000 },
      { name: 'podinfo-canary', port: 8080, weight: 0, namespace: 'canary' },
      { name: 'podinfo-mirror', port: 9898, weight: 3 },
    ],
  });
  expect(only(synth(chart), 'TraefikService', 'podinfo')).toEqual({
    apiVersion: 'traefik.io/v1alpha1',
    kind: 'TraefikService',
    metadata: { name: 'podinfo', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' } },
    spec: {
      weighted: {
        services: [
          { name: 'podinfo-stable', port: 80, weight: 1000 },
          { name: 'podinfo-canary', namespace: 'canary', port: 8080, weight: 0 },
          { name: 'podinfo-mirror', port: 9898, weight: 3 },
        ],
      },
    },
  });
});

test('a weight on some entries leaves the others without one', () => {
  const chart = newChart();
  newService(chart, { services: [{ name: 'a', port: 80, weight: 5 }, { name: 'b', port: 80 }] });
  expect(only(synth(chart), 'TraefikService').spec.weighted.services).toEqual([{ name: 'a', port: 80, weight: 5 }, { name: 'b', port: 80 }]);
});

test('the same Service on two ports is allowed', () => {
  const chart = newChart();
  newService(chart, { services: [{ name: 'a', port: 80 }, { name: 'a', port: 8080 }] });
  expect(only(synth(chart), 'TraefikService').spec.weighted.services).toEqual([{ name: 'a', port: 80 }, { name: 'a', port: 8080 }]);
});

test('name and defaultChild', () => {
  const service = newService(newChart());
  expect(service.name).toBe('podinfo');
  const l1 = ApiObject.of(service);
  expect(l1).toBe(service.apiObject);
  expect(l1.apiVersion).toBe('traefik.io/v1alpha1');
  expect(l1.kind).toBe('TraefikService');
  expect(service.node.defaultChild).toBe(service.apiObject);
});

describe('errors', () => {
  test('no services', () => {
    expect(() => newService(newChart(), { services: [] })).toThrow(`${OWNER}: 'services' must name at least one Service`);
  });

  test.each(['Podinfo', 'podinfo.canary', '1podinfo', 'podinfo-', 'a'.repeat(64)])('entry name %p is not a DNS label', (name) => {
    expect(() => newService(newChart(), { services: [{ name: 'ok', port: 80 }, { name, port: 80 }] })).toThrow(
      `${OWNER}: 'services[1].name' ('${name}') ${LABEL_RULE}`,
    );
  });

  test.each([0, 65536, 80.5])('entry port %p out of range', (port) => {
    expect(() => newService(newChart(), { services: [{ name: 'a', port }] })).toThrow(
      `${OWNER}: 'services[0].port' (${port}) must be an integer between 1 and 65535`,
    );
  });

  test.each([-1, 1001, 2.5])('weight %p is not an integer from 0 to 1000', (weight) => {
    expect(() => newService(newChart(), { services: [{ name: 'a', port: 80 }, { name: 'b', port: 80, weight }] })).toThrow(
      `${OWNER}: 'services[1].weight' (${weight}) must be an integer between 0 and 1000`,
    );
  });

  test('entry namespace is not a DNS label', () => {
    expect(() => newService(newChart(), { services: [{ name: 'a', port: 80, namespace: 'Canary' }] })).toThrow(
      `${OWNER}: 'services[0].namespace' ('Canary') ${LABEL_RULE}`,
    );
  });

  test('the same Service and port twice', () => {
    expect(() => newService(newChart(), { services: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }, { name: 'a', port: 80, weight: 1 }] })).toThrow(
      `${OWNER}: 'services[2]' (a:80) repeats 'services[0]'; each Service and port may appear once`,
    );
  });

  test('metadata.name is not a DNS subdomain', () => {
    expect(() => newService(newChart(), { metadata: { name: 'Podinfo_WRR', namespace: 'test' } })).toThrow(
      "TraefikWeightedService 'Podinfo_WRR': 'metadata.name' ('Podinfo_WRR') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'",
    );
  });

  test('the owner falls back to the construct id without metadata.name', () => {
    expect(() => new TraefikWeightedService(newChart(), 'wrr', { metadata: { namespace: 'test' }, services: [] })).toThrow(
      "TraefikWeightedService 'wrr': 'services' must name at least one Service",
    );
  });
});
