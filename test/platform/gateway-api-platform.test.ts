import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { App, TerraformStack, Testing as TfTesting } from 'cdktf';
import * as yaml from 'js-yaml';
import {
  ApplicationMetrics, CanaryPlatform, CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, FluxPlatform, IDeliveryEngine, ITrafficRouter,
  PlatformEngine, PlatformPlan, PlatformRouter, TrafficRouter,
} from '../../src';
import { only, synth } from '../synth';

const { FLAGGER, ARGO_ROLLOUTS } = PlatformEngine;
const { GATEWAY_API, REPLICA_RATIO, ISTIO } = PlatformRouter;

function service(engine: IDeliveryEngine, router: ITrafficRouter, strategy?: DeliveryStrategy): any[] {
  const chart = new Chart(Testing.app(), 'app', { namespace: 'shop' });
  new CanaryService(chart, 'web', {
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

  test('with Istio too, the gateway chart is back and the base is installed once', () => {
    expect(new PlatformPlan({ engines: [ARGO_ROLLOUTS], routers: [ISTIO, GATEWAY_API] }).releaseNames)
      .toEqual(['istio-base', 'istiod', 'istio-ingressgateway', 'argo-rollouts']);
  });

  test('Flux: a GitRepository at the tag\'s commit (git rev-parse v1.6.1 in kubernetes-sigs/gateway-api) and a Kustomization of the CRDs that never prunes them', () => {
    const chart = new Chart(Testing.app(), 'platform');
    const flux = new FluxPlatform(chart, 'platform', { plan });
    const manifests = synth(chart);
    expect(flux.kustomizations).toHaveLength(1);
    expect(only(manifests, 'GitRepository', 'gateway-api-crds').spec).toEqual({ url: 'https://github.com/kubernetes-sigs/gateway-api', ref: { commit: '8bb74df00e56ec8f944d48c25e6c1c9c2f6848e3' }, interval: '1h' });
    expect(only(manifests, 'Kustomization', 'gateway-api-crds').spec).toEqual({
      interval: '10m', sourceRef: { kind: 'GitRepository', name: 'gateway-api-crds' }, path: './config/crd', prune: false, wait: true,
    });
  });

  test('CDK for Terraform: no chart can carry the CRDs, so an output says how to apply them first', () => {
    const stack = new TerraformStack(TfTesting.app(), 'platform');
    new CanaryPlatform(stack, 'canary', { plan });
    const outputs = JSON.parse(TfTesting.synth(stack)).output;
    expect(Object.values(outputs)).toEqual([{
      description: 'Apply before the Helm releases: gateway-api-crds v1.6.1 (no Helm chart carries them)',
      value: 'kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml',
    }]);
    expect(App).toBeDefined();
  });

  test('the committed platform example installs them', () => {
    const file = path.join(__dirname, '..', '..', 'examples', 'platform', 'manifests', 'gateway-api.k8s.yaml');
    const kinds = (yaml.loadAll(fs.readFileSync(file, 'utf-8')) as any[]).map((m) => `${m.kind}/${m.metadata.name}`);
    expect(kinds).toEqual(expect.arrayContaining(['GitRepository/gateway-api-crds', 'Kustomization/gateway-api-crds', 'HelmRelease/istiod', 'HelmRelease/argo-rollouts']));
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
