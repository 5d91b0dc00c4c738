/**
 * The values both layers must agree on: what the synthesized manifests expect of the cluster
 * (namespaces, names, ports) and what the platform layer installs. One constant each, so the two
 * cannot drift apart.
 */

/** The one label pods are selected by (Flagger accepts it, and copies it to the primary). */
export const SELECTOR_LABEL = 'app.kubernetes.io/name';

/** Namespace the Flagger controller runs in; the loadtester admits calls from its pods. */
export const FLAGGER_NAMESPACE = 'flagger-system';

/**
 * The labels Flagger's Helm chart (1.44.0, templates/deployment.yaml) puts on the controller's pods:
 * `app.kubernetes.io/name` is the chart's name (or `nameOverride`). The loadtester and the embedded
 * Prometheus admit these pods only. Flagger installed from its kustomize base (kustomize/base/flagger)
 * labels its pods `app: flagger` instead.
 */
export const FLAGGER_POD_LABELS: { readonly [key: string]: string } = Object.freeze({ 'app.kubernetes.io/name': 'flagger' });

/**
 * The label every Argo Rollouts controller pod carries, whichever way it was installed: upstream's
 * install.yaml (manifests/base/argo-rollouts-deployment.yaml, v1.9.1) labels the pods with it alone
 * (its `app.kubernetes.io/component` is on the Deployment only), and the Helm chart (argo-helm
 * argo-rollouts, templates/controller/deployment.yaml) adds `app.kubernetes.io/instance` and the
 * component. The embedded Prometheus admits these pods, which run the AnalysisRuns' queries; the
 * chart's dashboard carries the same name (it only reads the API server).
 */
export const ARGO_ROLLOUTS_POD_LABELS: { readonly [key: string]: string } = Object.freeze({ 'app.kubernetes.io/name': 'argo-rollouts' });

/**
 * The labels the Helm chart puts on the controller's pods alone (not the dashboard's): the platform
 * layer installs the chart, so its shared Prometheus admits exactly these.
 */
export const ARGO_ROLLOUTS_CHART_POD_LABELS: { readonly [key: string]: string } = Object.freeze({
  ...ARGO_ROLLOUTS_POD_LABELS,
  'app.kubernetes.io/component': 'rollouts-controller',
});

/** Where the cluster DNS pods run and how they are labelled (CoreDNS and kube-dns alike). */
export const CLUSTER_DNS_NAMESPACE = 'kube-system';
export const CLUSTER_DNS_POD_LABELS: { readonly [key: string]: string } = Object.freeze({ 'k8s-app': 'kube-dns' });

/** Namespace the Argo Rollouts controller runs in. */
export const ARGO_ROLLOUTS_NAMESPACE = 'argo-rollouts';
/** Name of Argo Rollouts' Gateway API traffic-router plugin, in the Rollout and in the controller's `trafficRouterPlugins`. */
export const ARGO_GATEWAY_API_PLUGIN = 'argoproj-labs/gatewayAPI';

/** Namespace the Traefik proxy runs in; the embedded Prometheus scrapes its pods there. */
export const TRAEFIK_NAMESPACE = 'traefik';

/**
 * Traefik's Service (the Helm chart's, named after the release) and the label of its pods
 * (`app.kubernetes.io/name`, the chart's default). Load tests for Traefik go through this Service.
 */
export const TRAEFIK_SERVICE_NAME = 'traefik';
export const TRAEFIK_POD_LABELS: { readonly [key: string]: string } = Object.freeze({ 'app.kubernetes.io/name': 'traefik' });

/**
 * The ports of Traefik's `web` and `websecure` entryPoints: on the Service (`exposedPort`) and on
 * the pods (`port`, which NetworkPolicies see). The values are the chart's defaults; the platform
 * layer sets them explicitly.
 */
export const TRAEFIK_WEB_SERVICE_PORT = 80;
export const TRAEFIK_WEB_CONTAINER_PORT = 8000;
export const TRAEFIK_WEBSECURE_SERVICE_PORT = 443;
export const TRAEFIK_WEBSECURE_CONTAINER_PORT = 8443;

/** Traefik's Prometheus metrics port (the Helm chart's `metrics` entryPoint). */
export const TRAEFIK_METRICS_PORT = 9100;

/** The entryPoints Traefik's Helm chart opens for HTTP and HTTPS. */
export const TRAEFIK_WEB_ENTRYPOINT = 'web';
export const TRAEFIK_WEBSECURE_ENTRYPOINT = 'websecure';

/**
 * An entryPoint for hosts that lead to a version before it is live (the preview host of a
 * blue/green release): the platform layer opens it on the pods (port 8001) and exposes it only on a
 * ClusterIP Service `<traefik>-internal` (the chart's `service.additionalServices`), never on the
 * public one, so only pods in the cluster (the load tests) reach those hosts.
 */
export const TRAEFIK_INTERNAL_ENTRYPOINT = 'internal';
export const TRAEFIK_INTERNAL_PORT = 8001;
/** The suffix the chart gives an additional Service (`<fullname>-<name>`). */
export const TRAEFIK_INTERNAL_SERVICE_SUFFIX = '-internal';

/** The port Istio's proxies serve their merged metrics on (their `prometheus.io/port` annotation). */
export const ISTIO_MERGED_METRICS_PORT = 15020;

/** Namespace Istio's control plane and ingress gateway run in. */
export const ISTIO_NAMESPACE = 'istio-system';

/**
 * Pod labels that keep a pod out of the Istio mesh even in a namespace labelled for injection:
 * the loadtester (Flagger calls it from outside the mesh), load-test Jobs (a sidecar would keep a
 * Job from completing) and the embedded Prometheus.
 */
export const NO_SIDECAR_LABELS: { readonly [key: string]: string } = Object.freeze({ 'sidecar.istio.io/inject': 'false' });

/** Flagger's loadtester: name of its Deployment and Service, Service port and container port. */
export const LOAD_TESTER_NAME = 'flagger-loadtester';
export const LOAD_TESTER_SERVICE_PORT = 80;
export const LOAD_TESTER_CONTAINER_PORT = 8080;

/**
 * The ConfigMap in which `cdk8s-canary gate|promote|abort` record, per service, which release a
 * loadtester gate was opened for (ReleaseOperatorRole creates it and lets operators patch it).
 */
export const RELEASE_RECORD_CONFIGMAP = 'cdk8s-canary-gates';

/**
 * Annotations that keep an object several apps of a namespace apply (the release record, a created
 * Gateway) when one of them is retired. Flux and Argo CD delete an object with the app that applied
 * it last, not the last app that declares it: Flux's garbage collection skips objects annotated
 * `kustomize.toolkit.fluxcd.io/prune: disabled` (kustomize-controller v1.9.0, docs/spec/v1/kustomizations.md
 * "prune", `DisabledValue`), Argo CD skips `Prune=false` when pruning and `Delete=false` when deleting
 * the Application (docs/user-guide/sync-options.md). An Application that stops declaring such an
 * object it applied last would stay OutOfSync for good (the kept object "requires pruning"), unless
 * the object says `compare-options: IgnoreExtraneous` (controller/state.go, CompareAppState;
 * docs/user-guide/compare-options.md), as upstream advises beside `Prune=false`.
 */
export const KEEP_ON_RETIREMENT_ANNOTATIONS: { readonly [key: string]: string } = Object.freeze({
  'kustomize.toolkit.fluxcd.io/prune': 'disabled',
  'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
  'argocd.argoproj.io/compare-options': 'IgnoreExtraneous',
});

/**
 * The loadtester image's writable directory (its root filesystem is read-only), given to the tools
 * as TMPDIR. Not `/tmp` itself: the image ships ghz's `/tmp/ghz/health.proto` there
 * (Dockerfile.loadtester, `ADD .../health.proto /tmp/ghz/health.proto`), which a volume over
 * `/tmp` would hide from commands such as `ghz --proto=/tmp/ghz/health.proto`.
 */
export const LOAD_TESTER_SCRATCH_DIR = '/tmp/scratch';

/**
 * The scrape job of annotated pods, in the embedded Prometheus and in the prometheus-community
 * chart's (the shared one): the checks that read series of the service's own pods (the app's
 * histogram, Istio's sidecars) select it, so series from any other job do not count.
 */
export const POD_METRICS_JOB = 'kubernetes-pods';

/**
 * The embedded Prometheus: name of its objects and its port. Engine-neutral: it serves Flagger and
 * Argo Rollouts alike, and nothing needs Flagger's chart name (`flagger-prometheus`): every Canary
 * names it in `metricsServer`, every AnalysisTemplate in its address.
 */
export const PROMETHEUS_NAME = 'canary-prometheus';
export const PROMETHEUS_PORT = 9090;

/** In-cluster address of a Service. */
export function serviceAddress(name: string, namespace: string, port?: number): string {
  return `http://${name}.${namespace}${port === undefined ? '' : `:${port}`}`;
}

/** Traefik's metrics entryPoint: the Helm chart's `ports.metrics`, named by `metrics.prometheus.entryPoint`. */
export const TRAEFIK_METRICS_ENTRYPOINT = 'metrics';

/** The API group and version of the Traefik kinds this library emits (Traefik v3). */
export const TRAEFIK_API_GROUP = 'traefik.io';
export const TRAEFIK_API_VERSION = `${TRAEFIK_API_GROUP}/v1alpha1`;

/**
 * Argo Rollouts controller flags for Traefik v3: up to 1.9.x the controller talks to
 * `traefik.containo.us` unless told otherwise.
 */
export const ARGO_ROLLOUTS_TRAEFIK_ARGS: readonly string[] = Object.freeze([
  `--traefik-api-group=${TRAEFIK_API_GROUP}`,
  `--traefik-api-version=${TRAEFIK_API_VERSION}`,
]);

/** Name of Istio's ingress gateway (the `gateway` chart's release) and the pod labels our Istio Gateways select. */
export const ISTIO_INGRESS_GATEWAY_NAME = 'istio-ingressgateway';
export const ISTIO_INGRESS_GATEWAY_LABELS: { readonly [key: string]: string } = Object.freeze({ istio: 'ingressgateway' });

/**
 * The shared Prometheus the platform layer can install instead of one embedded per namespace:
 * namespace, Service name (the chart's server) and scrape interval (the embedded default's, 5 s, as
 * Flagger's chart). Its address is `serviceAddress(SHARED_PROMETHEUS_NAME, namespace, PROMETHEUS_PORT)`.
 */
export const SHARED_PROMETHEUS_NAMESPACE = 'monitoring';
export const SHARED_PROMETHEUS_NAME = 'prometheus-server';
export const PROMETHEUS_SCRAPE_INTERVAL_SECONDS = 5;

/** Namespace the Flux `HelmRepository` and `HelmRelease` objects of the platform live in. */
export const FLUX_NAMESPACE = 'flux-system';
