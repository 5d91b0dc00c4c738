import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { Yaml } from 'cdk8s';

/** One request to the Kubernetes API and its answer. */
export interface KubeResponse {
  readonly status: number;
  readonly body: string;
}

/** What the release commands need of a cluster: HTTP requests to its API server. */
export interface IKubeApi {
  /** The API server's address, for messages. */
  readonly server: string;
  request(method: string, apiPath: string, body?: string, contentType?: string): Promise<KubeResponse>;
}

/** Where to find the cluster: a kubeconfig file and a context in it. */
export interface KubeconfigOptions {
  /** The file; default `$KUBECONFIG` (its first entry) or `~/.kube/config`. */
  readonly file?: string;
  /** The context; default the file's `current-context`. */
  readonly context?: string;
}

/**
 * A client of the Kubernetes API from a kubeconfig, with the credentials kubectl would use: a bearer
 * token (inline or from a file), a client certificate, or an `exec` credential plugin (its
 * ExecCredential token); the cluster's CA, or none with `insecure-skip-tls-verify`.
 */
export class KubeApi implements IKubeApi {
  /** Reads a kubeconfig and returns a client for its context. */
  public static fromKubeconfig(options: KubeconfigOptions = {}): KubeApi {
    const file = options.file ?? (process.env.KUBECONFIG?.split(path.delimiter).find((f) => f !== '') ?? path.join(os.homedir(), '.kube', 'config'));
    if (!fs.existsSync(file)) throw new Error(`no kubeconfig at '${file}': set --kubeconfig or KUBECONFIG`);
    const config = Yaml.load(file)[0] ?? {};
    const dir = path.dirname(file);
    const contextName = options.context ?? config['current-context'];
    const context = named(config.contexts, contextName, 'context', file)?.context ?? {};
    const cluster = named(config.clusters, context.cluster, 'cluster', file)?.cluster ?? {};
    const user = named(config.users, context.user, 'user', file)?.user ?? {};
    if (!cluster.server) throw new Error(`the context '${contextName}' of '${file}' names no cluster server`);
    const read = (dataKey: string, fileKey: string, holder: any) => (holder[dataKey]
      ? Buffer.from(holder[dataKey], 'base64')
      : holder[fileKey] ? fs.readFileSync(path.resolve(dir, holder[fileKey])) : undefined);
    let token: string | undefined = user.token ?? (user.tokenFile ? fs.readFileSync(path.resolve(dir, user.tokenFile), 'utf-8').trim() : undefined);
    if (!token && user.exec) token = execToken(user.exec);
    return new KubeApi(cluster.server, {
      ca: read('certificate-authority-data', 'certificate-authority', cluster),
      cert: read('client-certificate-data', 'client-certificate', user),
      key: read('client-key-data', 'client-key', user),
      rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
      token,
      basic: user.username ? `${user.username}:${user.password ?? ''}` : undefined,
      namespace: context.namespace,
    });
  }

  /** The default namespace of the context, if it names one. */
  public readonly namespace?: string;

  private constructor(public readonly server: string, private readonly auth: {
    ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean; token?: string; basic?: string; namespace?: string;
  }) {
    this.namespace = auth.namespace;
  }

  public request(method: string, apiPath: string, body?: string, contentType = 'application/json'): Promise<KubeResponse> {
    const url = new URL(`${this.server.replace(/\/$/, '')}${apiPath}`);
    const headers: { [name: string]: string } = { Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    if (this.auth.token) headers.Authorization = `Bearer ${this.auth.token}`;
    else if (this.auth.basic) headers.Authorization = `Basic ${Buffer.from(this.auth.basic).toString('base64')}`;
    const secure = url.protocol === 'https:';
    const options: https.RequestOptions = {
      method,
      headers,
      ...(secure ? { ca: this.auth.ca, cert: this.auth.cert, key: this.auth.key, rejectUnauthorized: this.auth.rejectUnauthorized } : {}),
    };
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf-8') }));
      });
      req.on('error', (error) => reject(new Error(`cannot reach the Kubernetes API at ${this.server}: ${error.message}`)));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
}

function named(list: any[] | undefined, name: string | undefined, what: string, file: string): any {
  if (name === undefined) throw new Error(`'${file}' has no current context: pass --context`);
  const found = (list ?? []).find((entry) => entry.name === name);
  if (!found) throw new Error(`'${file}' has no ${what} named '${name}'`);
  return found;
}

/** The token of an `exec` credential plugin (client.authentication.k8s.io ExecCredential). */
function execToken(exec: any): string {
  const env = { ...process.env, ...Object.fromEntries((exec.env ?? []).map((e: any) => [e.name, e.value])) };
  const output = execFileSync(exec.command, exec.args ?? [], { env, encoding: 'utf-8', stdio: ['ignore', 'pipe', 'inherit'] });
  const token = JSON.parse(output)?.status?.token;
  if (!token) throw new Error(`the credential plugin '${exec.command}' returned no token`);
  return token;
}
