import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'js-yaml';

/**
 * Evaluates PromQL with Prometheus's own engine: `promtool test rules` from Debian's `prometheus`
 * package (2.42), which `npm test` installs when it can (scripts/test-tools.sh). Without promtool
 * the tests fail, everywhere, never skip.
 */

/** One input series in promtool's notation, e.g. `{ series: 'up{job="x"}', values: '0+10x100' }`. */
export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

/** What a query must return at `evalTime`: one sample with `value`, or (`value` undefined) no sample at all. */
export interface Expectation {
  readonly expr: string;
  /** Expected value of the only sample; undefined: the result must be empty. */
  readonly value?: number;
  /** Evaluation time, e.g. '10m'. */
  readonly evalTime: string;
}

export interface Scenario {
  readonly name: string;
  /** Scrape interval of the input series. */
  readonly interval: string;
  readonly series: InputSeries[];
  readonly expectations: Expectation[];
}

/** Throws, saying what to install, when promtool does not run here: these tests never skip. */
export function requirePromtool(): void {
  if (spawnSync('promtool', ['--version'], { encoding: 'utf-8' }).status !== 0) {
    throw new Error("promtool does not run here, and these tests evaluate every query with it: install Debian's 'prometheus' package (apt-get install prometheus)");
  }
}

/**
 * Values are compared after rounding to 1/1000 (`round(x * 1000)`), because promtool 2.42 compares
 * floats exactly and a ratio like 98/99 has no exact binary form. Wrapping in round() keeps the
 * number of samples and their labels, so "exactly one sample" is still what is asserted.
 */
function toPromtoolTest(scenario: Scenario): any {
  return {
    interval: scenario.interval,
    name: scenario.name,
    input_series: scenario.series.map((s) => ({ series: s.series, values: s.values })),
    promql_expr_test: scenario.expectations.map((e) => e.value === undefined
      ? { expr: e.expr, eval_time: e.evalTime, exp_samples: [] }
      : { expr: `round((${e.expr}) * 1000)`, eval_time: e.evalTime, exp_samples: [{ labels: '{}', value: Math.round(e.value * 1000) }] }),
  };
}

/** Runs the scenarios in one promtool call; returns promtool's output, and whether every expectation held. */
export function runPromtool(scenarios: Scenario[]): { ok: boolean; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'promtool-'));
  const file = path.join(dir, 'tests.yml');
  fs.writeFileSync(file, yaml.dump({
    rule_files: [],
    evaluation_interval: '5s',
    tests: scenarios.map(toPromtoolTest),
  }, { lineWidth: -1, noRefs: true }));
  const result = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf-8' });
  fs.rmSync(dir, { recursive: true, force: true });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/** A label set in PromQL selector notation, labels sorted by name. */
export function labels(set: { [name: string]: string }): string {
  return `{${Object.keys(set).sort().map((k) => `${k}=${JSON.stringify(set[k])}`).join(',')}}`;
}

/** A counter growing by `perScrape` at every scrape for `scrapes` scrapes: `0+<perScrape>x<scrapes>`. */
export function counter(perScrape: number, scrapes = 200): string {
  return `0+${perScrape}x${scrapes}`;
}
