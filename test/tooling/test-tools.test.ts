import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * scripts/test-tools.sh, the first step of `npm test`, run with a PATH that holds only stubs: which
 * binaries are found, whether it installs (as root, with apt-get) and what, and its one-line failure.
 */
const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'test-tools.sh');
const BASH = '/bin/bash';

interface Machine {
  readonly tools: string[];
  readonly uid: number;
  readonly aptGet?: 'installs' | 'fails' | 'installs-nothing';
  readonly env?: Record<string, string>;
}

function run(machine: Machine): { status: number | null; stderr: string; aptCalls: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'test-tools-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const log = path.join(dir, 'apt.log');
  const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!${BASH}\n${body}\n`, { mode: 0o755 });
  for (const tool of machine.tools) stub(tool, 'exit 0');
  stub('id', `echo ${machine.uid}`);
  if (machine.aptGet) {
    const installs = machine.aptGet === 'installs'
      ? `for p in "$@"; do case "$p" in prometheus) printf '#!${BASH}\\nexit 0\\n' > "${bin}/prometheus"; printf '#!${BASH}\\nexit 0\\n' > "${bin}/promtool"; chmod +x "${bin}/prometheus" "${bin}/promtool";; jq) printf '#!${BASH}\\nexit 0\\n' > "${bin}/jq"; chmod +x "${bin}/jq";; esac; done`
      : '';
    stub('apt-get', `echo "$*" >> "${log}"\n${installs}\n${machine.aptGet === 'fails' ? 'exit 100' : 'exit 0'}`);
  }
  const result = spawnSync(BASH, [SCRIPT], { encoding: 'utf-8', env: { PATH: bin, ...machine.env } });
  const aptCalls = fs.existsSync(log) ? fs.readFileSync(log, 'utf-8').trim().split('\n') : [];
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: result.status, stderr: result.stderr, aptCalls };
}

describe('scripts/test-tools.sh (the first step of npm test)', () => {
  test('the installed binaries are used as they are: nothing is installed, not even as root', () => {
    const result = run({ tools: ['prometheus', 'promtool', 'jq'], uid: 0, aptGet: 'installs' });
    expect(result).toEqual({ status: 0, stderr: '', aptCalls: [] });
  });

  test('PROMETHEUS_BINARY names the server binary that must be found', () => {
    expect(run({ tools: ['my-prometheus', 'promtool', 'jq'], uid: 1000, env: { PROMETHEUS_BINARY: 'my-prometheus' } }))
      .toEqual({ status: 0, stderr: '', aptCalls: [] });
    expect(run({ tools: ['prometheus', 'promtool', 'jq'], uid: 1000, env: { PROMETHEUS_BINARY: 'my-prometheus' } }).status).toBe(1);
  });

  test('as root with apt-get, the missing ones are installed from Debian, and the tests go on', () => {
    const result = run({ tools: [], uid: 0, aptGet: 'installs' });
    expect(result.status).toBe(0);
    expect(result.aptCalls).toEqual(['install -y --no-install-recommends prometheus jq']);
    expect(result.stderr).toBe("npm test: installing Debian's prometheus jq for prometheus promtool jq\n");
  });

  test('only the package of what is missing is installed', () => {
    expect(run({ tools: ['prometheus', 'promtool'], uid: 0, aptGet: 'installs' }).aptCalls)
      .toEqual(['install -y --no-install-recommends jq']);
    expect(run({ tools: ['prometheus', 'jq'], uid: 0, aptGet: 'installs' }).aptCalls)
      .toEqual(['install -y --no-install-recommends prometheus']);
  });

  test('a failed install is retried after apt-get update, then fails with one line', () => {
    const result = run({ tools: ['prometheus', 'promtool'], uid: 0, aptGet: 'fails' });
    expect(result.status).toBe(1);
    expect(result.aptCalls).toEqual(['install -y --no-install-recommends jq', 'update']);
    expect(result.stderr).toBe("npm test: installing Debian's jq for jq\n"
      + "npm test needs jq: 'apt-get install jq' failed; install Debian's jq and run it again\n");
  });

  test('an install that leaves a binary missing fails, naming it', () => {
    const result = run({ tools: ['jq'], uid: 0, aptGet: 'installs-nothing' });
    expect(result.status).toBe(1);
    expect(result.stderr.split('\n')[1]).toBe("npm test needs prometheus promtool: installing Debian's prometheus did not put it on the PATH");
  });

  test('not root: nothing is installed, and one line says what to install', () => {
    const result = run({ tools: ['jq'], uid: 1000, aptGet: 'installs' });
    expect(result.status).toBe(1);
    expect(result.aptCalls).toEqual([]);
    expect(result.stderr).toBe("npm test needs prometheus promtool, not found on the PATH: install Debian's prometheus (sudo apt-get install prometheus)\n");
  });

  test('root without apt-get: one line says what to install', () => {
    const result = run({ tools: [], uid: 0 });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe("npm test needs prometheus promtool jq, not found on the PATH: install Debian's prometheus jq (sudo apt-get install prometheus jq)\n");
  });
});

describe('CI runs the README\'s two commands as written', () => {
  const root = path.join(__dirname, '..', '..');
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf-8');
  const quickStart = readme.split('## Quick start')[1].split('```sh\n')[1].split('```')[0];
  const commands = quickStart.trim().split('\n').map((line) => line.split('#')[0].trim());
  const ci = fs.readFileSync(path.join(root, '.ci', 'run'), 'utf-8');

  test('the Quick start has exactly the synth command and the test command', () => {
    expect(commands).toEqual(['npm ci && npm run synth', 'npm ci && npm test']);
  });

  test('.ci/run runs each of them as written, and installs no test tool itself', () => {
    expect(ci.split('\n').filter((line) => line.trim() === 'npm ci && npm run synth')).toHaveLength(1);
    expect(ci).toContain('{ npm ci && npm test; } 2>&1 | tee');
    expect(ci).not.toMatch(/apt-get install/);
  });

  test('npm test runs scripts/test-tools.sh before jest', () => {
    const tasks = JSON.parse(fs.readFileSync(path.join(root, '.projen', 'tasks.json'), 'utf-8'));
    expect(tasks.tasks.test.steps[0]).toEqual({ exec: 'bash scripts/test-tools.sh' });
    expect(tasks.tasks.test.steps[1].execArgs[0]).toBe('jest');
  });
});
