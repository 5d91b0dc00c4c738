import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration } from 'cdk8s';
import { requirePrometheus } from './require-prometheus';
import { Rehearsal } from '../../src';
import { mainAsync } from '../../src/cli/main';
import { COMMAND_USAGE } from '../../src/cli/usage';

/**
 * `cdk8s-canary rehearse` and the library API on releases written by hand (test/rehearsal/fixtures:
 * a Flagger Canary with Istio, built-in checks, a load test and a promotion gate; an Argo Rollout
 * with Istio, a background analysis and a pause a person ends) and on an example app.
 */

requirePrometheus();

const FLAGGER = path.join(__dirname, 'fixtures', 'flagger-istio');
const ARGO = path.join(__dirname, 'fixtures', 'argo-istio');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await mainAsync(['rehearse', ...argv], (t) => { out += t; }, (t) => { err += t; });
  return { code, out, err };
}

const json = async (...argv: string[]) => {
  const result = await run(...argv, '--json');
  return { ...result, report: JSON.parse(result.out) };
};
const runsOf = (report: any, scenario: string) => report[0].scenarios.find((s: any) => s.scenario === scenario).runs;

// jest keeps its own module registry, which the CLI's app loader does not reach: start each test with a fresh one.
beforeEach(() => jest.resetModules());

describe('a hand-written Flagger release', () => {
  test('the report: each scenario\'s outcome, the stop and weight of a bad version, the users it served, a timeline, and what was assumed', async () => {
    const { code, out, err } = await run(FLAGGER, '--seeds', '1', '--scenario', 'healthy,error-rate,crash');
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const lines = out.split('\n');
    expect(lines[0]).toBe('shop/web (flagger, istio): 3 scenarios x 1 seeds, 10 user requests/s, scrape every 15s');
    expect(lines[1].split(/\s{2,}/)).toEqual(['scenario', 'runs', 'verdict', 'promoted after', 'detected after', 'stopped after (weight)', 'highest weight', 'users served by the bad version']);
    const row = (scenario: string) => lines.find((l) => l.startsWith(`${scenario} `))!.split(/\s{2,}/);
    expect(row('healthy').slice(0, 4)).toEqual(['healthy', '1 promoted, 0 rolled back', 'ok', '2m30s']);
    expect(row('error-rate').slice(0, 3)).toEqual(['error-rate', '0 promoted, 1 rolled back', 'ok']);
    expect(row('error-rate')[5]).toMatch(/^\d+m(\d+s)? at (10|20|30)%$/);
    // Crash-looping pods: rolled back at the first 30s tick past progressDeadlineSeconds (600s), before any user request.
    expect(row('crash').slice(0, 6)).toEqual(['crash', '0 promoted, 1 rolled back', 'ok', '-', '-', 'before any user (10m30s)']);
    expect(out).toContain('false alarms: 0 of 1 healthy runs rolled back; misses: 0 of 2 bad runs promoted');
    expect(out).toContain('note: the Prometheus configuration is not in the manifests: a scrape interval of 15s is assumed');
    expect(out).toContain('assumed: the new pods are ready as soon as they are scaled up, and so is the primary when a promotion copies the new version to it; '
      + 'Flagger waits for the primary (scheduler.go:294-311), so a real promotion takes one interval or more longer when its rolling update outlasts the interval');
    expect(out).toMatch(/assumed: the queries run on the local prometheus binary, version \S+; the stack this library synthesizes runs v3\.5\.5, whose range selectors leave out a sample exactly at the start of the window/);
    expect(out).toMatch(/timeline of 'error-rate' \(seed 1\): rolled back after \S+ \(3 failed checks \(threshold 3\)\)/);
    expect(out).toMatch(/analysis failed \(1\/3 failed checks\) +load, request-success-rate=9\d\.\d+ FAIL \(< 99\)/);
  }, 120_000);

  test('a Canary without spec.provider runs with Flagger\'s -mesh-provider: istio by default (cmd/flagger/main.go:115), --mesh-provider to change it, said in a note', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-noprovider-'));
    const yaml = fs.readFileSync(path.join(FLAGGER, 'web.yaml'), 'utf8');
    expect(yaml).toContain('  provider: istio\n');
    fs.writeFileSync(path.join(dir, 'web.yaml'), yaml.replace('  provider: istio\n', ''));
    const istio = await run(dir, '--seeds', '1', '--scenario', 'healthy', '--no-timeline');
    expect(istio.out.split('\n')[0]).toBe('shop/web (flagger, istio): 1 scenarios x 1 seeds, 10 user requests/s, scrape every 15s');
    // The same figures as with provider: istio written out: weights 10, 20, 30 %, promoted after 2m30s.
    expect(istio.out.split('\n').find((l) => l.startsWith('healthy '))!.split(/\s{2,}/).slice(0, 4)).toEqual(['healthy', '1 promoted, 0 rolled back', 'ok', '2m30s']);
    expect(istio.out).toContain("note: the Canary sets no spec.provider: Flagger uses its -mesh-provider flag (default istio, cmd/flagger/main.go:115), and the rehearsal assumes 'istio' (--mesh-provider to change)");
    const kubernetes = await run(dir, '--seeds', '1', '--scenario', 'healthy', '--mesh-provider', 'kubernetes', '--no-timeline');
    expect(kubernetes.out.split('\n')[0]).toMatch(/^shop\/web \(flagger, kubernetes\)/);
    expect(kubernetes.out).toContain("the rehearsal assumes 'kubernetes'");
  }, 120_000);

  test('--json: every run with its timeline; the same seeds give the same report, whatever the number of Prometheus servers', async () => {
    const one = await json(FLAGGER, '--seeds', '2', '--scenario', 'healthy,latency', '--lanes', '1');
    const two = await json(FLAGGER, '--seeds', '2', '--scenario', 'healthy,latency', '--lanes', '2');
    expect(one.code).toBe(0);
    expect(two.report).toEqual(one.report);
    const [release] = one.report;
    expect([release.name, release.namespace, release.engine, release.router, release.usersPerSecond]).toEqual(['web', 'shop', 'flagger', 'istio', 10]);
    expect(runsOf(one.report, 'healthy').map((r: any) => [r.seed, r.outcome, r.promotedAtSeconds])).toEqual([[1, 'promoted', 150], [2, 'promoted', 150]]);
    const latency = runsOf(one.report, 'latency')[0];
    expect(latency.outcome).toBe('rolled back');
    expect(latency.timeline.flatMap((e: any) => e.checks).find((c: any) => c.name === 'request-duration' && c.verdict === 'fail'))
      .toMatchObject({ detail: '> 500', query: expect.stringContaining('histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="shop",destination_workload=~"web"}[1m])) by (le))') });
  }, 120_000);

  test('a person at the promotion gate: approving two minutes late promotes two minutes later; never approving leaves the release stuck, and the command fails', async () => {
    const late = await json(FLAGGER, '--seeds', '1', '--scenario', 'healthy', '--approve-after', '2m');
    const [healthy] = runsOf(late.report, 'healthy');
    expect([late.code, healthy.outcome, healthy.promotedAtSeconds]).toEqual([0, 'promoted', 150 + 120]);
    expect(healthy.timeline.filter((e: any) => e.gate === 'approval').map((e: any) => e.t)).toEqual([120, 150, 180, 210]);
    const never = await run(FLAGGER, '--seeds', '1', '--scenario', 'healthy', '--never-approve', '--max-duration', '15m', '--no-timeline');
    expect(never.code).toBe(1);
    expect(never.out).toContain("FAILED: shop/web: 1 of 1 'healthy' runs were neither promoted nor rolled back "
      + '(neither promoted nor rolled back within 15 minutes; last: waiting for promotion approval (approval))');
  }, 120_000);
});

describe('a hand-written Argo Rollouts release', () => {
  test('what it misses and what it stops: no users at night fails the success rate (no sample), a latency check the rehearsal cannot evaluate lets a slow version through', async () => {
    const { code, out } = await run(ARGO, '--seeds', '1', '--scenario', 'healthy,error-rate,latency,night', '--no-timeline');
    expect(code).toBe(1);
    const lines = out.split('\n');
    const row = (scenario: string) => lines.find((l) => l.startsWith(`${scenario} `))!.split(/\s{2,}/).slice(0, 3);
    expect([row('healthy'), row('error-rate'), row('latency'), row('night')]).toEqual([
      ['healthy', '1 promoted, 0 rolled back', 'ok'],
      ['error-rate', '0 promoted, 1 rolled back', 'ok'],
      ['latency', '1 promoted, 0 rolled back', 'MISSED'],
      ['night', '0 promoted, 1 rolled back', 'FALSE ALARM'],
    ]);
    expect(out).toContain("note: p99-latency: the condition 'let p = result[0]; p < 500' uses 'let', which is outside what the rehearsal evaluates; the rehearsal counts it as successful");
    expect(out).toContain('FAILED: store/web: 1 of 2 healthy runs were rolled back (50 %); at most 0 % expected');
    expect(out).toContain('FAILED: store/web: 1 of 2 bad runs were promoted (50 %); at most 0 % expected');
  }, 120_000);

  test('pause {} waits for a person: promoted when they come, stuck when they never do', async () => {
    const late = await json(ARGO, '--seeds', '1', '--scenario', 'healthy', '--approve-after', '5m');
    const [healthy] = runsOf(late.report, 'healthy');
    expect([healthy.outcome, healthy.promotedAtSeconds]).toEqual(['promoted', 120 + 300]);
    expect(healthy.timeline.filter((e: any) => e.gate).map((e: any) => [e.t, e.event])).toEqual([[120, 'paused: pause at step 3, waiting for a person to promote']]);
    const never = await json(ARGO, '--seeds', '1', '--scenario', 'healthy', '--never-approve', '--max-duration', '10m');
    expect([never.code, runsOf(never.report, 'healthy')[0].outcome]).toEqual([1, 'stuck']);
  }, 120_000);

  test('a bad version held at a pause nobody ends keeps serving users to the end of the horizon: STUCK, not stopped, and the stop-time expectation fails', async () => {
    // pause {} holds the weight until a person promotes (rollout/pause.go:172-187, trafficrouting.go:260-265 keeps the setWeight).
    const { code, out } = await run('examples/argo-istio/main.ts', '--seeds', '1', '--scenario', 'error-rate', '--never-approve', '--max-duration', '20m', '--no-timeline');
    expect(code).toBe(1);
    const row = out.split('\n').find((l) => l.startsWith('error-rate '))!.split(/\s{2,}/);
    expect(row.slice(0, 7)).toEqual(['error-rate', '0 promoted, 0 rolled back, 1 stuck', 'STUCK', '-', '-', 'not stopped', '20%']);
    // 20 % of 10 requests per second for 20 minutes: about 2400 requests, 5 % of them failed.
    const [served, failed] = row[7].match(/^(\d+) \((\d+) failed\)$/)!.slice(1).map(Number);
    expect(served).toBeGreaterThan(2200);
    expect(served).toBeLessThan(2600);
    expect(failed).toBeGreaterThan(60);
    expect(out).toMatch(/FAILED: test\/podinfo: 'error-rate' \(seed 1\) was never stopped: it still served users at 20% 20m after its first user request, when the rehearsal ended \(\d+ user requests, \d+ failed\); stopped within 5m expected/);
  }, 120_000);

  test('a check that sees too few requests is named, with the requests it needs', async () => {
    const { report } = await json(ARGO, '--seeds', '1', '--scenario', 'healthy', '--users', '1');
    expect(report[0].warnings).toEqual([expect.stringMatching(
      /^'success-rate' sees about \d+ requests per 60s window at the first weight \(0\.2 per second reach the new version\): a measurement fails a healthy version .* so it cannot tell 99\.9 % \(healthy\) from 95 % \(the error-rate scenario\) against its bound 99 %; it needs 100 requests per measurement: 2 more requests per second to the new version, which is about 8 more user requests per second \(or a load test\), or a 8m20s window$/,
    )]);
  }, 120_000);
});

describe('an app entry', () => {
  test('the plan\'s figures beside the rehearsal\'s', async () => {
    const { code, out } = await run('examples/flagger-traefik/main.ts', '--seeds', '1', '--scenario', 'healthy,broken', '--no-timeline');
    expect(code).toBe(0);
    expect(out).toContain('plan vs rehearsal: healthy release fully promoted after: 2m planned, 2m rehearsed');
    expect(out).toMatch(/plan vs rehearsal: bad canary stopped at weight: 5% planned, 5% rehearsed/);
    // The load test goes through Traefik (hey -z 8s every 10s tick, 20 per second): 5 % of it reaches the canary, 80 % of the time,
    // so the advice is in the load test's own rate, not the rate to the new version.
    expect(out).toMatch(/it needs 100 requests per measurement: 1 more request per second to the new version, which is a load test sending about \d+ per second instead of 20 \(5 % of its requests reach the new version at the first weight and it runs 80 % of the time\), or a 1m\d+s window/);
  }, 120_000);
});

describe('the README', () => {
  test('shows the report as the command prints it (scripts/readme-rehearsals.ts rewrites it)', async () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf-8');
    const blocks = [...readme.matchAll(/<!-- rehearse: ([^>]+) -->\n```text\n([\s\S]*?)```/g)];
    expect(blocks.map((b) => b[1].trim())).toEqual(['examples/flagger-traefik/main.ts --seeds 3']);
    for (const [, args, shown] of blocks) {
      const { code, out } = await run(...args.trim().split(/\s+/));
      expect({ args, code, shown }).toEqual({ args, code: 0, shown: out });
    }
  }, 180_000);
});

describe('mistakes in the command line', () => {
  test.each([
    [['--seeds', '0'], "'--seeds' must be a whole number from 1 to 1000"],
    [['--scenario', 'healthy,flaky'], "unknown scenario 'flaky': the scenarios are healthy, error-rate, latency, crash, slow-degradation, one-segment, night, broken"],
    [['--approve-after', 'soon'], "'--approve-after' (soon) must be a duration such as 30s, 5m or 1h"],
    [['--users'], "'--users' needs a value"],
    [['--fast'], "unexpected '--fast'"],
    [['--mesh-provider', 'envoy'], "'--mesh-provider' (envoy) must be one of Flagger's mesh providers: apisix, appmesh, appmesh:v1beta2, contour, gatewayapi:v1, gatewayapi:v1beta1, gloo, istio, knative, kubernetes, kuma, linkerd, nginx, osm, skipper, smi:v1alpha1, smi:v1alpha2, smi:v1alpha3, traefik"],
    [['--enforced-namespace-label', 'kubernetes.io/namespace'], "'--enforced-namespace-label' (\"kubernetes.io/namespace\") must be a Prometheus label name (letters, digits and '_', not starting with a digit nor with '__'), e.g. 'namespace'"],
    [['--enforced-namespace-label', '__tenant'], "'--enforced-namespace-label' (\"__tenant\") must be a Prometheus label name (letters, digits and '_', not starting with a digit nor with '__'), e.g. 'namespace'"],
    [['--enforced-namespace-label', 'job'], "'--enforced-namespace-label' (\"job\") is a label that the operator sets on every series or that the checks select, which the enforced namespace would overwrite, "
      + 'so every check would read no series: name a label of its own, not one of job, instance, pod, container, endpoint, service, le, quantile, code, response_code, reporter, '
      + 'destination_workload, destination_workload_namespace, destination_service_name, destination_service_namespace, rollouts_pod_template_hash, '
      + "kubernetes_pod_name, e.g. 'namespace'"],
  ])('%j: exit 2, the mistake and the usage', async (argv, message) => {
    const { code, out, err } = await run(FLAGGER, ...argv);
    expect({ code, out }).toEqual({ code: 2, out: '' });
    expect(err).toBe(`cdk8s-canary rehearse: ${message}\n\n${COMMAND_USAGE.rehearse}`);
  });

  test('--help prints the usage; a path that does not exist fails', async () => {
    expect(await run('--help')).toEqual({ code: 0, out: COMMAND_USAGE.rehearse, err: '' });
    expect(await run('/no/such/manifests')).toEqual({ code: 1, out: '', err: "cdk8s-canary rehearse: no manifest file or folder at '/no/such/manifests'\n" });
  });
});

describe('the library API', () => {
  test('Rehearsal.ofManifests: the report as text and data; assertExpectations lists every failure', async () => {
    const report = await Rehearsal.ofManifests([ARGO], { seeds: 1, scenarios: ['night'], parallelism: 1 });
    expect(report.releases).toEqual(['store/web']);
    expect(report.failures).toEqual(['store/web: 1 of 1 healthy runs were rolled back (100 %); at most 0 % expected']);
    expect(() => report.assertExpectations()).toThrow('the rehearsal failed:\n- store/web: 1 of 1 healthy runs were rolled back (100 %); at most 0 % expected');
    expect(report.toText()).toContain('night     0 promoted, 1 rolled back  FALSE ALARM');
    expect(report.toText()).not.toContain('warning:');
    expect(report.toJson()[0].scenarios[0].runs[0].outcome).toBe('rolled back');
  }, 120_000);

  test('Rehearsal.ofApp: an example passes its own expectations and agrees with its plan', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { build } = require('../../examples/flagger-istio/main');
    const report = await Rehearsal.ofApp(build('/tmp/rehearsal-of-app'), { seeds: 1, scenarios: ['healthy', 'error-rate', 'broken'], approveAfter: Duration.seconds(0) });
    report.assertExpectations();
    expect(report.toJson()[0].plan.map((a: any) => [a.what, a.agrees])).toEqual([
      ['healthy release fully promoted after', true],
      ['bad canary stopped after (from its first request)', true],
      ['bad canary stopped at weight', true],
    ]);
  }, 120_000);

  test('a rehearsal of nothing fails its assertion: a test cannot pass on an app without releases', async () => {
    const report = await Rehearsal.ofApp(new App());
    expect(report.releases).toEqual([]);
    expect(() => report.assertExpectations()).toThrow('the rehearsal failed: there is no Flagger Canary or Argo Rollout to rehearse');
    // The command too: a CI job pointed at a folder without releases fails.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-empty-'));
    fs.writeFileSync(path.join(dir, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    expect(await run(dir)).toEqual({ code: 1, out: `FAILED: no Flagger Canary or Argo Rollout in '${dir}': nothing to rehearse\n`, err: '' });
  });

  test('arguments and options are checked at once, every mistake together, before any rehearsal', () => {
    expect(() => Rehearsal.ofManifests([ARGO], { scenarios: ['flaky'], seeds: 0, parallelism: 40, usersPerSecond: -1, approveAfter: Duration.minutes(1), neverApprove: true, meshProvider: 'envoy', enforcedNamespaceLabel: '1st' }))
      .toThrow([
        "Rehearsal.ofManifests(): 'scenarios' ('flaky') must be built-in scenarios: healthy, error-rate, latency, crash, slow-degradation, one-segment, night, broken",
        "Rehearsal.ofManifests(): 'seeds' (0) must be a whole number from 1 to 1000",
        "Rehearsal.ofManifests(): 'parallelism' (40) must be a whole number from 1 to 16",
        "Rehearsal.ofManifests(): 'usersPerSecond' (-1) must be a number of requests per second, 0 or more",
        "Rehearsal.ofManifests(): 'approveAfter' and 'neverApprove' contradict each other: give one",
        "Rehearsal.ofManifests(): 'meshProvider' ('envoy') must be one of Flagger's mesh providers: apisix, appmesh, appmesh:v1beta2, contour, gatewayapi:v1, gatewayapi:v1beta1, gloo, istio, knative, kubernetes, kuma, linkerd, nginx, osm, skipper, smi:v1alpha1, smi:v1alpha2, smi:v1alpha3, traefik",
        "Rehearsal.ofManifests(): 'enforcedNamespaceLabel' (\"1st\") must be a Prometheus label name (letters, digits and '_', not starting with a digit nor with '__'), e.g. 'namespace'",
      ].join('\n'));
    expect(() => Rehearsal.ofApp({} as any)).toThrow("Rehearsal.ofApp(): 'app' ({}) must be");
    expect(() => Rehearsal.ofManifests(['/no/such/manifests'])).toThrow("no manifest file or folder at '/no/such/manifests'");
  });
});
