import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { requirePrometheus } from './require-prometheus';
import { CanaryService, RolloutPlan } from '../../src';
import { Agreement, agreementText, agreementWithPlan } from '../../src/rehearsal/agreement';
import { findReleases } from '../../src/rehearsal/objects/releases';
import { DEFAULT_OPTIONS, ReleaseRehearsal, rehearse } from '../../src/rehearsal/rehearse';
import { releaseText } from '../../src/rehearsal/report';

/**
 * Every example rehearsed with every built-in scenario (3 seeds each) on the real Prometheus
 * server: a healthy release is promoted and a bad one is not, the expectations each example states
 * hold, and the plan and the rehearsal agree (issue 21). Without the Prometheus server binary the
 * tests fail (Debian's `prometheus` package, which CI installs).
 */
requirePrometheus();

const examplesDir = path.join(__dirname, '..', '..', 'examples');
const examples = fs.readdirSync(examplesDir)
  .filter((name) => fs.existsSync(path.join(examplesDir, name, 'main.ts')) && !fs.existsSync(path.join(examplesDir, name, 'package.json')) && name !== 'platform')
  .sort();

/** Seeds per scenario in CI: enough to see a flaky check, few enough for the 2-minute budget. */
const SEEDS = 3;

interface ExampleResult {
  readonly example: string;
  readonly rehearsal: ReleaseRehearsal;
  readonly plan: RolloutPlan;
  readonly agreements: Agreement[];
}

describe('every example, rehearsed', () => {
  const results: ExampleResult[] = [];

  beforeAll(async () => {
    const built = examples.map((example) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const app: App = require(path.join(examplesDir, example, 'main.ts')).build(fs.mkdtempSync(path.join(os.tmpdir(), `rehearse-${example}-`)));
      const objects = app.charts.flatMap((chart) => chart.toJson());
      const services = app.node.findAll().filter((c) => CanaryService.isCanaryService(c)) as CanaryService[];
      return { example, releases: findReleases(objects), plans: services.map((s) => s.plan!) };
    });
    const releases = built.flatMap((b) => b.releases);
    const rehearsals = await rehearse(releases, { ...DEFAULT_OPTIONS, seeds: SEEDS });
    for (const b of built) {
      for (const release of b.releases) {
        const rehearsal = rehearsals.find((r) => r.release === release)!;
        const plan = b.plans.find((p) => p.service === release.name && p.namespace === release.namespace)!;
        results.push({ example: b.example, rehearsal, plan, agreements: agreementWithPlan(rehearsal, plan) });
      }
    }
  }, 900_000);

  test('every example has a Canary or Rollout to rehearse, and states at least how far a bad version may get', () => {
    expect(results.map((r) => r.example)).toEqual(examples);
    for (const r of results) {
      const { maxBadWeight, errors } = r.rehearsal.release.expectations;
      expect({ example: r.example, maxBadWeight: maxBadWeight !== undefined, errors })
        .toEqual({ example: r.example, maxBadWeight: true, errors: [] });
    }
  });

  test.each(examples)('%s: a healthy release is promoted, a bad one is stopped, and what the example expects holds', (example) => {
    const r = results.find((x) => x.example === example)!;
    expect({ example, failures: r.rehearsal.failures }).toEqual({ example, failures: [] });
    expect(r.rehearsal.misses.count).toBe(0);
    expect(r.rehearsal.falseAlarms.count).toBe(0);
    const healthy = r.rehearsal.scenarios.find((s) => s.scenario === 'healthy')!;
    expect(healthy.promoted).toBe(SEEDS);
  });

  test.each(examples)('%s: the report names the release, a row per scenario it ran, and the timeline of a bad run', (example) => {
    const r = results.find((x) => x.example === example)!;
    const text = releaseText(r.rehearsal).split('\n');
    const { namespace, name, engine } = r.rehearsal.release;
    expect(text[0].startsWith(`${namespace}/${name} (${engine}, `)).toBe(true);
    const rows = text.filter((line) => /^[a-z-]+ +\d+ promoted, \d+ rolled back/.test(line)).map((line) => line.split(' ')[0]);
    expect(rows).toEqual(r.rehearsal.scenarios.map((s) => s.scenario));
    expect(text.some((line) => /^timeline of '[a-z-]+' \(seed \d+\): (rolled back|stuck|promoted) after /.test(line))).toBe(true);
  });

  test.each(examples)('%s: the plan and the rehearsal agree on the healthy promotion and on where a bad canary stops', (example) => {
    const r = results.find((x) => x.example === example)!;
    expect(r.agreements.map((a) => a.what))
      .toEqual(['healthy release fully promoted after', 'bad canary stopped after (from its first request)', 'bad canary stopped at weight']);
    const disagreements = r.agreements.filter((a) => !a.agrees).map((a) => agreementText([a])[0]);
    expect({ example, disagreements }).toEqual({ example, disagreements: [] });
  });
});
