import { Chart, Testing } from 'cdk8s';
import { TerraformStack, Testing as TfTesting } from 'cdktf';
import { podinfo } from '../../examples/shared/podinfo';
import { CanaryPlatform, DeliveryEngine, FluxPlatform, GitOps, PlatformEngine, PlatformPlan, PlatformPlanProps, PlatformRouter, TrafficRouter } from '../../src';
import { PROMETHEUS_IMAGE } from '../../src/versions';
import { all, only, synth } from '../synth';

const { FLAGGER, ARGO_ROLLOUTS } = PlatformEngine;
const { TRAEFIK } = PlatformRouter;
const PROPS: PlatformPlanProps = { engines: [FLAGGER, ARGO_ROLLOUTS], routers: [TRAEFIK], prometheusOperator: true };
const ADDRESS = 'http://kube-prometheus-stack-prometheus.monitoring:9090';

function terraform(props: PlatformPlanProps): any {
  const stack = new TerraformStack(TfTesting.app(), 'cluster');
  new CanaryPlatform(stack, 'platform', { plan: new PlatformPlan(props) });
  return JSON.parse(TfTesting.synth(stack));
}

function flux(props: PlatformPlanProps): any[] {
  const chart = new Chart(Testing.app(), 'cluster');
  new FluxPlatform(chart, 'platform', { plan: new PlatformPlan(props) });
  return synth(chart);
}

describe('kube-prometheus-stack instead of the shared Prometheus', () => {
  const plan = new PlatformPlan(PROPS);
  const stack = plan.release('kube-prometheus-stack');

  test('pinned chart 88.5.3 in monitoring, first; Flagger waits for it and queries its Prometheus', () => {
    expect(plan.releaseNames[0]).toBe('kube-prometheus-stack');
    expect(plan.tryFindRelease('prometheus')).toBeUndefined();
    expect(stack).toMatchObject({
      chart: 'kube-prometheus-stack',
      version: '88.5.3',
      namespace: 'monitoring',
      repository: 'https://prometheus-community.github.io/helm-charts',
      chartCrds: true,
    });
    expect(plan.metricsServer).toBe(ADDRESS);
    expect(plan.release('flagger').dependsOn).toContain('kube-prometheus-stack');
    expect(plan.release('flagger').values.metricsServer).toBe(ADDRESS);
  });

  test('its Prometheus selects the PodMonitors the services emit (release label, every namespace) and runs the embedded image', () => {
    const spec = stack.values.prometheus.prometheusSpec;
    expect(spec.podMonitorSelector).toEqual({ matchLabels: { release: 'kube-prometheus-stack' } });
    expect(spec.podMonitorNamespaceSelector).toEqual({});
    expect(spec.ignoreNamespaceSelectors).toBe(false);
    expect(`${spec.image.registry}/${spec.image.repository}:${spec.image.tag}@sha256:${spec.image.sha}`).toBe(PROMETHEUS_IMAGE);
    expect(spec.version).toBe('v3.5.5');
    expect(stack.values).toMatchObject({ alertmanager: { enabled: false }, grafana: { enabled: false }, nodeExporter: { enabled: false } });
  });

  test('plan.sharedPrometheus is Prometheus.operator() at its address: a service emits PodMonitors with the selected label and no Prometheus', () => {
    const chart = new Chart(Testing.app(), 'podinfo', { namespace: 'test' });
    podinfo(chart, DeliveryEngine.flagger(), TrafficRouter.traefik({ hosts: ['app.example.com'] }), { gitOps: GitOps.none(), prometheus: plan.sharedPrometheus });
    const manifests = synth(chart);
    expect(only(manifests, 'Canary').spec.metricsServer).toBe(ADDRESS);
    expect(all(manifests, 'PodMonitor').map((m) => [m.metadata.name, m.metadata.labels.release])).toEqual([
      ['podinfo-pods', 'kube-prometheus-stack'], ['podinfo-router', 'kube-prometheus-stack'],
    ]);
    expect(manifests.filter((m) => m.metadata.name === 'canary-prometheus')).toEqual([]);
  });

  test('values that enforce a namespace label: plan.sharedPrometheus scopes the checks by it; a label that is no Prometheus label name fails', () => {
    expect(plan.sharedPrometheus!.monitorScopedSeries('test', 'podinfo', 1)).toBeUndefined();
    const enforcing = (label: unknown) => new PlatformPlan({
      ...PROPS, kubePrometheusStack: { values: { prometheus: { prometheusSpec: { enforcedNamespaceLabel: label } } } },
    });
    for (const label of ['namespace', 'tenant']) {
      const shared = enforcing(label).sharedPrometheus!;
      expect(shared.monitorScopedSeries('test', 'podinfo', 1)).toEqual({
        routerMatchers: `${label}="test",job="test/podinfo-router"`, podMatchers: `${label}="test",job="test/podinfo-pods"`,
      });
    }
    // Flagger + Traefik on it: the built-ins become MetricTemplates scoped to the service's own monitors.
    const chart = new Chart(Testing.app(), 'podinfo', { namespace: 'test' });
    const prometheus = enforcing('namespace').sharedPrometheus;
    podinfo(chart, DeliveryEngine.flagger(), TrafficRouter.traefik({ hosts: ['app.example.com'] }), { gitOps: GitOps.none(), prometheus });
    const templates = all(synth(chart), 'MetricTemplate');
    expect(templates.map((t) => t.metadata.name)).toEqual(['podinfo-success-rate', 'podinfo-latency']);
    for (const t of templates) expect(t.spec.query).toContain('{namespace="test",job="test/podinfo-router",');
    // Empty is none, as for the operator.
    expect(enforcing('').sharedPrometheus!.monitorScopedSeries('test', 'podinfo', 1)).toBeUndefined();
    expect(() => enforcing('kubernetes.io/ns')).toThrow(
      "PlatformPlan: 'kubePrometheusStack.values.prometheus.prometheusSpec.enforcedNamespaceLabel' (\"kubernetes.io/ns\") must be a Prometheus label name "
      + "(letters, digits and '_', not starting with a digit nor with '__'), e.g. 'namespace'");
    // A label the operator sets or the checks select would be overwritten: the same check as Prometheus.operator's.
    expect(() => enforcing('job')).toThrow(
      "PlatformPlan: 'kubePrometheusStack.values.prometheus.prometheusSpec.enforcedNamespaceLabel' (\"job\") is a label that the operator "
      + 'sets on every series or that the checks select');
  });

  test('PodMonitors excluded from the enforced label: the shared Prometheus cannot scope their services, so the synth refuses', () => {
    const excluding = (excludedFromEnforcement: unknown[], enforcedNamespaceLabel = 'namespace') => () => new PlatformPlan({
      ...PROPS, kubePrometheusStack: { values: { prometheus: { prometheusSpec: { enforcedNamespaceLabel, excludedFromEnforcement } } } },
    });
    const refusal = (namespaces: string, label = 'namespace') => "PlatformPlan: 'kubePrometheusStack.values.prometheus.prometheusSpec.excludedFromEnforcement' "
      + `excludes PodMonitors of ${namespaces} from the enforced '${label}' label, so the shared Prometheus ('sharedPrometheus') cannot scope `
      + "the checks of services there: remove those podmonitors entries, or remove 'enforcedNamespaceLabel'";
    expect(excluding([{ resource: 'podmonitors', namespace: 'apps' }])).toThrow(refusal('"apps"'));
    expect(excluding([
      { group: 'monitoring.coreos.com', resource: 'podmonitors', namespace: 'apps', name: 'x' },
      { resource: 'podmonitors', namespace: 'apps' }, { resource: 'podmonitors', namespace: 'team-b' },
    ], 'tenant')).toThrow(refusal('"apps", "team-b"', 'tenant'));
    // Other kinds leave the services' PodMonitors enforced; without an enforced label the list is moot.
    expect(excluding([{ resource: 'servicemonitors', namespace: 'kube-system' }, { resource: 'prometheusrules', namespace: 'apps' }])().sharedPrometheus!
      .monitorScopedSeries('test', 'podinfo', 1)).toEqual({
      routerMatchers: 'namespace="test",job="test/podinfo-router"', podMatchers: 'namespace="test",job="test/podinfo-pods"',
    });
    expect(excluding([{ resource: 'podmonitors', namespace: 'apps' }], '')().sharedPrometheus!.monitorScopedSeries('test', 'podinfo', 1)).toBeUndefined();
  });

  test('Terraform: a helm_release with the values, after its CRDs applied server-side (they outgrow client-side apply)', () => {
    const json = terraform(PROPS);
    const release = Object.values(json.resource.helm_release).find((r: any) => r.name === 'kube-prometheus-stack') as any;
    expect(release).toMatchObject({ chart: 'kube-prometheus-stack', version: '88.5.3', namespace: 'monitoring', skip_crds: true });
    expect(JSON.parse(release.values[0]).prometheus.prometheusSpec.podMonitorSelector).toEqual({ matchLabels: { release: 'kube-prometheus-stack' } });
    const crds = Object.entries(json.resource.terraform_data).find(([id]) => id.includes('kube-prometheus-stack-crds')) as [string, any];
    expect(crds[1].provisioner[0]['local-exec'].command).toMatch(/\| kubectl apply .*--server-side --force-conflicts -f -$/);
    expect(crds[1].provisioner[0]['local-exec'].environment).toEqual({ CHART: 'kube-prometheus-stack', CHART_REPOSITORY: 'https://prometheus-community.github.io/helm-charts', CHART_VERSION: '88.5.3' });
    expect(release.depends_on).toEqual(expect.arrayContaining([expect.stringContaining('kube-prometheus-stack-crds')]));
    const flagger = Object.values(json.resource.helm_release).find((r: any) => r.name === 'flagger') as any;
    expect(flagger.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/helm_release\.platform_kube-prometheus-stack_/)]));
  });

  test('Flux: a HelmRelease with the values, its CRDs created and replaced, Flagger depending on it', () => {
    const manifests = flux(PROPS);
    const release = only(manifests, 'HelmRelease', 'kube-prometheus-stack');
    expect(release.spec.chart.spec).toMatchObject({ chart: 'kube-prometheus-stack', version: '88.5.3' });
    expect(release.spec.values.prometheus.prometheusSpec.podMonitorSelector).toEqual({ matchLabels: { release: 'kube-prometheus-stack' } });
    expect(release.spec.install.crds).toBe('CreateReplace');
    expect(release.spec.upgrade.crds).toBe('CreateReplace');
    expect(only(manifests, 'HelmRelease', 'flagger').spec.dependsOn).toContainEqual(expect.objectContaining({ name: 'kube-prometheus-stack' }));
    expect(all(manifests, 'HelmRepository').filter((r) => r.metadata.name === 'prometheus-community')).toHaveLength(1);
  });

  test('mistakes: both Prometheuses, or overrides without it', () => {
    expect(() => new PlatformPlan({ ...PROPS, prometheus: true })).toThrow(
      "PlatformPlan: 'prometheus' and 'prometheusOperator' are both true: choose one Prometheus (the shared one, or kube-prometheus-stack's)");
    expect(() => new PlatformPlan({ engines: [FLAGGER], routers: [TRAEFIK], kubePrometheusStack: { namespace: 'observability' } })).toThrow(
      "PlatformPlan: 'kubePrometheusStack' is set but 'prometheusOperator' is not true");
  });

  test('a namespace of its own moves the address', () => {
    const moved = new PlatformPlan({ ...PROPS, kubePrometheusStack: { namespace: 'observability' } });
    expect(moved.metricsServer).toBe('http://kube-prometheus-stack-prometheus.observability:9090');
    expect(moved.release('kube-prometheus-stack').namespace).toBe('observability');
  });
});
