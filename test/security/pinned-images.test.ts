import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import { rewriteDigest } from '../../scripts/refresh-digests';
import {
  CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, GatewayMetrics, GitOps, IDeliveryEngine, LoadTester, PlatformEngine, PlatformPlan,
  PlatformRouter, Prometheus, TrafficRouter,
} from '../../src';
import { ARGO_GATEWAY_API_PLUGIN_IMAGE, LOAD_TESTER_IMAGE, PINNED_IMAGES, PROMETHEUS_IMAGE, imageReference } from '../../src/versions';

const APP_IMAGE = 'ghcr.io/stefanprodan/podinfo:6.7.0';
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Every image of every pod template in the manifests (Deployments, and the Jobs of AnalysisTemplates). */
function imagesOf(manifests: any[]): string[] {
  const images: string[] = [];
  const visit = (value: any) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    for (const key of ['containers', 'initContainers']) {
      for (const container of Array.isArray(value[key]) ? value[key] : []) images.push(container.image);
    }
    Object.values(value).forEach(visit);
  };
  visit(manifests);
  return images;
}

/** Everything a service of each engine emits: the app, the loadtester (Flagger), the analysis Jobs (Argo), the embedded Prometheus. */
function emitted(engine: IDeliveryEngine): any[] {
  const app = new App();
  const chart = new Chart(app, 'app', { namespace: 'shop' });
  new CanaryService(chart, 'web', {
    image: APP_IMAGE,
    containerPort: 9898,
    engine,
    router: TrafficRouter.gatewayApi({ hosts: ['web.example.com'], metrics: GatewayMetrics.istio() }),
    analysis: {
      metrics: [CanaryMetric.requestSuccessRate({ min: 99 })],
      webhooks: [CanaryWebhook.acceptanceTest({ command: 'curl -sf http://web-canary.shop/' }), CanaryWebhook.loadTest()],
    },
    gitOps: GitOps.none(),
  });
  return app.charts.flatMap((c) => Testing.synth(c));
}

/** The images whose digest is not recorded yet (src/versions.ts says why): the only ones allowed without one. */
const AWAITING_DIGEST = Object.values(PINNED_IMAGES).filter((image) => image.digest === undefined).map(imageReference);

describe('every image the library writes is pinned by digest, or is one whose digest is not recorded yet', () => {
  test('the images still awaiting a digest are exactly these (a new image without one fails here)', () => {
    expect(AWAITING_DIGEST).toEqual([LOAD_TESTER_IMAGE, ARGO_GATEWAY_API_PLUGIN_IMAGE]);
    expect(PROMETHEUS_IMAGE).toMatch(/^docker\.io\/prom\/prometheus:v3\.5\.5@sha256:[a-f0-9]{64}$/);
  });

  test('every recorded digest is a sha256 digest, and every entry says where it came from', () => {
    for (const image of Object.values(PINNED_IMAGES)) {
      if (image.digest !== undefined) expect(image.digest).toMatch(DIGEST);
      expect(image.digestSource.length).toBeGreaterThan(20);
    }
  });

  test.each([['Flagger', () => DeliveryEngine.flagger()], ['Argo Rollouts', () => DeliveryEngine.argoRollouts()]])('%s: the loadtester, the analysis Jobs and Prometheus', (_name, engine) => {
    const images = imagesOf(emitted(engine())).filter((image) => image !== APP_IMAGE);
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const image of images) {
      if (!AWAITING_DIGEST.includes(image)) expect(image).toMatch(/@sha256:[a-f0-9]{64}$/);
    }
    expect(images).toContain(PROMETHEUS_IMAGE);
  });

  test('the platform: the Argo Rollouts controller by digest, the Gateway API plugin by its pinned reference', () => {
    const plan = new PlatformPlan({ engines: [PlatformEngine.ARGO_ROLLOUTS], routers: [PlatformRouter.GATEWAY_API] });
    const controller = plan.release('argo-rollouts').values.controller;
    expect(`${controller.image.registry}/${controller.image.repository}:${controller.image.tag}`).toBe(imageReference(PINNED_IMAGES.argoRollouts));
    expect(controller.image.tag).toMatch(/^v1\.9\.1@sha256:[a-f0-9]{64}$/);
    expect(controller.initContainers.map((c: any) => c.image)).toEqual([ARGO_GATEWAY_API_PLUGIN_IMAGE]);
  });

  test('scripts/refresh-digests.ts rewrites an entry of src/versions.ts in place', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'versions.ts'), 'utf-8');
    const digest = `sha256:${'c'.repeat(64)}`;
    const rewritten = rewriteDigest(source, 'loadTester', digest, 'read from ghcr.io by scripts/refresh-digests.ts on 2026-12-01');
    const entry = rewritten.slice(rewritten.indexOf('  loadTester: {'), rewritten.indexOf('} as PinnedImage', rewritten.indexOf('  loadTester: {')));
    expect(entry).toContain(`digest: '${digest}',`);
    expect(entry).toContain("digestSource: 'read from ghcr.io by scripts/refresh-digests.ts on 2026-12-01',");
    // The other entries are untouched.
    expect(rewritten.replace(entry, '')).toEqual(source.replace(source.slice(source.indexOf('  loadTester: {'), source.indexOf('} as PinnedImage', source.indexOf('  loadTester: {'))), ''));
    expect(() => rewriteDigest(source, 'grafana', digest, 'x')).toThrow("src/versions.ts has no entry 'grafana' in PINNED_IMAGES");
  });
});

describe('images pinned by a tag that moves are rejected, with a message', () => {
  const service = (image: string) => {
    const chart = new Chart(Testing.app(), 'app', { namespace: 'shop' });
    new CanaryService(chart, 'web', {
      image, engine: DeliveryEngine.flagger(), router: TrafficRouter.traefik({ hosts: ['web.example.com'] }), analysis: { webhooks: [CanaryWebhook.loadTest()] },
    });
    return () => Testing.synth(chart);
  };

  test.each(['main', 'master', 'nightly', 'edge', 'develop', 'Main'])('a service image on :%s', (tag) => {
    expect(service(`ghcr.io/acme/web:${tag}`)).toThrow(`'image' ('ghcr.io/acme/web:${tag}') is pinned by '${tag}', a tag that moves: the same manifest would run another image after every push. `
      + "Pin it by a version tag and digest, e.g. 'ghcr.io/acme/web:1.2.3@sha256:<digest>' (latest, main, master, develop, dev, edge, nightly, stable, head, trunk, canary, next, snapshot, release are not allowed without a digest)");
  });

  test.each(['ghcr.io/acme/web:latest', 'ghcr.io/acme/web', 'localhost:5000/web'])('%s (latest or untagged)', (image) => {
    expect(service(image)).toThrow(`'image' ('${image}') must be pinned by a version tag or a sha256 digest`);
  });

  test.each([`ghcr.io/acme/web:main@sha256:${'d'.repeat(64)}`, `ghcr.io/acme/web@sha256:${'d'.repeat(64)}`, 'localhost:5000/web:1.2.3'])('%s is accepted', (image) => {
    expect(service(image)).not.toThrow();
  });

  test('the loadtester\'s, Prometheus\'s and the analysis Jobs\' images too', () => {
    expect(() => new LoadTester(new Chart(Testing.app(), 'c'), 'lt', { namespace: 'shop', image: 'ghcr.io/fluxcd/flagger-loadtester:main' }))
      .toThrow("LoadTester 'c/lt': 'image' ('ghcr.io/fluxcd/flagger-loadtester:main') is pinned by 'main'");
    expect(() => new Prometheus(new Chart(Testing.app(), 'c'), 'p', { namespace: 'shop', image: 'quay.io/prometheus/prometheus:main' }))
      .toThrow("c/p: 'image' ('quay.io/prometheus/prometheus:main') is pinned by 'main'");
    expect(() => DeliveryEngine.argoRollouts({ analysisJobImage: 'ghcr.io/acme/tools:nightly' }))
      .toThrow("DeliveryEngine.argoRollouts(): 'analysisJobImage' ('ghcr.io/acme/tools:nightly') is pinned by 'nightly'");
  });
});
