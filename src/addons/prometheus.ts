import { Duration, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { namespaceSingleton } from './namespace-singleton';
import { renderPrometheusConfig } from './prometheus-config';
import { checkArguments } from '../arguments/check-arguments';
import { NO_SIDECAR_LABELS, PROMETHEUS_NAME, PROMETHEUS_PORT, SELECTOR_LABEL, serviceAddress } from '../platform/conventions';
import { RouterMetrics } from '../routers/router';
import { checkEmittedObjects } from '../synth/object-validity';
import { checkDnsLabel, checkPinnedImage, checkWholeSeconds, fail, toLongDuration } from '../validation';
import { PROMETHEUS_IMAGE } from '../versions';
import { restrictedSecurityContext, selectPodsByLabels } from '../workload/pod-security';

/** What a CanaryService needs of a Prometheus: where to query, and a way to ask it to scrape a namespace. */
export interface IPrometheus {
  /** Query address, e.g. `http://canary-prometheus.test:9090`. */
  readonly address: string;

  /**
   * Asks this Prometheus to discover annotated pods in `namespace` (a no-op for an external one).
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
}

/** Options of the embedded Prometheus. */
export interface PrometheusOptions {
  /**
   * The Prometheus image, pinned by a version tag or a digest.
   *
   * @default - quay.io/prometheus/prometheus:v3.5.5
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
 * pods in those namespaces only (a Role per namespace, no ClusterRole).
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
   * the pod label `rollouts-pod-template-hash`, as `rollouts_pod_template_hash`.
   *
   * @param address its query address, e.g. `http://prometheus.monitoring:9090`
   */
  public static external(address: string): IPrometheus {
    checkArguments('Prometheus.external', [address]);
    if (!/^https?:\/\/\S+$/.test(address)) {
      fail('Prometheus.external', `'address' ('${address}') must be an http:// or https:// URL, e.g. 'http://prometheus.monitoring:9090'`);
    }
    return new ExternalPrometheus(address);
  }

  /**
   * Finds the embedded Prometheus of `namespace` in the app, or creates it in the namespace's shared
   * Chart (`canary-shared-<namespace>`, a file of its own). `options` only apply when it is created.
   */
  public static of(scope: Construct, namespace: string, options: PrometheusOptions = {}): Prometheus {
    checkArguments('Prometheus.of', [scope, namespace, options]);
    return namespaceSingleton(scope, KIND, namespace, (chart, id) => new Prometheus(chart, id, { ...options, namespace }));
  }

  /** The namespace Prometheus runs in. */
  public readonly namespace: string;
  /** Its query address: `http://canary-prometheus.<namespace>:9090`. */
  public readonly address: string;
  /** The identity Prometheus discovers pods with. */
  public readonly serviceAccount: kplus.ServiceAccount;
  /** Holds `prometheus.yml`; its value is a `Lazy` that renders at synthesis, with every scraped namespace. */
  public readonly configMap: kplus.ConfigMap;
  /** Runs Prometheus. */
  public readonly deployment: kplus.Deployment;
  /** Serves the query API on port 9090. */
  public readonly service: kplus.Service;

  private readonly scraped = new Set<string>();
  private readonly discovered = new Set<string>();
  private readonly routerMetrics: RouterMetrics[] = [];
  private rbac?: Construct;

  constructor(scope: Construct, id: string, props: PrometheusProps) {
    super(checkArguments<Construct>('Prometheus.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    const owner = this.node.path;
    this.namespace = checkDnsLabel(owner, 'namespace', props.namespace);
    const image = checkPinnedImage(owner, 'image', props.image ?? PROMETHEUS_IMAGE);
    const retention = checkWholeSeconds(owner, 'retention', props.retention ?? Duration.hours(2), 1);
    const scrapeInterval = checkWholeSeconds(owner, 'scrapeInterval', props.scrapeInterval ?? Duration.seconds(5), 1);

    // Registers this one, or finds the one that got there first: two would emit the same objects.
    const registered = namespaceSingleton(this, KIND, this.namespace, () => this);
    if (registered !== this) {
      fail(owner, `namespace '${this.namespace}' already has a Prometheus (${registered.node.path}); use Prometheus.of() to share it`);
    }

    this.address = serviceAddress(PROMETHEUS_NAME, this.namespace, PROMETHEUS_PORT);
    const metadata = { name: PROMETHEUS_NAME, namespace: this.namespace, labels: { [SELECTOR_LABEL]: PROMETHEUS_NAME } };

    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata });

    this.configMap = new kplus.ConfigMap(this, 'ConfigMap', { metadata });
    // Lazy, so that namespaces added by scrapeNamespace() after construction reach the file.
    this.configMap.addData('prometheus.yml', Lazy.any({
      produce: () => renderPrometheusConfig({ scrapeInterval, namespaces: this.scrapedNamespaces, routerMetrics: this.routerMetrics }),
    }));

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata,
      replicas: 1,
      select: false,
      // No sidecar even in a namespace labelled for Istio injection: Istio's merged metrics (port
      // 15020) are excluded from traffic capture and scraped in plain HTTP under any mTLS mode.
      podMetadata: { labels: { [SELECTOR_LABEL]: PROMETHEUS_NAME, ...NO_SIDECAR_LABELS } },
      serviceAccount: this.serviceAccount,
      // Prometheus calls the API server for pod discovery.
      automountServiceAccountToken: true,
      securityContext: { user: NOBODY, group: NOBODY, fsGroup: NOBODY, ensureNonRoot: true },
    });
    selectPodsByLabels(this.deployment, { [SELECTOR_LABEL]: PROMETHEUS_NAME });

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
    this.service.selectLabel(SELECTOR_LABEL, PROMETHEUS_NAME);

    this.scrapeNamespace(this.namespace);
  }

  /** The namespaces whose pods are scraped, sorted; always includes its own. */
  public get scrapedNamespaces(): string[] {
    return [...this.scraped].sort();
  }

  /**
   * Discovers annotated pods in `namespace` too, and lets Prometheus list pods there. Idempotent.
   *
   * @param namespace the namespace whose pods to scrape
   */
  public scrapeNamespace(namespace: string): void {
    checkArguments('Prometheus.scrapeNamespace', [namespace], `Prometheus '${this.node.id}'`);
    checkDnsLabel(this.node.path, 'scrapeNamespace', namespace);
    this.scraped.add(namespace);
    this.allowPodDiscovery(namespace);
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
    this.allowPodDiscovery(metrics.namespace);
  }

  /** The router series this Prometheus keeps, in the order they were asked for. */
  public get keptRouterMetrics(): RouterMetrics[] {
    return this.routerMetrics.map((m) => ({ ...m }));
  }

  private allowPodDiscovery(namespace: string): void {
    if (this.discovered.has(namespace)) return;
    this.discovered.add(namespace);
    // In call order, which the program fixes: one Role per call keeps a Prometheus shared by
    // many namespaces linear to declare.
    this.rbac ??= new Construct(this, 'Rbac');
    const scope = this.rbac;
    // Prometheuses of several namespaces may all scrape one namespace (Traefik's), so a Role outside
    // its own namespace carries the Prometheus namespace in its name; one `canary-prometheus` would
    // be claimed by all of them.
    const name = namespace === this.namespace ? PROMETHEUS_NAME : `${PROMETHEUS_NAME}-${this.namespace}`;
    const metadata = { name, namespace, labels: { [SELECTOR_LABEL]: PROMETHEUS_NAME } };
    const role = new kplus.Role(scope, `Role-${namespace}`, { metadata });
    role.allow(['get', 'list', 'watch'], kplus.ApiResource.PODS);
    const binding = new kplus.RoleBinding(scope, `RoleBinding-${namespace}`, { metadata, role });
    binding.addSubjects(this.serviceAccount);
  }
}

/** A Prometheus run by someone else: it discovers what it discovers. */
class ExternalPrometheus implements IPrometheus {
  constructor(public readonly address: string) {}

  public scrapeNamespace(_namespace: string): void {}

  public scrapeRouterMetrics(_metrics: RouterMetrics): void {}
}
