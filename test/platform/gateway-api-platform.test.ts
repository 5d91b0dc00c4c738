import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App as K8sApp, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { App, TerraformStack, Testing as TfTesting } from 'cdktf';
import * as yaml from 'js-yaml';
import {
  ApplicationMetrics, CanaryPlatform, CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, FluxPlatform, GitOps, IDeliveryEngine,
  ITrafficRouter, PlatformEngine, PlatformPlan, PlatformRouter, TrafficRouter,
} from '../../src';
import { all, only, synth } from '../synth';

const { FLAGGER, ARGO_ROLLOUTS } = PlatformEngine;
const { GATEWAY_API, REPLICA_RATIO, ISTIO } = PlatformRouter;

function service(engine: IDeliveryEngine, router: ITrafficRouter, strategy?: DeliveryStrategy): any[] {
  const chart = new Chart(Testing.app(), 'app', { namespace: 'shop' });
  new CanaryService(chart, 'web', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/acme/web:1.0.0',
    engine,
    router,
    strategy,
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
    // The replica-ratio router reads the application's own metrics, which count probes of '/' as users' requests.
    readiness: kplus.Probe.fromHttpGet('/readyz', { port: 8080 }),
    liveness: kplus.Probe.fromHttpGet('/healthz', { port: 8080 }),
  });
  return synth(chart);
}

const gatewayApi = () => TrafficRouter.gatewayApi({ hosts: ['web.example.com'] });

describe('Gateway API', () => {
  const plan = new PlatformPlan({ engines: [FLAGGER, ARGO_ROLLOUTS], routers: [GATEWAY_API] });

  test('installs Istio\'s base and istiod (which deploys a proxy per Gateway), no gateway chart, then the controllers', () => {
    expect(plan.releaseNames).toEqual(['istio-base', 'istiod', 'flagger', 'argo-rollouts']);
    expect(plan.release('flagger').dependsOn).toEqual(['istio-base']);
    expect(plan.release('argo-rollouts').dependsOn).toEqual(['istio-base']);
  });

  test('the Gateway API CRDs come from the pinned tag the synthesized HTTPRoutes were checked against', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', '..', 'crds', 'gateway-api', 'SOURCE.md'), 'utf-8');
    const tag = /tag \*\*(v[\d.]+)\*\*/.exec(source)![1];
    expect(plan.manifests).toEqual([{
      name: 'gateway-api-crds',
      repository: 'https://github.com/kubernetes-sigs/gateway-api',
      tag,
      // The commit the tag names (a lightweight tag: git rev-parse v1.6.1), which Flux checks out.
      commit: '8bb74df00e56ec8f944d48c25e6c1c9c2f6848e3',
      // The only branch that holds it (git branch --contains 8bb74df in kubernetes-sigs/gateway-api).
      branch: 'release-1.6',
      path: './config/crd',
      releaseUrl: `https://github.com/kubernetes-sigs/gateway-api/releases/download/${tag}/standard-install.yaml`,
    }]);
  });

  test('Flagger\'s meshProvider is the provider the Canaries name', () => {
    expect(plan.release('flagger').values.meshProvider).toBe(only(service(DeliveryEngine.flagger(), gatewayApi()), 'Canary').spec.provider);
  });

  test('Argo Rollouts loads the plugin the Rollouts name, from its image pinned by tag', () => {
    const rollout = only(service(DeliveryEngine.argoRollouts(), gatewayApi()), 'Rollout');
    const [pluginName] = Object.keys(rollout.spec.strategy.canary.trafficRouting.plugins);
    const controller = plan.release('argo-rollouts').values.controller;
    expect(controller.trafficRouterPlugins).toEqual([{ name: pluginName, location: 'file:///plugins/rollouts-plugin-trafficrouter-gatewayapi' }]);
    const [init] = controller.initContainers;
    expect(init.image).toMatch(/^ghcr\.io\/argoproj-labs\/rollouts-plugin-trafficrouter-gatewayapi:v\d+\.\d+\.\d+$/);
    expect(init.command).toEqual(['cp', '/bin/rollouts-plugin-trafficrouter-gatewayapi', '/plugins/']);
    expect(init.args).toBeUndefined();
    // Pod Security "restricted": the init container too (the image runs as uid 999).
    expect(init.securityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    // The init container writes where the controller reads.
    expect(init.volumeMounts).toEqual(controller.volumeMounts);
    expect(controller.volumes).toEqual([{ name: 'gatewayapi-plugin', emptyDir: {} }]);
    // The chart's RBAC for HTTPRoutes (providerRBAC.providers.gatewayAPI, on by default) stays on.
    expect(plan.release('argo-rollouts').values.providerRBAC).toBeUndefined();
  });

  test('the Argo Rollouts controller is the version the manifests target (chart 2.41.0 ships v1.9.0)', () => {
    // Pinned by digest too: the chart writes <registry>/<repository>:<tag>.
    expect(plan.release('argo-rollouts').values.controller.image).toEqual({ registry: 'quay.io', repository: 'argoproj/argo-rollouts', tag: 'v1.9.1@sha256:15c0d41f2c69a382d4399bcb28ed4f03ee9f58b56cfc9e6cd55bcbf0f311c06d' });
  });

  test('the Gateways the CanaryServices create are of the class istiod serves', () => {
    expect(only(service(DeliveryEngine.argoRollouts(), gatewayApi()), 'Gateway').spec.gatewayClassName).toBe('istio');
  });

  test('with Istio too, the gateway chart and the CNI node agent are back and the base is installed once', () => {
    expect(new PlatformPlan({ engines: [ARGO_ROLLOUTS], routers: [ISTIO, GATEWAY_API] }).releaseNames)
      .toEqual(['istio-base', 'istio-cni', 'istiod', 'istio-ingressgateway', 'argo-rollouts']);
  });

  test('Flux: a GitRepository at the tag\'s commit (git rev-parse v1.6.1 in kubernetes-sigs/gateway-api), cloning its release branch alone and only config/crd, and a Kustomization of the CRDs that never prunes them', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'platform');
    const releases = new Chart(app, 'platform-releases');
    const flux = new FluxPlatform(chart, 'platform', { plan, dependentReleases: { chart: releases, path: './clusters/prod/platform-releases' } });
    const manifests = synth(chart);
    expect(flux.kustomizations).toHaveLength(1);
    // source-controller v1.9.0: a commit with a branch clones that branch alone (api/v1/gitrepository_types.go
    // GitRepositoryRef.Commit; fluxcd/pkg git/v0.52.0 git/gogit/clone.go cloneCommit); the sparse
    // checkout keeps config/crd, the Kustomization's path, in the artifact.
    expect(only(manifests, 'GitRepository', 'gateway-api-crds').spec).toEqual({
      url: 'https://github.com/kubernetes-sigs/gateway-api',
      ref: { branch: 'release-1.6', commit: '8bb74df00e56ec8f944d48c25e6c1c9c2f6848e3' },
      sparseCheckout: ['config/crd'],
      interval: '1h',
    });
    expect(only(manifests, 'Kustomization', 'gateway-api-crds').spec).toEqual({
      interval: '10m', sourceRef: { kind: 'GitRepository', name: 'gateway-api-crds' }, path: './config/crd', prune: false, wait: true,
    });
  });

  test('Flux: the releases that need the CRDs are applied by a Kustomization that depends on theirs', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'platform');
    const releases = new Chart(app, 'platform-releases');
    const flux = new FluxPlatform(chart, 'platform', { plan, dependentReleases: { chart: releases, path: './clusters/prod/platform-releases' } });
    const first = synth(chart);
    const after = synth(releases);
    // A HelmRelease's dependsOn names HelmReleases only (crds/flux HelmRelease v2 spec.dependsOn):
    // the order comes from the Kustomizations.
    expect(only(first, 'Kustomization', 'platform-releases').spec).toEqual({
      interval: '10m',
      sourceRef: { kind: 'GitRepository', name: 'flux-system' },
      path: './clusters/prod/platform-releases',
      prune: true,
      dependsOn: [{ name: 'gateway-api-crds' }],
    });
    expect(flux.dependentReleasesKustomization).toBe(chart.node.findAll().find((c) => c.node.id === 'Kustomization-platform-releases'));
    expect(all(first, 'HelmRelease').map((r) => r.metadata.name)).toEqual(['istio-base']);
    expect(all(after, 'HelmRelease').map((r) => r.metadata.name)).toEqual(['istiod', 'flagger', 'argo-rollouts']);
    expect(after.map((m) => m.kind)).toEqual(['HelmRelease', 'HelmRelease', 'HelmRelease']);
    // Every release the CRDs are written for is in the dependent file, and only those.
    const needing = plan.releases.filter((r) => r.dependsOnManifests.includes('gateway-api-crds')).map((r) => r.name);
    expect(needing).toEqual(['istiod', 'flagger', 'argo-rollouts']);
    // Dependencies between HelmReleases still hold across the two files.
    expect(only(after, 'HelmRelease', 'istiod').spec.dependsOn).toEqual([{ name: 'istio-base', namespace: 'flux-system' }]);
  });

  test('Flux: without a place for the dependent releases, the plan fails at synth and says what to set', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'platform');
    expect(() => new FluxPlatform(chart, 'platform', { plan })).toThrow(
      "FluxPlatform 'platform/platform': 'dependentReleases' is required: the releases istiod, flagger, argo-rollouts need gateway-api-crds, "
      + 'and a HelmRelease can only depend on HelmReleases; set { chart, path } so that a Kustomization applies them after those manifests');
    expect(() => new FluxPlatform(chart, 'same', { plan, dependentReleases: { chart, path: './x' } })).toThrow(
      "FluxPlatform 'platform/same': 'dependentReleases.chart' ('platform') is the FluxPlatform's own chart: it must be a chart of its own, "
      + "whose file the cluster's Kustomization does not apply");
    const other = new Chart(app, 'other');
    for (const bad of ['../up', './a/../b', 'a b', '', '/abs/../x']) {
      expect(() => new FluxPlatform(new Chart(app, `c${Math.random().toString(36).slice(2)}`), 'p', { plan, dependentReleases: { chart: other, path: bad } }))
        .toThrow(`'dependentReleases.path' (${JSON.stringify(bad)}) must be a folder of the Git repository such as './clusters/prod/platform-releases': `
          + "letters, digits, '_', '.', '-' and '/', without '..'");
    }
    const noManifests = new PlatformPlan({ engines: [FLAGGER], routers: [ISTIO] });
    expect(() => new FluxPlatform(new Chart(app, 'n'), 'p', { plan: noManifests, dependentReleases: { chart: other, path: './x' } })).toThrow(
      "FluxPlatform 'n/p': 'dependentReleases' is set but the plan applies no manifests from Git (only a plan with GATEWAY_API does)");
  });

  test('CDK for Terraform: a terraform_data applies the CRDs, and the releases that need them depend on it', () => {
    const stack = new TerraformStack(TfTesting.app(), 'platform');
    const platform = new CanaryPlatform(stack, 'canary', { plan });
    const synthesized = JSON.parse(TfTesting.synth(stack));
    expect(synthesized.output).toBeUndefined();
    const crds = platform.prerequisites.find((r) => r.node.id === 'gateway-api-crds')!;
    const id = stack.getLogicalId(crds);
    expect(synthesized.resource.terraform_data[id]).toMatchObject({
      triggers_replace: { tag: 'v1.6.1', url: 'https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml' },
      provisioner: [{
        'local-exec': {
          interpreter: ['/bin/sh', '-c'],
          // After the checks of test/platform/kube-target.test.ts: the provider's kubeconfig and context.
          command: expect.stringMatching(/^case .*; unsupported=.*esac; kubectl apply --kubeconfig "\$KUBE_CONFIG_PATH" \$\$\{KUBE_CTX:\+--context "\$KUBE_CTX"\} --server-side --force-conflicts -f "\$MANIFESTS_URL"$/s),
          environment: { MANIFESTS_URL: 'https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml' },
        },
      }],
    });
    const byName = Object.fromEntries(Object.values(synthesized.resource.helm_release).map((r: any) => [r.name, r]));
    for (const name of ['istiod', 'flagger', 'argo-rollouts']) {
      expect(byName[name].depends_on).toContain(`terraform_data.${id}`);
    }
    expect(byName['istio-base'].depends_on).toBeUndefined();
    expect(App).toBeDefined();
  });

  test('the committed platform example orders the CRDs before their users, in both modes', () => {
    const dir = path.join(__dirname, '..', '..', 'examples', 'platform', 'manifests');
    const load = (file: string) => yaml.loadAll(fs.readFileSync(path.join(dir, file), 'utf-8')) as any[];
    const first = load('gateway-api.k8s.yaml');
    const after = load('gateway-api-releases.k8s.yaml');
    expect(first.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(expect.arrayContaining(['GitRepository/gateway-api-crds', 'Kustomization/gateway-api-crds', 'Kustomization/platform-releases']));
    const wrapper = first.find((m) => m.kind === 'Kustomization' && m.metadata.name === 'platform-releases');
    expect(wrapper.spec.dependsOn).toEqual([{ name: 'gateway-api-crds' }]);
    expect(after.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['HelmRelease/istiod', 'HelmRelease/flagger', 'HelmRelease/argo-rollouts']);
    const tf = JSON.parse(fs.readFileSync(path.join(dir, 'gateway-api.cdk.tf.json'), 'utf-8'));
    const crdsId = Object.keys(tf.resource.terraform_data).find((id) => id.includes('gateway-api-crds'))!;
    const byName = Object.fromEntries(Object.values(tf.resource.helm_release).map((r: any) => [r.name, r]));
    for (const name of ['istiod', 'flagger', 'argo-rollouts']) {
      expect(byName[name].depends_on).toContain(`terraform_data.${crdsId}`);
    }
  });
});

describe('the dependent releases in a folder of their own (README, FluxPlatform)', () => {
  test('a chart of a second app is written to that app\'s outdir, the folder the Kustomization names', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dependent-releases-'));
    const app = new K8sApp({ outdir: path.join(root, 'clusters', 'prod', 'platform'), outputFileExtension: '.k8s.yaml' });
    const releasesApp = new K8sApp({ outdir: path.join(root, 'clusters', 'prod', 'platform-releases'), outputFileExtension: '.k8s.yaml' });
    new FluxPlatform(new Chart(app, 'platform'), 'platform', {
      plan: new PlatformPlan({ engines: [FLAGGER], routers: [GATEWAY_API] }),
      dependentReleases: { chart: new Chart(releasesApp, 'platform-releases'), path: './clusters/prod/platform-releases' },
    });
    app.synth();
    releasesApp.synth();
    const load = (folder: string) => fs.readdirSync(path.join(root, 'clusters', 'prod', folder)).map((file) =>
      [file, (yaml.loadAll(fs.readFileSync(path.join(root, 'clusters', 'prod', folder, file), 'utf-8')) as any[]).map((m) => `${m.kind}/${m.metadata.name}`)]);
    const platform = load('platform');
    const releases = load('platform-releases');
    fs.rmSync(root, { recursive: true, force: true });
    expect(releases).toEqual([['platform-releases.k8s.yaml', ['HelmRelease/istiod', 'HelmRelease/flagger']]]);
    expect(platform).toHaveLength(1);
    expect(platform[0][1]).toEqual(expect.arrayContaining(['Kustomization/gateway-api-crds', 'Kustomization/platform-releases']));
    expect(platform[0][1]).not.toContain('HelmRelease/flagger');
  });
});

describe('replica ratio', () => {
  test('nothing to install; Flagger\'s meshProvider is kubernetes, as the Canaries name it', () => {
    const plan = new PlatformPlan({ engines: [FLAGGER], routers: [REPLICA_RATIO] });
    expect(plan.releaseNames).toEqual(['flagger']);
    const router = TrafficRouter.replicaRatio({ metrics: ApplicationMetrics.httpHistogram({ port: 8080 }) });
    const canary = only(service(DeliveryEngine.flagger(), router, DeliveryStrategy.blueGreen()), 'Canary');
    expect(plan.release('flagger').values.meshProvider).toBe(canary.spec.provider);
  });
});
