import { ApiObject, Chart, Testing } from 'cdk8s';
import { TraefikBackendKind, TraefikIngressRoute, TraefikIngressRouteProps } from '../../../src/routers/traefik/ingress-route';
import { only, synth } from '../../synth';

const OWNER = "TraefikIngressRoute 'podinfo'";
const SUBDOMAIN_RULE = "must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'";
const TRAEFIK_SERVICE_BACKEND = { kind: 'TraefikService', name: 'podinfo', port: 80 };

function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

function newRoute(chart: Chart, overrides: Partial<TraefikIngressRouteProps> = {}): TraefikIngressRoute {
  return new TraefikIngressRoute(chart, 'route', {
    metadata: { name: 'podinfo', namespace: 'test' },
    hosts: ['podinfo.example.com'],
    backendName: 'podinfo',
    backendPort: 80,
    ...overrides,
  });
}

function routeSpec(chart: Chart): any {
  return only(synth(chart), 'IngressRoute', 'podinfo').spec;
}

describe('defaults', () => {
  const chart = newChart();
  newRoute(chart);
  // Recorded for the conformance checker by the first test.
  const manifests = Testing.synth(chart);
  const route = only(manifests, 'IngressRoute', 'podinfo');

  test('one IngressRoute, traefik.io/v1alpha1, named and namespaced as given', () => {
    expect(synth(chart)).toEqual(manifests);
    expect(manifests).toHaveLength(1);
    expect(route.apiVersion).toBe('traefik.io/v1alpha1');
    expect(route.metadata).toEqual({ name: 'podinfo', namespace: 'test' });
  });

  test('entryPoints default to web, the route matches the host and goes to the TraefikService, no middlewares or TLS', () => {
    expect(route.spec).toEqual({
      entryPoints: ['web'],
      routes: [{ kind: 'Rule', match: 'Host(`podinfo.example.com`)', services: [TRAEFIK_SERVICE_BACKEND] }],
    });
  });
});

test('one route per host, in order', () => {
  const chart = newChart();
  newRoute(chart, { hosts: ['podinfo.example.com', 'www.podinfo.example.com', 'podinfo'] });
  expect(routeSpec(chart).routes).toEqual([
    { kind: 'Rule', match: 'Host(`podinfo.example.com`)', services: [TRAEFIK_SERVICE_BACKEND] },
    { kind: 'Rule', match: 'Host(`www.podinfo.example.com`)', services: [TRAEFIK_SERVICE_BACKEND] },
    { kind: 'Rule', match: 'Host(`podinfo`)', services: [TRAEFIK_SERVICE_BACKEND] },
  ]);
});

test('pathPrefix adds a PathPrefix rule to every route', () => {
  const chart = newChart();
  newRoute(chart, { hosts: ['a.example.com', 'b.example.com'], pathPrefix: '/api/v1' });
  expect(routeSpec(chart).routes.map((r: any) => r.match)).toEqual([
    'Host(`a.example.com`) && PathPrefix(`/api/v1`)',
    'Host(`b.example.com`) && PathPrefix(`/api/v1`)',
  ]);
});

test('custom entryPoints', () => {
  const chart = newChart();
  newRoute(chart, { entryPoints: ['websecure', 'internal_http'] });
  expect(routeSpec(chart).entryPoints).toEqual(['websecure', 'internal_http']);
});

test('a Service backend with its port', () => {
  const chart = newChart();
  newRoute(chart, { backendKind: TraefikBackendKind.SERVICE, backendName: 'podinfo-primary', backendPort: 9898 });
  expect(routeSpec(chart).routes[0].services).toEqual([{ kind: 'Service', name: 'podinfo-primary', port: 9898 }]);
});

test('middlewares from the constructor apply to every route; the namespace is optional', () => {
  const chart = newChart();
  newRoute(chart, {
    hosts: ['a.example.com', 'b.example.com'],
    middlewares: [{ name: 'strip-prefix' }, { name: 'rate-limit', namespace: 'traefik' }],
  });
  const routes = routeSpec(chart).routes;
  for (const route of routes) {
    expect(route.middlewares).toEqual([{ name: 'strip-prefix' }, { name: 'rate-limit', namespace: 'traefik' }]);
  }
  expect(routes).toHaveLength(2);
});

test('addMiddleware after construction reaches every route', () => {
  const chart = newChart();
  const route = newRoute(chart, { hosts: ['a.example.com', 'b.example.com'], middlewares: [{ name: 'strip-prefix' }] });
  route.addMiddleware({ name: 'compress' });
  route.addMiddleware({ name: 'auth', namespace: 'security' });
  expect(routeSpec(chart).routes.map((r: any) => r.middlewares)).toEqual([
    [{ name: 'strip-prefix' }, { name: 'compress' }, { name: 'auth', namespace: 'security' }],
    [{ name: 'strip-prefix' }, { name: 'compress' }, { name: 'auth', namespace: 'security' }],
  ]);
});

test('addMiddleware on a route created without middlewares', () => {
  const chart = newChart();
  const route = newRoute(chart);
  expect(routeSpec(chart).routes[0]).not.toHaveProperty('middlewares');
  route.addMiddleware({ name: 'compress' });
  expect(routeSpec(chart).routes[0].middlewares).toEqual([{ name: 'compress' }]);
});

test('tlsSecretName sets tls.secretName', () => {
  const chart = newChart();
  newRoute(chart, { entryPoints: ['websecure'], tlsSecretName: 'podinfo-tls' });
  expect(routeSpec(chart).tls).toEqual({ secretName: 'podinfo-tls' });
});

test('metadata labels are kept', () => {
  const chart = newChart();
  newRoute(chart, { metadata: { name: 'podinfo', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' } } });
  expect(only(synth(chart), 'IngressRoute').metadata.labels).toEqual({ 'app.kubernetes.io/name': 'podinfo' });
});

test('name and defaultChild', () => {
  const route = newRoute(newChart());
  expect(route.name).toBe('podinfo');
  const l1 = ApiObject.of(route);
  expect(l1).toBe(route.apiObject);
  expect(l1.apiVersion).toBe('traefik.io/v1alpha1');
  expect(l1.kind).toBe('IngressRoute');
});

test('full route snapshot', () => {
  const chart = newChart();
  const route = newRoute(chart, {
    hosts: ['podinfo.example.com', 'www.podinfo.example.com'],
    entryPoints: ['websecure'],
    pathPrefix: '/',
    middlewares: [{ name: 'strip-prefix' }],
    tlsSecretName: 'podinfo-tls',
  });
  route.addMiddleware({ name: 'rate-limit', namespace: 'traefik' });
  expect(synth(chart)).toMatchSnapshot();
});

describe('errors', () => {
  test('no hosts', () => {
    expect(() => newRoute(newChart(), { hosts: [] })).toThrow(`${OWNER}: 'hosts' must name at least one host`);
  });

  test.each(['Podinfo.example.com', 'podinfo_example.com', '*.example.com', 'podinfo.example.com.', 'podinfo.example.com`) || Host(`evil.com'])(
    'invalid host %p', (host) => {
      expect(() => newRoute(newChart(), { hosts: ['ok.example.com', host] })).toThrow(`${OWNER}: 'hosts[1]' ('${host}') ${SUBDOMAIN_RULE}`);
    });

  test.each(['web secure', '-web', 'web:8000', ''])('bad entryPoint %p', (entryPoint) => {
    expect(() => newRoute(newChart(), { entryPoints: ['web', entryPoint] })).toThrow(
      `${OWNER}: 'entryPoints[1]' ('${entryPoint}') must be the name of a Traefik entryPoint (letters, digits, '-' and '_')`,
    );
  });

  test.each(['api', '', '/api`) || Host(`evil.com', '/a;b', '/$(id)', '/a b', '/a|b', '/a&b', "/a'b", '/a\nb'])('pathPrefix %p not a plain absolute path', (pathPrefix) => {
    expect(() => newRoute(newChart(), { pathPrefix })).toThrow(
      `${OWNER}: 'pathPrefix' ('${pathPrefix}') must start with '/' and hold only letters, digits and -._~%/:@+,=, e.g. '/api'; percent-encode anything else`,
    );
  });

  test.each(['Strip_Prefix', 'strip prefix', 'strip-prefix@file'])('invalid middleware name %p', (name) => {
    expect(() => newRoute(newChart(), { middlewares: [{ name: 'compress' }, { name }] })).toThrow(
      `${OWNER}: 'middlewares[1].name' ('${name}') ${SUBDOMAIN_RULE}`,
    );
  });

  test('invalid tlsSecretName', () => {
    expect(() => newRoute(newChart(), { tlsSecretName: 'Podinfo_TLS' })).toThrow(
      `${OWNER}: 'tlsSecretName' ('Podinfo_TLS') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'`,
    );
  });

  test('a dotted tlsSecretName is a valid Secret name', () => {
    expect(() => newRoute(newChart(), { tlsSecretName: 'tls.example.com' })).not.toThrow();
  });

  test('addMiddleware rejects an invalid name', () => {
    const route = newRoute(newChart(), {});
    expect(() => route.addMiddleware({ name: 'Bad Name!' })).toThrow(
      `${OWNER}: 'middlewares[0].name' ('Bad Name!') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'`,
    );
  });

  test('invalid backendName', () => {
    expect(() => newRoute(newChart(), { backendName: 'Podinfo' })).toThrow(`${OWNER}: 'backendName' ('Podinfo') ${SUBDOMAIN_RULE}`);
  });

  test.each([0, 65536])('backendPort %p out of range', (backendPort) => {
    expect(() => newRoute(newChart(), { backendPort })).toThrow(`${OWNER}: 'backendPort' (${backendPort}) must be an integer between 1 and 65535`);
  });

  test('the owner falls back to the construct id without metadata.name', () => {
    expect(() => new TraefikIngressRoute(newChart(), 'web-route', {
      metadata: { namespace: 'test' }, hosts: [], backendName: 'podinfo', backendPort: 80,
    })).toThrow("TraefikIngressRoute 'web-route': 'hosts' must name at least one host");
  });
});
