import { shellWord } from '../../analysis/shell';
import { IKubeApi, KubeResponse } from '../kube/kube-client';

/** Writes text to the user (standard output or standard error). */
export type Out = (text: string) => void;

/** Runs kubectl with arguments (never through a shell). */
export type KubectlRunner = (args: string[]) => Promise<{ status: number; stdout: string; stderr: string }>;

/** The controller a service is released by. */
export type Engine = 'flagger' | 'argo';

/** How `--once`, `gate open`, `promote` and `abort` wait for the controller. */
export interface WaitOptions {
  readonly pollMillis: number;
  readonly timeoutMillis: number;
  /** Resolves after `millis`, or rejects with an InterruptedError when `signal` aborts. */
  readonly sleep: (millis: number, signal: AbortSignal) => Promise<void>;
  /** Aborted by Ctrl-C (SIGINT) or SIGTERM. */
  readonly signal: AbortSignal;
}

/** Everything a release command acts on, and how. */
export interface ReleaseContext {
  /** The CanaryService's name (the Canary's or the Rollout's). */
  readonly name: string;
  readonly namespace: string;
  readonly api: IKubeApi;
  readonly kubectl: KubectlRunner;
  /** Flags that put the kubectl the tool runs on the resolved context. */
  readonly kubectlFlags: string[];
  /** Flags the printed (`--dry-run`) commands carry: the user's own `--kubeconfig` and `--context`. */
  readonly printedFlags: string[];
  /** Print the commands, run nothing. */
  readonly dryRun: boolean;
  /** How the loadtester is reached: `kubectl exec` and curl on localhost, or the API server's Service proxy. */
  readonly via: 'exec' | 'proxy';
  /** Results and progress (standard output). */
  readonly out: Out;
  /** Warnings (standard error). */
  readonly warn: Out;
  readonly wait: WaitOptions;
  readonly now: () => Date;
  /** The command line, as recorded with a gate it opens (`gate open --once`). */
  readonly invocation: string;
  /** This run of the command, recorded with a gate it opens: it closes only a gate it opened. */
  readonly runId: string;
  /** The cluster's DNS domain, for the loadtester's full Service name (default cluster.local). */
  readonly clusterDomain: string;
  /**
   * Why kubectl cannot act as the user: the API server is plain http://, to which kubectl sends no
   * credentials (client-go: only a TLS transport reads them), while this tool was told to send them
   * (`--insecure-allow-http-token`).
   */
  readonly kubectlSendsNoCredentials?: string;
}

/** The wait was interrupted (Ctrl-C). */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
  }
}

/** `<namespace>/<name>`. */
export function ref(ctx: ReleaseContext): string {
  return `${ctx.namespace}/${ctx.name}`;
}

/**
 * What an API server's answer says, for a message: the Status `message` it sends with every
 * refusal (k8s.io/apimachinery api/errors: 401 "Unauthorized", 403 `<resource> "<name>" is forbidden:
 * User "<user>" cannot <verb> resource ...`, 404, 409 "... the object has been modified ..."), or the
 * raw body.
 */
export function apiMessage(res: KubeResponse): string {
  const status = apiStatus(res);
  const text = status?.message ?? res.body.trim();
  return `${res.status}${status?.reason ? ` ${status.reason}` : ''}${text ? `: ${text}` : ''}`;
}

/** The `Status` object of an API server's answer, if it is one. */
export function apiStatus(res: KubeResponse): { kind: string; reason?: string; message?: string; code?: number } | undefined {
  if (!res.body.trimStart().startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(res.body);
    return parsed?.kind === 'Status' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Prints a kubectl command line, each argument one shell word (the library's one quoting function). */
export function kubectlLine(args: string[]): string {
  return `kubectl ${args.map(shellWord).join(' ')}`;
}
