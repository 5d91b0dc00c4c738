import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import * as cdk8s from 'cdk8s';
import * as cdktf from 'cdktf';
import { CanaryPlatform, FluxPlatform, OutputHeader, PlatformEngine, PlatformPlan, PlatformRouter } from '../../src';

/**
 * The platform of two clusters, rendered twice from the same plans:
 * - `flagger-traefik`: Flagger behind Traefik, each CanaryService with its embedded Prometheus
 *   (what examples/flagger-traefik needs);
 * - `argo-rollouts-istio`: Argo Rollouts with Istio (and Istio's CNI node agent, so the sidecars
 *   pass Pod Security "restricted") and one shared Prometheus (pass `plan.sharedPrometheus` as the
 *   CanaryServices' `prometheus`);
 * - `gateway-api`: Flagger and Argo Rollouts through Gateway API with Istio's implementation (what
 *   examples/flagger-gateway-api and examples/argo-gateway-api need): the Gateway API CRDs from
 *   their pinned tag (before the controllers that need them: a Flux Kustomization they depend on, a
 *   Terraform resource in their depends_on), istiod, and Argo Rollouts' Gateway API plugin.
 *
 * The ingress proxies' Services are ClusterIP (the default of `ingressServiceType`): the platform
 * installs, and Helm's waits succeed, on a cluster without load balancers (kind, bare metal).
 *
 * Writes `<cluster>.cdk.tf.json` (CDK for Terraform, `helm_release`s) and `<cluster>.k8s.yaml`
 * (Flux `HelmRepository` + `HelmRelease`) into `outdir`.
 */
export function build(outdir: string): { synth(): void } {
  const clusters: { [name: string]: PlatformPlan } = {
    'flagger-traefik': new PlatformPlan({
      engines: [PlatformEngine.FLAGGER],
      routers: [PlatformRouter.TRAEFIK],
    }),
    'argo-rollouts-istio': new PlatformPlan({
      engines: [PlatformEngine.ARGO_ROLLOUTS],
      routers: [PlatformRouter.ISTIO],
      prometheus: true,
    }),
    'gateway-api': new PlatformPlan({
      engines: [PlatformEngine.FLAGGER, PlatformEngine.ARGO_ROLLOUTS],
      routers: [PlatformRouter.GATEWAY_API],
    }),
  };

  // CDK for Terraform: one stack per cluster.
  const tfOutdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-canary-platform-'));
  const tfApp = new cdktf.App({ outdir: tfOutdir });
  OutputHeader.configure(tfApp, { source: 'examples/platform/main.ts', command: 'npm run synth' });
  for (const [name, plan] of Object.entries(clusters)) {
    const stack = new cdktf.TerraformStack(tfApp, name);
    // cdktf's default local backend records an absolute state path; a relative one keeps the
    // synthesized file free of machine-specific paths. Use your team's backend instead.
    new cdktf.LocalBackend(stack, { path: `terraform.${name}.tfstate` });
    // Bring your own provider to choose the cluster; without one, CanaryPlatform creates a
    // HelmProvider that reads KUBE_CONFIG_PATH and KUBE_CTX.
    const provider = new HelmProvider(stack, 'Helm', { kubernetes: { configPath: '~/.kube/config', configContext: name } });
    new CanaryPlatform(stack, 'platform', { plan, provider });
  }

  // Flux: the same plans as HelmRepository and HelmRelease objects, one file per cluster. The
  // releases that need the Gateway API CRDs go to a file of their own (`<cluster>-releases`),
  // committed alone in the folder `path` names, which a Kustomization applies after the CRDs.
  const fluxApp = new cdk8s.App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(fluxApp, { source: 'examples/platform/main.ts', command: 'npm run synth' });
  for (const [name, plan] of Object.entries(clusters)) {
    const dependentReleases = plan.manifests.length === 0 ? undefined : {
      chart: new cdk8s.Chart(fluxApp, `${name}-releases`),
      path: `./clusters/${name}/platform-releases`,
    };
    new FluxPlatform(new cdk8s.Chart(fluxApp, name), 'platform', { plan, dependentReleases });
  }

  return {
    synth() {
      fluxApp.synth();
      tfApp.synth();
      // Keep only the Terraform JSON of each stack (cdktf's manifest.json and the stack folders are
      // build output), named after the cluster.
      for (const name of Object.keys(clusters)) {
        fs.copyFileSync(path.join(tfOutdir, 'stacks', name, 'cdk.tf.json'), path.join(outdir, `${name}.cdk.tf.json`));
      }
      fs.rmSync(tfOutdir, { recursive: true, force: true });
    },
  };
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
