import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Yaml } from 'cdk8s';

/**
 * kubeconfig as kubectl reads it (client-go tools/clientcmd): the files of `--kubeconfig`, or every
 * file of `KUBECONFIG` merged, or `~/.kube/config`; the context, its cluster and its user; and, when
 * no kubeconfig names a context, the in-cluster service account (a CI job or a bot in a pod).
 */

/** An `exec` credential plugin (client.authentication.k8s.io). */
export interface ExecPluginConfig {
  readonly command: string;
  readonly args: string[];
  readonly env: { readonly name: string; readonly value: string }[];
  readonly apiVersion: string;
  readonly installHint?: string;
  readonly provideClusterInfo: boolean;
  /** Never, IfAvailable or Always. */
  readonly interactiveMode: string;
}

/** Who the requests are made as. */
export interface KubeUser {
  readonly token?: string;
  /** Read anew for every request (rotated tokens, in-cluster service-account tokens). */
  readonly tokenFile?: string;
  readonly clientCertificate?: Buffer;
  readonly clientKey?: Buffer;
  readonly username?: string;
  readonly password?: string;
  readonly exec?: ExecPluginConfig;
  /** `as`, `as-uid`, `as-groups`, `as-user-extra`: sent as Impersonate-* headers. */
  readonly impersonate?: { readonly user: string; readonly uid?: string; readonly groups: string[]; readonly extra: { [key: string]: string[] } };
}

/** The one cluster and user every request and every kubectl invocation of a command uses. */
export interface KubeConnection {
  readonly server: string;
  readonly certificateAuthority?: Buffer;
  readonly insecureSkipTlsVerify: boolean;
  /** `tls-server-name`: the name the server's certificate is checked against, and the SNI. */
  readonly tlsServerName?: string;
  /** `proxy-url` (http, https or socks5); without it the proxy environment applies. */
  readonly proxyUrl?: string;
  readonly disableCompression: boolean;
  /** `extensions` named `client.authentication.k8s.io/exec`, passed to a plugin with provideClusterInfo. */
  readonly execExtension?: unknown;
  readonly user: KubeUser;
  /** The context's namespace; `default` when it names none. */
  readonly namespace: string;
  /** The context's name; undefined in a pod (in-cluster). */
  readonly context?: string;
  /** Where it came from, for messages. */
  readonly description: string;
  /**
   * The flags that make kubectl use this same context: the user's `--kubeconfig` (kubectl reads
   * `KUBECONFIG` itself, as this does) and `--context` with the context resolved now, so that a
   * context switched in another terminal during a long wait does not move the commands elsewhere.
   */
  readonly kubectlFlags: string[];
  /** What differs from what the user may expect, as kubectl would do it (an undefined user: anonymous). */
  readonly warnings: string[];
}

/** What `--kubeconfig` and `--context` say. */
export interface KubeconfigOptions {
  readonly file?: string;
  readonly context?: string;
}

/** Where kubeconfig and the in-cluster service account are looked for; tests give their own. */
export interface KubeEnvironment {
  readonly env: { readonly [name: string]: string | undefined };
  readonly homedir: string;
  /** Default `/var/run/secrets/kubernetes.io/serviceaccount`. */
  readonly serviceAccountDir: string;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function processEnvironment(): KubeEnvironment {
  return { env: process.env, homedir: os.homedir(), serviceAccountDir: SERVICE_ACCOUNT_DIR };
}

interface Named {
  readonly name: string;
  readonly value: any;
  /** The file it came from: relative paths in it are resolved against that file's folder. */
  readonly origin: string;
}

interface MergedConfig {
  readonly files: string[];
  readonly currentContext?: string;
  readonly clusters: Map<string, Named>;
  readonly users: Map<string, Named>;
  readonly contexts: Map<string, Named>;
}

/**
 * The files kubectl reads: `--kubeconfig` alone (it must exist), else every entry of `KUBECONFIG`
 * (duplicates and empty entries dropped, missing files skipped), else `~/.kube/config`
 * (clientcmd loader.go, NewDefaultClientConfigLoadingRules and Load).
 */
export function kubeconfigFiles(options: KubeconfigOptions, environment: KubeEnvironment): string[] {
  if (options.file !== undefined) {
    if (!fs.existsSync(options.file)) throw new Error(`no kubeconfig at '${options.file}' (--kubeconfig)`);
    return [options.file];
  }
  const list = environment.env.KUBECONFIG;
  if (list) return [...new Set(list.split(path.delimiter).filter((file) => file !== ''))];
  return [path.join(environment.homedir, '.kube', 'config')];
}

/**
 * Merges kubeconfig files as clientcmd does: the first file to define a cluster, user or context
 * of a name wins whole (later entries of the same name are ignored, not merged field by field), and
 * the first non-empty `current-context` wins. A symlinked file is read through its link (cdk8s's
 * `Yaml.load` alone would read it as empty), and its relative paths are resolved against the
 * folder of the path given, as kubectl does.
 */
export function mergeKubeconfigs(files: string[]): MergedConfig {
  const merged: MergedConfig = { files: [], clusters: new Map(), users: new Map(), contexts: new Map() };
  let currentContext: string | undefined;
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    let config: any;
    try {
      config = Yaml.load(fs.realpathSync(file))[0] ?? {};
    } catch (error) {
      throw new Error(`cannot read the kubeconfig '${file}': ${(error as Error).message}`);
    }
    if (typeof config !== 'object' || config === null) throw new Error(`the kubeconfig '${file}' is not a mapping`);
    merged.files.push(file);
    currentContext ||= config['current-context'] || undefined;
    for (const [key, target, field] of [['clusters', merged.clusters, 'cluster'], ['users', merged.users, 'user'], ['contexts', merged.contexts, 'context']] as const) {
      for (const entry of config[key] ?? []) {
        if (typeof entry?.name !== 'string' || target.has(entry.name)) continue;
        target.set(entry.name, { name: entry.name, value: entry[field] ?? {}, origin: file });
      }
    }
  }
  return { ...merged, currentContext };
}

/**
 * The connection of a context: `--context`, else the merged `current-context`. As in clientcmd
 * (merged_client_builder.go DeferredLoadingClientConfig.ClientConfig, client_config.go
 * ConfirmUsable): with no kubeconfig, or none that names a current context (contexts alone are not
 * enough), or a context whose cluster no file defines, the configuration is empty, and in a pod
 * the in-cluster service account is used instead. A context whose user no file defines makes its
 * requests anonymously, as kubectl does (getAuthInfo requires the user only for `--user`).
 */
export function resolveConnection(options: KubeconfigOptions = {}, environment: KubeEnvironment = processEnvironment()): KubeConnection {
  const files = kubeconfigFiles(options, environment);
  const merged = mergeKubeconfigs(files);
  const contextName = options.context ?? merged.currentContext;
  const context = contextName === undefined ? undefined : merged.contexts.get(contextName);
  const cluster = context ? merged.clusters.get(context.value.cluster) : undefined;
  const empty = contextName === undefined || (context !== undefined && cluster === undefined);
  if (empty && options.context === undefined && inClusterPossible(environment)) {
    return inClusterConnection(environment);
  }
  const where = merged.files.length > 0 ? merged.files.join(path.delimiter) : files.join(path.delimiter);
  if (merged.files.length === 0) {
    throw new Error(`no kubeconfig: none of ${files.map((f) => `'${f}'`).join(', ')} exists, and this is not a pod with a service account; set --kubeconfig or KUBECONFIG`);
  }
  if (contextName === undefined) throw new Error(`the kubeconfig ${where} has no current-context, and this is not a pod with a service account: pass --context`);
  if (!context) throw new Error(`the kubeconfig ${where} has no context named '${contextName}'`);
  if (!cluster) throw new Error(`the context '${contextName}' names the cluster '${context.value.cluster}', which the kubeconfig ${where} does not define`);
  const warnings: string[] = [];
  const user = context.value.user === undefined ? undefined : merged.users.get(context.value.user);
  if (context.value.user !== undefined && !user) {
    warnings.push(`the context '${contextName}' names the user '${context.value.user}', which the kubeconfig ${where} does not define: `
      + 'the requests are anonymous (system:anonymous), as kubectl\'s are');
  }
  const server: string | undefined = cluster.value.server;
  if (!server) throw new Error(`the cluster '${cluster.name}' of the context '${contextName}' has no server`);
  const clusterDir = path.dirname(path.resolve(cluster.origin));
  return {
    server,
    certificateAuthority: dataOrFile(cluster.value, 'certificate-authority-data', 'certificate-authority', clusterDir),
    insecureSkipTlsVerify: cluster.value['insecure-skip-tls-verify'] === true,
    tlsServerName: cluster.value['tls-server-name'] || undefined,
    proxyUrl: cluster.value['proxy-url'] || undefined,
    disableCompression: cluster.value['disable-compression'] === true,
    execExtension: (cluster.value.extensions ?? []).find((e: any) => e?.name === 'client.authentication.k8s.io/exec')?.extension,
    user: user ? kubeUser(user) : {},
    namespace: context.value.namespace || 'default',
    context: contextName,
    description: `the context '${contextName}' of ${where}`,
    kubectlFlags: [...(options.file !== undefined ? ['--kubeconfig', options.file] : []), '--context', contextName],
    warnings,
  };
}

function kubeUser(user: Named): KubeUser {
  const dir = path.dirname(path.resolve(user.origin));
  const u = user.value;
  if (u['auth-provider']) {
    throw new Error(`the user '${user.name}' authenticates with the auth-provider '${u['auth-provider'].name}', which cdk8s-canary does not support: use an exec credential plugin (e.g. kubelogin)`);
  }
  const resolve = (file: string | undefined) => (file ? path.resolve(dir, file) : undefined);
  const clientCertificate = dataOrFile(u, 'client-certificate-data', 'client-certificate', dir);
  const clientKey = dataOrFile(u, 'client-key-data', 'client-key', dir);
  // The exec plugin is never run when the user has a token, a token file, a username or a client
  // certificate and key (client-go plugin/pkg/client/auth/exec UpdateTransportConfig: HasTokenAuth,
  // HasBasicAuth, HasCertAuth), so a plugin beside them is not even checked.
  const otherCredentials = !!(u.token || u.tokenFile || u.username || (clientCertificate && clientKey));
  const exec = u.exec && !otherCredentials ? execConfig(u.exec, dir, user.name) : undefined;
  return {
    // A token wins over a token file (clientcmd client_config.go, getUserIdentificationPartialConfig).
    token: u.token || undefined,
    tokenFile: u.token ? undefined : resolve(u.tokenFile),
    clientCertificate,
    clientKey,
    username: u.username || undefined,
    password: u.password || undefined,
    exec,
    impersonate: u.as ? { user: u.as, uid: u['as-uid'] || undefined, groups: u['as-groups'] ?? [], extra: u['as-user-extra'] ?? {} } : undefined,
  };
}

function execConfig(exec: any, dir: string, userName: string): ExecPluginConfig {
  if (typeof exec.command !== 'string' || exec.command === '') throw new Error(`the exec plugin of the user '${userName}' has no command`);
  const apiVersion: string = exec.apiVersion ?? '';
  if (!['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'].includes(apiVersion)) {
    throw new Error(`exec plugin: invalid apiVersion "${apiVersion}" (the user '${userName}'): client.authentication.k8s.io/v1 or v1beta1`);
  }
  // v1 requires interactiveMode; v1beta1 defaults it to IfAvailable (client-go api/v1beta1 defaults).
  const interactiveMode = exec.interactiveMode ?? (apiVersion.endsWith('/v1beta1') ? 'IfAvailable' : undefined);
  if (!['Never', 'IfAvailable', 'Always'].includes(interactiveMode)) {
    throw new Error(`exec plugin: interactiveMode must be Never, IfAvailable or Always, not '${interactiveMode}' (the user '${userName}')`);
  }
  return {
    // Only a command with a path separator is a path relative to the kubeconfig (loader.go, GetAuthInfoFileReferences).
    command: exec.command.includes(path.sep) ? path.resolve(dir, exec.command) : exec.command,
    args: exec.args ?? [],
    env: (exec.env ?? []).map((e: any) => ({ name: String(e.name), value: String(e.value ?? '') })),
    apiVersion,
    installHint: exec.installHint,
    provideClusterInfo: exec.provideClusterInfo === true,
    interactiveMode,
  };
}

function dataOrFile(holder: any, dataKey: string, fileKey: string, dir: string): Buffer | undefined {
  if (holder[dataKey]) return Buffer.from(holder[dataKey], 'base64');
  if (holder[fileKey]) return fs.readFileSync(path.resolve(dir, holder[fileKey]));
  return undefined;
}

/** clientcmd inClusterClientConfig.Possible: the service's address in the environment and a token file. */
function inClusterPossible(environment: KubeEnvironment): boolean {
  const token = path.join(environment.serviceAccountDir, 'token');
  return !!environment.env.KUBERNETES_SERVICE_HOST && !!environment.env.KUBERNETES_SERVICE_PORT
    && fs.existsSync(token) && fs.statSync(token).isFile();
}

/**
 * The pod's service account (client-go rest.InClusterConfig): `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`,
 * the mounted CA and token (read anew for every request: the kubelet rotates it), the namespace
 * of `POD_NAMESPACE` or the mounted `namespace` file. kubectl in the same pod does the same, so it
 * gets no `--context`.
 */
function inClusterConnection(environment: KubeEnvironment): KubeConnection {
  const dir = environment.serviceAccountDir;
  const host = environment.env.KUBERNETES_SERVICE_HOST!;
  const ca = path.join(dir, 'ca.crt');
  const namespaceFile = path.join(dir, 'namespace');
  const namespace = environment.env.POD_NAMESPACE
    || (fs.existsSync(namespaceFile) ? fs.readFileSync(namespaceFile, 'utf-8').trim() : '')
    || 'default';
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${environment.env.KUBERNETES_SERVICE_PORT}`,
    certificateAuthority: fs.existsSync(ca) ? fs.readFileSync(ca) : undefined,
    insecureSkipTlsVerify: false,
    disableCompression: false,
    user: { tokenFile: path.join(dir, 'token') },
    namespace,
    description: `the service account of this pod (${dir})`,
    kubectlFlags: [],
    warnings: [],
  };
}
