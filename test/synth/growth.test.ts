import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, Node } from 'constructs';
import { COMBOS, Combo, benchService, namespaceOf, serviceName } from '../../bench/services';
import { FastSynth, GitOps } from '../../src';

/*
 * The growth guard (docs/performance.md): declaring and synthesizing N CanaryServices must cost
 * work linear in N, for every engine x router combination and layout. Work is counted, not timed,
 * so that the machine's load cannot hide or fake a regression:
 *
 * - construct-tree nodes visited: the children handed out by `Node.children`, through which every
 *   walk of the tree goes (`node.findAll()`, cdk8s's dependency graphs, validation);
 * - objects rendered: `ApiObject.toJson()` calls;
 * - lazy values produced: `Lazy.produce()` calls.
 *
 * Each is compared per service at N = 10 and N = 100: linear work (a fixed part plus a part per
 * service) gives at most the same per service at 100 as at 10; work that searches the app once per
 * service gives about 10 times as much. The tolerance, 1.2, lets a quadratic part through only if
 * it is under about 2 % of the work at N = 10.
 */

const SMALL = 10;
const LARGE = 100;
const TOLERANCE = 1.2;
/**
 * Each case synthesizes 110 services, 1 to 3 s of CPU; on a shared 2-core machine one took 26 s of
 * wall time (load average 20), close to jest's 30 s. What is counted does not depend on the time.
 */
const CASE_TIMEOUT_MS = 180_000;

interface Work {
  nodes: number;
  renders: number;
  lazies: number;
}
const COUNTERS = ['nodes', 'renders', 'lazies'] as const;

const counted: Work = { nodes: 0, renders: 0, lazies: 0 };
const childrenGetter = Object.getOwnPropertyDescriptor(Node.prototype, 'children')!;
const toJson = ApiObject.prototype.toJson;
const produce = Lazy.prototype.produce;

beforeAll(() => {
  Object.defineProperty(Node.prototype, 'children', {
    ...childrenGetter,
    get(this: Node) {
      const children = childrenGetter.get!.call(this);
      counted.nodes += children.length;
      return children;
    },
  });
  ApiObject.prototype.toJson = function counting(this: ApiObject) {
    counted.renders++;
    return toJson.call(this);
  };
  Lazy.prototype.produce = function counting(this: Lazy) {
    counted.lazies++;
    return produce.call(this);
  };
});

afterAll(() => {
  Object.defineProperty(Node.prototype, 'children', childrenGetter);
  ApiObject.prototype.toJson = toJson;
  Lazy.prototype.produce = produce;
});

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'growth-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

/** The work of declaring the app with `declare` and synthesizing it with `synth`. */
function workOf(declare: (app: App) => void, synth: (app: App) => void): Work {
  const outdir = fs.mkdtempSync(path.join(TMP, 'out-'));
  counted.nodes = 0;
  counted.renders = 0;
  counted.lazies = 0;
  const app = new App({ outdir });
  declare(app);
  synth(app);
  fs.rmSync(outdir, { recursive: true, force: true });
  return { ...counted };
}

interface Layout {
  readonly name: string;
  /** Declares n services of `combo` in `app`. */
  readonly declare: (app: App, combo: Combo, n: number) => void;
  readonly synth: (app: App) => void;
}

function oneChart(app: App, combo: Combo, n: number): void {
  const chart = new Chart(app, 'services');
  for (let i = 0; i < n; i++) benchService(chart, combo, serviceName(i), namespaceOf(i));
}

function oneNamespace(app: App, combo: Combo, n: number): void {
  const chart = new Chart(app, 'services');
  for (let i = 0; i < n; i++) benchService(chart, combo, serviceName(i), 'team');
}

function chartPerService(app: App, combo: Combo, n: number): void {
  for (let i = 0; i < n; i++) benchService(new Chart(app, serviceName(i)), combo, serviceName(i), namespaceOf(i));
}

/**
 * A chart per service whose pods read a ConfigMap and a Secret declared before them, in a chart
 * of their own, and a ConfigMap declared after every service (Argo Rollouts puts the checksum of
 * their data on the pod template); Argo Rollouts with the pod template inline in the Rollout; Flux
 * marks on what the controller rewrites.
 */
function withConfiguration(app: App, combo: Combo, n: number): void {
  const before = new Chart(app, 'configuration');
  const services = [...Array(n).keys()].map((i) => {
    const metadata = { name: `${serviceName(i)}-settings`, namespace: namespaceOf(i) };
    const settings = new kplus.ConfigMap(before, `settings-${i}`, { metadata, data: { MESSAGE: `hello ${i}` } });
    const secret = new kplus.Secret(before, `secret-${i}`, { metadata, stringData: { TOKEN: `token-${i}` } });
    return benchService(new Chart(app, serviceName(i)), combo, serviceName(i), namespaceOf(i), {
      gitOps: GitOps.fluxCd(),
      inlineTemplate: true,
      envFrom: [kplus.Env.fromConfigMap(settings), kplus.Env.fromSecret(secret)],
    });
  });
  const after = new Chart(app, 'late-configuration');
  services.forEach((service, i) => {
    const late = new kplus.ConfigMap(after, `late-${i}`, { metadata: { name: `${serviceName(i)}-late`, namespace: namespaceOf(i) }, data: { LATE: `${i}` } });
    service.deployment.containers[0].env.copyFrom(kplus.Env.fromConfigMap(late));
  });
}

const LAYOUTS: Layout[] = [
  // app.synth() renders each chart after walking the whole app (cdk8s), so it is linear only with
  // a fixed number of charts: every service in one namespace, whose add-ons share one chart.
  { name: 'one namespace, one Chart, app.synth()', declare: oneNamespace, synth: (app) => app.synth() },
  { name: 'one Chart, FastSynth', declare: oneChart, synth: (app) => FastSynth.synth(app) },
  { name: 'Chart per service, FastSynth', declare: chartPerService, synth: (app) => FastSynth.synth(app) },
  { name: 'Chart per service, FastSynth, pods reading configuration, Flux, inline template', declare: withConfiguration, synth: (app) => FastSynth.synth(app) },
];

/** The counters whose work per service grows by more than the tolerance from SMALL to LARGE, described. */
function superlinear(small: Work, large: Work): string[] {
  return COUNTERS.flatMap((counter) => {
    const perSmall = small[counter] / SMALL;
    const perLarge = large[counter] / LARGE;
    const growth = perLarge / perSmall;
    return growth > TOLERANCE
      ? [`${counter}: ${perSmall.toFixed(1)} per service at N=${SMALL}, ${perLarge.toFixed(1)} at N=${LARGE} (x${growth.toFixed(2)}, at most x${TOLERANCE})`]
      : [];
  });
}

function measure(layout: Layout, combo: Combo): { small: Work; large: Work } {
  return {
    small: workOf((app) => layout.declare(app, combo, SMALL), layout.synth),
    large: workOf((app) => layout.declare(app, combo, LARGE), layout.synth),
  };
}

describe.each(LAYOUTS.map((layout) => [layout.name, layout] as const))('%s', (_name, layout) => {
  test.each([...COMBOS])('%s: the work per service does not grow with the number of services', (combo) => {
    const { small, large } = measure(layout, combo);
    // The counters count: every synthesis walks the tree, renders objects and produces lazy values.
    for (const counter of COUNTERS) expect(small[counter]).toBeGreaterThan(0);
    expect(superlinear(small, large)).toEqual([]);
  }, CASE_TIMEOUT_MS);
});

describe('the guard itself', () => {
  /** A construct that searches the whole app when its object is rendered, as one per service would. */
  class SearchesTheApp extends Construct {
    constructor(scope: Construct, id: string) {
      super(scope, id);
      new ApiObject(this, 'Resource', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: id },
        data: { objects: Lazy.any({ produce: () => String(this.node.root.node.findAll().filter(ApiObject.isApiObject).length) }) },
      });
    }
  }

  test('flags a per-service search of the app, in the counter it shows in, with the numbers', () => {
    const quadratic: Layout = {
      name: 'one Chart, a search of the app per service',
      declare: (app, combo, n) => {
        oneChart(app, combo, n);
        const chart = app.node.findChild('services') as Chart;
        for (let i = 0; i < n; i++) new SearchesTheApp(chart, `search-${i}`);
      },
      synth: (app) => FastSynth.synth(app),
    };
    const problems = superlinear(...Object.values(measure(quadratic, 'flagger-traefik')) as [Work, Work]);
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^nodes: [0-9.]+ per service at N=${SMALL}, [0-9.]+ at N=${LARGE} \\(x[0-9.]+, at most x${TOLERANCE}\\)$`))]);
  }, CASE_TIMEOUT_MS);

  test('lets linear work through: a fixed part and a part per service', () => {
    const linear = (n: number): Work => ({ nodes: 5000 + 300 * n, renders: 40 + 12 * n, lazies: 100 + 80 * n });
    expect(superlinear(linear(SMALL), linear(LARGE))).toEqual([]);
    expect(superlinear(linear(SMALL), { ...linear(LARGE), renders: linear(LARGE).renders + LARGE * LARGE })).toEqual([
      expect.stringMatching(/^renders: /),
    ]);
  });
});
