import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, AppProps, Chart, IResolver, Lazy, ResolutionContext, YamlOutputType } from 'cdk8s';
import { Construct } from 'constructs';
import { podinfo } from '../../examples/shared/podinfo';
import { DeliveryEngine, FastSynth, GitOps, SharedAddons, TrafficRouter } from '../../src';
import { checkEmittedObjects } from '../../src/synth/object-validity';
import { DeclarationError } from '../../src/validation';

jest.setTimeout(60_000);

/** Every output of this file goes under one temporary folder, removed at the end. */
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'fast-synth-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));
const tmpdir = () => fs.mkdtempSync(path.join(TMP, 'out-'));

/** Replaces the value 'REPLACE-ME' wherever it appears, as a user's resolver would. */
class ReplacingResolver implements IResolver {
  public resolve(context: ResolutionContext): void {
    if (context.value === 'REPLACE-ME') {
      context.replaceValue('replaced-by-resolver');
    }
  }
}

/** A Chart class that adds an object of its own to what it renders. */
class ChartWithExtra extends Chart {
  public toJson(): any[] {
    return [...super.toJson(), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'added-by-toJson', namespace: 'other' } }];
  }
}

interface Shape {
  /** Explicit, nested and implicit (object-level) dependencies between charts. */
  readonly dependencies: boolean;
}

/**
 * Several charts: the four engine x router combinations of examples/shared/podinfo.ts in two
 * namespaces (so add-ons are shared across charts), plain ApiObjects, a resolver-replaced value,
 * a Chart that overrides toJson(), and, with `dependencies`, chart dependencies of every kind.
 */
function buildApp(props: AppProps, shape: Shape): App {
  const app = new App(props);
  // The platform team's RBAC in this app, so that FastSynth writes that Chart too.
  SharedAddons.configure(app, { platformRbacScope: app });
  const flaggerTraefik = new Chart(app, 'flagger-traefik', { namespace: 'test' });
  podinfo(flaggerTraefik, DeliveryEngine.flagger(), TrafficRouter.traefik({ hosts: ['app.example.com'] }));
  const argoIstio = new Chart(app, 'argo-istio', { namespace: 'team-b' });
  podinfo(argoIstio, DeliveryEngine.argoRollouts(), TrafficRouter.istio({ hosts: ['b.example.com'] }), { gitOps: GitOps.argoCd() });
  const flaggerIstio = new Chart(app, 'flagger-istio', { namespace: 'test2' });
  const c = podinfo(flaggerIstio, DeliveryEngine.flagger(), TrafficRouter.istio({ hosts: ['c.example.com'] }));
  // The second service of the namespace 'test2' lives in another chart and shares the add-ons of
  // the first (its Traefik adds a Role to the Prometheus of the chart above).
  const argoTraefik = new ChartWithExtra(app, 'argo-traefik', { namespace: 'test2' });
  const d = podinfo(argoTraefik, DeliveryEngine.argoRollouts(), TrafficRouter.traefik({ hosts: ['d.example.com'] }), { name: 'podinfo-d', gitOps: GitOps.fluxCd() });

  const plain = new Chart(app, 'plain', { namespace: 'other', labels: { team: 'platform' } });
  const config = new ApiObject(plain, 'config', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' }, data: { value: 'REPLACE-ME', yes: 'yes', port: '8080' } });
  new ApiObject(plain, 'unnamed', { apiVersion: 'v1', kind: 'ConfigMap', data: { multiline: 'a\nb\n' } });

  if (shape.dependencies) {
    argoIstio.addDependency(flaggerTraefik);
    const nested = new Chart(plain, 'nested', { namespace: 'other' });
    const secret = new ApiObject(nested, 'secret', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'secret' }, stringData: { a: 'b' } });
    config.addDependency(secret);
    // An object in one chart depending on a construct in another: cdk8s orders the charts and the objects.
    ApiObject.of(c.deployment).addDependency(d);
  }
  return app;
}

interface Output {
  /** Every file written, in the order written. */
  readonly writes: string[];
  /** Every file under outdir and its content, sorted by name. */
  readonly files: { [file: string]: string };
}

function synthesize(props: AppProps, shape: Shape, synth: (app: App) => void): Output {
  const outdir = tmpdir();
  const app = buildApp({ ...props, outdir }, shape);
  const writes: string[] = [];
  // The module object itself (cdk8s and FastSynth call through it), not the import's copy.
  const realFs: typeof fs = jest.requireActual('fs');
  const original = realFs.writeFileSync;
  const spy = jest.spyOn(realFs, 'writeFileSync').mockImplementation((file: any, ...rest: any[]) => {
    writes.push(path.relative(outdir, String(file)));
    return (original as any)(file, ...rest);
  });
  try {
    synth(app);
  } finally {
    spy.mockRestore();
  }
  const files: { [file: string]: string } = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files[path.relative(outdir, full)] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(outdir);
  fs.rmSync(outdir, { recursive: true, force: true });
  return { writes, files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) };
}

const variants: [string, AppProps, Shape][] = [
  ['defaults (FILE_PER_CHART, .k8s.yaml), no chart dependencies', {}, { dependencies: false }],
  ['defaults, with chart dependencies (indexed file names)', {}, { dependencies: true }],
  ['FILE_PER_CHART, outputFileExtension .yaml', { yamlOutputType: YamlOutputType.FILE_PER_CHART, outputFileExtension: '.yaml' }, { dependencies: true }],
  ['FILE_PER_APP', { yamlOutputType: YamlOutputType.FILE_PER_APP }, { dependencies: true }],
  ['FILE_PER_RESOURCE', { yamlOutputType: YamlOutputType.FILE_PER_RESOURCE }, { dependencies: false }],
  ['FOLDER_PER_CHART_FILE_PER_RESOURCE', { yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE }, { dependencies: true }],
  ['a custom resolver', { resolvers: [new ReplacingResolver()] }, { dependencies: true }],
  ['recordConstructMetadata', { recordConstructMetadata: true }, { dependencies: true }],
];

describe.each(variants)('FastSynth.synth() with %s', (_name, props, shape) => {
  const expected = synthesize(props, shape, (app) => app.synth());
  const actual = synthesize(props, shape, (app) => FastSynth.synth(app));

  test('writes the same files as app.synth(), in the same order', () => {
    expect(expected.writes.length).toBeGreaterThan(0);
    expect(actual.writes).toEqual(expected.writes);
    expect(Object.keys(actual.files)).toEqual(Object.keys(expected.files));
  });

  test('with the same bytes', () => {
    expect(Object.keys(expected.files).length).toBeGreaterThan(0);
    for (const file of Object.keys(expected.files)) {
      expect({ file, content: actual.files[file] }).toEqual({ file, content: expected.files[file] });
    }
  });
});

test('the test app exercises what it claims: dependencies, the resolver, toJson() overrides, shared add-ons', () => {
  const { files } = synthesize({ resolvers: [new ReplacingResolver()] }, { dependencies: true }, (app) => FastSynth.synth(app));
  const names = Object.keys(files);
  expect(names).toEqual(expect.arrayContaining([expect.stringMatching(/^0000-/)]));
  const all = Object.values(files).join('---\n');
  expect(all).toContain('replaced-by-resolver');
  expect(all).toContain('added-by-toJson');
  expect(all).toContain('kind: Rollout');
  expect(all).toContain('kind: Canary');
  expect(all).toContain('kind: IngressRoute');
  expect(all).toContain('kind: VirtualService');
  // test2's Prometheus is declared once, in the namespace's shared chart, and scrapes Traefik for the second service:
  // its Role in Traefik's namespace is the platform team's (canary-platform-rbac), not in the team's files.
  const shared = names.find((name) => name.endsWith('-canary-shared-test2.k8s.yaml'));
  expect(files[shared!]).not.toContain('namespace: traefik\n');
  const platformRbac = names.find((name) => name.endsWith('canary-platform-rbac.k8s.yaml'));
  expect(files[platformRbac!]).toContain('name: canary-prometheus-test2\n  namespace: traefik\n');
  expect(all.match(/kind: Deployment\nmetadata:\n {2}labels:\n {4}app.kubernetes.io\/name: canary-prometheus\n {2}name: canary-prometheus\n {2}namespace: test2\n/g)).toHaveLength(1);
});

test('FastSynth.synthYaml() returns what app.synthYaml() returns', () => {
  const outdir = tmpdir();
  const expected = buildApp({ outdir }, { dependencies: true }).synthYaml();
  const actual = FastSynth.synthYaml(buildApp({ outdir }, { dependencies: true }));
  expect(actual).toEqual(expected);
});

describe('refuses what it cannot reproduce', () => {
  const tmpApp = (props: AppProps = {}) => new App({ outdir: tmpdir(), ...props });

  test('an App subclass that overrides synth()', () => {
    class MyApp extends App {
      public synth(): void {
        super.synth();
      }
    }
    const app = new MyApp({ outdir: tmpdir() });
    new Chart(app, 'c');
    expect(() => FastSynth.synth(app)).toThrow('FastSynth: MyApp overrides synth(), and FastSynth would skip what it adds: call app.synth() instead');
  });

  test('a cdk8s whose synthesis differs from the one FastSynth reproduces', () => {
    const app = tmpApp();
    new Chart(app, 'c');
    const original = App.prototype.synthYaml;
    // Stands for a cdk8s release that changed App.synthYaml().
    App.prototype.synthYaml = function changed(this: App) {
      return original.call(this);
    };
    try {
      expect(() => FastSynth.synth(app)).toThrow(/^FastSynth: cdk8s 2\.70\.\d+ synthesizes differently from cdk8s 2\.70\.106, the version FastSynth reproduces/);
    } finally {
      App.prototype.synthYaml = original;
    }
    expect(() => FastSynth.synth(app)).not.toThrow();
  });

  test('an app whose charts add constructs while they render', () => {
    const build = () => {
      const app = tmpApp();
      const chart = new Chart(app, 'first');
      const later = new Chart(app, 'second');
      new ApiObject(chart, 'cm', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        data: {
          value: Lazy.any({
            produce: () => {
              new ApiObject(later, `late${later.node.children.length}`, { apiVersion: 'v1', kind: 'ConfigMap' });
              return 'x';
            },
          }),
        },
      });
      return app;
    };
    expect(() => build().synth()).not.toThrow();
    expect(() => FastSynth.synth(build())).toThrow(/^FastSynth: rendering the charts changed the app \(\d+ -> \d+ constructs/);
  });
});

test('validation errors are the ones app.synth() throws', () => {
  const build = () => {
    const app = new App({ outdir: tmpdir() });
    const chart = new Chart(app, 'c');
    const invalid = new Construct(chart, 'invalid');
    invalid.node.addValidation({ validate: () => ['something is wrong'] });
    return app;
  };
  expect(() => build().synth()).toThrow('Validation failed with the following errors:\n  [c/invalid] something is wrong');
  expect(() => FastSynth.synth(build())).toThrow('Validation failed with the following errors:\n  [c/invalid] something is wrong');
});

describe('the objects cdk8s-canary emits are judged from the manifests FastSynth renders', () => {
  /** A scope of emitted objects (as a CanaryService registers), with a label the API server rejects when `bad`. */
  const build = (options: { bad?: boolean; otherProblem?: boolean; failsToRender?: boolean }) => {
    const app = new App({ outdir: tmpdir() });
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    const scope = new Construct(chart, 'cart');
    checkEmittedObjects(scope, () => [{ property: "'version'", value: 'v1.0 beta' }]);
    const version = options.bad ? 'v1.0 beta' : 'v1.0';
    for (const kind of ['ConfigMap', 'Secret']) {
      new ApiObject(scope, kind, { apiVersion: 'v1', kind, metadata: { name: 'cart', labels: { 'app.kubernetes.io/version': version } } });
    }
    if (options.failsToRender) {
      new ApiObject(scope, 'Lazy', {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: Lazy.any({ produce: () => { throw new DeclarationError(["cart: 'name' cannot be rendered"]); } }) as unknown as string },
      });
    }
    const other = new Chart(app, 'other');
    if (options.otherProblem) new Construct(other, 'invalid').node.addValidation({ validate: () => ['something is wrong'] });
    new ApiObject(other, 'plain', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' } });
    return app;
  };
  const failure = (synth: () => void) => {
    try {
      synth();
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('synth did not fail');
  };

  test.each([
    ['a bad value', { bad: true }, /^Validation failed with the following errors:\n {2}\[shop\/cart\] ConfigMap 'shop\/cart' .* and 1 more object: .*; it comes from 'version'$/],
    ['a bad value and another validation\'s problem', { bad: true, otherProblem: true }, /^Validation failed with the following errors:\n {2}\[shop\/cart\] .*\n {2}\[other\/invalid\] something is wrong$/],
    ['a value that fails to render', { failsToRender: true }, /^Failed serializing construct at path 'shop\/cart\/Lazy' .*: DeclarationError: cart: 'name' cannot be rendered$/],
  ])('%s: app.synth()\'s message, and no file written', (_name, options, message) => {
    const expected = failure(() => build(options).synth());
    expect(expected).toMatch(message);
    const app = build(options);
    expect(failure(() => FastSynth.synth(app))).toEqual(expected);
    expect(fs.readdirSync(app.outdir)).toEqual([]);
    expect(failure(() => FastSynth.synthYaml(build(options)))).toEqual(expected);
  });

  test('each object is rendered once, where app.synth() renders the emitted ones twice', () => {
    const original = ApiObject.prototype.toJson;
    const renders = (synth: (app: App) => void) => {
      const counts: { [path: string]: number } = {};
      ApiObject.prototype.toJson = function counting(this: ApiObject) {
        counts[this.node.path] = (counts[this.node.path] ?? 0) + 1;
        return original.call(this);
      };
      try {
        synth(build({}));
      } finally {
        ApiObject.prototype.toJson = original;
      }
      return counts;
    };
    expect(renders((app) => FastSynth.synth(app))).toEqual({ 'shop/cart/ConfigMap': 1, 'shop/cart/Secret': 1, 'other/plain': 1 });
    expect(renders((app) => app.synth())).toEqual({ 'shop/cart/ConfigMap': 2, 'shop/cart/Secret': 2, 'other/plain': 1 });
  });

  test('a CanaryService with a safety net and Flux marks: each object rendered once, the Deployment twice (its configuration checksum reads its pod spec)', () => {
    const original = ApiObject.prototype.toJson;
    // Times rendered, by kind (the service's Deployment counted once: its second render is its checksum's).
    const counts: { [kind: string]: number[] } = {};
    const app = new App({ outdir: tmpdir() });
    podinfo(new Chart(app, 'shop', { namespace: 'shop' }), DeliveryEngine.argoRollouts(), TrafficRouter.istio({ hosts: ['shop.example.com'] }), {
      safetyNet: { liveService: 'podinfo-live', share: 5 },
      gitOps: GitOps.fluxCd(),
    });
    const seen = new Map<ApiObject, number>();
    ApiObject.prototype.toJson = function counting(this: ApiObject) {
      seen.set(this, (seen.get(this) ?? 0) + 1);
      return original.call(this);
    };
    try {
      FastSynth.synth(app);
    } finally {
      ApiObject.prototype.toJson = original;
    }
    const service = app.node.findAll().find((c) => c.node.path === 'shop/podinfo') as any;
    const deployment = ApiObject.of(service.deployment);
    for (const [object, times] of seen) (counts[object.kind] ??= []).push(object === deployment ? times - 1 : times);
    expect(seen.get(deployment)).toBe(2);
    expect(counts.Rollout).toEqual([1]);
    expect(Object.entries(counts).filter(([, times]) => times.some((n) => n !== 1))).toEqual([]);
  });
});
