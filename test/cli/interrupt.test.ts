import { spawn } from 'child_process';
import * as path from 'path';
import { Harness } from './fakes/harness';

/*
 * A real Ctrl-C: the CLI runs as its own process (ts-node), `gate open --once --via proxy` against
 * the fake API server, and gets SIGINT while it waits. It must close the gate before it exits 1.
 */

jest.setTimeout(180_000);

const ROOT = path.join(__dirname, '..', '..');
let h: Harness;
beforeEach(async () => { h = await new Harness().start(); });
afterEach(async () => { await h.stop(); });

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

test('SIGINT while gate open --once waits: the gate is closed, the record removed, exit 1', async () => {
  h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
  h.flagger.stalled = 1000;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'src', 'cli', 'main.ts'), 'gate', 'open', 'podinfo', '--once', '--via', 'proxy'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: h.dir, KUBECONFIG: h.kubeconfig, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.dev.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await until(() => out.includes('waiting for the Canary to take it'), `the gate to open (stdout: ${out}, stderr: ${err})`);
  expect(h.tester.isOpen('podinfo.test')).toBe(true);
  child.kill('SIGINT');
  expect(await exited).toBe(1);
  expect(err).toBe('\nSIGINT: closing what this command opened...\ncdk8s-canary gate: interrupted; the gate of test/podinfo is closed again\n');
  expect(h.tester.isOpen('podinfo.test')).toBe(false);
  const lines = h.api.lines();
  expect(lines.slice(-2)).toEqual(['POST /api/v1/namespaces/test/services/http:flagger-loadtester:80/proxy/gate/close', 'PATCH /api/v1/namespaces/test/configmaps/cdk8s-canary-gates']);
  expect(h.records()).toEqual({});
});
