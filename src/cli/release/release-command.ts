import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import { argoAbort, argoPromote, argoStatus } from './argo-commands';
import { Engine, KubectlRunner, ReleaseContext, WaitOptions } from './context';
import { findRelease } from './find';
import { flaggerAbort, flaggerGate, flaggerPromote, flaggerReset, flaggerStatus } from './flagger-commands';
import { sleep as realSleep } from './wait';
import { CanaryService } from '../../canary-service';
import { ExecCredentialDeps } from '../kube/exec-credential';
import { IKubeApi, KubeApi } from '../kube/kube-client';
import { KubeConnection, KubeEnvironment, processEnvironment, resolveConnection } from '../kube/kubeconfig';
import { constructsOf, loadApps } from '../load-app';
import { version } from '../usage';

/** What the release commands need from outside; tests pass fakes. */
export interface ReleaseDeps {
  /** Replaces the API client built from the kubeconfig. */
  readonly api?: IKubeApi;
  /** Where kubeconfig, the proxy variables and the in-cluster service account are looked for. */
  readonly environment?: KubeEnvironment;
  readonly kubectl?: KubectlRunner;
  readonly sleep?: WaitOptions['sleep'];
  readonly pollMillis?: number;
  /** Aborts waits; default: Ctrl-C (SIGINT), SIGTERM and SIGHUP (the terminal closed). */
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
  /** This run's id, recorded with the gates it opens; default: random. */
  readonly runId?: string;
  /** How credential plugins run. */
  readonly plugin?: Partial<ExecCredentialDeps>;
}

/** A mistake in the command line (exit code 2, with the command's usage). */
export class UsageError extends Error {}

export const RELEASE_COMMANDS = ['status', 'gate', 'promote', 'abort', 'reset'];

const COMMON_VALUES = ['-n', '--namespace', '--kubeconfig', '--context', '--engine', '--app', '--via', '--cluster-domain'];
const FLAGS: { [command: string]: { values: string[]; booleans: string[] } } = {
  status: { values: ['--output'], booleans: [] },
  gate: { values: ['--timeout'], booleans: ['--once', '--detach', '--dry-run'] },
  promote: { values: ['--timeout'], booleans: ['--full', '--dry-run'] },
  abort: { values: ['--timeout'], booleans: ['--detach', '--dry-run'] },
  reset: { values: [], booleans: ['--dry-run'] },
};

// Kubernetes names: a Canary or Rollout is a DNS-1123 subdomain, a namespace a DNS-1123 label.
const SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface ParsedArgs {
  readonly positional: string[];
  readonly values: { [flag: string]: string };
  readonly booleans: Set<string>;
}

function parse(command: string, args: string[]): ParsedArgs {
  const spec = FLAGS[command];
  const positional: string[] = [];
  const values: { [flag: string]: string } = {};
  const booleans = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const [flag, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    if (COMMON_VALUES.includes(flag) || spec.values.includes(flag)) {
      const value = inline ?? args[++i];
      if (value === undefined || (inline === undefined && value.startsWith('-'))) throw new UsageError(`'${flag}' needs a value`);
      values[flag === '--namespace' ? '-n' : flag] = value;
    } else if (spec.booleans.includes(flag) || flag === '--insecure-allow-http-token') {
      if (inline !== undefined) throw new UsageError(`'${flag}' takes no value`);
      booleans.add(flag);
    } else if (arg.startsWith('-') && arg !== '-') {
      const elsewhere = Object.entries(FLAGS).filter(([, s]) => s.values.includes(flag) || s.booleans.includes(flag)).map(([c]) => c);
      throw new UsageError(elsewhere.length > 0 ? `'${command}' takes no '${flag}' (${elsewhere.join(', ')} do${elsewhere.length === 1 ? 'es' : ''})` : `unexpected '${arg}'`);
    } else {
      positional.push(arg);
    }
  }
  return { positional, values, booleans };
}

/** Runs `status`, `gate`, `promote`, `abort` or `reset`; returns the exit code. */
export async function releaseCommand(
  command: string, args: string[], out: (text: string) => void, err: (text: string) => void, deps: ReleaseDeps = {},
): Promise<number> {
  const { positional, values, booleans } = parse(command, args);
  const action = command === 'gate' ? positional.shift() : undefined;
  if (command === 'gate' && !['open', 'close', 'status'].includes(action ?? '')) {
    throw new UsageError(`'gate' takes open, close or status, not ${action === undefined ? 'nothing' : `'${action}'`}`);
  }
  if (positional.length !== 1) throw new UsageError(`'${command}' takes one service name${positional.length > 1 ? `, not ${positional.map((p) => `'${p}'`).join(' ')}` : ''}`);
  const name = positional[0];
  if (!SUBDOMAIN.test(name)) throw new UsageError(`'${name}' is no Kubernetes name (lower-case letters, digits, '-' and '.')`);
  if (values['-n'] !== undefined && !LABEL.test(values['-n'])) throw new UsageError(`'-n' (${values['-n']}) is no namespace name (lower-case letters, digits and '-', at most 63)`);
  const clusterDomain = values['--cluster-domain'] ?? 'cluster.local';
  if (!SUBDOMAIN.test(clusterDomain)) throw new UsageError(`'--cluster-domain' (${clusterDomain}) is no DNS domain (lower-case letters, digits, '-' and '.')`);
  if (booleans.has('--once') && booleans.has('--detach')) throw new UsageError("'--once' and '--detach' exclude each other");
  if (action !== undefined && action !== 'open' && (booleans.has('--once') || booleans.has('--detach'))) throw new UsageError(`'gate ${action}' takes no '${booleans.has('--once') ? '--once' : '--detach'}'`);
  const via = values['--via'] ?? 'exec';
  if (via !== 'exec' && via !== 'proxy') throw new UsageError(`'--via' is exec or proxy, not '${via}'`);
  const output = values['--output'] ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError(`'--output' is text or json, not '${output}'`);
  const timeout = Number(values['--timeout'] ?? 1800);
  if (!Number.isInteger(timeout) || timeout < 1) throw new UsageError(`'--timeout' (${values['--timeout']}) must be a whole number of seconds, at least 1`);
  let engine: Engine | undefined;
  if (values['--engine'] !== undefined) {
    const given = values['--engine'];
    if (!['flagger', 'argo', 'argo-rollouts'].includes(given)) throw new UsageError(`'--engine' is flagger or argo, not '${given}'`);
    engine = given === 'flagger' ? 'flagger' : 'argo';
  }
  const dryRun = booleans.has('--dry-run');

  const declared = values['--app'] !== undefined ? declaration(values['--app'], name, values['-n']) : undefined;
  if (declared && engine && declared.engine !== engine) {
    throw new UsageError(`'--engine ${values['--engine']}' contradicts '${values['--app']}', which releases '${name}' with ${declared.engine === 'flagger' ? 'Flagger' : 'Argo Rollouts'}`);
  }
  engine ??= declared?.engine;
  // With the engine known, a dry run needs nothing of the cluster: no request, no credential plugin.
  const offline = dryRun && engine !== undefined;
  const environment = deps.environment ?? processEnvironment();
  const kubeconfig = { file: values['--kubeconfig'], context: values['--context'] };
  let connection: KubeConnection | undefined;
  try {
    connection = resolveConnection(kubeconfig, environment);
  } catch (error) {
    if (dryRun && !offline) {
      throw new Error(`${(error as Error).message}. A --dry-run needs no cluster when the engine is known: add --engine flagger|argo, or --app <entry> (the declaration)`);
    }
    if (!offline) throw error;
  }
  const namespace = values['-n'] ?? declared?.namespace ?? connection?.namespace ?? 'default';
  const allowHttpToken = booleans.has('--insecure-allow-http-token');
  const api = offline ? NO_REQUESTS : deps.api ?? new KubeApi(connection!, {
    allowHttpToken,
    env: environment.env,
    plugin: deps.plugin,
    userAgent: `cdk8s-canary/${version()}`,
  }, err);
  if (!offline) connection?.warnings.forEach((warning) => err(`warning: ${warning}\n`));

  const interrupts = deps.signal ? undefined : new Interrupts(err);
  // Once the terminal is gone (SIGHUP), nothing more is written to it: the command only closes what it opened.
  const quiet = (write: (text: string) => void) => (text: string) => {
    if (interrupts?.hungUp) return;
    write(text);
  };
  const invocation = [command, action, ...['--once', '--detach', '--full'].filter((flag) => booleans.has(flag))].filter((word) => word !== undefined).join(' ');
  const ctx: ReleaseContext = {
    name,
    namespace,
    api,
    kubectl: deps.kubectl ?? runKubectl,
    kubectlFlags: connection?.kubectlFlags ?? [],
    printedFlags: [...(kubeconfig.file ? ['--kubeconfig', kubeconfig.file] : []), ...(kubeconfig.context ? ['--context', kubeconfig.context] : [])],
    dryRun,
    via,
    out: quiet(out),
    warn: quiet(err),
    wait: {
      pollMillis: deps.pollMillis ?? 5000,
      timeoutMillis: timeout * 1000,
      sleep: deps.sleep ?? realSleep,
      signal: deps.signal ?? interrupts!.signal,
    },
    now: deps.now ?? (() => new Date()),
    invocation,
    runId: deps.runId ?? randomBytes(6).toString('hex'),
    clusterDomain,
    kubectlSendsNoCredentials: allowHttpToken && via === 'exec' && connection && plainHttpWithCredentials(connection)
      ? `kubectl sends no credentials to the http:// API server ${connection.server} (client-go reads a user's credentials only for a TLS transport), `
        + 'so kubectl exec would reach the loadtester as system:anonymous: --insecure-allow-http-token covers only this tool\'s own requests; add --via proxy'
      : undefined,
  };
  if (offline && namespace === 'default' && values['-n'] === undefined && !declared && !connection) {
    ctx.out('# namespace default (no -n, and no kubeconfig to take one from)\n');
  }
  try {
    const found = offline ? { engine: engine!, object: declared?.object } : await findRelease(ctx, engine);
    return await dispatch(ctx, command, action, found.engine, found.object, booleans, output === 'json');
  } finally {
    interrupts?.dispose();
  }
}

function dispatch(
  ctx: ReleaseContext, command: string, action: string | undefined, engine: Engine, object: any, booleans: Set<string>, json: boolean,
): Promise<number> | number {
  if (engine === 'flagger') {
    switch (command) {
      case 'status': return flaggerStatus(ctx, object, json);
      case 'gate': return flaggerGate(ctx, object, action as 'open' | 'close' | 'status', booleans.has('--once') ? 'once' : booleans.has('--detach') ? 'detach' : 'release');
      case 'promote': return flaggerPromote(ctx, object, booleans.has('--full'));
      case 'abort': return flaggerAbort(ctx, object, booleans.has('--detach'));
      default: return flaggerReset(ctx, object);
    }
  }
  switch (command) {
    case 'status': return argoStatus(ctx, object, json);
    case 'gate':
      throw new Error(`'${ctx.name}' is an Argo Rollouts Rollout, which has no loadtester gate: its holds are pauses; use 'cdk8s-canary promote ${ctx.name} -n ${ctx.namespace}'`);
    case 'promote': return argoPromote(ctx, object, booleans.has('--full'));
    case 'abort':
      if (booleans.has('--detach')) throw new Error(`'--detach' is for Flagger's rollback gate: aborting the Rollout ${ctx.namespace}/${ctx.name} leaves nothing open`);
      return argoAbort(ctx);
    default:
      ctx.out(`Rollout ${ctx.namespace}/${ctx.name}: Argo Rollouts keeps no gate outside the Rollout; nothing to reset\n`);
      return 0;
  }
}

function plainHttpWithCredentials(connection: KubeConnection): boolean {
  const user = connection.user;
  return connection.server.startsWith('http://') && !!(user.token || user.tokenFile || user.username || user.password || user.exec);
}

/** Stands in for the API client when a dry run must make no request. */
const NO_REQUESTS: IKubeApi = {
  server: '(none: --dry-run with the engine known makes no request)',
  request: () => Promise.reject(new Error('a --dry-run with the engine known must make no request')),
};

/** The engine, namespace and Canary of the CanaryService named `name` in an app. */
function declaration(entry: string, name: string, namespace: string | undefined): { engine: Engine; namespace: string; object?: any } {
  const services = constructsOf(loadApps(entry)).filter((c) => CanaryService.isCanaryService(c)) as CanaryService[];
  const matching = services.filter((s) => s.name === name && (namespace === undefined || s.namespace === namespace));
  if (matching.length === 0) {
    throw new Error(`'${entry}' declares no CanaryService '${name}'${namespace ? ` in namespace '${namespace}'` : ''}; it declares ${services.map((s) => `${s.namespace}/${s.name}`).join(', ') || 'none'}`);
  }
  if (matching.length > 1) throw new UsageError(`'${entry}' declares '${name}' in ${matching.map((s) => `'${s.namespace}'`).join(' and ')}: say which with -n`);
  const service = matching[0];
  if (service.canary) return { engine: 'flagger', namespace: service.namespace, object: service.canary.apiObject.toJson() };
  return { engine: 'argo', namespace: service.namespace };
}

/**
 * Ctrl-C, SIGTERM and SIGHUP (the terminal closed, the SSH session dropped) abort the wait, so that
 * the command closes what it opened and exits 1; a second signal exits at once. After SIGHUP nothing
 * is written to the terminal any more, and a write that fails (EIO, EPIPE) must not end the process
 * before it has closed the gate.
 */
class Interrupts {
  private static readonly SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  private readonly controller = new AbortController();
  /** The terminal is gone. */
  public hungUp = false;

  constructor(private readonly err: (text: string) => void) {
    Interrupts.SIGNALS.forEach((signal) => process.on(signal, this.onSignal));
  }

  private readonly onSignal = (signal: NodeJS.Signals) => {
    if (signal === 'SIGHUP' && !this.hungUp) {
      this.hungUp = true;
      const ignore = () => undefined;
      process.stdout.on('error', ignore);
      process.stderr.on('error', ignore);
    }
    const say = (text: string) => {
      if (!this.hungUp) this.err(text);
    };
    if (this.controller.signal.aborted) {
      say(`\n${signal} again: exiting without closing; look at the gates with 'cdk8s-canary status'\n`);
      process.exit(1);
    }
    say(`\n${signal}: closing what this command opened...\n`);
    this.controller.abort();
  };

  public get signal(): AbortSignal {
    return this.controller.signal;
  }

  public dispose(): void {
    Interrupts.SIGNALS.forEach((signal) => process.off(signal, this.onSignal));
  }
}

/**
 * kubectl in its own process group: a Ctrl-C meant for this command must not kill the kubectl that
 * is closing a gate.
 */
const runKubectl: KubectlRunner = (args) => new Promise((resolve, reject) => {
  execFile('kubectl', args, { encoding: 'utf-8', timeout: 120_000, maxBuffer: 1024 * 1024, detached: true } as any, (error: any, stdout: string, stderr: string) => {
    if (error && typeof error.code !== 'number') {
      reject(new Error(error.code === 'ENOENT' ? 'kubectl is not installed (not found on PATH); --via proxy needs no kubectl' : `cannot run kubectl: ${error.message}`));
      return;
    }
    resolve({ status: error ? error.code : 0, stdout, stderr });
  });
});
