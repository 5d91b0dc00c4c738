#!/usr/bin/env node
import * as fs from 'fs';
import { argoCdCommand } from './argocd-command';
import { planCommand } from './plan-command';
import { RELEASE_COMMANDS, ReleaseDeps, UsageError, releaseCommand } from './release/release-command';
import { COMMAND_USAGE, USAGE, versionText } from './usage';
import type * as RehearseCommand from '../rehearsal/rehearse-command';

type Write = (text: string) => void;

/**
 * What `--help`, `help <command>` and `--version` print, anywhere on the command line; undefined
 * when the command line asks for neither.
 */
function helpOrVersion(argv: string[], out: Write, err: Write): number | undefined {
  const [command, ...rest] = argv;
  if (command === undefined) {
    err(USAGE);
    return 2;
  }
  if (command === '--version' || command === 'version') {
    out(versionText());
    return 0;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    const topic = rest[0];
    if (topic !== undefined && COMMAND_USAGE[topic] === undefined) {
      err(`cdk8s-canary help: no command '${topic}'\n\n${USAGE}`);
      return 2;
    }
    out(topic === undefined ? USAGE : COMMAND_USAGE[topic]);
    return 0;
  }
  if (COMMAND_USAGE[command] === undefined) return undefined;
  if (rest.includes('--help') || rest.includes('-h')) {
    out(COMMAND_USAGE[command]);
    return 0;
  }
  if (rest.includes('--version')) {
    out(versionText());
    return 0;
  }
  return undefined;
}

/**
 * Runs the CLI; returns the exit code: 0 done, 1 refused or failed, 2 a mistake in the command
 * line.
 */
export async function mainAsync(
  argv: string[],
  out: Write = (t) => process.stdout.write(t),
  err: Write = (t) => process.stderr.write(t),
  deps: ReleaseDeps = {},
): Promise<number> {
  const [command, ...rest] = argv;
  if (rest.includes('--help') || rest.includes('-h') || rest.includes('--version')) return main(argv, out, err);
  if (command === 'rehearse') {
    // Loaded when used: the other commands never load the rehearsal.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { RehearseUsageError, rehearseCommand }: typeof RehearseCommand = require('../rehearsal/rehearse-command');
    try {
      return await rehearseCommand(rest, out);
    } catch (error) {
      if (error instanceof RehearseUsageError) {
        err(`cdk8s-canary rehearse: ${error.message}\n\n${COMMAND_USAGE.rehearse}`);
        return 2;
      }
      err(`cdk8s-canary rehearse: ${(error as Error).message}\n`);
      return 1;
    }
  }
  if (!RELEASE_COMMANDS.includes(command)) return main(argv, out, err);
  try {
    return await releaseCommand(command, rest, out, err, deps);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`cdk8s-canary ${command}: ${error.message}\n\n${COMMAND_USAGE[command]}`);
      return 2;
    }
    err(`cdk8s-canary ${command}: ${(error as Error).message}\n`);
    return 1;
  }
}

/** Runs the CLI's synchronous commands (`plan`, `argocd`), help and version; returns the exit code. */
export function main(argv: string[], out: Write = (t) => process.stdout.write(t), err: Write = (t) => process.stderr.write(t)): number {
  const early = helpOrVersion(argv, out, err);
  if (early !== undefined) return early;
  const [command, ...rest] = argv;
  const flags = rest.filter((arg) => arg.startsWith('-'));
  const positional = rest.filter((arg) => !arg.startsWith('-'));
  const usageError = (unexpected: string[]) => {
    err(`cdk8s-canary ${command}: unexpected ${unexpected.map((a) => `'${a}'`).join(', ')}\n\n${COMMAND_USAGE[command]}`);
    return 2;
  };
  try {
    if (command === 'plan') {
      const unknown = flags.filter((flag) => flag !== '--json');
      if (unknown.length > 0 || positional.length > 1) return usageError([...unknown, ...positional.slice(1)]);
      return planCommand({ entry: positional[0] ?? defaultEntry(), json: flags.includes('--json') }, out);
    }
    if (command === 'argocd') {
      if (flags.length > 0 || positional.length > 1) return usageError([...flags, ...positional.slice(1)]);
      return argoCdCommand(positional[0] ?? defaultEntry(), out);
    }
    if (RELEASE_COMMANDS.includes(command)) {
      err(`cdk8s-canary ${command}: runs against the cluster; call mainAsync\n`);
      return 2;
    }
    if (command === 'rehearse') {
      err('cdk8s-canary rehearse: runs the Prometheus server and waits for it; call mainAsync\n');
      return 2;
    }
    err(`cdk8s-canary: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  } catch (error) {
    err(`cdk8s-canary ${command}: ${(error as Error).message}\n`);
    return 1;
  }
}

function defaultEntry(): string {
  return fs.existsSync('main.ts') ? 'main.ts' : 'main.js';
}

if (require.main === module) {
  void mainAsync(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
