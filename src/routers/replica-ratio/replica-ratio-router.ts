import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ApplicationMetrics } from './application-metrics';
import { LoadTarget } from '../../analysis/load-test';
import { MetricKind } from '../../analysis/metric';
import { checkArguments } from '../../arguments/check-arguments';
import { serviceAddress } from '../../platform/conventions';
import { StrategyKind } from '../../strategy/delivery-strategy';
import { shippedSupport } from '../../strategy/support-matrix';
import { TrafficFeature } from '../../strategy/traffic-feature';
import { checkDnsLabel, checkDnsSubdomain, checkHostLabels, fail } from '../../validation';
import { createRolloutService, createStableAndCanaryServices } from '../rollout-services';
import {
  ArgoRolloutsRouting, ArgoRoutingContext, FlaggerRouting, ITrafficRouter, PodTemplateHash, RouterMetrics, RoutingContext,
} from '../router';

/** Options for `TrafficRouter.replicaRatio()`. */
export interface ReplicaRatioRouterOptions {
  /**
   * The application's own request metrics, which the checks read: with no router in the path,
   * nothing else measures the requests.
   */
  readonly metrics: ApplicationMetrics;
  /**
   * Hosts an Ingress routes to the Service in front of every pod, stable and canary alike (the
   * replica-ratio split; with Flagger, the primary).
   *
   * @default - no Ingress rule for it
   */
  readonly hosts?: string[];
  /**
   * Hosts an Ingress routes to the stable version only.
   *
   * @default - none
   */
  readonly stableHosts?: string[];
  /**
   * A host an Ingress routes to the new version only, so that a person can try it before it takes
   * live traffic (the classic `canary.example.com`).
   *
   * @default - none
   */
  readonly previewHost?: string;
  /**
   * The Ingress's `ingressClassName`.
   *
   * @default - the cluster's default IngressClass
   */
  readonly ingressClassName?: string;
}

const OWNER = 'TrafficRouter.replicaRatio()';
const CANARY_HASH_ARG = 'canary-hash';
const STABLE_HASH_ARG = 'stable-hash';

/**
 * No router: the canary and stable pods sit behind one Service and share its traffic by their
 * number (3 stable and 1 canary pod give the canary about 25 %). Argo Rollouts runs it as a basic
 * canary (weights become replica counts, no `trafficRouting`) or blue/green; Flagger as
 * `provider: kubernetes`, which is blue/green only. An optional Ingress routes hosts to every pod,
 * to the stable version, or (a preview host) to the new version. The checks read the
 * application's own metrics (`metrics`).
 */
export class ReplicaRatioRouter implements ITrafficRouter {
  public readonly name = 'replica-ratio';
  public readonly podLabels: { [key: string]: string } = {};
  public readonly podAnnotations?: { [key: string]: string };
  /** The options every service gets. */
  public readonly options: ReplicaRatioRouterOptions;

  public constructor(options: ReplicaRatioRouterOptions) {
    checkArguments('ReplicaRatioRouter.new', [options], OWNER);
    (options.hosts ?? []).forEach((host, i) => checkHostLabels(OWNER, `hosts[${i}]`, checkDnsSubdomain(OWNER, `hosts[${i}]`, host)));
    (options.stableHosts ?? []).forEach((host, i) => checkHostLabels(OWNER, `stableHosts[${i}]`, checkDnsSubdomain(OWNER, `stableHosts[${i}]`, host)));
    if (options.previewHost !== undefined) checkHostLabels(OWNER, 'previewHost', checkDnsSubdomain(OWNER, 'previewHost', options.previewHost));
    // Each host is routed once: to the service, to the stable version, or to the preview.
    const where = [
      ...(options.hosts ?? []).map((h, i) => [`hosts[${i}]`, h]),
      ...(options.stableHosts ?? []).map((h, i) => [`stableHosts[${i}]`, h]),
      ...(options.previewHost !== undefined ? [['previewHost', options.previewHost]] : []),
    ];
    where.forEach(([property, host], i) => {
      const first = where.findIndex(([, other]) => other === host);
      if (first < i) fail(OWNER, `'${property}' ('${host}') is also '${where[first][0]}': a host is routed once, to the service, to the stable version or to the preview`);
    });
    if (options.ingressClassName !== undefined) checkDnsSubdomain(OWNER, 'ingressClassName', options.ingressClassName);
    this.podAnnotations = options.metrics._podAnnotations();
    this.options = options;
  }

  public supports(engine: string, feature: TrafficFeature): boolean {
    return shippedSupport(this.name, engine, feature);
  }

  /**
   * The new version's own Service (`<name>-canary`, or `<name>-preview` for Argo Rollouts'
   * blue/green): its pods count the requests they answer, wherever they come from.
   */
  public loadTarget(context: RoutingContext): LoadTarget {
    if (context.safetyNet) {
      fail(`CanaryService '${context.name}'`, "'safetyNet' splits the hosts' traffic by weight in a router; without one, give the live Service's pods and this service's pods one selector instead");
    }
    const service = `${context.name}-${argoBlueGreen(context) ? 'preview' : 'canary'}`;
    const unmeasuredPaths = this.unmeasuredPaths(context);
    return {
      url: serviceAddress(service, context.namespace, context.port),
      measuredAtIngress: false,
      bypassedServices: [context.name, `${context.name}-primary`, `${context.name}-stable`],
      reason: `The checks read the new version's own metrics; only '${service}' sends every request to its pods.`,
      egress: [{ namespace: context.namespace, podLabels: { ...context.selectorLabels }, ports: [context.containerPort] }],
      unmeasuredPaths,
    };
  }

  /**
   * The paths no user requests, which the checks leave out; a probe of the root path cannot be
   * told from users' requests.
   */
  private unmeasuredPaths(context: RoutingContext): string[] {
    const metrics = this.options.metrics;
    const paths = metrics._unmeasuredPaths(context.containerPort, context.probePaths);
    const owner = `CanaryService '${context.name}'`;
    const atRoot = Object.entries(context.probePaths ?? {}).filter(([, path]) => path === '/').map(([probe]) => probe);
    if (atRoot.length > 0) {
      const fix = atRoot.map((probe) => `${probe}: kplus.Probe.fromHttpGet('/${probe === 'liveness' ? 'healthz' : 'readyz'}', { port: ${context.containerPort} })`);
      fail(owner, `${atRoot.map((p) => `'${p}'`).join(' and ')} ${atRoot.length === 1 ? 'requests' : 'request'} '/' on port ${context.containerPort}, where users are served: `
        + "the application counts the kubelet's probes with the users' requests (podinfo labels both 'root'), so the checks would always see traffic; "
        + `give the probes a path of their own, e.g. ${fix.join(', ')}`);
    }
    if (paths.includes('/')) {
      fail(owner, `ApplicationMetrics' scrape path is '/' on port ${context.containerPort}, where users are served: serve the metrics on a path of their own (e.g. '/metrics') or another port`);
    }
    return paths;
  }

  /** None: the pods of the service's namespace are scraped in full. */
  public routerMetrics(_context: RoutingContext): RouterMetrics[] {
    return [];
  }

  public builtInQuery(kind: MetricKind): string {
    const metrics = this.options.metrics;
    return metrics._queries('kubernetes_namespace="{{ namespace }}",app_kubernetes_io_name="{{ target }}"', false, metrics._unmeasuredPaths(metrics.port))[kind]
      ?? fail(OWNER, `there is no built-in query for ${kind}`);
  }

  /**
   * `provider: kubernetes`: Flagger creates `<name>` (selecting the primary), `<name>-primary` and
   * `<name>-canary` and switches nothing (blue/green: the primary takes the new version at
   * promotion). The checks run as MetricTemplates on the canary pods' own metrics: Flagger keeps
   * the selector label's value on the canary pods and gives the primary's `<value>-primary`.
   */
  public bindFlagger(scope: Construct, context: RoutingContext): FlaggerRouting {
    const ingress = this.createIngress(scope, context, {
      all: context.name, stable: `${context.name}-primary`, preview: `${context.name}-canary`,
    });
    const [key, value] = Object.entries(context.selectorLabels)[0];
    const unmeasured = this.unmeasuredPaths(context);
    return {
      provider: 'kubernetes',
      objects: ingress ? { ingress } : {},
      builtInQueries: this.options.metrics._queries(`kubernetes_namespace="{{ namespace }}",${selectorMatcher(context)}`, false, unmeasured),
      comparableSeries: this.options.metrics._comparableSeries(
        `kubernetes_namespace="{{ namespace }}",${selectorMatcher(context)}`,
        `kubernetes_namespace="{{ namespace }}",${selectorMatcher({ ...context, selectorLabels: { [key]: `${value}-primary` } })}`,
        unmeasured,
      ),
    };
  }

  /**
   * Canary (no `trafficRouting`): the Service `<name>` in front of every pod, which the replica
   * counts split, and `<name>-stable` and `<name>-canary`, whose selectors Argo Rollouts keeps on
   * each ReplicaSet. Blue/green: the active Service `<name>` and the preview Service `<name>-preview`.
   */
  public bindArgoRollouts(scope: Construct, context: ArgoRoutingContext): ArgoRolloutsRouting {
    const [route] = [...context.headerRoutes, ...context.mirrorRoutes];
    if (route !== undefined) {
      fail(OWNER, `route '${route}' (setHeaderRoute or setMirrorRoute) needs a router: with replica counts only weights are possible; use TrafficRouter.istio() or TrafficRouter.gatewayApi() to route by header`);
    }
    checkDnsLabel(OWNER, 'name', context.name, 55, ", so that '<name>-stable', '<name>-canary' and '<name>-preview' are valid Service names");
    const queryArguments = [
      { name: 'namespace', value: context.namespace },
      { name: CANARY_HASH_ARG, podTemplateHash: PodTemplateHash.LATEST },
      { name: STABLE_HASH_ARG, podTemplateHash: PodTemplateHash.STABLE },
    ];
    // The new ReplicaSet's pods, by the hash Argo Rollouts gives every ReplicaSet (copied onto the series by the scrape config).
    const pods = (hashArg: string) => `kubernetes_namespace="{{args.namespace}}",${selectorMatcher(context)},rollouts_pod_template_hash="{{args.${hashArg}}}"`;
    const unmeasured = this.unmeasuredPaths(context);
    const queries = this.options.metrics._queries(pods(CANARY_HASH_ARG), true, unmeasured);
    const comparableSeries = this.options.metrics._comparableSeries(pods(CANARY_HASH_ARG), pods(STABLE_HASH_ARG), unmeasured);
    const all = createRolloutService(scope, 'Service', context.name, context, context.selectorLabels);
    if (context.blueGreen) {
      const preview = createRolloutService(scope, 'PreviewService', `${context.name}-preview`, context, context.selectorLabels);
      const ingress = this.createIngress(scope, context, { all: all.name, stable: all.name, preview: preview.name });
      return {
        activeService: all.name,
        previewService: preview.name,
        queries,
        queryArguments,
        comparableSeries,
        objects: { activeService: all, previewService: preview, ...(ingress ? { ingress } : {}) },
      };
    }
    const { stable, canary } = createStableAndCanaryServices(scope, context, context.selectorLabels);
    const ingress = this.createIngress(scope, context, { all: all.name, stable: stable.name, preview: canary.name });
    return {
      canaryService: canary.name,
      stableService: stable.name,
      queries,
      queryArguments,
      comparableSeries,
      objects: { service: all, stableService: stable, canaryService: canary, ...(ingress ? { ingress } : {}) },
    };
  }

  /** The Ingress `<name>`: a rule per host, to the Service of what that host shows. */
  private createIngress(
    scope: Construct, context: RoutingContext, services: { all: string; stable: string; preview: string },
  ): ApiObject | undefined {
    const rules = [
      ...(this.options.hosts ?? []).map((host) => [host, services.all]),
      ...(this.options.stableHosts ?? []).map((host) => [host, services.stable]),
      ...(this.options.previewHost ? [[this.options.previewHost, services.preview]] : []),
    ];
    if (rules.length === 0) return undefined;
    return new ApiObject(scope, 'Ingress', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: context.name, namespace: context.namespace, labels: context.labels },
      spec: {
        ingressClassName: this.options.ingressClassName,
        rules: rules.map(([host, service]) => ({
          host,
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: context.port } } } }] },
        })),
      },
    });
  }
}

/**
 * The pods of the service by their selector label, as the series carry it: the scrape config's
 * labelmap turns `app.kubernetes.io/name` into `app_kubernetes_io_name`.
 */
function selectorMatcher(context: RoutingContext): string {
  const [key, value] = Object.entries(context.selectorLabels)[0];
  return `${key.replace(/[^a-zA-Z0-9_]/g, '_')}="${value}"`;
}

function argoBlueGreen(context: RoutingContext): boolean {
  return context.engine === 'argo-rollouts' && context.strategy.kind === StrategyKind.BLUE_GREEN && context.strategy.blueGreen?.mirrorPercentage === undefined;
}
