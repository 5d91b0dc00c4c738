import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Duration, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import * as yaml from 'js-yaml';
import { CanaryAlert, CanaryMetric, CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, SharedAddons, TrafficRouter } from '../src';

const IMAGE = 'ghcr.io/stefanprodan/podinfo:6.7.0';

function props(overrides: Partial<CanaryServiceProps> = {}): CanaryServiceProps {
  return {
    image: IMAGE,
    containerPort: 9898,
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
    ...overrides,
  };
}

function synthError(app: App): string[] {
  try {
    app.synth();
  } catch (error) {
    return (error as Error).message.split('\n');
  }
  throw new Error('synth did not fail');
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'declaration-'));

describe('every mistake at once', () => {
  test('one synth reports the mistakes of every service, each with its construct path and property', () => {
    const app = new App({ outdir: tmp() });
    const shop = new Chart(app, 'shop', { namespace: 'shop' });
    new CanaryService(shop, 'cart', props({ port: 70000, image: '', replicas: 0 }));
    new CanaryService(shop, 'checkout', props({ analysis: { stepWeights: [20, 10], webhooks: [CanaryWebhook.loadTest()] } }));
    const blog = new Chart(app, 'blog');
    new CanaryService(blog, 'Posts', props());
    expect(synthError(app)).toEqual([
      'Validation failed with the following errors:',
      "  [shop/cart] CanaryService 'cart': 'port' (70000) must be an integer between 1 and 65535",
      "  [shop/cart] CanaryService 'cart': 'replicas' (0) must be an integer between 1 and 1000",
      "  [shop/cart] CanaryService 'cart': 'image' ('') is empty: give a pinned image reference, e.g. 'ghcr.io/org/app:1.2.3', or pass your own 'deployment'",
      "  [shop/checkout] CanaryService 'checkout': 'analysis.stepWeights[1]' (10) in [20, 10] must be greater than 'analysis.stepWeights[0]' (20): "
        + 'the weights only grow (the list must be a non-empty list of strictly increasing integers between 1 and 100)',
      "  [blog/Posts] Posts: 'name' ('Posts') must be a DNS label of at most 55 characters: lower-case letters, digits and '-', starting with a letter "
        + "and ending with a letter or digit (Flagger appends '-primary' and '-canary', and Service names have at most 63)",
      "  [blog/Posts] CanaryService 'Posts': no namespace: set 'namespace' on the CanaryService or on its Chart; the loadtester and Prometheus addresses are built from it",
    ]);
  });

  test('the controller\'s own checks run too when an unrelated prop is wrong', () => {
    const app = new App({ outdir: tmp() });
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    new CanaryService(chart, 'cart', props({
      port: 0,
      analysis: { webhooks: [CanaryWebhook.loadTest()], alerts: [CanaryAlert.slack({ secretName: 'slack', secretKey: 'url' })] },
    }));
    expect(synthError(app)).toEqual([
      'Validation failed with the following errors:',
      "  [shop/cart] CanaryService 'cart': 'port' (0) must be an integer between 1 and 65535",
      "  [shop/cart] FlaggerCanary 'cart': alert 'slack': Flagger's AlertProvider reads the webhook URL from the key 'address' of its Secret, not 'url'; leave 'secretKey' out",
    ]);
  });

  test.each([Duration.millis(1500), Duration.seconds(0)])('an analysis interval of %s is a message, not a crash', (interval) => {
    const app = new App({ outdir: tmp() });
    new CanaryService(new Chart(app, 'shop', { namespace: 'shop' }), 'cart', props({ analysis: { interval, webhooks: [CanaryWebhook.loadTest()] } }));
    expect(synthError(app)[1]).toBe(`  [shop/cart] CanaryService 'cart': 'analysis.interval' (${interval.toHumanString()}) must be a whole number of seconds, at least 10s`);
  });

  test('no file is written when the declaration has mistakes', () => {
    const outdir = tmp();
    const app = new App({ outdir });
    new CanaryService(new Chart(app, 'shop', { namespace: 'shop' }), 'cart', props({ port: 0 }));
    expect(() => app.synth()).toThrow("[shop/cart] CanaryService 'cart': 'port' (0) must be an integer between 1 and 65535");
    expect(fs.readdirSync(outdir)).toEqual([]);
  });

  test('an empty query says so, not where the parser stopped', () => {
    const app = new App({ outdir: tmp() });
    new CanaryService(new Chart(app, 'shop', { namespace: 'shop' }), 'cart', props({
      analysis: { webhooks: [CanaryWebhook.loadTest()], metrics: [CanaryMetric.prometheus({ name: 'errors', query: ' ', max: 1 })] },
    }));
    expect(synthError(app)).toContain("  [shop/cart] CanaryService 'cart': 'analysis.metrics[0].query' is empty: it must be a PromQL expression that returns one number, "
      + "e.g. 'sum(rate(http_requests_total{code=~\"5..\"}[{{ interval }}]))'");
  });

  test('an error thrown at a call carries no stack frame of this package', () => {
    let error: Error | undefined;
    try {
      TrafficRouter.traefik({ hosts: [] });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toBe("TrafficRouter.traefik(): 'hosts' must name at least one host");
    const frames = error!.stack!.split('\n').slice(1);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.filter((frame) => frame.includes(`${path.sep}src${path.sep}`) || frame.includes(`${path.sep}lib${path.sep}`))).toEqual([]);
    expect(frames[0]).toContain('declaration.test.ts');
  });
});

describe('unique names', () => {
  const duplicate = (kind: string, name: string, first: string, second: string) =>
    `  [unique-object-names] ${kind} 'shop/${name}' is emitted twice, by '${first}' and by '${second}': applied together, the second replaces the first. `
    + "Two CanaryServices with the same name in one namespace do this: give one of them another 'name' or 'namespace'";

  test('two services with one name in one Chart fail, naming both construct paths', () => {
    const app = new App({ outdir: tmp() });
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    new CanaryService(chart, 'cart', props());
    new CanaryService(chart, 'cart-v2', props({ name: 'cart' }));
    const errors = synthError(app);
    expect(errors).toContain(duplicate('Deployment', 'cart', 'shop/cart/Deployment/Resource', 'shop/cart-v2/Deployment/Resource'));
    expect(errors).toContain(duplicate('Canary', 'cart', 'shop/cart/Canary/Resource', 'shop/cart-v2/Canary/Resource'));
    expect(errors).toContain(duplicate('IngressRoute', 'cart', 'shop/cart/IngressRoute/Resource', 'shop/cart-v2/IngressRoute/Resource'));
  });

  test('two services with one name in one namespace, in two Charts, fail too', () => {
    const app = new App({ outdir: tmp() });
    new CanaryService(new Chart(app, 'team-a', { namespace: 'shop' }), 'cart', props());
    new CanaryService(new Chart(app, 'team-b', { namespace: 'shop' }), 'cart', props());
    expect(synthError(app)).toContain(duplicate('Deployment', 'cart', 'team-a/cart/Deployment/Resource', 'team-b/cart/Deployment/Resource'));
  });

  test('objects that are not the library\'s are not judged (an app may hold several clusters\' output)', () => {
    const app = new App({ outdir: tmp() });
    new CanaryService(new Chart(app, 'shop', { namespace: 'shop' }), 'cart', props());
    for (const cluster of ['staging', 'prod']) {
      new ApiObject(new Chart(app, cluster), 'settings', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'platform' } });
    }
    expect(() => app.synth()).not.toThrow();
  });

  test('the check is made again when a service is added after a synth', () => {
    const app = new App({ outdir: tmp() });
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    new CanaryService(chart, 'cart', props());
    expect(() => app.synth()).not.toThrow();
    new CanaryService(chart, 'cart-v2', props({ name: 'cart' }));
    expect(synthError(app)).toContain(duplicate('Deployment', 'cart', 'shop/cart/Deployment/Resource', 'shop/cart-v2/Deployment/Resource'));
  });

  test('one name in two namespaces is fine', () => {
    const app = new App({ outdir: tmp() });
    new CanaryService(new Chart(app, 'a', { namespace: 'shop' }), 'cart', props());
    new CanaryService(new Chart(app, 'b', { namespace: 'shop-staging' }), 'cart', props());
    expect(() => app.synth()).not.toThrow();
  });
});

describe('two copies of cdk8s or constructs', () => {
  const fix = 'Install cdk8s-canary from the registry or from a tarball (`npm pack` here, `npm install ./cdk8s-canary-<version>.tgz` in the app), '
    + 'not from a folder (`npm install ../cdk8s-canary` links it together with its own node_modules), '
    + 'then run `npm ls cdk8s constructs` to check that one copy of each remains (`npm dedupe` merges them).';

  test('a scope from another copy of constructs is reported at the declaration', () => {
    let other: typeof import('constructs') | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      other = require('constructs');
    });
    const root = new other!.Construct(undefined as any, '');
    const scope = new other!.Construct(root, 'team');
    expect(() => new CanaryService(scope as any, 'cart', props({ namespace: 'shop' }))).toThrow(
      "cdk8s-canary: two copies of the 'constructs' package are loaded: the app's scope 'team' comes from one, and cdk8s-canary uses the one at "
      + `${path.resolve(__dirname, '..', 'node_modules', 'constructs')}. ${fix}`);
  });

  test('a Chart from another copy of cdk8s is reported at the declaration', () => {
    // What a second cdk8s gives: a Chart that isChart() recognizes but that is not this copy's class.
    class ForeignChart extends Construct {
      public readonly namespace = 'shop';
      constructor(scope: Construct, id: string) {
        super(scope, id);
        Object.defineProperty(this, Symbol.for('cdk8s.Chart'), { value: true });
      }
    }
    const chart = new ForeignChart(Testing.app(), 'shop');
    expect(Chart.isChart(chart)).toBe(true);
    expect(() => new CanaryService(chart, 'cart', props())).toThrow(
      "cdk8s-canary: two copies of the 'cdk8s' package are loaded: the app's Chart 'shop' comes from one, and cdk8s-canary uses the one at "
      + `${path.resolve(__dirname, '..', 'node_modules', 'cdk8s')}; objects of one copy cannot render values of the other. ${fix}`);
  });
});

describe('shared add-ons have a file of their own', () => {
  function synthFiles(declare: (app: App) => void): { [file: string]: any[] } {
    const outdir = tmp();
    const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
    declare(app);
    app.synth();
    return Object.fromEntries(fs.readdirSync(outdir).sort().map((file) =>
      [file, yaml.loadAll(fs.readFileSync(path.join(outdir, file), 'utf-8')).filter(Boolean) as any[]]));
  }
  const names = (objects: any[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);
  const SHARED = [
    'ServiceAccount/canary-prometheus', 'ConfigMap/canary-prometheus', 'Deployment/canary-prometheus', 'Service/canary-prometheus',
    'NetworkPolicy/canary-prometheus', 'Role/canary-prometheus', 'RoleBinding/canary-prometheus',
    'Deployment/flagger-loadtester', 'Service/flagger-loadtester', 'NetworkPolicy/flagger-loadtester',
  ];
  // In Traefik's namespace (Prometheus reads its pods there): the platform team's file, when asked for.
  const PLATFORM_RBAC = ['Role/canary-prometheus-shop', 'RoleBinding/canary-prometheus-shop'];

  test('one Chart per service: the loadtester and Prometheus are in canary-shared-<namespace>, in no service file', () => {
    const files = synthFiles((app) => {
      SharedAddons.configure(app, { platformRbacScope: app });
      new CanaryService(new Chart(app, 'cart', { namespace: 'shop' }), 'cart', props());
      new CanaryService(new Chart(app, 'checkout', { namespace: 'shop' }), 'checkout', props());
    });
    expect(Object.keys(files)).toEqual(['canary-platform-rbac.k8s.yaml', 'canary-shared-shop.k8s.yaml', 'cart.k8s.yaml', 'checkout.k8s.yaml']);
    expect(names(files['canary-platform-rbac.k8s.yaml'])).toEqual(PLATFORM_RBAC);
    expect(names(files['canary-shared-shop.k8s.yaml']).sort()).toEqual([...SHARED].sort());
    expect(names(files['cart.k8s.yaml'])).toEqual(['Deployment/cart', 'HorizontalPodAutoscaler/cart', 'IngressRoute/cart', 'Canary/cart']);
    expect(names(files['checkout.k8s.yaml'])).toEqual(['Deployment/checkout', 'HorizontalPodAutoscaler/checkout', 'IngressRoute/checkout', 'Canary/checkout']);
  });

  test('retiring the service that came first keeps what the other service uses', () => {
    const files = synthFiles((app) => {
      new CanaryService(new Chart(app, 'checkout', { namespace: 'shop' }), 'checkout', props());
    });
    expect(Object.keys(files)).toEqual(['canary-shared-shop.k8s.yaml', 'checkout.k8s.yaml']);
    expect(names(files['canary-shared-shop.k8s.yaml']).sort()).toEqual([...SHARED].sort());
  });

  test('one Chart for every service: the same shared file', () => {
    const files = synthFiles((app) => {
      const chart = new Chart(app, 'shop', { namespace: 'shop' });
      new CanaryService(chart, 'cart', props());
      new CanaryService(chart, 'checkout', props());
    });
    expect(Object.keys(files)).toEqual(['canary-shared-shop.k8s.yaml', 'shop.k8s.yaml']);
    expect(names(files['canary-shared-shop.k8s.yaml']).sort()).toEqual([...SHARED].sort());
    expect(names(files['shop.k8s.yaml']).filter((n) => n.includes('flagger-'))).toEqual([]);
  });

  test('each namespace has its own shared file', () => {
    const files = synthFiles((app) => {
      new CanaryService(new Chart(app, 'cart', { namespace: 'shop' }), 'cart', props());
      new CanaryService(new Chart(app, 'posts', { namespace: 'blog' }), 'posts', props());
    });
    // The Prometheus's Roles in the router's namespace are the platform team's: not in the team's files.
    expect(Object.keys(files)).toEqual(['canary-shared-blog.k8s.yaml', 'canary-shared-shop.k8s.yaml', 'cart.k8s.yaml', 'posts.k8s.yaml']);
  });
});
