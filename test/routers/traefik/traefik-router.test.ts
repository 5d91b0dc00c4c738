import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MetricKind } from '../../../src/analysis/metric';
import { checkPromQl } from '../../../src/analysis/promql';
import { ArgoRoutingContext, RoutingContext } from '../../../src/routers/router';
import { TraefikIngressRoute } from '../../../src/routers/traefik/ingress-route';
import { TraefikRouter, TraefikRouterOptions } from '../../../src/routers/traefik/traefik-router';
import { TraefikWeightedService } from '../../../src/routers/traefik/traefik-service';
import { TrafficRouter } from '../../../src/routers/traffic-router';
import { DeliveryStrategy } from '../../../src/strategy/delivery-strategy';
import { TrafficFeature } from '../../../src/strategy/traffic-feature';
import { all, only, synth } from '../../synth';

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
  selectorLabels: { 'app.kubernetes.io/name': 'podinfo' },
  strategy: DeliveryStrategy.canary().bind(),
  engine: 'flagger',
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

test('supports: weights and blue/green with both engines; no header match, mirroring or session affinity (Flagger pkg/router/traefik.go, Argo validation)', () => {
  for (const engine of ['flagger', 'argo-rollouts']) {
    const supported = Object.values(TrafficFeature).filter((feature) => traefik().supports(engine, feature));
    expect(supported).toEqual([TrafficFeature.WEIGHTED, TrafficFeature.BLUE_GREEN]);
  }
  expect(traefik().supports('kayenta', TrafficFeature.WEIGHTED)).toBe(false);
});

test('no pod labels: Traefik measures at the ingress', () => {
  expect(traefik().podLabels).toEqual({});
});

describe('routerMetrics: the series of this service from Traefik\'s pods', () => {
  test('default namespace traefik; canary, primary (Flagger), stable, active and preview (Argo) Services on the service port', () => {
    expect(traefik().routerMetrics(CONTEXT)).toEqual([{
      namespace: 'traefik',
      metricNames: 'traefik_service_.+',
      serviceLabel: 'service',
      serviceValues: 'test-podinfo(-canary|-primary|-stable|-preview)?-80@kubernetescrd',
      // The embedded Prometheus may call only Traefik's pods, on their metrics port.
      podLabels: { 'app.kubernetes.io/name': 'traefik' },
      metricsPort: 9100,
      // The chart's container port `metrics`: an operator's PodMonitor scrapes it, annotated or not.
      metricsPortDeclared: true,
    }]);
  });

  test('follow a custom namespace and the service port', () => {
    expect(traefik({ namespace: 'ingress' }).routerMetrics({ ...CONTEXT, port: 8080 })).toEqual([expect.objectContaining({
      namespace: 'ingress',
      serviceValues: 'test-podinfo(-canary|-primary|-stable|-preview)?-8080@kubernetescrd',
    })]);
  });

  test('the pattern matches the names Traefik gives the Services in a TraefikService, and no other service\'s', () => {
    const pattern = new RegExp(`^(?:${traefik().routerMetrics(CONTEXT)[0].serviceValues})$`);
    for (const name of ['canary', 'primary', 'stable', 'preview'].map((s) => `test-podinfo-${s}-80@kubernetescrd`).concat('test-podinfo-80@kubernetescrd')) {
      expect(name).toMatch(pattern);
    }
    for (const name of ['test-podinfo-canary-8080@kubernetescrd', 'test-other-canary-80@kubernetescrd', 'prod-podinfo-canary-80@kubernetescrd', 'test-podinfo@kubernetescrd', 'test-podinfo-beta-80@kubernetescrd']) {
      expect(name).not.toMatch(pattern);
    }
  });
});

describe('loadTarget: through Traefik\'s Service with the routed host', () => {
  test('the web entryPoint: port 80 of traefik.traefik, Host of the first host, egress to Traefik\'s pods on 8000', () => {
    expect(traefik({ hosts: ['podinfo.example.com', 'www.example.com'] }).loadTarget(CONTEXT)).toEqual({
      url: 'http://traefik.traefik:80',
      urlUnknown: undefined,
      host: 'podinfo.example.com',
      pathPrefix: undefined,
      measuredAtIngress: true,
      bypassedServices: ['podinfo', 'podinfo-canary', 'podinfo-primary', 'podinfo-stable', 'podinfo-preview'],
      reason: 'Traefik records the new version\'s series (traefik_service_*{service="test-podinfo-canary-80@kubernetescrd"}) only for requests it routes, and it routes by the Host header.',
      egress: [{ namespace: 'traefik', podLabels: { 'app.kubernetes.io/name': 'traefik' }, ports: [8000] }],
    });
  });

  test('only websecure: https on 443, pods on 8443', () => {
    const target = traefik({ entryPoints: ['websecure'] }).loadTarget(CONTEXT);
    expect(target.url).toBe('https://traefik.traefik:443');
    expect(target.egress).toEqual([{ namespace: 'traefik', podLabels: { 'app.kubernetes.io/name': 'traefik' }, ports: [8443] }]);
  });

  test('web is preferred when both are routed', () => {
    expect(traefik({ entryPoints: ['websecure', 'web'] }).loadTarget(CONTEXT).url).toBe('http://traefik.traefik:80');
  });

  test('a custom namespace, Service name and path prefix', () => {
    const target = traefik({ namespace: 'ingress', serviceName: 'edge', pathPrefix: '/api' }).loadTarget(CONTEXT);
    expect(target).toMatchObject({ url: 'http://edge.ingress:80', pathPrefix: '/api' });
    expect(target.egress[0].namespace).toBe('ingress');
  });

  test('an unknown entryPoint: no URL, and why', () => {
    const target = traefik({ entryPoints: ['private'] }).loadTarget(CONTEXT);
    expect(target.url).toBeUndefined();
    expect(target.egress).toEqual([]);
    expect(target.urlUnknown).toBe("a typed load test needs to know which port of the Service 'traefik' serves the entryPoints 'private'; only 'web' (port 80), 'websecure' (port 443) and 'internal' (port 8001 of 'traefik-internal') are known: add one of them to the router's 'entryPoints', or give the load test a 'command' that goes through Traefik with the routed host");
  });

  test('blue/green: the preview host listens on the internal entryPoint, and the load goes there (traefik-internal:8001)', () => {
    const blueGreen = { ...CONTEXT, strategy: DeliveryStrategy.blueGreen().bind() };
    const target = traefik().loadTarget(blueGreen);
    expect(target.url).toBe('http://traefik-internal.traefik:8001');
    expect(target.host).toBe('preview.podinfo.example.com');
    expect(target.egress).toEqual([{ namespace: 'traefik', podLabels: { 'app.kubernetes.io/name': 'traefik' }, ports: [8001] }]);
  });

  test('blue/green with previewEntryPoints [\'web\']: published, and the load goes through the public Service', () => {
    const blueGreen = { ...CONTEXT, strategy: DeliveryStrategy.blueGreen().bind() };
    expect(traefik({ previewEntryPoints: ['web'] }).loadTarget(blueGreen).url).toBe('http://traefik.traefik:80');
    expect(() => traefik({ previewEntryPoints: [] })).toThrow("TrafficRouter.traefik(): 'previewEntryPoints' ([]) must name at least one entryPoint, e.g. ['internal']");
    expect(() => traefik({ previewEntryPoints: ['in ternal'] })).toThrow("'entryPoints[0]' ('in ternal') must be the name of a Traefik entryPoint");
  });

  test('internalServiceName and internalPort: the internal entryPoint of a Traefik the platform layer did not install', () => {
    const blueGreen = { ...CONTEXT, strategy: DeliveryStrategy.blueGreen().bind() };
    const target = traefik({ namespace: 'ingress', internalServiceName: 'edge-private', internalPort: 9000 }).loadTarget(blueGreen);
    expect(target.url).toBe('http://edge-private.ingress:9000');
    expect(target.egress).toEqual([{ namespace: 'ingress', podLabels: { 'app.kubernetes.io/name': 'traefik' }, ports: [9000] }]);
    // The default follows serviceName.
    expect(traefik({ serviceName: 'edge' }).loadTarget(blueGreen).url).toBe('http://edge-internal.traefik:8001');
    expect(traefik({ entryPoints: ['private'], internalPort: 9000 }).loadTarget(CONTEXT).urlUnknown).toContain("'internal' (port 9000 of 'traefik-internal')");
  });

  test('bad internalServiceName or internalPort', () => {
    expect(() => traefik({ internalServiceName: 'Traefik_Internal' })).toThrow(
      "TrafficRouter.traefik(): 'internalServiceName' ('Traefik_Internal') must be a DNS label");
    expect(() => traefik({ internalPort: 70000 })).toThrow("TrafficRouter.traefik(): 'internalPort' (70000) must be an integer between 1 and 65535");
  });

  test('serviceName must be a DNS label', () => {
    expect(() => traefik({ serviceName: 'Traefik' })).toThrow("TrafficRouter.traefik(): 'serviceName' ('Traefik') must be a DNS label");
  });
});

describe('plan notes', () => {
  const blueGreen = { ...CONTEXT, strategy: DeliveryStrategy.blueGreen().bind() };

  test('a preview host on the internal entryPoint: it exists only where the platform layer installed Traefik', () => {
    expect(traefik()._planNotes(blueGreen)).toEqual([
      "the preview host 'preview.podinfo.example.com' listens on Traefik's entryPoint 'internal', and the load tests reach it through "
        + "the Service 'traefik/traefik-internal' on port 8001: the platform layer (CanaryPlatform, FluxPlatform) installs Traefik with both; "
        + "for a Traefik installed otherwise, add the entryPoint (port 8001) and its ClusterIP Service, name yours with 'internalServiceName' and 'internalPort', "
        + "or publish the preview host with 'previewEntryPoints' (e.g. ['web']), or Traefik serves no preview route and the load tests fail",
    ]);
    expect(traefik({ internalServiceName: 'edge-private', internalPort: 9000 })._planNotes(blueGreen)[0]).toContain(
      "the Service 'traefik/edge-private' on port 9000");
  });

  test('none for a published preview host, or without one', () => {
    expect(traefik({ previewEntryPoints: ['web'] })._planNotes(blueGreen)).toEqual([]);
    expect(traefik()._planNotes(CONTEXT)).toEqual([]);
  });
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
    expect(() => traefik({ pathPrefix: 'shop' })).toThrow(`${OWNER}: 'pathPrefix' ('shop') must start with '/' and hold only letters, digits and -._~%/:@+,=, e.g. '/api'; percent-encode anything else`);
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

describe('with Argo Rollouts', () => {
  // The canary Service inside a TraefikService appears in Traefik's metrics as
  // `service="<ns>-<svc>-<port>@kubernetescrd"` (docs/facts.md, Traefik); Argo's success rate is a ratio.
  // The canary Service in our TraefikService. No sample when it had no request in the window (rather
  // than NaN: Traefik keeps exporting its counters), and 0 when it answered only 5xx. Only Traefik's
  // own pods report it (the target label namespace, which a scraped pod cannot set).
  const ARGO_SERIES = 'namespace="traefik",service="{{args.namespace}}-{{args.canary-service}}-{{args.service-port}}@kubernetescrd"';
  const ARGO_REQUESTS = `sum(rate(traefik_service_request_duration_seconds_bucket{${ARGO_SERIES},le="+Inf"}[{{ interval }}]))`;
  const ARGO_SUCCESS_RATE = `(sum(rate(traefik_service_request_duration_seconds_bucket{${ARGO_SERIES},code!~"5..",le="+Inf"}[{{ interval }}])) or vector(0))`
    + ` / (${ARGO_REQUESTS} > 0)`;
  const ARGO_DURATION = `histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{${ARGO_SERIES}}[{{ interval }}])) by (le)) * 1000`
    + ` and on() (${ARGO_REQUESTS} > 0)`;
  const WEIGHTED_ONLY = 'Traefik supports only weighted steps with Argo Rollouts (setWeight, setCanaryScale, pause, analysis)';
  const LABELS = {
    'app.kubernetes.io/name': 'podinfo',
    'app.kubernetes.io/version': '6.9.0',
    'app.kubernetes.io/managed-by': 'cdk8s-canary',
  };
  const ARGO_CONTEXT: ArgoRoutingContext = {
    name: 'podinfo',
    namespace: 'test',
    port: 80,
    containerPort: 9898,
    labels: LABELS,
    selectorLabels: { 'app.kubernetes.io/name': 'podinfo' },
    strategy: DeliveryStrategy.canary().bind(),
    engine: 'argo-rollouts',
    blueGreen: false,
    headerRoutes: [],
    mirrorRoutes: [],
  };

  /** Every key anywhere in a value. */
  function keysOf(value: any): string[] {
    if (Array.isArray(value)) return value.flatMap(keysOf);
    if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, child]) => [key, ...keysOf(child)]);
    return [];
  }

  /** The `service=~"..."` regexes of a query, with the Rollout's arguments filled in. */
  function seriesRegexes(query: string, args: { name: string; value?: string }[]): RegExp[] {
    const filled = args.reduce((q, arg) => q.split(`{{args.${arg.name}}}`).join(arg.value ?? ''), query);
    return [...filled.matchAll(/service(=~?)"([^"]+)"/g)].map((m) => new RegExp(`^(?:${m[1] === '=' ? m[2].replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : m[2]})$`));
  }

  describe('bindArgoRollouts', () => {
    const chart = newChart();
    const routing = traefik({ hosts: ['podinfo.example.com', 'podinfo.internal'] }).bindArgoRollouts(chart, ARGO_CONTEXT);
    // Recorded for the conformance checker by the first test.
    const manifests = Testing.synth(chart);
    const traefikService = only(manifests, 'TraefikService');
    const entries: any[] = traefikService.spec.weighted.services;

    test('creates the stable and canary Services, the TraefikService and the IngressRoute, with the labels', () => {
      expect(synth(chart)).toEqual(manifests);
      expect(manifests.map((m) => `${m.apiVersion}/${m.kind}/${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
        'v1/Service/test/podinfo-stable',
        'v1/Service/test/podinfo-canary',
        'traefik.io/v1alpha1/TraefikService/test/podinfo',
        'traefik.io/v1alpha1/IngressRoute/test/podinfo',
      ]);
      for (const manifest of manifests) {
        expect(manifest.metadata.labels).toEqual(LABELS);
      }
    });

    test('the TraefikService balances exactly the two Services that exist, on their port', () => {
      const services = all(manifests, 'Service');
      expect(entries.map((e) => e.name).sort()).toEqual(services.map((s) => s.metadata.name).sort());
      expect(entries).toHaveLength(2);
      for (const entry of entries) {
        const service = only(manifests, 'Service', entry.name);
        expect(service.spec.ports.map((p: any) => p.port)).toEqual([entry.port]);
      }
      expect(entries).toEqual([{ name: 'podinfo-stable', port: 80 }, { name: 'podinfo-canary', port: 80 }]);
    });

    test('no weight anywhere in the TraefikService: Argo Rollouts sets the weights', () => {
      expect(keysOf(traefikService)).not.toContain('weight');
      expect(traefikService.spec).toEqual({ weighted: { services: entries } });
    });

    test('the Services select only the pod label and target the container port', () => {
      for (const service of all(manifests, 'Service')) {
        expect(service.spec.selector).toEqual({ 'app.kubernetes.io/name': 'podinfo' });
        expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 9898 }]);
        expect(service.spec.type).toBe('ClusterIP');
      }
    });

    test('every host of the IngressRoute routes to the TraefikService that exists', () => {
      const route = only(manifests, 'IngressRoute', 'podinfo');
      expect(route.spec.routes.map((r: any) => r.match)).toEqual(['Host(`podinfo.example.com`)', 'Host(`podinfo.internal`)']);
      for (const r of route.spec.routes) {
        expect(r.services).toEqual([{ kind: 'TraefikService', name: traefikService.metadata.name, port: 80 }]);
        expect(only(manifests, 'TraefikService', r.services[0].name)).toBe(traefikService);
      }
    });

    test('trafficRouting names the TraefikService; canaryService and stableService name the Services in it', () => {
      expect(routing.trafficRouting!).toEqual({ traefik: { weightedTraefikServiceName: 'podinfo' } });
      expect(only(manifests, 'TraefikService', routing.trafficRouting!.traefik.weightedTraefikServiceName)).toBe(traefikService);
      expect(routing.canaryService).toBe('podinfo-canary');
      expect(routing.stableService).toBe('podinfo-stable');
      // Argo Rollouts finds the entries whose weights it sets by these names.
      for (const name of [routing.canaryService!, routing.stableService!]) {
        expect(only(manifests, 'Service', name).metadata.namespace).toBe(traefikService.metadata.namespace);
        expect(entries.filter((e) => e.name === name)).toHaveLength(1);
      }
    });

    test('queries: success rate as a ratio, P99 duration in milliseconds, for the canary Service', () => {
      expect(routing.queries).toEqual({
        [MetricKind.REQUEST_SUCCESS_RATE]: ARGO_SUCCESS_RATE,
        [MetricKind.REQUEST_DURATION]: ARGO_DURATION,
      });
      expect(routing.queryArguments).toEqual([
        { name: 'namespace', value: 'test' },
        { name: 'service-port', value: '80' },
        { name: 'canary-service', value: 'podinfo-canary' },
        // For checks that compare the canary with the stable version (the engine drops it otherwise).
        { name: 'stable-service', value: 'podinfo-stable' },
      ]);
    });

    test('queries parse as PromQL that returns one number', () => {
      for (const [kind, query] of Object.entries(routing.queries)) {
        expect(() => checkPromQl('test', kind, query)).not.toThrow();
      }
    });

    test('with the Rollout\'s arguments, the queries select the canary entry\'s series and not the stable one', () => {
      const series = (entry: any) => `${traefikService.metadata.namespace}-${entry.name}-${entry.port}@kubernetescrd`;
      const canaryEntry = entries.find((e) => e.name === routing.canaryService);
      const stableEntry = entries.find((e) => e.name === routing.stableService);
      for (const query of Object.values(routing.queries)) {
        const regexes = seriesRegexes(query, routing.queryArguments);
        expect(regexes.length).toBeGreaterThan(0);
        for (const regex of regexes) {
          expect(regex.test(series(canaryEntry))).toBe(true);
          expect(regex.test(series(stableEntry))).toBe(false);
          expect(regex.test(`${traefikService.metadata.namespace}-${traefikService.metadata.name}@kubernetescrd`)).toBe(false);
        }
      }
      // Every argument a query uses is passed.
      const used = [...Object.values(routing.queries), JSON.stringify(routing.comparableSeries)].flatMap((q) => [...q.matchAll(/\{\{args\.([^}]+)\}\}/g)].map((m) => m[1]));
      expect([...new Set(used)].sort()).toEqual(routing.queryArguments.map((a) => a.name).sort());
    });

    test('returns the objects by role', () => {
      expect(Object.keys(routing.objects ?? {})).toEqual(['stableService', 'canaryService', 'traefikService', 'ingressRoute']);
      const objects = routing.objects!;
      expect(objects.stableService).toBeInstanceOf(kplus.Service);
      expect((objects.stableService as kplus.Service).name).toBe('podinfo-stable');
      expect(objects.canaryService).toBeInstanceOf(kplus.Service);
      expect((objects.canaryService as kplus.Service).name).toBe('podinfo-canary');
      expect(objects.traefikService).toBeInstanceOf(TraefikWeightedService);
      expect((objects.traefikService as TraefikWeightedService).name).toBe('podinfo');
      expect(objects.ingressRoute).toBeInstanceOf(TraefikIngressRoute);
      expect((objects.ingressRoute as TraefikIngressRoute).name).toBe('podinfo');
    });

    test('the Flagger queries are unchanged', () => {
      expect(traefik().builtInQuery(MetricKind.REQUEST_SUCCESS_RATE)).toBe(FLAGGER_TRAEFIK_SUCCESS_RATE);
      expect(traefik().builtInQuery(MetricKind.REQUEST_DURATION)).toBe(FLAGGER_TRAEFIK_DURATION);
    });
  });

  test('route options pass through to the IngressRoute; names follow the context', () => {
    const chart = newChart();
    const routing = traefik({ entryPoints: ['websecure'], pathPrefix: '/shop', middlewares: [{ name: 'strip-prefix' }], tlsSecretName: 'shop-tls' })
      .bindArgoRollouts(chart, { ...ARGO_CONTEXT, name: 'shop', namespace: 'prod', port: 8080, selectorLabels: { 'app.kubernetes.io/name': 'shop' } });
    const manifests = synth(chart);
    expect(only(manifests, 'IngressRoute', 'shop').spec).toEqual({
      entryPoints: ['websecure'],
      routes: [{
        kind: 'Rule',
        match: 'Host(`podinfo.example.com`) && PathPrefix(`/shop`)',
        services: [{ kind: 'TraefikService', name: 'shop', port: 8080 }],
        middlewares: [{ name: 'strip-prefix' }],
      }],
      tls: { secretName: 'shop-tls' },
    });
    expect(only(manifests, 'TraefikService', 'shop').spec.weighted.services).toEqual([
      { name: 'shop-stable', port: 8080 },
      { name: 'shop-canary', port: 8080 },
    ]);
    for (const name of ['shop-stable', 'shop-canary']) {
      expect(only(manifests, 'Service', name).metadata.namespace).toBe('prod');
      expect(only(manifests, 'Service', name).spec.selector).toEqual({ 'app.kubernetes.io/name': 'shop' });
    }
    expect(routing.queryArguments).toEqual([{ name: 'namespace', value: 'prod' }, { name: 'service-port', value: '8080' }, { name: 'canary-service', value: 'shop-canary' },
      { name: 'stable-service', value: 'shop-stable' }]);
  });

  test('one router binds several services, each under its own scope', () => {
    const chart = newChart();
    const router = traefik();
    router.bindArgoRollouts(new Construct(chart, 'frontend'), { ...ARGO_CONTEXT, name: 'frontend' });
    router.bindArgoRollouts(new Construct(chart, 'backend'), { ...ARGO_CONTEXT, name: 'backend' });
    const manifests = synth(chart);
    expect(only(manifests, 'TraefikService', 'frontend').spec.weighted.services.map((e: any) => e.name)).toEqual(['frontend-stable', 'frontend-canary']);
    expect(only(manifests, 'TraefikService', 'backend').spec.weighted.services.map((e: any) => e.name)).toEqual(['backend-stable', 'backend-canary']);
  });

  describe('errors', () => {
    test('a header route: Traefik cannot route by header', () => {
      const chart = newChart();
      expect(() => traefik().bindArgoRollouts(chart, { ...ARGO_CONTEXT, headerRoutes: ['canary-by-header'] })).toThrow(
        `${OWNER}: header route 'canary-by-header' (setHeaderRoute) is not supported: ${WEIGHTED_ONLY}; use TrafficRouter.istio() to route by header`,
      );
      expect(chart.node.children).toEqual([]);
    });

    test('a mirror route: Traefik cannot mirror through Argo Rollouts', () => {
      const chart = newChart();
      expect(() => traefik().bindArgoRollouts(chart, { ...ARGO_CONTEXT, mirrorRoutes: ['mirror-all'] })).toThrow(
        `${OWNER}: mirror route 'mirror-all' (setMirrorRoute) is not supported: ${WEIGHTED_ONLY}; use TrafficRouter.istio() to mirror traffic`,
      );
      expect(chart.node.children).toEqual([]);
    });

    test('both: the header route is reported first', () => {
      expect(() => traefik().bindArgoRollouts(newChart(), { ...ARGO_CONTEXT, headerRoutes: ['a', 'b'], mirrorRoutes: ['c'] })).toThrow(
        `${OWNER}: header route 'a' (setHeaderRoute) is not supported: ${WEIGHTED_ONLY}; use TrafficRouter.istio() to route by header`,
      );
    });

    test('a name too long for the -stable, -canary and -preview Services', () => {
      const name = 'a'.repeat(56);
      expect(() => traefik().bindArgoRollouts(newChart(), { ...ARGO_CONTEXT, name })).toThrow(
        `${OWNER}: 'name' ('${name}') must be a DNS label of at most 55 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, so that '<name>-stable', '<name>-canary' and '<name>-preview' are valid Service names`,
      );
      expect(() => traefik().bindArgoRollouts(newChart(), { ...ARGO_CONTEXT, name: 'a'.repeat(55) })).not.toThrow();
    });

    test('a port out of range', () => {
      expect(() => traefik().bindArgoRollouts(newChart(), { ...ARGO_CONTEXT, port: 0 })).toThrow(
        "TraefikWeightedService 'podinfo': 'services[0].port' (0) must be an integer between 1 and 65535",
      );
    });
  });
});
