import { ClusterDnsOptions } from '../addons/cluster-dns';

/** A delivery engine whose controller the platform installs. */
export enum PlatformEngine {
  /** Flagger (chart `flagger`). */
  FLAGGER = 'FLAGGER',
  /** Argo Rollouts (chart `argo-rollouts`, with its CRDs). */
  ARGO_ROLLOUTS = 'ARGO_ROLLOUTS',
}

/** A traffic router the platform installs. */
export enum PlatformRouter {
  /** Traefik v3 (chart `traefik`), with Prometheus metrics on port 9100. */
  TRAEFIK = 'TRAEFIK',
  /** Istio (charts `base`, `istiod`, `gateway`). */
  ISTIO = 'ISTIO',
  /**
   * Gateway API with Istio's implementation: the Gateway API CRDs (a pinned release of
   * kubernetes-sigs/gateway-api), Istio's `base` and `istiod` (which deploys a proxy for every
   * Gateway), and for Argo Rollouts its Gateway API plugin; Flagger's provider `gatewayapi:v1`.
   */
  GATEWAY_API = 'GATEWAY_API',
  /** No router (replica counts): nothing to install; Flagger's provider `kubernetes`. */
  REPLICA_RATIO = 'REPLICA_RATIO',
}

/**
 * The type of the Service in front of the ingress proxy the platform installs (Traefik's, Istio's
 * ingress gateway). The charts default to `LoadBalancer`, and both Terraform's `helm_release` and
 * Flux wait for every Service to be ready: on a cluster without a load-balancer controller (kind,
 * minikube, bare metal) a `LoadBalancer` Service never gets an address and the install times out.
 */
export enum PlatformServiceType {
  /**
   * Reachable in the cluster only: what the CanaryServices' load tests and checks need. Installs
   * on any cluster.
   */
  CLUSTER_IP = 'ClusterIP',
  /** Also on a port of every node. Installs on any cluster. */
  NODE_PORT = 'NodePort',
  /**
   * An external load balancer. Only where the cluster provisions one (a cloud, MetalLB): without
   * it, the Helm waits of Terraform and Flux never succeed.
   */
  LOAD_BALANCER = 'LoadBalancer',
}

/**
 * Manifests the platform applies from a pinned Git tag rather than a Helm chart (the Gateway API
 * CRDs: no chart ships them within Helm's 1 MiB release limit, envoyproxy/gateway#6105).
 */
export interface PlatformManifests {
  /** Name of the bundle (a Flux GitRepository and Kustomization of that name). */
  readonly name: string;
  /** The Git repository. */
  readonly repository: string;
  /** The tag. */
  readonly tag: string;
  /** The commit the tag names: Flux checks this out, so a moved tag changes nothing. */
  readonly commit: string;
  /**
   * A branch that holds `commit` (the release branch): Flux then clones that branch alone, not
   * every branch of the repository.
   */
  readonly branch: string;
  /** The folder of the manifests in the repository. */
  readonly path: string;
  /** The same manifests as one file of the release, for `kubectl apply --server-side -f`. */
  readonly releaseUrl: string;
}

/**
 * One Helm release of the platform, as plain data: what to install, where, with which values and
 * after which other releases. Renderers (`CanaryPlatform` for CDK for Terraform, `FluxPlatform` for
 * Flux) turn these into their own objects; nothing here depends on either.
 */
export interface PlatformRelease {
  /** Helm release name, unique in the platform (e.g. `flagger`, `istiod`). */
  readonly name: string;
  /** Namespace the release is installed in (created if missing). */
  readonly namespace: string;
  /** Chart name in its repository (e.g. `flagger`, `base`). */
  readonly chart: string;
  /** Pinned chart version. */
  readonly version: string;
  /** URL of the chart repository. */
  readonly repository: string;
  /** Short name of the repository, as a Flux `HelmRepository` is named (e.g. `istio`). */
  readonly repositoryName: string;
  /** Helm values: ours, with the overrides of the props merged over them. */
  readonly values: { [key: string]: any };
  /** Names of the releases that must be installed first (CRDs and controllers this one relies on). */
  readonly dependsOn: string[];
  /**
   * Names of the bundles of `PlatformPlan.manifests` that must be applied first (the Gateway API
   * CRDs, for the controllers that route with Gateway API).
   */
  readonly dependsOnManifests: string[];
  /**
   * Whether the chart ships CRDs in its `crds/` folder: Helm installs those but never upgrades
   * them, so `CanaryPlatform` applies them itself at every version (Flux replaces them).
   */
  readonly chartCrds: boolean;
  /**
   * The same chart as a signed OCI artifact, when upstream signs it (Flagger's, with cosign keyless):
   * `FluxPlatform` installs it from there and has Flux verify the signature.
   *
   * @default - the chart is not signed upstream (or the repository was overridden): installed unverified
   */
  readonly signedChart?: PlatformSignedChart;
}

/** A chart published as an OCI artifact and signed with cosign keyless (Sigstore). */
export interface PlatformSignedChart {
  /** The artifact, e.g. `oci://ghcr.io/fluxcd/charts/flagger`. */
  readonly url: string;
  /** Its tag (the chart version). */
  readonly tag: string;
  /** Regular expression the signing certificate's OIDC issuer must match. */
  readonly issuer: string;
  /** Regular expression the signing certificate's subject (the release workflow) must match. */
  readonly subject: string;
}

/** A chart repository the platform's releases come from. */
export interface PlatformRepository {
  /** Short name (e.g. `flagger`, `prometheus-community`). */
  readonly name: string;
  /** Repository URL. */
  readonly url: string;
  /** Whether it is an OCI registry (`oci://...`) rather than an HTTP(S) Helm repository. */
  readonly oci: boolean;
}

/** Overrides for one release of the platform. */
export interface PlatformReleaseOptions {
  /**
   * Namespace to install into. The CanaryServices must be told about a namespace other than the
   * default (e.g. `DeliveryEngine.flagger({ namespace })`, `TrafficRouter.traefik({ namespace })`).
   *
   * @default - the component's conventional namespace: `flagger-system`, `argo-rollouts`,
   * `traefik`, `monitoring` (Prometheus)
   */
  readonly namespace?: string;
  /**
   * Chart version.
   *
   * @default - the pinned version: flagger 1.44.0, argo-rollouts 2.41.0, traefik 41.3.0,
   * prometheus 29.27.0
   */
  readonly version?: string;
  /**
   * Chart repository to install from instead: a mirror, or an OCI registry (`oci://...`) that
   * serves the same chart under the same name.
   *
   * @default - the chart's upstream repository
   */
  readonly repository?: string;
  /**
   * Helm values merged over ours (objects are merged key by key, anything else replaces ours).
   *
   * @default - ours only
   */
  readonly values?: { [key: string]: any };
}

/** Overrides for the Istio releases (`istio-base`, `istio-cni`, `istiod`, `istio-ingressgateway`). */
export interface IstioPlatformOptions {
  /**
   * Namespace of istiod and the ingress gateway (pass the same to `TrafficRouter.istio({ meshNamespace })`).
   *
   * @default 'istio-system'
   */
  readonly namespace?: string;
  /**
   * Version of all three charts (they must match).
   *
   * @default '1.30.3'
   */
  readonly version?: string;
  /**
   * Repository of the three charts instead of Istio's (a mirror, or an OCI registry `oci://...`).
   *
   * @default 'https://istio-release.storage.googleapis.com/charts'
   */
  readonly repository?: string;
  /**
   * Values merged over ours for the `base` chart.
   *
   * @default - none
   */
  readonly baseValues?: { [key: string]: any };
  /**
   * Values merged over ours for the `istiod` chart.
   *
   * @default - ours only: `meshConfig.enablePrometheusMerge: true`, seccomp `RuntimeDefault`,
   * and `cni.enabled: true` with `cni` (then `cni.enabled` or `pilot.cni.enabled` other than true
   * is refused; so is `profile: 'ambient'`)
   */
  readonly istiodValues?: { [key: string]: any };
  /**
   * Values merged over ours for the `gateway` chart.
   *
   * @default - ours only: pod labels `istio: ingressgateway`
   */
  readonly gatewayValues?: { [key: string]: any };
  /**
   * Install Istio's CNI node agent (release `istio-cni`, chart `cni`) and tell istiod so
   * (`cni.enabled: true`). The agent sets up each injected pod's traffic redirection from the
   * node, so the sidecar injector adds the `istio-validation` init container (non-root, every
   * capability dropped) instead of `istio-init`, which needs NET_ADMIN and NET_RAW: the
   * namespaces of injected pods can then enforce Pod Security "restricted". The agent itself is a
   * privileged DaemonSet (root, NET_ADMIN, SYS_ADMIN, hostPath): its namespace (`cniNamespace`)
   * must admit privileged pods. Turn it off where the cluster's CNI already provides Istio's
   * (or on a platform that forbids privileged DaemonSets, e.g. GKE Autopilot without an allowlist).
   * With it off, istiod values that turn its CNI mode on (`cni.enabled`, OpenShift's profile) are
   * allowed (the cluster's agent needs them) and noted in `plan.notes`: the agent must run on every
   * node, else injected pods' `istio-validation` init container fails.
   *
   * @default - true with `PlatformRouter.ISTIO`; false with `GATEWAY_API` alone (istiod's Gateway
   * proxies are not injected and no CanaryService of that router asks for a sidecar)
   */
  readonly cni?: boolean;
  /**
   * Namespace of the CNI node agent (with `cni`). Helm creates it without Pod Security labels; if
   * the cluster enforces a stricter default, label it `pod-security.kubernetes.io/enforce: privileged`
   * or use `kube-system`.
   *
   * @default - `namespace` ('istio-system'), as Istio's install guide does
   */
  readonly cniNamespace?: string;
  /**
   * Values merged over ours for the `cni` chart (with `cni`): e.g. `global: { platform: 'k3s' }`,
   * `'k3d'`, `'microk8s'`, `'minikube'`, `'gke'`, or `cniBinDir` and `cniConfDir` directly. On
   * OpenShift set `global: { platform: 'openshift' }` here and in `istiodValues`, with
   * `cniNamespace: 'kube-system'`. Ambient mode (`profile: 'ambient'`, `ambient.enabled`) is refused:
   * the platform installs no ztunnel.
   *
   * @default - ours only: `resourceQuotas.enabled: true` (the ResourceQuota GKE needs for the
   * agent's `system-node-critical` pods outside kube-system)
   */
  readonly cniValues?: { [key: string]: any };
}

/** What the platform must run: the engines and routers the CanaryServices use, and a Prometheus or not. */
export interface PlatformPlanProps {
  /** The delivery engines the CanaryServices of the cluster use; at least one. */
  readonly engines: PlatformEngine[];
  /** The traffic routers the CanaryServices of the cluster use; at least one. */
  readonly routers: PlatformRouter[];
  /**
   * Type of the Service of the ingress proxies the platform installs (Traefik's, Istio's ingress
   * gateway). Nothing outside the cluster needs them for canary analysis: the load tests call the
   * in-cluster Service.
   *
   * @default PlatformServiceType.CLUSTER_IP - installs on any cluster; choose `LOAD_BALANCER`
   * only where the cluster provisions load balancers (Helm waits for the address)
   */
  readonly ingressServiceType?: PlatformServiceType;
  /**
   * Install one shared Prometheus (chart `prometheus`, server only, in `monitoring`) that scrapes
   * annotated pods cluster-wide. Pass `plan.sharedPrometheus` as the CanaryServices' `prometheus`
   * so they deploy none of their own; Flagger's `metricsServer` points at it too.
   *
   * @default false - every CanaryService namespace gets its embedded Prometheus, and each Canary
   * names it in its own `metricsServer`
   */
  readonly prometheus?: boolean;
  /**
   * Install kube-prometheus-stack instead (chart 88.5.3, in `monitoring`: the Prometheus Operator
   * and one Prometheus, without Alertmanager, Grafana, node-exporter and kube-state-metrics), whose
   * Prometheus selects PodMonitors labelled `release: kube-prometheus-stack` in every namespace.
   * `plan.sharedPrometheus` is then `Prometheus.operator()` at its address
   * (`http://kube-prometheus-stack-prometheus.monitoring:9090`): pass it as the CanaryServices'
   * `prometheus`, and each emits the PodMonitors its checks need; Flagger's `metricsServer` points
   * at it too. Where `kubePrometheusStack.values` set `prometheus.prometheusSpec.enforcedNamespaceLabel`,
   * `plan.sharedPrometheus` carries it (`PrometheusOperatorOptions.enforcedNamespaceLabel`), so the
   * checks read only the services' own PodMonitors; `prometheusSpec.excludedFromEnforcement` entries
   * for `podmonitors` are then refused (their series keep their targets' namespace, which those
   * scoped checks would not find). Not with `prometheus: true`.
   *
   * @default false
   */
  readonly prometheusOperator?: boolean;
  /**
   * Flagger's `meshProvider`. A Flagger install has one, but a Canary's `provider` overrides it,
   * and CanaryServices always set `provider`: this only matters for Canaries written by hand.
   *
   * @default - the first of `routers`
   */
  readonly flaggerMeshProvider?: PlatformRouter;
  /**
   * Overrides for the Flagger release (only with `PlatformEngine.FLAGGER`).
   *
   * @default - namespace `flagger-system`, chart 1.44.0
   */
  readonly flagger?: PlatformReleaseOptions;
  /**
   * Overrides for the Argo Rollouts release (only with `PlatformEngine.ARGO_ROLLOUTS`).
   *
   * @default - namespace `argo-rollouts`, chart 2.41.0
   */
  readonly argoRollouts?: PlatformReleaseOptions;
  /**
   * Overrides for the Traefik release (only with `PlatformRouter.TRAEFIK`).
   *
   * @default - namespace `traefik`, chart 41.3.0
   */
  readonly traefik?: PlatformReleaseOptions;
  /**
   * Overrides for the Istio releases (only with `PlatformRouter.ISTIO` or `GATEWAY_API`).
   *
   * @default - namespace `istio-system`, charts 1.30.3, the CNI node agent with `ISTIO`
   */
  readonly istio?: IstioPlatformOptions;
  /**
   * Overrides for the shared Prometheus release (only with `prometheus: true`).
   *
   * @default - namespace `monitoring`, chart 29.27.0
   */
  readonly prometheusServer?: PlatformReleaseOptions;
  /**
   * Where the shared Prometheus resolves names (only with `prometheus: true`): its NetworkPolicy
   * allows DNS to these pods and addresses alone, as `LoadTester.of`'s and `Prometheus.of`'s
   * `dns` do. Where NodeLocal DNSCache runs, give its address in `extraAddresses` (the kube-dns
   * Service's ClusterIP with kube-proxy in iptables mode and on GKE, `169.254.20.10` with IPVS,
   * `169.254.169.254` with GKE Cloud DNS).
   *
   * @default - the cluster DNS pods alone (`k8s-app: kube-dns` in kube-system)
   */
  readonly dns?: ClusterDnsOptions;
  /**
   * Overrides for the kube-prometheus-stack release (only with `prometheusOperator: true`).
   *
   * @default - namespace `monitoring`, chart 88.5.3
   */
  readonly kubePrometheusStack?: PlatformReleaseOptions;
}
