#!/usr/bin/env node
import * as fs from 'fs';
import { argoCdCommand } from './argocd-command';
import { planCommand } from './plan-command';
import { RELEASE_USAGE, ReleaseDeps, UsageError, releaseCommand } from './release-cli';

const USAGE = `usage: cdk8s-canary plan [app entry] [--json]
       cdk8s-canary argocd [app entry]

  plan   print the rollout plan of every CanaryService of a cdk8s app: its phases and weights,
         what runs when, when the analysis can first fail, the earliest full promotion, and how far
         a bad canary gets. The entry defaults to main.ts (or main.js) in the current directory.
         Exits 1 when an analysis could not stop a bad canary.

  argocd print the spec.ignoreDifferences and sync options of the Argo CD Application that applies
         the app's output: the fields Argo Rollouts rewrites in the objects of every CanaryService
         declared with gitOps: GitOps.argoCd().

${RELEASE_USAGE}`;

const RELEASE_COMMANDS = ['status', 'gate', 'promote', 'abort'];

/**
 * Runs a release command (`status`, `gate`, `promote`, `abort`) against the cluster; returns the
 * exit code.
 */
export async function mainAsync(
  argv: string[],
  out: (text: string) => void = (t) => process.stdout.write(t),
  err: (text: string) => void = (t) => process.stderr.write(t),
  deps: ReleaseDeps = {},
): Promise<number> {
  const [command, ...rest] = argv;
  if (!RELEASE_COMMANDS.includes(command)) return main(argv, out, err);
  try {
    return await releaseCommand(command, rest, out, deps);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`cdk8s-canary ${command}: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    err(`cdk8s-canary ${command}: ${(error as Error).message}\n`);
    return 1;
  }
}

/** Runs the CLI's synchronous commands (`plan`, help); returns the exit code. */
export function main(
  argv: string[],
  out: (text: string) => void = (t) => process.stdout.write(t),
  err: (text: string) => void = (t) => process.stderr.write(t),
): number {
  const [command, ...rest] = argv;
  const flags = rest.filter((arg) => arg.startsWith('--'));
  const positional = rest.filter((arg) => !arg.startsWith('--'));
  try {
    if (command === 'plan') {
      const unknown = flags.filter((flag) => flag !== '--json');
      if (unknown.length > 0 || positional.length > 1) {
        err(`cdk8s-canary plan: unexpected ${[...unknown, ...positional.slice(1)].map((a) => `'${a}'`).join(', ')}\n\n${USAGE}`);
        return 2;
      }
      return planCommand({ entry: positional[0] ?? defaultEntry(), json: flags.includes('--json') }, out);
    }
    if (command === 'argocd') {
      if (flags.length > 0 || positional.length > 1) {
        err(`cdk8s-canary argocd: unexpected ${[...flags, ...positional.slice(1)].map((a) => `'${a}'`).join(', ')}\n\n${USAGE}`);
        return 2;
      }
      return argoCdCommand(positional[0] ?? defaultEntry(), out);
    }
    if (command === undefined || command === '--help' || command === 'help') {
      out(USAGE);
      return command === undefined ? 2 : 0;
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
