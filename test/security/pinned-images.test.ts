import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import { rewriteDigest } from '../../scripts/refresh-digests';
import {
  CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, GatewayMetrics, GitOps, IDeliveryEngine, LoadTester, PlatformEngine, PlatformPlan,
  PlatformRouter, Prometheus, TrafficRouter,
} from '../../src';
import { ARGO_GATEWAY_API_PLUGIN_IMAGE, LOAD_TESTER_IMAGE, PINNED_IMAGES, PROMETHEUS_IMAGE, imageReference, imageTagAndDigest } from '../../src/versions';

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
    // No public source pins these tags by digest, and no registry can be read here: scripts/refresh-digests.ts fills them in.
    expect(AWAITING_DIGEST).toEqual([
      'ghcr.io/fluxcd/flagger-loadtester:0.38.0',
      'ghcr.io/argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi:v0.15.0',
      'ghcr.io/fluxcd/flagger:1.44.0',
    ]);
    expect([LOAD_TESTER_IMAGE, ARGO_GATEWAY_API_PLUGIN_IMAGE].every((image) => AWAITING_DIGEST.includes(image))).toBe(true);
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

/** A chart's image values as the chart writes them: `<repository>@<digest>` when a digest is set, else `<repository>:<tag>`. */
const byDigestOrTag = (image: any, registry?: string) => {
  const repository = registry ? `${registry}/${image.repository}` : image.repository;
  return image.digest ? `${repository}@${image.digest}` : `${repository}:${image.tag}`;
};

/**
 * How each chart of the platform turns our values into its containers' images (the chart versions
 * of src/versions.ts), so the test sees what the cluster would pull.
 */
const RENDERED_IMAGES: { [release: string]: (values: any) => string[] } = {
  // fluxcd/flagger charts/flagger/templates/deployment.yaml@v1.44.0: "<repository>:<tag>".
  'flagger': (v) => [`${v.image.repository}:${v.image.tag}`],
  // argo-helm argo-rollouts-2.41.0 templates/controller/deployment.yaml: "<registry>/<repository>:<tag>", and our init containers as given.
  'argo-rollouts': (v) => [`${v.controller.image.registry}/${v.controller.image.repository}:${v.controller.image.tag}`,
    ...(v.controller.initContainers ?? []).map((c: any) => c.image)],
  // prometheus-community prometheus-29.27.0 templates/deploy.yaml: the server and the config reloader (the only pods: the subcharts are off).
  'prometheus': (v) => [byDigestOrTag(v.server.image), byDigestOrTag(v.configmapReload.prometheus.image)],
  // traefik-helm-chart v41.3.0 templates/_helpers.tpl `traefik.image-name`: "<registry>/<repository>@<digest>".
  'traefik': (v) => [byDigestOrTag(v.image, v.image.registry)],
};

/**
 * The platform's releases whose images we leave to the chart, by tag, and why. Each is an exception
 * to "every image has a digest", listed here so that none is silent.
 */
const PLATFORM_EXCEPTIONS: { [release: string]: string } = {
  'istio-base': 'no pods: CRDs and the validating webhook configuration only',
  'istio-cni': 'the chart\'s own install-cni image (<hub>/install-cni:<tag>[-<variant>], templates/daemonset.yaml) by Istio\'s tag: as istiod',
  'istiod': 'the chart\'s own pilot image (<hub>/pilot:<tag>[-<variant>]) by tag: no public source pins Istio 1.30.3 by digest '
    + 'and the chart assembles the reference from hub, name, tag and variant',
  'istio-ingressgateway': 'the proxy image is injected by istiod at admission (image: auto), by Istio\'s tag: as istiod',
};

/** The platform's images without a digest, and why (each is one of AWAITING_DIGEST). */
const PLATFORM_AWAITING_DIGEST = {
  'ghcr.io/fluxcd/flagger:1.44.0': 'Flagger\'s controller: no public digest of 1.44.0; the chart takes <tag>@<digest> once recorded',
  'ghcr.io/argoproj-labs/rollouts-plugin-trafficrouter-gatewayapi:v0.15.0': 'the Gateway API plugin: no public digest of v0.15.0',
};

describe('the platform\'s Helm values pin every image by digest, but for the listed exceptions', () => {
  const plan = new PlatformPlan({
    engines: [PlatformEngine.FLAGGER, PlatformEngine.ARGO_ROLLOUTS],
    routers: [PlatformRouter.TRAEFIK, PlatformRouter.ISTIO, PlatformRouter.GATEWAY_API],
    prometheus: true,
  });

  test('every release is either rendered here or an exception with its reason', () => {
    expect([...plan.releaseNames].sort()).toEqual([...Object.keys(RENDERED_IMAGES), ...Object.keys(PLATFORM_EXCEPTIONS)].sort());
  });

  test('the images the charts write: by digest, except the ones whose digest is not recorded yet', () => {
    const images = Object.entries(RENDERED_IMAGES).flatMap(([release, render]) => render(plan.release(release).values));
    expect(images).toEqual([
      'ghcr.io/fluxcd/flagger:1.44.0',
      imageReference(PINNED_IMAGES.argoRollouts),
      ARGO_GATEWAY_API_PLUGIN_IMAGE,
      `docker.io/prom/prometheus@${PINNED_IMAGES.prometheus.digest}`,
      `quay.io/prometheus-operator/prometheus-config-reloader@${PINNED_IMAGES.prometheusConfigReloader.digest}`,
      `docker.io/library/traefik@${PINNED_IMAGES.traefik.digest}`,
    ]);
    const withoutDigest = images.filter((image) => !/@sha256:[a-f0-9]{64}$/.test(image));
    expect(withoutDigest).toEqual(Object.keys(PLATFORM_AWAITING_DIGEST));
    for (const image of withoutDigest) expect(AWAITING_DIGEST).toContain(image);
  });

  test('the digest each chart is given is the one src/versions.ts records for the tag the chart would otherwise run', () => {
    const prometheus = plan.release('prometheus').values;
    expect(prometheus.server.image).toEqual({ repository: 'docker.io/prom/prometheus', tag: 'v3.5.5', digest: PINNED_IMAGES.prometheus.digest });
    // The chart's default reloader tag (values.yaml configmapReload.prometheus.image.tag), now by digest.
    expect(prometheus.configmapReload.prometheus.image).toEqual({
      repository: 'quay.io/prometheus-operator/prometheus-config-reloader', tag: 'v0.93.1', digest: PINNED_IMAGES.prometheusConfigReloader.digest,
    });
    // Traefik's chart reads the version it checks from `image.tag`, so the tag stays beside the digest.
    expect(plan.release('traefik').values.image).toEqual({ registry: 'docker.io', repository: 'library/traefik', tag: 'v3.7.11', digest: PINNED_IMAGES.traefik.digest });
    expect(plan.release('flagger').values.image).toEqual({ repository: 'ghcr.io/fluxcd/flagger', tag: imageTagAndDigest(PINNED_IMAGES.flagger) });
  });

  test('once Flagger\'s digest is recorded, the chart runs <tag>@<digest>', () => {
    const digest = `sha256:${'e'.repeat(64)}`;
    expect(imageTagAndDigest({ ...PINNED_IMAGES.flagger, digest })).toBe(`1.44.0@${digest}`);
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
