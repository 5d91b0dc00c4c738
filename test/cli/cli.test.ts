import * as fs from 'fs';
import * as path from 'path';
import { main, mainAsync } from '../../src/cli/main';
import { COMMAND_USAGE, USAGE } from '../../src/cli/usage';

// Every test talks to in-process HTTPS servers; the machine is shared.
jest.setTimeout(120_000);

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await mainAsync(argv, (t) => { out += t; }, (t) => { err += t; }, { environment: { env: {}, homedir: '/nonexistent', serviceAccountDir: '/nonexistent' } });
  return { code, out, err };
}

const COMMANDS = ['plan', 'argocd', 'status', 'gate', 'promote', 'abort', 'reset'];
const VERSION = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf-8')).version;

describe('--help and --version for every command, with no cluster', () => {
  test.each(COMMANDS)('%s --help, -h and help %s print its usage (exit 0)', async (command) => {
    const usage = COMMAND_USAGE[command];
    expect(usage.startsWith(`usage: cdk8s-canary ${command}`)).toBe(true);
    expect(await run(command, '--help')).toEqual({ code: 0, out: usage, err: '' });
    expect(await run(command, 'podinfo', '-h')).toEqual({ code: 0, out: usage, err: '' });
    expect(await run('help', command)).toEqual({ code: 0, out: usage, err: '' });
  });

  test.each(COMMANDS)('%s --version', async (command) => {
    expect(await run(command, '--version')).toEqual({ code: 0, out: `cdk8s-canary ${VERSION} (targets Flagger 1.44.0, Argo Rollouts 1.9.1)\n`, err: '' });
  });

  test('the CLI itself: --version, --help, no command, an unknown one', async () => {
    expect(await run('--version')).toEqual({ code: 0, out: `cdk8s-canary ${VERSION} (targets Flagger 1.44.0, Argo Rollouts 1.9.1)\n`, err: '' });
    expect(await run('--help')).toEqual({ code: 0, out: USAGE, err: '' });
    expect(await run()).toEqual({ code: 2, out: '', err: USAGE });
    expect(await run('deploy')).toEqual({ code: 2, out: '', err: `cdk8s-canary: unknown command 'deploy'\n\n${USAGE}` });
    expect(await run('help', 'deploy')).toEqual({ code: 2, out: '', err: `cdk8s-canary help: no command 'deploy'\n\n${USAGE}` });
    // main() (synchronous) answers the same for plan and argocd.
    expect(main(['plan', '--help'], () => undefined, () => undefined)).toBe(0);
  });

  test('the exit codes are documented where every user sees them', () => {
    expect(USAGE).toContain('exit codes: 0 done; 1 refused or failed (by the cluster, the loadtester or a check; a timeout;\n'
      + '            Ctrl-C, SIGTERM or SIGHUP: whatever the command opened is closed again first); 2 a mistake\n'
      + '            in the command line\n');
  });
});

describe('mistakes in the command line: exit 2 with the command\'s usage', () => {
  test.each([
    [['gate', 'opne', 'podinfo'], "cdk8s-canary gate: 'gate' takes open, close or status, not 'opne'"],
    [['gate'], "cdk8s-canary gate: 'gate' takes open, close or status, not nothing"],
    [['promote'], "cdk8s-canary promote: 'promote' takes one service name"],
    [['promote', 'a', 'b'], "cdk8s-canary promote: 'promote' takes one service name, not 'a' 'b'"],
    [['promote', 'Pod_Info'], "cdk8s-canary promote: 'Pod_Info' is no Kubernetes name (lower-case letters, digits, '-' and '.')"],
    [['status', 'podinfo', '-n', 'Test'], "cdk8s-canary status: '-n' (Test) is no namespace name (lower-case letters, digits and '-', at most 63)"],
    [['abort', 'podinfo', '--full'], "cdk8s-canary abort: 'abort' takes no '--full' (promote does)"],
    [['status', 'podinfo', '--once'], "cdk8s-canary status: 'status' takes no '--once' (gate does)"],
    [['status', 'podinfo', '--dry-run'], "cdk8s-canary status: 'status' takes no '--dry-run' (gate, promote, abort, reset do)"],
    [['gate', 'close', 'podinfo', '--once'], "cdk8s-canary gate: 'gate close' takes no '--once'"],
    [['gate', 'open', 'podinfo', '--once', '--detach'], "cdk8s-canary gate: '--once' and '--detach' exclude each other"],
    [['gate', 'open', 'podinfo', '--via', 'ssh'], "cdk8s-canary gate: '--via' is exec or proxy, not 'ssh'"],
    [['gate', 'open', 'podinfo', '--timeout', '0'], "cdk8s-canary gate: '--timeout' (0) must be a whole number of seconds, at least 1"],
    [['gate', 'open', 'podinfo', '--timeout'], "cdk8s-canary gate: '--timeout' needs a value"],
    [['status', 'podinfo', '--output', 'yaml'], "cdk8s-canary status: '--output' is text or json, not 'yaml'"],
    [['status', 'podinfo', '--engine', 'spinnaker'], "cdk8s-canary status: '--engine' is flagger or argo, not 'spinnaker'"],
    [['status', 'podinfo', '--verbose'], "cdk8s-canary status: unexpected '--verbose'"],
    [['status', 'podinfo', '--cluster-domain', 'Corp_Local'], "cdk8s-canary status: '--cluster-domain' (Corp_Local) is no DNS domain (lower-case letters, digits, '-' and '.')"],
    [['reset', 'podinfo', '--dry-run=yes'], "cdk8s-canary reset: '--dry-run' takes no value"],
    [['plan', 'a.ts', '--yaml'], "cdk8s-canary plan: unexpected '--yaml'"],
  ])('%j', async (argv, message) => {
    const { code, out, err } = await run(...argv);
    expect({ code, out, first: err.split('\n')[0] }).toEqual({ code: 2, out: '', first: message });
    expect(err).toContain(`\n\n${COMMAND_USAGE[argv[0]]}`);
  });
});

test('without a kubeconfig and outside a pod, a command that needs the cluster says what to set (exit 1)', async () => {
  expect(await run('status', 'podinfo')).toEqual({
    code: 1,
    out: '',
    err: "cdk8s-canary status: no kubeconfig: none of '/nonexistent/.kube/config' exists, and this is not a pod with a service account; set --kubeconfig or KUBECONFIG\n",
  });
});
