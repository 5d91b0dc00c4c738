import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as yaml from 'js-yaml';
import { Prometheus } from '../../src/addons/prometheus';
import { SharedAddons } from '../../src/addons/shared-addons';
import { all, only, synth } from '../synth';

const DNS_LABEL_RULE = 'must be a DNS label of at most 63 characters: lower-case letters, digits and \'-\', starting with a letter and ending with a letter or digit';

function newChart(): Chart {
  return new Chart(Testing.app(), 'test');
}

function prometheusYml(manifests: any[]): any {
  return yaml.load(only(manifests, 'ConfigMap', 'canary-prometheus').data['prometheus.yml']);
}

function podSpec(manifests: any[]): any {
  return only(manifests, 'Deployment', 'canary-prometheus').spec.template.spec;
}

describe('defaults', () => {
  const chart = newChart();
  const prometheus = new Prometheus(chart, 'p', { namespace: 'apps' });
  const manifests = synth(chart);

  test('address and scraped namespaces', () => {
    expect(prometheus.address).toBe('http://canary-prometheus.apps:9090');
    expect(prometheus.scrapedNamespaces).toEqual(['apps']);
  });

  test('every object is named canary-prometheus, explicitly namespaced, without cdk8s labels', () => {
    expect(manifests.map((m) => `${m.kind}/${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
      'ServiceAccount/apps/canary-prometheus',
      'ConfigMap/apps/canary-prometheus',
      'Deployment/apps/canary-prometheus',
      'Service/apps/canary-prometheus',
      'NetworkPolicy/apps/canary-prometheus',
      'Role/apps/canary-prometheus',
      'RoleBinding/apps/canary-prometheus',
    ]);
    expect(JSON.stringify(manifests)).not.toContain('cdk8s.io/metadata.addr');
    expect(all(manifests, 'ClusterRole')).toEqual([]);
  });

  test('prometheus.yml discovers annotated pods in its own namespace', () => {
    const config = prometheusYml(manifests);
    expect(config.global).toEqual({ scrape_interval: '5s' });
    expect(config.scrape_configs).toHaveLength(1);
    const job = config.scrape_configs[0];
    expect(job.job_name).toBe('kubernetes-pods');
    expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['apps'] } }]);
    expect(job.relabel_configs).toEqual([
      { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' },
      { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], action: 'replace', regex: '(.+)', target_label: '__metrics_path__' },
      {
        source_labels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'],
        action: 'replace',
        regex: '([^:]+)(?::\\d+)?;(\\d+)',
        replacement: '$1:$2',
        target_label: '__address__',
      },
      { action: 'labelmap', regex: '__meta_kubernetes_pod_label_(.+)' },
      { source_labels: ['__meta_kubernetes_namespace'], action: 'replace', target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_pod_name'], action: 'replace', target_label: 'pod' },
      { source_labels: ['__meta_kubernetes_namespace'], action: 'replace', target_label: 'kubernetes_namespace' },
      { source_labels: ['__meta_kubernetes_pod_name'], action: 'replace', target_label: 'kubernetes_pod_name' },
    ]);
  });

  test('the keep regex is the string "true", not a YAML boolean', () => {
    expect(only(manifests, 'ConfigMap').data['prometheus.yml']).toContain('regex: "true"');
  });

  test('deployment selects on app.kubernetes.io/name only', () => {
    const deployment = only(manifests, 'Deployment');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'canary-prometheus' } });
    // No sidecar even in a namespace labelled for injection: Istio's merged metrics port 15020 is not
    // captured, so Prometheus scrapes it in plain HTTP under any mTLS mode.
    expect(deployment.spec.template.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'canary-prometheus', 'sidecar.istio.io/inject': 'false' });
  });

  test('container runs Prometheus with a 2h retention, at most 512MB, on an emptyDir of at most 1Gi', () => {
    const spec = podSpec(manifests);
    expect(spec.containers).toHaveLength(1);
    const container = spec.containers[0];
    expect(container.name).toBe('prometheus');
    // Pinned by digest as well as tag (src/versions.ts).
    expect(container.image).toBe('docker.io/prom/prometheus:v3.5.5@sha256:332c2f43e7e389d74d3893b55bb02fbbd684208e681eeb604641d5d769c0fe2a');
    expect(container.args).toEqual([
      '--config.file=/etc/prometheus/prometheus.yml',
      '--storage.tsdb.path=/prometheus',
      '--storage.tsdb.retention.time=2h',
      '--storage.tsdb.retention.size=512MB',
    ]);
    expect(container.ports).toEqual([{ containerPort: 9090, name: 'http' }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/-/ready', port: 9090, scheme: 'HTTP' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/-/healthy', port: 9090, scheme: 'HTTP' });
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } });
    expect(container.volumeMounts).toEqual([
      { mountPath: '/etc/prometheus', name: 'config', readOnly: true },
      { mountPath: '/prometheus', name: 'data' },
    ]);
    expect(spec.volumes).toEqual([
      { name: 'config', configMap: { name: 'canary-prometheus' } },
      { name: 'data', emptyDir: { sizeLimit: '1024Mi' } },
    ]);
  });

  test('pod runs as nobody under Pod Security "restricted", with a token for discovery', () => {
    const spec = podSpec(manifests);
    expect(spec.serviceAccountName).toBe('canary-prometheus');
    expect(spec.automountServiceAccountToken).toBe(true);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 });
    expect(spec.containers[0].securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  test('service exposes 9090 as http', () => {
    const service = only(manifests, 'Service');
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 9090, targetPort: 9090 }]);
    expect(service.spec.selector).toEqual({ 'app.kubernetes.io/name': 'canary-prometheus' });
  });

  test('role allows list and watch on pods (what pod discovery\'s informer calls) and nothing else', () => {
    expect(only(manifests, 'Role').rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }]);
  });

  test('no pod borrows its token: the ServiceAccount mounts none, only the Prometheus pod asks for one', () => {
    expect(only(manifests, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(podSpec(manifests).automountServiceAccountToken).toBe(true);
  });

  test('NetworkPolicy: no ingress until a controller is allowed; egress to the cluster DNS, the API server (443, 6443) and its own namespace\'s pods', () => {
    expect(only(manifests, 'NetworkPolicy').spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'canary-prometheus' } },
      policyTypes: ['Ingress', 'Egress'],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
        },
        { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }] },
        // The annotated pods name their own metrics port: any port, pods of the scraped namespace only.
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apps' } }, podSelector: {} }], ports: [] },
      ],
    });
  });

  test('role binding binds the role to the service account', () => {
    const binding = only(manifests, 'RoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'canary-prometheus' });
    expect(binding.subjects).toEqual([{ apiGroup: '', kind: 'ServiceAccount', name: 'canary-prometheus', namespace: 'apps' }]);
  });

  test('snapshot', () => {
    expect(manifests).toMatchSnapshot();
  });
});

describe('scrapeNamespace', () => {
  test('after construction adds the namespace to the config and RBAC in it', () => {
    const chart = newChart();
    const prometheus = new Prometheus(chart, 'p', { namespace: 'apps' });
    prometheus.scrapeNamespace('traefik');
    const manifests = synth(chart);

    expect(prometheus.scrapedNamespaces).toEqual(['apps', 'traefik']);
    expect(prometheusYml(manifests).scrape_configs[0].kubernetes_sd_configs).toEqual([
      { role: 'pod', namespaces: { names: ['apps', 'traefik'] } },
    ]);
    const role = all(manifests, 'Role').find((m) => m.metadata.namespace === 'traefik');
    expect(role.metadata.name).toBe('canary-prometheus-apps');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }]);
    const binding = all(manifests, 'RoleBinding').find((m) => m.metadata.namespace === 'traefik');
    expect(binding.metadata.name).toBe('canary-prometheus-apps');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'canary-prometheus-apps' });
    expect(binding.subjects).toEqual([{ apiGroup: '', kind: 'ServiceAccount', name: 'canary-prometheus', namespace: 'apps' }]);
  });

  test('is idempotent', () => {
    const chart = newChart();
    const prometheus = new Prometheus(chart, 'p', { namespace: 'apps' });
    prometheus.scrapeNamespace('traefik');
    prometheus.scrapeNamespace('traefik');
    prometheus.scrapeNamespace('apps');
    const manifests = synth(chart);
    expect(all(manifests, 'Role').map((m) => `${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
      'apps/canary-prometheus',
      'traefik/canary-prometheus-apps',
    ]);
    expect(all(manifests, 'RoleBinding')).toHaveLength(2);
  });

  test('Roles follow the order of the calls; the scrape config lists namespaces sorted', () => {
    const render = (namespaces: string[]) => {
      const chart = newChart();
      const prometheus = new Prometheus(chart, 'p', { namespace: 'apps' });
      namespaces.forEach((ns) => prometheus.scrapeNamespace(ns));
      return synth(chart);
    };
    const forward = render(['istio-system', 'traefik']);
    const backward = render(['traefik', 'istio-system']);
    expect(all(forward, 'Role').map((m) => m.metadata.namespace)).toEqual(['apps', 'istio-system', 'traefik']);
    expect(all(backward, 'Role').map((m) => m.metadata.namespace)).toEqual(['apps', 'traefik', 'istio-system']);
    expect(only(backward, 'ConfigMap').data).toEqual(only(forward, 'ConfigMap').data);
  });

  test('Prometheuses of two namespaces scraping traefik get distinct Roles there', () => {
    const chart = newChart();
    Prometheus.of(chart, 'apps').scrapeNamespace('traefik');
    Prometheus.of(chart, 'shop').scrapeNamespace('traefik');
    const names = all(synth(chart), 'Role').filter((m) => m.metadata.namespace === 'traefik').map((m) => m.metadata.name);
    expect(names).toEqual(['canary-prometheus-apps', 'canary-prometheus-shop']);
  });
});

describe('scrapeRouterMetrics: a router\'s pods elsewhere, keeping only this Prometheus\'s services', () => {
  const TRAEFIK = (service: string, namespace = 'apps') => ({
    namespace: 'traefik', metricNames: 'traefik_service_.+', serviceLabel: 'service', serviceValues: `${namespace}-${service}-(canary|primary|stable)-80@kubernetescrd`,
  });

  test('a job per router namespace that keeps the services\' series and drops every other namespace\'s', () => {
    const chart = newChart();
    const platformApp = Testing.app();
    SharedAddons.configure(chart, { platformRbacScope: platformApp });
    const prometheus = new Prometheus(chart, 'p', { namespace: 'apps' });
    prometheus.scrapeRouterMetrics(TRAEFIK('web'));
    prometheus.scrapeRouterMetrics(TRAEFIK('api'));
    prometheus.scrapeRouterMetrics(TRAEFIK('web'));
    const manifests = synth(chart);
    const [pods, router] = prometheusYml(manifests).scrape_configs;
    expect(pods.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['apps'] } }]);
    expect(pods.metric_relabel_configs).toBeUndefined();
    expect(router.job_name).toBe('router-traefik');
    expect(router.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['traefik'] } }]);
    expect(router.relabel_configs).toEqual(pods.relabel_configs);
    expect(router.metric_relabel_configs).toEqual([{
      source_labels: ['__name__', 'service'],
      action: 'keep',
      regex: '(traefik_service_.+);(apps-api-(canary|primary|stable)-80@kubernetescrd|apps-web-(canary|primary|stable)-80@kubernetescrd)',
    }]);
    expect(prometheus.keptRouterMetrics).toEqual([TRAEFIK('web'), TRAEFIK('api')]);
    // Pod discovery in the router's namespace: its Role is not in the team's files but in the platform's.
    expect(all(manifests, 'Role').map((m) => `${m.metadata.namespace}/${m.metadata.name}`)).toEqual(['apps/canary-prometheus']);
    expect(chart.node.root.node.tryFindChild('canary-platform-rbac')).toBeUndefined();
    const platform = Testing.synth(platformApp.node.findChild('canary-platform-rbac') as Chart);
    expect(platform.map((m) => `${m.kind}/${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
      'Role/traefik/canary-prometheus-apps',
      'RoleBinding/traefik/canary-prometheus-apps',
    ]);
    expect(only(platform, 'Role').rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }]);
    expect(only(platform, 'RoleBinding').subjects).toEqual([{ apiGroup: '', kind: 'ServiceAccount', name: 'canary-prometheus', namespace: 'apps' }]);
    expect(prometheus.platformRoleNamespaces).toEqual(['traefik']);
  });

  test('a declared metrics port is scraped by container port at /metrics, not by annotation; other routers stay by annotation', () => {
    const chart = newChart();
    const prometheus = new Prometheus(chart, 'p', { namespace: 'apps' });
    prometheus.scrapeRouterMetrics({ ...TRAEFIK('web'), metricsPort: 9100, metricsPortDeclared: true });
    prometheus.scrapeRouterMetrics({ ...TRAEFIK('api'), metricsPort: 15020 });
    // Annotated jobs sort first.
    const [pods, annotated, declared] = prometheusYml(synth(chart)).scrape_configs;
    expect([annotated.job_name, declared.job_name]).toEqual(['router-traefik', 'router-traefik-2']);
    expect(declared.metrics_path).toBe('/metrics');
    expect(declared.relabel_configs[0]).toEqual({ source_labels: ['__meta_kubernetes_pod_container_port_number'], action: 'keep', regex: '9100' });
    // The same target labels as the pods job (pod labels, namespace, pod), without its annotation rules.
    expect(declared.relabel_configs.slice(1)).toEqual(pods.relabel_configs.slice(3));
    expect(JSON.stringify(declared.relabel_configs)).not.toContain('prometheus_io');
    expect(declared.metric_relabel_configs[0].regex).toBe('(traefik_service_.+);(apps-web-(canary|primary|stable)-80@kubernetescrd)');
    expect(annotated.metrics_path).toBeUndefined();
    expect(annotated.relabel_configs).toEqual(pods.relabel_configs);
    expect(annotated.metric_relabel_configs[0].regex).toBe('(traefik_service_.+);(apps-api-(canary|primary|stable)-80@kubernetescrd)');
  });

  test('egress to the router\'s pods only on their metrics port, when the router names them', () => {
    const chart = newChart();
    const prometheus = new Prometheus(chart, 'p', { namespace: 'apps' });
    prometheus.scrapeRouterMetrics({ ...TRAEFIK('web'), podLabels: { 'app.kubernetes.io/name': 'traefik' }, metricsPort: 9100 });
    expect(only(synth(chart), 'NetworkPolicy').spec.egress[3]).toEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } } }],
      ports: [{ port: 9100, protocol: 'TCP' }],
    });
  });

  test('the keep rule, as Prometheus applies it (RE2, anchored, labels joined by ";"), keeps exactly the services\' series', () => {
    const chart = newChart();
    const prometheus = new Prometheus(chart, 'p', { namespace: 'apps' });
    prometheus.scrapeRouterMetrics(TRAEFIK('web'));
    const rule = prometheusYml(synth(chart)).scrape_configs[1].metric_relabel_configs[0];
    const keep = new RegExp(`^(?:${rule.regex})$`);
    expect('traefik_service_requests_total;apps-web-canary-80@kubernetescrd').toMatch(keep);
    expect('traefik_service_request_duration_seconds_bucket;apps-web-primary-80@kubernetescrd').toMatch(keep);
    expect('traefik_service_requests_total;shop-web-canary-80@kubernetescrd').not.toMatch(keep);
    expect('traefik_service_requests_total;apps-api-canary-80@kubernetescrd').not.toMatch(keep);
    expect('traefik_entrypoint_requests_total;').not.toMatch(keep);
    expect('go_goroutines;').not.toMatch(keep);
  });

  test('a namespace scraped in full gets no router job, or its pods would be scraped twice and every sum doubled', () => {
    const chart = newChart();
    const prometheus = new Prometheus(chart, 'p', { namespace: 'apps' });
    prometheus.scrapeRouterMetrics({ ...TRAEFIK('web'), namespace: 'apps' });
    expect(prometheusYml(synth(chart)).scrape_configs.map((job: any) => job.job_name)).toEqual(['kubernetes-pods']);
  });

  test('the namespace must be a DNS label', () => {
    const prometheus = new Prometheus(newChart(), 'p', { namespace: 'apps' });
    expect(() => prometheus.scrapeRouterMetrics({ ...TRAEFIK('web'), namespace: 'Traefik' })).toThrow(`test/p: 'scrapeRouterMetrics.namespace' ('Traefik') ${DNS_LABEL_RULE}`);
  });

  test('an external Prometheus ignores it', () => {
    expect(() => Prometheus.external('http://prometheus.monitoring:9090').scrapeRouterMetrics(TRAEFIK('web'))).not.toThrow();
  });
});

describe('allowQueriesFrom: only the controllers\' pods query it', () => {
  test('one ingress rule per controller, on 9090, idempotent', () => {
    const chart = newChart();
    const prometheus = new Prometheus(chart, 'p', { namespace: 'apps' });
    prometheus.allowQueriesFrom('flagger-system', { 'app.kubernetes.io/name': 'flagger' });
    prometheus.allowQueriesFrom('argo-rollouts', { 'app.kubernetes.io/name': 'argo-rollouts' });
    prometheus.allowQueriesFrom('flagger-system', { 'app.kubernetes.io/name': 'flagger' });
    prometheus.allowQueriesFrom('monitoring');
    expect(only(synth(chart), 'NetworkPolicy').spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flagger-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'flagger' } } }],
        ports: [{ port: 9090, protocol: 'TCP' }],
      },
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'argo-rollouts' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'argo-rollouts' } } }],
        ports: [{ port: 9090, protocol: 'TCP' }],
      },
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: {} }],
        ports: [{ port: 9090, protocol: 'TCP' }],
      },
    ]);
  });

  test('an external Prometheus ignores it', () => {
    expect(() => Prometheus.external('http://prometheus.monitoring:9090').allowQueriesFrom('flagger-system')).not.toThrow();
  });
});

describe('options', () => {
  test('apiServerAddresses and dns narrow the egress', () => {
    const chart = newChart();
    new Prometheus(chart, 'p', { namespace: 'apps', apiServerAddresses: ['172.18.0.2/32', 'fd00::1/128'], dns: { extraAddresses: ['169.254.169.254', 'fd00::a'] } });
    const egress = only(synth(chart), 'NetworkPolicy').spec.egress;
    expect(egress.slice(1, 5)).toEqual([
      { to: [{ ipBlock: { cidr: '169.254.169.254/32' } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
      { to: [{ ipBlock: { cidr: 'fd00::a/128' } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
      { to: [{ ipBlock: { cidr: '172.18.0.2/32' } }], ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }] },
      { to: [{ ipBlock: { cidr: 'fd00::1/128' } }], ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }] },
    ]);
  });

  test('bad apiServerAddresses and dns', () => {
    expect(() => new Prometheus(newChart(), 'p', { namespace: 'apps', apiServerAddresses: [] })).toThrow(
      "test/p: 'apiServerAddresses' ([]) must name at least one address: Prometheus discovers pods through the API server");
    expect(() => new Prometheus(newChart(), 'p', { namespace: 'apps', apiServerAddresses: ['10.0.0.1'] })).toThrow(
      "test/p: 'apiServerAddresses[0]' ('10.0.0.1') must be a CIDR, e.g. '10.0.0.1/32'");
    expect(() => new Prometheus(newChart(), 'p', { namespace: 'apps', dns: { extraAddresses: ['300.1.1.1'] } })).toThrow(
      "test/p: 'dns.extraAddresses[0]' ('300.1.1.1') must be an IP address, e.g. the kube-dns Service's ClusterIP, '169.254.20.10' (NodeLocal DNSCache in IPVS mode) or '169.254.169.254' (GKE Cloud DNS)");
  });

  test('image, retention, scrape interval and resources', () => {
    const chart = newChart();
    new Prometheus(chart, 'p', {
      namespace: 'apps',
      image: 'docker.io/prom/prometheus:v3.14.0',
      retention: Duration.minutes(90),
      scrapeInterval: Duration.seconds(15),
      resources: { memory: { request: Size.gibibytes(1), limit: Size.gibibytes(2) } },
    });
    const manifests = synth(chart);
    const container = podSpec(manifests).containers[0];
    expect(container.image).toBe('docker.io/prom/prometheus:v3.14.0');
    expect(container.args).toContain('--storage.tsdb.retention.time=90m');
    expect(container.resources).toEqual({ requests: { memory: '1024Mi' }, limits: { memory: '2048Mi' } });
    expect(prometheusYml(manifests).global).toEqual({ scrape_interval: '15s' });
  });

  test('retention of days renders in hours', () => {
    const chart = newChart();
    new Prometheus(chart, 'p', { namespace: 'apps', retention: Duration.days(1) });
    expect(podSpec(synth(chart)).containers[0].args).toContain('--storage.tsdb.retention.time=24h');
  });
});

describe('one per namespace', () => {
  test('Prometheus.of twice returns the same instance', () => {
    const chart = newChart();
    const first = Prometheus.of(chart, 'apps');
    expect(Prometheus.of(chart, 'apps')).toBe(first);
    expect(Prometheus.of(chart, 'shop')).not.toBe(first);
    expect(first.node.path).toBe('canary-shared-apps/Prometheus-apps');
  });

  test('Prometheus.of finds one created with new, across charts of the app', () => {
    const app = Testing.app();
    const mine = new Prometheus(new Chart(app, 'monitoring'), 'p', { namespace: 'apps' });
    expect(Prometheus.of(new Chart(app, 'services'), 'apps')).toBe(mine);
  });

  test('a second Prometheus in one namespace is rejected', () => {
    const chart = newChart();
    Prometheus.of(chart, 'apps');
    expect(() => new Prometheus(chart, 'p', { namespace: 'apps' })).toThrow(
      'test/p: namespace \'apps\' already has a Prometheus (canary-shared-apps/Prometheus-apps); use Prometheus.of() to share it');
  });
});

describe('external', () => {
  test('points at the given address and deploys nothing', () => {
    const chart = newChart();
    const external = Prometheus.external('https://prometheus.monitoring:9090');
    external.scrapeNamespace('traefik');
    expect(external.address).toBe('https://prometheus.monitoring:9090');
    expect(chart.node.children).toEqual([]);
  });

  test('rejects an address that is not an http(s) URL', () => {
    expect(() => Prometheus.external('prometheus.monitoring:9090')).toThrow(
      'Prometheus.external: \'address\' (\'prometheus.monitoring:9090\') must be an http:// or https:// URL, e.g. \'http://prometheus.monitoring:9090\'');
  });
});

describe('validation', () => {
  test('namespace', () => {
    expect(() => new Prometheus(newChart(), 'p', { namespace: 'Apps' })).toThrow(`test/p: 'namespace' ('Apps') ${DNS_LABEL_RULE}`);
  });

  test('scraped namespace', () => {
    const prometheus = new Prometheus(newChart(), 'p', { namespace: 'apps' });
    expect(() => prometheus.scrapeNamespace('traefik_system')).toThrow(`test/p: 'scrapeNamespace' ('traefik_system') ${DNS_LABEL_RULE}`);
  });

  test('image must be pinned', () => {
    expect(() => new Prometheus(newChart(), 'p', { namespace: 'apps', image: 'quay.io/prometheus/prometheus:latest' })).toThrow(
      'test/p: \'image\' (\'quay.io/prometheus/prometheus:latest\') must be pinned by a version tag or a sha256 digest, e.g. \'ghcr.io/org/app:1.2.3\'; \'latest\' and untagged images are not allowed');
  });

  test('retention in whole seconds', () => {
    expect(() => new Prometheus(newChart(), 'p', { namespace: 'apps', retention: Duration.millis(1500) })).toThrow(
      'test/p: \'retention\' (1 second 500 millis) must be a whole number of seconds, at least 1s');
  });

  test('scrape interval of at least a second', () => {
    expect(() => new Prometheus(newChart(), 'p', { namespace: 'apps', scrapeInterval: Duration.millis(500) })).toThrow(
      'test/p: \'scrapeInterval\' (500 millis) must be a whole number of seconds, at least 1s');
  });
});

test('synthesis is deterministic', () => {
  const build = () => {
    const chart = newChart();
    const prometheus = Prometheus.of(chart, 'apps', { scrapeInterval: Duration.seconds(10) });
    prometheus.scrapeNamespace('traefik');
    return chart;
  };
  const chart = build();
  const first = yaml.dump(synth(chart));
  expect(yaml.dump(synth(chart))).toBe(first);
  expect(yaml.dump(synth(build()))).toBe(first);
});

test('users can reach the objects it made', () => {
  const prometheus = new Prometheus(newChart(), 'p', { namespace: 'apps' });
  expect(prometheus.deployment).toBeInstanceOf(kplus.Deployment);
  expect(prometheus.service.name).toBe('canary-prometheus');
  expect(prometheus.configMap.name).toBe('canary-prometheus');
  expect(prometheus.serviceAccount.name).toBe('canary-prometheus');
});
