import { spawn } from 'child_process';
import { ExecPluginConfig } from './kubeconfig';

/** What a credential plugin returned. */
export interface ExecCredential {
  readonly token?: string;
  readonly clientCertificate?: Buffer;
  readonly clientKey?: Buffer;
  /** When to run the plugin again; none: until the server answers 401. */
  readonly expires?: Date;
}

/** The cluster a plugin with `provideClusterInfo` is told about (ExecCredential `spec.cluster`). */
export interface ExecClusterInfo {
  readonly 'server': string;
  readonly 'tls-server-name'?: string;
  readonly 'insecure-skip-tls-verify'?: boolean;
  readonly 'certificate-authority-data'?: string;
  readonly 'proxy-url'?: string;
  readonly 'disable-compression'?: boolean;
  readonly 'config'?: unknown;
}

/** Runs a plugin: its command, arguments, environment, and whether it may talk to the terminal. */
export type PluginRunner = (
  command: string, args: string[], env: { [name: string]: string }, interactive: boolean,
) => Promise<{ code: number | null; stdout: string; error?: Error }>;

export interface ExecCredentialDeps {
  readonly run: PluginRunner;
  readonly now: () => Date;
  readonly env: { readonly [name: string]: string | undefined };
  readonly stdinIsTerminal: boolean;
}

/**
 * Credentials from an `exec` plugin, as client-go's exec authenticator
 * (plugin/pkg/client/auth/exec/exec.go) gets them: the plugin runs with `KUBERNETES_EXEC_INFO` set
 * to an ExecCredential (`spec.interactive`, and `spec.cluster` with provideClusterInfo) and its
 * answer is kept until its `expirationTimestamp`; a 401 runs it again (`refresh`), unless another
 * request already did.
 */
export class ExecCredentialSource {
  private cached?: ExecCredential;
  private running?: Promise<ExecCredential>;
  /** How often the plugin ran, for messages and tests. */
  public runs = 0;

  constructor(private readonly plugin: ExecPluginConfig, private readonly cluster: ExecClusterInfo, private readonly deps: ExecCredentialDeps) {}

  public async get(): Promise<ExecCredential> {
    if (this.cached && !(this.cached.expires && this.deps.now() > this.cached.expires)) return this.cached;
    return this.fetch();
  }

  /** After a 401 with `used`: run the plugin again, unless the credential was renewed since. */
  public async refresh(used: ExecCredential): Promise<ExecCredential> {
    if (this.cached !== used) return this.get();
    this.cached = undefined;
    return this.fetch();
  }

  private fetch(): Promise<ExecCredential> {
    this.running ??= this.runPlugin().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async runPlugin(): Promise<ExecCredential> {
    const { plugin } = this;
    const interactive = plugin.interactiveMode === 'Always' || (plugin.interactiveMode === 'IfAvailable' && this.deps.stdinIsTerminal);
    if (plugin.interactiveMode === 'Always' && !this.deps.stdinIsTerminal) {
      throw new Error(`the credential plugin '${plugin.command}' needs a terminal (interactiveMode: Always), and standard input is not one`);
    }
    const info = {
      kind: 'ExecCredential',
      apiVersion: plugin.apiVersion,
      spec: { ...(plugin.provideClusterInfo ? { cluster: this.cluster } : {}), interactive },
    };
    const env: { [name: string]: string } = {};
    for (const [name, value] of Object.entries(this.deps.env)) if (value !== undefined) env[name] = value;
    for (const { name, value } of plugin.env) env[name] = value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify(info);
    this.runs++;
    const result = await this.deps.run(plugin.command, plugin.args, env, interactive);
    if (result.error) {
      const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(missing
        ? `the credential plugin '${plugin.command}' is not installed (not found on PATH)${plugin.installHint ? `: ${plugin.installHint.trim()}` : ''}`
        : `cannot run the credential plugin '${plugin.command}': ${result.error.message}`);
    }
    if (result.code !== 0) throw new Error(`the credential plugin '${plugin.command}' failed (exit code ${result.code})`);
    let answer: any;
    try {
      answer = JSON.parse(result.stdout);
    } catch {
      throw new Error(`the credential plugin '${plugin.command}' printed no ExecCredential JSON`);
    }
    if (answer?.kind !== 'ExecCredential' || answer?.apiVersion !== plugin.apiVersion) {
      throw new Error(`the credential plugin '${plugin.command}' is configured to use API version ${plugin.apiVersion}, and returned ${answer?.kind ?? 'no kind'} ${answer?.apiVersion ?? 'of no version'}`);
    }
    const status = answer.status;
    if (!status) throw new Error(`the credential plugin '${plugin.command}' returned no status`);
    if (!status.token && !status.clientCertificateData && !status.clientKeyData) {
      throw new Error(`the credential plugin '${plugin.command}' returned neither a token nor a client certificate and key`);
    }
    if (!status.clientCertificateData !== !status.clientKeyData) {
      throw new Error(`the credential plugin '${plugin.command}' returned only a client certificate or key, not both`);
    }
    const expires = status.expirationTimestamp ? new Date(status.expirationTimestamp) : undefined;
    if (expires && Number.isNaN(expires.getTime())) {
      throw new Error(`the credential plugin '${plugin.command}' returned an expirationTimestamp that is no time: '${status.expirationTimestamp}'`);
    }
    this.cached = {
      token: status.token || undefined,
      clientCertificate: status.clientCertificateData ? Buffer.from(status.clientCertificateData) : undefined,
      clientKey: status.clientKeyData ? Buffer.from(status.clientKeyData) : undefined,
      expires,
    };
    return this.cached;
  }
}

/** Runs a plugin as client-go does: standard error to the user's, standard input only when interactive. */
export const runPlugin: PluginRunner = (command, args, env, interactive) => new Promise((resolve) => {
  const child = spawn(command, args, { env, stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.on('error', (error) => resolve({ code: null, stdout: '', error }));
  child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks).toString('utf-8') }));
});
