/**
 * The Helm values of the platform's shared Prometheus (prometheus-community `prometheus` 29.27.0),
 * least privilege: the server only, one scrape job for annotated pods (the one the CanaryServices'
 * checks read) besides its own, a ClusterRole that lists and watches pods and nothing else (the
 * chart's own also reads nodes, nodes/metrics, services, endpoints, endpointslices, ingresses and
 * every ConfigMap of the cluster), and a NetworkPolicy: queries only from the controllers' pods,
 * calls only to the cluster DNS (and the extra DNS addresses given), the API server and pods.
 */
import { POD_METRICS_JOB, PROMETHEUS_PORT, SHARED_PROMETHEUS_NAME } from './conventions';
import { ClusterDnsOptions } from '../addons/cluster-dns';
import { stringifyYaml } from '../synth/yaml-writer';
import { PINNED_IMAGES, PinnedImage } from '../versions';

/** The chart's scrape jobs other than `prometheus` (itself) and `kubernetes-pods`, all switched off (values.yaml `scrapeConfigs`). */
const UNUSED_SCRAPE_JOBS = [
  'kubernetes-api-servers', 'kubernetes-nodes', 'kubernetes-nodes-cadvisor', 'kubernetes-service-endpoints',
  'kubernetes-service-endpoints-slow', 'prometheus-pushgateway', 'kubernetes-services', 'kubernetes-pods-slow',
];

/** The job of annotated pods, as the chart names it: the checks' queries select `job="kubernetes-pods"`. */
export const SHARED_PROMETHEUS_PODS_JOB = POD_METRICS_JOB;

/** The labels the chart puts on the server's pods (`prometheus.server.matchLabels`), for release `release`. */
export function sharedPrometheusPodLabels(release: string): { [key: string]: string } {
  return { 'app.kubernetes.io/component': 'server', 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': release };
}

/** A controller whose pods query the shared Prometheus. */
export interface QueryClient {
  readonly namespace: string;
  readonly podLabels: { [key: string]: string };
}

/** A container securityContext that passes Pod Security "restricted" (the chart sets the pod's: uid 65534, non-root). */
export const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

const API_SERVER_PORTS = [443, 6443];

export function sharedPrometheusValues(
  release: string, namespace: string, clients: QueryClient[], scrapeInterval: string, dns: Required<ClusterDnsOptions>,
): { [key: string]: any } {
  const labels = sharedPrometheusPodLabels(release);
  const clusterRole = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: `${SHARED_PROMETHEUS_NAME}-pods`, labels },
    // Pod discovery lists and watches pods (an informer), in every namespace.
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }],
  };
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${SHARED_PROMETHEUS_NAME}-pods`, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${SHARED_PROMETHEUS_NAME}-pods` },
    subjects: [{ kind: 'ServiceAccount', name: SHARED_PROMETHEUS_NAME, namespace }],
  };
  const dnsPorts = [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }];
  const networkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: SHARED_PROMETHEUS_NAME, namespace, labels },
    spec: {
      podSelector: { matchLabels: labels },
      policyTypes: ['Ingress', 'Egress'],
      ingress: clients.length === 0 ? undefined : [{
        from: clients.map((client) => ({
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': client.namespace } },
          podSelector: { matchLabels: { ...client.podLabels } },
        })),
        ports: [{ protocol: 'TCP', port: PROMETHEUS_PORT }],
      }],
      egress: [
        {
          to: [{
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': dns.namespace } },
            podSelector: { matchLabels: { ...dns.podLabels } },
          }],
          ports: dnsPorts,
        },
        // NodeLocal DNSCache and the like answer on the node, which no pod selector matches: one
        // address each, as the team-side policies (addons/egress.ts).
        ...dns.extraAddresses.map((address) => ({
          to: [{ ipBlock: { cidr: address.includes(':') ? `${address}/128` : `${address}/32` } }],
          ports: dnsPorts,
        })),
        // The API server's endpoints differ per cluster (the policy sees them, not the Service's address).
        { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: API_SERVER_PORTS.map((port) => ({ protocol: 'TCP', port })) },
        // Annotated pods in any namespace, on the port each names.
        { to: [{ namespaceSelector: {}, podSelector: {} }] },
      ],
    },
  };
  return {
    // The server only: canary analysis needs none of the exporters, the pushgateway or alerting.
    'alertmanager': { enabled: false },
    'kube-state-metrics': { enabled: false },
    'prometheus-node-exporter': { enabled: false },
    'prometheus-pushgateway': { enabled: false },
    // No ClusterRole of the chart's: ours below reads pods only.
    'rbac': { create: false },
    'serviceAccounts': { server: { create: true, name: SHARED_PROMETHEUS_NAME } },
    'scrapeConfigs': {
      ...Object.fromEntries(UNUSED_SCRAPE_JOBS.map((job) => [job, { enabled: false }])),
      // A pod's own labels never override the target's (job, namespace, pod): a scraped pod cannot
      // pass its series off as another's.
      [SHARED_PROMETHEUS_PODS_JOB]: { honor_labels: false },
    },
    'configmapReload': { prometheus: { image: chartImage(PINNED_IMAGES.prometheusConfigReloader), containerSecurityContext: RESTRICTED_CONTAINER } },
    'server': {
      // The Service the CanaryServices and Flagger query: <name>.<namespace>:9090.
      fullnameOverride: SHARED_PROMETHEUS_NAME,
      // The embedded Prometheus's image (tag and digest), not the chart's appVersion: one Prometheus in both modes.
      image: chartImage(PINNED_IMAGES.prometheus),
      service: { servicePort: PROMETHEUS_PORT },
      // As the embedded Prometheus: a rate over a 1-minute metric interval needs several samples.
      global: { scrape_interval: scrapeInterval, scrape_timeout: scrapeInterval },
      // Analysis looks at the last minutes only; an emptyDir needs no StorageClass.
      persistentVolume: { enabled: false },
      retention: '2h',
      containerSecurityContext: RESTRICTED_CONTAINER,
    },
    // Rendered by the chart (templates/extra-manifests.yaml, through `tpl`) in the release.
    'extraManifests': [clusterRole, binding, networkPolicy].map((object) => stringifyYaml([dropUndefined(object)])),
  };
}

/**
 * An image as the chart's values take it: with `digest` set the chart writes <repository>@<digest>
 * (templates/deploy.yaml); the tag stays for the reader.
 */
function chartImage(image: PinnedImage): { [key: string]: string } {
  return { repository: image.repository, tag: image.tag, ...(image.digest ? { digest: image.digest } : {}) };
}

function dropUndefined(value: any): any {
  return JSON.parse(JSON.stringify(value));
}
