import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../src/cli/main';

function run(...argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(argv, (t) => { out += t; }, (t) => { err += t; });
  return { code, out, err };
}

const FIXTURES = path.join(__dirname, 'fixtures');

// jest keeps its own module registry, which the CLI's `delete require.cache[...]` does not reach:
// start each test with a fresh one, so that every entry runs again.
beforeEach(() => jest.resetModules());

test('plan prints the plan of every CanaryService of an example (an entry that exports build())', () => {
  const { code, out, err } = run('plan', 'examples/argo-istio/main.ts');
  expect({ code, err }).toEqual({ code: 0, err: '' });
  expect(out.split('\n')[0]).toBe("test/podinfo (argo-rollouts): measures every 1m; aborts after 4 failed measurements of a metric; 5 steps, background analysis from 'analysis.steps[2]'");
  expect(out).toContain('weight 50%         50%  0s    5m             request-success-rate x4, request-duration x4, load-test');
  expect(out).toContain('a canary bad from its first request: its measurements fail from the start; the rollout is aborted after 4m of traffic (plus the time people take), at 50%');
});

test('an app that calls synth(): every service, nothing written, and exit 1 when a plan cannot stop a bad canary', () => {
  const { code, out } = run('plan', path.join(FIXTURES, 'synth-app.ts'));
  expect(code).toBe(1);
  expect(out.match(/^shop\/(web|api) \(argo-rollouts\)/gm)).toEqual(['shop/web (argo-rollouts)', 'shop/api (argo-rollouts)']);
  expect(out).toContain("PROBLEM: the background analysis can measure 'request-success-rate' only 0 times before full promotion");
  expect(fs.existsSync('/nonexistent/never-written')).toBe(false);
});

test('a declaration with mistakes: the plan command lists them all, as synth would, and exits 1', () => {
  const { code, out } = run('plan', path.join(FIXTURES, 'broken-app.ts'));
  expect(code).toBe(1);
  expect(out.split('\n')).toEqual([
    "[shop/web] CanaryService 'web': 'port' (70000) must be an integer between 1 and 65535",
    "[shop/web] CanaryService 'web': 'replicas' (0) must be an integer between 1 and 1000",
    '',
  ]);
});

test('--json: the plans as data', () => {
  const { code, out } = run('plan', path.join(FIXTURES, 'synth-app.ts'), '--json');
  expect(code).toBe(1);
  const plans = JSON.parse(out);
  expect(plans.map((p: any) => [p.service, p.canStopBadCanary])).toEqual([['web', true], ['api', false]]);
  expect(plans[0].phases[0]).toEqual(expect.objectContaining({ description: 'weight 20%', weight: 20, startsAfterSeconds: 0, minDurationSeconds: 600 }));
});

test('errors: no such entry, an entry without an App, unknown commands and flags', () => {
  expect(run('plan', 'nowhere.ts')).toEqual({ code: 1, out: '', err: "cdk8s-canary plan: no app entry at 'nowhere.ts': give the file that builds the cdk8s App, e.g. 'main.ts'\n" });
  expect(run('plan', path.join(FIXTURES, 'no-app.ts')).err).toBe(
    `cdk8s-canary plan: '${path.join(FIXTURES, 'no-app.ts')}' built no cdk8s App: it must call app.synth(), or export build(outdir) returning the App\n`);
  const unknown = run('deploy');
  expect(unknown.code).toBe(2);
  expect(unknown.err).toMatch(/^cdk8s-canary: unknown command 'deploy'\n\nusage: cdk8s-canary <command> \[arguments\]\n\n  plan  /);
  expect(run('plan', 'a.ts', '--yaml').err).toMatch(/^cdk8s-canary plan: unexpected '--yaml'/);
  expect(run('--help').code).toBe(0);
  expect(run('plan', '--help').code).toBe(0);
  expect(run().code).toBe(2);
});

test('the README shows the plan of each example as the command prints it', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf-8');
  const blocks = [...readme.matchAll(/<!-- plan: (\S+) -->\n```text\n([\s\S]*?)```/g)];
  expect(blocks.map((b) => b[1])).toEqual([
    'examples/flagger-istio-ab-test/main.ts', 'examples/flagger-istio-sticky/main.ts', 'examples/argo-traefik-blue-green/main.ts',
    'examples/argo-istio-phased/main.ts',
    'examples/flagger-traefik/main.ts', 'examples/flagger-istio/main.ts', 'examples/argo-traefik/main.ts', 'examples/argo-istio/main.ts',
  ]);
  for (const [, entry, shown] of blocks) {
    expect({ entry, shown }).toEqual({ entry, shown: run('plan', entry).out });
  }
});
