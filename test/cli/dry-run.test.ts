import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Harness, execArgs, writeKubeconfig } from './fakes/harness';

// Every test talks to in-process HTTPS servers; the machine is shared.
jest.setTimeout(120_000);

/*
 * --dry-run prints the commands and runs nothing. With the engine known (--engine, or --app from
 * the declaration) it makes no request and runs no credential plugin, so it works with no cluster
 * at all: for a runbook or a CI step.
 */

const APP = path.join(__dirname, 'fixtures', 'release-app.ts');
let h: Harness;
let pluginRan: string;

beforeEach(async () => {
  h = await new Harness().start();
  // A kubeconfig whose user is an exec plugin that leaves a mark when it runs.
  pluginRan = path.join(h.dir, 'plugin-ran');
  const plugin = path.join(h.dir, 'plugin.js');
  fs.writeFileSync(plugin, `require('fs').writeFileSync(${JSON.stringify(pluginRan)}, 'ran');\n`
    + "console.log(JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', status: { token: 'alice-token' } }));\n");
  h.kubeconfig = writeKubeconfig(h.dir, h.server, ['exec:', '  apiVersion: client.authentication.k8s.io/v1', `  command: ${process.execPath}`, `  args: [${plugin}]`, '  interactiveMode: Never'].join('\n'));
});
afterEach(async () => { await h.stop(); });

function expectNothingRan(): void {
  expect(h.api.requests).toEqual([]);
  expect(h.kubectl.calls).toEqual([]);
  expect(fs.existsSync(pluginRan)).toBe(false);
}

const LT = (route: string) => "kubectl --context test -n test exec deploy/flagger-loadtester -- curl -sS -m 10 -w '\\n%{http_code}' -H 'Content-Type: application/json' "
  + `-d '{"name":"podinfo","namespace":"test"}' http://localhost:8080${route}`;
const NOTE = (kind: string) => `unlike cdk8s-canary, these commands record nothing in ConfigMap test/cdk8s-canary-gates (key podinfo.${kind}): `
  + "'cdk8s-canary status' will show the gate as opened outside cdk8s-canary";

describe('with --engine flagger: no request, no credential plugin, no kubectl', () => {
  test.each([
    [['gate', 'open', '--once'], [
      `# open the gate of test/podinfo for one step (${NOTE('gate')})`,
      LT('/gate/open'),
      '# then watch until the phase or the canary weight changes (kubectl --context test -n test get canary podinfo -w), and close it then, or on any failure:',
      LT('/gate/close'),
    ]],
    [['gate', 'open'], [
      `# open the gate of test/podinfo for the rest of this release (${NOTE('gate')})`,
      LT('/gate/open'),
      '# then watch until the phase is Promoting, Succeeded or Failed (kubectl --context test -n test get canary podinfo -w), and close it then, or on any failure:',
      LT('/gate/close'),
    ]],
    [['gate', 'open', '--detach'], [
      `# open the gate of test/podinfo and leave it open: every held stage passes, of this release and of the next (${NOTE('gate')})`,
      LT('/gate/open'),
    ]],
    [['gate', 'close'], [LT('/gate/close')]],
    [['gate', 'status'], ['# the loadtester answers 200 Approved (open) or 403 Forbidden (closed)', LT('/gate/check')]],
    [['promote'], [`# open the gate of test/podinfo for one step (${NOTE('gate')})`, LT('/gate/open'),
      '# then watch until the phase or the canary weight changes (kubectl --context test -n test get canary podinfo -w), and close it then, or on any failure:', LT('/gate/close')]],
    [['abort'], [
      `# open the rollback gate of test/podinfo: Flagger rolls back at its next check in phase Progressing or WaitingPromotion (${NOTE('rollback')})`,
      LT('/rollback/open'),
      '# then watch until the phase is Failed (kubectl --context test -n test get canary podinfo -w), and close it then, or on any failure (else every later release is rolled back too):',
      LT('/rollback/close'),
    ]],
    [['abort', '--detach'], [
      `# open the rollback gate of test/podinfo: Flagger rolls back at its next check in phase Progressing or WaitingPromotion (${NOTE('rollback')})`,
      LT('/rollback/open'),
      "# left open (--detach): every later release is rolled back at its first check until 'cdk8s-canary reset podinfo -n test'",
    ]],
    [['reset'], ['# close the gate and the rollback gate of test/podinfo', LT('/gate/close'), LT('/rollback/close')]],
  ])('%j', async (words, lines) => {
    const [command, ...rest] = words;
    const run = await h.cli(command, ...rest.filter((w) => !w.startsWith('--')), 'podinfo', '-n', 'test', ...rest.filter((w) => w.startsWith('--')),
      '--engine', 'flagger', '--dry-run', '--context', 'test');
    expect(run).toEqual({ code: 0, out: `${lines.join('\n')}\n`, err: '' });
    expectNothingRan();
  });

  test('no -n and no kubeconfig: the namespace is default, and the runbook says so', async () => {
    h.env = {};
    const run = await h.cli('gate', 'close', 'podinfo', '--engine', 'flagger', '--dry-run');
    expect(run.out).toBe('# namespace default (no -n, and no kubeconfig to take one from)\n'
      + "kubectl -n default exec deploy/flagger-loadtester -- curl -sS -m 10 -w '\\n%{http_code}' -H 'Content-Type: application/json' "
      + '-d \'{"name":"podinfo","namespace":"default"}\' http://localhost:8080/gate/close\n');
    expectNothingRan();
  });

  test('without the engine and without a cluster: the message says how to run offline', async () => {
    h.env = {};
    const run = await h.cli('gate', 'close', 'podinfo', '--dry-run');
    expect(run).toEqual({
      code: 1,
      out: '',
      err: `cdk8s-canary gate: no kubeconfig: none of '${h.dir}/.kube/config' exists, and this is not a pod with a service account; set --kubeconfig or KUBECONFIG. `
        + 'A --dry-run needs no cluster when the engine is known: add --engine flagger|argo, or --app <entry> (the declaration)\n',
    });
  });

  test('--via proxy prints kubectl create --raw with the payload on standard input', async () => {
    const run = await h.cli('gate', 'close', 'podinfo', '--engine', 'flagger', '--dry-run', '--via', 'proxy');
    expect(run.out).toBe('echo \'{"name":"podinfo","namespace":"test"}\' | kubectl create --raw /api/v1/namespaces/test/services/http:flagger-loadtester:80/proxy/gate/close -f -\n');
    expectNothingRan();
  });

  test('the printed commands are the ones the tool runs: through a shell, kubectl gets the same arguments and input', async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-kubectl-'));
    const log = path.join(bin, 'log');
    fs.writeFileSync(path.join(bin, 'kubectl'), `#!/bin/sh\nprintf '%s\\n' "$@" >> ${log}\nprintf -- '--stdin--\\n' >> ${log}\n[ -t 0 ] || cat >> ${log}\nprintf '\\n--end--\\n' >> ${log}\n`, { mode: 0o755 });
    const exec = await h.cli('gate', 'open', 'podinfo', '--detach', '--engine', 'flagger', '--dry-run', '--context', 'test');
    const proxy = await h.cli('gate', 'close', 'podinfo', '--engine', 'flagger', '--dry-run', '--via', 'proxy');
    for (const line of [exec.out.split('\n')[1], proxy.out.trim()]) {
      execFileSync('/bin/sh', ['-c', line], { env: { PATH: `${bin}:/usr/bin:/bin` }, stdio: ['ignore', 'inherit', 'inherit'] });
    }
    const calls = fs.readFileSync(log, 'utf-8').split('\n--end--\n').filter((c) => c !== '').map((c) => {
      const [args, stdin] = c.split('--stdin--\n');
      return { args: args.split('\n').filter((a, i, all) => i < all.length - 1 || a !== ''), stdin };
    });
    expect(calls).toEqual([
      { args: execArgs('/gate/open'), stdin: '' },
      { args: ['create', '--raw', '/api/v1/namespaces/test/services/http:flagger-loadtester:80/proxy/gate/close', '-f', '-'], stdin: '{"name":"podinfo","namespace":"test"}\n' },
    ]);
  });
});

describe('with --app: the engine, namespace and gates from the declaration, and no cluster at all', () => {
  // jest keeps its own module registry, which the CLI's `delete require.cache[...]` does not
  // reach: a fresh one for each run, so that the app entry runs again (a real CLI runs it once).
  const withApp = (...argv: string[]) => {
    jest.resetModules();
    return h.cli(...argv);
  };

  beforeEach(() => {
    // No kubeconfig anywhere, and not in a pod.
    h.env = {};
  });

  test('abort of a gated Flagger service', async () => {
    const run = await withApp('abort', 'web', '--app', APP, '--dry-run');
    expect(run.code).toBe(0);
    expect(run.out.split('\n')[1]).toBe("kubectl -n shop exec deploy/flagger-loadtester -- curl -sS -m 10 -w '\\n%{http_code}' -H 'Content-Type: application/json' "
      + '-d \'{"name":"web","namespace":"shop"}\' http://localhost:8080/rollback/open');
    expectNothingRan();
  });

  test('what the declaration lacks is refused offline too', async () => {
    expect((await withApp('abort', 'search', '--app', APP, '--dry-run')).err).toBe(
      'cdk8s-canary abort: the Canary shop/search has no rollback gate, so Flagger cannot be told to roll back: add CanaryWebhook.rollbackGate() to its analysis\n');
    expect((await withApp('promote', 'search', '--app', APP, '--dry-run')).err).toMatch(/^cdk8s-canary promote: the Canary shop\/search has no manual gate/);
    expect((await withApp('promote', 'cart', '--app', APP, '--dry-run')).err).toBe(`cdk8s-canary promote: '${APP}' declares no CanaryService 'cart'; it declares shop/web, shop/search, shop/api\n`);
    const contradiction = await withApp('promote', 'api', '--app', APP, '--engine', 'flagger', '--dry-run');
    expect(contradiction.code).toBe(2);
    expect(contradiction.err.split('\n')[0]).toBe(`cdk8s-canary promote: '--engine flagger' contradicts '${APP}', which releases 'api' with Argo Rollouts`);
    expectNothingRan();
  });

  test('Argo Rollouts: abort is one patch; promote depends on the Rollout\'s state, so the options are printed', async () => {
    expect((await withApp('abort', 'api', '--app', APP, '--dry-run')).out).toBe('kubectl -n shop patch rollout api --subresource=status --type=merge -p \'{"status":{"abort":true}}\'\n');
    expect((await withApp('promote', 'api', '--app', APP, '--dry-run')).out).toBe([
      "# the patch depends on the Rollout's state (kubectl argo rollouts promote, promote.go getPatches):",
      '#   paused at a step (status.pauseConditions): kubectl -n shop patch rollout api --subresource=status --type=merge -p \'{"status":{"pauseConditions":null}}\'',
      '#   in an analysis step i, not paused:       kubectl -n shop patch rollout api --subresource=status --type=merge -p \'{"status":{"pauseConditions":null, "currentStepIndex":<i+1>}}\'',
      '#   and if spec.paused is true:               kubectl -n shop patch rollout api --type=merge -p \'{"spec":{"paused":false}}\'',
      '# with the kubectl plugin, which reads the state itself:',
      'kubectl argo rollouts -n shop promote api',
      '',
    ].join('\n'));
    expect((await withApp('promote', 'api', '--app', APP, '--dry-run', '--full')).out).toBe([
      '# unless its pods are already the stable version (and, if spec.paused, also kubectl -n shop patch rollout api --type=merge -p \'{"spec":{"paused":false}}\'):',
      'kubectl -n shop patch rollout api --subresource=status --type=merge -p \'{"status":{"promoteFull":true}}\'',
      '# or, with the kubectl plugin: kubectl argo rollouts -n shop promote api --full',
      '',
    ].join('\n'));
    expectNothingRan();
  });
});

describe('without the engine: one read to learn it, then only printing', () => {
  test('a Flagger Canary is read (running the credential plugin), nothing is written or run', async () => {
    h.flagger.set({ phase: 'Progressing' });
    const run = await h.cli('gate', 'open', 'podinfo', '--once', '--dry-run');
    expect(run.out.split('\n')[1]).toBe(LT('/gate/open').replace('kubectl --context test ', 'kubectl '));
    expect(h.api.lines()).toEqual(['GET /apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo']);
    expect(h.kubectl.calls).toEqual([]);
    expect(fs.existsSync(pluginRan)).toBe(true);
  });

  test('an Argo Rollout: the exact patches for its state', async () => {
    h.api.objects.delete(h.flagger.path);
    h.api.put('/apis/argoproj.io/v1alpha1/namespaces/test/rollouts/podinfo', {
      kind: 'Rollout', metadata: { name: 'podinfo' }, spec: { paused: true, strategy: { canary: { steps: [{ pause: {} }] } } }, status: { pauseConditions: [{ reason: 'CanaryPauseStep' }] },
    });
    expect((await h.cli('promote', 'podinfo', '--dry-run')).out).toBe([
      'kubectl -n test patch rollout podinfo --subresource=status --type=merge -p \'{"status":{"pauseConditions":null}}\'',
      'kubectl -n test patch rollout podinfo --type=merge -p \'{"spec":{"paused":false}}\'',
      '',
    ].join('\n'));
    expect(h.api.writes()).toEqual([]);
  });
});
