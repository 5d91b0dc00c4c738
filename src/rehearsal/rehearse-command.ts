import * as fs from 'fs';
import { agreementText } from './agreement';
import { declaredPrometheus } from './declared-prometheus';
import { Manifest, readManifests } from './objects/manifests';
import { PrometheusKnowledge } from './objects/monitoring';
import { MESH_PROVIDERS } from './objects/releases';
import { DEFAULT_OPTIONS, RehearseOptions } from './rehearse';
import { rehearsalJson, releaseText } from './report';
import { RehearsalResult, rehearseObjects } from './run-rehearsal';
import { SCENARIO_NAMES, ScenarioName } from './scenarios';
import { enforcedNamespaceLabelProblem } from '../addons/enforced-namespace-label';
import { parseGoDuration } from '../analysis/load-command';
import { CanaryService } from '../canary-service';
import { constructsOf, loadApps } from '../cli/load-app';
import { RolloutPlan } from '../plan/rollout-plan';

/** The rehearse command's arguments, parsed. */
export interface RehearseArguments {
  readonly inputs: string[];
  readonly json: boolean;
  readonly timeline: boolean;
  readonly options: RehearseOptions;
}

/** Thrown for arguments the command does not take. */
export class RehearseUsageError extends Error {}

/** Parses `rehearse`'s arguments (its own parser: the CLI's other commands keep theirs). */
export function parseRehearseArguments(argv: string[]): RehearseArguments {
  const inputs: string[] = [];
  let json = false;
  let timeline = true;
  let options: RehearseOptions = { ...DEFAULT_OPTIONS };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new RehearseUsageError(`'${flag}' needs a value`);
    return v;
  };
  const duration = (text: string, flag: string): number => {
    const seconds = parseGoDuration(text);
    if (seconds === undefined) throw new RehearseUsageError(`'${flag}' (${text}) must be a duration such as 30s, 5m or 1h`);
    return seconds;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const take = () => (inline !== undefined ? inline : value(i++, flag));
    switch (flag) {
      case '--json': json = true; break;
      case '--no-timeline': timeline = false; break;
      case '--seeds': {
        const n = Number(take());
        if (!Number.isInteger(n) || n < 1 || n > 1000) throw new RehearseUsageError('\'--seeds\' must be a whole number from 1 to 1000');
        options = { ...options, seeds: n };
        break;
      }
      case '--scenario': case '--scenarios': {
        const names = take().split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !SCENARIO_NAMES.includes(n as ScenarioName));
        if (unknown.length > 0) throw new RehearseUsageError(`unknown scenario ${unknown.map((u) => `'${u}'`).join(', ')}: the scenarios are ${SCENARIO_NAMES.join(', ')}`);
        options = { ...options, scenarios: names as ScenarioName[] };
        break;
      }
      case '--users': {
        const n = Number(take());
        if (!Number.isFinite(n) || n < 0) throw new RehearseUsageError('\'--users\' must be a number of requests per second, 0 or more');
        options = { ...options, usersPerSecond: n };
        break;
      }
      case '--approve-after': options = { ...options, person: { approvesAfterSeconds: duration(take(), '--approve-after') } }; break;
      case '--never-approve': options = { ...options, person: {} }; break;
      case '--max-duration': options = { ...options, maxSeconds: duration(take(), '--max-duration') }; break;
      case '--mesh-provider': {
        const mesh = take();
        if (!MESH_PROVIDERS.includes(mesh)) throw new RehearseUsageError(`'--mesh-provider' (${mesh}) must be one of Flagger's mesh providers: ${MESH_PROVIDERS.join(', ')}`);
        options = { ...options, meshProvider: mesh };
        break;
      }
      case '--enforced-namespace-label': {
        const label = take();
        const problem = enforcedNamespaceLabelProblem(label);
        if (problem !== undefined) throw new RehearseUsageError(`'--enforced-namespace-label' (${JSON.stringify(label)}) ${problem}`);
        options = { ...options, enforcedNamespaceLabel: label };
        break;
      }
      case '--lanes': {
        const n = Number(take());
        if (!Number.isInteger(n) || n < 1 || n > 16) throw new RehearseUsageError('\'--lanes\' must be a whole number from 1 to 16');
        options = { ...options, lanes: n };
        break;
      }
      default:
        if (arg.startsWith('--')) throw new RehearseUsageError(`unexpected '${arg}'`);
        inputs.push(arg);
    }
  }
  return { inputs, json, timeline, options };
}

/** The objects to rehearse; when the input is an app, its CanaryServices' plans and what they say of their Prometheus. */
interface LoadedInputs {
  readonly objects: Manifest[];
  readonly plans: Map<string, RolloutPlan>;
  readonly declared: Map<string, PrometheusKnowledge>;
  readonly source: string;
}

/** The objects to rehearse, and the plans of the CanaryServices when the input is an app. */
export function loadInputs(inputs: string[]): LoadedInputs {
  const given = inputs.length > 0 ? inputs : [fs.existsSync('main.ts') ? 'main.ts' : fs.existsSync('main.js') ? 'main.js' : 'dist'];
  const isApp = given.length === 1 && /\.(ts|js|mjs|cjs)$/.test(given[0]) && fs.existsSync(given[0]) && fs.statSync(given[0]).isFile();
  if (!isApp) return { objects: readManifests(given), plans: new Map(), declared: new Map(), source: given.join(' ') };
  const apps = loadApps(given[0]);
  const objects = apps.flatMap((app) => app.charts.flatMap((chart) => chart.toJson()));
  const plans = new Map<string, RolloutPlan>();
  for (const construct of constructsOf(apps)) {
    if (!CanaryService.isCanaryService(construct)) continue;
    const plan = (construct as CanaryService).plan;
    if (plan) plans.set(`${plan.namespace}/${plan.service}`, plan);
  }
  return { objects, plans, declared: declaredPrometheus(constructsOf(apps)), source: given[0] };
}

/** Rehearses the inputs; with a plan, compares it. */
export async function rehearseInputs(inputs: string[], options: RehearseOptions): Promise<{ results: RehearsalResult[]; source: string }> {
  const { objects, plans, declared, source } = loadInputs(inputs);
  return { source, results: await rehearseObjects(objects, plans, options, declared) };
}

/** Runs `rehearse`; returns the exit code. */
export async function rehearseCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const args = parseRehearseArguments(argv);
  const { results, source } = await rehearseInputs(args.inputs, args.options);
  if (results.length === 0) {
    // A CI job pointed at the wrong folder must not pass: nothing rehearsed is a failure, as in assertExpectations().
    out(`FAILED: no Flagger Canary or Argo Rollout in '${source}': nothing to rehearse\n`);
    return 1;
  }
  if (args.json) {
    const json = rehearsalJson(results.map((r) => r.rehearsal));
    results.forEach((r, i) => { json[i].plan = r.agreements; });
    out(`${JSON.stringify(json, undefined, 2)}\n`);
  } else {
    out(results.map((r) => releaseText(r.rehearsal, { timeline: args.timeline }) + agreementText(r.agreements).map((l) => `${l}\n`).join('')).join('\n'));
  }
  const failed = results.some((r) => r.rehearsal.failures.length > 0 || r.agreements.some((a) => !a.agrees));
  return failed ? 1 : 0;
}
