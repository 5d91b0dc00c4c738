import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { TerraformStack, Testing as TfTesting } from 'cdktf';
import * as yaml from 'js-yaml';
import { CanaryPlatform, FluxPlatform, PlatformEngine, PlatformPlan, PlatformPlanProps, PlatformRouter, PlatformServiceType } from '../../src';
import { PROMETHEUS_IMAGE } from '../../src/versions';
import { all, only, synth } from '../synth';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const { FLAGGER, ARGO_ROLLOUTS } = PlatformEngine;
const { TRAEFIK, ISTIO, GATEWAY_API } = PlatformRouter;

function terraform(props: PlatformPlanProps): { platform: CanaryPlatform; json: any } {
  const stack = new TerraformStack(TfTesting.app(), 'cluster');
  const platform = new CanaryPlatform(stack, 'platform', { plan: new PlatformPlan(props) });
  return { platform, json: JSON.parse(TfTesting.synth(stack)) };
}

function tfReleases(json: any): { [name: string]: any } {
  return Object.fromEntries(Object.values(json.resource.helm_release).map((r: any) => [r.name, r]));
}

function flux(props: PlatformPlanProps, remediationRetries?: number): any[] {
  const chart = new Chart(Testing.app(), 'cluster');
  new FluxPlatform(chart, 'platform', { plan: new PlatformPlan(props), remediationRetries });
  return synth(chart);
}

describe('the ingress proxies install without a load balancer', () => {
  // The charts' own defaults are LoadBalancer: traefik 41.3.0 values.yaml `service.spec.type`,
  // istio 1.30.3 manifests/charts/gateway/values.yaml `service.type`.
  const both = { engines: [FLAGGER], routers: [TRAEFIK, ISTIO] };

  test('ClusterIP by default, in the Terraform JSON and the Flux HelmReleases', () => {
    const tf = tfReleases(terraform(both).json);
    // The internal entryPoint's Service (preview hosts) is a ClusterIP whatever the type.
    const traefikService = { spec: { type: 'ClusterIP' }, additionalServices: { internal: { type: 'ClusterIP' } } };
    expect(JSON.parse(tf.traefik.values[0]).service).toEqual(traefikService);
    expect(JSON.parse(tf['istio-ingressgateway'].values[0]).service).toEqual({ type: 'ClusterIP' });
    // Helm's wait stays on (the provider's default): it succeeds because a ClusterIP needs no address.
    expect(tf.traefik.wait).toBeUndefined();
    const manifests = flux(both);
    expect(only(manifests, 'HelmRelease', 'traefik').spec.values.service).toEqual(traefikService);
    expect(only(manifests, 'HelmRelease', 'istio-ingressgateway').spec.values.service).toEqual({ type: 'ClusterIP' });
  });

  test.each([
    [PlatformServiceType.NODE_PORT, 'NodePort'],
    [PlatformServiceType.LOAD_BALANCER, 'LoadBalancer'],
  ])('%s on request, for both proxies', (type, value) => {
    const tf = tfReleases(terraform({ ...both, ingressServiceType: type }).json);
    expect(JSON.parse(tf.traefik.values[0]).service.spec.type).toBe(value);
    expect(JSON.parse(tf['istio-ingressgateway'].values[0]).service.type).toBe(value);
    const manifests = flux({ ...both, ingressServiceType: type });
    expect(only(manifests, 'HelmRelease', 'traefik').spec.values.service.spec.type).toBe(value);
    expect(only(manifests, 'HelmRelease', 'istio-ingressgateway').spec.values.service.type).toBe(value);
  });

  test('a bad type, or a type with no proxy to apply it to, fails at synth', () => {
    expect(() => new PlatformPlan({ ...both, ingressServiceType: 'ExternalName' as PlatformServiceType })).toThrow(
      "PlatformPlan: 'ingressServiceType' ('ExternalName') must be one of PlatformServiceType.CLUSTER_IP, PlatformServiceType.NODE_PORT, PlatformServiceType.LOAD_BALANCER");
    expect(() => new PlatformPlan({ engines: [FLAGGER], routers: [GATEWAY_API], ingressServiceType: PlatformServiceType.NODE_PORT })).toThrow(
      "PlatformPlan: 'ingressServiceType' is set but 'routers' includes neither TRAEFIK nor ISTIO (no ingress proxy is installed)");
  });

  test('the committed platform examples install no LoadBalancer Service', () => {
    const dir = path.join(__dirname, '..', '..', 'examples', 'platform', 'manifests');
    const files = fs.readdirSync(dir);
    let proxies = 0;
    for (const file of files.filter((f) => f.endsWith('.cdk.tf.json'))) {
      for (const release of Object.values(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf-8')).resource.helm_release) as any[]) {
        const values = JSON.parse(release.values?.[0] ?? '{}');
        if (release.chart === 'traefik') { proxies++; expect(values.service.spec.type).toBe('ClusterIP'); }
        if (release.chart === 'gateway') { proxies++; expect(values.service.type).toBe('ClusterIP'); }
      }
    }
    for (const file of files.filter((f) => f.endsWith('.k8s.yaml'))) {
      for (const release of all(yaml.loadAll(fs.readFileSync(path.join(dir, file), 'utf-8')) as any[], 'HelmRelease')) {
        // Flagger's chart comes from its signed OCI artifact (chartRef), the proxies' from Helm repositories.
        if (release.spec.chart?.spec.chart === 'traefik') { proxies++; expect(release.spec.values.service.spec.type).toBe('ClusterIP'); }
        if (release.spec.chart?.spec.chart === 'gateway') { proxies++; expect(release.spec.values.service.type).toBe('ClusterIP'); }
      }
    }
    // flagger-traefik and argo-rollouts-istio, each in both modes.
    expect(proxies).toBe(4);
  });
});

describe('Flux retries a failed install or upgrade', () => {
  test('three retries by default, a rollback after the last failed upgrade', () => {
    const manifests = flux({ engines: [FLAGGER, ARGO_ROLLOUTS], routers: [TRAEFIK, ISTIO], prometheus: true });
    const releases = all(manifests, 'HelmRelease');
    expect(releases).toHaveLength(8);
    for (const release of releases) {
      expect(release.spec.install.remediation).toEqual({ retries: 3 });
      expect(release.spec.upgrade.remediation).toEqual({ retries: 3, remediateLastFailure: true });
    }
  });

  test('remediationRetries sets them; a bad value fails at synth', () => {
    const manifests = flux({ engines: [FLAGGER], routers: [TRAEFIK] }, 5);
    expect(only(manifests, 'HelmRelease', 'flagger').spec.install.remediation.retries).toBe(5);
    expect(only(manifests, 'HelmRelease', 'flagger').spec.upgrade.remediation.retries).toBe(5);
    expect(() => flux({ engines: [FLAGGER], routers: [TRAEFIK] }, -1)).toThrow(
      "FluxPlatform 'cluster/platform': 'remediationRetries' (-1) must be an integer between 0 and 100");
    expect(() => flux({ engines: [FLAGGER], routers: [TRAEFIK] }, 1.5)).toThrow(
      "FluxPlatform 'cluster/platform': 'remediationRetries' (1.5) must be an integer between 0 and 100");
  });
});

describe('CRD upgrades under Terraform', () => {
  test('the charts with a crds/ folder: Helm skips them, a terraform_data applies them at each version, before the release', () => {
    const { platform, json } = terraform({ engines: [FLAGGER, ARGO_ROLLOUTS], routers: [TRAEFIK], flagger: { version: '1.45.0' } });
    const stack = TerraformStack.of(platform);
    const releases = tfReleases(json);
    expect(platform.prerequisites.map((r) => r.node.id)).toEqual(['traefik-crds', 'flagger-crds']);
    for (const [name, chart, repository, version] of [
      ['traefik', 'traefik', 'https://traefik.github.io/charts', '41.3.0'],
      ['flagger', 'flagger', 'https://flagger.app', '1.45.0'],
    ]) {
      const id = stack.getLogicalId(platform.prerequisites.find((r) => r.node.id === `${name}-crds`)!);
      expect(json.resource.terraform_data[id]).toMatchObject({
        // A new chart version replaces the resource, which runs the provisioner again.
        triggers_replace: { chart, repository, version },
        provisioner: [{
          'local-exec': {
            interpreter: ['/bin/sh', '-c'],
            // User values reach the shell as environment variables only; without a configPath on the
            // provider, both commands read the kubeconfig KUBE_CONFIG_PATH names and the context KUBE_CTX
            // names, as the provider does (test/platform/kube-target.test.ts runs them).
            command: expect.stringMatching(new RegExp(`^case .*; unsupported=.*esac; ${escapeRegExp('helm show crds "$CHART" --repo "$CHART_REPOSITORY" '
              + '--version "$CHART_VERSION" --kubeconfig "$KUBE_CONFIG_PATH" $${KUBE_CTX:+--kube-context "$KUBE_CTX"}'
              + ' | kubectl apply --kubeconfig "$KUBE_CONFIG_PATH" $${KUBE_CTX:+--context "$KUBE_CTX"} --server-side --force-conflicts -f -')}$`, 's')),
            environment: { CHART: chart, CHART_REPOSITORY: repository, CHART_VERSION: version },
          },
        }],
      });
      expect(releases[name].skip_crds).toBe(true);
      expect(releases[name].depends_on[0]).toBe(`terraform_data.${id}`);
    }
    // Argo Rollouts' chart renders its CRDs as templates (installCRDs): Helm upgrades those itself.
    expect(releases['argo-rollouts'].skip_crds).toBeUndefined();
    expect(JSON.parse(releases['argo-rollouts'].values[0]).installCRDs).toBe(true);
  });

  test('a chart from an OCI registry is shown by its reference', () => {
    const { platform, json } = terraform({ engines: [FLAGGER], routers: [ISTIO], flagger: { repository: 'oci://ghcr.io/fluxcd/charts' } });
    const id = TerraformStack.of(platform).getLogicalId(platform.prerequisites[0]);
    const command: string = json.resource.terraform_data[id].provisioner[0]['local-exec'].command;
    expect(command.slice(command.lastIndexOf('esac; ') + 'esac; '.length))
      .toBe('helm show crds "$CHART_REPOSITORY/$CHART" --version "$CHART_VERSION" --kubeconfig "$KUBE_CONFIG_PATH" $${KUBE_CTX:+--kube-context "$KUBE_CTX"}'
        + ' | kubectl apply --kubeconfig "$KUBE_CONFIG_PATH" $${KUBE_CTX:+--context "$KUBE_CTX"} --server-side --force-conflicts -f -');
  });
});

describe('one Prometheus version across both modes', () => {
  test('the shared Prometheus runs the image of the per-namespace one', () => {
    const plan = new PlatformPlan({ engines: [FLAGGER], routers: [TRAEFIK], prometheus: true });
    const image = plan.release('prometheus').values.server.image;
    // The chart writes <repository>@<digest> when `digest` is set (prometheus-29.27.0 templates/deploy.yaml).
    expect(`${image.repository}:${image.tag}@${image.digest}`).toBe(PROMETHEUS_IMAGE);
    const tf = tfReleases(terraform({ engines: [FLAGGER], routers: [TRAEFIK], prometheus: true }).json);
    expect(JSON.parse(tf.prometheus.values[0]).server.image).toEqual(image);
    const manifests = flux({ engines: [FLAGGER], routers: [TRAEFIK], prometheus: true });
    expect(only(manifests, 'HelmRelease', 'prometheus').spec.values.server.image).toEqual(image);
  });
});
