import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { MetricKind } from '../../src/analysis/metric';
import { checkPromQl } from '../../src/analysis/promql';
import { RoutingContext } from '../../src/routers/router';
import { TraefikRouter, TraefikRouterOptions } from '../../src/routers/traefik';
import { TraefikIngressRoute } from '../../src/routers/traefik-ingress-route';
import { TrafficRouter } from '../../src/routers/traffic-router';
import { all, only, synth } from '../synth';

// Flagger's built-in queries for provider `traefik`, copied from docs/facts.md (Flagger section). In
// facts.md the duration query abbreviates its selector as `service=~"..."`; it is the same canary
// selector as in the success rate (as in Flagger's pkg/metrics/observers/traefik.go).
const FLAGGER_TRAEFIK_SUCCESS_RATE = 'sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",code!~"5..",le="+Inf"}[{{ interval }}])) / sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",le="+Inf"}[{{ interval }}])) * 100';
const FLAGGER_TRAEFIK_DURATION = 'histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd"}[{{ interval }}])) by (le)) * 1000';

const OWNER = 'TrafficRouter.traefik()';
const SUBDOMAIN_RULE = "must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'";
const CONTEXT: RoutingContext = {
  name: 'podinfo',
  namespace: 'test',
  port: 80,
  containerPort: 9898,
  labels: { 'app.kubernetes.io/name': 'podinfo', 'app.kubernetes.io/managed-by': 'cdk8s-canary' },
};

function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

function traefik(options: Partial<TraefikRouterOptions> = {}): TraefikRouter {
  return TrafficRouter.traefik({ hosts: ['podinfo.example.com'], ...options }) as TraefikRouter;
}

test('TrafficRouter.traefik() creates a TraefikRouter named traefik', () => {
  const router = TrafficRouter.traefik({ hosts: ['podinfo.example.com'] });
  expect(router).toBeInstanceOf(TraefikRouter);
  expect(router.name).toBe('traefik');
});

test('capabilities: weighted only, no header match, mirroring or session affinity', () => {
  expect(traefik().capabilities).toEqual({ headerMatch: false, mirroring: false, sessionAffinity: false });
});

test('metricsNamespaces default to traefik', () => {
  expect(traefik().metricsNamespaces).toEqual(['traefik']);
});

test('metricsNamespaces follow a custom namespace', () => {
  expect(traefik({ namespace: 'ingress' }).metricsNamespaces).toEqual(['ingress']);
});

describe('builtInQuery', () => {
  test('REQUEST_SUCCESS_RATE is exactly Flagger\'s Traefik success-rate query', () => {
    expect(traefik().builtInQuery(MetricKind.REQUEST_SUCCESS_RATE)).toBe(FLAGGER_TRAEFIK_SUCCESS_RATE);
  });

  test('REQUEST_DURATION is exactly Flagger\'s Traefik P99 duration query, in milliseconds', () => {
    expect(traefik().builtInQuery(MetricKind.REQUEST_DURATION)).toBe(FLAGGER_TRAEFIK_DURATION);
  });

  test('both parse as PromQL that returns one number', () => {
    for (const kind of [MetricKind.REQUEST_SUCCESS_RATE, MetricKind.REQUEST_DURATION]) {
      expect(() => checkPromQl('test', 'query', traefik().builtInQuery(kind))).not.toThrow();
    }
  });

  test('do not depend on the route options', () => {
    const other = traefik({ namespace: 'ingress', hosts: ['other.example.com'], pathPrefix: '/api' });
    expect(other.builtInQuery(MetricKind.REQUEST_SUCCESS_RATE)).toBe(FLAGGER_TRAEFIK_SUCCESS_RATE);
    expect(other.builtInQuery(MetricKind.REQUEST_DURATION)).toBe(FLAGGER_TRAEFIK_DURATION);
  });
});

describe('bindFlagger', () => {
  const chart = newChart();
  const routing = traefik({ hosts: ['podinfo.example.com', 'podinfo.internal'] }).bindFlagger(chart, CONTEXT);
  // Recorded for the conformance checker by the first test.
  const manifests = Testing.synth(chart);

  test('creates only an IngressRoute named after the service, with its labels', () => {
    expect(synth(chart)).toEqual(manifests);
    expect(manifests.map((m) => `${m.apiVersion}/${m.kind}/${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
      'traefik.io/v1alpha1/IngressRoute/test/podinfo',
    ]);
    expect(only(manifests, 'IngressRoute').metadata.labels).toEqual(CONTEXT.labels);
    expect(all(manifests, 'TraefikService')).toEqual([]);
  });

  test('every host routes to the TraefikService Flagger generates, on the service port', () => {
    expect(only(manifests, 'IngressRoute', 'podinfo').spec).toEqual({
      entryPoints: ['web'],
      routes: [
        { kind: 'Rule', match: 'Host(`podinfo.example.com`)', services: [{ kind: 'TraefikService', name: 'podinfo', port: 80 }] },
        { kind: 'Rule', match: 'Host(`podinfo.internal`)', services: [{ kind: 'TraefikService', name: 'podinfo', port: 80 }] },
      ],
    });
  });

  test('returns provider traefik, no service fields, and the IngressRoute', () => {
    expect(routing.provider).toBe('traefik');
    expect(routing.serviceFields).toBeUndefined();
    expect(Object.keys(routing.objects ?? {})).toEqual(['ingressRoute']);
    const ingressRoute = routing.objects!.ingressRoute as TraefikIngressRoute;
    expect(ingressRoute).toBeInstanceOf(TraefikIngressRoute);
    expect(ingressRoute.name).toBe('podinfo');
  });
});

test('bindFlagger passes the route options through', () => {
  const chart = newChart();
  traefik({
    namespace: 'ingress',
    entryPoints: ['websecure'],
    pathPrefix: '/shop',
    middlewares: [{ name: 'strip-prefix' }],
    tlsSecretName: 'shop-tls',
  }).bindFlagger(chart, { ...CONTEXT, name: 'shop', namespace: 'prod', port: 8080 });
  expect(only(synth(chart), 'IngressRoute', 'shop')).toEqual({
    apiVersion: 'traefik.io/v1alpha1',
    kind: 'IngressRoute',
    metadata: { name: 'shop', namespace: 'prod', labels: CONTEXT.labels },
    spec: {
      entryPoints: ['websecure'],
      routes: [{
        kind: 'Rule',
        match: 'Host(`podinfo.example.com`) && PathPrefix(`/shop`)',
        services: [{ kind: 'TraefikService', name: 'shop', port: 8080 }],
        middlewares: [{ name: 'strip-prefix' }],
      }],
      tls: { secretName: 'shop-tls' },
    },
  });
});

test('one router binds several services, each under its own scope', () => {
  const chart = newChart();
  const router = traefik();
  router.bindFlagger(new Construct(chart, 'frontend'), { ...CONTEXT, name: 'frontend' });
  router.bindFlagger(new Construct(chart, 'backend'), { ...CONTEXT, name: 'backend', port: 8080 });
  const manifests = synth(chart);
  expect(only(manifests, 'IngressRoute', 'frontend').spec.routes[0].services).toEqual([{ kind: 'TraefikService', name: 'frontend', port: 80 }]);
  expect(only(manifests, 'IngressRoute', 'backend').spec.routes[0].services).toEqual([{ kind: 'TraefikService', name: 'backend', port: 8080 }]);
});

describe('errors', () => {
  test('no hosts', () => {
    expect(() => TrafficRouter.traefik({ hosts: [] })).toThrow(`${OWNER}: 'hosts' must name at least one host`);
  });

  test('invalid host', () => {
    expect(() => traefik({ hosts: ['Podinfo.Example.com'] })).toThrow(`${OWNER}: 'hosts[0]' ('Podinfo.Example.com') ${SUBDOMAIN_RULE}`);
  });

  test.each(['Traefik', 'traefik.system', 'traefik-'])('namespace %p is not a DNS label', (namespace) => {
    expect(() => traefik({ namespace })).toThrow(
      `${OWNER}: 'namespace' ('${namespace}') must be a DNS label of at most 63 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit`,
    );
  });

  test('bad entryPoint', () => {
    expect(() => traefik({ entryPoints: ['web secure'] })).toThrow(
      `${OWNER}: 'entryPoints[0]' ('web secure') must be the name of a Traefik entryPoint (letters, digits, '-' and '_')`,
    );
  });

  test('pathPrefix not starting with /', () => {
    expect(() => traefik({ pathPrefix: 'shop' })).toThrow(`${OWNER}: 'pathPrefix' ('shop') must start with '/' and contain no backquote`);
  });

  test('invalid middleware name', () => {
    expect(() => traefik({ middlewares: [{ name: 'Strip_Prefix' }] })).toThrow(`${OWNER}: 'middlewares[0].name' ('Strip_Prefix') ${SUBDOMAIN_RULE}`);
  });

  test('bindFlagger rejects a port out of range', () => {
    expect(() => traefik().bindFlagger(newChart(), { ...CONTEXT, port: 0 })).toThrow(
      "TraefikIngressRoute 'podinfo': 'backendPort' (0) must be an integer between 1 and 65535",
    );
  });
});

test('there is no built-in query for a query of your own', () => {
  expect(() => TrafficRouter.traefik({ hosts: ['app.example.com'] }).builtInQuery(MetricKind.PROMETHEUS_QUERY))
    .toThrow('TrafficRouter.traefik(): there is no built-in query for PROMETHEUS_QUERY');
});
