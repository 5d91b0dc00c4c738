import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { MetricKind } from '../../../src/analysis/metric';
import { checkPromQl } from '../../../src/analysis/promql';
import { HeaderMatchKind } from '../../../src/analysis/steps';
import { GatewayApiGatewayReference, GatewayApiRouter, GatewayApiRouterOptions } from '../../../src/routers/gateway-api/gateway-api-router';
import { GatewayMetrics } from '../../../src/routers/gateway-api/gateway-metrics';
import { ArgoRoutingContext, RoutingContext } from '../../../src/routers/router';
import { TrafficRouter } from '../../../src/routers/traffic-router';
import { DeliveryStrategy } from '../../../src/strategy/delivery-strategy';
import { TrafficFeature } from '../../../src/strategy/traffic-feature';
import { TrafficSegment } from '../../../src/strategy/traffic-segment';
import { all, only, synth } from '../../synth';

const OWNER = 'TrafficRouter.gatewayApi()';
const CONTEXT: RoutingContext = {
  name: 'podinfo',
  namespace: 'test',
  port: 80,
  containerPort: 9898,
  labels: { 'app.kubernetes.io/name': 'podinfo' },
  selectorLabels: { 'app.kubernetes.io/name': 'podinfo' },
  strategy: DeliveryStrategy.canary().bind(),
  engine: 'flagger',
};
const ARGO_CONTEXT: ArgoRoutingContext = { ...CONTEXT, engine: 'argo-rollouts', blueGreen: false, headerRoutes: [], mirrorRoutes: [] };

function gatewayApi(options: Partial<GatewayApiRouterOptions> = {}): GatewayApiRouter {
  return TrafficRouter.gatewayApi({ hosts: ['app.example.com'], ...options }) as GatewayApiRouter;
}

function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

test('TrafficRouter.gatewayApi() creates a GatewayApiRouter named gateway-api, measuring with Istio\'s gateway by default', () => {
  const router = gatewayApi();
  expect(router).toBeInstanceOf(GatewayApiRouter);
  expect(router.name).toBe('gateway-api');
  expect(router.metrics.implementation).toBe('istio');
  expect(router.gateway).toMatchObject({ name: 'gateway', namespace: undefined, sectionName: 'http', port: 80, created: true });
  expect(router.podLabels).toEqual({});
});

test('supports: Flagger 1.44 weights, header and query match, session affinity, blue/green; Argo\'s plugin weights, header routes, blue/green; mirroring with neither', () => {
  const supported = (engine: string) => Object.values(TrafficFeature).filter((feature) => gatewayApi().supports(engine, feature));
  expect(supported('flagger')).toEqual([TrafficFeature.WEIGHTED, TrafficFeature.HEADER_MATCH, TrafficFeature.QUERY_MATCH, TrafficFeature.SESSION_AFFINITY, TrafficFeature.BLUE_GREEN]);
  expect(supported('argo-rollouts')).toEqual([TrafficFeature.WEIGHTED, TrafficFeature.HEADER_MATCH, TrafficFeature.BLUE_GREEN]);
});

describe('options are checked', () => {
  test.each([
    [{ hosts: [] }, "'hosts' must name at least one host: the load test sends it as Host header, and the route serves it"],
    [{ hosts: ['App.example.com'] }, "'hosts[0]' ('App.example.com') must be a host name of lower-case letters, digits, '-' and '.', optionally starting with '*.' (Gateway API hostnames)"],
    [{ hosts: ['*.example.com'] }, "'hosts' must name one host without a wildcard: the load test sends it as Host header"],
    [{ hosts: ['a.example.com', 'a.example.com'] }, "'hosts' has two entries named 'a.example.com'; names must be unique"],
    [{ pathPrefix: 'api' }, "'pathPrefix' ('api') must be an absolute path of letters, digits and -._~%/:@+,=, e.g. '/api'; percent-encode anything else"],
  ])('%j', (options, message) => {
    expect(() => TrafficRouter.gatewayApi({ hosts: ['app.example.com'], ...options })).toThrow(`${OWNER}: ${message}`);
  });

  test('the Gateway reference', () => {
    expect(() => GatewayApiGatewayReference.existing({ name: 'Gateway', namespace: 'istio-ingress' }))
      .toThrow("GatewayApiGatewayReference.existing(): 'name' ('Gateway') must be a DNS label of at most 50 characters");
    expect(() => GatewayApiGatewayReference.create({ port: 0 })).toThrow("GatewayApiGatewayReference.create(): 'port' (0) must be an integer between 1 and 65535");
  });
});

describe('loadTarget: through the gateway\'s Service with a routed host', () => {
  test('a created Gateway: <gateway>-istio in the service\'s namespace; egress to the gateway\'s pods', () => {
    expect(gatewayApi().loadTarget(CONTEXT)).toEqual({
      url: 'http://gateway-istio.test:80',
      urlUnknown: undefined,
      host: 'app.example.com',
      pathPrefix: undefined,
      headers: undefined,
      query: undefined,
      measuredAtIngress: true,
      bypassedServices: ['podinfo', 'podinfo-canary', 'podinfo-primary', 'podinfo-stable', 'podinfo-preview'],
      reason: 'istio\'s gateway reports the requests it forwards to \'podinfo-canary\' (istio_requests_total{reporter="source",destination_service_name="podinfo-canary"}); requests that do not pass through it are not measured.',
      egress: [{ namespace: 'test', podLabels: { 'gateway.networking.k8s.io/gateway-name': 'gateway' }, ports: [80] }],
    });
  });

  test('the platform\'s Gateway in its namespace, on its port; the first host without a wildcard', () => {
    const gateway = GatewayApiGatewayReference.existing({ name: 'public', namespace: 'istio-ingress', port: 8080 });
    const router = gatewayApi({ hosts: ['*.example.com', 'shop.example.com'], gateway });
    expect(router.loadTarget(CONTEXT)).toMatchObject({
      url: 'http://public-istio.istio-ingress:8080',
      host: 'shop.example.com',
      egress: [{ namespace: 'istio-ingress', podLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' }, ports: [8080] }],
    });
  });

  test('an A/B test: a request of the first segment (a cookie, a country)', () => {
    const ab = (segment: TrafficSegment) => {
      const strategy = DeliveryStrategy.abTest({ segments: [segment] }).bind();
      return gatewayApi().loadTarget({ ...CONTEXT, strategy });
    };
    expect(ab(TrafficSegment.userCohort('plan', 'beta')).headers).toEqual({ cookie: 'plan=beta' });
    expect(ab(TrafficSegment.region(['NZ', 'AU'])).headers).toEqual({ 'x-country-code': 'NZ' });
    expect(ab(TrafficSegment.queryParam('variant', 'b')).query).toBe('variant=b');
  });

  test('a regular expression of one\'s own leaves no request to send: a typed load test says what to do', () => {
    const target = gatewayApi().loadTarget({
      ...CONTEXT, strategy: DeliveryStrategy.abTest({ segments: [TrafficSegment.header('x-user', '^beta-', { kind: HeaderMatchKind.REGEX })] }).bind(),
    });
    expect(target.url).toBeUndefined();
    expect(target.urlUnknown).toBe("a typed load test cannot build a request of the segment 'requests with header x-user: ^beta-' (a regular expression of your own): give the load test a 'command' that sends a matching request through gateway-istio.test");
  });
});

describe('plan notes', () => {
  const blueGreen = { ...CONTEXT, strategy: DeliveryStrategy.blueGreen().bind() };

  test('blue/green: the preview host is on the public Gateway, unauthenticated', () => {
    expect(gatewayApi()._planNotes(blueGreen)).toEqual([
      "the preview host 'preview.app.example.com' is public and unauthenticated: its HTTPRoute attaches to the Gateway 'test/gateway' (listener 'http') as the live hosts' does, "
        + "and leads anyone who sends that Host header to the new version before the switch; if it must not, attach it to another Gateway, off the internet, with 'previewGateway' "
        + '(e.g. behind an internal load balancer)',
    ]);
    const existing = gatewayApi({ gateway: GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra', sectionName: 'https' }) });
    expect(existing._planNotes({ ...blueGreen, strategy: DeliveryStrategy.blueGreen({ previewHost: 'next.example.com' }).bind() })[0]).toMatch(
      /^the preview host 'next\.example\.com' is public and unauthenticated: its HTTPRoute attaches to the Gateway 'infra\/edge' \(listener 'https'\) as/);
  });

  test('none with a previewGateway', () => {
    const router = gatewayApi({
      gateway: GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra' }),
      previewGateway: GatewayApiGatewayReference.existing({ name: 'private', namespace: 'infra' }),
    });
    expect(router._planNotes(blueGreen)).toEqual([]);
  });

  test('a previewGateway that is another listener of the live Gateway: still public (Istio serves every listener on the one Service <gw>-istio)', () => {
    const edge = GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra', sectionName: 'https', port: 443 });
    const router = gatewayApi({ gateway: edge, previewGateway: GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra', sectionName: 'internal', port: 8081 }) });
    expect(router._planNotes(blueGreen)).toEqual([
      "the preview host 'preview.app.example.com' is still public and unauthenticated: 'previewGateway' is the listener 'internal' of the live hosts' Gateway 'infra/edge', "
        + "and its implementation (istio) serves every listener of a Gateway on one Service, 'edge-istio', whose port 8081 leads anyone who sends that Host header "
        + "to the new version before the switch unless that port is firewalled outside the cluster (the live hosts' port 443 stays open); if it must not, "
        + "attach it to another Gateway, off the internet, with 'previewGateway' (e.g. behind an internal load balancer)",
    ]);
    // On the live hosts' port (Gateway API: HTTP listeners sharing a port differ by hostname alone): no port block separates them.
    const samePort = gatewayApi({ gateway: edge, previewGateway: GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra', sectionName: 'internal', port: 443 }) });
    expect(samePort._planNotes(blueGreen)).toEqual([
      "the preview host 'preview.app.example.com' is still public and unauthenticated: 'previewGateway' is the listener 'internal' of the live hosts' Gateway 'infra/edge', "
        + "on the live hosts' port 443: its implementation (istio) serves every listener of a Gateway on one Service, 'edge-istio', and on one port only the Host header "
        + 'tells listeners apart, so no port block separates it from the live hosts, and it leads anyone who sends that Host header to the new version before the switch; '
        + "if it must not, attach it to another Gateway, off the internet, with 'previewGateway' (e.g. behind an internal load balancer)",
    ]);
    // Every listener of it (no sectionName), the live one included: whatever its port.
    const anyListener = gatewayApi({ gateway: edge, previewGateway: GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra', port: 8081 }) });
    expect(anyListener._planNotes(blueGreen)).toEqual([
      "the preview host 'preview.app.example.com' is still public and unauthenticated: 'previewGateway' is every listener of the live hosts' Gateway 'infra/edge', "
        + "the live hosts' own included: its implementation (istio) serves every listener of a Gateway on one Service, 'edge-istio', and on one port only the Host header "
        + 'tells listeners apart, so no port block separates it from the live hosts, and it leads anyone who sends that Host header to the new version before the switch; '
        + "if it must not, attach it to another Gateway, off the internet, with 'previewGateway' (e.g. behind an internal load balancer)",
    ]);
    // A canary has no preview host.
    expect(router._planNotes(CONTEXT)).toEqual([]);
  });

  test('none without a preview host', () => {
    expect(gatewayApi()._planNotes(CONTEXT)).toEqual([]);
    expect(gatewayApi()._planNotes({ ...CONTEXT, strategy: DeliveryStrategy.abTest({ segments: [TrafficSegment.header('x-canary', 'always')] }).bind() })).toEqual([]);
  });
});

describe('routerMetrics: the gateway\'s series of this service\'s Services, no other\'s', () => {
  const metrics = gatewayApi({ gateway: GatewayApiGatewayReference.existing({ name: 'public', namespace: 'istio-ingress' }) }).routerMetrics(CONTEXT);

  test('the gateway\'s namespace, the request count and duration, by destination_service', () => {
    expect(metrics).toEqual([{
      namespace: 'istio-ingress',
      metricNames: 'istio_requests_total|istio_request_duration_milliseconds_bucket',
      serviceLabel: 'destination_service',
      serviceValues: 'podinfo(-canary|-primary|-stable|-preview)?\\.test\\.svc\\.cluster\\.local',
      // The gateway's proxies, on Istio's merged metrics port.
      podLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' },
      metricsPort: 15020,
    }]);
  });

  test('the pattern keeps each of its Services, and not another namespace\'s or another service\'s', () => {
    const pattern = new RegExp(`^(?:${metrics[0].serviceValues})$`);
    for (const s of ['podinfo', 'podinfo-canary', 'podinfo-primary', 'podinfo-stable', 'podinfo-preview']) expect(`${s}.test.svc.cluster.local`).toMatch(pattern);
    for (const s of ['podinfo-canary.prod.svc.cluster.local', 'other.test.svc.cluster.local', 'podinfoxcanary.test.svc.cluster.local']) expect(s).not.toMatch(pattern);
  });
});

test('the queries parse as PromQL that returns one number', () => {
  for (const kind of [MetricKind.REQUEST_SUCCESS_RATE, MetricKind.REQUEST_DURATION]) {
    expect(() => checkPromQl('test', kind, gatewayApi().builtInQuery(kind))).not.toThrow();
  }
  for (const query of Object.values(GatewayMetrics.istio()._argoQueries('namespace="istio-ingress"', 'namespace', ['active-service', 'preview-service']))) {
    expect(() => checkPromQl('test', 'argo', query)).not.toThrow();
  }
});

describe('Flagger', () => {
  test('an existing Gateway: gatewayRefs to it, no Gateway created; the path prefix as the service match', () => {
    const chart = newChart();
    const routing = gatewayApi({ pathPrefix: '/api', gateway: GatewayApiGatewayReference.existing({ name: 'public', namespace: 'istio-ingress', sectionName: 'web' }) })
      .bindFlagger(chart, CONTEXT);
    expect(routing.provider).toBe('gatewayapi:v1');
    expect(routing.serviceFields).toEqual({
      gatewayRefs: [{ name: 'public', namespace: 'istio-ingress', sectionName: 'web' }],
      hosts: ['app.example.com'],
      match: [{ uri: { prefix: '/api' } }],
    });
    expect(routing.objects).toEqual({});
    expect(Object.keys(routing.builtInQueries!)).toEqual([MetricKind.REQUEST_SUCCESS_RATE, MetricKind.REQUEST_DURATION]);
  });

  test('a prefix header match, which Flagger\'s Gateway API router rejects, fails with the regular expression to use', () => {
    const strategy = DeliveryStrategy.abTest({ segments: [TrafficSegment.header('x-user', 'beta-', { kind: HeaderMatchKind.PREFIX })] }).bind();
    expect(() => gatewayApi().bindFlagger(newChart(), { ...CONTEXT, strategy })).toThrow(
      `${OWNER}: 'strategy.segments[0]' matches 'x-user' by prefix, which Flagger's Gateway API router does not support (exact or regular expression only): use HeaderMatchKind.REGEX with '^beta-'`,
    );
  });
});

describe('previewGateway: the preview host on a Gateway off the internet', () => {
  const EDGE = GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra' });
  const PRIVATE = GatewayApiGatewayReference.existing({ name: 'private', namespace: 'infra', sectionName: 'http', port: 8080 });
  const blueGreen = { ...CONTEXT, strategy: DeliveryStrategy.blueGreen().bind() };
  const argoBlueGreen: ArgoRoutingContext = { ...ARGO_CONTEXT, strategy: blueGreen.strategy, blueGreen: true };

  test('Argo Rollouts blue/green: the preview HTTPRoute attaches to it, the live one to the gateway', () => {
    const chart = newChart();
    gatewayApi({ gateway: EDGE, previewGateway: PRIVATE }).bindArgoRollouts(chart, argoBlueGreen);
    const manifests = synth(chart);
    expect(only(manifests, 'HTTPRoute', 'podinfo').spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge', namespace: 'infra' }]);
    expect(only(manifests, 'HTTPRoute', 'podinfo-preview').spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'private', namespace: 'infra', sectionName: 'http' }]);
    expect(only(manifests, 'HTTPRoute', 'podinfo-preview').spec.hostnames).toEqual(['preview.app.example.com']);
  });

  test('Flagger blue/green: the same', () => {
    const chart = newChart();
    const routing = gatewayApi({ gateway: EDGE, previewGateway: PRIVATE }).bindFlagger(chart, blueGreen);
    expect(routing.serviceFields!.gatewayRefs).toEqual([{ name: 'edge', namespace: 'infra', sectionName: undefined }]);
    expect(only(synth(chart), 'HTTPRoute', 'podinfo-preview').spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'private', namespace: 'infra', sectionName: 'http' }]);
  });

  test('the load goes through its Service and port; its proxies\' series are scraped too', () => {
    const router = gatewayApi({ gateway: EDGE, previewGateway: PRIVATE });
    const target = router.loadTarget(blueGreen);
    expect(target.url).toBe('http://private-istio.infra:8080');
    expect(target.host).toBe('preview.app.example.com');
    expect(target.egress).toEqual([{ namespace: 'infra', podLabels: { 'gateway.networking.k8s.io/gateway-name': 'private' }, ports: [8080] }]);
    expect(router.routerMetrics(blueGreen).map((m) => [m.namespace, m.podLabels])).toEqual([
      ['infra', { 'gateway.networking.k8s.io/gateway-name': 'edge' }],
      ['infra', { 'gateway.networking.k8s.io/gateway-name': 'private' }],
    ]);
    // A canary has no preview host: the live Gateway only.
    expect(router.loadTarget(CONTEXT).url).toBe('http://edge-istio.infra:80');
    expect(router.routerMetrics(CONTEXT)).toHaveLength(1);
  });

  test('another listener of the same Gateway', () => {
    const chart = newChart();
    const router = gatewayApi({ gateway: EDGE, previewGateway: GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra', sectionName: 'internal', port: 8081 }) });
    router.bindArgoRollouts(chart, argoBlueGreen);
    expect(only(synth(chart), 'HTTPRoute', 'podinfo-preview').spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'edge', namespace: 'infra', sectionName: 'internal' }]);
    expect(router.loadTarget(blueGreen).url).toBe('http://edge-istio.infra:8081');
    expect(router.routerMetrics(blueGreen)).toHaveLength(1);
  });

  test('mistakes', () => {
    expect(() => gatewayApi({ previewGateway: GatewayApiGatewayReference.create({ name: 'preview' }) })).toThrow(
      `${OWNER}: 'previewGateway' ('preview') must be a Gateway that exists (GatewayApiGatewayReference.existing()): one created here would get a public address like 'gateway''s`);
    expect(() => gatewayApi({ gateway: EDGE, previewGateway: GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra' }) })).toThrow(
      `${OWNER}: 'previewGateway' ('infra/edge') is where 'gateway' attaches the live hosts: give another Gateway, off the internet, or leave it out`);
    // An existing gateway's namespace is known at once.
    expect(() => gatewayApi({ gateway: EDGE, previewGateway: GatewayApiGatewayReference.existing({ name: 'private', namespace: 'internal' }) })).toThrow(
      `${OWNER}: 'previewGateway' ('internal/private') must be in the namespace of 'gateway' ('infra'), where the checks read the gateways' telemetry: `
        + 'give a Gateway of that namespace');
    // A created gateway is in the service's namespace.
    expect(() => gatewayApi({ previewGateway: PRIVATE }).bindArgoRollouts(newChart(), argoBlueGreen)).toThrow(
      `${OWNER}: 'previewGateway' ('infra/private') must be in the namespace of 'gateway' ('test')`);
  });

  describe('the created Gateway', () => {
    const created = (preview: GatewayApiGatewayReference, gateway?: GatewayApiGatewayReference) => gatewayApi({ gateway, previewGateway: preview });

    test('a listener it does not have: the route would attach nowhere (Gateway API NoMatchingParent), the Service has no such port', () => {
      const router = created(GatewayApiGatewayReference.existing({ name: 'gateway', namespace: 'test', sectionName: 'internal', port: 8081 }));
      const message = `${OWNER}: 'previewGateway' ('test/gateway', listener 'internal') names the Gateway this router creates, whose only listener is 'http' (port 80), `
        + "the live hosts': it has no listener 'internal', so the preview HTTPRoute would attach nowhere and the load tests would find no such port; "
        + 'give another Gateway, off the internet, or leave it out';
      expect(() => router.bindArgoRollouts(newChart(), argoBlueGreen)).toThrow(message);
      expect(() => router.bindFlagger(newChart(), blueGreen)).toThrow(message);
      expect(() => router.loadTarget(blueGreen)).toThrow(message);
      expect(() => router._planNotes(blueGreen)).toThrow(message);
      // A listener of its own name and port.
      const own = created(GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'test', sectionName: 'web' }), GatewayApiGatewayReference.create({ name: 'edge', listenerName: 'public', port: 8080 }));
      expect(() => own.bindArgoRollouts(newChart(), argoBlueGreen)).toThrow(
        `${OWNER}: 'previewGateway' ('test/edge', listener 'web') names the Gateway this router creates, whose only listener is 'public' (port 8080), the live hosts': it has no listener 'web',`);
    });

    test('its one listener, by name or by leaving sectionName out: where the live hosts attach', () => {
      for (const [preview, named] of [
        [GatewayApiGatewayReference.existing({ name: 'gateway', namespace: 'test' }), "'test/gateway'"],
        [GatewayApiGatewayReference.existing({ name: 'gateway', namespace: 'test', sectionName: 'http', port: 8081 }), "'test/gateway', listener 'http'"],
      ] as const) {
        const message = `${OWNER}: 'previewGateway' (${named}) is where 'gateway' attaches the live hosts: give another Gateway, off the internet, or leave it out`;
        expect(() => created(preview).bindArgoRollouts(newChart(), argoBlueGreen)).toThrow(message);
        expect(() => created(preview)._planNotes(blueGreen)).toThrow(message);
      }
    });

    test('another Gateway of its namespace is accepted; a canary never asks', () => {
      const chart = newChart();
      created(GatewayApiGatewayReference.existing({ name: 'private', namespace: 'test', port: 8080 })).bindArgoRollouts(chart, argoBlueGreen);
      expect(only(synth(chart), 'HTTPRoute', 'podinfo-preview').spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'private', namespace: 'test' }]);
      const missing = created(GatewayApiGatewayReference.existing({ name: 'gateway', namespace: 'test', sectionName: 'internal' }));
      expect(missing._planNotes(CONTEXT)).toEqual([]);
      expect(missing.loadTarget(CONTEXT).url).toBe('http://gateway-istio.test:80');
    });
  });
});

describe('Argo Rollouts', () => {
  test('two services of a namespace share its one Gateway; each has its own HTTPRoute', () => {
    const chart = newChart();
    const router = gatewayApi();
    router.bindArgoRollouts(new Construct(chart, 'frontend'), { ...ARGO_CONTEXT, name: 'frontend' });
    router.bindArgoRollouts(new Construct(chart, 'backend'), { ...ARGO_CONTEXT, name: 'backend' });
    const manifests = synth(chart);
    expect(all(manifests, 'Gateway').map((g) => `${g.metadata.namespace}/${g.metadata.name}`)).toEqual(['test/gateway']);
    expect(all(manifests, 'HTTPRoute').map((r) => r.metadata.name)).toEqual(['frontend', 'backend']);
    expect(only(manifests, 'HTTPRoute', 'backend').spec.rules[0].backendRefs.map((b: any) => b.name)).toEqual(['backend-stable', 'backend-canary']);
  });

  test('queries and arguments: the canary Service, in the service\'s namespace', () => {
    const routing = gatewayApi().bindArgoRollouts(newChart(), ARGO_CONTEXT);
    expect(routing.queryArguments).toEqual([
      { name: 'namespace', value: 'test' }, { name: 'canary-service', value: 'podinfo-canary' }, { name: 'stable-service', value: 'podinfo-stable' },
    ]);
    expect(routing.queries[MetricKind.REQUEST_SUCCESS_RATE]).toBe(
      '(sum(rate(istio_requests_total{namespace="test",reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.canary-service}}",response_code!~"5.*"}[{{ interval }}])) or vector(0))'
      + ' / (sum(rate(istio_requests_total{namespace="test",reporter="source",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.canary-service}}"}[{{ interval }}])) > 0)',
    );
  });

  test('a mirror route is rejected: Argo Rollouts 1.9 mirrors only with Istio', () => {
    expect(() => gatewayApi().bindArgoRollouts(newChart(), { ...ARGO_CONTEXT, mirrorRoutes: ['shadow'] })).toThrow(
      `${OWNER}: mirror route 'shadow' (setMirrorRoute) is not supported: Argo Rollouts 1.9 mirrors only with Istio, and the Gateway API plugin does not mirror; use TrafficRouter.istio() to mirror traffic`,
    );
  });

  test('a name too long for the -stable, -canary and -preview Services', () => {
    expect(() => gatewayApi().bindArgoRollouts(newChart(), { ...ARGO_CONTEXT, name: 'a'.repeat(56) })).toThrow(
      `${OWNER}: 'name' ('${'a'.repeat(56)}') must be a DNS label of at most 55 characters`,
    );
  });
});
