import { spawnSync } from 'child_process';
import { IKubeApi, KubeApi } from './kube-client';
import { KubectlRunner, ReleaseTarget, abortCommand, gateCommand, promoteCommand, statusCommand } from './release-commands';

export const RELEASE_USAGE = `usage: cdk8s-canary status  <service> [-n <namespace>] [cluster flags]
       cdk8s-canary gate    open|close|status <service> [-n <namespace>] [--once] [--via exec|proxy] [--dry-run] [cluster flags]
       cdk8s-canary promote <service> [-n <namespace>] [--full] [--dry-run] [cluster flags]
       cdk8s-canary abort   <service> [-n <namespace>] [--dry-run] [cluster flags]

  status   where the release stands (Flagger: phase, weight, failed checks, gate; Argo Rollouts:
           phase, step, pause)
  gate     Flagger's manual gate (CanaryWebhook.manualGate()): open, close or look at it. The
           loadtester keeps one gate per Canary for every stage; --once closes it again as soon
           as the Canary takes one step (a traffic increase, or the promotion)
  promote  Flagger: open the gate; Argo Rollouts: what 'kubectl argo rollouts promote' does
           (--full: skip the remaining steps and analyses)
  abort    Flagger: open the rollback gate (CanaryWebhook.rollbackGate()); Argo Rollouts: what
           'kubectl argo rollouts abort' does

  cluster flags: --kubeconfig <file>, --context <name> (default: $KUBECONFIG, its current context)
  --via exec   reach the loadtester with kubectl exec + curl on localhost (default; its
               NetworkPolicy admits only Flagger's namespace)
  --via proxy  through the API server's Service proxy (the NetworkPolicy must admit the API server)
  --dry-run    print the kubectl commands instead of running them
  --timeout    seconds --once waits for the step (default 1800)
`;

/** What the release commands need from outside; tests pass fakes. */
export interface ReleaseDeps {
  readonly api?: IKubeApi;
  readonly kubectl?: KubectlRunner;
  readonly sleep?: (millis: number) => Promise<void>;
  readonly pollMillis?: number;
}

const VALUE_FLAGS = ['-n', '--namespace', '--kubeconfig', '--context', '--via', '--timeout'];
const BOOLEAN_FLAGS = ['--once', '--full', '--dry-run'];

function parse(args: string[]): { positional: string[]; values: { [flag: string]: string }; booleans: Set<string> } {
  const positional: string[] = [];
  const values: { [flag: string]: string } = {};
  const booleans = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (VALUE_FLAGS.includes(flag)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`'${flag}' needs a value`);
      values[flag === '--namespace' ? '-n' : flag] = value;
    } else if (BOOLEAN_FLAGS.includes(flag)) {
      booleans.add(flag);
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unexpected '${arg}'`);
    } else {
      positional.push(arg);
    }
  }
  return { positional, values, booleans };
}

/** A mistake in the command line (exit code 2, with the usage). */
export class UsageError extends Error {}

/** Runs `status`, `gate`, `promote` or `abort`. */
export async function releaseCommand(command: string, args: string[], out: (text: string) => void, deps: ReleaseDeps = {}): Promise<number> {
  const { positional, values, booleans } = parse(args);
  const action = command === 'gate' ? positional.shift() : undefined;
  if (command === 'gate' && !['open', 'close', 'status'].includes(action ?? '')) {
    throw new UsageError(`'gate' takes open, close or status, not ${action === undefined ? 'nothing' : `'${action}'`}`);
  }
  if (positional.length !== 1) throw new UsageError(`'${command}' takes one service name`);
  const allowed: { [cmd: string]: string[] } = { status: [], gate: ['--once', '--dry-run'], promote: ['--full', '--dry-run'], abort: ['--dry-run'] };
  for (const flag of booleans) {
    if (!allowed[command].includes(flag)) throw new UsageError(`'${command}' takes no '${flag}'`);
  }
  const via = values['--via'] ?? 'exec';
  if (via !== 'exec' && via !== 'proxy') throw new UsageError(`'--via' is exec or proxy, not '${via}'`);
  const timeout = Number(values['--timeout'] ?? 1800);
  if (!Number.isInteger(timeout) || timeout < 1) throw new UsageError(`'--timeout' (${values['--timeout']}) must be a whole number of seconds`);
  const kubeconfig = { file: values['--kubeconfig'], context: values['--context'] };
  const api = deps.api ?? KubeApi.fromKubeconfig(kubeconfig);
  const namespace = values['-n'] ?? (api as KubeApi).namespace ?? 'default';
  const target: ReleaseTarget = {
    name: positional[0],
    namespace,
    dryRun: booleans.has('--dry-run'),
    via,
    kubectl: deps.kubectl ?? runKubectl,
    kubectlFlags: [
      ...(kubeconfig.file ? ['--kubeconfig', kubeconfig.file] : []),
      ...(kubeconfig.context ? ['--context', kubeconfig.context] : []),
    ],
  };
  switch (command) {
    case 'status': return statusCommand(api, target, out);
    case 'gate': return gateCommand(api, target, action!, booleans.has('--once'), {
      pollMillis: deps.pollMillis ?? 5000,
      timeoutMillis: timeout * 1000,
      sleep: deps.sleep ?? ((millis) => new Promise((resolve) => setTimeout(resolve, millis))),
    }, out);
    case 'promote': return promoteCommand(api, target, booleans.has('--full'), out);
    default: return abortCommand(api, target, out);
  }
}

function runKubectl(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('kubectl', args, { encoding: 'utf-8' });
  if (result.error) throw new Error(`cannot run kubectl: ${result.error.message}`);
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}
