import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FakeApiServer, TLS_DIR, tlsFile } from './fakes/fake-api-server';
import { FakeProxy } from './fakes/fake-proxies';
import { KubeApi } from '../../src/cli/kube/kube-client';
import { KubeEnvironment, resolveConnection } from '../../src/cli/kube/kubeconfig';

/*
 * kubeconfig as kubectl reads it (client-go tools/clientcmd, rest, plugin/pkg/client/auth/exec),
 * case by case: each resolves a connection and sends one request to the fake API server, and
 * asserts whom the server saw, and what a proxy or a credential plugin saw.
 */

jest.setTimeout(60_000);

const CA = path.join(TLS_DIR, 'ca.crt');
const PATH = '/api/v1/namespaces/test/configmaps/cdk8s-canary-gates';
let api: FakeApiServer;
let server: string;
let dir: string;
const stops: (() => Promise<void>)[] = [];

beforeEach(async () => {
  api = new FakeApiServer();
  server = await api.start();
  api.tokens.set('alice-token', 'alice');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeconfig-'));
});
afterEach(async () => {
  await api.stop();
  while (stops.length > 0) await stops.pop()!();
});

const env = (vars: { [name: string]: string | undefined } = {}): KubeEnvironment => ({ env: vars, homedir: path.join(dir, 'home'), serviceAccountDir: path.join(dir, 'sa') });

function write(file: string, lines: string[]): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join('\n'));
  return file;
}

/** A kubeconfig of one context per entry: [context, cluster, user] with the cluster's and user's YAML. */
interface Entry {
  readonly context: string;
  readonly cluster: string;
  readonly user: string;
  readonly clusterYaml?: string[];
  readonly userYaml?: string[];
}

function kubeconfig(file: string, current: string | undefined, entries: Entry[]): string {
  return write(file, [
    'apiVersion: v1', 'kind: Config', ...(current ? [`current-context: ${current}`] : []),
    'contexts:', ...entries.flatMap((e) => [`- name: ${e.context}`, `  context: {cluster: ${e.cluster}, user: ${e.user}, namespace: ns-${e.context}}`]),
    'clusters:', ...entries.filter((e) => e.clusterYaml).flatMap((e) => [`- name: ${e.cluster}`, '  cluster:', ...e.clusterYaml!.map((l) => `    ${l}`)]),
    'users:', ...entries.filter((e) => e.userYaml).flatMap((e) => [`- name: ${e.user}`, '  user:', ...e.userYaml!.map((l) => `    ${l}`)]),
  ]);
}

async function ask(connection: ReturnType<typeof resolveConnection>, vars: { [name: string]: string | undefined } = {}, options: object = {}) {
  let warned = '';
  const client = new KubeApi(connection, { env: vars, ...options }, (t) => { warned += t; });
  const res = await client.request('GET', PATH);
  return { status: res.status, seen: api.requests.map((r) => ({ user: r.user, authorization: r.authorization })), warned, client };
}

describe('which file, which context', () => {
  test('a symlinked ~/.kube/config is read through its link, and its relative paths resolve against the link\'s folder, as kubectl does', async () => {
    const real = kubeconfig(path.join(dir, 'elsewhere', 'config'), 'a', [{ context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${server}`, 'certificate-authority: ca.crt'], userYaml: ['token: alice-token'] }]);
    fs.mkdirSync(path.join(dir, 'home', '.kube'), { recursive: true });
    fs.copyFileSync(CA, path.join(dir, 'home', '.kube', 'ca.crt'));
    fs.symlinkSync(real, path.join(dir, 'home', '.kube', 'config'));
    const connection = resolveConnection({}, env());
    expect(connection).toEqual(expect.objectContaining({ server, context: 'a', namespace: 'ns-a', kubectlFlags: ['--context', 'a'] }));
    expect((await ask(connection)).seen).toEqual([{ user: 'alice', authorization: 'Bearer alice-token' }]);
  });

  test('every KUBECONFIG file merged: the first to define a name wins whole, the first current-context wins, missing files and duplicates are skipped', async () => {
    const first = kubeconfig(path.join(dir, 'first'), 'a', [
      { context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${server}`, `certificate-authority: ${CA}`], userYaml: ['token: alice-token'] },
    ]);
    const second = kubeconfig(path.join(dir, 'second'), 'b', [
      { context: 'a', cluster: 'elsewhere', user: 'nobody' },
      { context: 'b', cluster: 'c', user: 'u', clusterYaml: ['server: https://wrong.example:6443', 'insecure-skip-tls-verify: true'], userYaml: ['token: wrong', 'username: x'] },
    ]);
    const list = [path.join(dir, 'missing'), first, second, first].join(path.delimiter);
    const a = resolveConnection({}, env({ KUBECONFIG: list }));
    expect(a).toEqual(expect.objectContaining({ server, context: 'a', namespace: 'ns-a', insecureSkipTlsVerify: false, kubectlFlags: ['--context', 'a'] }));
    expect(a.user).toEqual({ token: 'alice-token' });
    // Context b exists only in the second file; its cluster and user are the first file's.
    const b = resolveConnection({ context: 'b' }, env({ KUBECONFIG: list }));
    expect(b).toEqual(expect.objectContaining({ server, context: 'b', namespace: 'ns-b', kubectlFlags: ['--context', 'b'] }));
    expect((await ask(b)).seen).toEqual([{ user: 'alice', authorization: 'Bearer alice-token' }]);
  });

  test('--kubeconfig alone is read (and passed to kubectl); it must exist', () => {
    const file = kubeconfig(path.join(dir, 'explicit'), 'a', [{ context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${server}`], userYaml: ['token: alice-token'] }]);
    expect(resolveConnection({ file }, env({ KUBECONFIG: '/nowhere' })).kubectlFlags).toEqual(['--kubeconfig', file, '--context', 'a']);
    expect(() => resolveConnection({ file: path.join(dir, 'nope') }, env())).toThrow(`no kubeconfig at '${path.join(dir, 'nope')}' (--kubeconfig)`);
  });

  test('what is missing is named', () => {
    const file = kubeconfig(path.join(dir, 'c1'), undefined, [{ context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${server}`], userYaml: ['token: t'] }]);
    expect(() => resolveConnection({ file }, env())).toThrow(`the kubeconfig ${file} has no current-context, and this is not a pod with a service account: pass --context`);
    expect(() => resolveConnection({ file, context: 'prod' }, env())).toThrow(`the kubeconfig ${file} has no context named 'prod'`);
    const noCluster = kubeconfig(path.join(dir, 'c2'), 'a', [{ context: 'a', cluster: 'gone', user: 'u', userYaml: ['token: t'] }]);
    expect(() => resolveConnection({ file: noCluster }, env())).toThrow(`the context 'a' names the cluster 'gone', which the kubeconfig ${noCluster} does not define`);
  });
});

describe('an empty configuration falls back to the pod\'s service account, as clientcmd does (ErrEmptyConfig)', () => {
  function inPod(): { [name: string]: string } {
    const sa = path.join(dir, 'sa');
    fs.mkdirSync(sa, { recursive: true });
    fs.copyFileSync(CA, path.join(sa, 'ca.crt'));
    fs.writeFileSync(path.join(sa, 'token'), 'alice-token\n');
    return { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) };
  }

  test('contexts but no current-context (a kubeconfig mounted in a CI pod): the service account, not an error', async () => {
    const file = kubeconfig(path.join(dir, 'home', '.kube', 'config'), undefined, [{ context: 'a', cluster: 'c', user: 'u', clusterYaml: ['server: https://elsewhere.example'], userYaml: ['token: t'] }]);
    const connection = resolveConnection({}, env(inPod()));
    expect(connection.description).toBe(`the service account of this pod (${path.join(dir, 'sa')})`);
    expect((await ask(connection)).seen).toEqual([{ user: 'alice', authorization: 'Bearer alice-token' }]);
    // --context names one: it must exist, and is used.
    expect(resolveConnection({ context: 'a' }, env(inPod())).description).toBe(`the context 'a' of ${file}`);
  });

  test('a current context whose cluster no file defines: the service account too', () => {
    kubeconfig(path.join(dir, 'home', '.kube', 'config'), 'a', [{ context: 'a', cluster: 'gone', user: 'u', userYaml: ['token: t'] }]);
    expect(resolveConnection({}, env(inPod())).server).toBe(`https://127.0.0.1:${api.port}`);
  });
});

describe('how the server is reached', () => {
  test('proxy-url to an API server addressed by IP, with a certificate for that IP alone: verified against the IP, not \'localhost\'', async () => {
    await api.stop();
    api = new FakeApiServer(true, 'ip');
    server = await api.start();
    api.tokens.set('alice-token', 'alice');
    const proxy = new FakeProxy('http');
    const proxyUrl = await proxy.start();
    stops.push(() => proxy.stop());
    const connection = resolveConnection({
      file: kubeconfig(path.join(dir, 'ip'), 'a', [{
        context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${server}`, `certificate-authority: ${CA}`, `proxy-url: ${proxyUrl}`], userYaml: ['token: alice-token'],
      }]),
    }, env());
    expect((await ask(connection)).seen).toEqual([{ user: 'alice', authorization: 'Bearer alice-token' }]);
    expect(proxy.connects).toEqual([`CONNECT 127.0.0.1:${api.port} HTTP/1.1`]);
  });

  test('no certificate-authority in the kubeconfig: the system\'s CA bundle as Go reads it (SSL_CERT_FILE), not Node\'s own roots', async () => {
    const connection = resolveConnection({
      file: kubeconfig(path.join(dir, 'system-ca'), 'a', [{ context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${server}`], userYaml: ['token: alice-token'] }]),
    }, env());
    expect((await ask(connection, { SSL_CERT_FILE: CA })).status).toBe(404);
    await expect(ask(connection, { SSL_CERT_FILE: path.join(TLS_DIR, 'alice.crt') })).rejects.toThrow(/unable to (get local issuer|verify the first) certificate|self.signed/);
  });

  test('tls-server-name: the certificate is checked against it (and SNI carries it); without it the address does not match', async () => {
    await api.stop();
    api = new FakeApiServer(true, 'internal');
    server = await api.start();
    api.tokens.set('alice-token', 'alice');
    const entry = (extra: string[]) => [{ context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${server}`, `certificate-authority: ${CA}`, ...extra], userYaml: ['token: alice-token'] }];
    const named = resolveConnection({ file: kubeconfig(path.join(dir, 'named'), 'a', entry(['tls-server-name: kubernetes.internal'])) }, env());
    expect(named.tlsServerName).toBe('kubernetes.internal');
    expect((await ask(named)).seen).toEqual([{ user: 'alice', authorization: 'Bearer alice-token' }]);
    const unnamed = resolveConnection({ file: kubeconfig(path.join(dir, 'unnamed'), 'a', entry([])) }, env());
    await expect(ask(unnamed)).rejects.toThrow(/cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ \(the context 'a' of .*\): Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1 is not in the cert's list/);
  });

  test.each(['http', 'socks5'] as const)('proxy-url %s://: the tunnel goes to the API server, TLS inside it', async (kind) => {
    const proxy = new FakeProxy(kind);
    const proxyUrl = await proxy.start();
    stops.push(() => proxy.stop());
    const connection = resolveConnection({
      file: kubeconfig(path.join(dir, kind), 'a', [{
        context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${server}`, `certificate-authority: ${CA}`, `proxy-url: ${proxyUrl}`], userYaml: ['token: alice-token'],
      }]),
    }, env());
    expect((await ask(connection)).seen).toEqual([{ user: 'alice', authorization: 'Bearer alice-token' }]);
    expect(proxy.connects).toEqual([kind === 'http' ? `CONNECT 127.0.0.1:${api.port} HTTP/1.1` : `127.0.0.1:${api.port}`]);
  });

  test('HTTPS_PROXY without proxy-url, as Go\'s ProxyFromEnvironment: used for a name, not for NO_PROXY or a loopback address', async () => {
    const proxy = new FakeProxy('http', { 'kube.test': '127.0.0.1' });
    const proxyUrl = await proxy.start();
    stops.push(() => proxy.stop());
    const at = (host: string) => resolveConnection({
      file: kubeconfig(path.join(dir, host), 'a', [{
        context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: https://${host}:${api.port}`, `certificate-authority: ${CA}`], userYaml: ['token: alice-token'],
      }]),
    }, env());
    expect((await ask(at('kube.test'), { HTTPS_PROXY: proxyUrl })).status).toBe(404);
    expect(proxy.connects).toEqual([`CONNECT kube.test:${api.port} HTTP/1.1`]);
    // The lower-case variable, and a proxy given without a scheme.
    expect((await ask(at('kube.test'), { https_proxy: proxyUrl.replace('http://', '') })).status).toBe(404);
    expect(proxy.connects).toHaveLength(2);
    await expect(ask(at('kube.test'), { HTTPS_PROXY: proxyUrl, NO_PROXY: 'example.com,.test' })).rejects.toThrow(/getaddrinfo|ENOTFOUND|EAI_AGAIN/);
    expect((await ask(at('localhost'), { HTTPS_PROXY: proxyUrl })).status).toBe(404);
    expect(proxy.connects).toHaveLength(2);
  });
});

describe('who the requests are made as', () => {
  test('a client certificate from the kubeconfig (no Authorization header)', async () => {
    const connection = resolveConnection({
      file: kubeconfig(path.join(dir, 'cert'), 'a', [{
        context: 'a',
        cluster: 'c',
        user: 'u',
        clusterYaml: [`server: ${server}`, `certificate-authority: ${CA}`],
        userYaml: [`client-certificate: ${path.join(TLS_DIR, 'alice.crt')}`, `client-key-data: ${tlsFile('alice.key').toString('base64')}`],
      }]),
    }, env());
    expect((await ask(connection)).seen).toEqual([{ user: 'alice', authorization: undefined }]);
  });

  test('an exec plugin returning a client certificate, told about the cluster (provideClusterInfo, KUBERNETES_EXEC_INFO)', async () => {
    const proxy = new FakeProxy('http');
    const proxyUrl = await proxy.start();
    stops.push(() => proxy.stop());
    const info = path.join(dir, 'exec-info.json');
    const plugin = write(path.join(dir, 'plugin.js'), [
      `require('fs').writeFileSync(${JSON.stringify(info)}, process.env.KUBERNETES_EXEC_INFO + '\\n' + process.env.PLUGIN_FLAVOUR);`,
      'const fs = require(\'fs\');',
      'console.log(JSON.stringify({ kind: \'ExecCredential\', apiVersion: \'client.authentication.k8s.io/v1\', status: {',
      `  clientCertificateData: fs.readFileSync(${JSON.stringify(path.join(TLS_DIR, 'bot.crt'))}, 'utf-8'),`,
      `  clientKeyData: fs.readFileSync(${JSON.stringify(path.join(TLS_DIR, 'bot.key'))}, 'utf-8') } }));`,
    ]);
    const connection = resolveConnection({
      file: kubeconfig(path.join(dir, 'exec'), 'a', [{
        context: 'a',
        cluster: 'c',
        user: 'u',
        clusterYaml: [`server: ${server}`, `certificate-authority: ${CA}`, `proxy-url: ${proxyUrl}`,
          'extensions:', '- name: client.authentication.k8s.io/exec', '  extension: {audience: kube}'],
        userYaml: ['exec:', '  apiVersion: client.authentication.k8s.io/v1', `  command: ${process.execPath}`, `  args: [${plugin}]`,
          '  env: [{name: PLUGIN_FLAVOUR, value: vanilla}]', '  provideClusterInfo: true', '  interactiveMode: Never'],
      }]),
    }, env());
    const { seen, client } = await ask(connection, { PATH: process.env.PATH });
    expect(seen).toEqual([{ user: 'bot', authorization: undefined }]);
    expect(client.pluginRuns).toBe(1);
    const [execInfo, flavour] = fs.readFileSync(info, 'utf-8').split('\n');
    expect(flavour).toBe('vanilla');
    expect(JSON.parse(execInfo)).toEqual({
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1',
      spec: {
        cluster: { 'server': server, 'certificate-authority-data': tlsFile('ca.crt').toString('base64'), 'proxy-url': proxyUrl, 'config': { audience: 'kube' } },
        interactive: false,
      },
    });
  });

  test('an exec plugin beside a token or a client certificate is never run (client-go exec UpdateTransportConfig: HasTokenAuth, HasCertAuth)', async () => {
    const marker = path.join(dir, 'plugin-ran');
    const plugin = write(path.join(dir, 'never.js'), [
      `require('fs').writeFileSync(${JSON.stringify(marker)}, '');`,
      'console.log(JSON.stringify({ kind: \'ExecCredential\', apiVersion: \'client.authentication.k8s.io/v1\', status: { token: \'plugin-token\' } }));',
    ]);
    api.tokens.set('plugin-token', 'plugin-user');
    const exec = ['exec:', '  apiVersion: client.authentication.k8s.io/v1', `  command: ${process.execPath}`, `  args: [${plugin}]`, '  interactiveMode: Never'];
    const withToken = resolveConnection({
      file: kubeconfig(path.join(dir, 'token-and-exec'), 'a', [{ context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${server}`, `certificate-authority: ${CA}`], userYaml: ['token: alice-token', ...exec] }]),
    }, env());
    expect((await ask(withToken, { PATH: process.env.PATH })).seen).toEqual([{ user: 'alice', authorization: 'Bearer alice-token' }]);
    const withCertificate = resolveConnection({
      file: kubeconfig(path.join(dir, 'cert-and-exec'), 'a', [{
        context: 'a',
        cluster: 'c',
        user: 'u',
        clusterYaml: [`server: ${server}`, `certificate-authority: ${CA}`],
        userYaml: [`client-certificate: ${path.join(TLS_DIR, 'alice.crt')}`, `client-key: ${path.join(TLS_DIR, 'alice.key')}`, ...exec],
      }]),
    }, env());
    const { client } = await ask(withCertificate, { PATH: process.env.PATH });
    expect(api.requests.map((r) => r.user)).toEqual(['alice', 'alice']);
    expect(client.pluginRuns).toBe(0);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('a context naming a user no file defines: anonymous requests, as kubectl makes them, with a warning', async () => {
    const file = kubeconfig(path.join(dir, 'no-user'), 'a', [{ context: 'a', cluster: 'c', user: 'ghost', clusterYaml: [`server: ${server}`, `certificate-authority: ${CA}`] }]);
    const connection = resolveConnection({ file }, env());
    expect(connection.warnings).toEqual([`the context 'a' names the user 'ghost', which the kubeconfig ${file} does not define: the requests are anonymous (system:anonymous), as kubectl's are`]);
    expect((await ask(connection)).seen).toEqual([{ user: 'system:anonymous', authorization: undefined }]);
  });

  test('in a pod with no kubeconfig: the service account (token read for every request, namespace from the pod), and kubectl gets no --context', async () => {
    const sa = path.join(dir, 'sa');
    fs.mkdirSync(sa);
    fs.copyFileSync(CA, path.join(sa, 'ca.crt'));
    fs.writeFileSync(path.join(sa, 'token'), 'alice-token\n');
    fs.writeFileSync(path.join(sa, 'namespace'), 'shop');
    api.tokens.set('rotated-token', 'alice');
    const podEnv = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) };
    const connection = resolveConnection({}, env(podEnv));
    expect(connection).toEqual(expect.objectContaining({ server: `https://127.0.0.1:${api.port}`, namespace: 'shop', kubectlFlags: [] }));
    expect(connection.context).toBeUndefined();
    const client = new KubeApi(connection, { env: {} });
    await client.request('GET', PATH);
    fs.writeFileSync(path.join(sa, 'token'), 'rotated-token\n');
    await client.request('GET', PATH);
    expect(api.requests.map((r) => r.authorization)).toEqual(['Bearer alice-token', 'Bearer rotated-token']);
    expect(resolveConnection({}, env({ ...podEnv, POD_NAMESPACE: 'other' })).namespace).toBe('other');
    // A kubeconfig wins over the pod's service account.
    const file = kubeconfig(path.join(dir, 'home', '.kube', 'config'), 'a', [{ context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${server}`], userYaml: ['token: t'] }]);
    expect(resolveConnection({}, env(podEnv)).description).toBe(`the context 'a' of ${file}`);
  });

  test('impersonation (as, as-groups) becomes Impersonate-* headers', async () => {
    const connection = resolveConnection({
      file: kubeconfig(path.join(dir, 'as'), 'a', [{
        context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${server}`, `certificate-authority: ${CA}`], userYaml: ['token: alice-token', 'as: bob', 'as-groups: [oncall, shop]'],
      }]),
    }, env());
    await ask(connection);
    expect(api.requests[0].headers).toEqual(expect.objectContaining({ 'impersonate-user': 'bob', 'impersonate-group': 'oncall, shop' }));
  });

  test('an auth-provider is refused with what to use instead', () => {
    const file = kubeconfig(path.join(dir, 'oidc'), 'a', [{ context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${server}`], userYaml: ['auth-provider: {name: oidc}'] }]);
    expect(() => resolveConnection({ file }, env())).toThrow("the user 'u' authenticates with the auth-provider 'oidc', which cdk8s-canary does not support: use an exec credential plugin (e.g. kubelogin)");
  });
});

describe('no credentials over plain http:// unless asked (issue 19)', () => {
  let plain: FakeApiServer;
  let plainServer: string;
  beforeEach(async () => {
    plain = new FakeApiServer(false);
    plainServer = await plain.start();
    plain.tokens.set('alice-token', 'alice');
  });
  afterEach(async () => { await plain.stop(); });

  test('a token is refused, naming the server and the flag; nothing is sent', async () => {
    const connection = resolveConnection({ file: kubeconfig(path.join(dir, 'http'), 'a', [{ context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${plainServer}`], userYaml: ['token: alice-token'] }]) }, env());
    await expect(new KubeApi(connection, { env: {} }).request('GET', PATH)).rejects.toThrow(`refusing to send a bearer token to ${plainServer} (the context 'a' of ${path.join(dir, 'http')}): `
      + 'it is plain http://, so anyone on the way can read it (kubectl sends no credentials to an http:// server at all). Use the https:// address, or pass '
      + '--insecure-allow-http-token to send it anyway');
    expect(plain.requests).toEqual([]);
  });

  test('an exec plugin is not even run', async () => {
    const marker = path.join(dir, 'ran');
    const plugin = write(path.join(dir, 'p.js'), [`require('fs').writeFileSync(${JSON.stringify(marker)}, '')`]);
    const connection = resolveConnection({
      file: kubeconfig(path.join(dir, 'http-exec'), 'a', [{
        context: 'a',
        cluster: 'c',
        user: 'u',
        clusterYaml: [`server: ${plainServer}`],
        userYaml: ['exec:', '  apiVersion: client.authentication.k8s.io/v1', `  command: ${process.execPath}`, `  args: [${plugin}]`, '  interactiveMode: Never'],
      }]),
    }, env());
    await expect(new KubeApi(connection, { env: {} }).request('GET', PATH)).rejects.toThrow(`refusing to send the token of the credential plugin '${process.execPath}' to ${plainServer}`);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('--insecure-allow-http-token sends it, with a warning once', async () => {
    const connection = resolveConnection({ file: kubeconfig(path.join(dir, 'http'), 'a', [{ context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${plainServer}`], userYaml: ['token: alice-token'] }]) }, env());
    let warned = '';
    const client = new KubeApi(connection, { env: {}, allowHttpToken: true }, (t) => { warned += t; });
    await client.request('GET', PATH);
    await client.request('GET', PATH);
    expect(plain.requests.map((r) => [r.user, r.authorization])).toEqual([['alice', 'Bearer alice-token'], ['alice', 'Bearer alice-token']]);
    expect(warned).toBe(`warning: sending a bearer token to ${plainServer} over plain http:// (--insecure-allow-http-token)\n`);
  });

  test('without credentials, http:// is used as it is', async () => {
    const connection = resolveConnection({ file: kubeconfig(path.join(dir, 'anon'), 'a', [{ context: 'a', cluster: 'c', user: 'u', clusterYaml: [`server: ${plainServer}`], userYaml: ['{}'] }]) }, env());
    expect((await new KubeApi(connection, { env: {} }).request('GET', PATH)).status).toBe(404);
    expect(plain.requests.map((r) => r.user)).toEqual(['system:anonymous']);
  });
});
