import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { IstioGateway, IstioGatewayOptions, checkGatewayOptions } from './istio-gateway';
import {
  IstioDestinationRule, IstioHttpRoute, IstioRetries, IstioVirtualService,
  checkGatewayName, checkIstioHost, checkRetries, toIstioDuration, toIstioRetries,
} from './istio-virtual-service';
import { createRolloutService, createStableAndCanaryServices } from './rollout-services';
import { ArgoRolloutsRouting, ArgoRoutingContext, FlaggerRouting, ITrafficRouter, RouterCapabilities, RoutingContext } from './router';
import { MetricKind } from '../analysis/metric';
import { ISTIO_NAMESPACE } from '../platform/conventions';
import { checkDnsLabel, checkUniqueNames, checkWholeSeconds, fail } from '../validation';

/** How Argo Rollouts splits traffic with Istio. */
export enum IstioRoutingMode {
  /**
   * Subset-level: one Service `<name>` and a DestinationRule with `stable` and `canary` subsets, which
   * Argo Rollouts points at the two ReplicaSets. Needs `version` on the service, so that Istio's
   * metrics can tell the canary's pods from the stable ones.
   */
  SUBSET = 'SUBSET',
  /** Host-level: the Services `<name>-stable` and `<name>-canary` (plus `<name>` for clients). */
  HOST = 'HOST',
}

/** Options for `TrafficRouter.istio()`. */
export interface IstioRouterOptions {
  /**
   * External host names (`podinfo.example.com`, `*.example.com`) routed to the service, besides the
   * service's own name.
   *
   * @default - mesh-internal only: the service name is the only host, and no Gateway is created
   */
  readonly hosts?: string[];
  /**
   * The Gateway the hosts are served through.
   *
   * @default - with `hosts`, `IstioGatewayReference.create()`: a Gateway `<name>` in the service's
   * namespace (selector `istio: ingressgateway`, port 80 HTTP, those hosts); without, none
   */
  readonly gateway?: IstioGatewayReference;
  /**
   * How Argo Rollouts splits traffic (Flagger always generates its own host-level routing).
   *
   * @default IstioRoutingMode.SUBSET
   */
  readonly routingMode?: IstioRoutingMode;
  /**
   * Retry policy of the route.
   *
   * @default - Istio's default retry policy
   */
  readonly retries?: IstioRetries;
  /**
   * Timeout of a request (whole seconds).
   *
   * @default - no timeout
   */
  readonly timeout?: Duration;
  /**
   * Namespace istiod and the ingress gateway run in (a TLS Secret of a created Gateway must be there).
   *
   * @default 'istio-system'
   */
  readonly meshNamespace?: string;
}

/** Which Istio Gateway the service's hosts are served through: a new one, an existing one, or none. */
export class IstioGatewayReference {
  /** Creates a Gateway `<name>` in the service's namespace for the router's `hosts`. */
  public static create(options: IstioGatewayOptions = {}): IstioGatewayReference {
    checkGatewayOptions('IstioGatewayReference.create()', options);
    return new IstioGatewayReference(undefined, { ...options });
  }

  /** Uses a Gateway that exists, named `<namespace>/<name>` (e.g. `istio-system/public-gateway`). */
  public static existing(reference: string): IstioGatewayReference {
    checkGatewayName('IstioGatewayReference.existing()', 'reference', reference, false);
    return new IstioGatewayReference(reference, undefined);
  }

  /** No Gateway: only in-mesh clients (sidecars) are routed. */
  public static meshOnly(): IstioGatewayReference {
    return new IstioGatewayReference(undefined, undefined);
  }

  /**
   * `<namespace>/<name>` of the existing Gateway.
   *
   * @default - a Gateway is created, or none is used
   */
  public readonly reference?: string;
  /**
   * Options of the Gateway to create.
   *
   * @default - no Gateway is created
   */
  public readonly createOptions?: IstioGatewayOptions;

  private constructor(reference: string | undefined, createOptions: IstioGatewayOptions | undefined) {
    this.reference = reference;
    this.createOptions = createOptions;
  }
}

/** The name of the one HTTP route of the VirtualService (Argo Rollouts), listed in `trafficRouting.istio.virtualService.routes`. */
const PRIMARY_ROUTE = 'primary';
const STABLE_SUBSET = 'stable';
const CANARY_SUBSET = 'canary';

// Flagger's own queries for provider `istio` (pkg/metrics/observers/istio.go), as reported by the
// destination's sidecar: the canary Deployment `<target>` is its own workload.
const WORKLOAD = 'reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"';
const ISTIO_QUERIES: { [kind: string]: string } = {
  [MetricKind.REQUEST_SUCCESS_RATE]:
    `sum(rate(istio_requests_total{${WORKLOAD},response_code!~"5.*"}[{{ interval }}])) / `
    + `sum(rate(istio_requests_total{${WORKLOAD}}[{{ interval }}])) * 100`,
  [MetricKind.REQUEST_DURATION]:
    `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${WORKLOAD}}[{{ interval }}])) by (le))`,
};

/** Argo Rollouts queries (success rate as a ratio 0-1, P99 duration in ms) over requests matching `selector`. */
function argoQueries(selector: string): { [kind: string]: string } {
  return {
    [MetricKind.REQUEST_SUCCESS_RATE]:
      `sum(rate(istio_requests_total{${selector},response_code!~"5.*"}[{{ interval }}])) / `
      + `sum(rate(istio_requests_total{${selector}}[{{ interval }}]))`,
    [MetricKind.REQUEST_DURATION]:
      `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${selector}}[{{ interval }}])) by (le))`,
  };
}

// Host-level: the canary Service is what the client's proxy routed to (the mTLS SNI names it).
const CANARY_SERVICE = 'reporter="destination",destination_service_namespace="{{args.namespace}}",destination_service_name="{{args.canary-service}}"';
// Subset-level: stable and canary pods share the Service and the workload name; the version
// (`app.kubernetes.io/version`, Istio's canonical revision) tells them apart.
const CANARY_REVISION = 'reporter="destination",destination_workload_namespace="{{args.namespace}}",destination_service_name="{{args.service-name}}",destination_canonical_revision="{{args.canary-revision}}"';

/**
 * Istio (`networking.istio.io/v1`). Weighted canaries, header matching (A/B testing), mirroring and
 * session affinity. The service's namespace must be labelled for sidecar injection
 * (`istio-injection=enabled`); its sidecars expose the metrics, so no other namespace is scraped.
 */
export class IstioRouter implements ITrafficRouter {
  public readonly name = 'istio';
  public readonly capabilities: RouterCapabilities = { headerMatch: true, mirroring: true, sessionAffinity: true };
  public readonly metricsNamespaces: string[] = [];
  /** The options every service gets. */
  public readonly options: IstioRouterOptions;
  /** The Gateway the hosts are served through (the default resolved). */
  public readonly gateway: IstioGatewayReference;
  /** How Argo Rollouts splits traffic. */
  public readonly routingMode: IstioRoutingMode;
  /** Namespace istiod and the ingress gateway run in. */
  public readonly meshNamespace: string;

  private readonly owner = 'TrafficRouter.istio()';

  public constructor(options: IstioRouterOptions = {}) {
    const owner = this.owner;
    const hosts = options.hosts ?? [];
    hosts.forEach((host, i) => checkIstioHost(owner, `hosts[${i}]`, host));
    checkUniqueNames(owner, 'hosts', hosts);
    if (options.retries !== undefined) checkRetries(owner, 'retries', options.retries);
    if (options.timeout !== undefined) checkWholeSeconds(owner, 'timeout', options.timeout, 1);
    this.meshNamespace = checkDnsLabel(owner, 'meshNamespace', options.meshNamespace ?? ISTIO_NAMESPACE);
    this.gateway = options.gateway ?? (hosts.length ? IstioGatewayReference.create() : IstioGatewayReference.meshOnly());
    if (this.gateway.createOptions && hosts.length === 0) {
      fail(owner, "'gateway' creates a Gateway, which needs 'hosts' to serve: set 'hosts', or use IstioGatewayReference.existing() or IstioGatewayReference.meshOnly()");
    }
    this.routingMode = options.routingMode ?? IstioRoutingMode.SUBSET;
    this.options = options;
  }

  public builtInQuery(kind: MetricKind): string {
    return ISTIO_QUERIES[kind] ?? fail(this.owner, `there is no built-in query for ${kind}`);
  }

  /**
   * Flagger generates the VirtualService `<name>` and the DestinationRules `<name>-primary` and
   * `<name>-canary` itself; we create only the Gateway (when one is to be created) and fill the
   * Canary's `service` fields: `gateways` (the Gateway plus `mesh`; Flagger routes only `mesh` when
   * the list is empty), `hosts`, `retries`, `timeout`.
   */
  public bindFlagger(scope: Construct, context: RoutingContext): FlaggerRouting {
    const gateway = this.createGateway(scope, context);
    const gateways = this.gatewayNames(gateway);
    const serviceFields: { [key: string]: any } = {};
    if (gateways) serviceFields.gateways = gateways;
    if (this.options.hosts?.length) serviceFields.hosts = [...this.options.hosts];
    if (this.options.retries) serviceFields.retries = toIstioRetries(this.options.retries);
    if (this.options.timeout) serviceFields.timeout = toIstioDuration(this.options.timeout);
    return {
      provider: 'istio',
      serviceFields,
      objects: gateway ? { gateway } : {},
    };
  }

  /**
   * Creates the Services, the VirtualService `<name>` with one HTTP route `primary` (stable 100,
   * canary 0; Argo Rollouts rewrites the weights, so Argo CD needs `ignoreDifferences` on them),
   * the DestinationRule `<name>` in subset mode, and the Gateway when one is to be created.
   * Header and mirror routes (`setHeaderRoute`, `setMirrorRoute`) are added to the VirtualService
   * by Argo Rollouts at run time.
   */
  public bindArgoRollouts(scope: Construct, context: ArgoRoutingContext): ArgoRolloutsRouting {
    const owner = `CanaryService '${context.name}'`;
    for (const [kind, names] of [['header', context.headerRoutes], ['mirror', context.mirrorRoutes]] as const) {
      if (names.includes(PRIMARY_ROUTE)) {
        fail(owner, `the ${kind} route name '${PRIMARY_ROUTE}' is taken by the weighted route of the Istio VirtualService; choose another name`);
      }
    }
    const subset = this.routingMode === IstioRoutingMode.SUBSET;
    if (subset && context.version === undefined) {
      fail(owner, "Istio subset routing cannot tell canary pods from stable ones in Istio's metrics without a version: set 'version' on the service (it becomes the app.kubernetes.io/version pod label, which Istio reports as destination_canonical_revision), or use routingMode IstioRoutingMode.HOST");
    }

    const name = context.name;
    const labels = context.labels;
    const gateway = this.createGateway(scope, context);
    const service = createRolloutService(scope, 'Service', name, context, context.selectorLabels);
    const hosts = [name, ...(this.options.hosts ?? []).filter((host) => host !== name)];
    const route = (destinations: IstioHttpRoute['destinations']): IstioHttpRoute => ({
      name: PRIMARY_ROUTE,
      destinations,
      retries: this.options.retries,
      timeout: this.options.timeout,
    });

    if (subset) {
      const destinationRule = new IstioDestinationRule(scope, 'DestinationRule', {
        metadata: { name, namespace: context.namespace, labels },
        host: name,
        subsets: [
          { name: STABLE_SUBSET, labels: { ...context.selectorLabels } },
          { name: CANARY_SUBSET, labels: { ...context.selectorLabels } },
        ],
      });
      const virtualService = new IstioVirtualService(scope, 'VirtualService', {
        metadata: { name, namespace: context.namespace, labels },
        hosts,
        gateways: this.gatewayNames(gateway),
        httpRoutes: [route([
          { host: name, subset: STABLE_SUBSET, port: context.port, weight: 100 },
          { host: name, subset: CANARY_SUBSET, port: context.port, weight: 0 },
        ])],
      });
      return {
        trafficRouting: {
          istio: {
            virtualService: { name: virtualService.name, routes: [PRIMARY_ROUTE] },
            destinationRule: { name: destinationRule.name, canarySubsetName: CANARY_SUBSET, stableSubsetName: STABLE_SUBSET },
          },
        },
        queries: argoQueries(CANARY_REVISION),
        queryArguments: [
          { name: 'namespace', value: context.namespace },
          { name: 'service-name', value: name },
          { name: 'canary-revision', value: context.version! },
        ],
        objects: { service, destinationRule, virtualService, ...(gateway ? { gateway } : {}) },
      };
    }

    checkDnsLabel(owner, 'name', name, 56, ", so that '<name>-stable' and '<name>-canary' are valid Service names");
    const { stable, canary } = createStableAndCanaryServices(scope, context, context.selectorLabels);
    const virtualService = new IstioVirtualService(scope, 'VirtualService', {
      metadata: { name, namespace: context.namespace, labels },
      hosts,
      gateways: this.gatewayNames(gateway),
      httpRoutes: [route([
        { host: stable.name, port: context.port, weight: 100 },
        { host: canary.name, port: context.port, weight: 0 },
      ])],
    });
    return {
      trafficRouting: { istio: { virtualService: { name: virtualService.name, routes: [PRIMARY_ROUTE] } } },
      canaryService: canary.name,
      stableService: stable.name,
      queries: argoQueries(CANARY_SERVICE),
      queryArguments: [
        { name: 'namespace', value: context.namespace },
        { name: 'canary-service', value: canary.name },
      ],
      objects: { service, stableService: stable, canaryService: canary, virtualService, ...(gateway ? { gateway } : {}) },
    };
  }

  private createGateway(scope: Construct, context: RoutingContext): IstioGateway | undefined {
    const createOptions = this.gateway.createOptions;
    if (!createOptions) return undefined;
    return new IstioGateway(scope, 'Gateway', {
      ...createOptions,
      metadata: { name: context.name, namespace: context.namespace, labels: context.labels },
      hosts: [...this.options.hosts!],
    });
  }

  /** The VirtualService's gateways: the Gateway and `mesh`, or none (Istio's default, `mesh`) without a Gateway. */
  private gatewayNames(created: IstioGateway | undefined): string[] | undefined {
    const reference = created?.reference ?? this.gateway.reference;
    return reference ? [reference, 'mesh'] : undefined;
  }
}
