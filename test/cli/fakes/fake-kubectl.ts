import * as http from 'http';
import { Attributes, FakeApiServer } from './fake-api-server';
import { FakeLoadTester } from './fake-loadtester';

export interface KubectlResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** The API path of a Deployment. */
export const deploymentPath = (namespace: string, name: string) => `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`;

/**
 * kubectl as the release commands run it: `[--kubeconfig f] [--context c] -n <ns> exec
 * deploy/<name> -- curl ... -d <payload> http://localhost:8080/<route>`. It records every call and
 * does what `kubectl exec deploy/...` does (kubectl pkg/cmd/exec and polymorphichelpers
 * AttachablePodForObjectFn, helpers.go GetFirstPod), authorized with the API server's RBAC: get the
 * Deployment (from the fake API server), list its pods; none (here: none ready; a pod that exists
 * but is not ready, which kubectl would pick and fail to exec into, is not modelled): watch for one
 * (`watch pods`; allowed, it times out after --pod-running-timeout); then pods/exec (`get` for the
 * WebSocket upgrade, and `create`), and run the curl against the loadtester behind that Deployment over real HTTP,
 * printing what `curl -sS -w '\n%{http_code}'` prints. Errors look like kubectl's: `Error from
 * server (Forbidden): ...`, `Error from server (NotFound): deployments.apps "<name>" not found`,
 * `command terminated with exit code 7`.
 */
export class FakeKubectl {
  public readonly calls: string[][] = [];
  /** The loadtesters behind Deployments, by `<namespace>/<deployment>`; `down` ones refuse connections (curl exit 7). */
  public readonly deployments = new Map<string, { tester: FakeLoadTester; down?: boolean }>();
  /** Replaces the answer of a call (a stream lost after the request reached the loadtester). */
  public intercept?: (args: string[], result: KubectlResult) => KubectlResult;

  constructor(private readonly api: FakeApiServer, private readonly user: string) {}

  public readonly run = async (args: string[]): Promise<KubectlResult> => {
    const result = await this.exec(args);
    return this.intercept ? this.intercept(args, result) : result;
  };

  private async exec(args: string[]): Promise<KubectlResult> {
    this.calls.push(args);
    const rest = [...args];
    while (rest[0] === '--kubeconfig' || rest[0] === '--context') rest.splice(0, 2);
    const [n, namespace, exec, target, dashes, curl, ...curlArgs] = rest;
    if (n !== '-n' || exec !== 'exec' || !target.startsWith('deploy/') || dashes !== '--' || curl !== 'curl') {
      return { status: 1, stdout: '', stderr: `fake kubectl: unexpected arguments ${JSON.stringify(args)}` };
    }
    const deployment = target.slice('deploy/'.length);
    const forbidden = this.check({ verb: 'get', group: 'apps', resource: 'deployments', namespace, name: deployment });
    if (forbidden) return forbidden;
    const object = this.api.objects.get(deploymentPath(namespace, deployment));
    if (!object) return { status: 1, stdout: '', stderr: `Error from server (NotFound): deployments.apps "${deployment}" not found\n` };
    const listForbidden = this.check({ verb: 'list', group: '', resource: 'pods', namespace, name: '' });
    if (listForbidden) return listForbidden;
    const found = this.deployments.get(`${namespace}/${deployment}`);
    if (!found || (object.status?.readyReplicas ?? 0) < 1) {
      return this.check({ verb: 'watch', group: '', resource: 'pods', namespace, name: '' })
        ?? { status: 1, stdout: '', stderr: 'error: timed out waiting for the condition\n' };
    }
    const pod = `${deployment}-7d9c8b5f4-x2x9z`;
    const execForbidden = this.check({ verb: 'get', group: '', resource: 'pods', subresource: 'exec', namespace, name: pod })
      ?? this.check({ verb: 'create', group: '', resource: 'pods', subresource: 'exec', namespace, name: pod });
    if (execForbidden) return execForbidden;
    const url = curlArgs[curlArgs.length - 1];
    const body = curlArgs[curlArgs.indexOf('-d') + 1];
    if (found.down || !url.startsWith('http://localhost:8080/')) {
      return { status: 7, stdout: '', stderr: 'curl: (7) Failed to connect to localhost port 8080 after 0 ms: Could not connect to server\ncommand terminated with exit code 7\n' };
    }
    const answer = await post(found.tester.port, new URL(url).pathname, body);
    return { status: 0, stdout: `${answer.body}\n${answer.status}`, stderr: '' };
  }

  private check(a: Omit<Attributes, 'user'>): KubectlResult | undefined {
    const attributes = { ...a, user: this.user };
    if (this.api.allowed(attributes)) return undefined;
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
    const subject = a.name ? `${qualified} "${a.name}"` : qualified;
    return { status: 1, stdout: '', stderr: `Error from server (Forbidden): ${subject} is forbidden: User "${this.user}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" in the namespace "${a.namespace}"\n` };
  }
}

function post(port: number, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf-8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
