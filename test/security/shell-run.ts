import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The programs the commands call, replaced by a stub that prints its arguments (NUL-separated) and nothing else. */
const STUBBED = ['hey', 'ghz', 'curl'];
/** What each stub prints first, so that calls can be told apart whatever their arguments hold. */
const CALL = '--stub-call--';
const MARKER = 'PWNED';

/** A file a hostile value would create if it ran as a command. */
export interface Sandbox {
  readonly dir: string;
  /** The file an injected command touches; it must never exist. */
  readonly marker: string;
}

/**
 * A directory whose bin/ holds the stubs, by default one per program that prints its arguments;
 * `scripts` replaces a stub's body (a shell script).
 */
export function sandbox(scripts: { [program: string]: string } = {}): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shell-'));
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  for (const name of STUBBED) {
    const stub = path.join(bin, name);
    fs.writeFileSync(stub, `#!/bin/sh\n${scripts[name] ?? `printf '%s\\0' "${CALL}" "${name}" "$@"`}\n`);
    fs.chmodSync(stub, 0o755);
  }
  return { dir, marker: path.join(dir, MARKER) };
}

/** Removes the sandbox. */
export function removeSandbox(box: Sandbox): void {
  fs.rmSync(box.dir, { recursive: true, force: true });
}

/** Hostile values: each would create the sandbox's marker (in the directory commands run in) if it reached a shell unquoted. */
export function hostileValues(): string[] {
  const marker = MARKER;
  return [
    `;touch ${marker}`,
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `\ntouch ${marker}`,
    `|touch ${marker}`,
    `&touch ${marker}`,
    `&&touch ${marker}`,
    `'; touch ${marker}; '`,
    `"; touch ${marker}; "`,
    `$'\\x3b'touch ${marker}`,
  ];
}

/** The outcome of running a command the way the loadtester (`sh -c`) and an Argo Job (`/bin/sh -c`) run it. */
export interface ShellRun {
  /** What the command printed. */
  readonly stdout: string;
  /** Whether `sh -n` parsed it. */
  readonly parses: boolean;
  /** The argument vector the stubbed program received (its name first), one entry per program called. */
  readonly calls: string[][];
  /** Whether the marker file exists: an injected command ran. */
  readonly injected: boolean;
  readonly status: number | null;
  readonly stderr: string;
}

export function runUnderShell(box: Sandbox, command: string): ShellRun {
  const parse = spawnSync('/bin/sh', ['-n', '-c', command], { encoding: 'utf8' });
  const run = spawnSync('/bin/sh', ['-c', command], {
    cwd: box.dir,
    encoding: 'utf8',
    env: { PATH: `${path.join(box.dir, 'bin')}:/usr/bin:/bin`, HOME: box.dir },
    timeout: 10_000,
  });
  const words = run.stdout.split('\0').slice(0, -1);
  const calls: string[][] = [];
  for (const word of words) {
    if (word === CALL) calls.push([]);
    else if (calls.length > 0) calls[calls.length - 1].push(word);
  }
  return { stdout: run.stdout, parses: parse.status === 0, calls, injected: fs.existsSync(box.marker), status: run.status, stderr: run.stderr };
}
