import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { Release } from '@cdktf/provider-helm/lib/release';
import { App, TerraformElement, TerraformStack, Testing } from 'cdktf';
import 'cdktf/lib/testing/adapters/jest';
import { Construct } from 'constructs';
import { CanaryPlatform, PlatformEngine, PlatformPlan, PlatformPlanProps, PlatformRouter } from '../../src';

Testing.setupJest();

const { FLAGGER, ARGO_ROLLOUTS } = PlatformEngine;
const { TRAEFIK, ISTIO } = PlatformRouter;

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), 'platform');
}

function platform(props: Partial<PlatformPlanProps> = {}, scope = stack()): CanaryPlatform {
  return new CanaryPlatform(scope, 'canary', { plan: new PlatformPlan({ engines: [FLAGGER], routers: [TRAEFIK], ...props }) });
}

/** How depends_on names a release: `helm_release.<logical id>`. */
function address(release: Release): string {
  return `helm_release.${TerraformStack.of(release).getLogicalId(release)}`;
}

/** The synthesized helm_release resources, by release name. */
function releases(synthesized: string): { [name: string]: any } {
  const resources = JSON.parse(synthesized).resource.helm_release;
  return Object.fromEntries(Object.values(resources).map((resource: any) => [resource.name, resource]));
}

describe('CanaryPlatform', () => {
  test('Flagger + Traefik: one helm_release each, pinned, values as JSON, Flagger after Traefik', () => {
    const p = platform();
    const synthesized = Testing.synth(TerraformStack.of(p));

    expect(synthesized).toHaveProviderWithProperties(HelmProvider, {});
    expect(synthesized).toHaveResourceWithProperties(Release, {
      name: 'traefik',
      namespace: 'traefik',
      chart: 'traefik',
      version: '41.3.0',
      repository: 'https://traefik.github.io/charts',
      create_namespace: true,
    });
    expect(synthesized).toHaveResourceWithProperties(Release, {
      name: 'flagger',
      namespace: 'flagger-system',
      chart: 'flagger',
      version: '1.44.0',
      repository: 'https://flagger.app',
      create_namespace: true,
      skip_crds: true,
      depends_on: [`terraform_data.${(p.node.findChild('flagger-crds') as TerraformElement).friendlyUniqueId}`, address(p.release('traefik'))],
      values: ['{\n  "crd": {\n    "create": false\n  },\n  "image": {\n    "repository": "ghcr.io/fluxcd/flagger",\n    "tag": "1.44.0"\n  },\n  "meshProvider": "traefik",\n  "prometheus": {\n    "install": false\n  },\n  "securityContext": {\n    "context": {\n      "allowPrivilegeEscalation": false,\n      "capabilities": {\n        "drop": [\n          "ALL"\n        ]\n      },\n      "readOnlyRootFilesystem": true,\n      "runAsNonRoot": true,\n      "runAsUser": 10001,\n      "seccompProfile": {\n        "type": "RuntimeDefault"\n      }\n    },\n    "enabled": true\n  }\n}\n'],
    });

    const byName = releases(synthesized);
    expect(Object.keys(byName).sort()).toEqual(['flagger', 'traefik']);
    expect(byName.traefik.depends_on).toEqual([`terraform_data.${(p.node.findChild('traefik-crds') as TerraformElement).friendlyUniqueId}`]);
    expect(JSON.parse(byName.traefik.values[0])).toEqual({
      image: { registry: 'docker.io', repository: 'library/traefik', tag: 'v3.7.11', digest: 'sha256:5203c3f39ca70de6790d964624e042463ffbd57715bc82be155cf224c0dd5144' },
      metrics: { prometheus: { addServicesLabels: true, entryPoint: 'metrics', serviceMonitor: { enabled: false } } },
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
    expect(byName.traefik.provider).toBe('helm');
    expect(byName.flagger.provider).toBe('helm');
  });

  test('every release is a public child, in install order, named after the release', () => {
    const p = platform({ engines: [FLAGGER, ARGO_ROLLOUTS], routers: [TRAEFIK, ISTIO], prometheus: true });
    expect(p.releases.map((r) => r.node.id)).toEqual(['prometheus', 'traefik', 'istio-base', 'istio-cni', 'istiod', 'istio-ingressgateway', 'flagger', 'argo-rollouts']);
    expect(p.releases.map((r) => r.nameInput)).toEqual(p.plan.releaseNames);
    expect(p.release('istiod')).toBe(p.releases[4]);
    expect(p.provider).toBeInstanceOf(HelmProvider);
    expect(p.provider.node.id).toBe('Helm');
  });

  test('depends_on follows the plan: CRDs and Prometheus before the controllers', () => {
    const p = platform({ engines: [FLAGGER, ARGO_ROLLOUTS], routers: [TRAEFIK, ISTIO], prometheus: true });
    const byName = releases(Testing.synth(TerraformStack.of(p)));
    const fqn = (name: string) => address(p.release(name));
    expect(byName.prometheus.depends_on).toBeUndefined();
    // The charts with a crds/ folder also wait for their CRDs, applied by a terraform_data.
    const crds = (name: string) => `terraform_data.${(p.node.tryFindChild(`${name}-crds`) as TerraformElement).friendlyUniqueId}`;
    expect(byName.traefik.depends_on).toEqual([crds('traefik')]);
    expect(byName['istio-base'].depends_on).toBeUndefined();
    expect(byName['istio-cni'].depends_on).toEqual([fqn('istio-base')]);
    // The CNI node agent before istiod, which injects for it.
    expect(byName.istiod.depends_on).toEqual([fqn('istio-base'), fqn('istio-cni')]);
    expect(byName['istio-ingressgateway'].depends_on).toEqual([fqn('istiod')]);
    expect(byName.flagger.depends_on).toEqual([crds('flagger'), fqn('prometheus'), fqn('traefik'), fqn('istio-base')]);
    expect(byName['argo-rollouts'].depends_on).toEqual([fqn('traefik'), fqn('istio-base')]);
    for (const release of p.plan.releases) {
      expect(byName[release.name].depends_on ?? []).toEqual([...release.chartCrds ? [crds(release.name)] : [], ...release.dependsOn.map(fqn)]);
    }
  });

  test('Argo Rollouts + Istio: the Istio charts in order, base without values, no Traefik flags', () => {
    const p = platform({ engines: [ARGO_ROLLOUTS], routers: [ISTIO] });
    const synthesized = Testing.synth(TerraformStack.of(p));
    for (const [name, chart] of [['istio-base', 'base'], ['istio-cni', 'cni'], ['istiod', 'istiod'], ['istio-ingressgateway', 'gateway']]) {
      expect(synthesized).toHaveResourceWithProperties(Release, {
        name,
        chart,
        namespace: 'istio-system',
        version: '1.30.3',
        repository: 'https://istio-release.storage.googleapis.com/charts',
      });
    }
    const byName = releases(synthesized);
    expect(byName['istio-base'].values).toBeUndefined();
    expect(byName['istio-cni']).toMatchObject({ create_namespace: true });
    // GKE admits the agent's system-node-critical pods outside kube-system only under this quota.
    expect(JSON.parse(byName['istio-cni'].values[0])).toEqual({ resourceQuotas: { enabled: true } });
    expect(JSON.parse(byName.istiod.values[0])).toEqual({
      cni: { enabled: true },
      gateways: { seccompProfile: { type: 'RuntimeDefault' } },
      global: { proxy: { seccompProfile: { type: 'RuntimeDefault' } } },
      meshConfig: { enablePrometheusMerge: true },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(JSON.parse(byName['istio-ingressgateway'].values[0])).toEqual({
      labels: { istio: 'ingressgateway' },
      service: { type: 'ClusterIP' },
      securityContext: { seccompProfile: { type: 'RuntimeDefault' }, sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
    });
    expect(JSON.parse(byName['argo-rollouts'].values[0])).toEqual({
      installCRDs: true, controller: { image: { registry: 'quay.io', repository: 'argoproj/argo-rollouts', tag: 'v1.9.1@sha256:15c0d41f2c69a382d4399bcb28ed4f03ee9f58b56cfc9e6cd55bcbf0f311c06d' }, selfServiceNotification: true },
    });
    expect(byName['argo-rollouts'].depends_on).toEqual([address(p.release('istio-base'))]);
  });

  test('istio.cni false: no istio-cni release, istiod after istio-base alone and without cni values', () => {
    const p = platform({ engines: [ARGO_ROLLOUTS], routers: [ISTIO], istio: { cni: false } });
    const byName = releases(Testing.synth(TerraformStack.of(p)));
    expect(Object.keys(byName).sort()).toEqual(['argo-rollouts', 'istio-base', 'istio-ingressgateway', 'istiod']);
    expect(byName.istiod.depends_on).toEqual([address(p.release('istio-base'))]);
    expect(JSON.parse(byName.istiod.values[0]).cni).toBeUndefined();
  });

  test('the CNI node agent in a namespace of its own, with values of yours', () => {
    const p = platform({ engines: [ARGO_ROLLOUTS], routers: [ISTIO], istio: { cniNamespace: 'kube-system', cniValues: { global: { platform: 'gke' } } } });
    const cni = releases(Testing.synth(TerraformStack.of(p)))['istio-cni'];
    expect(cni).toMatchObject({ name: 'istio-cni', namespace: 'kube-system', chart: 'cni', version: '1.30.3' });
    expect(JSON.parse(cni.values[0])).toEqual({ resourceQuotas: { enabled: true }, global: { platform: 'gke' } });
  });

  test('the CNI quota: your values merge into ours key by key, and can turn it off', () => {
    const values = (cniValues: { [key: string]: any }) =>
      JSON.parse(releases(Testing.synth(TerraformStack.of(platform({ engines: [ARGO_ROLLOUTS], routers: [ISTIO], istio: { cniValues } }))))['istio-cni'].values[0]);
    expect(values({ resourceQuotas: { pods: 100 } })).toEqual({ resourceQuotas: { enabled: true, pods: 100 } });
    expect(values({ resourceQuotas: { enabled: false } })).toEqual({ resourceQuotas: { enabled: false } });
  });

  test('Argo Rollouts + Traefik: the controller args for traefik.io', () => {
    const p = platform({ engines: [ARGO_ROLLOUTS] });
    const values = JSON.parse(releases(Testing.synth(TerraformStack.of(p)))['argo-rollouts'].values[0]);
    expect(values).toEqual({
      controller: {
        image: { registry: 'quay.io', repository: 'argoproj/argo-rollouts', tag: 'v1.9.1@sha256:15c0d41f2c69a382d4399bcb28ed4f03ee9f58b56cfc9e6cd55bcbf0f311c06d' },
        selfServiceNotification: true,
        extraArgs: ['--traefik-api-group=traefik.io', '--traefik-api-version=traefik.io/v1alpha1'],
      },
      installCRDs: true,
    });
  });

  test('the shared Prometheus and the metricsServer Flagger gets', () => {
    const p = platform({ prometheus: true });
    const byName = releases(Testing.synth(TerraformStack.of(p)));
    expect(byName.prometheus).toMatchObject({
      chart: 'prometheus', version: '29.27.0', namespace: 'monitoring', repository: 'https://prometheus-community.github.io/helm-charts',
    });
    expect(JSON.parse(byName.flagger.values[0]).metricsServer).toBe('http://prometheus-server.monitoring:9090');
    expect(JSON.parse(byName.prometheus.values[0]).server.fullnameOverride).toBe('prometheus-server');
  });

  test('values are rendered with sorted keys, whatever the order they were given in', () => {
    const a = platform({ traefik: { values: { zeta: 1, alpha: { b: 2, a: 1 } } } });
    const b = platform({ traefik: { values: { alpha: { a: 1, b: 2 }, zeta: 1 } } });
    const values = (p: CanaryPlatform) => releases(Testing.synth(TerraformStack.of(p))).traefik.values[0];
    expect(values(a)).toBe(values(b));
    expect(Object.keys(JSON.parse(values(a)))).toEqual(['alpha', 'fullnameOverride', 'image', 'metrics', 'ports', 'service', 'zeta']);
  });

  test('synthesizes the same JSON twice', () => {
    const props = { engines: [FLAGGER, ARGO_ROLLOUTS], routers: [TRAEFIK, ISTIO], prometheus: true };
    expect(Testing.synth(TerraformStack.of(platform(props)))).toEqual(Testing.synth(TerraformStack.of(platform(props))));
  });

  test('a Helm provider of your own is used, and none is created', () => {
    const scope = stack();
    const provider = new HelmProvider(scope, 'cluster-a', { alias: 'cluster_a', kubernetes: { configPath: '~/.kube/cluster-a' } });
    const p = new CanaryPlatform(scope, 'canary', { plan: new PlatformPlan({ engines: [FLAGGER], routers: [TRAEFIK] }), provider });
    expect(p.provider).toBe(provider);
    expect(p.node.tryFindChild('Helm')).toBeUndefined();
    const synthesized = Testing.synth(scope);
    expect(JSON.parse(synthesized).provider.helm).toHaveLength(1);
    expect(synthesized).toHaveProviderWithProperties(HelmProvider, { alias: 'cluster_a' });
    for (const release of Object.values(releases(synthesized))) {
      expect(release.provider).toBe('helm.cluster_a');
    }
  });

  test('requires the Helm provider the bindings wrap (hashicorp/helm 3.1.1)', () => {
    const p = platform({ engines: [FLAGGER, ARGO_ROLLOUTS], routers: [TRAEFIK, ISTIO], prometheus: true });
    const json = JSON.parse(Testing.synth(TerraformStack.of(p)));
    expect(json.terraform.required_providers.helm.version).toBe('3.1.1');
  });

  test('an unknown release name', () => {
    expect(() => platform().release('istiod')).toThrow(
      "CanaryPlatform 'platform/canary': there is no release named 'istiod'; the releases are traefik, flagger");
  });

  test('outside a TerraformStack', () => {
    const app = Testing.app();
    expect(() => platform({}, new Construct(app, 'loose') as TerraformStack)).toThrow(
      "CanaryPlatform 'loose/canary': must be created inside a cdktf TerraformStack (helm_release resources belong to a stack)");
    expect(app).toBeInstanceOf(App);
  });
});

describe('the plan\'s notes', () => {
  test('a warning cdktf synth prints (@cdktf/warn), and an entry beside the header; none without notes', () => {
    const p = platform({ engines: [FLAGGER], routers: [ISTIO], istio: { cni: false, istiodValues: { cni: { enabled: true } } } });
    expect(p.plan.notes).toHaveLength(1);
    expect(p.plan.notes[0]).toMatch(/^'istio\.istiodValues\.cni\.enabled' \(true\) turns on istiod's CNI mode while 'istio\.cni' is false/);
    const warnings = p.node.metadata.filter((entry) => entry.type === '@cdktf/warn').map((entry) => entry.data);
    expect(warnings).toEqual(p.plan.notes);
    expect(TerraformStack.of(p).toTerraform()['//'].notes).toEqual(p.plan.notes);
    const quiet = platform();
    expect(quiet.plan.notes).toEqual([]);
    expect(quiet.node.metadata.filter((entry) => entry.type === '@cdktf/warn')).toEqual([]);
    expect(TerraformStack.of(quiet).toTerraform()['//'].notes).toBeUndefined();
  });
});
