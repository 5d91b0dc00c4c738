import { ApiObject, Chart, Duration, Testing } from 'cdk8s';
import { FluxPlatform, FluxPlatformProps, PlatformEngine, PlatformPlan, PlatformPlanProps, PlatformRouter } from '../../src';
import { all, only, synth } from '../synth';

const { FLAGGER, ARGO_ROLLOUTS } = PlatformEngine;
const { TRAEFIK, ISTIO } = PlatformRouter;

function flux(planProps: Partial<PlatformPlanProps> = {}, props: Partial<FluxPlatformProps> = {}): { chart: Chart; platform: FluxPlatform } {
  const chart = new Chart(Testing.app(), 'platform');
  const plan = new PlatformPlan({ engines: [FLAGGER], routers: [TRAEFIK], ...planProps });
  return { chart, platform: new FluxPlatform(chart, 'flux', { plan, ...props }) };
}

describe('FluxPlatform', () => {
  test('Flagger + Traefik: a HelmRepository per repository, Flagger\'s signed OCI chart verified, a HelmRelease per release', () => {
    const { chart } = flux();
    const manifests = synth(chart);
    expect(manifests.map((m) => `${m.apiVersion} ${m.kind} ${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
      'source.toolkit.fluxcd.io/v1 HelmRepository flux-system/traefik',
      'source.toolkit.fluxcd.io/v1 OCIRepository flux-system/flagger',
      'helm.toolkit.fluxcd.io/v2 HelmRelease flux-system/traefik',
      'helm.toolkit.fluxcd.io/v2 HelmRelease flux-system/flagger',
    ]);
    expect(only(manifests, 'HelmRepository', 'traefik').spec).toEqual({ url: 'https://traefik.github.io/charts', interval: '1h' });
    expect(only(manifests, 'HelmRelease', 'flagger').spec).toEqual({
      interval: '10m',
      releaseName: 'flagger',
      targetNamespace: 'flagger-system',
      storageNamespace: 'flagger-system',
      // From the OCI artifact Flagger's release workflow signs, which Flux verifies (cosign keyless) before installing.
      chartRef: { kind: 'OCIRepository', name: 'flagger', namespace: 'flux-system' },
      install: { createNamespace: true, crds: 'CreateReplace', remediation: { retries: 3 } },
      upgrade: { crds: 'CreateReplace', remediation: { retries: 3, remediateLastFailure: true } },
      dependsOn: [{ name: 'traefik', namespace: 'flux-system' }],
      values: {
        meshProvider: 'traefik',
        image: { repository: 'ghcr.io/fluxcd/flagger', tag: '1.44.0' },
        securityContext: { enabled: true, context: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' }, runAsNonRoot: true, runAsUser: 10001 } },
        prometheus: { install: false },
        crd: { create: false },
      },
    });
    expect(only(manifests, 'OCIRepository', 'flagger').spec).toEqual({
      interval: '1h',
      url: 'oci://ghcr.io/fluxcd/charts/flagger',
      ref: { tag: '1.44.0' },
      layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
      verify: {
        provider: 'cosign',
        matchOIDCIdentity: [{
          issuer: '^https://token\\.actions\\.githubusercontent\\.com$',
          subject: '^https://github\\.com/fluxcd/flagger/\\.github/workflows/release\\.yml@refs/tags/v\\d+\\.\\d+\\.\\d+$',
        }],
      },
    });
    const traefik = only(manifests, 'HelmRelease', 'traefik').spec;
    expect(traefik.dependsOn).toBeUndefined();
    expect(traefik.values).toEqual({
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
    });
  });

  test('the same releases, versions, namespaces, values and order as the plan', () => {
    const { chart, platform } = flux({ engines: [FLAGGER, ARGO_ROLLOUTS], routers: [TRAEFIK, ISTIO], prometheus: true });
    const manifests = synth(chart);
    const releases = all(manifests, 'HelmRelease');
    expect(releases.map((r) => r.metadata.name)).toEqual(platform.plan.releaseNames);
    for (const release of platform.plan.releases) {
      const spec = only(manifests, 'HelmRelease', release.name).spec;
      expect(spec.releaseName).toBe(release.name);
      expect(spec.targetNamespace).toBe(release.namespace);
      expect(spec.values ?? {}).toEqual(release.values);
      expect(spec.dependsOn ?? []).toEqual(release.dependsOn.map((name) => ({ name, namespace: 'flux-system' })));
      if (release.signedChart) {
        expect(spec.chartRef).toEqual({ kind: 'OCIRepository', name: release.name, namespace: 'flux-system' });
        expect(only(manifests, 'OCIRepository', release.name).spec.ref).toEqual({ tag: release.version });
        continue;
      }
      expect(spec.chart.spec).toEqual({
        chart: release.chart, version: release.version, sourceRef: { kind: 'HelmRepository', name: release.repositoryName, namespace: 'flux-system' },
      });
      const repository = only(manifests, 'HelmRepository', release.repositoryName);
      expect(repository.spec.url).toBe(release.repository);
    }
    expect(all(manifests, 'HelmRepository').map((r) => r.metadata.name)).toEqual(['argo', 'istio', 'prometheus-community', 'traefik']);
    expect(platform.plan.releases.filter((r) => r.signedChart).map((r) => r.name)).toEqual(['flagger']);
    expect(only(manifests, 'HelmRelease', 'istio-base').spec.values).toBeUndefined();
    expect(only(manifests, 'HelmRelease', 'argo-rollouts').spec.values.controller.extraArgs)
      .toEqual(['--traefik-api-group=traefik.io', '--traefik-api-version=traefik.io/v1alpha1']);
    expect(only(manifests, 'HelmRelease', 'argo-rollouts').spec.values.controller.selfServiceNotification).toBe(true);
    expect(only(manifests, 'HelmRelease', 'flagger').spec.values.metricsServer).toBe('http://prometheus-server.monitoring:9090');
  });

  test("Istio's CNI node agent: a HelmRelease of chart cni from Istio's repository, before istiod, which injects for it", () => {
    const manifests = synth(flux({ engines: [ARGO_ROLLOUTS], routers: [ISTIO] }).chart);
    expect(all(manifests, 'HelmRelease').map((r) => r.metadata.name)).toEqual(['istio-base', 'istio-cni', 'istiod', 'istio-ingressgateway', 'argo-rollouts']);
    expect(only(manifests, 'HelmRelease', 'istio-cni').spec).toEqual({
      interval: '10m',
      releaseName: 'istio-cni',
      targetNamespace: 'istio-system',
      storageNamespace: 'istio-system',
      chart: { spec: { chart: 'cni', version: '1.30.3', sourceRef: { kind: 'HelmRepository', name: 'istio', namespace: 'flux-system' } } },
      install: { createNamespace: true, crds: 'CreateReplace', remediation: { retries: 3 } },
      upgrade: { crds: 'CreateReplace', remediation: { retries: 3, remediateLastFailure: true } },
      dependsOn: [{ name: 'istio-base', namespace: 'flux-system' }],
      // The ResourceQuota GKE needs for the agent's system-node-critical pods outside kube-system.
      values: { resourceQuotas: { enabled: true } },
    });
    expect(only(manifests, 'HelmRepository', 'istio').spec.url).toBe('https://istio-release.storage.googleapis.com/charts');
    const istiod = only(manifests, 'HelmRelease', 'istiod').spec;
    expect(istiod.dependsOn).toEqual([{ name: 'istio-base', namespace: 'flux-system' }, { name: 'istio-cni', namespace: 'flux-system' }]);
    expect(istiod.values.cni).toEqual({ enabled: true });

    const off = synth(flux({ engines: [ARGO_ROLLOUTS], routers: [ISTIO], istio: { cni: false } }).chart);
    expect(all(off, 'HelmRelease').map((r) => r.metadata.name)).toEqual(['istio-base', 'istiod', 'istio-ingressgateway', 'argo-rollouts']);
    expect(only(off, 'HelmRelease', 'istiod').spec.dependsOn).toEqual([{ name: 'istio-base', namespace: 'flux-system' }]);
    expect(only(off, 'HelmRelease', 'istiod').spec.values.cni).toBeUndefined();

    const mine = synth(flux({ engines: [ARGO_ROLLOUTS], routers: [ISTIO], istio: { cniValues: { resourceQuotas: { enabled: false }, global: { platform: 'k3s' } } } }).chart);
    expect(only(mine, 'HelmRelease', 'istio-cni').spec.values).toEqual({ resourceQuotas: { enabled: false }, global: { platform: 'k3s' } });
  });

  test('every object is a public child', () => {
    const { platform } = flux({ routers: [TRAEFIK, ISTIO] });
    expect(platform.helmRepositories.map((r) => r.node.id)).toEqual(['HelmRepository-istio', 'HelmRepository-traefik']);
    expect(platform.ociRepositories.map((r) => r.node.id)).toEqual(['OCIRepository-flagger']);
    expect(platform.helmReleases.map((r) => r.node.id)).toEqual(
      ['HelmRelease-traefik', 'HelmRelease-istio-base', 'HelmRelease-istio-cni', 'HelmRelease-istiod', 'HelmRelease-istio-ingressgateway', 'HelmRelease-flagger']);
    expect(platform.helmRelease('istiod')).toBe(platform.helmReleases[3]);
    expect(platform.helmRelease('istiod')).toBeInstanceOf(ApiObject);
  });

  test('namespace and intervals', () => {
    const { chart } = flux({}, { namespace: 'gitops', interval: Duration.minutes(5), repositoryInterval: Duration.seconds(90) });
    const manifests = synth(chart);
    expect(manifests.every((m) => m.metadata.namespace === 'gitops')).toBe(true);
    expect(only(manifests, 'OCIRepository', 'flagger').spec.interval).toBe('90s');
    const flagger = only(manifests, 'HelmRelease', 'flagger').spec;
    expect(flagger.interval).toBe('5m');
    expect(flagger.chartRef.namespace).toBe('gitops');
    expect(flagger.dependsOn).toEqual([{ name: 'traefik', namespace: 'gitops' }]);
  });

  test('values survive the generated class, including values overridden with lists and nulls', () => {
    const { chart } = flux({ traefik: { values: { additionalArguments: ['--log.level=DEBUG'], ingressRoute: { dashboard: { enabled: true } } } } });
    const values = only(synth(chart), 'HelmRelease', 'traefik').spec.values;
    expect(values.additionalArguments).toEqual(['--log.level=DEBUG']);
    expect(values.ingressRoute).toEqual({ dashboard: { enabled: true } });
  });

  test('an OCI repository gets type oci, an HTTPS one none', () => {
    const { chart } = flux({ traefik: { repository: 'oci://ghcr.io/traefik/helm' } });
    const manifests = synth(chart);
    expect(only(manifests, 'HelmRepository', 'traefik').spec).toEqual({ url: 'oci://ghcr.io/traefik/helm', interval: '1h', type: 'oci' });
    expect(only(manifests, 'HelmRelease', 'traefik').spec.chart.spec.chart).toBe('traefik');
  });

  test('a Flagger chart from a repository of one\'s own (a mirror) is installed from it, unverified', () => {
    const { chart, platform } = flux({ flagger: { repository: 'https://charts.example.com/flagger' } });
    const manifests = synth(chart);
    expect(platform.plan.release('flagger').signedChart).toBeUndefined();
    expect(all(manifests, 'OCIRepository')).toEqual([]);
    expect(only(manifests, 'HelmRepository', 'flagger').spec).toEqual({ url: 'https://charts.example.com/flagger', interval: '1h' });
    expect(only(manifests, 'HelmRelease', 'flagger').spec.chart.spec.sourceRef).toEqual({ kind: 'HelmRepository', name: 'flagger', namespace: 'flux-system' });
  });

  test('errors', () => {
    expect(() => flux({}, { namespace: 'Flux' })).toThrow(
      "FluxPlatform 'platform/flux': 'namespace' ('Flux') must be a DNS label of at most 63 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit");
    expect(() => flux({}, { interval: Duration.millis(1500) })).toThrow(
      "FluxPlatform 'platform/flux': 'interval' (1 second 500 millis) must be a whole number of seconds, at least 1s");
    expect(() => flux({}, { repositoryInterval: Duration.millis(0) })).toThrow(
      "FluxPlatform 'platform/flux': 'repositoryInterval' (0 millis) must be a whole number of seconds, at least 1s");
    expect(() => flux().platform.helmRelease('istiod')).toThrow(
      "FluxPlatform 'platform/flux': there is no release named 'istiod'; the releases are traefik, flagger");
  });
});
