import * as fs from 'fs';
import * as path from 'path';
import { Harness, execArgs, writeKubeconfig } from './fakes/harness';
import { ExecCredentialSource, PluginRunner } from '../../src/cli/kube/exec-credential';
import { ExecPluginConfig } from '../../src/cli/kube/kubeconfig';

/*
 * Exec credential plugins as client-go's exec authenticator runs them
 * (plugin/pkg/client/auth/exec/exec.go): cached until expirationTimestamp, run again on a 401, and
 * their answers checked the same way. Then a release command whose wait outlives the token.
 */

jest.setTimeout(120_000);

const PLUGIN: ExecPluginConfig = { command: 'aws', args: ['eks', 'get-token'], env: [{ name: 'AWS_PROFILE', value: 'prod' }], apiVersion: 'client.authentication.k8s.io/v1beta1', provideClusterInfo: false, interactiveMode: 'IfAvailable' };
const answer = (status: object, apiVersion = 'client.authentication.k8s.io/v1beta1') => JSON.stringify({ kind: 'ExecCredential', apiVersion, status });

describe('ExecCredentialSource', () => {
  let clock: Date;
  let runs: { command: string; args: string[]; env: { [name: string]: string }; interactive: boolean }[];
  let answers: string[];
  const runner: PluginRunner = async (command, args, env, interactive) => {
    runs.push({ command, args, env, interactive });
    return { code: 0, stdout: answers.shift() ?? '' };
  };
  const source = (plugin: Partial<ExecPluginConfig> = {}, terminal = false) => new ExecCredentialSource({ ...PLUGIN, ...plugin }, { server: 'https://kube' }, {
    run: runner, now: () => clock, env: { PATH: '/usr/bin', HOME: '/home/alice' }, stdinIsTerminal: terminal,
  });
  beforeEach(() => {
    clock = new Date('2025-06-01T10:00:00Z');
    runs = [];
    answers = [];
  });

  test('kept until expirationTimestamp, then run again', async () => {
    answers.push(answer({ token: 't1', expirationTimestamp: '2025-06-01T10:15:00Z' }), answer({ token: 't2', expirationTimestamp: '2025-06-01T10:30:00Z' }));
    const s = source();
    expect((await s.get()).token).toBe('t1');
    clock = new Date('2025-06-01T10:15:00Z');
    expect((await s.get()).token).toBe('t1');
    clock = new Date('2025-06-01T10:15:01Z');
    expect((await s.get()).token).toBe('t2');
    expect(runs).toHaveLength(2);
    expect(runs[0]).toEqual({
      command: 'aws',
      args: ['eks', 'get-token'],
      interactive: false,
      env: { PATH: '/usr/bin', HOME: '/home/alice', AWS_PROFILE: 'prod', KUBERNETES_EXEC_INFO: '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}' },
    });
  });

  test('a 401 runs it again, once for everyone who used the same credential', async () => {
    answers.push(answer({ token: 't1' }), answer({ token: 't2' }));
    const s = source();
    const used = await s.get();
    const [a, b] = await Promise.all([s.refresh(used), s.refresh(used)]);
    expect([a.token, b.token]).toEqual(['t2', 't2']);
    expect((await s.refresh(used)).token).toBe('t2');
    expect(runs).toHaveLength(2);
  });

  test('interactive when a terminal is there (IfAvailable) or required (Always)', async () => {
    answers.push(answer({ token: 't' }));
    await source({}, true).get();
    expect(runs[0].interactive).toBe(true);
    expect(JSON.parse(runs[0].env.KUBERNETES_EXEC_INFO).spec.interactive).toBe(true);
    await expect(source({ interactiveMode: 'Always' }, false).get()).rejects.toThrow(
      "the credential plugin 'aws' needs a terminal (interactiveMode: Always), and standard input is not one");
  });

  test.each([
    ['not installed', { code: null, stdout: '', error: Object.assign(new Error('spawn aws ENOENT'), { code: 'ENOENT' }) },
      "the credential plugin 'aws' is not installed (not found on PATH): install the AWS CLI"],
    ['failed', { code: 255, stdout: '' }, "the credential plugin 'aws' failed (exit code 255)"],
    ['no JSON', { code: 0, stdout: 'Please log in' }, "the credential plugin 'aws' printed no ExecCredential JSON"],
    ['another API version', { code: 0, stdout: answer({ token: 't' }, 'client.authentication.k8s.io/v1') },
      "the credential plugin 'aws' is configured to use API version client.authentication.k8s.io/v1beta1, and returned ExecCredential client.authentication.k8s.io/v1"],
    ['no status', { code: 0, stdout: JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1' }) }, "the credential plugin 'aws' returned no status"],
    ['nothing in it', { code: 0, stdout: answer({}) }, "the credential plugin 'aws' returned neither a token nor a client certificate and key"],
    ['a certificate without its key', { code: 0, stdout: answer({ clientCertificateData: 'PEM' }) }, "the credential plugin 'aws' returned only a client certificate or key, not both"],
    ['a bad expiry', { code: 0, stdout: answer({ token: 't', expirationTimestamp: 'soon' }) }, "the credential plugin 'aws' returned an expirationTimestamp that is no time: 'soon'"],
  ])('%s: the message says so', async (_what, result, message) => {
    const s = new ExecCredentialSource({ ...PLUGIN, installHint: 'install the AWS CLI\n' }, { server: 'https://kube' }, {
      run: async () => result as any, now: () => clock, env: {}, stdinIsTerminal: false,
    });
    await expect(s.get()).rejects.toThrow(message);
  });
});

describe('a release command whose wait outlives the token', () => {
  let h: Harness;
  let clock: Date;
  beforeEach(async () => {
    h = await new Harness().start();
    clock = new Date('2025-06-01T10:00:00Z');
    // An EKS-like plugin: token N, valid 15 minutes from the test's clock (the file 'now').
    const counter = path.join(h.dir, 'runs');
    const now = path.join(h.dir, 'now');
    fs.writeFileSync(now, clock.toISOString());
    const plugin = path.join(h.dir, 'plugin.js');
    fs.writeFileSync(plugin, [
      "const fs = require('fs');",
      `const n = (fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf-8')) : 0) + 1;`,
      `fs.writeFileSync(${JSON.stringify(counter)}, String(n));`,
      `const expires = new Date(Date.parse(fs.readFileSync(${JSON.stringify(now)}, 'utf-8')) + 15 * 60 * 1000).toISOString();`,
      "console.log(JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', status: { token: 'exec-token-' + n, expirationTimestamp: expires } }));",
    ].join('\n'));
    h.kubeconfig = writeKubeconfig(h.dir, h.server, ['exec:', '  apiVersion: client.authentication.k8s.io/v1', `  command: ${process.execPath}`, `  args: [${plugin}]`, '  interactiveMode: Never'].join('\n'));
    for (const n of [1, 2, 3]) h.api.tokens.set(`exec-token-${n}`, 'alice');
    h.deps = { plugin: { now: () => clock } };
    h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
  });
  afterEach(async () => { await h.stop(); });

  test('expired after 15 minutes: the plugin runs again before the next request; revoked early (401): again, and the request is repeated', async () => {
    h.flagger.stalled = 100;
    h.onWait = (n) => {
      clock = new Date(clock.getTime() + 5 * 60 * 1000);
      fs.writeFileSync(path.join(h.dir, 'now'), clock.toISOString());
      // At 10:25 the second token (valid until 10:35) is revoked by the server.
      if (n === 5) h.api.tokens.delete('exec-token-2');
      if (n === 6) h.flagger.stalled = 0;
    };
    const run = await h.cli('gate', 'open', 'podinfo', '--once');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const each = (times: number, line: string) => Array.from({ length: times }, () => line);
    expect(h.api.requests.map((r) => `${r.method} ${r.authorization} ${r.user}`)).toEqual([
      ...each(3, 'GET Bearer exec-token-1 alice'), // 10:00 find the Canary, the loadtester Deployment, the gate record
      'PATCH Bearer exec-token-1 alice', // the record claimed
      ...each(2, 'GET Bearer exec-token-1 alice'), // 10:05 the Canary, and who holds the gate
      ...each(2, 'GET Bearer exec-token-1 alice'), // 10:10
      ...each(2, 'GET Bearer exec-token-1 alice'), // 10:15, still valid
      ...each(2, 'GET Bearer exec-token-2 alice'), // 10:20: expired, renewed before the request
      'GET Bearer exec-token-2 unauthorized', // 10:25: revoked
      'GET Bearer exec-token-3 alice', // renewed on the 401, the request repeated
      'GET Bearer exec-token-3 alice', // who holds the gate
      'GET Bearer exec-token-3 alice', // 10:30: the step is taken
      ...each(2, 'GET Bearer exec-token-3 alice'), // who holds the gate, before closing it; the record read again to remove it
      'PATCH Bearer exec-token-3 alice', // the record removed after the gate closed
    ]);
    expect(fs.readFileSync(path.join(h.dir, 'runs'), 'utf-8')).toBe('3');
    expect(h.kubectl.calls).toEqual([execArgs('/gate/check'), execArgs('/gate/open'), ...[1, 2, 3, 4, 5].map(() => execArgs('/gate/check')), execArgs('/gate/close')]);
    expect(h.tester.isOpen('podinfo.test')).toBe(false);
  });
});
