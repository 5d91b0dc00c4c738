import { Chart, Duration, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { MetricKind } from '../../../src/analysis/metric';
import { checkPromQl } from '../../../src/analysis/promql';
import { FlaggerCanary } from '../../../src/engines/flagger/canary';
import { ServiceReach } from '../../../src/references/topology';
import { IstioGateway } from '../../../src/routers/istio/gateway';
import { IstioGatewayReference, IstioRouter, IstioRouterOptions, IstioRoutingMode, IstioSidecarInjection } from '../../../src/routers/istio/istio-router';
import { IstioDestinationRule, IstioVirtualService } from '../../../src/routers/istio/virtual-service';
import { ArgoRoutingContext, RoutingContext } from '../../../src/routers/router';
import { TrafficRouter } from '../../../src/routers/traffic-router';
import { DeliveryStrategy } from '../../../src/strategy/delivery-strategy';
import { TrafficFeature } from '../../../src/strategy/traffic-feature';
import { all, only, synth } from '../../synth';

// Flagger's built-in queries for provider `istio`, copied from docs/facts.md (Istio, Flagger section);
// the same text as Flagger's pkg/metrics/observers/istio.go with the whitespace removed.
const FLAGGER_ISTIO_SUCCESS_RATE = 'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}",response_code!~"5.*"}[{{ interval }}])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) * 100';
const FLAGGER_ISTIO_DURATION = 'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) by (le))';

const OWNER = 'TrafficRouter.istio()';
const SERVICE_OWNER = "CanaryService 'podinfo'";
const LABELS = { 'app.kubernetes.io/name': 'podinfo', 'app.kubernetes.io/managed-by': 'cdk8s-canary' };
const SELECTOR = { 'app.kubernetes.io/name': 'podinfo' };
const CONTEXT: RoutingContext = {
  name: 'podinfo',
  namespace: 'test',
  port: 80,
  containerPort: 9898,
  labels: LABELS,
  selectorLabels: SELECTOR,
  strategy: DeliveryStrategy.canary().bind(),
  engine: 'flagger',
};
const ARGO_CONTEXT: ArgoRoutingContext = { ...CONTEXT, engine: 'argo-rollouts', blueGreen: false, headerRoutes: [], mirrorRoutes: [] };
/**
 * Argo Rollouts' canary pods in both routing modes: Istio names the pods of a Rollout's ReplicaSet
 * after the Rollout (istio pkg/kube/util.go, GetDeployMetaFromPod, since 1.22), and the pod label
 * rollouts-pod-template-hash, copied onto the series by the scrape config, tells canary from stable.
 */
// The sidecars' series of the service's pods, from the pods' scrape job only.
const CANARY_PODS = 'job="kubernetes-pods",reporter="destination",destination_workload_namespace="{{args.namespace}}",destination_workload="{{args.service-name}}",rollouts_pod_template_hash="{{args.canary-hash}}"';
const HASH_ARGUMENTS = [
  { name: 'namespace', value: 'test' },
  { name: 'service-name', value: 'podinfo' },
  { name: 'canary-hash', podTemplateHash: 'Latest' },
  // For checks that compare the canary with the stable version (the engine drops it otherwise).
  { name: 'stable-hash', podTemplateHash: 'Stable' },
];

function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

function istio(options: IstioRouterOptions = {}): IstioRouter {
  return TrafficRouter.istio(options) as IstioRouter;
}

function keys(manifests: any[]): string[] {
  return manifests.map((m) => `${m.apiVersion}/${m.kind}/${m.metadata.namespace}/${m.metadata.name}`);
}

/** Every destination host of every route of the VirtualService names a Service in the output. */
function expectDestinationsExist(manifests: any[], virtualService: any): void {
  const services = all(manifests, 'Service').filter((s) => s.metadata.namespace === virtualService.metadata.namespace).map((s) => s.metadata.name);
  for (const route of virtualService.spec.http) {
    for (const destination of route.route) {
      expect(services).toContain(destination.destination.host);
    }
  }
}

/** Every `<namespace>/<name>` gateway (other than mesh) is a Gateway in the output. */
function expectGatewaysExist(manifests: any[], gateways: string[]): void {
  for (const reference of gateways.filter((g) => g !== 'mesh')) {
    const [namespace, name] = reference.split('/');
    expect(all(manifests, 'Gateway').filter((g) => g.metadata.namespace === namespace && g.metadata.name === name)).toHaveLength(1);
  }
}

test('TrafficRouter.istio() creates an IstioRouter named istio; options are optional', () => {
  const router = TrafficRouter.istio();
  expect(router).toBeInstanceOf(IstioRouter);
  expect(router.name).toBe('istio');
});

test('supports: Flagger everything (pkg/router/istio.go); Argo Rollouts all but query-parameter match and session affinity (validation.go)', () => {
  const supported = (engine: string) => Object.values(TrafficFeature).filter((feature) => istio().supports(engine, feature));
  expect(supported('flagger')).toEqual(Object.values(TrafficFeature));
  expect(supported('argo-rollouts')).toEqual([TrafficFeature.WEIGHTED, TrafficFeature.HEADER_MATCH, TrafficFeature.MIRRORING, TrafficFeature.BLUE_GREEN,
    TrafficFeature.GRPC]);
});

test('routerMetrics: none, whatever the mesh namespace (the sidecars in the service\'s namespace report everything)', () => {
  expect(istio().routerMetrics(CONTEXT)).toEqual([]);
  expect(istio({ meshNamespace: 'mesh', hosts: ['podinfo.example.com'] }).routerMetrics(CONTEXT)).toEqual([]);
});

describe('sidecar injection: the pods ask for the sidecar whose telemetry the checks read', () => {
  test('default: the pod label sidecar.istio.io/inject=true (a revision-less install injects it without a namespace label)', () => {
    expect(istio().podLabels).toEqual({ 'sidecar.istio.io/inject': 'true' });
    expect(istio().sidecarInjection.description).toBe('pod label sidecar.istio.io/inject=true');
  });

  test('a revisioned install: the pod label istio.io/rev', () => {
    expect(istio({ sidecarInjection: IstioSidecarInjection.revision('1-30') }).podLabels).toEqual({ 'istio.io/rev': '1-30' });
  });

  test('the namespace label, set by the team: nothing on the pods', () => {
    expect(istio({ sidecarInjection: IstioSidecarInjection.namespaceLabel() }).podLabels).toEqual({});
  });

  test('a revision must be a label value', () => {
    expect(() => IstioSidecarInjection.revision('1.30')).toThrow(
      "IstioSidecarInjection.revision(): 'revision' ('1.30') must be a label value of lower-case letters, digits and '-', e.g. '1-30' or 'stable'");
  });
});

describe('loadTarget: the canary Service, whose pods\' sidecars report the requests', () => {
  test('the canary Service on the service port; the Services a client without a sidecar would not route to the canary are bypassed', () => {
    expect(istio({ hosts: ['podinfo.example.com'] }).loadTarget(CONTEXT)).toEqual({
      url: 'http://podinfo-canary.test:80',
      measuredAtIngress: false,
      bypassedServices: ['podinfo', 'podinfo-primary', 'podinfo-stable'],
      reason: "The load generator has no sidecar, so Istio's routing does not apply to its requests: only 'podinfo-canary' reaches the new version's pods, whose sidecars report the metrics.",
      egress: [{ namespace: 'test', podLabels: SELECTOR, ports: [9898] }],
      // Used only when a comparison needs load on both versions: Flagger's primary Service and pods.
      baseline: {
        url: 'http://podinfo-primary.test:80',
        egress: [{ namespace: 'test', podLabels: { 'app.kubernetes.io/name': 'podinfo-primary' }, ports: [9898] }],
      },
    });
  });
});

test('defaults: SUBSET mode, istio-system, a created Gateway with hosts and none without', () => {
  const meshOnly = istio();
  expect(meshOnly.routingMode).toBe(IstioRoutingMode.SUBSET);
  expect(meshOnly.meshNamespace).toBe('istio-system');
  expect(meshOnly.gateway.createOptions).toBeUndefined();
  expect(meshOnly.gateway.reference).toBeUndefined();
  const external = istio({ hosts: ['podinfo.example.com'] });
  expect(external.gateway.createOptions).toEqual({});
  expect(external.gateway.reference).toBeUndefined();
});

describe('builtInQuery', () => {
  test('REQUEST_SUCCESS_RATE is exactly Flagger\'s Istio success-rate query', () => {
    expect(istio().builtInQuery(MetricKind.REQUEST_SUCCESS_RATE)).toBe(FLAGGER_ISTIO_SUCCESS_RATE);
  });

  test('REQUEST_DURATION is exactly Flagger\'s Istio P99 duration query, in milliseconds', () => {
    expect(istio().builtInQuery(MetricKind.REQUEST_DURATION)).toBe(FLAGGER_ISTIO_DURATION);
  });

  test('both parse as PromQL that returns one number', () => {
    for (const kind of [MetricKind.REQUEST_SUCCESS_RATE, MetricKind.REQUEST_DURATION]) {
      expect(() => checkPromQl('test', 'query', istio().builtInQuery(kind))).not.toThrow();
    }
  });

  test('do not depend on the options', () => {
    const other = istio({ hosts: ['podinfo.example.com'], routingMode: IstioRoutingMode.HOST, meshNamespace: 'mesh' });
    expect(other.builtInQuery(MetricKind.REQUEST_SUCCESS_RATE)).toBe(FLAGGER_ISTIO_SUCCESS_RATE);
    expect(other.builtInQuery(MetricKind.REQUEST_DURATION)).toBe(FLAGGER_ISTIO_DURATION);
  });

  test('there is no built-in query for a query of your own', () => {
    expect(() => istio().builtInQuery(MetricKind.PROMETHEUS_QUERY)).toThrow(`${OWNER}: there is no built-in query for PROMETHEUS_QUERY`);
  });
});

describe('bindFlagger', () => {
  test('mesh only: creates nothing (Flagger generates the VirtualService and DestinationRules) and sets no service fields', () => {
    const chart = newChart();
    const routing = istio().bindFlagger(chart, CONTEXT);
    expect(routing).toEqual({
      provider: 'istio',
      serviceFields: {},
      objects: {},
      comparableSeries: expect.objectContaining({ requests: 'istio_requests_total' }),
      generatedObjects: [
        { kind: 'VirtualService', apiGroup: 'networking.istio.io', name: 'podinfo', role: 'VirtualService of the hosts', reaches: ServiceReach.WEIGHTED },
        { kind: 'DestinationRule', apiGroup: 'networking.istio.io', name: 'podinfo-canary', role: 'DestinationRule of the canary' },
        { kind: 'DestinationRule', apiGroup: 'networking.istio.io', name: 'podinfo-primary', role: 'DestinationRule of the primary' },
      ],
    });
    expect(Testing.synth(chart)).toEqual([]);
  });

  describe('with hosts', () => {
    const chart = newChart();
    const routing = istio({ hosts: ['podinfo.example.com', '*.podinfo.example.com'] }).bindFlagger(chart, CONTEXT);
    // Recorded for the conformance checker by the first test.
    const manifests = Testing.synth(chart);

    test('creates only the Gateway <name> in the service namespace, with the labels', () => {
      expect(synth(chart)).toEqual(manifests);
      expect(keys(manifests)).toEqual(['networking.istio.io/v1/Gateway/test/podinfo']);
      expect(all(manifests, 'VirtualService')).toEqual([]);
      expect(all(manifests, 'DestinationRule')).toEqual([]);
      expect(only(manifests, 'Gateway').metadata.labels).toEqual(LABELS);
    });

    test('the Gateway: istio ingressgateway, port 80 HTTP, the hosts', () => {
      expect(only(manifests, 'Gateway', 'podinfo').spec).toEqual({
        selector: { istio: 'ingressgateway' },
        servers: [{
          port: { number: 80, name: 'http', protocol: 'HTTP' },
          hosts: ['podinfo.example.com', '*.podinfo.example.com'],
        }],
      });
    });

    test('returns provider istio, gateways = the Gateway plus mesh, the hosts, and the Gateway', () => {
      expect(routing.provider).toBe('istio');
      expect(routing.serviceFields).toEqual({
        gateways: ['test/podinfo', 'mesh'],
        hosts: ['podinfo.example.com', '*.podinfo.example.com'],
      });
      expectGatewaysExist(manifests, routing.serviceFields!.gateways);
      expect(Object.keys(routing.objects!)).toEqual(['gateway']);
      const gateway = routing.objects!.gateway as IstioGateway;
      expect(gateway).toBeInstanceOf(IstioGateway);
      expect(gateway.reference).toBe('test/podinfo');
    });
  });

  test('an existing Gateway is referenced, not created', () => {
    const chart = newChart();
    const routing = istio({ hosts: ['podinfo.example.com'], gateway: IstioGatewayReference.existing('istio-system/public-gateway') })
      .bindFlagger(chart, CONTEXT);
    expect(Testing.synth(chart)).toEqual([]);
    expect(routing.serviceFields).toEqual({ gateways: ['istio-system/public-gateway', 'mesh'], hosts: ['podinfo.example.com'] });
    expect(routing.objects).toEqual({});
  });

  test('an existing Gateway without hosts: Flagger routes the service name through it', () => {
    const routing = istio({ gateway: IstioGatewayReference.existing('gateways/shared') }).bindFlagger(newChart(), CONTEXT);
    expect(routing.serviceFields).toEqual({ gateways: ['gateways/shared', 'mesh'] });
  });

  test('hosts with meshOnly(): no Gateway, no gateways field (Flagger uses mesh)', () => {
    const chart = newChart();
    const routing = istio({ hosts: ['podinfo.example.com'], gateway: IstioGatewayReference.meshOnly() }).bindFlagger(chart, CONTEXT);
    expect(Testing.synth(chart)).toEqual([]);
    expect(routing.serviceFields).toEqual({ hosts: ['podinfo.example.com'] });
  });

  test('retries and timeout as Istio durations; only the fields given', () => {
    const full = istio({
      retries: { attempts: 3, perTryTimeout: Duration.seconds(5), retryOn: 'gateway-error,connect-failure,refused-stream' },
      timeout: Duration.seconds(30),
    }).bindFlagger(newChart(), CONTEXT);
    expect(full.serviceFields).toEqual({
      retries: { attempts: 3, perTryTimeout: '5s', retryOn: 'gateway-error,connect-failure,refused-stream' },
      timeout: '30s',
    });
    const attemptsOnly = istio({ retries: { attempts: 0 }, timeout: Duration.minutes(2) }).bindFlagger(newChart(), CONTEXT);
    expect(attemptsOnly.serviceFields).toEqual({ retries: { attempts: 0 }, timeout: '120s' });
  });

  test('a created Gateway with TLS and a custom selector', () => {
    const chart = newChart();
    istio({
      hosts: ['podinfo.example.com'],
      gateway: IstioGatewayReference.create({ tlsSecretName: 'podinfo-tls', selector: { app: 'edge' } }),
    }).bindFlagger(chart, CONTEXT);
    expect(only(synth(chart), 'Gateway', 'podinfo').spec).toEqual({
      selector: { app: 'edge' },
      servers: [{
        port: { number: 443, name: 'https', protocol: 'HTTPS' },
        hosts: ['podinfo.example.com'],
        tls: { mode: 'SIMPLE', credentialName: 'podinfo-tls' },
      }],
    });
  });

  test('the service fields reach the synthesized Canary, and the Gateway it names exists', () => {
    const chart = newChart();
    const routing = istio({
      hosts: ['podinfo.example.com'],
      retries: { attempts: 3, perTryTimeout: Duration.seconds(5), retryOn: 'gateway-error,connect-failure' },
      timeout: Duration.seconds(30),
    }).bindFlagger(chart, CONTEXT);
    new FlaggerCanary(chart, 'canary', {
      metadata: { name: 'podinfo', namespace: 'test' },
      targetName: 'podinfo',
      provider: routing.provider,
      port: 80,
      targetPort: 9898,
      serviceFields: routing.serviceFields,
      analysis: { receivesLiveTraffic: true },
    });
    const manifests = synth(chart);
    const canary = only(manifests, 'Canary', 'podinfo');
    expect(canary.spec.provider).toBe('istio');
    expect(canary.spec.service).toEqual({
      name: 'podinfo',
      port: 80,
      targetPort: 9898,
      portName: 'http',
      gateways: ['test/podinfo', 'mesh'],
      hosts: ['podinfo.example.com'],
      retries: { attempts: 3, perTryTimeout: '5s', retryOn: 'gateway-error,connect-failure' },
      timeout: '30s',
    });
    expectGatewaysExist(manifests, canary.spec.service.gateways);
    expect(only(manifests, 'Gateway', 'podinfo').spec.servers[0].hosts).toEqual(canary.spec.service.hosts);
  });

  test('one router binds several services, each with its own Gateway', () => {
    const chart = newChart();
    const router = istio({ hosts: ['shop.example.com'] });
    const frontend = router.bindFlagger(new Construct(chart, 'frontend'), { ...CONTEXT, name: 'frontend' });
    const backend = router.bindFlagger(new Construct(chart, 'backend'), { ...CONTEXT, name: 'backend', namespace: 'prod' });
    const manifests = synth(chart);
    expect(keys(manifests)).toEqual(['networking.istio.io/v1/Gateway/test/frontend', 'networking.istio.io/v1/Gateway/prod/backend']);
    expect(frontend.serviceFields!.gateways).toEqual(['test/frontend', 'mesh']);
    expect(backend.serviceFields!.gateways).toEqual(['prod/backend', 'mesh']);
  });
});

describe('bindArgoRollouts, SUBSET mode (default)', () => {
  const chart = newChart();
  const routing = istio({ hosts: ['podinfo.example.com'] }).bindArgoRollouts(chart, ARGO_CONTEXT);
  // Recorded for the conformance checker by the first test.
  const manifests = Testing.synth(chart);
  const virtualService = only(manifests, 'VirtualService', 'podinfo');
  const destinationRule = only(manifests, 'DestinationRule', 'podinfo');

  test('creates the Gateway, the Service, the canary Service, the DestinationRule and the VirtualService, with the labels', () => {
    expect(synth(chart)).toEqual(manifests);
    expect(keys(manifests)).toEqual([
      'networking.istio.io/v1/Gateway/test/podinfo',
      'v1/Service/test/podinfo',
      'v1/Service/test/podinfo-canary',
      'networking.istio.io/v1/DestinationRule/test/podinfo',
      'networking.istio.io/v1/VirtualService/test/podinfo',
    ]);
    for (const manifest of manifests) {
      expect(manifest.metadata.labels).toEqual(LABELS);
    }
  });

  test('both Services select only by the pod label (Argo adds the canary hash to podinfo-canary), port to container port', () => {
    for (const name of ['podinfo', 'podinfo-canary']) {
      expect(only(manifests, 'Service', name).spec).toEqual({
        type: 'ClusterIP',
        externalIPs: [],
        selector: SELECTOR,
        ports: [{ name: 'http', port: 80, targetPort: 9898 }],
      });
    }
  });

  test('the DestinationRule has stable and canary subsets of the Service, selected by the pod label', () => {
    expect(destinationRule.spec).toEqual({
      host: 'podinfo',
      subsets: [{ name: 'stable', labels: SELECTOR }, { name: 'canary', labels: SELECTOR }],
    });
  });

  test('the VirtualService routes the service name and the hosts, through the Gateway and the mesh, 100/0 to the subsets', () => {
    expect(virtualService.spec).toEqual({
      hosts: ['podinfo', 'podinfo.example.com'],
      gateways: ['test/podinfo', 'mesh'],
      http: [{
        name: 'primary',
        route: [
          { destination: { host: 'podinfo', subset: 'stable', port: { number: 80 } }, weight: 100 },
          { destination: { host: 'podinfo', subset: 'canary', port: { number: 80 } }, weight: 0 },
        ],
      }],
    });
  });

  test('trafficRouting names the VirtualService, its route and the DestinationRule with its subsets; a canary Service for tests, no stable one', () => {
    expect(routing.trafficRouting!).toEqual({
      istio: {
        virtualService: { name: 'podinfo', routes: ['primary'] },
        destinationRule: { name: 'podinfo', canarySubsetName: 'canary', stableSubsetName: 'stable' },
      },
    });
    expect(routing.canaryService).toBe('podinfo-canary');
    expect(routing.stableService).toBeUndefined();
    // Argo matches route destinations by host before subset: a canary Service named like the host
    // would give both subsets the canary's weight.
    expect(virtualService.spec.http[0].route.map((r: any) => r.destination.host)).not.toContain(routing.canaryService);
  });

  test('cross-references resolve in the output', () => {
    const istioRouting = routing.trafficRouting!.istio;
    const vs = only(manifests, 'VirtualService', istioRouting.virtualService.name);
    expect(vs.spec.http.map((r: any) => r.name)).toEqual(istioRouting.virtualService.routes);
    const dr = only(manifests, 'DestinationRule', istioRouting.destinationRule.name);
    const subsets = dr.spec.subsets.map((s: any) => s.name);
    expect(subsets).toContain(istioRouting.destinationRule.stableSubsetName);
    expect(subsets).toContain(istioRouting.destinationRule.canarySubsetName);
    for (const route of vs.spec.http[0].route) {
      expect(route.destination.host).toBe(dr.spec.host);
      expect(subsets).toContain(route.destination.subset);
    }
    expectDestinationsExist(manifests, vs);
    expectGatewaysExist(manifests, vs.spec.gateways);
    expect(only(manifests, 'Gateway', 'podinfo').spec.servers[0].hosts).toEqual(['podinfo.example.com']);
  });

  test('queries scope by the canary pods\' pod-template hash, which changes with every rollout; success rate is a ratio', () => {
    // No sample when the canary had no request in the window, 0 when it answered only 5xx.
    const requests = `(sum(rate(istio_requests_total{${CANARY_PODS}}[{{ interval }}])) > 0)`;
    expect(routing.queries).toEqual({
      [MetricKind.REQUEST_SUCCESS_RATE]: `(sum(rate(istio_requests_total{${CANARY_PODS},response_code!~"5.*"}[{{ interval }}])) or vector(0)) / ${requests}`,
      [MetricKind.REQUEST_DURATION]: `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${CANARY_PODS}}[{{ interval }}])) by (le)) and on() ${requests}`,
    });
    for (const query of Object.values(routing.queries)) {
      expect(() => checkPromQl('test', 'query', query)).not.toThrow();
    }
    expect(routing.queryArguments).toEqual(HASH_ARGUMENTS);
  });

  test('every {{args.x}} of the queries is an argument', () => {
    const names = routing.queryArguments.map((a) => a.name);
    for (const query of Object.values(routing.queries)) {
      for (const [, name] of query.matchAll(/\{\{args\.([-a-z]+)\}\}/g)) {
        expect(names).toContain(name);
      }
    }
  });

  test('objects by role', () => {
    expect(Object.keys(routing.objects!).sort()).toEqual(['canaryService', 'destinationRule', 'gateway', 'service', 'virtualService']);
    expect(routing.objects!.virtualService).toBeInstanceOf(IstioVirtualService);
    expect(routing.objects!.destinationRule).toBeInstanceOf(IstioDestinationRule);
    expect(routing.objects!.gateway).toBeInstanceOf(IstioGateway);
  });
});

describe('bindArgoRollouts, HOST mode', () => {
  const chart = newChart();
  const routing = istio({ routingMode: IstioRoutingMode.HOST }).bindArgoRollouts(chart, ARGO_CONTEXT);
  // Recorded for the conformance checker by the first test.
  const manifests = Testing.synth(chart);
  const virtualService = only(manifests, 'VirtualService', 'podinfo');

  test('creates the Services <name>, <name>-stable, <name>-canary and the VirtualService; no DestinationRule or Gateway', () => {
    expect(synth(chart)).toEqual(manifests);
    expect(keys(manifests)).toEqual([
      'v1/Service/test/podinfo',
      'v1/Service/test/podinfo-stable',
      'v1/Service/test/podinfo-canary',
      'networking.istio.io/v1/VirtualService/test/podinfo',
    ]);
    for (const service of all(manifests, 'Service')) {
      expect(service.spec.selector).toEqual(SELECTOR);
    }
  });

  test('the VirtualService routes the service name 100/0 to the stable and canary Services, mesh only', () => {
    expect(virtualService.spec).toEqual({
      hosts: ['podinfo'],
      http: [{
        name: 'primary',
        route: [
          { destination: { host: 'podinfo-stable', port: { number: 80 } }, weight: 100 },
          { destination: { host: 'podinfo-canary', port: { number: 80 } }, weight: 0 },
        ],
      }],
    });
  });

  test('trafficRouting names the VirtualService and its route; canaryService and stableService exist', () => {
    expect(routing.trafficRouting!).toEqual({ istio: { virtualService: { name: 'podinfo', routes: ['primary'] } } });
    expect(routing.canaryService).toBe('podinfo-canary');
    expect(routing.stableService).toBe('podinfo-stable');
    only(manifests, 'Service', routing.canaryService);
    only(manifests, 'Service', routing.stableService);
    expect(virtualService.spec.http.map((r: any) => r.name)).toEqual(routing.trafficRouting!.istio.virtualService.routes);
    expect(virtualService.spec.http[0].route.map((r: any) => r.destination.host)).toEqual([routing.stableService, routing.canaryService]);
    expectDestinationsExist(manifests, virtualService);
  });

  test('queries scope by the canary pods\' pod-template hash, as in SUBSET mode: a client without a sidecar gets the name of any Service that selects the pod as destination_service_name', () => {
    expect(routing.queries[MetricKind.REQUEST_SUCCESS_RATE]).toContain(CANARY_PODS);
    expect(routing.queries[MetricKind.REQUEST_DURATION]).toContain(CANARY_PODS);
    expect(routing.queries[MetricKind.REQUEST_SUCCESS_RATE]).not.toContain('destination_service_name');
    for (const query of Object.values(routing.queries)) {
      expect(() => checkPromQl('test', 'query', query)).not.toThrow();
    }
    expect(routing.queryArguments).toEqual(HASH_ARGUMENTS);
  });

  test('objects by role', () => {
    expect(Object.keys(routing.objects!).sort()).toEqual(['canaryService', 'service', 'stableService', 'virtualService']);
  });
});

test('HOST mode with hosts, an existing Gateway, retries and timeout', () => {
  const chart = newChart();
  istio({
    routingMode: IstioRoutingMode.HOST,
    hosts: ['podinfo.example.com', 'podinfo'],
    gateway: IstioGatewayReference.existing('istio-system/public-gateway'),
    retries: { attempts: 2, perTryTimeout: Duration.seconds(3) },
    timeout: Duration.seconds(10),
  }).bindArgoRollouts(chart, ARGO_CONTEXT);
  const manifests = synth(chart);
  expect(all(manifests, 'Gateway')).toEqual([]);
  const vs = only(manifests, 'VirtualService', 'podinfo');
  expect(vs.spec.hosts).toEqual(['podinfo', 'podinfo.example.com']);
  expect(vs.spec.gateways).toEqual(['istio-system/public-gateway', 'mesh']);
  expect(vs.spec.http[0].retries).toEqual({ attempts: 2, perTryTimeout: '3s' });
  expect(vs.spec.http[0].timeout).toBe('10s');
});

test('SUBSET mode with retries, timeout and a TLS Gateway', () => {
  const chart = newChart();
  const routing = istio({
    hosts: ['podinfo.example.com'],
    gateway: IstioGatewayReference.create({ tlsSecretName: 'podinfo-tls', port: 8443 }),
    retries: { attempts: 3, retryOn: '5xx' },
    timeout: Duration.minutes(1),
  }).bindArgoRollouts(chart, { ...ARGO_CONTEXT, port: 8080 });
  const manifests = synth(chart);
  const vs = only(manifests, 'VirtualService', 'podinfo');
  expect(vs.spec.http[0]).toEqual({
    name: 'primary',
    route: [
      { destination: { host: 'podinfo', subset: 'stable', port: { number: 8080 } }, weight: 100 },
      { destination: { host: 'podinfo', subset: 'canary', port: { number: 8080 } }, weight: 0 },
    ],
    retries: { attempts: 3, retryOn: '5xx' },
    timeout: '60s',
  });
  expect(only(manifests, 'Gateway', 'podinfo').spec.servers[0].port).toEqual({ number: 8443, name: 'https', protocol: 'HTTPS' });
  expect(only(manifests, 'Service', 'podinfo').spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 9898 }]);
  expectGatewaysExist(manifests, vs.spec.gateways);
  expect(routing.objects!.gateway).toBeInstanceOf(IstioGateway);
});

test('header and mirror routes are left to Argo Rollouts: only the primary route is created', () => {
  const chart = newChart();
  istio().bindArgoRollouts(chart, { ...ARGO_CONTEXT, headerRoutes: ['header-route'], mirrorRoutes: ['mirror-route'] });
  expect(only(synth(chart), 'VirtualService').spec.http.map((r: any) => r.name)).toEqual(['primary']);
});

test('one router binds several services under their own scopes', () => {
  const chart = newChart();
  const router = istio();
  router.bindArgoRollouts(new Construct(chart, 'frontend'), { ...ARGO_CONTEXT, name: 'frontend', selectorLabels: { 'app.kubernetes.io/name': 'frontend' } });
  router.bindArgoRollouts(new Construct(chart, 'backend'), { ...ARGO_CONTEXT, name: 'backend', selectorLabels: { 'app.kubernetes.io/name': 'backend' } });
  const manifests = synth(chart);
  expect(only(manifests, 'DestinationRule', 'frontend').spec.subsets[0].labels).toEqual({ 'app.kubernetes.io/name': 'frontend' });
  expect(only(manifests, 'VirtualService', 'backend').spec.http[0].route[0].destination.host).toBe('backend');
});

describe('errors', () => {
  const SUBDOMAIN_RULE = "must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.', optionally after a leading '*.' wildcard";

  test.each(['Podinfo.example.com', 'podinfo_example.com', '*', 'a.*.example.com', 'podinfo.example.com.'])('invalid host %p', (host) => {
    expect(() => istio({ hosts: ['ok.example.com', host] })).toThrow(`${OWNER}: 'hosts[1]' ('${host}') ${SUBDOMAIN_RULE}`);
  });

  test('duplicate hosts', () => {
    expect(() => istio({ hosts: ['a.example.com', 'a.example.com'] })).toThrow(
      `${OWNER}: 'hosts' has two entries named 'a.example.com'; names must be unique`,
    );
  });

  test.each(['public-gateway', 'istio-system/', '/public-gateway', 'Istio-System/gw', 'a/b/c', 'mesh'])('gateway reference %p is not <namespace>/<name>', (reference) => {
    expect(() => IstioGatewayReference.existing(reference)).toThrow(
      `IstioGatewayReference.existing(): 'reference' ('${reference}') must be '<namespace>/<name>' of a Gateway, e.g. 'istio-system/public-gateway'`,
    );
  });

  test('a valid gateway reference', () => {
    expect(IstioGatewayReference.existing('istio-system/public-gateway.v2').reference).toBe('istio-system/public-gateway.v2');
  });

  test('create() with a port out of range', () => {
    expect(() => IstioGatewayReference.create({ port: 0 })).toThrow("IstioGatewayReference.create(): 'port' (0) must be an integer between 1 and 65535");
  });

  test('create() with an empty selector', () => {
    expect(() => IstioGatewayReference.create({ selector: {} })).toThrow(
      "IstioGatewayReference.create(): 'selector' must hold at least one label of the ingress gateway pods, e.g. { istio: 'ingressgateway' }",
    );
  });

  test('create() with an invalid tlsSecretName', () => {
    expect(() => IstioGatewayReference.create({ tlsSecretName: 'Podinfo_TLS' })).toThrow(
      "IstioGatewayReference.create(): 'tlsSecretName' ('Podinfo_TLS') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'",
    );
  });

  test('a Gateway to create needs hosts', () => {
    expect(() => istio({ gateway: IstioGatewayReference.create() })).toThrow(
      `${OWNER}: 'gateway' creates a Gateway, which needs 'hosts' to serve: set 'hosts', or use IstioGatewayReference.existing() or IstioGatewayReference.meshOnly()`,
    );
  });

  test.each([-1, 101, 1.5])('retries.attempts %p', (attempts) => {
    expect(() => istio({ retries: { attempts } })).toThrow(`${OWNER}: 'retries.attempts' (${attempts}) must be an integer between 0 and 100`);
  });

  test('retries.perTryTimeout not whole seconds', () => {
    expect(() => istio({ retries: { attempts: 2, perTryTimeout: Duration.millis(1500) } })).toThrow(
      `${OWNER}: 'retries.perTryTimeout' (1 second 500 millis) must be a whole number of seconds, at least 1s`,
    );
  });

  test.each(['gateway-error, connect-failure', '', '5xx;reset'])('retries.retryOn %p', (retryOn) => {
    expect(() => istio({ retries: { attempts: 2, retryOn } })).toThrow(
      `${OWNER}: 'retries.retryOn' ('${retryOn}') must be retry conditions separated by commas, without spaces, e.g. 'gateway-error,connect-failure,refused-stream'`,
    );
  });

  test('timeout below a second', () => {
    expect(() => istio({ timeout: Duration.millis(500) })).toThrow(`${OWNER}: 'timeout' (500 millis) must be a whole number of seconds, at least 1s`);
  });

  test.each(['Istio-System', 'istio.system', 'istio-'])('meshNamespace %p is not a DNS label', (meshNamespace) => {
    expect(() => istio({ meshNamespace })).toThrow(
      `${OWNER}: 'meshNamespace' ('${meshNamespace}') must be a DNS label of at most 63 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit`,
    );
  });


  test('a header route named primary', () => {
    expect(() => istio().bindArgoRollouts(newChart(), { ...ARGO_CONTEXT, headerRoutes: ['beta', 'primary'] })).toThrow(
      `${SERVICE_OWNER}: the header route name 'primary' is taken by the weighted route of the Istio VirtualService; choose another name`,
    );
  });

  test('a mirror route named primary', () => {
    expect(() => istio({ routingMode: IstioRoutingMode.HOST }).bindArgoRollouts(newChart(), { ...ARGO_CONTEXT, mirrorRoutes: ['primary'] })).toThrow(
      `${SERVICE_OWNER}: the mirror route name 'primary' is taken by the weighted route of the Istio VirtualService; choose another name`,
    );
  });

  test('HOST mode: a name too long for <name>-stable', () => {
    const name = 'a'.repeat(57);
    expect(() => istio({ routingMode: IstioRoutingMode.HOST }).bindArgoRollouts(newChart(), { ...ARGO_CONTEXT, name })).toThrow(
      `CanaryService '${name}': 'name' ('${name}') must be a DNS label of at most 56 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, so that '<name>-stable' and '<name>-canary' are valid Service names`,
    );
  });
});
