import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { GatewayMetrics, fromGatewayPods } from './gateway-metrics';
import { GatewayApiGateway, GatewayHttpRoute, GatewayParent } from './objects';
import { namespaceSingleton, sharedObjectAnnotations } from '../../addons/namespace-singleton';
import { LoadTarget } from '../../analysis/load-test';
import { MetricKind } from '../../analysis/metric';
import { PLAIN_PATH, PLAIN_PATH_CHARACTERS } from '../../analysis/shell';
import { HeaderMatchKind } from '../../analysis/steps';
import { checkArguments } from '../../arguments/check-arguments';
import { ARGO_GATEWAY_API_PLUGIN, serviceAddress } from '../../platform/conventions';
import { ServiceReach } from '../../references/topology';
import { StrategyConfig, StrategyKind } from '../../strategy/delivery-strategy';
import { shippedSupport } from '../../strategy/support-matrix';
import { TrafficFeature } from '../../strategy/traffic-feature';
import { SegmentKind, TrafficSegment } from '../../strategy/traffic-segment';
import { checkDnsLabel, checkHostLabels, checkPort, checkUniqueNames, fail } from '../../validation';
import { createRolloutService, createStableAndCanaryServices } from '../rollout-services';
import { ArgoRolloutsRouting, ArgoRoutingContext, FlaggerRouting, ITrafficRouter, RouterMetrics, RoutingContext } from '../router';

/** Options for `GatewayApiGatewayReference.create()`. */
export interface GatewayApiGatewayOptions {
  /**
   * Name of the Gateway.
   *
   * @default 'gateway'
   */
  readonly name?: string;
  /**
   * Port of its HTTP listener.
   *
   * @default 80
   */
  readonly port?: number;
  /**
   * Name of its HTTP listener.
   *
   * @default 'http'
   */
  readonly listenerName?: string;
}

/** Options for `GatewayApiGatewayReference.existing()`. */
export interface ExistingGatewayOptions {
  /** Name of the Gateway. */
  readonly name: string;
  /** Its namespace; its listener's `allowedRoutes` must admit the service's namespace. */
  readonly namespace: string;
  /**
   * The listener to attach to (`parentRefs[].sectionName`).
   *
   * @default - every listener that admits the route
   */
  readonly sectionName?: string;
  /**
   * Port of the HTTP listener the load goes to.
   *
   * @default 80
   */
  readonly port?: number;
}

/** The Gateway the HTTPRoutes attach to: one this library creates, or one of the platform's. */
export class GatewayApiGatewayReference {
  /**
   * A Gateway in the service's namespace, created once per namespace and shared by the services
   * there (one HTTP listener admitting routes of its namespace).
   */
  public static create(options: GatewayApiGatewayOptions = {}): GatewayApiGatewayReference {
    checkArguments('GatewayApiGatewayReference.create', [options]);
    const owner = 'GatewayApiGatewayReference.create()';
    return new GatewayApiGatewayReference(
      checkDnsLabel(owner, 'name', options.name ?? 'gateway', 50),
      undefined,
      checkDnsLabel(owner, 'listenerName', options.listenerName ?? 'http'),
      checkPort(owner, 'port', options.port ?? 80),
      true,
    );
  }

  /** A Gateway that exists (the platform's): the routes attach to it by name. */
  public static existing(options: ExistingGatewayOptions): GatewayApiGatewayReference {
    checkArguments('GatewayApiGatewayReference.existing', [options]);
    const owner = 'GatewayApiGatewayReference.existing()';
    return new GatewayApiGatewayReference(
      checkDnsLabel(owner, 'name', options.name, 50),
      checkDnsLabel(owner, 'namespace', options.namespace),
      options.sectionName === undefined ? undefined : checkDnsLabel(owner, 'sectionName', options.sectionName),
      checkPort(owner, 'port', options.port ?? 80),
      false,
    );
  }

  /** Name of the Gateway. */
  public readonly name: string;
  /**
   * Its namespace.
   *
   * @default - the service's (a created Gateway)
   */
  public readonly namespace?: string;
  /**
   * The listener routes attach to.
   *
   * @default - any
   */
  public readonly sectionName?: string;
  /** Port of the HTTP listener. */
  public readonly port: number;
  /** Whether the Gateway is created with the services. */
  public readonly created: boolean;

  private constructor(name: string, namespace: string | undefined, sectionName: string | undefined, port: number, created: boolean) {
    this.name = name;
    this.namespace = namespace;
    this.sectionName = sectionName;
    this.port = port;
    this.created = created;
  }
}

/** Options for `TrafficRouter.gatewayApi()`. */
export interface GatewayApiRouterOptions {
  /** Host names routed to the service (`*.example.com` allowed); the load test sends the first without a wildcard as Host header. */
  readonly hosts: string[];
  /**
   * The Gateway the routes attach to.
   *
   * @default GatewayApiGatewayReference.create()
   */
  readonly gateway?: GatewayApiGatewayReference;
  /**
   * The Gateway the preview host's HTTPRoute attaches to in blue/green, e.g. a Gateway of the same
   * implementation whose address is not on the internet (an internal load balancer or a ClusterIP
   * Service). It exists already (`GatewayApiGatewayReference.existing()`: one created here would
   * get a public address like `gateway`'s), in `gateway`'s namespace, where the checks read the
   * gateways' telemetry; the load tests go through it. Not the Gateway `gateway` creates: its one
   * listener serves the live hosts. Another listener of `gateway` is no private place: Istio serves
   * every listener of a Gateway on its one Service (`<gateway>-istio`), so the plan still says the
   * preview host is public. On the live hosts' port only the Host header, which any client sends,
   * tells the listeners apart, so no port block separates them; on a port of its own, only a
   * firewall outside the cluster keeps it off the internet.
   *
   * @default - `gateway`, with the live hosts: the preview host is public and unauthenticated (the plan says so)
   */
  readonly previewGateway?: GatewayApiGatewayReference;
  /**
   * Path prefix routed to the service.
   *
   * @default '/'
   */
  readonly pathPrefix?: string;
  /**
   * The implementation whose telemetry the checks read (Gateway API defines no metrics).
   *
   * @default GatewayMetrics.istio()
   */
  readonly metrics?: GatewayMetrics;
}

const OWNER = 'TrafficRouter.gatewayApi()';
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PREVIEW = 'preview';
const NAMESPACE_ARG = 'namespace';

/**
 * Gateway API (`gateway.networking.k8s.io/v1` HTTPRoute). Flagger (`provider: gatewayapi:v1`)
 * generates the HTTPRoute `<name>` itself from `service.gatewayRefs` and `hosts`; Argo Rollouts
 * sets the weights of the HTTPRoute we create through its Gateway API plugin
 * (`argoproj-labs/gatewayAPI`). The checks read the implementation's telemetry at the gateway
 * (`metrics`), so the load goes through the gateway with a routed host, like an ingress.
 */
export class GatewayApiRouter implements ITrafficRouter {
  public readonly name = 'gateway-api';
  /**
   * Its routing and queries never read the context's probe paths (finding them renders the Deployment).
   * @internal
   */
  public readonly _readsProbePaths = false;
  public readonly podLabels: { [key: string]: string } = {};
  /** The options every service gets. */
  public readonly options: GatewayApiRouterOptions;
  /** The Gateway the routes attach to. */
  public readonly gateway: GatewayApiGatewayReference;
  /**
   * The Gateway the preview host's HTTPRoute attaches to.
   *
   * @default - `gateway`
   */
  public readonly previewGateway?: GatewayApiGatewayReference;
  /** Whose telemetry the checks read. */
  public readonly metrics: GatewayMetrics;

  public constructor(options: GatewayApiRouterOptions) {
    checkArguments('GatewayApiRouter.new', [options], OWNER);
    if (options.hosts.length === 0) fail(OWNER, "'hosts' must name at least one host: the load test sends it as Host header, and the route serves it");
    options.hosts.forEach((host, i) => {
      if (!HOSTNAME.test(host) || host.length > 253) {
        fail(OWNER, `'hosts[${i}]' ('${host}') must be a host name of lower-case letters, digits, '-' and '.', optionally starting with '*.' (Gateway API hostnames)`);
      }
      checkHostLabels(OWNER, `hosts[${i}]`, host);
    });
    if (!options.hosts.some((host) => !host.startsWith('*.'))) {
      fail(OWNER, "'hosts' must name one host without a wildcard: the load test sends it as Host header");
    }
    checkUniqueNames(OWNER, 'hosts', options.hosts);
    if (options.pathPrefix !== undefined && !PLAIN_PATH.test(options.pathPrefix)) {
      fail(OWNER, `'pathPrefix' ('${options.pathPrefix}') must be an absolute path of ${PLAIN_PATH_CHARACTERS}, e.g. '/api'; percent-encode anything else`);
    }
    this.gateway = options.gateway ?? GatewayApiGatewayReference.create();
    this.previewGateway = options.previewGateway === undefined ? undefined : checkPreviewExists(options.previewGateway);
    // An existing `gateway`'s namespace is known now; a created one's once the service's is (previewParentGateway).
    if (this.previewGateway && this.gateway.namespace !== undefined) checkPreviewParent(this.previewGateway, this.gateway, this.gateway.namespace);
    this.metrics = options.metrics ?? GatewayMetrics.istio();
    this.options = options;
  }

  public supports(engine: string, feature: TrafficFeature): boolean {
    return shippedSupport(this.name, engine, feature);
  }

  /**
   * Through the gateway's Service (`<gateway>-istio`) with a routed host: the gateway reports the
   * requests it forwards, by backend Service. An A/B test's (or a phased release's) load carries
   * a request of its first segment (a phased release's, of the phase it is asked for: the engine
   * asks once per phase), so that the route sends it to the new version; blue/green's
   * goes to the preview host, whose route leads to the new version before the switch.
   */
  public loadTarget(context: RoutingContext): LoadTarget {
    const gatewayNamespace = this.gatewayNamespace(context);
    const blueGreen = context.strategy.kind === StrategyKind.BLUE_GREEN;
    // Blue/green's load goes to the preview host, through the Gateway it is attached to.
    const via = blueGreen ? this.previewParentGateway(context) : this.gateway;
    const measured = blueGreen ? `${context.name}-${context.engine === 'flagger' ? 'canary' : PREVIEW}` : `${context.name}-canary`;
    const segment = firstMatchedSegment(context.strategy);
    const sample = segment?._sampleRequest();
    const reason = `${this.metrics.implementation}'s gateway reports the requests it forwards to '${measured}' (istio_requests_total{reporter="source",destination_service_name="${measured}"}); `
      + 'requests that do not pass through it are not measured.';
    return {
      url: segment && !sample ? undefined : serviceAddress(this.metrics._gatewayService(via.name), gatewayNamespace, via.port),
      urlUnknown: segment && !sample
        ? `a typed load test cannot build a request of the segment '${segment.description}' (a regular expression of your own): give the load test a 'command' that sends a matching request through ${this.metrics._gatewayService(this.gateway.name)}.${gatewayNamespace}`
        : undefined,
      host: blueGreen ? this.previewHost(context) : context.safetyNet ? this.managedHosts(context)[0] : this.loadHost(),
      pathPrefix: this.options.pathPrefix,
      headers: sample && Object.keys(sample.headers).length ? sample.headers : undefined,
      query: sample?.query,
      measuredAtIngress: true,
      bypassedServices: [context.name, `${context.name}-canary`, `${context.name}-primary`, `${context.name}-stable`, `${context.name}-${PREVIEW}`],
      reason,
      egress: [{ namespace: gatewayNamespace, podLabels: this.metrics._gatewayPodLabels(via.name), ports: [via.port] }],
    };
  }

  public routerMetrics(context: RoutingContext): RouterMetrics[] {
    const gateways = [this.gateway.name];
    // A preview Gateway's proxies report the preview host's requests (blue/green).
    if (context.strategy.kind === StrategyKind.BLUE_GREEN && this.previewGateway && this.previewGateway.name !== this.gateway.name) {
      gateways.push(this.previewParentGateway(context).name);
    }
    return gateways.map((gateway) => this.metrics._routerMetrics(this.gatewayNamespace(context), gateway, context.namespace, context.name));
  }

  public builtInQuery(kind: MetricKind): string {
    return this.metrics._flaggerQueries()[kind] ?? fail(OWNER, `there is no built-in query for ${kind}`);
  }

  /**
   * Flagger generates the HTTPRoute `<name>` (backends `<name>-primary` and `<name>-canary`) from
   * `service.gatewayRefs` and `hosts`; its built-in checks for `gatewayapi` read the application's
   * own metrics, so ours run as MetricTemplates on the gateway's telemetry. Blue/green: Flagger
   * keeps the canary at weight 0 until the switch, so a preview route (`<name>-preview` on the
   * preview host, to `<name>-canary`) lets the load reach it through the gateway.
   */
  public bindFlagger(scope: Construct, context: RoutingContext): FlaggerRouting {
    checkFlaggerMatches(context.strategy);
    const gateway = this.createGateway(scope, context);
    const serviceFields: { [key: string]: any } = {
      gatewayRefs: [this.parent(context)].map((p) => ({ name: p.name, namespace: p.namespace, sectionName: p.sectionName })),
      hosts: this.managedHosts(context),
    };
    if (this.options.pathPrefix) serviceFields.match = [{ uri: { prefix: this.options.pathPrefix } }];
    // Flagger's HTTPRoute is its own: the net's share goes to the Service <name>, which selects the primary.
    const net = this.safetyNet(scope, context, [{ service: context.name, port: context.port }]);
    const objects: { [role: string]: Construct } = { ...(gateway ? { gateway } : {}), ...net };
    if (context.strategy.kind === StrategyKind.BLUE_GREEN) {
      objects.previewRoute = this.route(scope, 'PreviewRoute', context, `${context.name}-${PREVIEW}`, [this.previewHost(context)],
        [{ service: `${context.name}-canary`, port: context.port }], this.previewParentGateway(context));
    }
    return {
      provider: 'gatewayapi:v1',
      serviceFields,
      objects,
      builtInQueries: this.metrics._flaggerQueries(this.routerSeries(context)),
      comparableSeries: this.metrics._comparableSeries(this.routerSeries(context), '{{ namespace }}', '{{ target }}-canary', '{{ target }}-primary'),
      // pkg/router/gateway_api.go Reconcile: the HTTPRoute <apex>.
      generatedObjects: [
        { kind: 'HTTPRoute', apiGroup: 'gateway.networking.k8s.io', name: context.name, role: 'HTTPRoute of the hosts', reaches: ServiceReach.WEIGHTED },
      ],
    };
  }

  /**
   * Canary: the Services `<name>-stable` and `<name>-canary` and the HTTPRoute `<name>` to both
   * (stable 100, canary 0), whose weights Argo Rollouts' Gateway API plugin sets (and to which it
   * adds the header routes' rules). Blue/green: the active Service `<name>` behind the HTTPRoute
   * `<name>`, and the preview Service `<name>-preview` behind a preview route; the controller
   * switches their selectors.
   */
  public bindArgoRollouts(scope: Construct, context: ArgoRoutingContext): ArgoRolloutsRouting {
    if (context.mirrorRoutes.length > 0) {
      fail(OWNER, `mirror route '${context.mirrorRoutes[0]}' (setMirrorRoute) is not supported: Argo Rollouts 1.9 mirrors only with Istio, and the Gateway API plugin does not mirror; use TrafficRouter.istio() to mirror traffic`);
    }
    checkDnsLabel(OWNER, 'name', context.name, 55, ", so that '<name>-stable', '<name>-canary' and '<name>-preview' are valid Service names");
    const gateway = this.createGateway(scope, context);
    const gatewayObjects: { [role: string]: Construct } = gateway ? { gateway } : {};
    const args = [{ name: NAMESPACE_ARG, value: context.namespace }];
    if (context.blueGreen) {
      const active = createRolloutService(scope, 'ActiveService', context.name, context, context.selectorLabels);
      const previewService = createRolloutService(scope, 'PreviewService', `${context.name}-${PREVIEW}`, context, context.selectorLabels);
      const httpRoute = this.route(scope, 'HttpRoute', context, context.name, this.managedHosts(context), [{ service: active.name, port: context.port }]);
      Object.assign(gatewayObjects, this.safetyNet(scope, context, [{ service: active.name, port: context.port }]));
      const previewRoute = this.route(scope, 'PreviewRoute', context, `${context.name}-${PREVIEW}`, [this.previewHost(context)],
        [{ service: previewService.name, port: context.port }], this.previewParentGateway(context));
      return {
        trafficRouting: {},
        activeService: active.name,
        previewService: previewService.name,
        queries: this.metrics._argoQueries(this.routerSeries(context), NAMESPACE_ARG, ['preview-service']),
        activeQueries: this.metrics._argoQueries(this.routerSeries(context), NAMESPACE_ARG, ['active-service', 'preview-service']),
        queryArguments: [...args, { name: 'active-service', value: active.name }, { name: 'preview-service', value: previewService.name }],
        // Before the switch the active Service still serves the old version.
        comparableSeries: this.metrics._comparableSeries(this.routerSeries(context), `{{args.${NAMESPACE_ARG}}}`, '{{args.preview-service}}', '{{args.active-service}}'),
        objects: { activeService: active, previewService, httpRoute, previewRoute, ...gatewayObjects },
      };
    }
    const { stable, canary } = createStableAndCanaryServices(scope, context, context.selectorLabels);
    const httpRoute = this.route(scope, 'HttpRoute', context, context.name, this.managedHosts(context), [
      { service: stable.name, port: context.port, weight: 100 },
      { service: canary.name, port: context.port, weight: 0 },
    ]);
    // The net's route has the stable and canary Services too: the plugin sets their weights in every
    // route it manages (httproute.go), so the canary's split applies within the net's share.
    const net = this.safetyNet(scope, context, [
      { service: stable.name, port: context.port, weight: 100 },
      { service: canary.name, port: context.port, weight: 0 },
    ]);
    // The plugin manages a route only with the stable and canary Services in it: not a staged net's.
    const routes = net.safetyNetRoute && context.safetyNet!.share > 0
      ? { httpRoutes: [{ name: httpRoute.name, useHeaderRoutes: true }, { name: `${context.name}-safety-net` }] }
      : { httpRoute: httpRoute.name };
    return {
      trafficRouting: { plugins: { [ARGO_GATEWAY_API_PLUGIN]: { ...routes, namespace: context.namespace } } },
      canaryService: canary.name,
      stableService: stable.name,
      queries: this.metrics._argoQueries(this.routerSeries(context), NAMESPACE_ARG, ['canary-service']),
      queryArguments: [...args, { name: 'canary-service', value: canary.name }, { name: 'stable-service', value: stable.name }],
      comparableSeries: this.metrics._comparableSeries(this.routerSeries(context), `{{args.${NAMESPACE_ARG}}}`, '{{args.canary-service}}', '{{args.stable-service}}'),
      objects: { stableService: stable, canaryService: canary, httpRoute, ...gatewayObjects, ...net },
    };
  }

  /** The matchers of the gateway's series: its pods' namespace, or the service's own monitor's. */
  private routerSeries(context: RoutingContext): string {
    return context.monitorScopedSeries?.routerMatchers ?? fromGatewayPods(this.gatewayNamespace(context));
  }

  private gatewayNamespace(context: RoutingContext): string {
    return this.gateway.namespace ?? context.namespace;
  }

  private parent(context: RoutingContext, gateway: GatewayApiGatewayReference = this.gateway): GatewayParent {
    return { name: gateway.name, namespace: this.gatewayNamespace(context), sectionName: gateway.sectionName };
  }

  /** The Gateway of the preview host: `previewGateway`, checked against `gateway` in its namespace (known once the service's is). */
  private previewParentGateway(context: RoutingContext): GatewayApiGatewayReference {
    const preview = this.previewGateway;
    if (!preview) return this.gateway;
    return checkPreviewParent(preview, this.gateway, this.gatewayNamespace(context));
  }

  /** The hosts the managed routing serves: the router's, or with a safety net its managed host alone. */
  private managedHosts(context: RoutingContext): string[] {
    return context.safetyNet ? [context.safetyNet.managedHost ?? `managed.${this.loadHost()}`] : [...this.options.hosts];
  }

  /**
   * The safety net: the HTTPRoute `<name>-safety-net` of the router's hosts to the live Service and
   * the managed `backends`, the managed ones taking `share` % of the traffic (weights are relative).
   */
  private safetyNet(
    scope: Construct, context: RoutingContext, backends: { service: string; port: number; weight?: number }[],
  ): { [role: string]: Construct } {
    const net = context.safetyNet;
    if (!net) return {};
    const managedWeight = backends.reduce((sum, b) => sum + (b.weight ?? 1), 0);
    // At share 0 (a staged net) nothing refers to the managed Services yet.
    const safetyNetRoute = this.route(scope, 'SafetyNetRoute', context, `${context.name}-safety-net`, [...this.options.hosts], net.share === 0
      ? [{ service: net.liveService, port: net.livePort, weight: 1 }]
      : [
        { service: net.liveService, port: net.livePort, weight: Math.round((managedWeight * (100 - net.share)) / net.share) },
        ...backends.map((b) => ({ ...b, weight: b.weight ?? 1 })),
      ]);
    return { safetyNetRoute };
  }

  /** The first host without a wildcard. */
  private loadHost(): string {
    return this.options.hosts.find((host) => !host.startsWith('*.'))!;
  }

  /**
   * What the plan must say of this router: that a preview host is on the public Gateway (also on
   * another listener of it: Istio serves every listener of a Gateway on one Service).
   * @internal
   */
  public _planNotes(context: RoutingContext): string[] {
    if (context.strategy.kind !== StrategyKind.BLUE_GREEN) return [];
    const preview = this.previewGateway === undefined ? undefined : this.previewParentGateway(context);
    const gateway = `'${this.gatewayNamespace(context)}/${this.gateway.name}'`;
    const leads = 'leads anyone who sends that Host header to the new version before the switch';
    const elsewhere = 'attach it to another Gateway, off the internet, with \'previewGateway\' (e.g. behind an internal load balancer)';
    if (preview === undefined) {
      const listener = this.gateway.sectionName === undefined ? '' : ` (listener '${this.gateway.sectionName}')`;
      return [`the preview host '${this.previewHost(context)}' is public and unauthenticated: its HTTPRoute attaches to the Gateway `
        + `${gateway}${listener} as the live hosts' does, and ${leads}; if it must not, ${elsewhere}`];
    }
    if (preview.name !== this.gateway.name) return [];
    // The namespaces agree (previewParentGateway): this is an existing live Gateway, on another listener.
    const service = `'${this.metrics._gatewayService(this.gateway.name)}'`;
    const start = `the preview host '${this.previewHost(context)}' is still public and unauthenticated: 'previewGateway' is`;
    const oneService = `its implementation (${this.metrics.implementation}) serves every listener of a Gateway on one Service, ${service}`;
    if (preview.sectionName === undefined || preview.port === this.gateway.port) {
      // Gateway API: HTTP listeners sharing a port differ by hostname alone, which the request's Host header selects.
      const which = preview.sectionName === undefined
        ? `every listener of the live hosts' Gateway ${gateway}, the live hosts' own included`
        : `the listener '${preview.sectionName}' of the live hosts' Gateway ${gateway}, on the live hosts' port ${preview.port}`;
      return [`${start} ${which}: ${oneService}, and on one port only the Host header tells listeners apart, so no port block `
        + `separates it from the live hosts, and it ${leads}; if it must not, ${elsewhere}`];
    }
    return [`${start} the listener '${preview.sectionName}' of the live hosts' Gateway ${gateway}, and ${oneService}, whose port ${preview.port} `
      + `${leads} unless that port is firewalled outside the cluster (the live hosts' port ${this.gateway.port} stays open); if it must not, ${elsewhere}`];
  }

  private previewHost(context: RoutingContext): string {
    return context.strategy.blueGreen?.previewHost ?? `${PREVIEW}.${this.loadHost()}`;
  }

  /** The Gateway of the service's namespace, created once per namespace, when the Gateway is to be created. */
  private createGateway(scope: Construct, context: RoutingContext): GatewayApiGateway | undefined {
    if (!this.gateway.created) return undefined;
    const reference = this.gateway;
    const className = this.metrics.gatewayClassName;
    return namespaceSingleton(scope, `gateway-api-${reference.name}`, context.namespace, (chart: Chart, id: string) => new GatewayApiGateway(chart, id, {
      // In a named app, the other apps of the namespace may route through it (`existing(...)`).
      metadata: { name: reference.name, namespace: context.namespace, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-canary' }, annotations: sharedObjectAnnotations(scope) },
      className,
      listenerName: reference.sectionName ?? 'http',
      port: reference.port,
    }));
  }

  private route(
    scope: Construct, id: string, context: RoutingContext, name: string, hostnames: string[],
    backends: { service: string; port: number; weight?: number }[], gateway: GatewayApiGatewayReference = this.gateway,
  ): GatewayHttpRoute {
    return new GatewayHttpRoute(scope, id, {
      metadata: { name, namespace: context.namespace, labels: context.labels },
      parents: [this.parent(context, gateway)],
      hostnames,
      pathPrefix: this.options.pathPrefix,
      backends,
    });
  }
}

/** `previewGateway` is a Gateway that exists (one created here would get a public address). */
function checkPreviewExists(preview: GatewayApiGatewayReference): GatewayApiGatewayReference {
  if (preview.created) {
    fail(OWNER, `'previewGateway' ('${preview.name}') must be a Gateway that exists (GatewayApiGatewayReference.existing()): `
      + "one created here would get a public address like 'gateway''s");
  }
  return preview;
}

/**
 * `previewGateway` is in `gateway`'s namespace (resolved: a created one's is the service's), and not
 * the listener of the live hosts: of a created `gateway`, whose one listener is theirs, no listener
 * at all (another listener of an existing one is public too: the plan says so).
 */
function checkPreviewParent(preview: GatewayApiGatewayReference, gateway: GatewayApiGatewayReference, namespace: string): GatewayApiGatewayReference {
  const named = `'previewGateway' ('${preview.namespace}/${preview.name}'${preview.sectionName === undefined ? '' : `, listener '${preview.sectionName}'`})`;
  if (preview.namespace !== namespace) {
    fail(OWNER, `'previewGateway' ('${preview.namespace}/${preview.name}') must be in the namespace of 'gateway' ('${namespace}'), `
      + 'where the checks read the gateways\' telemetry: give a Gateway of that namespace');
  }
  if (preview.name !== gateway.name) return preview;
  const liveListener = gateway.sectionName ?? 'http';
  if (gateway.created && preview.sectionName !== undefined && preview.sectionName !== liveListener) {
    // Gateway API: a parentRef whose sectionName names no listener attaches nowhere (Accepted=False, NoMatchingParent).
    fail(OWNER, `${named} names the Gateway this router creates, whose only listener is '${liveListener}' (port ${gateway.port}), `
      + `the live hosts': it has no listener '${preview.sectionName}', so the preview HTTPRoute would attach nowhere and the load tests `
      + 'would find no such port; give another Gateway, off the internet, or leave it out');
  }
  if (gateway.created || preview.sectionName === gateway.sectionName) {
    fail(OWNER, `${named} is where 'gateway' attaches the live hosts: give another Gateway, off the internet, or leave it out`);
  }
  return preview;
}

/** The first segment a request must match to reach the new version (A/B, or a phased release's first matched phase). */
function firstMatchedSegment(strategy: StrategyConfig): TrafficSegment | undefined {
  if (strategy.kind === StrategyKind.AB_TEST) return strategy.abTest!.segments[0];
  if (strategy.kind === StrategyKind.PHASED) return strategy.phases!.map((phase) => phase.segment).find((s) => s.kind === SegmentKind.MATCH);
  return undefined;
}

/** Flagger's Gateway API router matches headers and query parameters exactly or by regular expression only (gateway_api.go, mapRouteMatches). */
function checkFlaggerMatches(strategy: StrategyConfig): void {
  (strategy.abTest?.segments ?? []).forEach((segment, i) => {
    const prefix = segment.conditions.find((condition) => condition.kind === HeaderMatchKind.PREFIX);
    if (prefix) {
      fail(OWNER, `'strategy.segments[${i}]' matches '${prefix.name}' by prefix, which Flagger's Gateway API router does not support (exact or regular expression only): use HeaderMatchKind.REGEX with '^${prefix.value}'`);
    }
  });
}
