import { ApiObject, Chart, Testing } from 'cdk8s';
import { IstioGateway, IstioGatewayProps } from '../../../src/routers/istio/gateway';
import { only, synth } from '../../synth';

const OWNER = "IstioGateway 'podinfo'";

function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

function newGateway(chart: Chart, overrides: Partial<IstioGatewayProps> = {}): IstioGateway {
  return new IstioGateway(chart, 'gateway', {
    metadata: { name: 'podinfo', namespace: 'test' },
    hosts: ['podinfo.example.com'],
    ...overrides,
  });
}

function gatewaySpec(chart: Chart): any {
  return only(synth(chart), 'Gateway', 'podinfo').spec;
}

describe('defaults', () => {
  const chart = newChart();
  const gateway = newGateway(chart);
  // Recorded for the conformance checker by the first test.
  const manifests = Testing.synth(chart);

  test('one Gateway, networking.istio.io/v1, named and namespaced as given', () => {
    expect(synth(chart)).toEqual(manifests);
    expect(manifests).toHaveLength(1);
    const manifest = only(manifests, 'Gateway', 'podinfo');
    expect(manifest.apiVersion).toBe('networking.istio.io/v1');
    expect(manifest.metadata).toEqual({ name: 'podinfo', namespace: 'test' });
  });

  test('selects the istio ingressgateway, one HTTP server on port 80 for the hosts, no TLS', () => {
    expect(only(manifests, 'Gateway').spec).toEqual({
      selector: { istio: 'ingressgateway' },
      servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['podinfo.example.com'] }],
    });
  });

  test('name, namespace and the <namespace>/<name> reference routes use', () => {
    expect(gateway.name).toBe('podinfo');
    expect(gateway.namespace).toBe('test');
    expect(gateway.reference).toBe('test/podinfo');
  });
});

test('several hosts, wildcards allowed, in order', () => {
  const chart = newChart();
  newGateway(chart, { hosts: ['podinfo.example.com', '*.podinfo.example.com', 'podinfo'] });
  expect(gatewaySpec(chart).servers[0].hosts).toEqual(['podinfo.example.com', '*.podinfo.example.com', 'podinfo']);
});

test('tlsSecretName: HTTPS on 443 with the credential', () => {
  const chart = newChart();
  newGateway(chart, { tlsSecretName: 'podinfo-tls' });
  expect(gatewaySpec(chart).servers).toEqual([{
    port: { number: 443, name: 'https', protocol: 'HTTPS' },
    hosts: ['podinfo.example.com'],
    tls: { mode: 'SIMPLE', credentialName: 'podinfo-tls' },
  }]);
});

test('a custom port, with and without TLS', () => {
  const plain = newChart();
  newGateway(plain, { port: 8080 });
  expect(gatewaySpec(plain).servers[0].port).toEqual({ number: 8080, name: 'http', protocol: 'HTTP' });
  const tls = newChart();
  newGateway(tls, { port: 8443, tlsSecretName: 'podinfo-tls' });
  expect(gatewaySpec(tls).servers[0].port).toEqual({ number: 8443, name: 'https', protocol: 'HTTPS' });
});

test('a custom selector replaces the default', () => {
  const chart = newChart();
  newGateway(chart, { selector: { 'app': 'edge-gateway', 'istio.io/rev': 'canary' } });
  expect(gatewaySpec(chart).selector).toEqual({ 'app': 'edge-gateway', 'istio.io/rev': 'canary' });
});

test('metadata labels are kept', () => {
  const chart = newChart();
  newGateway(chart, { metadata: { name: 'podinfo', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' } } });
  expect(only(synth(chart), 'Gateway').metadata.labels).toEqual({ 'app.kubernetes.io/name': 'podinfo' });
});

test('defaultChild is the L1', () => {
  const gateway = newGateway(newChart());
  const l1 = ApiObject.of(gateway);
  expect(l1).toBe(gateway.apiObject);
  expect(l1.apiVersion).toBe('networking.istio.io/v1');
  expect(l1.kind).toBe('Gateway');
});

test('full gateway snapshot', () => {
  const chart = newChart();
  newGateway(chart, {
    metadata: { name: 'podinfo', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' } },
    hosts: ['podinfo.example.com', 'www.podinfo.example.com'],
    tlsSecretName: 'podinfo-tls',
    selector: { istio: 'ingressgateway' },
  });
  expect(synth(chart)).toMatchSnapshot();
});

describe('errors', () => {
  test('no namespace', () => {
    expect(() => newGateway(newChart(), { metadata: { name: 'podinfo' } })).toThrow(
      `${OWNER}: 'metadata.namespace' is required: VirtualServices name a Gateway as '<namespace>/<name>'`,
    );
  });

  test('no hosts', () => {
    expect(() => newGateway(newChart(), { hosts: [] })).toThrow(`${OWNER}: 'hosts' must name at least one host`);
  });

  test.each(['Podinfo.example.com', 'podinfo_example.com', '*', 'www.*.example.com', '*.*.example.com'])('invalid host %p', (host) => {
    expect(() => newGateway(newChart(), { hosts: ['ok.example.com', host] })).toThrow(
      `${OWNER}: 'hosts[1]' ('${host}') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.', optionally after a leading '*.' wildcard`,
    );
  });

  test('duplicate hosts', () => {
    expect(() => newGateway(newChart(), { hosts: ['a.example.com', 'a.example.com'] })).toThrow(
      `${OWNER}: 'hosts' has two entries named 'a.example.com'; names must be unique`,
    );
  });

  test.each([0, 65536, 80.5])('port %p out of range', (port) => {
    expect(() => newGateway(newChart(), { port })).toThrow(`${OWNER}: 'port' (${port}) must be an integer between 1 and 65535`);
  });

  test('invalid tlsSecretName', () => {
    expect(() => newGateway(newChart(), { tlsSecretName: 'Podinfo_TLS' })).toThrow(
      `${OWNER}: 'tlsSecretName' ('Podinfo_TLS') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'`,
    );
  });

  test('empty selector', () => {
    expect(() => newGateway(newChart(), { selector: {} })).toThrow(
      `${OWNER}: 'selector' must hold at least one label of the ingress gateway pods, e.g. { istio: 'ingressgateway' }`,
    );
  });

  test('the owner falls back to the construct id without metadata.name', () => {
    expect(() => new IstioGateway(newChart(), 'edge', { metadata: { namespace: 'test' }, hosts: [] })).toThrow(
      "IstioGateway 'edge': 'hosts' must name at least one host",
    );
  });
});
