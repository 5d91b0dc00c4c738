/**
 * The values both layers must agree on: what the synthesized manifests expect of the cluster
 * (namespaces, names, ports) and what the platform layer installs. One constant each, so the two
 * cannot drift apart.
 */

/** The one label pods are selected by (Flagger accepts it, and copies it to the primary). */
export const SELECTOR_LABEL = 'app.kubernetes.io/name';

/** Namespace the Flagger controller runs in; the loadtester admits calls from it. */
export const FLAGGER_NAMESPACE = 'flagger-system';

/** Namespace the Argo Rollouts controller runs in. */
export const ARGO_ROLLOUTS_NAMESPACE = 'argo-rollouts';

/** Namespace the Traefik proxy runs in; the embedded Prometheus scrapes its pods there. */
export const TRAEFIK_NAMESPACE = 'traefik';

/** Traefik's Prometheus metrics port (the Helm chart's `metrics` entryPoint). */
export const TRAEFIK_METRICS_PORT = 9100;

/** The entryPoints Traefik's Helm chart opens for HTTP and HTTPS. */
export const TRAEFIK_WEB_ENTRYPOINT = 'web';
export const TRAEFIK_WEBSECURE_ENTRYPOINT = 'websecure';

/** Namespace Istio's control plane and ingress gateway run in. */
export const ISTIO_NAMESPACE = 'istio-system';

/** Flagger's loadtester: name of its Deployment and Service, Service port and container port. */
export const LOAD_TESTER_NAME = 'flagger-loadtester';
export const LOAD_TESTER_SERVICE_PORT = 80;
export const LOAD_TESTER_CONTAINER_PORT = 8080;

/** The embedded Prometheus: name of its objects and its port. */
export const PROMETHEUS_NAME = 'flagger-prometheus';
export const PROMETHEUS_PORT = 9090;

/** In-cluster address of a Service. */
export function serviceAddress(name: string, namespace: string, port?: number): string {
  return `http://${name}.${namespace}${port === undefined ? '' : `:${port}`}`;
}
