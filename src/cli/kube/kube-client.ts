import * as fs from 'fs';
import { ExecCredential, ExecCredentialDeps, ExecCredentialSource, runPlugin } from './exec-credential';
import { KubeConnection } from './kubeconfig';
import { proxyFromEnvironment } from './proxy-environment';
import { systemRoots } from './system-roots';
import { HttpAnswer, sendRequest } from './transport';

/** One answer of the Kubernetes API. */
export interface KubeResponse {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
}

/** What the release commands need of a cluster: requests to its API server. */
export interface IKubeApi {
  /** The API server's address, for messages. */
  readonly server: string;
  request(method: string, apiPath: string, body?: string, contentType?: string): Promise<KubeResponse>;
}

/** How the client behaves beyond the kubeconfig. */
export interface KubeApiOptions {
  /** Send a bearer token or a password to an http:// server (refused by default). */
  readonly allowHttpToken?: boolean;
  /** Environment for the proxy variables and the credential plugin. */
  readonly env?: { readonly [name: string]: string | undefined };
  readonly plugin?: Partial<ExecCredentialDeps>;
  readonly timeoutMillis?: number;
  readonly userAgent?: string;
}

/**
 * A client of the Kubernetes API for one resolved connection, with the credentials kubectl would
 * send: a token (or a token file read for every request), a password, a client certificate, or an
 * exec plugin's token or certificate, run at the first request, not before (a `--dry-run` that
 * makes no request runs no plugin). A 401 renews a plugin's credential or re-reads the token file
 * and repeats the request once.
 *
 * kubectl sends no credentials at all to an http:// server (client-go rest.IsConfigTransportTLS);
 * this client refuses, naming the server, unless `allowHttpToken` says to send them anyway.
 */
export class KubeApi implements IKubeApi {
  public readonly server: string;
  private readonly exec?: ExecCredentialSource;
  private readonly env: { readonly [name: string]: string | undefined };
  /** The kubeconfig's CA, else the system's roots as Go finds them (kubectl verifies with those, not Node's own). */
  private readonly certificateAuthority?: Buffer;
  private warnedHttp = false;

  constructor(
    public readonly connection: KubeConnection,
    private readonly options: KubeApiOptions = {},
    private readonly warn: (text: string) => void = () => undefined,
  ) {
    this.server = connection.server;
    this.env = options.env ?? process.env;
    this.certificateAuthority = connection.certificateAuthority ?? systemRoots(this.env);
    const user = connection.user;
    if (user.exec) {
      this.exec = new ExecCredentialSource(user.exec, {
        'server': connection.server,
        'tls-server-name': connection.tlsServerName,
        'insecure-skip-tls-verify': connection.insecureSkipTlsVerify || undefined,
        'certificate-authority-data': connection.certificateAuthority?.toString('base64'),
        'proxy-url': connection.proxyUrl,
        'disable-compression': connection.disableCompression || undefined,
        'config': connection.execExtension,
      }, {
        run: options.plugin?.run ?? runPlugin,
        now: options.plugin?.now ?? (() => new Date()),
        env: options.plugin?.env ?? this.env,
        stdinIsTerminal: options.plugin?.stdinIsTerminal ?? process.stdin.isTTY === true,
      });
    }
  }

  /** How often the credential plugin ran. */
  public get pluginRuns(): number {
    return this.exec?.runs ?? 0;
  }

  public async request(method: string, apiPath: string, body?: string, contentType = 'application/json'): Promise<KubeResponse> {
    const url = new URL(`${this.server.replace(/\/+$/, '')}${apiPath}`);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`the server ${this.server} (${this.connection.description}) is not an http(s) URL`);
    this.checkPlainHttp(url);
    let credential = this.exec ? await this.exec.get() : undefined;
    let answer = await this.send(url, method, body, contentType, credential);
    if (answer.status === 401 && (this.exec || this.connection.user.tokenFile)) {
      // client-go renews the credential on a 401 and leaves the request failed; a wait of half an
      // hour outlives an EKS token (about 15 minutes), so the request is repeated once here.
      if (this.exec) credential = await this.exec.refresh(credential!);
      answer = await this.send(url, method, body, contentType, credential);
    }
    return answer;
  }

  private checkPlainHttp(url: URL): void {
    if (url.protocol !== 'http:') return;
    const user = this.connection.user;
    const secret = user.token || user.tokenFile || user.password || user.exec;
    if (!secret) return;
    const what = user.exec ? `the token of the credential plugin '${user.exec.command}'` : user.password ? 'a password' : 'a bearer token';
    if (!this.options.allowHttpToken) {
      throw new Error(`refusing to send ${what} to ${this.server} (${this.connection.description}): it is plain http://, so anyone on the way can read it `
        + '(kubectl sends no credentials to an http:// server at all). Use the https:// address, or pass --insecure-allow-http-token to send it anyway');
    }
    if (!this.warnedHttp) {
      this.warnedHttp = true;
      this.warn(`warning: sending ${what} to ${this.server} over plain http:// (--insecure-allow-http-token)\n`);
    }
  }

  private async send(
    url: URL, method: string, body: string | undefined, contentType: string, credential: ExecCredential | undefined,
  ): Promise<HttpAnswer> {
    const { connection } = this;
    const user = connection.user;
    const headers: { [name: string]: string | string[] } = { 'Accept': 'application/json', 'User-Agent': this.options.userAgent ?? 'cdk8s-canary' };
    if (body !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const token = user.token ?? (user.tokenFile ? readTokenFile(user.tokenFile) : undefined) ?? credential?.token;
    // Basic authentication needs a username (client-go transport.Config.HasBasicAuth).
    if (token) {headers.Authorization = `Bearer ${token}`;} else if (user.username !== undefined) {
      headers.Authorization = `Basic ${Buffer.from(`${user.username ?? ''}:${user.password ?? ''}`).toString('base64')}`;
    }
    if (user.impersonate) {
      headers['Impersonate-User'] = user.impersonate.user;
      if (user.impersonate.uid) headers['Impersonate-Uid'] = user.impersonate.uid;
      if (user.impersonate.groups.length > 0) headers['Impersonate-Group'] = user.impersonate.groups;
      for (const [key, values] of Object.entries(user.impersonate.extra)) headers[`Impersonate-Extra-${encodeURIComponent(key)}`] = values;
    }
    try {
      return await sendRequest(url, method, headers, body, {
        certificateAuthority: this.certificateAuthority,
        // A plugin runs only for a user without a certificate of its own (kubeconfig.ts, kubeUser).
        clientCertificate: credential?.clientCertificate ?? user.clientCertificate,
        clientKey: credential?.clientKey ?? user.clientKey,
        insecureSkipTlsVerify: connection.insecureSkipTlsVerify,
        tlsServerName: connection.tlsServerName,
        proxy: connection.proxyUrl ?? proxyFromEnvironment(url, this.env),
        timeoutMillis: this.options.timeoutMillis ?? 30_000,
      });
    } catch (error) {
      throw new Error(`cannot reach the Kubernetes API at ${this.server} (${connection.description}): ${(error as Error).message}`);
    }
  }
}

function readTokenFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf-8').trim();
  } catch (error) {
    throw new Error(`cannot read the token file '${file}': ${(error as Error).message}`);
  }
}
