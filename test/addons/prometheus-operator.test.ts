import { Chart, Duration, Testing } from 'cdk8s';
import * as yaml from 'js-yaml';
import { podinfo } from '../../examples/shared/podinfo';
import { ConformanceChecker } from '../../scripts/conformance/checker';
import { ApplicationMetrics, DeliveryEngine, GitOps, IDeliveryEngine, ITrafficRouter, Prometheus, PrometheusOperatorOptions, TrafficRouter } from '../../src';
import { all, only, synth } from '../synth';

const ADDRESS = 'http://kube-prometheus-stack-prometheus.monitoring:9090';
const traefik = () => TrafficRouter.traefik({ hosts: ['app.example.com'] });
const istio = () => TrafficRouter.istio({ hosts: ['app.example.com'] });
const replicaRatio = () => TrafficRouter.replicaRatio({ metrics: ApplicationMetrics.httpHistogram({ port: 9898 }) });

function synthesize(engine: IDeliveryEngine, router: ITrafficRouter, options: Partial<PrometheusOperatorOptions> = {}): any[] {
  const chart = new Chart(Testing.app(), 'podinfo', { namespace: 'test' });
  podinfo(chart, engine, router, { gitOps: GitOps.none(), prometheus: Prometheus.operator({ address: ADDRESS, ...options }) });
  return synth(chart);
}

/** The relabelings every PodMonitor of ours appends to the operator's own, with its job. */
function relabelings(job: string): any[] {
  return [
    { action: 'keep', regex: 'true', sourceLabels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'] },
    { action: 'replace', regex: '(.+)', sourceLabels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], targetLabel: '__metrics_path__' },
    { action: 'replace', regex: '([^:]+)(?::\\d+)?;(\\d+)', replacement: '$1:$2', sourceLabels: ['__address__', '__meta_kubernetes_pod_annotation_prometheus_io_port'], targetLabel: '__address__' },
    { action: 'labelmap', regex: '__meta_kubernetes_pod_label_(.+)' },
    { action: 'labeldrop', regex: 'container' },
    { action: 'replace', sourceLabels: ['__meta_kubernetes_namespace'], targetLabel: 'namespace' },
    { action: 'replace', sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'pod' },
    { action: 'replace', replacement: job, targetLabel: 'job' },
    { action: 'replace', sourceLabels: ['__meta_kubernetes_namespace'], targetLabel: 'kubernetes_namespace' },
    { action: 'replace', sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'kubernetes_pod_name' },
  ];
}

const checker = new ConformanceChecker();
function conformanceProblems(manifests: any[]): any[] {
  return checker.checkApp(manifests.map((object, index) => ({ file: 'app.yaml', index, object }))).filter((r) => r.problems.length > 0);
}

describe('Flagger + Traefik with the Prometheus Operator', () => {
  const manifests = synthesize(DeliveryEngine.flagger(), traefik());

  test('no Prometheus of its own: no shared Chart, the Canary queries the platform\'s', () => {
    expect(manifests.filter((m) => /prometheus/.test(m.metadata.name) && m.kind !== 'PodMonitor')).toEqual([]);
    expect(only(manifests, 'Canary').spec.metricsServer).toBe(ADDRESS);
    for (const template of all(manifests, 'MetricTemplate')) expect(template.spec.provider.address).toBe(ADDRESS);
  });

  test('a PodMonitor of the primary and canary pods, labelled for kube-prometheus-stack\'s selector, with job <namespace>/<name>-pods', () => {
    const monitor = only(manifests, 'PodMonitor', 'podinfo-pods');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata).toEqual({
      name: 'podinfo-pods',
      namespace: 'test',
      labels: expect.objectContaining({ 'release': 'kube-prometheus-stack', 'app.kubernetes.io/name': 'podinfo' }),
    });
    expect(monitor.spec.selector).toEqual({ matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['podinfo', 'podinfo-primary'] }] });
    expect(monitor.spec.namespaceSelector).toBeUndefined();
    expect(monitor.spec.podMetricsEndpoints).toEqual([{ interval: '5s', honorLabels: false, relabelings: relabelings('test/podinfo-pods') }]);
  });

  test('a PodMonitor of Traefik\'s pods in its namespace, keeping this service\'s series only', () => {
    const monitor = only(manifests, 'PodMonitor', 'podinfo-router');
    expect(monitor.metadata.namespace).toBe('test');
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ['traefik'] });
    expect(monitor.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'traefik' } });
    const [endpoint] = monitor.spec.podMetricsEndpoints;
    // Traefik's declared metrics port, not its prometheus.io annotations (the chart drops them when its ServiceMonitor is enabled).
    expect(endpoint.portNumber).toBe(9100);
    expect(endpoint.path).toBe('/metrics');
    expect(endpoint.port).toBeUndefined();
    expect(endpoint.relabelings).toEqual(relabelings('test/podinfo-router').slice(3));
    expect(JSON.stringify(endpoint.relabelings)).not.toContain('prometheus_io');
    expect(endpoint.metricRelabelings).toEqual([{
      action: 'keep',
      sourceLabels: ['__name__', 'service'],
      regex: expect.stringMatching(/^\(traefik_service_.+\);\(test-podinfo/),
    }]);
  });

  test('the objects pass the monitoring.coreos.com CRDs (and the rest theirs)', () => {
    expect(conformanceProblems(manifests)).toEqual([]);
  });
});

describe('Flagger + Gateway API (Istio) with the Prometheus Operator', () => {
  test('the gateway proxies are scraped where their prometheus.io annotations say (15020 is no declared container port)', () => {
    const manifests = synthesize(DeliveryEngine.flagger(), TrafficRouter.gatewayApi({ hosts: ['app.example.com'] }));
    const [endpoint] = only(manifests, 'PodMonitor', 'podinfo-router').spec.podMetricsEndpoints;
    expect(endpoint.portNumber).toBeUndefined();
    expect(endpoint.path).toBeUndefined();
    expect(endpoint.relabelings).toEqual(relabelings('test/podinfo-router'));
  });
});

describe('Argo Rollouts with the Prometheus Operator', () => {
  test('Istio: the checks select the PodMonitor\'s job and the canary by rollouts_pod_template_hash; the Rollout\'s pods, no router monitor', () => {
    const manifests = synthesize(DeliveryEngine.argoRollouts(), istio());
    const monitor = only(manifests, 'PodMonitor', 'podinfo-pods');
    expect(monitor.spec.selector).toEqual({ matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['podinfo'] }] });
    expect(all(manifests, 'PodMonitor')).toHaveLength(1);
    const queries = only(manifests, 'AnalysisTemplate', 'podinfo').spec.metrics.filter((m: any) => m.provider.prometheus).map((m: any) => m.provider.prometheus.query);
    expect(queries).toHaveLength(2);
    for (const query of queries) {
      expect(query).toContain('job="test/podinfo-pods"');
      expect(query).not.toContain('kubernetes-pods');
      expect(query).toContain('rollouts_pod_template_hash="{{args.canary-hash}}"');
    }
    const args = only(manifests, 'Rollout').spec.strategy.canary.analysis.args;
    expect(args).toContainEqual({ name: 'prometheus-address', value: ADDRESS });
    expect(conformanceProblems(manifests)).toEqual([]);
  });

  test('replica ratio: the application\'s histogram, read from the PodMonitor\'s job', () => {
    const manifests = synthesize(DeliveryEngine.argoRollouts(), replicaRatio());
    const queries = only(manifests, 'AnalysisTemplate', 'podinfo').spec.metrics.filter((m: any) => m.provider.prometheus).map((m: any) => m.provider.prometheus.query);
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) expect(query).toContain('job="test/podinfo-pods"');
    expect(only(manifests, 'Deployment').spec.template.metadata.annotations).toEqual(expect.objectContaining({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9898' }));
  });
});

describe('options', () => {
  test('monitorLabels and scrapeInterval reach every PodMonitor', () => {
    const manifests = synthesize(DeliveryEngine.flagger(), traefik(), { monitorLabels: { prometheus: 'platform' }, scrapeInterval: Duration.seconds(15) });
    for (const monitor of all(manifests, 'PodMonitor')) {
      expect(monitor.metadata.labels.prometheus).toBe('platform');
      expect(monitor.metadata.labels.release).toBeUndefined();
      expect(monitor.spec.podMetricsEndpoints[0].interval).toBe('15s');
    }
  });

  test('monitorRouter: false leaves the router\'s pods to the platform', () => {
    const manifests = synthesize(DeliveryEngine.flagger(), traefik(), { monitorRouter: false });
    expect(all(manifests, 'PodMonitor').map((m) => m.metadata.name)).toEqual(['podinfo-pods']);
  });

  test('the embedded and external Prometheus keep the conventional job and emit no PodMonitor', () => {
    const external = Prometheus.external('http://prometheus.monitoring:9090');
    expect(external.podMetricsJob('test', 'podinfo')).toBe('kubernetes-pods');
    expect(Prometheus.operator({ address: ADDRESS }).podMetricsJob('test', 'podinfo')).toBe('test/podinfo-pods');
  });
});

describe('enforcedNamespaceLabel: the platform\'s Prometheus labels every series with its PodMonitor\'s namespace', () => {
  const queriesOf = (manifests: any[]) => all(manifests, 'MetricTemplate').map((t) => t.spec.query);
  const argoQueries = (manifests: any[]) => only(manifests, 'AnalysisTemplate', 'podinfo').spec.metrics
    .filter((m: any) => m.provider.prometheus).map((m: any) => m.provider.prometheus.query);

  test('Flagger + Traefik: the built-in checks become MetricTemplates over the router PodMonitor\'s series in the service\'s namespace', () => {
    const manifests = synthesize(DeliveryEngine.flagger(), traefik(), { enforcedNamespaceLabel: 'namespace' });
    const metrics = only(manifests, 'Canary').spec.analysis.metrics;
    expect(metrics.map((m: any) => [m.name, m.templateRef])).toEqual([
      ['success-rate', { name: 'podinfo-success-rate', namespace: 'test' }],
      ['latency', { name: 'podinfo-latency', namespace: 'test' }],
    ]);
    const queries = queriesOf(manifests);
    expect(queries).toHaveLength(2);
    for (const query of queries) {
      expect(query).toContain('traefik_service_request_duration_seconds_bucket{namespace="test",job="test/podinfo-router",service=~"{{ namespace }}-{{ target }}-canary-');
      expect(query).not.toContain('namespace="traefik"');
    }
    // The PodMonitors are the same: the operator, not the monitor, sets the namespace.
    expect(only(manifests, 'PodMonitor', 'podinfo-router').spec).toEqual(only(synthesize(DeliveryEngine.flagger(), traefik()), 'PodMonitor', 'podinfo-router').spec);
    expect(conformanceProblems(manifests)).toEqual([]);
  });

  test('Flagger + Istio: MetricTemplates over the pods\' PodMonitor in the service\'s namespace, not Flagger\'s built-ins', () => {
    const manifests = synthesize(DeliveryEngine.flagger(), istio(), { enforcedNamespaceLabel: 'namespace' });
    expect(only(manifests, 'Canary').spec.analysis.metrics.map((m: any) => m.templateRef?.name)).toEqual(['podinfo-success-rate', 'podinfo-latency']);
    for (const query of queriesOf(manifests)) expect(query).toContain('istio_request');
    for (const query of queriesOf(manifests)) expect(query).toMatch(/\{namespace="test",job="test\/podinfo-pods",reporter="destination",/);
    // Without the option, Flagger's own (no MetricTemplate).
    expect(all(synthesize(DeliveryEngine.flagger(), istio()), 'MetricTemplate')).toEqual([]);
  });

  test('other routers and engines: router series by the router PodMonitor, pods by theirs', () => {
    const gateway = () => TrafficRouter.gatewayApi({ hosts: ['app.example.com'] });
    for (const query of queriesOf(synthesize(DeliveryEngine.flagger(), gateway(), { enforcedNamespaceLabel: 'namespace' }))) {
      expect(query).toContain('{namespace="test",job="test/podinfo-router",reporter="source",');
    }
    for (const router of [traefik, gateway]) {
      const queries = argoQueries(synthesize(DeliveryEngine.argoRollouts(), router(), { enforcedNamespaceLabel: 'namespace' }));
      expect(queries).toHaveLength(2);
      for (const query of queries) {
        expect(query).toContain('{namespace="test",job="test/podinfo-router",');
        expect(query).not.toMatch(/namespace="(traefik|istio-ingress)"/);
      }
    }
    for (const query of argoQueries(synthesize(DeliveryEngine.argoRollouts(), istio(), { enforcedNamespaceLabel: 'namespace' }))) {
      expect(query).toContain('{namespace="test",job="test/podinfo-pods",reporter="destination",');
    }
  });

  const plan = (options: Partial<PrometheusOperatorOptions>, engine: IDeliveryEngine = DeliveryEngine.flagger()) => {
    const chart = new Chart(Testing.app(), 'podinfo', { namespace: 'test' });
    const prometheus = Prometheus.operator({ address: ADDRESS, ...options });
    const service = podinfo(chart, engine, traefik(), { gitOps: GitOps.none(), prometheus });
    return service.plan!.notes;
  };

  test('the plan says which series the router checks read, and what the platform\'s Prometheus must do', () => {
    // Flagger + Traefik without the option: Flagger's built-ins, which select no namespace.
    expect(plan({})).toContainEqual("the router's checks are Flagger's built-in Traefik checks, which select neither namespace nor job: they read every monitor's copy "
      + "of this service's Traefik series (the PodMonitor 'test/podinfo-router''s and any other), including series any namespace whose PodMonitors that Prometheus "
      + "selects relabels into them; where the platform's Prometheus enforces a namespace label ('enforcedNamespaceLabel'), name that label in "
      + "Prometheus.operator({ enforcedNamespaceLabel }) to read only this service's PodMonitor");
    // Argo Rollouts + Traefik without the option: by the router pods' namespace.
    expect(plan({}, DeliveryEngine.argoRollouts())).toContainEqual("the router's checks read the series of the PodMonitor 'test/podinfo-router' by the router pods' namespace=\"traefik\": "
      + "where the platform's Prometheus enforces a namespace label ('enforcedNamespaceLabel'), those series carry 'test' and the checks find none, "
      + 'so name that label in Prometheus.operator({ enforcedNamespaceLabel }); without it, any namespace whose PodMonitors that Prometheus selects can relabel '
      + 'its own series into the ones these checks read');
    for (const engine of [DeliveryEngine.flagger(), DeliveryEngine.argoRollouts()]) {
      expect(plan({ enforcedNamespaceLabel: 'tenant' }, engine)).toContainEqual("the router's checks read the series of the PodMonitor 'test/podinfo-router' by tenant=\"test\" "
        + "and its job, as the platform's Prometheus labels them under 'enforcedNamespaceLabel: tenant': it must enforce that label, "
        + 'or the checks find no router series; no PodMonitor of another namespace can forge them, unless the platform excludes it from enforcement '
        + "('excludedFromEnforcement'): admit only trusted namespaces' monitors to that list");
    }
    expect(plan({ monitorRouter: false }).filter((n) => n.includes('PodMonitor') || n.includes('router\'s checks'))).toEqual([]);
  });

  test('enforcedNamespaceLabel with monitorRouter: false: the plan says the router checks are unscoped and forgeable, the pods\' stay scoped', () => {
    const options = { enforcedNamespaceLabel: 'namespace', monitorRouter: false };
    expect(plan(options)).toContainEqual("the router's checks read the platform's own series of the router, unscoped (monitorRouter: false): "
      + "Flagger's built-in Traefik checks, which select neither namespace nor job, which any namespace's monitor can forge by relabeling its own series into them; "
      + "the pods' checks stay scoped to the PodMonitor 'test/podinfo-pods' by namespace=\"test\"");
    expect(plan(options, DeliveryEngine.argoRollouts())).toContainEqual("the router's checks read the platform's own series of the router, unscoped (monitorRouter: false): "
      + "the router pods' namespace=\"traefik\", which any namespace's monitor can forge by relabeling its own series into them; under 'enforcedNamespaceLabel: namespace' "
      + "they find the router's series only where the platform's monitor of the router runs in its namespace; "
      + "the pods' checks stay scoped to the PodMonitor 'test/podinfo-pods' by namespace=\"test\"");
    // The synthesized checks agree: Flagger keeps its built-ins, Argo selects namespace="traefik", no job.
    const flagger = synthesize(DeliveryEngine.flagger(), traefik(), options);
    expect(only(flagger, 'Canary').spec.analysis.metrics.map((m: any) => m.name)).toEqual(['request-success-rate', 'request-duration']);
    for (const query of argoQueries(synthesize(DeliveryEngine.argoRollouts(), traefik(), options))) {
      expect(query).toContain('{namespace="traefik",service=');
      expect(query).not.toContain('job=');
    }
  });

  test('monitorScopedSeries: the matchers, several router monitors by their jobs; none for the embedded and external Prometheus', () => {
    const enforced = Prometheus.operator({ address: ADDRESS, enforcedNamespaceLabel: 'namespace' });
    expect(enforced.monitorScopedSeries('test', 'podinfo', 1)).toEqual({
      routerMatchers: 'namespace="test",job="test/podinfo-router"', podMatchers: 'namespace="test",job="test/podinfo-pods"',
    });
    expect(enforced.monitorScopedSeries('test', 'podinfo', 2)?.routerMatchers).toBe('namespace="test",job=~"test/podinfo-router|test/podinfo-router-2"');
    expect(enforced.monitorScopedSeries('test', 'podinfo', 0)?.routerMatchers).toBeUndefined();
    expect(Prometheus.operator({ address: ADDRESS, enforcedNamespaceLabel: 'namespace', monitorRouter: false }).monitorScopedSeries('test', 'podinfo', 1))
      .toEqual({ routerMatchers: undefined, podMatchers: 'namespace="test",job="test/podinfo-pods"' });
    expect(Prometheus.operator({ address: ADDRESS }).monitorScopedSeries('test', 'podinfo', 1)).toBeUndefined();
    expect(Prometheus.external('http://prometheus.monitoring:9090').monitorScopedSeries('test', 'podinfo', 1)).toBeUndefined();
  });
});

describe('Traefik\'s metricsPort', () => {
  test('the router PodMonitor scrapes it (operator), the router job keeps it and the NetworkPolicy allows it (embedded)', () => {
    const router = () => TrafficRouter.traefik({ hosts: ['app.example.com'], metricsPort: 9200 });
    const [endpoint] = only(synthesize(DeliveryEngine.flagger(), router()), 'PodMonitor', 'podinfo-router').spec.podMetricsEndpoints;
    expect([endpoint.portNumber, endpoint.path]).toEqual([9200, '/metrics']);

    const chart = new Chart(Testing.app(), 'podinfo', { namespace: 'test' });
    podinfo(chart, DeliveryEngine.flagger(), router(), { gitOps: GitOps.none() });
    const manifests = synth(chart);
    const config: any = yaml.load(only(manifests, 'ConfigMap', 'canary-prometheus').data['prometheus.yml']);
    const job = config.scrape_configs.find((j: any) => j.job_name === 'router-traefik');
    expect(job.metrics_path).toBe('/metrics');
    expect(job.relabel_configs[0]).toEqual({ source_labels: ['__meta_kubernetes_pod_container_port_number'], action: 'keep', regex: '9200' });
    const egress = only(manifests, 'NetworkPolicy', 'canary-prometheus').spec.egress
      .filter((rule: any) => rule.to.some((peer: any) => peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'traefik'));
    expect(egress.map((rule: any) => rule.ports)).toEqual([[{ port: 9200, protocol: 'TCP' }]]);
  });

  test('another port than 9100: the plan says Traefik must listen there, and that the platform layer installs it on 9100', () => {
    const notes = (metricsPort?: number) => {
      const chart = new Chart(Testing.app(), 'podinfo', { namespace: 'test' });
      return podinfo(chart, DeliveryEngine.flagger(), TrafficRouter.traefik({ hosts: ['app.example.com'], metricsPort }), { gitOps: GitOps.none() }).plan!.notes;
    };
    expect(notes(9200)).toContainEqual("Traefik's metrics are scraped on port 9200 ('metricsPort'): Traefik must listen there (the chart's 'ports.metrics.port', "
      + "with 'ports.metrics.containerPort' unset or equal); the platform layer (CanaryPlatform, FluxPlatform) installs Traefik with 'ports.metrics.port: 9100', "
      + "so set 9200 there too ('traefik.values'), or the router's checks find no series");
    expect(notes().filter((n) => n.includes('metricsPort'))).toEqual([]);
  });

  test('defaults to 9100; a port out of range fails with the property, the value and what is allowed', () => {
    const [endpoint] = only(synthesize(DeliveryEngine.flagger(), traefik()), 'PodMonitor', 'podinfo-router').spec.podMetricsEndpoints;
    expect(endpoint.portNumber).toBe(9100);
    for (const port of [0, 65536, 9100.5]) {
      expect(() => TrafficRouter.traefik({ hosts: ['app.example.com'], metricsPort: port })).toThrow(
        `TrafficRouter.traefik(): 'metricsPort' (${port}) must be an integer between 1 and 65535`);
    }
  });
});

describe('mistakes', () => {
  test('an address that is not an http(s) URL, or carries credentials', () => {
    expect(() => Prometheus.operator({ address: 'prometheus:9090' })).toThrow(
      "Prometheus.operator: 'address' ('prometheus:9090') must be an http:// or https:// URL, e.g. 'http://prometheus.monitoring:9090'");
    expect(() => Prometheus.operator({ address: 'http://admin:secret@prometheus:9090' })).toThrow(/Prometheus.operator: 'address' .*credentials/);
  });

  test('monitor labels that Kubernetes would refuse', () => {
    expect(() => Prometheus.operator({ address: ADDRESS, monitorLabels: { release: 'kube prometheus' } })).toThrow(
      "Prometheus.operator: 'monitorLabels.release' (\"kube prometheus\") must be a Kubernetes label value (up to 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit), e.g. 'kube-prometheus-stack'");
    expect(() => Prometheus.operator({ address: ADDRESS, monitorLabels: { 'not a key': 'x' } })).toThrow(
      "Prometheus.operator: 'monitorLabels' key 'not a key' must be a Kubernetes label key, e.g. 'release'");
  });

  test('an enforced namespace label that is no Prometheus label name', () => {
    for (const label of ['kubernetes.io/namespace', '1ns', '__namespace', '']) {
      expect(() => Prometheus.operator({ address: ADDRESS, enforcedNamespaceLabel: label })).toThrow(
        `Prometheus.operator: 'enforcedNamespaceLabel' (${JSON.stringify(label)}) must be a Prometheus label name (letters, digits and '_', not starting with a digit nor with '__'), e.g. 'namespace'`);
    }
    // Labels the operator sets on a PodMonitor's series or the checks select: the enforced namespace would overwrite them.
    for (const label of ['job', 'instance', 'pod', 'service', 'le', 'destination_workload']) {
      expect(() => Prometheus.operator({ address: ADDRESS, enforcedNamespaceLabel: label })).toThrow(
        `Prometheus.operator: 'enforcedNamespaceLabel' ("${label}") is a label that the operator sets on every series or that the checks select, `
        + 'which the enforced namespace would overwrite, so every check would read no series: name a label of its own, not one of job, instance, '
        + 'pod, container, endpoint, service, le, quantile, code, response_code, reporter, destination_workload, destination_workload_namespace, '
        + "destination_service_name, destination_service_namespace, rollouts_pod_template_hash, kubernetes_pod_name, e.g. 'namespace'");
    }
    // Our own PodMonitors set kubernetes_namespace to the pod's namespace, which enforcement writes alike: allowed.
    expect(Prometheus.operator({ address: ADDRESS, enforcedNamespaceLabel: 'kubernetes_namespace' }).monitorScopedSeries('test', 'podinfo', 1)?.podMatchers)
      .toBe('kubernetes_namespace="test",job="test/podinfo-pods"');
    expect(Prometheus.operator({ address: ADDRESS, enforcedNamespaceLabel: 'tenant_ns' }).monitorScopedSeries('test', 'podinfo', 1)).toEqual({
      routerMatchers: 'tenant_ns="test",job="test/podinfo-router"', podMatchers: 'tenant_ns="test",job="test/podinfo-pods"',
    });
  });

  test('a name too long for its longest PodMonitor: <name>-router-2 with two router monitors', () => {
    const metrics = { namespace: 'traefik', metricNames: 'traefik_service_.+', serviceLabel: 'service', serviceValues: 'x' };
    const monitor = (name: string, routerMetrics: any[]) => Prometheus.operator({ address: ADDRESS })
      .monitorService(new Chart(Testing.app(), 'c', { namespace: 'test' }), { name, namespace: 'test', labels: {}, pods: [], routerMetrics });
    const name = 'a'.repeat(55);
    expect(() => monitor(name, [metrics])).not.toThrow();
    expect(() => monitor(name, [metrics, metrics])).toThrow(
      `CanaryService '${name}': 'name' ('${name}') must be a DNS label of at most 54 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, so that its PodMonitor '<name>-router-2' is a valid name`);
    expect(() => monitor('a'.repeat(58), [])).not.toThrow();
  });

  test('a scrape interval that is not whole seconds', () => {
    expect(() => Prometheus.operator({ address: ADDRESS, scrapeInterval: Duration.millis(1500) })).toThrow(
      "Prometheus.operator: 'scrapeInterval' (1 second 500 millis) must be a whole number of seconds, at least 1s");
  });
});
