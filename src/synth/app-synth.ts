import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, DependencyGraph, Names, YamlOutputType } from 'cdk8s';
import { IConstruct, Node } from 'constructs';
import { headerText, markDocuments, wrappedToJson } from './header-marks';
import { judgeWhenRendered, judgingAtValidation, renderedObjectProblems } from './object-validity';
import { endSynthesisPass } from './synthesis-pass';
import { saveYaml, stringifyYaml } from './yaml-writer';

/*
 * What `App.synth()` and `App.synthYaml()` of cdk8s 2.70 do, in the same order and with the same
 * public building blocks (`DependencyGraph`, `ApiObject.toJson()`, `Names.toDnsLabel()`), less two
 * costs:
 *
 * - cdk8s renders each chart with `Chart.toJson()`, which first walks the whole app again (it
 *   infers dependencies and validates every construct), so an app of C charts and n constructs
 *   costs O(C * n). Here the app is prepared once, as the first `Chart.toJson()` does, and every
 *   chart is then rendered from its own subtree: O(n).
 * - YAML is written by yaml-writer.ts, which prints what cdk8s's `Yaml.stringify()` prints,
 *   without building a syntax tree first.
 * - The objects cdk8s-canary emits are judged (object-validity.ts) from the manifests rendered
 *   here, before any file is written, instead of being rendered once more by the validation.
 *
 * The module-private helpers of cdk8s's app.js are copied below (`validate`, `resolveDependencies`,
 * `chartToKube`, the chart namers), because cdk8s does not export them.
 */

const PREFIX = 'FastSynth';

/**
 * Fingerprint of the cdk8s methods whose behaviour this module reproduces (App.synth,
 * App.synthYaml, App._synthChart, Chart.toJson and the App.charts getter), taken from cdk8s 2.70.106.
 * If a cdk8s release changes any of them, FastSynth refuses to run rather than write different
 * output; test/synth compares both outputs and tells when the copy below needs updating.
 */
const VERIFIED_FINGERPRINT = 'dc32f33db508584e48e5dba809944954';
const VERIFIED_VERSION = '2.70.106';

/** Counts that change when constructs or dependencies are added. */
interface TreeShape {
  readonly constructs: number;
  readonly dependencies: number;
}

/** Memoizes `node.findAll()` for one pass, as cdk8s's `SynthRequestCache` does. */
class FindAllCache {
  private readonly cache = new Map<Node, IConstruct[]>();

  public findAll(node: Node): IConstruct[] {
    let found = this.cache.get(node);
    if (!found) {
      found = node.findAll();
      this.cache.set(node, found);
    }
    return found;
  }
}

function normalizedSource(fn: unknown): string {
  return typeof fn === 'function' ? fn.toString().replace(/\s+/g, ' ') : 'missing';
}

/** The fingerprint of the cdk8s methods that FastSynth reproduces, in this process's cdk8s. */
export function cdk8sFingerprint(): string {
  const charts = Object.getOwnPropertyDescriptor(App.prototype, 'charts')?.get;
  const sources = [
    App.prototype.synth,
    App.prototype.synthYaml,
    (App as any)._synthChart,
    Chart.prototype.toJson,
    charts,
  ].map(normalizedSource);
  return createHash('sha256').update(sources.join('\n')).digest('hex').slice(0, 32);
}

function cdk8sVersion(): string {
  return (App as any)[Symbol.for('jsii.rtti')]?.version ?? 'unknown';
}

/** Throws unless FastSynth renders this app exactly as cdk8s would. */
export function checkSupported(app: App, method: 'synth' | 'synthYaml'): void {
  if (!(app instanceof App)) {
    throw new Error(`${PREFIX}: the app is not a cdk8s App of the cdk8s copy cdk8s-canary loads (two copies of cdk8s are installed?): call app.${method}() instead`);
  }
  if (app[method] !== App.prototype[method]) {
    throw new Error(`${PREFIX}: ${app.constructor.name} overrides ${method}(), and FastSynth would skip what it adds: call app.${method}() instead`);
  }
  const fingerprint = cdk8sFingerprint();
  if (fingerprint !== VERIFIED_FINGERPRINT) {
    throw new Error(`${PREFIX}: cdk8s ${cdk8sVersion()} synthesizes differently from cdk8s ${VERIFIED_VERSION}, the version FastSynth reproduces (fingerprint ${fingerprint}, expected ${VERIFIED_FINGERPRINT}): call app.${method}() instead, or use a cdk8s-canary release verified against this cdk8s`);
  }
  if (method === 'synth') {
    const record = (app as any).recordConstructMetadata;
    if (typeof record !== 'boolean') {
      throw new Error(`${PREFIX}: cannot tell whether cdk8s ${cdk8sVersion()} records construct metadata: call app.synth() instead`);
    }
  }
}

// ---- copies of the module-private helpers of cdk8s/lib/app.js (2.70.106) ----

function validate(app: App, cache: FindAllCache): void {
  const errors: string[] = [];
  for (const child of cache.findAll(app.node)) {
    for (const error of child.node.validate()) {
      errors.push(`[${child.node.path}] ${error}`);
    }
  }
  if (errors.length > 0) {
    throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
  }
}

/**
 * `validate(app)`, with the objects cdk8s-canary emits judged later, from the manifests the
 * synthesis renders (object-validity.ts). When another validation fails, the app is validated
 * again with them judged, so that the message is the one `app.synth()` throws.
 */
function validateApp(app: App, cache: FindAllCache): void {
  try {
    validate(app, cache);
  } catch (error) {
    judgingAtValidation(app, () => validate(app, cache));
    throw error;
  }
}

function buildDependencies(app: App, cache: FindAllCache): { source: IConstruct; target: IConstruct }[] {
  const deps: { source: IConstruct; target: IConstruct }[] = [];
  for (const child of cache.findAll(app.node)) {
    for (const dep of child.node.dependencies) {
      deps.push({ source: child, target: dep });
    }
  }
  return deps;
}

function resolveDependencies(app: App, cache: FindAllCache): boolean {
  let hasDependantCharts = false;
  // an explicit chart dependency from nested chart relationships
  for (const parentChart of cache.findAll(app.node).filter((x) => x instanceof Chart)) {
    for (const childChart of parentChart.node.children.filter((x) => x instanceof Chart)) {
      parentChart.node.addDependency(childChart);
      hasDependantCharts = true;
    }
  }
  // an explicit chart dependency from implicit construct dependencies
  for (const dep of buildDependencies(app, cache)) {
    const sourceChart = Chart.of(dep.source);
    const targetChart = Chart.of(dep.target);
    if (sourceChart !== targetChart) {
      sourceChart.node.addDependency(targetChart);
      hasDependantCharts = true;
    }
  }
  // explicit api object dependencies from implicit construct dependencies
  for (const dep of buildDependencies(app, cache)) {
    const sourceChart = Chart.of(dep.source);
    const targetChart = Chart.of(dep.target);
    const targetApiObjects = cache.findAll(dep.target.node).filter((c) => c instanceof ApiObject).filter((x) => Chart.of(x) === targetChart);
    const sourceApiObjects = cache.findAll(dep.source.node).filter((c) => c instanceof ApiObject).filter((x) => Chart.of(x) === sourceChart);
    for (const target of targetApiObjects) {
      for (const source of sourceApiObjects) {
        if (target !== source) {
          source.node.addDependency(target);
        }
      }
    }
  }
  return hasDependantCharts;
}

function chartToKube(chart: Chart): ApiObject[] {
  return new DependencyGraph(chart.node).topology()
    .filter((x) => x instanceof ApiObject)
    .filter((x) => Chart.of(x) === chart) as ApiObject[];
}

/** `SimpleChartNamer` / `IndexedChartNamer` (and their folder twins, which are the same). */
class ChartNamer {
  private index = 0;

  constructor(private readonly indexed: boolean) {}

  public name(chart: Chart): string {
    if (!this.indexed) {
      return Names.toDnsLabel(chart);
    }
    const name = `${this.index.toString().padStart(4, '0')}-${Names.toDnsLabel(chart)}`;
    this.index++;
    return name;
  }
}

function resourceFileName(apiObject: { kind: string; metadata: { name?: string } }): string {
  return `${apiObject.kind}.${apiObject.metadata.name}`.replace(/[^0-9a-zA-Z-_.]/g, '');
}

// ---- the one change: prepare the app once, not once per chart ----

function shapeOf(app: App): TreeShape {
  let constructs = 0;
  let dependencies = 0;
  for (const c of app.node.findAll()) {
    constructs++;
    dependencies += c.node.dependencies.length;
  }
  return { constructs, dependencies };
}

/**
 * Renders charts as `Chart.toJson()` does. The first render prepares the app as every
 * `Chart.toJson()` would (infer dependencies, then validate); the following ones reuse that, which
 * is what makes FastSynth linear. A chart class that overrides `toJson()` is asked for its own.
 */
class ChartRenderer {
  private prepared?: TreeShape;
  /** The manifest of every object rendered. */
  private readonly rendered = new Map<ApiObject, any>();

  constructor(private readonly app: App) {}

  public toJson(chart: Chart): any[] {
    // The generated-file header wraps a chart's own toJson(): render what it wraps, then mark it.
    const own = wrappedToJson(chart);
    if ((own ?? chart.toJson) !== Chart.prototype.toJson) {
      return chart.toJson();
    }
    if (!this.prepared) {
      const cache = new FindAllCache();
      resolveDependencies(this.app, cache);
      validateApp(this.app, cache);
      this.prepared = shapeOf(this.app);
    }
    const docs = chartToKube(chart).map((obj) => this.render(obj));
    return own ? markDocuments(docs, headerText(this.app), this.app.yamlOutputType === YamlOutputType.FILE_PER_RESOURCE) : docs;
  }

  /** `obj.toJson()`, kept for `judge()`. */
  public render(obj: ApiObject): any {
    const manifest = obj.toJson();
    this.rendered.set(obj, manifest);
    return manifest;
  }

  /**
   * Throws what `app.synth()` throws if an object cdk8s-canary emits has a field the API server
   * rejects (judged from the manifests rendered; an object of a chart that renders itself is
   * rendered once more), or if rendering failed (`error`) on a value the validation reports.
   */
  public judge(error?: unknown): void {
    const problems = error === undefined
      ? renderedObjectProblems(this.app, (obj) => (this.rendered.has(obj) ? this.rendered.get(obj) : obj.toJson()))
      : [];
    if (error === undefined && problems.length === 0) return;
    // The validation with the objects judged gives app.synth()'s message, other problems included.
    judgingAtValidation(this.app, () => validate(this.app, new FindAllCache()));
    if (error !== undefined) throw error;
    throw new Error(`Validation failed with the following errors:\n  ${problems.join('\n  ')}`);
  }

  /**
   * cdk8s prepares the app again before each chart, which only matters if rendering a chart added
   * constructs or dependencies (a `Lazy` that creates constructs). Refuse that case.
   */
  public checkUnchanged(): void {
    if (!this.prepared) {
      return;
    }
    const now = shapeOf(this.app);
    if (now.constructs !== this.prepared.constructs || now.dependencies !== this.prepared.dependencies) {
      throw new Error(`${PREFIX}: rendering the charts changed the app (${this.prepared.constructs} -> ${now.constructs} constructs, ${this.prepared.dependencies} -> ${now.dependencies} dependencies; a Lazy value that adds constructs?). app.synth() prepares the app again before every chart and may write different output: call app.synth() instead`);
    }
  }
}

/** `App.synth()`, linear in the size of the app. */
export function synthApp(app: App): void {
  try {
    judgeWhenRendered(app, () => writeApp(app));
  } finally {
    // Objects rendered by hand from here on look the app up afresh (synthesis-pass.ts).
    endSynthesisPass(app);
  }
}

/** A file to write, or a folder to create, once every chart is rendered and judged. */
type Output = { readonly file: string; readonly docs: any[] } | { readonly folder: string };

function writeApp(app: App): void {
  fs.mkdirSync(app.outdir, { recursive: true });
  const cache = new FindAllCache();
  validateApp(app, cache);
  const hasDependantCharts = resolveDependencies(app, cache);
  const charts = app.charts;
  const renderer = new ChartRenderer(app);
  let outputs: Output[];
  try {
    outputs = renderApp(app, charts, hasDependantCharts, renderer);
  } catch (error) {
    renderer.judge(error);
    throw error;
  }
  renderer.checkUnchanged();
  renderer.judge();
  for (const output of outputs) {
    if ('folder' in output) fs.mkdirSync(output.folder, { recursive: true });
    else saveYaml(output.file, output.docs);
  }

  if ((app as any).recordConstructMetadata === true) {
    const resources: { [name: string]: { path: string } } = {};
    for (const apiObject of app.charts.flatMap(chartToKube)) {
      resources[apiObject.name] = { path: apiObject.node.path };
    }
    fs.writeFileSync(path.join(app.outdir, 'construct-metadata.json'), JSON.stringify({ version: '1.0.0', resources }));
  }
}

/** What `App.synth()` writes, in its order: each chart rendered as it does. */
function renderApp(app: App, charts: Chart[], hasDependantCharts: boolean, renderer: ChartRenderer): Output[] {
  const outputs: Output[] = [];
  const ext = app.outputFileExtension;
  switch (app.yamlOutputType) {
    case YamlOutputType.FILE_PER_APP: {
      const apiObjectsList: any[] = [];
      for (const chart of charts) {
        apiObjectsList.push(...Object.values(renderer.toJson(chart)));
      }
      if (charts.length > 0) {
        outputs.push({ file: path.join(app.outdir, `app${ext}`), docs: apiObjectsList });
      }
      break;
    }
    case YamlOutputType.FILE_PER_CHART: {
      const namer = new ChartNamer(hasDependantCharts);
      for (const chart of charts) {
        const chartName = namer.name(chart);
        outputs.push({ file: path.join(app.outdir, chartName + ext), docs: Object.values(renderer.toJson(chart)) });
      }
      break;
    }
    case YamlOutputType.FILE_PER_RESOURCE:
      for (const chart of charts) {
        for (const apiObject of Object.values(renderer.toJson(chart))) {
          if (apiObject !== undefined) {
            outputs.push({ file: path.join(app.outdir, resourceFileName(apiObject) + ext), docs: [apiObject] });
          }
        }
      }
      break;
    case YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE: {
      // cdk8s renders the objects directly here, without Chart.toJson(): nothing to save.
      const namer = new ChartNamer(hasDependantCharts);
      for (const chart of charts) {
        const fullOutDir = path.join(app.outdir, namer.name(chart));
        outputs.push({ folder: fullOutDir });
        for (const apiObject of chartToKube(chart)) {
          if (apiObject !== undefined) {
            outputs.push({ file: path.join(fullOutDir, resourceFileName(apiObject) + ext), docs: [renderer.render(apiObject)] });
          }
        }
      }
      break;
    }
    default:
      // cdk8s writes nothing for a value outside YamlOutputType; nor does FastSynth.
      break;
  }
  return outputs;
}

/** `App.synthYaml()`, linear in the size of the app. */
export function synthAppYaml(app: App): string {
  try {
    return judgeWhenRendered(app, () => renderAppYaml(app));
  } finally {
    endSynthesisPass(app);
  }
}

function renderAppYaml(app: App): string {
  const cache = new FindAllCache();
  resolveDependencies(app, cache);
  validateApp(app, cache);
  const renderer = new ChartRenderer(app);
  const docs: any[] = [];
  try {
    for (const chart of app.charts) {
      docs.push(...Object.values(renderer.toJson(chart)));
    }
  } catch (error) {
    renderer.judge(error);
    throw error;
  }
  renderer.checkUnchanged();
  renderer.judge();
  return stringifyYaml(docs);
}
