import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Harness } from './fakes/harness';

/*
 * A real Ctrl-C, and a real hang-up: the CLI runs as its own process (ts-node), `gate open --once
 * --via proxy` against the fake API server, and gets SIGINT (or SIGHUP, with its terminal gone)
 * while it waits. It must close the gate before it exits 1.
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

/** Where the CLI writes an uncaught exception (fixtures/record-uncaught.ts). */
const uncaught = () => path.join(h.dir, 'uncaught.log');

function startCli() {
  h.flagger.set({ phase: 'Progressing', canaryWeight: 10, lastAppliedSpec: 'rev2' });
  h.flagger.stalled = 1000;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', path.join(__dirname, 'fixtures', 'record-uncaught.ts'),
    path.join(ROOT, 'src', 'cli', 'main.ts'), 'gate', 'open', 'podinfo', '--once', '--via', 'proxy'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: h.dir, KUBECONFIG: h.kubeconfig, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.dev.json'), CDK8S_CANARY_UNCAUGHT_LOG: uncaught() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { out: '', err: '' };
  child.stdout.on('data', (c: Buffer) => { output.out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { output.err += c.toString(); });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, output, exited };
}

const CLOSE_AND_FORGET = ['POST /api/v1/namespaces/test/services/http:flagger-loadtester:80/proxy/gate/close', 'GET /api/v1/namespaces/test/configmaps/cdk8s-canary-gates',
  'PATCH /api/v1/namespaces/test/configmaps/cdk8s-canary-gates'];

test('SIGINT while gate open --once waits: the gate is closed, the record removed, exit 1', async () => {
  const { child, output, exited } = startCli();
  await until(() => output.out.includes('waiting for the Canary to take it'), `the gate to open (stdout: ${output.out}, stderr: ${output.err})`);
  expect(h.tester.isOpen('podinfo.test')).toBe(true);
  child.kill('SIGINT');
  expect(await exited).toEqual({ code: 1, signal: null });
  expect(output.err).toBe('\nSIGINT: closing what this command opened...\ncdk8s-canary gate: interrupted; the gate of test/podinfo is closed again\n');
  expect(h.tester.isOpen('podinfo.test')).toBe(false);
  expect(h.api.lines().slice(-3)).toEqual(CLOSE_AND_FORGET);
  expect(h.records()).toEqual({});
  expect(fs.existsSync(uncaught()) ? fs.readFileSync(uncaught(), 'utf-8') : 'no uncaught exception').toBe('no uncaught exception');
});

test('SIGHUP (the terminal closed, its pipes gone): the gate is closed all the same, writing nothing, and no failed write crashes it: exit 1', async () => {
  const { child, output, exited } = startCli();
  await until(() => output.out.includes('waiting for the Canary to take it'), `the gate to open (stdout: ${output.out}, stderr: ${output.err})`);
  expect(h.tester.isOpen('podinfo.test')).toBe(true);
  // What a closed terminal leaves: every write fails (EPIPE here, EIO on a tty).
  child.stdout.destroy();
  child.stderr.destroy();
  child.kill('SIGHUP');
  expect(await exited).toEqual({ code: 1, signal: null });
  expect(h.tester.isOpen('podinfo.test')).toBe(false);
  expect(h.api.lines().slice(-3)).toEqual(CLOSE_AND_FORGET);
  expect(h.records()).toEqual({});
  expect(fs.existsSync(uncaught()) ? fs.readFileSync(uncaught(), 'utf-8') : 'no uncaught exception').toBe('no uncaught exception');
});
