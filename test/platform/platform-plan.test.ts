import * as yaml from 'js-yaml';
import { PlatformEngine, PlatformPlan, PlatformPlanProps, PlatformRouter } from '../../src';
import { DeclarationError } from '../../src/validation';

const { FLAGGER, ARGO_ROLLOUTS } = PlatformEngine;
const { TRAEFIK, ISTIO } = PlatformRouter;

function plan(props: Partial<PlatformPlanProps> = {}): PlatformPlan {
  return new PlatformPlan({ engines: [FLAGGER], routers: [TRAEFIK], ...props });
}

describe('PlatformPlan releases', () => {
  test('Flagger + Traefik: Traefik, then Flagger', () => {
    const p = plan();
    expect(p.releaseNames).toEqual(['traefik', 'flagger']);
    expect(p.release('traefik')).toEqual({
      name: 'traefik',
      namespace: 'traefik',
      chart: 'traefik',
      version: '41.3.0',
      repository: 'https://traefik.github.io/charts',
      repositoryName: 'traefik',
      dependsOn: [],
      dependsOnManifests: [],
      chartCrds: true,
      values: {
        // By digest; the chart still reads the version it checks from the tag.
        image: { registry: 'docker.io', repository: 'library/traefik', tag: 'v3.7.11', digest: 'sha256:5203c3f39ca70de6790d964624e042463ffbd57715bc82be155cf224c0dd5144' },
        metrics: { prometheus: { entryPoint: 'metrics', addServicesLabels: true, serviceMonitor: { enabled: false } } },
        fullnameOverride: 'traefik',
        ports: {
          metrics: { port: 9100 },
          web: { port: 8000, exposedPort: 80, expose: { default: true } },
          websecure: { port: 8443, exposedPort: 443, expose: { default: true } },
          // Preview hosts' entryPoint: on the internal Service only.
          internal: { port: 8001, exposedPort: 8001, expose: { default: false, internal: true } },
        },
        service: { spec: { type: 'ClusterIP' }, additionalServices: { internal: { type: 'ClusterIP' } } },
      },
    });
    expect(p.release('flagger')).toEqual({
      name: 'flagger',
      namespace: 'flagger-system',
      chart: 'flagger',
      version: '1.44.0',
      repository: 'https://flagger.app',
      repositoryName: 'flagger',
      dependsOn: ['traefik'],
      dependsOnManifests: [],
      chartCrds: true,
      // The controller's image by tag until src/versions.ts records its digest (then `1.44.0@sha256:...`).
      values: {
        meshProvider: 'traefik',
        image: { repository: 'ghcr.io/fluxcd/flagger', tag: '1.44.0' },
        // Pod Security "restricted" (the chart's default context is read-only and uid 10001 only).
        securityContext: { enabled: true, context: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' }, runAsNonRoot: true, runAsUser: 10001 } },
        prometheus: { install: false },
        crd: { create: false },
      },
      // Flagger's chart is also a cosign-signed OCI artifact (fluxcd/flagger .github/workflows/release.yml), which Flux verifies.
      signedChart: {
        url: 'oci://ghcr.io/fluxcd/charts/flagger',
        tag: '1.44.0',
        issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
        subject: '^https://github\\.com/fluxcd/flagger/\\.github/workflows/release\\.yml@refs/tags/v\\d+\\.\\d+\\.\\d+$',
      },
    });
    expect(p.flaggerNamespace).toBe('flagger-system');
    expect(p.metricsServer).toBeUndefined();
    expect(p.sharedPrometheus).toBeUndefined();
  });

  test('Argo Rollouts + Istio: base, the CNI node agent, istiod, gateway, then Argo Rollouts without the Traefik flags', () => {
    const p = plan({ engines: [ARGO_ROLLOUTS], routers: [ISTIO] });
    expect(p.releaseNames).toEqual(['istio-base', 'istio-cni', 'istiod', 'istio-ingressgateway', 'argo-rollouts']);
    expect(p.releases.map((r) => [r.name, r.chart, r.version, r.namespace, r.dependsOn])).toEqual([
      ['istio-base', 'base', '1.30.3', 'istio-system', []],
      ['istio-cni', 'cni', '1.30.3', 'istio-system', ['istio-base']],
      // The node agent first: istiod injects for the CNI.
      ['istiod', 'istiod', '1.30.3', 'istio-system', ['istio-base', 'istio-cni']],
      ['istio-ingressgateway', 'gateway', '1.30.3', 'istio-system', ['istiod']],
      ['argo-rollouts', 'argo-rollouts', '2.41.0', 'argo-rollouts', ['istio-base']],
    ]);
    expect(p.release('istio-base').values).toEqual({});
    expect(p.release('istio-cni')).toEqual({
      name: 'istio-cni',
      namespace: 'istio-system',
      chart: 'cni',
      version: '1.30.3',
      repository: 'https://istio-release.storage.googleapis.com/charts',
      repositoryName: 'istio',
      // Otherwise the chart's own values: its DaemonSet is privileged by design (root, NET_ADMIN, SYS_ADMIN, hostPath).
      // Its pods are system-node-critical, which GKE admits outside kube-system only under this ResourceQuota.
      values: { resourceQuotas: { enabled: true } },
      dependsOn: ['istio-base'],
      dependsOnManifests: [],
      chartCrds: false,
    });
    expect(p.release('istiod').values).toEqual({
      meshConfig: { enablePrometheusMerge: true },
      // Pod Security "restricted": istiod (the chart's top-level seccompProfile), the Gateway API proxies it
      // deploys and the sidecars get a seccomp profile.
      seccompProfile: { type: 'RuntimeDefault' },
      gateways: { seccompProfile: { type: 'RuntimeDefault' } },
      global: { proxy: { seccompProfile: { type: 'RuntimeDefault' } } },
      // The chart's top-level `cni` is the injection template's `.Values.pilot.cni`: istio-validation, not istio-init.
      cni: { enabled: true },
    });
    expect(p.release('istio-ingressgateway').values).toEqual({
      labels: { istio: 'ingressgateway' },
      service: { type: 'ClusterIP' },
      // Pod Security "restricted": a seccomp profile; the chart's default sysctl (a safe one) kept.
      securityContext: { seccompProfile: { type: 'RuntimeDefault' }, sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
    });
    // Chart 2.41.0 ships v1.9.0; the manifests target v1.9.1.
    expect(p.release('argo-rollouts').values).toEqual({
      installCRDs: true,
      // Alerts are configured in the services' namespaces (self-service notifications).
      controller: { image: { registry: 'quay.io', repository: 'argoproj/argo-rollouts', tag: 'v1.9.1@sha256:15c0d41f2c69a382d4399bcb28ed4f03ee9f58b56cfc9e6cd55bcbf0f311c06d' }, selfServiceNotification: true },
    });
    expect(p.release('argo-rollouts').repository).toBe('https://argoproj.github.io/argo-helm');
    expect(p.flaggerNamespace).toBeUndefined();
  });

  test('Argo Rollouts + Traefik: the controller talks to traefik.io', () => {
    expect(plan({ engines: [ARGO_ROLLOUTS] }).release('argo-rollouts')).toMatchObject({
      dependsOn: ['traefik'],
      values: {
        installCRDs: true,
        controller: { selfServiceNotification: true, extraArgs: ['--traefik-api-group=traefik.io', '--traefik-api-version=traefik.io/v1alpha1'] },
      },
    });
  });

  test('a shared Prometheus: server only, installed first, Flagger points at it', () => {
    const p = plan({ prometheus: true });
    expect(p.releaseNames).toEqual(['prometheus', 'traefik', 'flagger']);
    expect(p.metricsServer).toBe('http://prometheus-server.monitoring:9090');
    expect(p.sharedPrometheus?.address).toBe('http://prometheus-server.monitoring:9090');
    const release = p.release('prometheus');
    expect({ ...release, values: undefined }).toEqual({
      name: 'prometheus',
      namespace: 'monitoring',
      chart: 'prometheus',
      version: '29.27.0',
      repository: 'https://prometheus-community.github.io/helm-charts',
      repositoryName: 'prometheus-community',
      dependsOn: [],
      dependsOnManifests: [],
      chartCrds: false,
      values: undefined,
    });
    const { extraManifests, ...values } = release.values;
    const restricted = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
    expect(values).toEqual({
      'alertmanager': { enabled: false },
      'kube-state-metrics': { enabled: false },
      'prometheus-node-exporter': { enabled: false },
      'prometheus-pushgateway': { enabled: false },
      // The chart's ClusterRole (nodes, nodes/metrics, services, endpoints, endpointslices, ingresses, configmaps) is not installed.
      'rbac': { create: false },
      'serviceAccounts': { server: { create: true, name: 'prometheus-server' } },
      // Every job of the chart but its own and the annotated pods' is off, and pods cannot override the target's labels.
      'scrapeConfigs': {
        'kubernetes-api-servers': { enabled: false },
        'kubernetes-nodes': { enabled: false },
        'kubernetes-nodes-cadvisor': { enabled: false },
        'kubernetes-service-endpoints': { enabled: false },
        'kubernetes-service-endpoints-slow': { enabled: false },
        'prometheus-pushgateway': { enabled: false },
        'kubernetes-services': { enabled: false },
        'kubernetes-pods-slow': { enabled: false },
        'kubernetes-pods': { honor_labels: false },
      },
      // By digest: with `digest` set the chart writes <repository>@<digest> (templates/deploy.yaml).
      'configmapReload': {
        prometheus: {
          image: { repository: 'quay.io/prometheus-operator/prometheus-config-reloader', tag: 'v0.93.1', digest: 'sha256:428f088fe6fe07ab138bda92113664b04848a1dc408e4d3680a60ecdb55d1a65' },
          containerSecurityContext: restricted,
        },
      },
      'server': {
        fullnameOverride: 'prometheus-server',
        // The per-namespace Prometheus's image (PROMETHEUS_IMAGE, by digest), not the chart's appVersion v3.14.0.
        image: { repository: 'docker.io/prom/prometheus', tag: 'v3.5.5', digest: 'sha256:332c2f43e7e389d74d3893b55bb02fbbd684208e681eeb604641d5d769c0fe2a' },
        service: { servicePort: 9090 },
        global: { scrape_interval: '5s', scrape_timeout: '5s' },
        persistentVolume: { enabled: false },
        retention: '2h',
        containerSecurityContext: restricted,
      },
    });
    const [clusterRole, binding, networkPolicy] = extraManifests.map((text: string) => yaml.load(text));
    const labels = { 'app.kubernetes.io/component': 'server', 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'prometheus' };
    expect(clusterRole).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'prometheus-server-pods', labels },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }],
    });
    expect(binding).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'prometheus-server-pods', labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'prometheus-server-pods' },
      subjects: [{ kind: 'ServiceAccount', name: 'prometheus-server', namespace: 'monitoring' }],
    });
    expect(networkPolicy).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'prometheus-server', namespace: 'monitoring', labels },
      spec: {
        podSelector: { matchLabels: labels },
        policyTypes: ['Ingress', 'Egress'],
        // Only Flagger's pods query it (the engines of the plan).
        ingress: [{
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flagger-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'flagger' } } }],
          ports: [{ protocol: 'TCP', port: 9090 }],
        }],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
          },
          { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] },
          { to: [{ namespaceSelector: {}, podSelector: {} }] },
        ],
      },
    });
    expect(p.release('flagger')).toMatchObject({
      dependsOn: ['prometheus', 'traefik'],
      values: { metricsServer: 'http://prometheus-server.monitoring:9090' },
    });
  });

  test('with both engines, the shared Prometheus answers both controllers\' pods, in their namespaces', () => {
    const p = plan({ engines: [PlatformEngine.FLAGGER, PlatformEngine.ARGO_ROLLOUTS], prometheus: true, argoRollouts: { namespace: 'rollouts' } });
    const networkPolicy: any = yaml.load(p.release('prometheus').values.extraManifests[2]);
    expect(networkPolicy.spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flagger-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'flagger' } } },
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'rollouts' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'argo-rollouts', 'app.kubernetes.io/component': 'rollouts-controller' } },
      },
    ]);
  });

  test("the shared Prometheus's DNS: the cluster DNS pods given, then one rule per extra address (NodeLocal DNSCache)", () => {
    const p = plan({
      prometheus: true,
      dns: { namespace: 'dns-system', podLabels: { 'app.kubernetes.io/name': 'coredns' }, extraAddresses: ['169.254.20.10', 'fd00::a'] },
    });
    const networkPolicy: any = yaml.load(p.release('prometheus').values.extraManifests[2]);
    const dnsPorts = [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }];
    expect(networkPolicy.spec.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'coredns' } } }],
        ports: dnsPorts,
      },
      { to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: dnsPorts },
      { to: [{ ipBlock: { cidr: 'fd00::a/128' } }], ports: dnsPorts },
      { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] },
      { to: [{ namespaceSelector: {}, podSelector: {} }] },
    ]);
    // The team-side default is kept: only the extra addresses are added.
    const nodeLocal: any = yaml.load(plan({ prometheus: true, dns: { extraAddresses: ['169.254.20.10'] } }).release('prometheus').values.extraManifests[2]);
    expect(nodeLocal.spec.egress.slice(0, 2)).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: dnsPorts,
      },
      { to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: dnsPorts },
    ]);
  });

  test('the shared Prometheus follows its namespace', () => {
    const p = plan({ prometheus: true, prometheusServer: { namespace: 'observability' } });
    expect(p.metricsServer).toBe('http://prometheus-server.observability:9090');
    expect(p.release('prometheus').namespace).toBe('observability');
    expect(p.release('flagger').values.metricsServer).toBe('http://prometheus-server.observability:9090');
  });

  test('everything: every release after its dependencies, Flagger after both routers', () => {
    const p = plan({ engines: [FLAGGER, ARGO_ROLLOUTS], routers: [TRAEFIK, ISTIO], prometheus: true });
    expect(p.releaseNames).toEqual(['prometheus', 'traefik', 'istio-base', 'istio-cni', 'istiod', 'istio-ingressgateway', 'flagger', 'argo-rollouts']);
    p.releases.forEach((release, index) => {
      for (const dependency of release.dependsOn) {
        expect(p.releaseNames.indexOf(dependency)).toBeGreaterThanOrEqual(0);
        expect(p.releaseNames.indexOf(dependency)).toBeLessThan(index);
      }
    });
    expect(p.release('flagger').dependsOn).toEqual(['prometheus', 'traefik', 'istio-base']);
    expect(p.release('argo-rollouts').dependsOn).toEqual(['traefik', 'istio-base']);
    expect(p.repositories).toEqual([
      { name: 'argo', url: 'https://argoproj.github.io/argo-helm', oci: false },
      { name: 'flagger', url: 'https://flagger.app', oci: false },
      { name: 'istio', url: 'https://istio-release.storage.googleapis.com/charts', oci: false },
      { name: 'prometheus-community', url: 'https://prometheus-community.github.io/helm-charts', oci: false },
      { name: 'traefik', url: 'https://traefik.github.io/charts', oci: false },
    ]);
  });

  test("Flagger's meshProvider is the first router, or the one named", () => {
    expect(plan({ routers: [TRAEFIK, ISTIO] }).release('flagger').values.meshProvider).toBe('traefik');
    expect(plan({ routers: [ISTIO, TRAEFIK] }).release('flagger').values.meshProvider).toBe('istio');
    expect(plan({ routers: [TRAEFIK, ISTIO], flaggerMeshProvider: ISTIO }).release('flagger').values.meshProvider).toBe('istio');
  });

  test('overrides: namespace, version, and values merged over ours', () => {
    const p = plan({
      flagger: { namespace: 'flagger', version: '1.45.0', values: { crd: { create: true }, podMonitor: { enabled: true } } },
      traefik: { values: { ports: { metrics: { expose: { default: true } } }, deployment: { replicas: 3 } } },
      istio: undefined,
    });
    expect(p.flaggerNamespace).toBe('flagger');
    expect(p.release('flagger')).toMatchObject({
      namespace: 'flagger',
      version: '1.45.0',
      values: { meshProvider: 'traefik', prometheus: { install: false }, crd: { create: true }, podMonitor: { enabled: true } },
    });
    expect(p.release('traefik').values.ports).toEqual({
      metrics: { port: 9100, expose: { default: true } },
      web: { port: 8000, exposedPort: 80, expose: { default: true } },
      websecure: { port: 8443, exposedPort: 443, expose: { default: true } },
      internal: { port: 8001, exposedPort: 8001, expose: { default: false, internal: true } },
    });
    expect(p.release('traefik').values.deployment).toEqual({ replicas: 3 });
  });

  test('a mirror or an OCI registry instead of the upstream repository', () => {
    const p = plan({ traefik: { repository: 'oci://ghcr.io/traefik/helm' } });
    expect(p.release('traefik').repository).toBe('oci://ghcr.io/traefik/helm');
    expect(p.repositories).toEqual([
      { name: 'flagger', url: 'https://flagger.app', oci: false },
      { name: 'traefik', url: 'oci://ghcr.io/traefik/helm', oci: true },
    ]);
  });

  test('arrays replace ours, as Helm merges values', () => {
    const p = plan({ engines: [ARGO_ROLLOUTS], argoRollouts: { values: { controller: { extraArgs: ['--loglevel=debug'] } } } });
    expect(p.release('argo-rollouts').values.controller.extraArgs).toEqual(['--loglevel=debug']);
  });

  test('Istio overrides apply to all four charts', () => {
    const mirror = 'https://charts.example.com/istio';
    const p = plan({
      engines: [ARGO_ROLLOUTS],
      routers: [ISTIO],
      istio: { namespace: 'mesh', version: '1.30.4', repository: mirror, gatewayValues: { service: { type: 'NodePort' } }, baseValues: { defaultRevision: 'default' } },
    });
    expect(p.releases.filter((r) => r.chart !== 'argo-rollouts').map((r) => [r.name, r.namespace, r.version, r.repository])).toEqual([
      ['istio-base', 'mesh', '1.30.4', mirror], ['istio-cni', 'mesh', '1.30.4', mirror], ['istiod', 'mesh', '1.30.4', mirror], ['istio-ingressgateway', 'mesh', '1.30.4', mirror],
    ]);
    expect(p.repositories.find((r) => r.name === 'istio')).toEqual({ name: 'istio', url: mirror, oci: false });
    expect(p.release('istio-base').values).toEqual({ defaultRevision: 'default' });
    expect(p.release('istio-ingressgateway').values).toMatchObject({ labels: { istio: 'ingressgateway' }, service: { type: 'NodePort' } });
  });

  test('the CNI node agent: its own namespace and values, merged over none of ours', () => {
    const p = plan({
      engines: [ARGO_ROLLOUTS],
      routers: [ISTIO],
      istio: { cniNamespace: 'kube-system', cniValues: { global: { platform: 'gke' } }, istiodValues: { cni: { provider: 'default' } } },
    });
    expect(p.release('istio-cni')).toMatchObject({ namespace: 'kube-system' });
    expect(p.release('istio-cni').values).toEqual({ resourceQuotas: { enabled: true }, global: { platform: 'gke' } });
    // istiod stays in the Istio namespace; values of yours merge with ours key by key.
    expect(p.release('istiod').namespace).toBe('istio-system');
    expect(p.release('istiod').values.cni).toEqual({ enabled: true, provider: 'default' });
  });

  test('istio.cni false: no node agent, istiod injects istio-init as upstream does by default', () => {
    const p = plan({ engines: [ARGO_ROLLOUTS], routers: [ISTIO], istio: { cni: false } });
    expect(p.releaseNames).toEqual(['istio-base', 'istiod', 'istio-ingressgateway', 'argo-rollouts']);
    expect(p.release('istiod').dependsOn).toEqual(['istio-base']);
    expect(p.release('istiod').values.cni).toBeUndefined();
    expect(p.release('istiod').values.seccompProfile).toEqual({ type: 'RuntimeDefault' });
  });

  test('Gateway API alone injects no sidecar: no node agent unless asked for', () => {
    const gatewayApi = plan({ engines: [ARGO_ROLLOUTS], routers: [PlatformRouter.GATEWAY_API] });
    expect(gatewayApi.releaseNames).toEqual(['istio-base', 'istiod', 'argo-rollouts']);
    expect(gatewayApi.release('istiod').values.cni).toBeUndefined();
    const asked = plan({ engines: [ARGO_ROLLOUTS], routers: [PlatformRouter.GATEWAY_API], istio: { cni: true } });
    expect(asked.releaseNames).toEqual(['istio-base', 'istio-cni', 'istiod', 'argo-rollouts']);
    expect(asked.release('istiod')).toMatchObject({ dependsOn: ['istio-base', 'istio-cni'], values: { cni: { enabled: true } } });
  });

  test('the props are not modified, and every plan gets its own values', () => {
    const values = { deployment: { replicas: 3 } };
    const a = plan({ traefik: { values } });
    const b = plan({ traefik: { values } });
    a.release('traefik').values.metrics.prometheus.entryPoint = 'changed';
    expect(b.release('traefik').values.metrics.prometheus.entryPoint).toBe('metrics');
    expect(values).toEqual({ deployment: { replicas: 3 } });
  });

  test('tryFindRelease', () => {
    expect(plan().tryFindRelease('istiod')).toBeUndefined();
    expect(plan().tryFindRelease('flagger')?.chart).toBe('flagger');
  });
});

describe('PlatformPlan errors', () => {
  test.each<[string, Partial<PlatformPlanProps>, string]>([
    ['no engine', { engines: [] }, "PlatformPlan: 'engines' ([]) must name at least one engine: FLAGGER or ARGO_ROLLOUTS"],
    ['no router', { routers: [] }, "PlatformPlan: 'routers' ([]) must name at least one router: TRAEFIK or ISTIO"],
    ['unknown engine', { engines: ['NGINX' as PlatformEngine] }, "PlatformPlan: 'engines[0]' ('NGINX') must be one of PlatformEngine.FLAGGER, PlatformEngine.ARGO_ROLLOUTS"],
    ['unknown router', { routers: [TRAEFIK, 'LINKERD' as PlatformRouter] }, "PlatformPlan: 'routers[1]' ('LINKERD') must be one of PlatformRouter.TRAEFIK, PlatformRouter.ISTIO, PlatformRouter.GATEWAY_API, PlatformRouter.REPLICA_RATIO"],
    ['a router twice', { routers: [TRAEFIK, TRAEFIK] }, "PlatformPlan: 'routers' has two entries named 'TRAEFIK'; names must be unique"],
    ['Flagger options without Flagger', { engines: [ARGO_ROLLOUTS], flagger: {} }, "PlatformPlan: 'flagger' is set but 'engines' does not include FLAGGER"],
    ['a meshProvider without Flagger', { engines: [ARGO_ROLLOUTS], flaggerMeshProvider: TRAEFIK },
      "PlatformPlan: 'flaggerMeshProvider' is set but 'engines' does not include FLAGGER"],
    ['a meshProvider that is not a router', { flaggerMeshProvider: ISTIO }, "PlatformPlan: 'flaggerMeshProvider' ('ISTIO') must be one of 'routers' (TRAEFIK)"],
    ['Argo options without Argo', { argoRollouts: {} }, "PlatformPlan: 'argoRollouts' is set but 'engines' does not include ARGO_ROLLOUTS"],
    ['Traefik options without Traefik', { routers: [ISTIO], traefik: {} }, "PlatformPlan: 'traefik' is set but 'routers' does not include TRAEFIK"],
    ['Istio options without Istio', { istio: { version: '1.30.3' } }, "PlatformPlan: 'istio' is set but 'routers' includes neither ISTIO nor GATEWAY_API"],
    ['Prometheus options without Prometheus', { prometheusServer: { namespace: 'obs' } }, "PlatformPlan: 'prometheusServer' is set but 'prometheus' is not true"],
    ['a bad namespace', { flagger: { namespace: 'Flagger_System' } },
      "PlatformPlan: 'flagger.namespace' ('Flagger_System') must be a DNS label of at most 63 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit"],
    ['a bad Istio namespace', { routers: [ISTIO], istio: { namespace: '-mesh' } },
      "PlatformPlan: 'istio.namespace' ('-mesh') must be a DNS label of at most 63 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit"],
    ['an unpinned version', { traefik: { version: 'latest' } }, "PlatformPlan: 'traefik.version' ('latest') must be a pinned chart version such as '1.2.3'"],
    ['a version range', { flagger: { version: '^1.44.0' } }, "PlatformPlan: 'flagger.version' ('^1.44.0') must be a pinned chart version such as '1.2.3'"],
    ['a repository that is not a URL', { flagger: { repository: 'flagger.app' } },
      "PlatformPlan: 'flagger.repository' ('flagger.app') must be an https://, http:// or oci:// URL"],
    ['an Istio repository that is not a URL', { routers: [ISTIO], istio: { repository: 's3://charts' } },
      "PlatformPlan: 'istio.repository' ('s3://charts') must be an https://, http:// or oci:// URL"],
    ['values that are not an object', { traefik: { values: ['a'] as any } }, "PlatformPlan: 'traefik.values' ([\"a\"]) must be an object"],
    ['Istio values that are not an object', { routers: [ISTIO], istio: { istiodValues: 'x' as any } }, "PlatformPlan: 'istio.istiodValues' ('x') must be an object"],
    ['istio.cni not a boolean', { routers: [ISTIO], istio: { cni: 'yes' as any } }, "PlatformPlan: 'istio.cni' ('yes') must be true or false"],
    ['a bad CNI namespace', { routers: [ISTIO], istio: { cniNamespace: 'Kube_System' } },
      "PlatformPlan: 'istio.cniNamespace' ('Kube_System') must be a DNS label of at most 63 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit"],
    ['CNI values that are not an object', { routers: [ISTIO], istio: { cniValues: [1] as any } }, "PlatformPlan: 'istio.cniValues' ([1]) must be an object"],
    ['CNI values with the CNI off', { routers: [ISTIO], istio: { cni: false, cniValues: {} } }, "PlatformPlan: 'istio.cniValues' is set but 'istio.cni' is false"],
    ['a CNI namespace with the CNI off by default (Gateway API alone)', { routers: [PlatformRouter.GATEWAY_API], istio: { cniNamespace: 'kube-system' } },
      "PlatformPlan: 'istio.cniNamespace' is set but 'istio.cni' is false by default without PlatformRouter.ISTIO"],
    ['DNS options without the shared Prometheus', { dns: { extraAddresses: ['169.254.20.10'] } },
      "PlatformPlan: 'dns' is set but 'prometheus' is not true (only the shared Prometheus's NetworkPolicy calls DNS)"],
    ['a DNS address that is not an IP address', { prometheus: true, dns: { extraAddresses: ['169.254.20.10', 'node-local-dns'] } },
      "PlatformPlan: 'dns.extraAddresses[1]' ('node-local-dns') must be an IP address, e.g. the kube-dns Service's ClusterIP, '169.254.20.10' (NodeLocal DNSCache in IPVS mode) or '169.254.169.254' (GKE Cloud DNS)"],
    ['a CIDR as DNS address', { prometheus: true, dns: { extraAddresses: ['169.254.20.0/24'] } },
      "PlatformPlan: 'dns.extraAddresses[0]' ('169.254.20.0/24') must be an IP address"],
    ['a DNS address twice', { prometheus: true, dns: { extraAddresses: ['10.96.0.10', '10.96.0.10'] } },
      "PlatformPlan: 'dns.extraAddresses' ('10.96.0.10', '10.96.0.10') names an address twice: give each once"],
    ['no DNS pod label', { prometheus: true, dns: { podLabels: {} } },
      "PlatformPlan: 'dns.podLabels' ({}) must name at least one label of the cluster DNS pods, e.g. { 'k8s-app': 'kube-dns' }: without one, DNS would be allowed to every pod of 'kube-system'"],
    ['a bad DNS namespace', { prometheus: true, dns: { namespace: 'Kube' } },
      "PlatformPlan: 'dns.namespace' ('Kube') must be a DNS label of at most 63 characters"],
  ])('%s', (_name, props, message) => {
    expect(() => plan(props)).toThrow(message);
  });

  test('an unknown release name', () => {
    expect(() => plan().release('istiod')).toThrow("PlatformPlan: there is no release named 'istiod'; the releases are traefik, flagger");
  });
});

describe('PlatformPlan: Istio values that contradict the plan', () => {
  const CNI_OFF = "turns istiod's CNI mode off, which contradicts 'istio.cni' (true): the plan installs the CNI node agent, and sidecars injected without it get istio-init "
    + "(root, NET_ADMIN, NET_RAW), which Pod Security \"restricted\" rejects; remove it, or set 'istio.cni: false' to install no agent";
  const NO_ZTUNNEL = 'ambient mode needs ztunnel, which the platform does not install (it runs Istio in sidecar mode)';
  const OPENSHIFT = "PlatformPlan: 'istio.cniValues.global.platform' ('openshift') is not set for istiod: injected pods would lack the Multus "
    + "annotation that runs the agent's plugin; set global: { platform: 'openshift' } in 'istio.istiodValues' too";

  const ISTIOD_MULTUS = (path: string, value: string) => `PlatformPlan: 'istio.istiodValues.${path}' ('${value}') is not set for the cni chart: `
    + "injected pods would ask Multus for the NetworkAttachmentDefinition 'default/istio-cni', which only the cni chart in Multus mode creates; "
    + "set global: { platform: 'openshift' } in 'istio.cniValues' too";

  function messages(istio: PlatformPlanProps['istio'], routers = [ISTIO]): string[] {
    try {
      plan({ engines: [ARGO_ROLLOUTS], routers, istio });
    } catch (e) {
      if (e instanceof DeclarationError) return e.messages;
      throw e;
    }
    return [];
  }

  test.each<[string, PlatformPlanProps['istio'], string[]]>([
    ["istiod's CNI mode off with the agent", { istiodValues: { cni: { enabled: false } } },
      [`PlatformPlan: 'istio.istiodValues.cni.enabled' (false) ${CNI_OFF}`]],
    ["istiod's CNI mode off under pilot (copied to the top level)", { istiodValues: { pilot: { cni: { enabled: false } } } },
      [`PlatformPlan: 'istio.istiodValues.pilot.cni.enabled' (false) ${CNI_OFF}`]],
    ["istiod's CNI mode as a string Helm reads as true", { cni: true, istiodValues: { cni: { enabled: 'false' } } },
      ["PlatformPlan: 'istio.istiodValues.cni.enabled' (\"false\") is a string, which Helm's 'if' treats as true (every non-empty string is): write the boolean true or false"]],
    ["istiod's CNI mode as an empty string (false to Helm)", { istiodValues: { pilot: { cni: { enabled: '' } } } },
      [`PlatformPlan: 'istio.istiodValues.pilot.cni.enabled' ("") ${CNI_OFF}`]],
    ["OpenShift's profile on istiod alone", { istiodValues: { global: { platform: 'openshift' } } }, [ISTIOD_MULTUS('global.platform', 'openshift')]],
    ['Multus named on istiod alone', { istiodValues: { cni: { provider: 'multus' } } }, [ISTIOD_MULTUS('cni.provider', 'multus')]],
    ['the ambient profile on istiod', { istiodValues: { profile: 'ambient' } },
      [`PlatformPlan: 'istio.istiodValues.profile' ('ambient') is not allowed: ${NO_ZTUNNEL}; remove it, or name another of the chart's profiles`]],
    ['the ambient profile on the agent, under global', { cniValues: { global: { profile: 'ambient' } } },
      [`PlatformPlan: 'istio.cniValues.global.profile' ('ambient') is not allowed: ${NO_ZTUNNEL}; remove it, or name another of the chart's profiles`]],
    ["the agent's ambient mode", { cniValues: { ambient: { enabled: true } } },
      [`PlatformPlan: 'istio.cniValues.ambient.enabled' (true) is not allowed: ${NO_ZTUNNEL}; remove it`]],
    ["the agent's ambient mode under cni (copied to the top level)", { cniValues: { cni: { ambient: { enabled: true } } } },
      [`PlatformPlan: 'istio.cniValues.cni.ambient.enabled' (true) is not allowed: ${NO_ZTUNNEL}; remove it`]],
    ["OpenShift's profile on the agent alone", { cniNamespace: 'kube-system', cniValues: { global: { platform: 'openshift' } } }, [OPENSHIFT]],
  ])('%s', (_name, istio, expected) => {
    expect(messages(istio)).toEqual(expected);
  });

  test('every mistake together', () => {
    expect(messages({
      istiodValues: { cni: { enabled: false }, pilot: { cni: { enabled: false } }, global: { profile: 'ambient' } },
      cniValues: { profile: 'ambient', ambient: { enabled: true }, global: { platform: 'openshift' } },
    })).toEqual([
      `PlatformPlan: 'istio.istiodValues.cni.enabled' (false) ${CNI_OFF}`,
      `PlatformPlan: 'istio.istiodValues.pilot.cni.enabled' (false) ${CNI_OFF}`,
      `PlatformPlan: 'istio.istiodValues.global.profile' ('ambient') is not allowed: ${NO_ZTUNNEL}; remove it, or name another of the chart's profiles`,
      `PlatformPlan: 'istio.cniValues.profile' ('ambient') is not allowed: ${NO_ZTUNNEL}; remove it, or name another of the chart's profiles`,
      `PlatformPlan: 'istio.cniValues.ambient.enabled' (true) is not allowed: ${NO_ZTUNNEL}; remove it`,
      OPENSHIFT,
    ]);
  });

  test('values that agree pass', () => {
    // The same setting as ours, another profile, and OpenShift on both charts (or Multus named on istiod).
    expect(messages({ istiodValues: { cni: { enabled: true }, pilot: { cni: { enabled: true } }, profile: 'stable' }, cniValues: { ambient: { enabled: false } } })).toEqual([]);
    expect(messages({
      cniNamespace: 'kube-system', cniValues: { global: { platform: 'openshift' } }, istiodValues: { global: { platform: 'openshift' } },
    })).toEqual([]);
    expect(messages({ cniValues: { platform: 'openshift' }, istiodValues: { pilot: { cni: { provider: 'multus' } } } })).toEqual([]);
    // Without the agent, istiod's CNI mode is yours (a cluster whose CNI provides Istio's).
    expect(messages({ cni: false, istiodValues: { cni: { enabled: false } } })).toEqual([]);
    expect(messages({ cni: false, istiodValues: { cni: { enabled: true } } })).toEqual([]);
    expect(messages({ cni: false, istiodValues: { global: { platform: 'openshift' } } })).toEqual([]);
    expect(messages({ cniValues: { provider: 'multus' }, istiodValues: { cni: { provider: 'multus' } } })).toEqual([]);
    expect(messages({ istiodValues: { cni: { enabled: 'true' } } })).toEqual([]);
    // Ambient is refused with Gateway API alone too: no ztunnel either.
    expect(messages({ istiodValues: { profile: 'ambient' } }, [PlatformRouter.GATEWAY_API])).toEqual([
      `PlatformPlan: 'istio.istiodValues.profile' ('ambient') is not allowed: ${NO_ZTUNNEL}; remove it, or name another of the chart's profiles`,
    ]);
  });
});

describe('PlatformPlan: istiod in CNI mode without the agent is noted', () => {
  const AGENT = "turns on istiod's CNI mode while 'istio.cni' is false, so the plan installs no Istio CNI node agent: "
    + "the cluster must run one on every node, else injected pods' istio-validation init container fails and they never start; "
    + "set 'istio.cni: true' to install it";

  test.each<[string, PlatformPlanProps['istio'], string[]]>([
    ['cni.enabled', { cni: false, istiodValues: { cni: { enabled: true } } }, [`'istio.istiodValues.cni.enabled' (true) ${AGENT}`]],
    ['pilot.cni.enabled', { cni: false, istiodValues: { pilot: { cni: { enabled: true } } } }, [`'istio.istiodValues.pilot.cni.enabled' (true) ${AGENT}`]],
    ["OpenShift's profile", { cni: false, istiodValues: { global: { platform: 'openshift' } } },
      [`'istio.istiodValues.global.platform' ('openshift', whose profile sets pilot.cni.enabled) ${AGENT}`]],
    ["OpenShift's profile with CNI mode turned off", { cni: false, istiodValues: { platform: 'openshift', cni: { enabled: false } } }, []],
    ['CNI mode off', { cni: false, istiodValues: { cni: { enabled: false } } }, []],
    ['CNI mode off under pilot, which wins', { cni: false, istiodValues: { cni: { enabled: true }, pilot: { cni: { enabled: false } } } }, []],
    ['the agent installed', { istiodValues: { cni: { enabled: true } } }, []],
  ])('%s', (_name, istio, notes) => {
    expect(plan({ engines: [ARGO_ROLLOUTS], routers: [ISTIO], istio }).notes).toEqual(notes);
  });
});

test("the plan's values share nothing with the props", () => {
  const values = { deployment: { replicas: 3 }, additionalArguments: ['--log.level=DEBUG'] };
  const p = plan({ traefik: { values } });
  p.release('traefik').values.deployment.replicas = 5;
  p.release('traefik').values.additionalArguments.push('--x');
  expect(values).toEqual({ deployment: { replicas: 3 }, additionalArguments: ['--log.level=DEBUG'] });
});
