import { Duration, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ClusterDnsOptions } from './cluster-dns';
import { EgressRules, resolveClusterDns } from './egress';
import { namespaceSingleton, ownedName, platformRbacChart, sharingOf } from './namespace-singleton';
import { escapeRegex, OwnPods, renderPrometheusConfig } from './prometheus-config';
import { OperatorPrometheus } from './prometheus-operator';
import { CanaryMetric, MetricKind } from '../analysis/metric';
import { checkNoCredentialsInUrl, maskCredentials } from '../analysis/url-credentials';
import { checkArguments } from '../arguments/check-arguments';
import { NO_SIDECAR_LABELS, POD_METRICS_JOB, PROMETHEUS_NAME, PROMETHEUS_PORT, SELECTOR_LABEL, serviceAddress } from '../platform/conventions';
import { MonitorScopedSeries, RouterMetrics } from '../routers/router';
import { checkEmittedObjects } from '../synth/object-validity';
import { checkDnsLabel, checkPinnedImage, checkWholeSeconds, fail, toLongDuration } from '../validation';
import { PROMETHEUS_IMAGE } from '../versions';
import { checkImmutableImage } from '../workload/image-reference';
import { restrictedSecurityContext, selectPodsByLabels } from '../workload/pod-security';

/** What a CanaryService needs of a Prometheus: where to query, and a way to ask it to scrape a namespace. */
export interface IPrometheus {
  /** Query address, e.g. `http://canary-prometheus.test:9090`. */
  readonly address: string;

  /**
   * Asks this Prometheus to discover annotated pods in `namespace` (a no-op for an external one).
   * The embedded one of an app named with `SharedAddons.configure` keeps every annotated pod of a
   * namespace asked for so, not only its services' pods.
   *
   * @param namespace the namespace whose pods to scrape
   */
  scrapeNamespace(namespace: string): void;

  /**
   * Asks this Prometheus to scrape a router's pods in another namespace and keep the series of one
   * service (a no-op for an external one).
   *
   * @param metrics the router's namespace and the series to keep
   */
  scrapeRouterMetrics(metrics: RouterMetrics): void;

  /**
   * Lets a controller's pods query this Prometheus (an ingress rule of its NetworkPolicy; a no-op
   * for an external one, whose access its owner manages).
   *
   * @param namespace the controller's namespace
   * @param podLabels the controller's pod labels (every pod of the namespace when none)
   */
  allowQueriesFrom(namespace: string, podLabels?: { [key: string]: string }): void;

  /**
   * The `job` label of the series of a service's pods: the checks that read those series (Istio's
   * sidecars', the application's own) select it, so that no other job's series count.
   * `kubernetes-pods` for the embedded and external ones, `<namespace>/<name>-pods` (its PodMonitor)
   * for the Prometheus Operator's.
   *
   * @param namespace the service's namespace
   * @param service the service's name
   */
  podMetricsJob(namespace: string, service: string): string;

  /**
   * How the checks must select a service's series when this Prometheus labels every series with
   * the namespace of the monitor that scraped it (the Prometheus Operator's with
   * `enforcedNamespaceLabel`, `PrometheusOperatorOptions.enforcedNamespaceLabel`); undefined when
   * the series keep their pods' namespace (the embedded and external ones).
   *
   * @param namespace the service's namespace
   * @param service the service's name
   * @param routerMonitors how many monitors of the router's series the service has (`routerMetrics`)
   */
  monitorScopedSeries(namespace: string, service: string, routerMonitors: number): MonitorScopedSeries | undefined;

  /**
   * Asks this Prometheus to scrape one service's pods and its router's series (the Prometheus
   * Operator's: PodMonitors in the service's namespace; a no-op for the others, which scrape by
   * namespace).
   *
   * @param scope where to create the objects (the service's construct)
   * @param service the service, its pods and the router's series its checks read
   */
  monitorService(scope: Construct, service: MonitoredService): void;
}

/** Options of `Prometheus.operator()`: a Prometheus the Prometheus Operator runs (kube-prometheus-stack). */
export interface PrometheusOperatorOptions {
  /**
   * The query address of the platform's Prometheus, e.g.
   * `http://kube-prometheus-stack-prometheus.monitoring:9090` (kube-prometheus-stack's Service
   * `<release>-prometheus`, port 9090). It must carry no credentials.
   */
  readonly address: string;

  /**
   * The labels the platform's Prometheus selects PodMonitors by (its `podMonitorSelector`):
   * kube-prometheus-stack selects `release: <its Helm release>` unless told otherwise
   * (`prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues`). Every PodMonitor carries them.
   *
   * @default { release: 'kube-prometheus-stack' }
   */
  readonly monitorLabels?: { [key: string]: string };

  /**
   * How often the PodMonitors' targets are scraped (their endpoints' `interval`, which overrides
   * the Prometheus's global one, 30 s in kube-prometheus-stack). Whole seconds, at least 1 second.
   *
   * @default Duration.seconds(5) - as the embedded Prometheus and Flagger's chart
   */
  readonly scrapeInterval?: Duration;

  /**
   * Whether each service's PodMonitor of the router's series (`<name>-router`, in the service's
   * namespace, selecting the router's pods in the router's namespace through `namespaceSelector`)
   * is emitted. Turn it off when the platform's Prometheus ignores namespace selectors
   * (`ignoreNamespaceSelectors: true`, a multi-tenant setting): the platform must then scrape the
   * router's pods itself, with the target label `namespace` of the router's pods and without
   * honoring the pods' labels, or the router's checks find no series.
   *
   * @default true
   */
  readonly monitorRouter?: boolean;

  /**
   * The label the platform's Prometheus enforces as the namespace of every series, as its
   * `enforcedNamespaceLabel` says (kube-prometheus-stack: `prometheusSpec.enforcedNamespaceLabel`;
   * usually `namespace`, but any Prometheus label name). The operator then sets that label of every
   * series to the namespace of the PodMonitor that scraped it, last, after the PodMonitor's own
   * relabelings: the router's series (Traefik's in `traefik`, a Gateway's proxies) carry the
   * service's namespace, not the router's. With it, every check reads its series by the service's
   * own PodMonitors: `<label>="<service namespace>"` and `job="<namespace>/<name>-router"` (the
   * router's), `job="<namespace>/<name>-pods"` (the pods'), and Flagger's built-in Traefik and Istio
   * checks, which select neither, run as MetricTemplates. Series that another namespace's
   * PodMonitor relabels to look like these keep that namespace, so they are not read: no PodMonitor
   * of another namespace can forge them, unless the platform excludes it from enforcement
   * (`excludedFromEnforcement`): admit only trusted namespaces' monitors to that list.
   *
   * Exception: with `monitorRouter: false` the router's checks read the platform's own series of
   * the router, unscoped (Flagger's built-ins select no namespace; Argo Rollouts' select the
   * router's namespace), which any namespace's monitor can forge; the pods' checks stay scoped.
   *
   * @default - none: the platform's Prometheus enforces no namespace label
   */
  readonly enforcedNamespaceLabel?: string;
}

/** What a Prometheus scrapes for one service (`IPrometheus.monitorService`). */
export interface MonitoredService {
  /** Name of the service. */
  readonly name: string;
  /** Its namespace. */
  readonly namespace: string;
  /** Labels of the objects created for it. */
  readonly labels: { [key: string]: string };
  /** The pods the controller runs for it, as label expressions that must all hold (Flagger: primary and canary). */
  readonly pods: kplus.LabelExpression[];
  /** The router's series its checks read. */
  readonly routerMetrics: RouterMetrics[];
}

/** Options of the embedded Prometheus. */
export interface PrometheusOptions {
  /**
   * The Prometheus image, pinned by a version tag or a digest.
   *
   * @default - docker.io/prom/prometheus:v3.5.5, pinned by digest (PROMETHEUS_IMAGE in versions.ts; the platform's shared Prometheus runs it too)
   */
  readonly image?: string;

  /**
   * How long samples are kept (`--storage.tsdb.retention.time`). Canary analysis only looks at
   * the last few minutes, and storage is an emptyDir. Whole seconds, at least 1 second.
   *
   * @default Duration.hours(2)
   */
  readonly retention?: Duration;

  /**
   * How often every target is scraped (the global `scrape_interval`). Whole seconds, at least
   * 1 second.
   *
   * @default Duration.seconds(5) - as Flagger's chart
   */
  readonly scrapeInterval?: Duration;

  /**
   * Resources of the Prometheus container.
   *
   * @default - requests 100m CPU and 256Mi memory, limits 1 CPU and 512Mi memory
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * Where Prometheus resolves names: its NetworkPolicy allows DNS to these pods only.
   *
   * @default - the cluster DNS pods (`k8s-app: kube-dns` in kube-system) alone
   */
  readonly dns?: ClusterDnsOptions;

  /**
   * The addresses (CIDRs) of the Kubernetes API server's endpoints, which Prometheus calls to
   * discover pods (on ports 443 and 6443). NetworkPolicies see the endpoint's address, not the
   * `kubernetes` Service's, and it differs per cluster: list it with
   * `kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes`. With Cilium and
   * a control plane on the cluster's nodes (kubeadm, k3s, kind), an `ipBlock` does not match the
   * nodes unless Cilium runs with `policy-cidr-match-mode: nodes` (or a CiliumNetworkPolicy allows
   * `toEntities: [kube-apiserver]`).
   *
   * @default ['0.0.0.0/0'] - any address, on ports 443 and 6443 only
   */
  readonly apiServerAddresses?: string[];
}

/** Properties of the embedded Prometheus. */
export interface PrometheusProps extends PrometheusOptions {
  /** The namespace Prometheus runs in; it always scrapes its own namespace. */
  readonly namespace: string;
}

const KIND = 'Prometheus';
const NOBODY = 65534;

/**
 * A minimal in-cluster Prometheus, as Flagger's chart installs it: it discovers pods annotated
 * `prometheus.io/scrape: "true"` in the namespaces it is asked to scrape, and is allowed to list
 * pods in those namespaces only (a Role per namespace, no ClusterRole). The Roles in namespaces
 * other than its own (the router's, e.g. `traefik`) go to the Chart `canary-platform-rbac` under the
 * app `SharedAddons.configure({ platformRbacScope })` names, a file the platform team applies, or
 * nowhere (the plan names them) when none is configured. A NetworkPolicy admits queries only from the controllers' pods and
 * lets it call only the cluster DNS, the API server and the pods it scrapes.
 *
 * One per namespace and app: `Prometheus.of()` finds it, and one created with `new` is found by
 * the services of its namespace.
 */
export class Prometheus extends Construct implements IPrometheus {
  /**
   * A Prometheus that already runs elsewhere: nothing is deployed and every address points there.
   *
   * It must scrape what the checks read, with the labels they select on: the router's pods
   * (Traefik's `traefik_service_*`) and the service's pods (Istio's sidecars, annotated
   * `prometheus.io/scrape` by Istio's metrics merging), through a pod job that copies the pod labels
   * onto the series (`labelmap` of `__meta_kubernetes_pod_label_(.+)`, as the prometheus-community
   * chart's `kubernetes-pods` job does): with Argo Rollouts and Istio, the checks tell the canary by
   * the pod label `rollouts-pod-template-hash`, as `rollouts_pod_template_hash`. The checks read the
   * service's pods' series from the job `kubernetes-pods` only (name it so), and the router's by the
   * target label `namespace` of its pods: the job must not honor the pods' labels (`honor_labels`
   * off, the default), or a pod could pass its series off as another's. The address must carry no
   * credentials (they would be written into the manifests), and the checks send none: a Prometheus
   * that requires them is reached through an authenticating proxy inside the cluster.
   *
   * @param address its query address, e.g. `http://prometheus.monitoring:9090`
   */
  public static external(address: string): IPrometheus {
    checkArguments('Prometheus.external', [address]);
    checkPrometheusAddress('Prometheus.external', address);
    return new ExternalPrometheus(address);
  }

  /**
   * The Prometheus the Prometheus Operator runs for the platform (kube-prometheus-stack): nothing
   * is deployed, every check queries `options.address`, and each CanaryService emits PodMonitors in
   * its own namespace for the platform's Prometheus to pick up (labelled `options.monitorLabels`):
   *
   * - `<name>-pods`: the pods the controller runs for the service (Flagger's primary and canary,
   *   the Rollout's ReplicaSets), as annotated (`prometheus.io/scrape`, port, path: Istio's merged
   *   metrics, the application's own), every pod label copied onto the series
   *   (`rollouts_pod_template_hash` tells Argo Rollouts' canary apart). Their series carry
   *   `job="<namespace>/<name>-pods"`, which the checks select instead of `kubernetes-pods`.
   * - `<name>-router`: the router's pods in the router's namespace (Traefik's on its declared
   *   metrics port, 9100 or `TrafficRouter.traefik({ metricsPort })`, annotated or not; a Gateway API gateway's as annotated), keeping this
   *   service's series only (see `monitorRouter`).
   *
   * The checks are only as trustworthy as that Prometheus's tenancy: any PodMonitor it selects can
   * relabel its own targets into the series the checks read (`namespace`, `job`). Enforce a
   * namespace label on that Prometheus (`enforcedNamespaceLabel: namespace`) and name it in
   * `enforcedNamespaceLabel`: the checks then read only series of the service's own PodMonitors,
   * which no other namespace can forge unless the platform excludes that namespace's monitors from
   * enforcement (`excludedFromEnforcement`). Otherwise admit PodMonitors only from trusted namespaces.
   *
   * The platform's Prometheus must select PodMonitors in the services' namespaces
   * (`podMonitorNamespaceSelector`, every namespace by default) and may call their pods; the
   * controllers must be allowed to query it. The address must carry no credentials.
   *
   * @param options its address, the labels it selects monitors by, the scrape interval
   */
  public static operator(options: PrometheusOperatorOptions): IPrometheus {
    checkArguments('Prometheus.operator', [options]);
    const owner = 'Prometheus.operator';
    checkPrometheusAddress(owner, options.address);
    return new OperatorPrometheus(owner, options);
  }

  /**
   * Finds the embedded Prometheus of `namespace` in the app, or creates it in the namespace's shared
   * Chart (`canary-shared-<namespace>`, or `canary-shared-<namespace>-<appName>` in an app named
   * with `SharedAddons.configure`: a file of its own). `options` only apply when it is created.
   */
  public static of(scope: Construct, namespace: string, options: PrometheusOptions = {}): Prometheus {
    checkArguments('Prometheus.of', [scope, namespace, options]);
    return namespaceSingleton(scope, KIND, namespace, (chart, id) => new Prometheus(chart, id, { ...options, namespace }));
  }

  /** The namespace Prometheus runs in. */
  public readonly namespace: string;
  /**
   * The name of its objects and its pods' `app.kubernetes.io/name`: `canary-prometheus`, or
   * `canary-prometheus-<appName>` in an app named with `SharedAddons.configure`.
   */
  public readonly name: string;
  /** Its query address: `http://<name>.<namespace>:9090`. */
  public readonly address: string;
  /** The identity Prometheus discovers pods with. */
  public readonly serviceAccount: kplus.ServiceAccount;
  /** Holds `prometheus.yml`; its value is a `Lazy` that renders at synthesis, with every scraped namespace. */
  public readonly configMap: kplus.ConfigMap;
  /** Runs Prometheus. */
  public readonly deployment: kplus.Deployment;
  /** Serves the query API on port 9090. */
  public readonly service: kplus.Service;
  /** Admits queries from the controllers' pods; allows DNS, the API server and the scraped pods. */
  public readonly networkPolicy: kplus.NetworkPolicy;

  private readonly scraped = new Set<string>();
  private readonly discovered = new Set<string>();
  private readonly routerMetrics: RouterMetrics[] = [];
  private readonly servicePods: (OwnPods & { readonly service: string })[] = [];
  /** The namespaces the user asked for (`scrapeNamespace`), whose pods a named app keeps in full. */
  private readonly keptInFull = new Set<string>();
  private readonly queryClients = new Set<string>();
  private readonly egressRules: EgressRules;
  private rbac?: Construct;
  private platformRbac?: Construct;

  constructor(scope: Construct, id: string, props: PrometheusProps) {
    super(checkArguments<Construct>('Prometheus.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    const owner = this.node.path;
    this.namespace = checkDnsLabel(owner, 'namespace', props.namespace);
    const image = checkImmutableImage(owner, 'image', checkPinnedImage(owner, 'image', props.image ?? PROMETHEUS_IMAGE));
    const retention = checkWholeSeconds(owner, 'retention', props.retention ?? Duration.hours(2), 1);
    const scrapeInterval = checkWholeSeconds(owner, 'scrapeInterval', props.scrapeInterval ?? Duration.seconds(5), 1);

    // Registers this one, or finds the one that got there first: two would emit the same objects.
    const registered = namespaceSingleton(this, KIND, this.namespace, () => this);
    if (registered !== this) {
      fail(owner, `namespace '${this.namespace}' already has a Prometheus (${registered.node.path}); use Prometheus.of() to share it`);
    }

    // Named after the app when it has a name: another app's Prometheus in this namespace has other
    // objects and its own pod labels, and its pods job keeps only the pods of its app's services
    // (monitorService), so neither ingests the other app's services' series (a Gateway's proxies
    // that both apps route through are kept whole by both).
    this.name = ownedName(this, PROMETHEUS_NAME);
    this.address = serviceAddress(this.name, this.namespace, PROMETHEUS_PORT);
    const metadata = { name: this.name, namespace: this.namespace, labels: { [SELECTOR_LABEL]: this.name } };

    // No token for a pod that merely names this account: only the Deployment below asks for one.
    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata, automountToken: false });

    this.configMap = new kplus.ConfigMap(this, 'ConfigMap', { metadata });
    // Lazy, so that namespaces added by scrapeNamespace() after construction reach the file.
    this.configMap.addData('prometheus.yml', Lazy.any({
      produce: () => renderPrometheusConfig({
        scrapeInterval, namespaces: this.scrapedNamespaces, routerMetrics: this.routerMetrics, ownPods: this.ownPodSelections(),
      }),
    }));

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata,
      replicas: 1,
      select: false,
      // No sidecar even in a namespace labelled for Istio injection: Istio's merged metrics (port
      // 15020) are excluded from traffic capture and scraped in plain HTTP under any mTLS mode.
      podMetadata: { labels: { [SELECTOR_LABEL]: this.name, ...NO_SIDECAR_LABELS } },
      serviceAccount: this.serviceAccount,
      // Prometheus calls the API server for pod discovery.
      automountServiceAccountToken: true,
      securityContext: { user: NOBODY, group: NOBODY, fsGroup: NOBODY, ensureNonRoot: true },
    });
    selectPodsByLabels(this.deployment, { [SELECTOR_LABEL]: this.name });

    const container = this.deployment.addContainer({
      name: 'prometheus',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      args: [
        '--config.file=/etc/prometheus/prometheus.yml',
        '--storage.tsdb.path=/prometheus',
        `--storage.tsdb.retention.time=${toLongDuration(retention)}`,
        '--storage.tsdb.retention.size=512MB',
      ],
      ports: [{ number: PROMETHEUS_PORT, name: 'http' }],
      readiness: kplus.Probe.fromHttpGet('/-/ready', { port: PROMETHEUS_PORT }),
      liveness: kplus.Probe.fromHttpGet('/-/healthy', { port: PROMETHEUS_PORT }),
      resources: props.resources ?? {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(1) },
        memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) },
      },
      securityContext: restrictedSecurityContext(NOBODY),
    });
    container.mount('/etc/prometheus', kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'config' }), { readOnly: true });
    // Analysis reads minutes; the disk is bounded as well as the time (see docs/performance.md).
    container.mount('/prometheus', kplus.Volume.fromEmptyDir(this, 'DataVolume', 'data', { sizeLimit: Size.gibibytes(1) }));

    this.service = new kplus.Service(this, 'Service', {
      metadata,
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'http', port: PROMETHEUS_PORT, targetPort: PROMETHEUS_PORT }],
    });
    this.service.selectLabel(SELECTOR_LABEL, this.name);

    if (props.dns !== undefined) resolveClusterDns(owner, 'dns', props.dns);
    const apiServerAddresses = props.apiServerAddresses ?? ['0.0.0.0/0'];
    if (apiServerAddresses.length === 0) {
      fail(owner, "'apiServerAddresses' ([]) must name at least one address: Prometheus discovers pods through the API server");
    }
    apiServerAddresses.forEach((cidr, i) => checkCidr(owner, `apiServerAddresses[${i}]`, cidr));
    this.networkPolicy = new kplus.NetworkPolicy(this, 'NetworkPolicy', {
      metadata,
      selector: kplus.Pods.select(this, 'Pods', { labels: { [SELECTOR_LABEL]: this.name } }),
      ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    });
    this.egressRules = new EgressRules(this.networkPolicy, this.networkPolicy, props.dns);
    apiServerAddresses.forEach((cidr, i) => this.networkPolicy.addEgressRule(
      cidr.includes(':') ? kplus.NetworkPolicyIpBlock.ipv6(this, `ApiServer${i}`, cidr) : kplus.NetworkPolicyIpBlock.ipv4(this, `ApiServer${i}`, cidr),
      API_SERVER_PORTS.map((port) => kplus.NetworkPolicyPort.tcp(port))));

    this.discoverNamespace(this.namespace);
  }

  /** The namespaces whose pods are scraped, sorted; always includes its own. */
  public get scrapedNamespaces(): string[] {
    return [...this.scraped].sort();
  }

  /**
   * Discovers annotated pods in `namespace` too, and lets Prometheus list pods there. In an app
   * named with `SharedAddons.configure`, whose Prometheus keeps only its services' pods, it keeps
   * every annotated pod of `namespace` (another app's there too): the way to let a query of your
   * own read a dependency's pods. Idempotent.
   *
   * @param namespace the namespace whose pods to scrape
   */
  public scrapeNamespace(namespace: string): void {
    checkArguments('Prometheus.scrapeNamespace', [namespace], `Prometheus '${this.node.id}'`);
    checkDnsLabel(this.node.path, 'scrapeNamespace', namespace);
    this.discoverNamespace(namespace);
    this.keptInFull.add(namespace);
  }

  /**
   * Discovers the annotated pods of a CanaryService's namespace: in a named app, only the services'
   * pods are kept there (`monitorService`), unlike a namespace the user asks for (`scrapeNamespace`).
   * @internal
   */
  public _scrapeServiceNamespace(namespace: string): void {
    checkDnsLabel(this.node.path, 'scrapeNamespace', namespace);
    this.discoverNamespace(namespace);
  }

  private discoverNamespace(namespace: string): void {
    if (!this.scraped.has(namespace)) {
      // The annotated pods serve their metrics on ports of their own (prometheus.io/port): any port.
      this.egressRules.allow({ namespace, ports: [] });
    }
    this.scraped.add(namespace);
    this.allowPodDiscovery(namespace);
  }

  /**
   * Lets a controller's pods query this Prometheus on port 9090 (an ingress rule of its
   * NetworkPolicy). Each CanaryService adds its engine's controller. People reach it with
   * `kubectl port-forward`, which NetworkPolicies do not filter. Idempotent.
   *
   * @param namespace the controller's namespace
   * @param podLabels the controller's pod labels (every pod of the namespace when none)
   */
  public allowQueriesFrom(namespace: string, podLabels?: { [key: string]: string }): void {
    checkArguments('Prometheus.allowQueriesFrom', [namespace, podLabels], `Prometheus '${this.node.id}'`);
    checkDnsLabel(this.node.path, 'allowQueriesFrom.namespace', namespace);
    const labels = podLabels && Object.keys(podLabels).length > 0 ? { ...podLabels } : undefined;
    const key = JSON.stringify([namespace, labels ?? {}]);
    if (this.queryClients.has(key)) return;
    const id = `QueryClients${this.queryClients.size}`;
    this.queryClients.add(key);
    const clients = kplus.Pods.select(this, id, { labels, namespaces: kplus.Namespaces.select(this, `${id}Namespace`, { names: [namespace] }) });
    this.networkPolicy.addIngressRule(clients, [kplus.NetworkPolicyPort.tcp(PROMETHEUS_PORT)]);
  }

  /**
   * Scrapes the router's pods in `metrics.namespace` and keeps only the series that match (a job per
   * router namespace with a `metric_relabel_configs` keep rule). Idempotent.
   *
   * @param metrics the router's namespace and the series to keep
   */
  public scrapeRouterMetrics(metrics: RouterMetrics): void {
    checkArguments('Prometheus.scrapeRouterMetrics', [metrics], `Prometheus '${this.node.id}'`);
    checkDnsLabel(this.node.path, 'scrapeRouterMetrics.namespace', metrics.namespace);
    const seen = this.routerMetrics.some((m) => m.namespace === metrics.namespace && m.metricNames === metrics.metricNames
      && m.serviceLabel === metrics.serviceLabel && m.serviceValues === metrics.serviceValues);
    if (!seen) this.routerMetrics.push({ ...metrics });
    // Only the router's pods that serve these series, on their metrics port.
    const ports = metrics.metricsPort === undefined ? [] : [metrics.metricsPort];
    this.egressRules.allow({ namespace: metrics.namespace, podLabels: metrics.podLabels, ports });
    this.allowPodDiscovery(metrics.namespace);
  }

  /** `kubernetes-pods`: the job of annotated pods in its configuration. */
  public podMetricsJob(namespace: string, service: string): string {
    checkArguments('Prometheus.podMetricsJob', [namespace, service], `Prometheus '${this.node.id}'`);
    return POD_METRICS_JOB;
  }

  /** Undefined: its series carry their pods' namespace. */
  public monitorScopedSeries(namespace: string, service: string, routerMonitors: number): MonitorScopedSeries | undefined {
    checkArguments('Prometheus.monitorScopedSeries', [namespace, service, routerMonitors], `Prometheus '${this.node.id}'`);
    return undefined;
  }

  /**
   * It scrapes the annotated pods of the namespaces asked for (`scrapeNamespace`). In an app named
   * with `SharedAddons.configure` (several apps per namespace) it keeps only the pods of the services
   * it monitors (and a router's pods in those namespaces), not another app's.
   */
  public monitorService(scope: Construct, service: MonitoredService): void {
    checkArguments('Prometheus.monitorService', [scope, service], `Prometheus '${this.node.id}'`);
    if (sharingOf(this).appName === undefined) return;
    this.servicePods.push({ service: service.name, namespace: service.namespace, ...podPatterns(`CanaryService '${service.name}'`, service.pods) });
  }

  /**
   * In a named app, a note per query of the user's own (`CanaryMetric.prometheus`): which pods this
   * Prometheus keeps, and how to add others; a query that reads other pods finds nothing.
   * @internal
   */
  public _planNotes(_service: MonitoredService, _engine?: string, metrics: CanaryMetric[] = []): string[] {
    const appName = sharingOf(this).appName;
    if (appName === undefined) return [];
    const queries = metrics.filter((m) => m.kind === MetricKind.PROMETHEUS_QUERY);
    if (queries.length === 0) return [];
    const kept = this.describeKeptPods();
    return queries.map((metric) => `metric '${metric.name}' (a query of your own) reads the Prometheus '${this.namespace}/${this.name}' of the app '${appName}', `
      + `which keeps only ${kept}: a query that reads other pods finds nothing (Flagger: "no values found", a failed check; Argo Rollouts: an error), `
      + `so add their namespace with Prometheus.of(chart, '${this.namespace}').scrapeNamespace('<namespace>') (every annotated pod there is kept, another app's too), `
      + 'or query a Prometheus that scrapes them (Prometheus.external)');
  }

  /** The namespaces it lists pods in whose Roles the platform team applies (`canary-platform-rbac`), sorted. */
  public get platformRoleNamespaces(): string[] {
    return [...this.discovered].filter((ns) => !this.ownsRolesIn(ns)).sort();
  }

  /**
   * The name of its Role and RoleBinding in `namespace`: its own name in its namespace. In another
   * namespace (Traefik's), the Prometheuses of several namespaces and apps may all list pods, so the
   * name carries its namespace: `canary-prometheus-<namespace>`, or `canary-prometheus-<appName>.<namespace>`
   * in a named app (the dot keeps app `a` of namespace `b-c` apart from app `a-b` of namespace `c`).
   *
   * @param namespace the namespace of the Role
   */
  public roleNameIn(namespace: string): string {
    checkArguments('Prometheus.roleNameIn', [namespace], `Prometheus '${this.node.id}'`);
    if (namespace === this.namespace) return this.name;
    return sharingOf(this).appName === undefined ? `${this.name}-${this.namespace}` : `${this.name}.${this.namespace}`;
  }

  /** The router series this Prometheus keeps, in the order they were asked for. */
  public get keptRouterMetrics(): RouterMetrics[] {
    return this.routerMetrics.map((m) => ({ ...m }));
  }

  /**
   * In a named app, the pods its pods job keeps: its services' pods, and a router's pods in a
   * namespace scraped in full (a Gateway's proxies beside the services), whose series no router job
   * scrapes then. Undefined in an unnamed app (one app per namespace): every annotated pod.
   */
  private ownPodSelections(): OwnPods[] | undefined {
    if (sharingOf(this).appName === undefined) return undefined;
    const routers = this.keptRouterPods().map((m) => ({
      namespace: m.namespace,
      labels: Object.fromEntries(Object.entries(m.podLabels ?? {}).map(([key, value]) => [key, escapeRegex(value)])),
    }));
    const inFull = [...this.keptInFull].map((namespace) => ({ namespace, labels: {} }));
    return [...this.servicePods.map(({ namespace, labels, present }) => ({ namespace, labels, present })), ...routers, ...inFull];
  }

  /** A router's pods in a namespace scraped in full (a Gateway's proxies beside the services), which the pods job keeps. */
  private keptRouterPods(): RouterMetrics[] {
    return this.routerMetrics.filter((m) => this.scraped.has(m.namespace));
  }

  /** What the pods job of a named app keeps, in words, for the plan. */
  private describeKeptPods(): string {
    const byNamespace = new Map<string, string[]>();
    for (const pods of this.servicePods) {
      const names = byNamespace.get(pods.namespace) ?? [];
      if (!names.includes(pods.service)) names.push(pods.service);
      byNamespace.set(pods.namespace, names);
    }
    const services = [...byNamespace.entries()].sort(([a], [b]) => a.localeCompare(b))
      .map(([namespace, names]) => `${names.sort().join(', ')} in '${namespace}'`).join('; ');
    const routerPods = [...new Set(this.keptRouterPods().map((m) => `'${m.namespace}' labelled ${
      Object.entries(m.podLabels ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => `${key}=${value}`).join(',') || '(any)'}`))].sort();
    const inFull = [...this.keptInFull].sort().map((ns) => `'${ns}'`);
    const kept = [
      `the pods of its services (${services || 'none'})`,
      ...routerPods.length > 0 ? [`the router's pods in ${routerPods.join(', ')}`] : [],
      ...inFull.length > 0 ? [`every annotated pod of ${inFull.join(', ')} (scrapeNamespace)`] : [],
    ];
    return kept.length === 1 ? kept[0] : `${kept.slice(0, -1).join(', ')} and ${kept[kept.length - 1]}`;
  }

  private ownsRolesIn(namespace: string): boolean {
    return namespace === this.namespace || this.scraped.has(namespace);
  }

  private allowPodDiscovery(namespace: string): void {
    if (this.discovered.has(namespace)) return;
    this.discovered.add(namespace);
    // In call order, which the program fixes: one Role per call keeps a Prometheus shared by
    // many namespaces linear to declare. A Role in a namespace the team does not own (the
    // router's) goes to the platform's RBAC Chart, under the app SharedAddons names (another
    // App's directory, for the platform team), or nowhere: the plan then says what to grant.
    let scope: Construct;
    if (this.ownsRolesIn(namespace)) {
      scope = this.rbac ??= new Construct(this, 'Rbac');
    } else {
      const chart = platformRbacChart(this);
      if (chart === undefined) return;
      scope = this.platformRbac ??= new Construct(chart, `Prometheus-${this.namespace}`);
    }
    const name = this.roleNameIn(namespace);
    const metadata = { name, namespace, labels: { [SELECTOR_LABEL]: this.name } };
    const role = new kplus.Role(scope, `Role-${namespace}`, { metadata });
    // Pod discovery lists and watches (an informer); it never gets one pod.
    role.allow(['list', 'watch'], kplus.ApiResource.PODS);
    const binding = new kplus.RoleBinding(scope, `RoleBinding-${namespace}`, { metadata, role });
    binding.addSubjects(this.serviceAccount);
  }
}

/**
 * The pattern per pod label of a service's pods (label expressions that must all hold): `In` its
 * values, escaped; `Exists` and `DoesNotExist` by the label's presence, not its value, which may be
 * empty (`__meta_kubernetes_pod_labelpresent_<label>`).
 */
function podPatterns(owner: string, pods: kplus.LabelExpression[]): Pick<OwnPods, 'labels' | 'present'> {
  const patterns: { [key: string]: string } = {};
  const present: { [key: string]: boolean } = {};
  for (const expression of pods) {
    if (expression.key in patterns || expression.key in present) {
      fail(owner, `its pods are selected by two expressions on the label '${expression.key}', which a Prometheus relabelling cannot combine: select by one`);
    }
    const values = (expression.values ?? []).map(escapeRegex);
    switch (expression.operator) {
      case 'In':
        patterns[expression.key] = values.length === 1 ? values[0] : `(?:${values.join('|')})`;
        break;
      case 'Exists':
        present[expression.key] = true;
        break;
      case 'DoesNotExist':
        present[expression.key] = false;
        break;
      default:
        fail(owner, `its pods are selected by '${expression.key} ${expression.operator}', which the embedded Prometheus of a named app cannot keep `
          + "(RE2 has no negation): select them by 'In', 'Exists' or 'DoesNotExist'");
    }
  }
  return Object.keys(present).length === 0 ? { labels: patterns } : { labels: patterns, present };
}

/** A Prometheus run by someone else: it discovers what it discovers. */
class ExternalPrometheus implements IPrometheus {
  constructor(public readonly address: string) {}

  public scrapeNamespace(_namespace: string): void {}

  public scrapeRouterMetrics(_metrics: RouterMetrics): void {}

  public allowQueriesFrom(_namespace: string, _podLabels?: { [key: string]: string }): void {}

  public podMetricsJob(_namespace: string, _service: string): string {
    return POD_METRICS_JOB;
  }

  public monitorScopedSeries(_namespace: string, _service: string, _routerMonitors: number): MonitorScopedSeries | undefined {
    return undefined;
  }

  public monitorService(_scope: Construct, _service: MonitoredService): void {}
}

/** The ports the API server listens on: 443 (managed control planes) or 6443 (kubeadm), as the policy sees them after the Service's translation. */
const API_SERVER_PORTS = [443, 6443];

function checkCidr(owner: string, property: string, cidr: string): void {
  const match = cidr.match(/^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/);
  const valid = match !== null && match[1].split('.').every((octet) => Number(octet) <= 255) && Number(match[2]) <= 32;
  const v6 = /^[0-9a-fA-F:]+\/\d{1,3}$/.test(cidr) && cidr.includes(':') && Number(cidr.split('/')[1]) <= 128;
  if (!valid && !v6) {
    fail(owner, `'${property}' ('${cidr}') must be a CIDR, e.g. '10.0.0.1/32'`);
  }
}

/** An http(s) URL without credentials (they would be written into the manifests). */
function checkPrometheusAddress(owner: string, address: string): void {
  if (!/^https?:\/\/\S+$/.test(address)) {
    fail(owner, `'address' ('${maskCredentials(address)}') must be an http:// or https:// URL, e.g. 'http://prometheus.monitoring:9090'`);
  }
  // The checks the library generates carry the address and nothing else: Flagger's MetricTemplates
  // get no 'secretRef', and the Rollout's Prometheus provider no 'authentication' or 'headers'
  // (argo-rollouts analysis_types.go PrometheusMetric), for either engine.
  checkNoCredentialsInUrl(owner, 'address', address, 'point it at an authenticating proxy in front of Prometheus inside the cluster: '
    + "the checks the library generates send no credentials to Prometheus (Flagger's MetricTemplates have no 'secretRef', Argo Rollouts' "
    + "Prometheus provider no 'authentication' or 'headers')");
}
