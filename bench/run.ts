/*
 * The synthesis benchmark (issue 5). From the repository root:
 *
 *   ts-node --project tsconfig.dev.json bench/run.ts [--n 1,10,100,1000] [--json out.json]
 *       [--combos flagger-traefik,argo-istio,...] [--cases lib-1-fast,plain-1-fast,...] [--reps 3]
 *       [--reps-large 2] [--skip-slow] [--verify] [--smoke] [--profile <dir>]
 *
 * It compiles src/ and bench/ with tsc, measures the cold `require` of the compiled library against
 * cdk8s-plus-28 alone, then runs every case in a fresh `node` process of its own (so that JIT, heap
 * and peak RSS of one case do not leak into another), repeating the rounds and keeping the median.
 * It prints a table, the ratios to the baselines and the budgets, and writes them as JSON with
 * `--json`. `--smoke` (CI) runs N = 10 once and checks the outputs; it fails only if a case
 * crashes or FastSynth writes something else than `app.synth()`, never on a budget.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CACHE_DIR, OUT_DIR, REPO, compile } from './compile';
import { CaseResult, RESULT_PREFIX } from './measure';
import { COMBOS, Combo, Layout, SERVICES_PER_NAMESPACE } from './services';

// ---- options ----

interface Options {
  readonly ns: number[];
  readonly combos: Combo[];
  /** The case ids to run (all by default). */
  readonly cases: string[];
  readonly reps: number;
  readonly repsLarge: number;
  readonly skipSlow: boolean;
  readonly verify: boolean;
  readonly smoke: boolean;
  readonly json?: string;
  readonly profile?: string;
}

function usage(): string {
  return `usage: ts-node --project tsconfig.dev.json bench/run.ts [options]
  --n 1,10,100,1000     the numbers of services
  --combos a,b          engine x router combinations (default: all): ${COMBOS.join(', ')}
  --cases a,b           cases (default: all): ${CASES.map((c) => c.id).join(', ')}
  --reps 3              rounds for N < 1000
  --reps-large 2        rounds for N >= 1000 (the slow cases run once there)
  --skip-slow           skip app.synth() with a Chart per service at N >= 1000 (quadratic in cdk8s)
  --verify              parse every output back and compare the objects
  --smoke               CI: --n 10 --reps 1 --reps-large 1 --verify; fails only on crashes and outputs
  --json out.json       write everything as JSON
  --profile dir         a V8 CPU profile per case (summarize with bench/profile.ts)`;
}

const FLAGS_WITH_VALUE = ['--n', '--combos', '--cases', '--reps', '--reps-large', '--json', '--profile'];
const SWITCHES = ['--skip-slow', '--verify', '--smoke'];

function parseOptions(argv: string[]): Options {
  argv.forEach((arg, i) => {
    const isValue = i > 0 && FLAGS_WITH_VALUE.includes(argv[i - 1]);
    if (!isValue && !FLAGS_WITH_VALUE.includes(arg) && !SWITCHES.includes(arg)) throw new Error(`unknown option '${arg}'\n${usage()}`);
  });
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
    return argv[i + 1];
  };
  const smoke = argv.includes('--smoke');
  const ns = (value('--n') ?? (smoke ? '10' : '1,10,100,1000')).split(',').map(Number);
  if (ns.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--n: positive integers, comma-separated (${value('--n')})`);
  const combos = (value('--combos') ?? COMBOS.join(',')).split(',') as Combo[];
  for (const combo of combos) {
    if (!COMBOS.includes(combo)) throw new Error(`--combos: one of ${COMBOS.join(', ')} (${combo})`);
  }
  const cases = (value('--cases') ?? CASES.map((c) => c.id).join(',')).split(',');
  for (const id of cases) {
    if (!CASES.some((c) => c.id === id)) throw new Error(`--cases: one of ${CASES.map((c) => c.id).join(', ')} (${id})`);
  }
  const reps = Number(value('--reps') ?? (smoke ? 1 : 3));
  const repsLarge = Number(value('--reps-large') ?? (smoke ? 1 : 2));
  if (![reps, repsLarge].every((r) => Number.isInteger(r) && r >= 1)) throw new Error('--reps, --reps-large: at least 1');
  return {
    ns,
    combos,
    cases,
    reps,
    repsLarge,
    skipSlow: argv.includes('--skip-slow'),
    verify: smoke || argv.includes('--verify'),
    smoke,
    json: value('--json'),
    profile: value('--profile'),
  };
}

// ---- cases ----

type Kind = 'lib' | 'plain' | 'floor';
type Synth = 'app' | 'fast';

interface CaseDef {
  readonly id: string;
  readonly kind: Kind;
  readonly layout: Layout;
  readonly synth: Synth;
  /** `app.synth()` of many charts: quadratic, measured once at N >= 1000 (skipped with --skip-slow). */
  readonly slow: boolean;
  readonly label: string;
}

const CASES: CaseDef[] = [
  { id: 'lib-1-app', kind: 'lib', layout: 'one-chart', synth: 'app', slow: false, label: 'cdk8s-canary, one Chart, app.synth()' },
  { id: 'lib-1-fast', kind: 'lib', layout: 'one-chart', synth: 'fast', slow: false, label: 'cdk8s-canary, one Chart, FastSynth' },
  { id: 'lib-N-app', kind: 'lib', layout: 'chart-per-service', synth: 'app', slow: true, label: 'cdk8s-canary, Chart per service, app.synth()' },
  { id: 'lib-N-fast', kind: 'lib', layout: 'chart-per-service', synth: 'fast', slow: false, label: 'cdk8s-canary, Chart per service, FastSynth' },
  { id: 'plain-1-app', kind: 'plain', layout: 'one-chart', synth: 'app', slow: false, label: 'plain ApiObjects, one Chart, app.synth()' },
  { id: 'plain-1-fast', kind: 'plain', layout: 'one-chart', synth: 'fast', slow: false, label: 'plain ApiObjects, one Chart, FastSynth' },
  { id: 'plain-N-app', kind: 'plain', layout: 'chart-per-service', synth: 'app', slow: true, label: 'plain ApiObjects, Chart per service, app.synth()' },
  { id: 'plain-N-fast', kind: 'plain', layout: 'chart-per-service', synth: 'fast', slow: false, label: 'plain ApiObjects, Chart per service, FastSynth' },
  { id: 'yaml-1', kind: 'floor', layout: 'one-chart', synth: 'app', slow: false, label: 'YAML only, cdk8s Yaml.save(), one file' },
  { id: 'yaml-N', kind: 'floor', layout: 'chart-per-service', synth: 'app', slow: false, label: 'YAML only, cdk8s Yaml.save(), file per service' },
  { id: 'floor-1', kind: 'floor', layout: 'one-chart', synth: 'fast', slow: false, label: 'floor: YAML only, FastSynth writer, one file' },
  { id: 'floor-N', kind: 'floor', layout: 'chart-per-service', synth: 'fast', slow: false, label: 'floor: YAML only, FastSynth writer, file per service' },
];

interface Measured extends CaseResult {
  readonly canonical?: string;
}

interface CaseSummary {
  readonly combo: Combo;
  readonly n: number;
  readonly id: string;
  readonly label: string;
  readonly reps: number;
  /** The repetition with the median total time (its construct/synth split). */
  readonly median: Measured;
  /** Peak RSS, the highest of the repetitions. */
  readonly peakRssMiB: number;
  readonly totals: number[];
}

// ---- running workers ----

class CaseFailure extends Error {}

function runWorker(script: string, args: object, profileDir?: string): Measured {
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const result = spawnSync(process.execPath, [...nodeArgs, path.join(OUT_DIR, 'bench', script), JSON.stringify(args)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = result.stdout?.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (result.status !== 0 || !line) {
    throw new CaseFailure(`${script} ${JSON.stringify(args)} failed (exit ${result.status}${result.signal ? `, ${result.signal}` : ''}):\n${result.stderr}${result.stdout}`);
  }
  return JSON.parse(line.slice(RESULT_PREFIX.length));
}

function runCase(def: CaseDef, combo: Combo, n: number, opts: Options, rep: number): Measured {
  const out = path.join(os.tmpdir(), `cdk8s-canary-bench-${process.pid}`, `${combo}-${n}-${def.id}`);
  const profileDir = opts.profile ? path.resolve(opts.profile, `${combo}-${n}-${def.id}-${rep}`) : undefined;
  if (def.kind === 'lib') {
    return runWorker('worker-lib.js', { kind: 'services', combo, layout: def.layout, n, synth: def.synth, out, verify: opts.verify }, profileDir);
  }
  return runWorker('worker-plain.js', { kind: def.kind, template: templateFile(combo), layout: def.layout, n, synth: def.synth, out, verify: opts.verify }, profileDir);
}

function templateFile(combo: Combo): string {
  return path.join(CACHE_DIR, `template-${combo}.json`);
}

function makeTemplates(combos: Combo[]): void {
  for (const combo of combos) {
    const result = spawnSync(process.execPath, [path.join(OUT_DIR, 'bench', 'worker-lib.js'), JSON.stringify({ kind: 'template', combo, out: templateFile(combo) })], { encoding: 'utf8' });
    if (result.status !== 0) throw new CaseFailure(`template for ${combo} failed:\n${result.stderr}`);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// ---- cold import ----

interface ImportResult {
  readonly target: string;
  readonly medianMs: number;
  /** CPU time of the require (user + system): less sensitive than wall time to other processes. */
  readonly medianCpuMs: number;
  readonly runsMs: number[];
  readonly modules: number;
  readonly loadsCdktf: boolean;
}

const IMPORT_PROBE = `
const cpu = process.cpuUsage();
const t = process.hrtime.bigint();
require(process.argv[1]);
const ms = Number(process.hrtime.bigint() - t) / 1e6;
const used = process.cpuUsage(cpu);
const modules = Object.keys(require.cache);
console.log(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000, modules: modules.length, loadsCdktf: modules.some((m) => m.includes('/node_modules/cdktf/')) }));
`;

function measureImports(reps: number): { lib: ImportResult; plus: ImportResult } {
  const targets = {
    lib: path.join(OUT_DIR, 'src', 'index.js'),
    plus: require.resolve('cdk8s-plus-28', { paths: [REPO] }),
  };
  const runs: { [k in keyof typeof targets]: { ms: number; cpuMs: number; modules: number; loadsCdktf: boolean }[] } = { lib: [], plus: [] };
  for (let i = 0; i < reps; i++) {
    for (const key of (i % 2 ? ['plus', 'lib'] : ['lib', 'plus']) as (keyof typeof targets)[]) {
      const result = spawnSync(process.execPath, ['-e', IMPORT_PROBE, targets[key]], { encoding: 'utf8', cwd: REPO });
      if (result.status !== 0) throw new CaseFailure(`require('${targets[key]}') failed:\n${result.stderr}`);
      runs[key].push(JSON.parse(result.stdout.trim()));
    }
  }
  const summary = (key: keyof typeof targets): ImportResult => ({
    target: key === 'lib' ? "require('cdk8s-canary') (compiled src/)" : "require('cdk8s-plus-28')",
    medianMs: median(runs[key].map((r) => r.ms)),
    medianCpuMs: median(runs[key].map((r) => r.cpuMs)),
    runsMs: runs[key].map((r) => r.ms),
    modules: runs[key][0].modules,
    loadsCdktf: runs[key].some((r) => r.loadsCdktf),
  });
  return { lib: summary('lib'), plus: summary('plus') };
}

// ---- report ----

interface Budget {
  readonly name: string;
  readonly limit: string;
  readonly value: string;
  readonly met: boolean | undefined;
  readonly note: string;
}

function fmt(ms: number): string {
  return ms >= 10000 ? ms.toFixed(0) : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}

function showRatio(r: number | undefined): string {
  return r === undefined ? '-' : `${r.toFixed(2)}x`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r, i) => {
    const line = r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ');
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}` : line;
  }).join('\n');
}

function main(): number {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usage());
    return 0;
  }
  const opts = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  const versionOf = (pkg: string) => JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`, { paths: [REPO] }), 'utf8')).version;
  const versions = {
    'cdk8s': versionOf('cdk8s'),
    'cdk8s-plus-28': versionOf('cdk8s-plus-28'),
    'constructs': versionOf('constructs'),
    'yaml (bundled by cdk8s)': JSON.parse(fs.readFileSync(require.resolve('yaml/package.json', { paths: [path.dirname(require.resolve('cdk8s', { paths: [REPO] }))] }), 'utf8')).version,
    'typescript': versionOf('typescript'),
  };
  console.log(`machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}`);
  console.log(`versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`services: the declaration of examples/shared/podinfo.ts, ${SERVICES_PER_NAMESPACE} per namespace (team namespaces; the loadtester and Prometheus are shared per namespace)`);

  console.log('\ncompiling src/ and bench/ (tsc, incremental) ...');
  compile();

  const importReps = opts.smoke ? 3 : 7;
  console.log(`cold import, ${importReps} fresh processes each ...`);
  const imports = measureImports(importReps);
  makeTemplates(opts.combos);

  const summaries: CaseSummary[] = [];
  const problems: string[] = [];
  for (const n of opts.ns) {
    for (const combo of opts.combos) {
      const large = n >= 1000;
      const defs = CASES.filter((d) => opts.cases.includes(d.id) && !(d.slow && large && opts.skipSlow));
      const reps = large ? opts.repsLarge : opts.reps;
      const runs = new Map<string, Measured[]>(defs.map((d) => [d.id, []]));
      process.stdout.write(`N=${n} ${combo}:`);
      for (let rep = 0; rep < reps; rep++) {
        // Rotate the order every round, so that no case always runs right after the same one.
        const order = defs.map((_, i) => defs[(i + rep) % defs.length]);
        for (const def of order) {
          if (def.slow && large && rep > 0) continue;
          runs.get(def.id)!.push(runCase(def, combo, n, opts, rep));
          process.stdout.write('.');
        }
      }
      process.stdout.write('\n');
      for (const def of defs) {
        const measured = runs.get(def.id)!;
        const totals = measured.map((m) => m.totalMs);
        // The repetition with the median total (the lower middle one of an even number).
        const mid = [...measured].sort((a, b) => a.totalMs - b.totalMs)[Math.floor((measured.length - 1) / 2)];
        const peakRssMiB = Math.max(...measured.map((m) => m.peakRssMiB));
        summaries.push({ combo, n, id: def.id, label: def.label, reps: measured.length, median: mid, peakRssMiB, totals });
      }
      problems.push(...checkOutputs(summaries.filter((s) => s.combo === combo && s.n === n), opts.verify));
    }
  }

  const get = (combo: Combo, n: number, id: string) => summaries.find((s) => s.combo === combo && s.n === n && s.id === id);
  const total = (combo: Combo, n: number, id: string) => get(combo, n, id)?.median.totalMs;

  // ---- the table ----
  const rows: string[][] = [['combo', 'N', 'case', 'construct ms', 'synth ms', 'total ms', 'cpu ms', 'peak RSS MiB', 'files', 'x plain', 'x floor', 'reps']];
  for (const s of summaries) {
    const def = CASES.find((d) => d.id === s.id)!;
    const layout = def.layout === 'one-chart' ? '1' : 'N';
    rows.push([
      s.combo, String(s.n), s.label,
      fmt(s.median.constructMs), fmt(s.median.synthMs), fmt(s.median.totalMs), fmt(s.median.cpuMs),
      s.peakRssMiB.toFixed(0), String(s.median.files),
      showRatio(ratio(s.median.totalMs, total(s.combo, s.n, `plain-${layout}-app`))),
      showRatio(ratio(s.median.totalMs, total(s.combo, s.n, `floor-${layout}`))),
      String(s.reps),
    ]);
  }
  console.log('\nmedian of the repetitions; x plain: total / plain ApiObjects with app.synth() in the same layout;');
  console.log("x floor: total / the floor (the same manifests serialized by FastSynth's writer, the fastest way to the same bytes), same layout\n");
  console.log(table(rows));

  // ---- one line per combination at the largest N ----
  const top = Math.max(...opts.ns);
  const cell = (combo: Combo, id: string) => {
    const t = total(combo, top, id);
    return t === undefined ? '-' : fmt(t);
  };
  const summaryRows: string[][] = [[
    'combo', 'N', 'layout', 'cdk8s-canary FastSynth', 'plain FastSynth', 'like for like', 'floor', 'x floor', 'cdk8s-canary app.synth()', 'plain app.synth()',
  ]];
  for (const combo of opts.combos) {
    for (const layout of ['1', 'N']) {
      summaryRows.push([
        combo, String(top), layout === '1' ? 'one Chart' : 'Chart per service',
        cell(combo, `lib-${layout}-fast`), cell(combo, `plain-${layout}-fast`),
        showRatio(ratio(total(combo, top, `lib-${layout}-fast`), total(combo, top, `plain-${layout}-fast`))),
        cell(combo, `floor-${layout}`),
        showRatio(ratio(total(combo, top, `lib-${layout}-fast`), total(combo, top, `floor-${layout}`))),
        cell(combo, `lib-${layout}-app`), cell(combo, `plain-${layout}-app`),
      ]);
    }
  }
  console.log(`\nper combination at N=${top}, total ms (median); like for like: cdk8s-canary / plain ApiObjects, both through FastSynth; x floor: cdk8s-canary with FastSynth / the floor\n`);
  console.log(table(summaryRows));

  console.log(`\ncold import (median of ${importReps} fresh processes): ${imports.lib.target} ${fmt(imports.lib.medianMs)} ms, CPU ${fmt(imports.lib.medianCpuMs)} ms (${imports.lib.modules} modules${imports.lib.loadsCdktf ? ', LOADS cdktf' : ', cdktf not loaded'}), ${imports.plus.target} ${fmt(imports.plus.medianMs)} ms, CPU ${fmt(imports.plus.medianCpuMs)} ms (${imports.plus.modules} modules): ${showRatio(ratio(imports.lib.medianMs, imports.plus.medianMs))} wall, ${showRatio(ratio(imports.lib.medianCpuMs, imports.plus.medianCpuMs))} CPU`);

  // ---- ratios and budgets ----
  const budgets: Budget[] = [];
  const ratios: { [name: string]: number | undefined } = {};
  for (const combo of opts.combos) {
    for (const n of [100, 1000]) {
      const fast = ratio(total(combo, n, 'lib-1-fast'), total(combo, n, 'plain-1-app'));
      const app = ratio(total(combo, n, 'lib-1-app'), total(combo, n, 'plain-1-app'));
      ratios[`${combo} N=${n} one Chart: cdk8s-canary + FastSynth / plain + app.synth()`] = fast;
      ratios[`${combo} N=${n} one Chart: cdk8s-canary + app.synth() / plain + app.synth()`] = app;
      budgets.push({
        name: `${combo}: one Chart, N=${n}, total vs plain ApiObjects with app.synth()`,
        limit: '<= 1.3x',
        value: `${showRatio(fast)} with FastSynth (app.synth(): ${showRatio(app)})`,
        met: fast === undefined ? undefined : fast <= 1.3,
        note: 'cdk8s-canary as documented (FastSynth) against what a team writes by hand (ApiObjects, app.synth())',
      });
    }
    for (const layout of ['1', 'N'] as const) {
      const where = layout === '1' ? 'one Chart' : 'Chart per service';
      // Like for like: the same objects, both through FastSynth: what the library's constructs cost.
      const same = ratio(total(combo, 1000, `lib-${layout}-fast`), total(combo, 1000, `plain-${layout}-fast`));
      ratios[`${combo} N=1000 ${where}: cdk8s-canary + FastSynth / plain + FastSynth`] = same;
      budgets.push({
        name: `${combo}: ${where}, N=1000, like for like (both FastSynth) vs plain ApiObjects`,
        limit: '<= 1.3x',
        value: showRatio(same),
        met: same === undefined ? undefined : same <= 1.3,
        note: '',
      });
      const floor = ratio(total(combo, 1000, `lib-${layout}-fast`), total(combo, 1000, `floor-${layout}`));
      ratios[`${combo} N=1000 ${where}: cdk8s-canary + FastSynth / YAML floor`] = floor;
      budgets.push({
        name: `${combo}: ${where}, N=1000, FastSynth vs the YAML floor`,
        limit: '<= 3x',
        value: showRatio(floor),
        met: floor === undefined ? undefined : floor <= 3,
        note: '',
      });
    }
    const growth = ratio(total(combo, 1000, 'lib-1-fast'), total(combo, 100, 'lib-1-fast'));
    const growthApp = ratio(total(combo, 1000, 'lib-1-app'), total(combo, 100, 'lib-1-app'));
    ratios[`${combo} growth N=1000/N=100 one Chart, FastSynth`] = growth;
    ratios[`${combo} growth N=1000/N=100 one Chart, app.synth()`] = growthApp;
    budgets.push({ name: `${combo}: growth time(N=1000)/time(N=100), one Chart`, limit: '<= 12', value: `${growth?.toFixed(1) ?? '-'} with FastSynth (app.synth(): ${growthApp?.toFixed(1) ?? '-'})`, met: growth === undefined ? undefined : growth <= 12, note: '' });
    const rss = summaries.filter((s) => s.combo === combo && s.n === 1000 && s.id.startsWith('lib-'));
    const maxRss = rss.length ? Math.max(...rss.map((s) => s.peakRssMiB)) : undefined;
    budgets.push({ name: `${combo}: peak RSS at N=1000 (highest cdk8s-canary case)`, limit: '<= 512 MiB', value: maxRss === undefined ? '-' : `${maxRss.toFixed(0)} MiB`, met: maxRss === undefined ? undefined : maxRss <= 512, note: 'whole process: node, modules, app and output' });
    const perChart = ratio(total(combo, 1000, 'lib-N-fast'), total(combo, 1000, 'lib-1-fast'));
    const perChartApp = ratio(total(combo, 1000, 'lib-N-app'), total(combo, 1000, 'lib-1-app'));
    const plainPerChart = ratio(total(combo, 1000, 'plain-N-app'), total(combo, 1000, 'plain-1-app'));
    ratios[`${combo} N=1000 Chart per service / one Chart, FastSynth`] = perChart;
    ratios[`${combo} N=1000 Chart per service / one Chart, cdk8s-canary app.synth()`] = perChartApp;
    ratios[`${combo} N=1000 Chart per service / one Chart, plain app.synth()`] = plainPerChart;
    budgets.push({
      name: `${combo}: Chart per service vs one Chart, N=1000`,
      limit: '<= 2x',
      value: `${showRatio(perChart)} with FastSynth (app.synth(): cdk8s-canary ${showRatio(perChartApp)}, plain ApiObjects ${showRatio(plainPerChart)})`,
      met: perChart === undefined ? undefined : perChart <= 2,
      note: '',
    });
  }
  const importRatio = ratio(imports.lib.medianMs, imports.plus.medianMs);
  const importCpuRatio = ratio(imports.lib.medianCpuMs, imports.plus.medianCpuMs);
  ratios['cold import cdk8s-canary / cdk8s-plus-28'] = importRatio;
  ratios['cold import cdk8s-canary / cdk8s-plus-28, CPU time'] = importCpuRatio;
  budgets.push({
    name: 'cold import vs cdk8s-plus-28 alone',
    limit: '<= 1.5x',
    value: `${showRatio(importRatio)} wall (${fmt(imports.lib.medianMs)} vs ${fmt(imports.plus.medianMs)} ms), `
      + `${showRatio(importCpuRatio)} CPU${imports.lib.loadsCdktf ? ', loads cdktf' : ''}`,
    met: importRatio === undefined || importCpuRatio === undefined
      ? undefined
      : importRatio <= 1.5 && importCpuRatio <= 1.5 && !imports.lib.loadsCdktf,
    note: '',
  });

  console.log('\nbudgets (ratios measured in this run):');
  for (const b of budgets.filter((x) => x.met !== undefined)) {
    console.log(`  [${(b.met ? 'met' : 'MISSED').padEnd(6)}] ${b.name}: ${b.value} (budget ${b.limit})`);
  }
  const unmeasured = budgets.filter((b) => b.met === undefined).length;
  if (unmeasured > 0) console.log(`  (${unmeasured} budget(s) not measured: they need N=100 and N=1000 in the run)`);
  const missed = budgets.filter((b) => b.met === false);
  console.log(missed.length ? `\n${missed.length} budget(s) missed (this does not fail the run)` : '\nno budget missed');

  const elapsed = (Date.now() - started) / 1000;
  const loadAtEnd = os.loadavg().map((l) => Number(l.toFixed(2)));
  console.log(`\nload average at the end ${loadAtEnd.join(' ')}; ${elapsed.toFixed(0)} s in all`);

  if (problems.length) {
    console.error(`\nOUTPUT CHECKS FAILED:\n  ${problems.join('\n  ')}`);
  } else {
    console.log(`outputs: FastSynth wrote the same bytes as app.synth() in every case${opts.verify ? '; the plain baselines hold the same objects as cdk8s-canary (key order aside)' : ''}`);
  }

  if (opts.json) {
    const report = {
      machine: { ...machine, loadAverageAtEnd: loadAtEnd },
      versions,
      options: opts,
      imports,
      results: summaries,
      ratios,
      budgets,
      problems,
      elapsedSeconds: elapsed,
    };
    fs.writeFileSync(opts.json, JSON.stringify(report, undefined, 2));
    console.log(`wrote ${opts.json}`);
  }
  fs.rmSync(path.join(os.tmpdir(), `cdk8s-canary-bench-${process.pid}`), { recursive: true, force: true });
  return problems.length ? 1 : 0;
}

/** FastSynth must write exactly what app.synth() writes; the floor reuses cdk8s-canary's manifests. */
function checkOutputs(cases: CaseSummary[], verify: boolean): string[] {
  const problems: string[] = [];
  const by = (id: string) => cases.find((c) => c.id === id)?.median;
  const label = `${cases[0].combo} N=${cases[0].n}`;
  const same = (a: string, b: string, what: (x: Measured) => string | undefined, why: string) => {
    const x = by(a);
    const y = by(b);
    if (x && y && what(x) !== what(y)) problems.push(`${label}: ${a} and ${b} differ (${why})`);
  };
  for (const layout of ['1', 'N']) {
    same(`lib-${layout}-app`, `lib-${layout}-fast`, (m) => m.digest, 'FastSynth must write the bytes app.synth() writes');
    same(`plain-${layout}-app`, `plain-${layout}-fast`, (m) => m.digest, 'FastSynth must write the bytes app.synth() writes');
    same(`lib-${layout}-app`, `yaml-${layout}`, (m) => m.digest, 'the YAML-only case serializes cdk8s-canary\'s own manifests');
    same(`yaml-${layout}`, `floor-${layout}`, (m) => m.digest, 'FastSynth\'s writer must write the bytes Yaml.save() writes');
    if (verify) {
      same(`lib-${layout}-app`, `plain-${layout}-app`, (m) => m.canonical, 'the plain baseline must hold the same objects');
    }
  }
  return problems;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(e instanceof CaseFailure ? e.message : e);
  process.exitCode = 2;
}
