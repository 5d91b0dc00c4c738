/**
 * Computes the platform's Helm releases from the engines and routers in use. Internal: the public
 * face is `PlatformPlan`. Every value the synthesized manifests rely on comes from
 * `./conventions` or `../versions`, never from a literal here.
 */
import {
  ARGO_ROLLOUTS_CHART_POD_LABELS,
  ARGO_ROLLOUTS_NAMESPACE,
  ARGO_ROLLOUTS_TRAEFIK_ARGS,
  FLAGGER_NAMESPACE,
  FLAGGER_POD_LABELS,
  ISTIO_INGRESS_GATEWAY_LABELS,
  ISTIO_INGRESS_GATEWAY_NAME,
  ISTIO_NAMESPACE,
  PROMETHEUS_PORT,
  PROMETHEUS_SCRAPE_INTERVAL_SECONDS,
  SHARED_PROMETHEUS_NAME,
  SHARED_PROMETHEUS_NAMESPACE,
  TRAEFIK_INTERNAL_ENTRYPOINT,
  TRAEFIK_INTERNAL_PORT,
  TRAEFIK_METRICS_ENTRYPOINT,
  TRAEFIK_METRICS_PORT,
  TRAEFIK_NAMESPACE,
  TRAEFIK_SERVICE_NAME,
  TRAEFIK_WEB_CONTAINER_PORT,
  TRAEFIK_WEB_ENTRYPOINT,
  TRAEFIK_WEB_SERVICE_PORT,
  TRAEFIK_WEBSECURE_CONTAINER_PORT,
  TRAEFIK_WEBSECURE_ENTRYPOINT,
  TRAEFIK_WEBSECURE_SERVICE_PORT,
  ARGO_GATEWAY_API_PLUGIN,
  serviceAddress,
} from './conventions';
import { checkIstioValues } from './istio-values-checks';
import { kubePrometheusStackMonitorLabels, kubePrometheusStackServiceName, kubePrometheusStackValues } from './kube-prometheus-stack';
import {
  IstioPlatformOptions, PlatformEngine, PlatformManifests, PlatformPlanProps, PlatformRelease, PlatformReleaseOptions, PlatformRepository,
  PlatformRouter, PlatformServiceType,
} from './platform-options';
import { RESTRICTED_CONTAINER, sharedPrometheusValues } from './shared-prometheus';
import { resolveClusterDns } from '../addons/egress';
import { enforcedNamespaceLabelProblem } from '../addons/enforced-namespace-label';
import { checkNoCredentialsInUrl, maskCredentials } from '../analysis/url-credentials';
import { checkDnsLabel, checkUniqueNames, fail } from '../validation';
import {
  ARGO_GATEWAY_API_PLUGIN_IMAGE, ARGO_ROLLOUTS_CHART, FLAGGER_CHART, FLAGGER_OCI_CHART, GATEWAY_API_BRANCH, GATEWAY_API_COMMIT, GATEWAY_API_VERSION,
  ISTIO_BASE_CHART, ISTIO_CNI_CHART, ISTIO_GATEWAY_CHART, ISTIOD_CHART, KUBE_PROMETHEUS_STACK_CHART, PINNED_IMAGES, PROMETHEUS_CHART, PinnedChart,
  TRAEFIK_CHART, imageTagAndDigest,
} from '../versions';

const OWNER = 'PlatformPlan';
const ENGINES = Object.values(PlatformEngine) as string[];
const ROUTERS = Object.values(PlatformRouter) as string[];
const SERVICE_TYPES = Object.values(PlatformServiceType) as string[];
const CHART_VERSION = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/;

/** Release names, which are also the ids of the renderers' objects. */
export const RELEASE_NAMES = {
  prometheus: 'prometheus',
  kubePrometheusStack: 'kube-prometheus-stack',
  traefik: 'traefik',
  istioBase: 'istio-base',
  istioCni: 'istio-cni',
  istiod: 'istiod',
  istioGateway: ISTIO_INGRESS_GATEWAY_NAME,
  flagger: 'flagger',
  argoRollouts: 'argo-rollouts',
};

/** Flagger's `meshProvider` for each router. */
const MESH_PROVIDERS: { [router: string]: string } = {
  [PlatformRouter.TRAEFIK]: 'traefik',
  [PlatformRouter.ISTIO]: 'istio',
  [PlatformRouter.GATEWAY_API]: 'gatewayapi:v1',
  [PlatformRouter.REPLICA_RATIO]: 'kubernetes',
};

/** The Gateway API CRDs of the standard channel, from the pinned tag (`config/crd` lists exactly the standard files). */
export const GATEWAY_API_CRDS: PlatformManifests = {
  name: 'gateway-api-crds',
  repository: 'https://github.com/kubernetes-sigs/gateway-api',
  tag: GATEWAY_API_VERSION,
  commit: GATEWAY_API_COMMIT,
  branch: GATEWAY_API_BRANCH,
  path: './config/crd',
  releaseUrl: `https://github.com/kubernetes-sigs/gateway-api/releases/download/${GATEWAY_API_VERSION}/standard-install.yaml`,
};

/** Where the controller finds the Gateway API plugin's binary, copied there from its image at start-up. */
const PLUGIN_DIR = '/plugins';
const PLUGIN_BINARY = 'rollouts-plugin-trafficrouter-gatewayapi';

export interface PlannedPlatform {
  readonly releases: PlatformRelease[];
  readonly manifests: PlatformManifests[];
  readonly repositories: PlatformRepository[];
  readonly flaggerNamespace?: string;
  readonly metricsServer?: string;
  /** The labels the Prometheus Operator's Prometheus selects PodMonitors by, when kube-prometheus-stack is installed. */
  readonly monitorLabels?: { [key: string]: string };
  /** The label that Prometheus enforces as every series' namespace, as the installed values set it (`prometheusSpec.enforcedNamespaceLabel`). */
  readonly enforcedNamespaceLabel?: string;
  /** What the platform cannot check and the cluster must provide. */
  readonly notes: string[];
}

export function planPlatform(props: PlatformPlanProps): PlannedPlatform {
  const engines = checkChoices('engines', props.engines, ENGINES, 'engine') as PlatformEngine[];
  const routers = checkChoices('routers', props.routers, ROUTERS, 'router') as PlatformRouter[];
  const flagger = engines.includes(PlatformEngine.FLAGGER);
  const argo = engines.includes(PlatformEngine.ARGO_ROLLOUTS);
  const traefik = routers.includes(PlatformRouter.TRAEFIK);
  const istio = routers.includes(PlatformRouter.ISTIO);
  const gatewayApi = routers.includes(PlatformRouter.GATEWAY_API);
  const prometheus = props.prometheus ?? false;
  const serviceType = props.ingressServiceType ?? PlatformServiceType.CLUSTER_IP;
  if (!SERVICE_TYPES.includes(serviceType)) {
    fail(OWNER, `'ingressServiceType' (${show(serviceType)}) must be one of ${SERVICE_TYPES.map((t) => `'${t}'`).join(', ')}`);
  }
  onlyWith('ingressServiceType', props.ingressServiceType, traefik || istio, "'routers' includes neither TRAEFIK nor ISTIO (no ingress proxy is installed)");
  // The CRDs the controllers that route with Gateway API need before they start.
  const gatewayApiCrds = gatewayApi ? [GATEWAY_API_CRDS.name] : [];

  onlyWith('flagger', props.flagger, flagger, "'engines' does not include FLAGGER");
  onlyWith('flaggerMeshProvider', props.flaggerMeshProvider, flagger, "'engines' does not include FLAGGER");
  onlyWith('argoRollouts', props.argoRollouts, argo, "'engines' does not include ARGO_ROLLOUTS");
  onlyWith('traefik', props.traefik, traefik, "'routers' does not include TRAEFIK");
  onlyWith('istio', props.istio, istio || gatewayApi, "'routers' includes neither ISTIO nor GATEWAY_API");
  onlyWith('prometheusServer', props.prometheusServer, prometheus, "'prometheus' is not true");
  onlyWith('dns', props.dns, prometheus, "'prometheus' is not true (only the shared Prometheus's NetworkPolicy calls DNS)");
  const operator = props.prometheusOperator ?? false;
  onlyWith('kubePrometheusStack', props.kubePrometheusStack, operator, "'prometheusOperator' is not true");
  if (prometheus && operator) {
    fail(OWNER, "'prometheus' and 'prometheusOperator' are both true: choose one Prometheus (the shared one, or kube-prometheus-stack's)");
  }
  // The release the controllers wait for: they query it from their first analysis.
  const prometheusRelease = prometheus ? [RELEASE_NAMES.prometheus] : operator ? [RELEASE_NAMES.kubePrometheusStack] : [];
  let monitorLabels: { [key: string]: string } | undefined;
  let enforcedNamespaceLabel: string | undefined;
  const notes: string[] = [];

  const releases: PlatformRelease[] = [];
  let metricsServer: string | undefined;
  let flaggerNamespace: string | undefined;

  // CRD and metrics providers first, then the controllers that use them: the order below is an
  // install order, and every dependsOn names a release listed before it.
  if (prometheus) {
    const options = checkOptions('prometheusServer', props.prometheusServer);
    const namespace = options.namespace ?? SHARED_PROMETHEUS_NAMESPACE;
    metricsServer = serviceAddress(SHARED_PROMETHEUS_NAME, namespace, PROMETHEUS_PORT);
    const scrapeInterval = `${PROMETHEUS_SCRAPE_INTERVAL_SECONDS}s`;
    // The controllers run the checks' queries: only their pods may query it.
    const clients = [
      ...(flagger ? [{ namespace: props.flagger?.namespace ?? FLAGGER_NAMESPACE, podLabels: { ...FLAGGER_POD_LABELS } }] : []),
      ...(argo ? [{ namespace: props.argoRollouts?.namespace ?? ARGO_ROLLOUTS_NAMESPACE, podLabels: { ...ARGO_ROLLOUTS_CHART_POD_LABELS } }] : []),
    ];
    releases.push(release(RELEASE_NAMES.prometheus, PROMETHEUS_CHART, namespace, options, [], [],
      sharedPrometheusValues(RELEASE_NAMES.prometheus, namespace, clients, scrapeInterval, resolveClusterDns(OWNER, 'dns', props.dns))));
  }

  if (operator) {
    const options = checkOptions('kubePrometheusStack', props.kubePrometheusStack);
    const namespace = options.namespace ?? SHARED_PROMETHEUS_NAMESPACE;
    const name = RELEASE_NAMES.kubePrometheusStack;
    metricsServer = serviceAddress(kubePrometheusStackServiceName(name), namespace, PROMETHEUS_PORT);
    monitorLabels = kubePrometheusStackMonitorLabels(name);
    const stack = release(name, KUBE_PROMETHEUS_STACK_CHART, namespace, options, [], [], kubePrometheusStackValues(name));
    enforcedNamespaceLabel = enforcedNamespaceLabelOf(stack.values);
    releases.push(stack);
  }

  if (traefik) {
    const options = checkOptions('traefik', props.traefik);
    releases.push(release(RELEASE_NAMES.traefik, TRAEFIK_CHART, options.namespace ?? TRAEFIK_NAMESPACE, options, [], [], {
      image: traefikImageValues(),
      metrics: {
        prometheus: {
          // The chart annotates the pods prometheus.io/scrape "true" and prometheus.io/port with the
          // port of this entryPoint (unless a ServiceMonitor is enabled), which is what the embedded
          // and the shared Prometheus discover. Setting deployment.podAnnotations as well would
          // duplicate those keys.
          entryPoint: TRAEFIK_METRICS_ENTRYPOINT,
          // The built-in queries select on the `service` label.
          addServicesLabels: true,
          serviceMonitor: { enabled: false },
        },
      },
      // Typed load tests call this Service on these ports, and the loadtester's NetworkPolicy lets it
      // reach the pods on the container ports (the chart's defaults, pinned here).
      fullnameOverride: TRAEFIK_SERVICE_NAME,
      service: {
        // The chart's default is LoadBalancer, whose address Helm waits for (values.yaml service.spec.type).
        spec: { type: serviceType },
        // `<fullname>-internal`, a ClusterIP Service of the internal entryPoint.
        additionalServices: { [TRAEFIK_INTERNAL_ENTRYPOINT]: { type: 'ClusterIP' } },
      },
      ports: {
        [TRAEFIK_METRICS_ENTRYPOINT]: { port: TRAEFIK_METRICS_PORT },
        // The entryPoints the IngressRoutes name, exposed by the chart's Service.
        [TRAEFIK_WEB_ENTRYPOINT]: {
          port: TRAEFIK_WEB_CONTAINER_PORT, exposedPort: TRAEFIK_WEB_SERVICE_PORT, expose: { default: true },
        },
        [TRAEFIK_WEBSECURE_ENTRYPOINT]: {
          port: TRAEFIK_WEBSECURE_CONTAINER_PORT, exposedPort: TRAEFIK_WEBSECURE_SERVICE_PORT, expose: { default: true },
        },
        // Preview hosts listen here: on the internal Service only, not on the public one.
        [TRAEFIK_INTERNAL_ENTRYPOINT]: {
          port: TRAEFIK_INTERNAL_PORT, exposedPort: TRAEFIK_INTERNAL_PORT, expose: { default: false, internal: true },
        },
      },
    }));
  }

  if (istio || gatewayApi) {
    const options = checkIstioOptions(props.istio);
    const namespace = options.namespace ?? ISTIO_NAMESPACE;
    const chart = { version: options.version, repository: options.repository };
    const { istioBase, istioCni, istiod, istioGateway } = RELEASE_NAMES;
    // Only the ISTIO router's services ask for sidecars; istiod's Gateway API proxies are never injected.
    const cni = options.cni ?? istio;
    if (!cni) {
      const reason = options.cni === false ? "'istio.cni' is false" : "'istio.cni' is false by default without PlatformRouter.ISTIO";
      onlyWith('istio.cniNamespace', options.cniNamespace, false, reason);
      onlyWith('istio.cniValues', options.cniValues, false, reason);
    }
    notes.push(...checkIstioValues(options, cni));
    releases.push(release(istioBase, ISTIO_BASE_CHART, namespace, { ...chart, values: options.baseValues }, [], [], {}));
    if (cni) {
      // Istio's install order (base, cni, istiod), which also keeps two releases from creating the
      // namespace at once. It does not make the agent ready on every node before istiod injects (Helm 3
      // waits for N-1 of N DaemonSet pods; later nodes): its repair mode (`repair.repairPods`, on) fixes pods that started first.
      const cniNamespace = options.cniNamespace ?? namespace;
      releases.push(release(istioCni, ISTIO_CNI_CHART, cniNamespace, { ...chart, values: options.cniValues }, [istioBase], [], {
        // The agent's pods are `system-node-critical` (templates/daemonset.yaml); GKE admits that class outside
        // kube-system only under a ResourceQuota for it, which this value creates in the agent's namespace
        // (templates/resourcequota.yaml, as the chart's gke platform profile does). Elsewhere it only counts pods.
        resourceQuotas: { enabled: true },
      }));
    }
    const istiodAfter = [istioBase, ...(cni ? [istioCni] : [])];
    releases.push(release(istiod, ISTIOD_CHART, namespace, { ...chart, values: options.istiodValues }, istiodAfter, gatewayApiCrds, {
      // Sidecars then carry the prometheus.io annotations that Prometheus discovers pods by.
      meshConfig: { enablePrometheusMerge: true },
      // Pod Security "restricted" wants a seccomp profile: istiod's own container (top-level `seccompProfile`,
      // templates/deployment.yaml), the Gateway API proxies istiod deploys (files/kube-gateway.yaml) and the
      // sidecars (files/injection-template.yaml).
      seccompProfile: RUNTIME_DEFAULT_SECCOMP,
      gateways: { seccompProfile: RUNTIME_DEFAULT_SECCOMP },
      global: { proxy: { seccompProfile: RUNTIME_DEFAULT_SECCOMP } },
      // The injector's `.Values.pilot.cni` is the chart's top-level `cni` (templates/istiod-injector-configmap.yaml):
      // sidecars get `istio-validation` (uid 1337, no capability) instead of `istio-init` (NET_ADMIN, NET_RAW, root).
      ...(cni ? { cni: { enabled: true } } : {}),
    }));
    // Gateway API needs no gateway chart: istiod deploys a proxy (`<gateway>-istio`) for every Gateway.
    if (istio) {
      releases.push(release(istioGateway, ISTIO_GATEWAY_CHART, namespace, { ...chart, values: options.gatewayValues }, [istiod], [], {
        // What the Istio Gateways of the CanaryServices select (the chart derives the same from the
        // release name; explicit, so a renamed release still matches).
        labels: { ...ISTIO_INGRESS_GATEWAY_LABELS },
        // Pod Security "restricted": a seccomp profile, with the chart's default sysctl kept (replaced by any securityContext
        // given; a safe sysctl) so the proxy binds 80/443 unprivileged (templates/deployment.yaml).
        securityContext: { seccompProfile: RUNTIME_DEFAULT_SECCOMP, sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
        // The chart's default is LoadBalancer, whose address Helm waits for (values.yaml service.type).
        service: { type: serviceType },
      }));
    }
  }

  // Controllers after the CRDs of the kinds they drive; Argo Rollouts only enables its Istio
  // support when the Istio CRDs exist at start-up.
  const routerCrds = [
    ...(traefik ? [RELEASE_NAMES.traefik] : []),
    ...(istio || gatewayApi ? [RELEASE_NAMES.istioBase] : []),
  ];

  if (flagger) {
    const options = checkOptions('flagger', props.flagger);
    flaggerNamespace = options.namespace ?? FLAGGER_NAMESPACE;
    const meshProvider = props.flaggerMeshProvider ?? routers[0];
    if (!routers.includes(meshProvider)) {
      fail(OWNER, `'flaggerMeshProvider' (${show(meshProvider)}) must be one of 'routers' (${routers.join(', ')})`);
    }
    releases.push(release(RELEASE_NAMES.flagger, FLAGGER_CHART, flaggerNamespace, options, [
      ...prometheusRelease,
      ...routerCrds,
    ], gatewayApiCrds, {
      meshProvider: MESH_PROVIDERS[meshProvider],
      // Without a shared Prometheus, every Canary names its namespace's Prometheus in `metricsServer`.
      ...(metricsServer === undefined ? {} : { metricsServer }),
      // The controller's image as src/versions.ts pins it: the chart writes <repository>:<tag>
      // (templates/deployment.yaml), so a recorded digest rides on the tag.
      image: { repository: PINNED_IMAGES.flagger.repository, tag: imageTagAndDigest(PINNED_IMAGES.flagger) },
      // Pod Security "restricted": the chart's container securityContext is only read-only and uid 10001 (values.yaml).
      securityContext: { enabled: true, context: { ...RESTRICTED_CONTAINER, runAsNonRoot: true, runAsUser: 10001 } },
      // CanaryServices deploy their own Prometheus or use the shared one, never Flagger's.
      prometheus: { install: false },
      // Helm 3 installs the CRDs from the chart's crds/ folder.
      crd: { create: false },
    }));
  }

  if (argo) {
    const options = checkOptions('argoRollouts', props.argoRollouts);
    const namespace = options.namespace ?? ARGO_ROLLOUTS_NAMESPACE;
    releases.push(release(RELEASE_NAMES.argoRollouts, ARGO_ROLLOUTS_CHART, namespace, options, routerCrds, gatewayApiCrds, {
      installCRDs: true,
      controller: {
        // Chart 2.41.0 ships v1.9.0; the manifests target the controller version of src/versions.ts,
        // pinned by digest (the chart writes <registry>/<repository>:<tag>).
        image: { registry: 'quay.io', repository: 'argoproj/argo-rollouts', tag: imageTagAndDigest(PINNED_IMAGES.argoRollouts) },
        // Alerts of the CanaryServices are configured in their own namespaces (argo-notifications.ts):
        // the chart's value adds --self-service-notification-enabled (templates/controller/deployment.yaml).
        selfServiceNotification: true,
        ...(traefik ? { extraArgs: ARGO_ROLLOUTS_TRAEFIK_ARGS } : {}),
        ...(gatewayApi ? gatewayApiPluginValues() : {}),
      },
    }));
  }

  return {
    releases,
    manifests: gatewayApi ? [GATEWAY_API_CRDS] : [],
    repositories: repositoriesOf(releases),
    flaggerNamespace,
    metricsServer,
    monitorLabels,
    enforcedNamespaceLabel,
    notes,
  };
}

/**
 * The label the installed Prometheus enforces as every series' namespace, from the values the plan
 * installs (the user's `kubePrometheusStack.values` merged over ours), so that the shared
 * Prometheus handed to the services scopes their checks by it. Empty means none, as for the
 * operator (prometheus-operator v0.93.0 pkg/namespacelabeler/labeler.go:80: no enforcement when empty).
 */
function enforcedNamespaceLabelOf(values: { [key: string]: any }): string | undefined {
  const label = values.prometheus?.prometheusSpec?.enforcedNamespaceLabel;
  if (label === undefined || label === null || label === '') return undefined;
  const problem = enforcedNamespaceLabelProblem(label);
  if (problem !== undefined) {
    fail(OWNER, `'kubePrometheusStack.values.prometheus.prometheusSpec.enforcedNamespaceLabel' (${JSON.stringify(label)}) ${problem}`);
  }
  // The operator leaves a listed monitor's series unlabelled (labeler.go IsExcluded: namespace + group/kind, all
  // names when none is given): the shared Prometheus, one for every service, would scope those services' checks by a
  // namespace their series do not carry. The platform cannot tell which services live there, so it refuses.
  const excluded = values.prometheus?.prometheusSpec?.excludedFromEnforcement;
  const namespaces = (Array.isArray(excluded) ? excluded : [])
    .filter((entry) => entry?.resource === 'podmonitors' && (entry.group ?? MONITORING_GROUP) === MONITORING_GROUP)
    .map((entry) => JSON.stringify(entry.namespace));
  if (namespaces.length > 0) {
    fail(OWNER, `'kubePrometheusStack.values.prometheus.prometheusSpec.excludedFromEnforcement' excludes PodMonitors of ${[...new Set(namespaces)].join(', ')} `
      + `from the enforced '${label}' label, so the shared Prometheus ('sharedPrometheus') cannot scope the checks of services there: `
      + "remove those podmonitors entries, or remove 'enforcedNamespaceLabel'");
  }
  return label;
}

/** The Prometheus Operator's API group, the default `group` of `excludedFromEnforcement` entries. */
const MONITORING_GROUP = 'monitoring.coreos.com';

const RUNTIME_DEFAULT_SECCOMP = { type: 'RuntimeDefault' };

/**
 * Traefik's image by digest: with `image.digest` the chart writes <registry>/<repository>@<digest>
 * and still reads the version its templates check from `image.tag` (templates/_helpers.tpl,
 * `traefik.image-name` and `traefik.proxyVersion`).
 */
function traefikImageValues(): { [key: string]: string } {
  const { repository, tag, digest } = PINNED_IMAGES.traefik;
  const [registry, ...path] = repository.split('/');
  return { registry, repository: path.join('/'), tag, ...(digest ? { digest } : {}) };
}

/**
 * The controller's Gateway API plugin (Rollout key `argoproj-labs/gatewayAPI`): an init container
 * copies the binary from the plugin's image, pinned by tag, into a volume the controller loads it
 * from (`file://`, the recipe of the plugin's docs/installation.md). The chart's
 * `providerRBAC.providers.gatewayAPI` (on by default) lets the controller update HTTPRoutes.
 */
function gatewayApiPluginValues(): { [key: string]: any } {
  return {
    initContainers: [{
      name: 'copy-gatewayapi-plugin',
      image: ARGO_GATEWAY_API_PLUGIN_IMAGE,
      // No shell: the image's cp copies the binary.
      command: ['cp', `/bin/${PLUGIN_BINARY}`, `${PLUGIN_DIR}/`],
      volumeMounts: [{ name: 'gatewayapi-plugin', mountPath: PLUGIN_DIR }],
      // Pod Security "restricted" (the image runs as uid 999).
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
    }],
    volumes: [{ name: 'gatewayapi-plugin', emptyDir: {} }],
    volumeMounts: [{ name: 'gatewayapi-plugin', mountPath: PLUGIN_DIR }],
    trafficRouterPlugins: [{ name: ARGO_GATEWAY_API_PLUGIN, location: `file://${PLUGIN_DIR}/${PLUGIN_BINARY}` }],
  };
}

/** The charts that ship CRDs in their `crds/` folder (Helm installs them once and never upgrades them). */
// kube-prometheus-stack's are in its `crds` subchart's crds/ folder, which `helm show crds` includes.
const CHARTS_WITH_CRDS_FOLDER = [FLAGGER_CHART, TRAEFIK_CHART, KUBE_PROMETHEUS_STACK_CHART];

function release(
  name: string, chart: PinnedChart, namespace: string, options: PlatformReleaseOptions,
  dependsOn: string[], dependsOnManifests: string[], values: { [key: string]: any },
): PlatformRelease {
  const version = options.version ?? chart.version;
  // Flagger signs its OCI chart; a repository of one's own (a mirror) is installed as given.
  const signedChart = chart === FLAGGER_CHART && options.repository === undefined
    ? { url: FLAGGER_OCI_CHART.url, tag: version, issuer: FLAGGER_OCI_CHART.issuer, subject: FLAGGER_OCI_CHART.subject }
    : undefined;
  return {
    name,
    namespace,
    chart: chart.chart,
    version,
    repository: options.repository ?? chart.repository,
    repositoryName: chart.repositoryName,
    values: mergeValues(values, options.values ?? {}),
    dependsOn,
    dependsOnManifests,
    chartCrds: CHARTS_WITH_CRDS_FOLDER.includes(chart),
    ...(signedChart ? { signedChart } : {}),
  };
}

function repositoriesOf(releases: PlatformRelease[]): PlatformRepository[] {
  const byName = new Map<string, PlatformRepository>();
  for (const r of releases) {
    // One repository name per component (Istio's three charts share theirs), so one URL per name.
    byName.set(r.repositoryName, { name: r.repositoryName, url: r.repository, oci: r.repository.startsWith('oci://') });
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Helm's merge: objects key by key, anything else (arrays, scalars, null) replaces. Returns a copy:
 * neither input is modified, and the result shares nothing with them.
 */
export function mergeValues(ours: { [key: string]: any }, theirs: { [key: string]: any }): { [key: string]: any } {
  const merged: { [key: string]: any } = copy(ours);
  for (const [key, value] of Object.entries(theirs)) {
    merged[key] = isPlainObject(value) && isPlainObject(merged[key]) ? mergeValues(merged[key], value) : copy(value);
  }
  return merged;
}

function copy(value: any): any {
  if (Array.isArray(value)) {
    return value.map(copy);
  }
  return isPlainObject(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)])) : value;
}

function isPlainObject(value: unknown): value is { [key: string]: any } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

function checkChoices(property: string, values: string[] | undefined, allowed: string[], what: string): string[] {
  if (!Array.isArray(values) || values.length === 0) {
    fail(OWNER, `'${property}' (${JSON.stringify(values ?? [])}) must name at least one ${what}: ${allowed.join(' or ')}`);
  }
  values.forEach((value, i) => {
    if (!allowed.includes(value)) {
      fail(OWNER, `'${property}[${i}]' (${show(value)}) must be one of ${allowed.join(', ')}`);
    }
  });
  checkUniqueNames(OWNER, property, values);
  return values;
}

function onlyWith(property: string, value: unknown, present: boolean, reason: string): void {
  if (value !== undefined && !present) {
    fail(OWNER, `'${property}' is set but ${reason}`);
  }
}

function checkVersion(property: string, version: string | undefined): void {
  if (version !== undefined && !CHART_VERSION.test(version)) {
    fail(OWNER, `'${property}' (${show(version)}) must be a pinned chart version such as '1.2.3'`);
  }
}

function checkRepository(property: string, repository: string | undefined): void {
  if (repository !== undefined && !/^(https?|oci):\/\/[^\s/]+(\/\S*)?$/.test(repository)) {
    fail(OWNER, `'${property}' (${show(maskCredentials(repository))}) must be an https://, http:// or oci:// URL`);
  }
  if (repository !== undefined) {
    checkNoCredentialsInUrl(OWNER, property, repository, "keep them in a Secret: a Flux HelmRepository's 'secretRef' (keys 'username' and 'password'), "
      + "or the Terraform Helm provider's 'repository_username'/'repository_password' from a variable");
  }
}

function checkValues(property: string, values: unknown): void {
  if (values !== undefined && !isPlainObject(values)) {
    fail(OWNER, `'${property}' (${JSON.stringify(values)}) must be an object of Helm values`);
  }
}

function checkOptions(property: string, options: PlatformReleaseOptions | undefined): PlatformReleaseOptions {
  const checked = options ?? {};
  if (checked.namespace !== undefined) {
    checkDnsLabel(OWNER, `${property}.namespace`, checked.namespace);
  }
  checkVersion(`${property}.version`, checked.version);
  checkRepository(`${property}.repository`, checked.repository);
  checkValues(`${property}.values`, checked.values);
  return checked;
}

function checkIstioOptions(options: IstioPlatformOptions | undefined): IstioPlatformOptions {
  const checked = options ?? {};
  if (checked.namespace !== undefined) {
    checkDnsLabel(OWNER, 'istio.namespace', checked.namespace);
  }
  checkVersion('istio.version', checked.version);
  checkRepository('istio.repository', checked.repository);
  checkValues('istio.baseValues', checked.baseValues);
  checkValues('istio.istiodValues', checked.istiodValues);
  checkValues('istio.gatewayValues', checked.gatewayValues);
  if (checked.cniNamespace !== undefined) {
    checkDnsLabel(OWNER, 'istio.cniNamespace', checked.cniNamespace);
  }
  checkValues('istio.cniValues', checked.cniValues);
  return checked;
}
