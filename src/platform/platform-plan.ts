import type * as PlanReleases from './plan-releases';
import { PlatformEngine, PlatformManifests, PlatformPlanProps, PlatformRelease, PlatformRepository, PlatformRouter } from './platform-options';
import { IPrometheus, Prometheus } from '../addons/prometheus';
import { checkArguments } from '../arguments/check-arguments';
import { fail } from '../validation';

/**
 * The Helm releases that make a cluster ready for the CanaryServices, computed from the engines and
 * routers in use: pinned charts, the values the synthesized manifests rely on (Flagger's namespace
 * and metrics server, Traefik's metrics entryPoint, Argo Rollouts' Traefik API group, Istio's
 * ingress gateway labels), in dependency order. Plain data, independent of any renderer.
 *
 * Release names: `prometheus`, `kube-prometheus-stack`, `traefik`, `istio-base`, `istio-cni`,
 * `istiod`, `istio-ingressgateway`, `flagger`, `argo-rollouts`. Flagger's loadtester chart is not
 * installed: every CanaryService that needs a loadtester deploys its own in its namespace.
 *
 * `istio-cni` (with `PlatformRouter.ISTIO`, unless `istio.cni` is false) is Istio's CNI node agent:
 * it sets up the sidecars' traffic redirection from the node, so istiod (`cni.enabled: true`, after
 * it) injects the `istio-validation` init container, non-root with every capability dropped,
 * instead of `istio-init`, which needs NET_ADMIN and NET_RAW; the namespaces of injected pods can
 * then enforce Pod Security "restricted". The agent is a privileged DaemonSet: its namespace
 * (`istio-system` by default) must admit privileged pods; the plan sets the chart's
 * `resourceQuotas.enabled: true`, the ResourceQuota GKE needs for its `system-node-critical` pods
 * outside kube-system. The order does not make the agent ready on every node before istiod injects
 * (Terraform's Helm waits for all DaemonSet pods but one; nodes added later start without it):
 * pods that start first fail `istio-validation` until the agent's repair mode (on by default) sets
 * them up. Turning the agent on needs the injected workloads restarted before their namespaces can
 * enforce "restricted".
 */
export class PlatformPlan {
  /** The engines, as given. */
  public readonly engines: PlatformEngine[];
  /** The routers, as given. */
  public readonly routers: PlatformRouter[];
  /** The releases, each after the releases it depends on. */
  public readonly releases: PlatformRelease[];
  /** The chart repositories of the releases, sorted by name. */
  public readonly repositories: PlatformRepository[];
  /**
   * Manifests applied from a pinned Git tag before the releases (the Gateway API CRDs). Flux
   * applies them (`FluxPlatform`); with CDK for Terraform they are a prerequisite to apply yourself
   * (`kubectl apply --server-side -f <releaseUrl>`), since no Helm chart can carry them.
   */
  public readonly manifests: PlatformManifests[];
  /** Namespace of Flagger, when installed: what `DeliveryEngine.flagger({ namespace })` must name. */
  public readonly flaggerNamespace?: string;
  /** Address of the shared Prometheus, when installed (`http://prometheus-server.monitoring:9090`, `http://kube-prometheus-stack-prometheus.monitoring:9090`). */
  public readonly metricsServer?: string;
  /**
   * The shared Prometheus for the CanaryServices' `prometheus` prop, when installed:
   * `Prometheus.external(metricsServer)`, or with `prometheusOperator`, `Prometheus.operator()` at
   * `metricsServer` with the labels kube-prometheus-stack's Prometheus selects PodMonitors by.
   */
  public readonly sharedPrometheus?: IPrometheus;
  /**
   * What the plan cannot check and the cluster must provide (e.g. istiod in CNI mode with
   * `istio.cni: false`: the cluster must run Istio's CNI node agent on every node).
   */
  public readonly notes: string[];

  public constructor(props: PlatformPlanProps) {
    checkArguments('PlatformPlan.new', [props], 'PlatformPlan');
    // Loaded on first use: an app that only synthesizes services never plans a platform.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { planPlatform }: typeof PlanReleases = require('./plan-releases');
    const plan = planPlatform(props);
    this.engines = [...props.engines];
    this.routers = [...props.routers];
    this.releases = plan.releases;
    this.repositories = plan.repositories;
    this.manifests = plan.manifests;
    this.flaggerNamespace = plan.flaggerNamespace;
    this.metricsServer = plan.metricsServer;
    this.notes = plan.notes;
    this.sharedPrometheus = plan.metricsServer === undefined ? undefined
      : plan.monitorLabels !== undefined
        ? Prometheus.operator({ address: plan.metricsServer, monitorLabels: plan.monitorLabels, enforcedNamespaceLabel: plan.enforcedNamespaceLabel })
        : Prometheus.external(plan.metricsServer);
  }

  /** The names of the releases, in install order. */
  public get releaseNames(): string[] {
    return this.releases.map((release) => release.name);
  }

  /**
   * The release named `name`; fails if the platform has none.
   *
   * @param name a release name, e.g. `flagger`
   */
  public release(name: string): PlatformRelease {
    checkArguments('PlatformPlan.release', [name]);
    return this.tryFindRelease(name)
      ?? fail('PlatformPlan', `there is no release named '${name}'; the releases are ${this.releaseNames.join(', ')}`);
  }

  /**
   * The release named `name`, if the platform has one.
   *
   * @param name a release name, e.g. `flagger`
   */
  public tryFindRelease(name: string): PlatformRelease | undefined {
    checkArguments('PlatformPlan.tryFindRelease', [name]);
    return this.releases.find((release) => release.name === name);
  }
}
