import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { IstioGateway, IstioGatewayOptions, checkGatewayOptions } from './gateway';
import {
  IstioDestinationRule, IstioHttpRoute, IstioRetries, IstioVirtualService,
  checkGatewayName, checkIstioHost, checkRetries, toIstioDuration, toIstioRetries,
} from './virtual-service';
import { ComparableSeries } from '../../analysis/comparison';
import { LoadBaseline, LoadTarget } from '../../analysis/load-test';
import { MetricKind } from '../../analysis/metric';
import { checkArguments } from '../../arguments/check-arguments';
import { ISTIO_NAMESPACE, POD_METRICS_JOB, serviceAddress } from '../../platform/conventions';
import { ServiceReach } from '../../references/topology';
import { StrategyKind } from '../../strategy/delivery-strategy';
import { shippedSupport } from '../../strategy/support-matrix';
import { TrafficFeature } from '../../strategy/traffic-feature';
import { checkDnsLabel, checkUniqueNames, checkWholeSeconds, fail } from '../../validation';
import { ServiceProtocol } from '../../workload/protocol';
import { createRolloutService, createStableAndCanaryServices } from '../rollout-services';
import {
  ArgoRolloutsRouting, ArgoRoutingContext, FlaggerRouting, ITrafficRouter, PodTemplateHash, RouterMetrics, RoutingContext,
} from '../router';

/** How Argo Rollouts splits traffic with Istio. */
export enum IstioRoutingMode {
  /**
   * Subset-level: one Service `<name>` and a DestinationRule with `stable` and `canary` subsets, which
   * Argo Rollouts points at the two ReplicaSets (plus a Service `<name>-canary` that only the canary
   * pods are behind, for load and acceptance tests).
   */
  SUBSET = 'SUBSET',
  /** Host-level: the Services `<name>-stable` and `<name>-canary` (plus `<name>` for clients). */
  HOST = 'HOST',
}

/**
 * How the service's pods get the Envoy sidecar that reports the metrics the checks read. Without a
 * sidecar there is no `istio_requests_total` for the service and every check fails.
 */
export class IstioSidecarInjection {
  /**
   * The pod label `sidecar.istio.io/inject: "true"`. With a default (revision-less) install this
   * injects the pods without any namespace label: istiod's webhook `object.sidecar-injector.istio.io`
   * matches it in namespaces that have neither `istio-injection` nor `istio.io/rev`. A namespace
   * labelled `istio-injection=disabled` wins: its pods get no sidecar.
   */
  public static podLabel(): IstioSidecarInjection {
    return new IstioSidecarInjection({ 'sidecar.istio.io/inject': 'true' }, 'pod label sidecar.istio.io/inject=true');
  }

  /**
   * The pod label `istio.io/rev: <revision>`, for a revisioned install (whose webhooks do not
   * match the plain inject label).
   *
   * @param revision the Istio revision or revision tag, e.g. `1-30` or `stable`
   */
  public static revision(revision: string): IstioSidecarInjection {
    checkArguments('IstioSidecarInjection.revision', [revision]);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(revision) || revision.length > 63) {
      fail('IstioSidecarInjection.revision()', `'revision' ('${revision}') must be a label value of lower-case letters, digits and '-', e.g. '1-30' or 'stable'`);
    }
    return new IstioSidecarInjection({ 'istio.io/rev': revision }, `pod label istio.io/rev=${revision}`);
  }

  /**
   * Nothing on the pods: you label the service's namespace (`istio-injection=enabled` or
   * `istio.io/rev=<revision>`) yourself. Without that label the pods get no sidecar.
   */
  public static namespaceLabel(): IstioSidecarInjection {
    return new IstioSidecarInjection({}, 'the namespace label (yours)');
  }

  /** Labels put on the pod template. */
  public readonly podLabels: { [key: string]: string };
  /** How injection is requested, for documentation and messages. */
  public readonly description: string;

  private constructor(podLabels: { [key: string]: string }, description: string) {
    this.podLabels = podLabels;
    this.description = description;
  }
}

/** Options for `TrafficRouter.istio()`. */
export interface IstioRouterOptions {
  /**
   * How the service's pods get their sidecar.
   *
   * @default IstioSidecarInjection.podLabel()
   */
  readonly sidecarInjection?: IstioSidecarInjection;
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
    checkArguments('IstioGatewayReference.create', [options]);
    checkGatewayOptions('IstioGatewayReference.create()', options);
    return new IstioGatewayReference(undefined, { ...options });
  }

  /** Uses a Gateway that exists, named `<namespace>/<name>` (e.g. `istio-system/public-gateway`). */
  public static existing(reference: string): IstioGatewayReference {
    checkArguments('IstioGatewayReference.existing', [reference]);
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

/** The scrape job of the service's pods, whose sidecars report the requests (Flagger's own queries cannot carry it). */
const SCRAPE_JOB = `job="${POD_METRICS_JOB}"`;

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

/**
 * gRPC calls that failed on the server's side, by the status Istio reports for them
 * (`grpc_response_status`, empty for plain HTTP; the HTTP status of a gRPC call is 200 even when it
 * fails): Unknown, DeadlineExceeded, Internal, Unavailable, DataLoss, the set Linkerd's proxy
 * classifies as failures (linkerd2-proxy classify.rs) and all mapped to 5xx by google.rpc.Code.
 * Client errors (InvalidArgument, NotFound, ...) do not fail a canary, as HTTP 4xx do not.
 */
export const GRPC_SERVER_ERRORS = '2|4|13|14|15';
/** A request that succeeded, HTTP or gRPC: no HTTP 5xx, no gRPC server error. */
const SUCCEEDED = (grpc: boolean) => `response_code!~"5.*"${grpc ? `,grpc_response_status!~"${GRPC_SERVER_ERRORS}"` : ''}`;

/**
 * Flagger's checks as MetricTemplates, which read the sidecars' series of the pods' scrape job only:
 * for a gRPC service (Flagger's own success rate counts only HTTP 5xx), and for a Prometheus that
 * labels the series with the service's own monitor (enforcedNamespaceLabel: Flagger's own queries
 * select no namespace or job, and would read series another namespace's monitor forged).
 */
function scopedIstioQueries(grpc: boolean): { [kind: string]: string } {
  return {
    [MetricKind.REQUEST_SUCCESS_RATE]:
      `sum(rate(istio_requests_total{${SCRAPE_JOB},${WORKLOAD},${SUCCEEDED(grpc)}}[{{ interval }}])) / `
      + `sum(rate(istio_requests_total{${SCRAPE_JOB},${WORKLOAD}}[{{ interval }}])) * 100`,
    [MetricKind.REQUEST_DURATION]:
      `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${SCRAPE_JOB},${WORKLOAD}}[{{ interval }}])) by (le))`,
  };
}

/** Argo Rollouts queries (success rate as a ratio 0-1, P99 duration in ms) over requests matching `selector`. */
function argoQueries(selector: string, grpc: boolean): { [kind: string]: string } {
  // No sample (rather than NaN) when the canary had no request in the window, and 0 (rather than
  // nothing) when it answered only 5xx: `len(result) > 0` then means "the canary had traffic".
  const anyRequests = `(sum(rate(istio_requests_total{${selector}}[{{ interval }}])) > 0)`;
  return {
    [MetricKind.REQUEST_SUCCESS_RATE]:
      `(sum(rate(istio_requests_total{${selector},${SUCCEEDED(grpc)}}[{{ interval }}])) or vector(0)) / ${anyRequests}`,
    [MetricKind.REQUEST_DURATION]:
      `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${selector}}[{{ interval }}])) by (le)) and on() ${anyRequests}`,
  };
}

/** The argument that carries the canary ReplicaSet's pod-template hash. */
const CANARY_HASH_ARG = 'canary-hash';
/**
 * Argo Rollouts' canary pods, in both routing modes. Stable and canary pods are one workload to
 * Istio (it names pods of a ReplicaSet `<rollout>-<hash>` after the Rollout: istio
 * pkg/kube/util.go, GetDeployMetaFromPod), and their canonical revision only changes when the
 * version label does, which an image-only update does not touch. What changes with every rollout
 * is the pod-template hash: the pods carry `rollouts-pod-template-hash`, which the scrape config
 * copies onto their series (`labelmap` of the pod labels), and the analysis receives the canary's
 * hash as an argument (`podTemplateHashValue: Latest`). The destination's sidecar reports the
 * requests, so only the canary pods' own series are read.
 */
const CANARY_PODS = `${SCRAPE_JOB},reporter="destination",destination_workload_namespace="{{args.namespace}}",destination_workload="{{args.service-name}}",rollouts_pod_template_hash="{{args.${CANARY_HASH_ARG}}}"`;
/** The stable ReplicaSet's pods, by its pod-template hash, for comparisons. */
const STABLE_HASH_ARG = 'stable-hash';
const STABLE_PODS = CANARY_PODS.replace(`{{args.${CANARY_HASH_ARG}}}`, `{{args.${STABLE_HASH_ARG}}}`);

/** Istio's standard metrics of two sets of pods, as their sidecars report them. */
function istioSeries(canary: string, baseline: string, grpc = false): ComparableSeries {
  return {
    requests: 'istio_requests_total',
    errorMatcher: grpc ? `grpc_response_status=~"${GRPC_SERVER_ERRORS}"` : 'response_code=~"5.*"',
    durationBuckets: 'istio_request_duration_milliseconds_bucket',
    durationToMillis: 1,
    canary,
    baseline,
  };
}

/** Flagger's canary and primary Deployments are two workloads. */
const FLAGGER_ISTIO_SERIES = istioSeries(
  'reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}"',
  'reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}-primary"',
);
/** Flagger's comparisons, over the pods' scrape job when `scoped` (their queries are ours: MetricTemplates). */
function flaggerIstioSeries(grpc: boolean, scoped: boolean): ComparableSeries {
  const job = scoped ? `${SCRAPE_JOB},` : '';
  return istioSeries(`${job}${FLAGGER_ISTIO_SERIES.canary}`, `${job}${FLAGGER_ISTIO_SERIES.baseline}`, grpc);
}
const ARGO_ISTIO_SERIES = istioSeries(CANARY_PODS, STABLE_PODS);
const ARGO_ISTIO_GRPC_SERIES = istioSeries(CANARY_PODS, STABLE_PODS, true);

/**
 * Istio (`networking.istio.io/v1`). Weighted canaries, header matching (A/B testing), mirroring and
 * session affinity. The service's pods ask for a sidecar (`sidecarInjection`); the sidecars report
 * the metrics at the destination, so no other namespace is scraped.
 *
 * Load tests and acceptance tests run without a sidecar (the loadtester, which Flagger calls from
 * outside the mesh, and Argo's test Jobs) and call `<name>-canary` in plain HTTP: the namespace's
 * mTLS mode must be PERMISSIVE (Istio's default). Under STRICT mTLS the sidecars reject them.
 */
export class IstioRouter implements ITrafficRouter {
  public readonly name = 'istio';
  /**
   * Its routing and queries never read the context's probe paths (finding them renders the Deployment).
   * @internal
   */
  public readonly _readsProbePaths = false;
  public readonly podLabels: { [key: string]: string };
  /** How the pods get their sidecar. */
  public readonly sidecarInjection: IstioSidecarInjection;
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
    checkArguments('IstioRouter.new', [options], this.owner);
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
    this.sidecarInjection = options.sidecarInjection ?? IstioSidecarInjection.podLabel();
    this.podLabels = { ...this.sidecarInjection.podLabels };
    this.options = options;
  }

  public supports(engine: string, feature: TrafficFeature): boolean {
    return shippedSupport(this.name, engine, feature);
  }

  /**
   * The new version's own Service, directly: its pods' sidecars report every request they receive
   * (reporter="destination"), wherever it comes from. The Service `<name>` does not do: a client
   * without a sidecar gets no Istio routing, so its requests go to the primary (Flagger) or to any
   * pod (Argo Rollouts, subset mode). That Service is `<name>-canary`, or `<name>-preview` for
   * Argo Rollouts' blue/green.
   */
  public loadTarget(context: RoutingContext): LoadTarget {
    const service = `${context.name}-${argoServiceSwitch(context) ? 'preview' : 'canary'}`;
    return {
      url: serviceAddress(service, context.namespace, context.port),
      measuredAtIngress: false,
      bypassedServices: [context.name, `${context.name}-primary`, `${context.name}-stable`],
      reason: `The load generator has no sidecar, so Istio's routing does not apply to its requests: only '${service}' reaches the new version's pods, whose sidecars report the metrics.`,
      egress: [{ namespace: context.namespace, podLabels: { ...context.selectorLabels }, ports: [context.containerPort] }],
      baseline: this.loadBaseline(context),
    };
  }

  /**
   * The compared version's own Service, for a comparison's load: Flagger's `<name>-primary` (its pods
   * carry the selector label's value with `-primary`: pkg/canary/deployment_controller.go), Argo
   * Rollouts' active Service `<name>` in blue/green, `<name>-stable` in host mode; in subset mode
   * only `<name>` reaches the stable pods (with the canary's, by their number), whose sidecars
   * report the requests under the stable pod-template hash.
   */
  private loadBaseline(context: RoutingContext): LoadBaseline {
    const flagger = context.engine !== 'argo-rollouts';
    const service = flagger ? `${context.name}-primary`
      : context.strategy.kind === StrategyKind.BLUE_GREEN || this.routingMode === IstioRoutingMode.SUBSET ? context.name : `${context.name}-stable`;
    const podLabels = flagger
      ? Object.fromEntries(Object.entries(context.selectorLabels).map(([key, value]) => [key, `${value}-primary`]))
      : { ...context.selectorLabels };
    return {
      url: serviceAddress(service, context.namespace, context.port),
      egress: [{ namespace: context.namespace, podLabels, ports: [context.containerPort] }],
    };
  }

  /** None: the sidecars in the service's own namespace report everything the checks read. */
  public routerMetrics(_context: RoutingContext): RouterMetrics[] {
    return [];
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
    const grpc = context.protocol === ServiceProtocol.GRPC;
    const scoped = context.monitorScopedSeries !== undefined;
    const gateway = this.createGateway(scope, context);
    const gateways = this.gatewayNames(gateway);
    const serviceFields: { [key: string]: any } = {};
    if (gateways) serviceFields.gateways = gateways;
    const hosts = this.managedHosts(context);
    if (hosts.length) serviceFields.hosts = hosts;
    if (this.options.retries) serviceFields.retries = toIstioRetries(this.options.retries);
    if (this.options.timeout) serviceFields.timeout = toIstioDuration(this.options.timeout);
    return {
      provider: 'istio',
      serviceFields,
      // Flagger's VirtualService is its own: the net's share goes to the Service <name>, which selects the primary.
      objects: { ...(gateway ? { gateway } : {}), ...this.safetyNet(scope, context, gateway) },
      // Flagger's own success rate counts HTTP 5xx only, and its queries select no job: for gRPC,
      // and for series labelled with the service's monitor, the checks are MetricTemplates.
      builtInQueries: grpc || scoped ? scopedIstioQueries(grpc) : undefined,
      comparableSeries: flaggerIstioSeries(grpc, scoped),
      // pkg/router/istio.go Reconcile: DestinationRules <apex>-canary and <apex>-primary, VirtualService <apex>.
      generatedObjects: [
        { kind: 'VirtualService', apiGroup: 'networking.istio.io', name: context.name, role: 'VirtualService of the hosts', reaches: ServiceReach.WEIGHTED },
        { kind: 'DestinationRule', apiGroup: 'networking.istio.io', name: `${context.name}-canary`, role: 'DestinationRule of the canary' },
        { kind: 'DestinationRule', apiGroup: 'networking.istio.io', name: `${context.name}-primary`, role: 'DestinationRule of the primary' },
      ],
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
    checkDnsLabel(owner, 'name', context.name, 56, ", so that '<name>-stable' and '<name>-canary' are valid Service names");
    const queryArguments = [
      { name: 'namespace', value: context.namespace },
      { name: 'service-name', value: context.name },
      { name: CANARY_HASH_ARG, podTemplateHash: PodTemplateHash.LATEST },
      { name: STABLE_HASH_ARG, podTemplateHash: PodTemplateHash.STABLE },
    ];

    const name = context.name;
    const labels = context.labels;
    const gateway = this.createGateway(scope, context);
    if (context.blueGreen) return this.bindArgoBlueGreen(scope, context, gateway, queryArguments);
    const service = createRolloutService(scope, 'Service', name, context, context.selectorLabels);
    const hosts = [name, ...this.managedHosts(context).filter((host) => host !== name)];
    const net = this.safetyNet(scope, context, gateway);
    const route = (destinations: IstioHttpRoute['destinations']): IstioHttpRoute => ({
      name: PRIMARY_ROUTE,
      destinations,
      retries: this.options.retries,
      timeout: this.options.timeout,
    });

    if (subset) {
      // Load and acceptance tests reach the canary pods through it; Argo Rollouts keeps its selector
      // on the canary's hash. Its name differs from the VirtualService's host, as it must: Argo
      // matches route destinations by host before subset (argo-rollouts trafficrouting/istio).
      const canary = createRolloutService(scope, 'CanaryService', `${name}-canary`, context, context.selectorLabels);
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
        canaryService: canary.name,
        queries: argoQueries(CANARY_PODS, context.protocol === ServiceProtocol.GRPC),
        queryArguments,
        comparableSeries: context.protocol === ServiceProtocol.GRPC ? ARGO_ISTIO_GRPC_SERIES : ARGO_ISTIO_SERIES,
        objects: { service, canaryService: canary, destinationRule, virtualService, ...(gateway ? { gateway } : {}), ...net },
      };
    }

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
      queries: argoQueries(CANARY_PODS, context.protocol === ServiceProtocol.GRPC),
      queryArguments,
      comparableSeries: context.protocol === ServiceProtocol.GRPC ? ARGO_ISTIO_GRPC_SERIES : ARGO_ISTIO_SERIES,
      objects: { service, stableService: stable, canaryService: canary, virtualService, ...(gateway ? { gateway } : {}), ...net },
    };
  }

  /**
   * Blue/green: the active Service `<name>`, which the VirtualService routes every host to, and the
   * preview Service `<name>-preview`; Argo Rollouts points each at a ReplicaSet. The checks find
   * the new version by its pod-template hash before and after the switch.
   */
  private bindArgoBlueGreen(
    scope: Construct, context: ArgoRoutingContext, gateway: IstioGateway | undefined, queryArguments: ArgoRolloutsRouting['queryArguments'],
  ): ArgoRolloutsRouting {
    const { name, labels } = context;
    const active = createRolloutService(scope, 'Service', name, context, context.selectorLabels);
    const preview = createRolloutService(scope, 'PreviewService', `${name}-preview`, context, context.selectorLabels);
    const virtualService = new IstioVirtualService(scope, 'VirtualService', {
      metadata: { name, namespace: context.namespace, labels },
      hosts: [name, ...this.managedHosts(context).filter((host) => host !== name)],
      gateways: this.gatewayNames(gateway),
      httpRoutes: [{
        name: PRIMARY_ROUTE,
        destinations: [{ host: name, port: context.port, weight: 100 }],
        retries: this.options.retries,
        timeout: this.options.timeout,
      }],
    });
    return {
      trafficRouting: {},
      activeService: active.name,
      previewService: preview.name,
      queries: argoQueries(CANARY_PODS, context.protocol === ServiceProtocol.GRPC),
      queryArguments,
      comparableSeries: context.protocol === ServiceProtocol.GRPC ? ARGO_ISTIO_GRPC_SERIES : ARGO_ISTIO_SERIES,
      objects: {
        activeService: active, previewService: preview, virtualService, ...(gateway ? { gateway } : {}), ...this.safetyNet(scope, context, gateway),
      },
    };
  }

  private createGateway(scope: Construct, context: RoutingContext): IstioGateway | undefined {
    const createOptions = this.gateway.createOptions;
    if (!createOptions) return undefined;
    return new IstioGateway(scope, 'Gateway', {
      ...createOptions,
      metadata: { name: context.name, namespace: context.namespace, labels: context.labels },
      hosts: [...this.options.hosts!, ...(context.safetyNet ? this.managedHosts(context) : [])],
    });
  }

  /** The external hosts the managed routing serves: the router's, or with a safety net its managed host alone. */
  private managedHosts(context: RoutingContext): string[] {
    const hosts = this.options.hosts ?? [];
    return context.safetyNet ? [context.safetyNet.managedHost ?? `managed.${hosts[0]}`] : [...hosts];
  }

  /**
   * The safety net: the VirtualService `<name>-safety-net` of the router's hosts on the Gateway,
   * `share` % to the Service `<name>` and the rest to the live Service. A VirtualService's weights
   * must add up to 100 and the gateway does not apply another VirtualService to a destination, so
   * the net's share reaches `<name>` itself: Flagger's primary, or any of Argo Rollouts' pods.
   */
  private safetyNet(scope: Construct, context: RoutingContext, gateway: IstioGateway | undefined): { [role: string]: Construct } {
    const net = context.safetyNet;
    if (!net) return {};
    const reference = gateway?.reference ?? this.gateway.reference;
    if (!this.options.hosts?.length || !reference) {
      fail(`CanaryService '${context.name}'`, "'safetyNet' splits the traffic of the router's hosts on its Gateway: give TrafficRouter.istio() 'hosts' and a gateway");
    }
    const safetyNetService = new IstioVirtualService(scope, 'SafetyNetVirtualService', {
      metadata: { name: `${context.name}-safety-net`, namespace: context.namespace, labels: context.labels },
      hosts: [...this.options.hosts],
      gateways: [reference],
      httpRoutes: [{
        name: 'safety-net',
        destinations: [
          { host: net.liveService, port: net.livePort, weight: 100 - net.share },
          // At share 0 (a staged net) nothing refers to the managed Service yet.
          ...(net.share > 0 ? [{ host: context.name, port: context.port, weight: net.share }] : []),
        ],
      }],
    });
    return { safetyNetService };
  }

  /** The VirtualService's gateways: the Gateway and `mesh`, or none (Istio's default, `mesh`) without a Gateway. */
  private gatewayNames(created: IstioGateway | undefined): string[] | undefined {
    const reference = created?.reference ?? this.gateway.reference;
    return reference ? [reference, 'mesh'] : undefined;
  }
}

/** Whether Argo Rollouts runs this release by switching Services (blue/green without mirroring). */
function argoServiceSwitch(context: RoutingContext): boolean {
  return context.engine === 'argo-rollouts' && context.strategy.kind === StrategyKind.BLUE_GREEN
    && context.strategy.blueGreen?.mirrorPercentage === undefined;
}
