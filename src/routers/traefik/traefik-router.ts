import { Construct } from 'constructs';
import { createRolloutService, createStableAndCanaryServices } from '../rollout-services';
import { ArgoRolloutsRouting, ArgoRoutingContext, FlaggerRouting, ITrafficRouter, RouterMetrics, RoutingContext } from '../router';
import { TraefikBackendKind, TraefikIngressRoute, TraefikRouteOptions, checkRouteOptions } from './ingress-route';
import {
  ARGO_NAMESPACE_ARG, ARGO_SERVICE_PORT_ARG, FLAGGER_TRAEFIK_QUERIES, argoTraefikQueries, argoTraefikSeries, flaggerTraefikQueries,
  flaggerTraefikSeries, fromTraefikPods,
} from './queries';
import { TraefikWeightedService } from './traefik-service';
import { LoadTarget } from '../../analysis/load-test';
import { MetricKind } from '../../analysis/metric';
import { checkArguments } from '../../arguments/check-arguments';
import {
  TRAEFIK_INTERNAL_ENTRYPOINT, TRAEFIK_INTERNAL_PORT, TRAEFIK_INTERNAL_SERVICE_SUFFIX, TRAEFIK_METRICS_PORT, TRAEFIK_NAMESPACE,
  TRAEFIK_POD_LABELS, TRAEFIK_SERVICE_NAME, TRAEFIK_WEB_CONTAINER_PORT, TRAEFIK_WEB_ENTRYPOINT, TRAEFIK_WEB_SERVICE_PORT,
  TRAEFIK_WEBSECURE_CONTAINER_PORT, TRAEFIK_WEBSECURE_ENTRYPOINT, TRAEFIK_WEBSECURE_SERVICE_PORT, serviceAddress,
} from '../../platform/conventions';
import { ServiceReach } from '../../references/topology';
import { StrategyKind } from '../../strategy/delivery-strategy';
import { shippedSupport } from '../../strategy/support-matrix';
import { TrafficFeature } from '../../strategy/traffic-feature';
import { checkDnsLabel, checkPort, fail } from '../../validation';

/** Options for `TrafficRouter.traefik()`. */
export interface TraefikRouterOptions extends TraefikRouteOptions {
  /**
   * Namespace Traefik runs in; its pods are scraped there for metrics, and load tests go through its
   * Service there.
   *
   * @default 'traefik'
   */
  readonly namespace?: string;
  /**
   * Name of Traefik's Service (the Helm chart names it after the release). Typed load tests send
   * their requests through it, on the port of the `web` entryPoint (80), or of `websecure` (443)
   * when the route listens only there.
   *
   * @default 'traefik'
   */
  readonly serviceName?: string;
  /**
   * The entryPoints the preview host (blue/green) listens on. It leads to the new version before it
   * is live and has no authentication, so by default only the internal entryPoint serves it, which
   * the platform layer exposes on the ClusterIP Service `<serviceName>-internal` alone: the load
   * tests reach it from inside the cluster, the internet does not. Give the public entryPoints
   * (e.g. `['web']`) to publish it.
   *
   * @default ['internal']
   */
  readonly previewEntryPoints?: string[];
  /**
   * Name of the ClusterIP Service of Traefik's `internal` entryPoint, which typed load tests call
   * when the preview host listens there. The platform layer (`CanaryPlatform`, `FluxPlatform`)
   * creates the entryPoint and this Service; for a Traefik installed otherwise, add both (the Helm
   * chart's `ports.internal` with `expose.internal`, and `service.additionalServices.internal`) and
   * name the Service here if it is called otherwise.
   *
   * @default - `<serviceName>-internal`
   */
  readonly internalServiceName?: string;
  /**
   * Port of the `internal` entryPoint, on its Service and on Traefik's pods alike (the load tests'
   * NetworkPolicy allows it on the pods).
   *
   * @default 8001
   */
  readonly internalPort?: number;
  /**
   * The port Traefik's pods serve their metrics on at `/metrics`: the Helm chart's
   * `ports.metrics.port` (9100), where Traefik listens (`--entryPoints.metrics.address=:<port>`,
   * traefik-helm-chart v41.3.0 traefik/templates/_podtemplate.tpl:223). The embedded Prometheus's
   * router job and the Prometheus Operator's router PodMonitor scrape the pods' container port of
   * that number, and the embedded Prometheus's NetworkPolicy allows it: the pods must declare it,
   * which the chart does (`containerPort: <ports.metrics.containerPort, by default
   * ports.metrics.port>`, _podtemplate.tpl:122), so leave `ports.metrics.containerPort` unset or
   * equal to `ports.metrics.port`. The platform layer (`CanaryPlatform`, `FluxPlatform`) installs
   * Traefik with `ports.metrics.port: 9100`; nothing ties it to this value: another port needs the
   * platform's Traefik values (`traefik.values`) changed too, as the plan says.
   *
   * @default 9100
   */
  readonly metricsPort?: number;
}

const OWNER = 'TrafficRouter.traefik()';
const ARGO_WEIGHTED_ONLY = 'Traefik supports only weighted steps with Argo Rollouts (setWeight, setCanaryScale, pause, analysis)';
const PREVIEW = 'preview';

/**
 * Where a known entryPoint is served: the port on Traefik's Service (the internal entryPoint has a
 * Service of its own) and on its pods, and TLS.
 */
interface EntryPointPorts { readonly service: number; readonly container: number; readonly tls: boolean; readonly serviceName?: string }

/**
 * Traefik v3 (`traefik.io/v1alpha1`). Weighted canaries only: no header matching, mirroring or
 * session affinity, with Flagger or Argo Rollouts.
 */
export class TraefikRouter implements ITrafficRouter {
  public readonly name = 'traefik';
  /**
   * Its routing and queries never read the context's probe paths (finding them renders the Deployment).
   * @internal
   */
  public readonly _readsProbePaths = false;
  public readonly podLabels: { [key: string]: string } = {};
  /** The route options every service gets. */
  public readonly options: TraefikRouterOptions;
  /** Namespace Traefik runs in. */
  public readonly namespace: string;
  /** Name of Traefik's Service. */
  public readonly serviceName: string;
  /** Name of the Service of Traefik's `internal` entryPoint. */
  public readonly internalServiceName: string;
  /** Port of the `internal` entryPoint. */
  public readonly internalPort: number;
  /** The container port of Traefik's metrics. */
  public readonly metricsPort: number;
  private readonly entryPointPorts: { [entryPoint: string]: EntryPointPorts };

  public constructor(options: TraefikRouterOptions) {
    checkArguments('TraefikRouter.new', [options], OWNER);
    checkRouteOptions(OWNER, options);
    this.namespace = checkDnsLabel(OWNER, 'namespace', options.namespace ?? TRAEFIK_NAMESPACE);
    this.serviceName = checkDnsLabel(OWNER, 'serviceName', options.serviceName ?? TRAEFIK_SERVICE_NAME);
    this.internalServiceName = checkDnsLabel(OWNER, 'internalServiceName', options.internalServiceName ?? `${this.serviceName}${TRAEFIK_INTERNAL_SERVICE_SUFFIX}`);
    this.internalPort = checkPort(OWNER, 'internalPort', options.internalPort ?? TRAEFIK_INTERNAL_PORT);
    this.metricsPort = checkPort(OWNER, 'metricsPort', options.metricsPort ?? TRAEFIK_METRICS_PORT);
    this.entryPointPorts = {
      [TRAEFIK_WEB_ENTRYPOINT]: { service: TRAEFIK_WEB_SERVICE_PORT, container: TRAEFIK_WEB_CONTAINER_PORT, tls: false },
      [TRAEFIK_WEBSECURE_ENTRYPOINT]: { service: TRAEFIK_WEBSECURE_SERVICE_PORT, container: TRAEFIK_WEBSECURE_CONTAINER_PORT, tls: true },
      [TRAEFIK_INTERNAL_ENTRYPOINT]: { service: this.internalPort, container: this.internalPort, tls: false, serviceName: this.internalServiceName },
    };
    if (options.previewEntryPoints !== undefined) {
      if (options.previewEntryPoints.length === 0) fail(OWNER, "'previewEntryPoints' ([]) must name at least one entryPoint, e.g. ['internal']");
      checkRouteOptions(OWNER, { hosts: options.hosts, entryPoints: options.previewEntryPoints });
    }
    this.options = options;
  }

  public supports(engine: string, feature: TrafficFeature): boolean {
    return shippedSupport(this.name, engine, feature);
  }

  /**
   * Through Traefik's Service with a routed host: Traefik records `traefik_service_*` only for
   * requests it routes, and routes by the Host header (Flagger's Traefik tutorial does the same:
   * `hey -host app.example.com http://traefik.traefik`). Blue/green: the preview host, whose route
   * leads to the new version before the switch.
   */
  public loadTarget(context: RoutingContext): LoadTarget {
    const blueGreen = context.strategy.kind === StrategyKind.BLUE_GREEN;
    // Blue/green's load goes to the preview host, on the entryPoints it listens on (the internal one by default).
    const entryPoints = blueGreen ? this.previewEntryPoints : this.options.entryPoints ?? [TRAEFIK_WEB_ENTRYPOINT];
    const entryPoint = entryPoints.find((e) => e === TRAEFIK_WEB_ENTRYPOINT) ?? entryPoints.find((e) => this.entryPointPorts[e] !== undefined);
    const ports = entryPoint === undefined ? undefined : this.entryPointPorts[entryPoint];
    const address = ports && serviceAddress(ports.serviceName ?? this.serviceName, this.namespace, ports.service);
    const measured = blueGreen ? `${context.name}-${context.engine === 'flagger' ? 'canary' : PREVIEW}` : `${context.name}-canary`;
    return {
      url: address && ports.tls ? address.replace(/^http:/, 'https:') : address,
      urlUnknown: ports ? undefined : `a typed load test needs to know which port of the Service '${this.serviceName}' serves the entryPoints ${entryPoints.map((e) => `'${e}'`).join(', ')}; only '${TRAEFIK_WEB_ENTRYPOINT}' (port ${TRAEFIK_WEB_SERVICE_PORT}), '${TRAEFIK_WEBSECURE_ENTRYPOINT}' (port ${TRAEFIK_WEBSECURE_SERVICE_PORT}) and '${TRAEFIK_INTERNAL_ENTRYPOINT}' (port ${this.internalPort} of '${this.internalServiceName}') are known: add one of them to the router's 'entryPoints', or give the load test a 'command' that goes through Traefik with the routed host`,
      host: blueGreen ? this.previewHost(context) : this.managedHosts(context)[0],
      pathPrefix: this.options.pathPrefix,
      measuredAtIngress: true,
      bypassedServices: [context.name, `${context.name}-canary`, `${context.name}-primary`, `${context.name}-stable`, `${context.name}-${PREVIEW}`],
      reason: `Traefik records the new version's series (traefik_service_*{service="${context.namespace}-${measured}-${context.port}@kubernetescrd"}) only for requests it routes, and it routes by the Host header.`,
      egress: ports ? [{ namespace: this.namespace, podLabels: { ...TRAEFIK_POD_LABELS }, ports: [ports.container] }] : [],
    };
  }

  /** The series of this service's Services in Traefik's TraefikServices; nothing else of Traefik's. */
  public routerMetrics(context: RoutingContext): RouterMetrics[] {
    return [{
      namespace: this.namespace,
      metricNames: 'traefik_service_.+',
      serviceLabel: 'service',
      serviceValues: `${context.namespace}-${context.name}(-canary|-primary|-stable|-${PREVIEW})?-${context.port}@kubernetescrd`,
      podLabels: { ...TRAEFIK_POD_LABELS },
      // The chart's container port `metrics` (ports.metrics.port), with or without its prometheus.io annotations.
      metricsPort: this.metricsPort,
      metricsPortDeclared: true,
    }];
  }

  public builtInQuery(kind: MetricKind): string {
    return FLAGGER_TRAEFIK_QUERIES[kind] ?? fail(OWNER, `there is no built-in query for ${kind}`);
  }

  /**
   * Flagger generates the TraefikService `<name>` that splits traffic between `<name>-primary` and
   * `<name>-canary`; we only route to it. Blue/green: Flagger keeps the canary at weight 0 until
   * the switch, so a preview route (the TraefikService `<name>-preview` with `<name>-canary` in it,
   * on the preview host) lets the load test reach the canary through Traefik, where Flagger's
   * queries find it (`<ns>-<name>-canary-<port>@kubernetescrd`).
   */
  public bindFlagger(scope: Construct, context: RoutingContext): FlaggerRouting {
    const ingressRoute = this.routeToTraefikService(scope, 'IngressRoute', context, context.name, this.managedHosts(context));
    const net = this.safetyNet(scope, context, context.name, true);
    const preview = context.strategy.kind === StrategyKind.BLUE_GREEN ? this.previewRoute(scope, context, `${context.name}-canary`) : {};
    const scoped = context.monitorScopedSeries?.routerMatchers;
    return {
      provider: 'traefik',
      objects: { ingressRoute, ...preview, ...net },
      // Flagger's own queries select no namespace or job: a Prometheus that labels the router's
      // series with the service's monitor gets them as MetricTemplates that select it.
      builtInQueries: scoped === undefined ? undefined : flaggerTraefikQueries(scoped),
      comparableSeries: flaggerTraefikSeries(scoped),
      // pkg/router/traefik.go Reconcile: the TraefikService <apex>, once the primary is ready.
      generatedObjects: [{ kind: 'TraefikService', apiGroup: 'traefik.io', name: context.name, role: 'weighted TraefikService', reaches: ServiceReach.WEIGHTED }],
    };
  }

  /**
   * Canary: the Services `<name>-stable` and `<name>-canary`, the TraefikService `<name>` that
   * balances between them (without weights, which the controller writes), and the IngressRoute
   * `<name>` to it. Blue/green: the active Service `<name>` behind the TraefikService `<name>`, and
   * the preview Service `<name>-preview` behind a preview route; the controller switches their
   * selectors, so no weights are involved.
   */
  public bindArgoRollouts(scope: Construct, context: ArgoRoutingContext): ArgoRolloutsRouting {
    if (context.headerRoutes.length > 0) {
      fail(OWNER, `header route '${context.headerRoutes[0]}' (setHeaderRoute) is not supported: ${ARGO_WEIGHTED_ONLY}; use TrafficRouter.istio() to route by header`);
    }
    if (context.mirrorRoutes.length > 0) {
      fail(OWNER, `mirror route '${context.mirrorRoutes[0]}' (setMirrorRoute) is not supported: ${ARGO_WEIGHTED_ONLY}; use TrafficRouter.istio() to mirror traffic`);
    }
    checkDnsLabel(OWNER, 'name', context.name, 55, ", so that '<name>-stable', '<name>-canary' and '<name>-preview' are valid Service names");
    const series = this.routerSeries(context);
    const args = [{ name: ARGO_NAMESPACE_ARG, value: context.namespace }, { name: ARGO_SERVICE_PORT_ARG, value: String(context.port) }];
    if (context.blueGreen) {
      const active = createRolloutService(scope, 'ActiveService', context.name, context, context.selectorLabels);
      const previewService = createRolloutService(scope, 'PreviewService', `${context.name}-${PREVIEW}`, context, context.selectorLabels);
      const traefikService = new TraefikWeightedService(scope, 'TraefikService', {
        metadata: { name: context.name, namespace: context.namespace, labels: context.labels },
        services: [{ name: active.name, port: context.port }],
      });
      const ingressRoute = this.routeToTraefikService(scope, 'IngressRoute', context, traefikService.name, this.managedHosts(context));
      const preview = { ...this.previewRoute(scope, context, previewService.name), ...this.safetyNet(scope, context, traefikService.name) };
      return {
        trafficRouting: {},
        activeService: active.name,
        previewService: previewService.name,
        queries: argoTraefikQueries(series, ['preview-service']),
        // After the switch both Services select the new version: the live traffic and the load.
        activeQueries: argoTraefikQueries(series, ['active-service', 'preview-service']),
        queryArguments: [...args, { name: 'active-service', value: active.name }, { name: 'preview-service', value: previewService.name }],
        // Before the switch the active Service still serves the old version.
        comparableSeries: argoTraefikSeries(series, 'preview-service', 'active-service'),
        objects: { activeService: active, previewService, traefikService, ingressRoute, ...preview },
      };
    }
    const { stable, canary } = createStableAndCanaryServices(scope, context, context.selectorLabels);
    const traefikService = new TraefikWeightedService(scope, 'TraefikService', {
      metadata: { name: context.name, namespace: context.namespace, labels: context.labels },
      services: [stable, canary].map((service) => ({ name: service.name, port: context.port })),
    });
    const ingressRoute = this.routeToTraefikService(scope, 'IngressRoute', context, traefikService.name, this.managedHosts(context));
    const net = this.safetyNet(scope, context, traefikService.name);
    return {
      trafficRouting: { traefik: { weightedTraefikServiceName: traefikService.name } },
      canaryService: canary.name,
      stableService: stable.name,
      queries: argoTraefikQueries(series, ['canary-service']),
      queryArguments: [...args, { name: 'canary-service', value: canary.name }, { name: 'stable-service', value: stable.name }],
      comparableSeries: argoTraefikSeries(series, 'canary-service', 'stable-service'),
      objects: { stableService: stable, canaryService: canary, traefikService, ingressRoute, ...net },
    };
  }

  /** The matchers of Traefik's series of this service: its pods' namespace, or the service's own monitor's. */
  private routerSeries(context: RoutingContext): string {
    return context.monitorScopedSeries?.routerMatchers ?? fromTraefikPods(this.namespace);
  }

  private previewHost(context: RoutingContext): string {
    return context.strategy.blueGreen?.previewHost ?? `${PREVIEW}.${this.options.hosts[0]}`;
  }

  /** The hosts the managed routing serves: the router's, or with a safety net its managed host alone. */
  private managedHosts(context: RoutingContext): string[] {
    return context.safetyNet ? [context.safetyNet.managedHost ?? `managed.${this.options.hosts[0]}`] : this.options.hosts;
  }

  /**
   * The safety net: the TraefikService `<name>-safety-net` that sends `share` % to the managed
   * TraefikService (whose own split, Flagger's or Argo Rollouts', applies within it) and the rest to
   * the live Service, and the IngressRoute `<name>-safety-net` of the router's hosts to it.
   *
   * Traefik fails a weighted TraefikService whole when one child is missing (pkg/server/service
   * getWRRServiceHandler) and then leaves its router out (pkg/server/router buildEntryPointHandler),
   * and Flagger creates its TraefikService only once the primary is ready. So when the managed
   * TraefikService is the controller's (`generatedLater`), a fallback IngressRoute
   * `<name>-safety-net-fallback` of the same hosts, at the lowest priority, sends them to the live
   * Service until the net's own route can be built.
   */
  private safetyNet(scope: Construct, context: RoutingContext, managed: string, generatedLater = false): { [role: string]: Construct } {
    const net = context.safetyNet;
    if (!net) return {};
    const name = `${context.name}-safety-net`;
    const safetyNetService = new TraefikWeightedService(scope, 'SafetyNetTraefikService', {
      metadata: { name, namespace: context.namespace, labels: context.labels },
      services: [
        { name: net.liveService, port: net.livePort, weight: 100 - net.share },
        // At share 0 (a staged net) nothing refers to the managed TraefikService yet.
        ...(net.share > 0 ? [{ name: managed, port: context.port, weight: net.share, kind: TraefikBackendKind.TRAEFIK_SERVICE }] : []),
      ],
    });
    const safetyNetRoute = this.routeToTraefikService(scope, 'SafetyNetIngressRoute', { ...context, name }, safetyNetService.name, this.options.hosts);
    if (!generatedLater || net.share === 0) return { safetyNetService, safetyNetRoute };
    const safetyNetFallbackRoute = new TraefikIngressRoute(scope, 'SafetyNetFallbackIngressRoute', {
      ...this.options,
      metadata: { name: `${name}-fallback`, namespace: context.namespace, labels: context.labels },
      backendName: net.liveService,
      backendKind: TraefikBackendKind.SERVICE,
      backendPort: net.livePort,
      priority: 1,
    });
    return { safetyNetService, safetyNetRoute, safetyNetFallbackRoute };
  }

  /** The TraefikService `<name>-preview` with `service` in it, and the IngressRoute `<name>-preview` to it on the preview host. */
  private previewRoute(scope: Construct, context: RoutingContext, service: string): { [role: string]: Construct } {
    const previewTraefikService = new TraefikWeightedService(scope, 'PreviewTraefikService', {
      metadata: { name: `${context.name}-${PREVIEW}`, namespace: context.namespace, labels: context.labels },
      services: [{ name: service, port: context.port }],
    });
    const previewRoute = this.routeToTraefikService(scope, 'PreviewIngressRoute', { ...context, name: `${context.name}-${PREVIEW}` },
      previewTraefikService.name, [this.previewHost(context)], this.previewEntryPoints);
    return { previewTraefikService, previewRoute };
  }

  /**
   * What the plan must say of this router: that the preview host's internal entryPoint exists only
   * where the platform layer installed Traefik.
   * @internal
   */
  public _planNotes(context: RoutingContext): string[] {
    const notes = this.metricsPort === TRAEFIK_METRICS_PORT ? [] : [`Traefik's metrics are scraped on port ${this.metricsPort} ('metricsPort'): Traefik must listen there `
      + '(the chart\'s \'ports.metrics.port\', with \'ports.metrics.containerPort\' unset or equal); the platform layer (CanaryPlatform, FluxPlatform) installs Traefik '
      + `with 'ports.metrics.port: ${TRAEFIK_METRICS_PORT}', so set ${this.metricsPort} there too ('traefik.values'), or the router's checks find no series`];
    if (context.strategy.kind !== StrategyKind.BLUE_GREEN || !this.previewEntryPoints.includes(TRAEFIK_INTERNAL_ENTRYPOINT)) return notes;
    return [...notes, `the preview host '${this.previewHost(context)}' listens on Traefik's entryPoint '${TRAEFIK_INTERNAL_ENTRYPOINT}', and the load tests reach it through `
      + `the Service '${this.namespace}/${this.internalServiceName}' on port ${this.internalPort}: the platform layer (CanaryPlatform, FluxPlatform) installs Traefik with both; `
      + `for a Traefik installed otherwise, add the entryPoint (port ${this.internalPort}) and its ClusterIP Service, name yours with 'internalServiceName' and 'internalPort', `
      + "or publish the preview host with 'previewEntryPoints' (e.g. ['web']), or Traefik serves no preview route and the load tests fail"];
  }

  /** The entryPoints of the preview host: the internal one unless told otherwise. */
  private get previewEntryPoints(): string[] {
    return this.options.previewEntryPoints ?? [TRAEFIK_INTERNAL_ENTRYPOINT];
  }

  /**
   * The IngressRoute `<name>` to a TraefikService. Traefik ignores the port of a TraefikService
   * backend (only a Kubernetes Service has ports); it is the service port, as in Flagger's docs.
   */
  private routeToTraefikService(
    scope: Construct, id: string, context: RoutingContext, traefikServiceName: string, hosts: string[], entryPoints = this.options.entryPoints,
  ): TraefikIngressRoute {
    // The internal entryPoint speaks plain HTTP inside the cluster: a TLS router there would match nothing.
    const plainOnly = entryPoints !== undefined && entryPoints.every((e) => e === TRAEFIK_INTERNAL_ENTRYPOINT);
    return new TraefikIngressRoute(scope, id, {
      ...this.options,
      ...(plainOnly ? { tlsSecretName: undefined } : {}),
      entryPoints,
      hosts,
      metadata: { name: context.name, namespace: context.namespace, labels: context.labels },
      backendName: traefikServiceName,
      backendKind: TraefikBackendKind.TRAEFIK_SERVICE,
      backendPort: context.port,
    });
  }
}
