import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import { AddressInfo } from 'net';
import * as path from 'path';
import { TLSSocket } from 'tls';
import { FakeLoadTester } from './fake-loadtester';

export const TLS_DIR = path.join(__dirname, '..', 'fixtures', 'tls');
export const tlsFile = (name: string) => fs.readFileSync(path.join(TLS_DIR, name));

/** A Role rule (rbac.authorization.k8s.io/v1 PolicyRule). */
export interface PolicyRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
}

/** What the API server authorizes (k8s.io/apiserver authorizer.Attributes). */
export interface Attributes {
  readonly user: string;
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly namespace: string;
  readonly name: string;
}

export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly contentType?: string;
  readonly authorization?: string;
  readonly user: string;
  readonly headers: http.IncomingHttpHeaders;
}

const RESOURCES: { [resource: string]: { group: string; prefix: string; kind: string; statusSubresource: boolean } } = {
  canaries: { group: 'flagger.app', prefix: '/apis/flagger.app/v1beta1', kind: 'canaries.flagger.app', statusSubresource: true },
  rollouts: { group: 'argoproj.io', prefix: '/apis/argoproj.io/v1alpha1', kind: 'rollouts.argoproj.io', statusSubresource: true },
  configmaps: { group: '', prefix: '/api/v1', kind: 'configmaps', statusSubresource: false },
  deployments: { group: 'apps', prefix: '/apis/apps/v1', kind: 'deployments.apps', statusSubresource: true },
};

/** A Service the proxy can reach: the loadtester behind it, or none (no endpoints), or a NetworkPolicy in the way. */
export interface FakeService {
  readonly backend?: FakeLoadTester;
  readonly endpoints: boolean;
  /** False: a NetworkPolicy drops the API server's connection (the dial times out). */
  readonly reachable: boolean;
  /**
   * A route whose answer is lost after the backend got the request (the connection breaks before
   * the response): the proxy answers 503 "error trying to reach service: EOF".
   */
  readonly loseAnswerTo?: string;
}

/**
 * A Kubernetes API server for the objects the release commands touch, answering as the real one
 * does (k8s.io/apiserver, k8s.io/apimachinery api/errors): authentication by bearer token or client
 * certificate (an unknown token: 401 Status "Unauthorized"; none: system:anonymous), RBAC over
 * PolicyRules per user (a refusal: 403 Status `<resource> "<name>" is forbidden: User "<u>" cannot
 * <verb> resource "<r>" in API group "<g>" in the namespace "<ns>"`), GET and JSON merge PATCH
 * (`application/merge-patch+json`, else 415) of Canaries, Rollouts (status subresource: a patch of
 * the main resource ignores status, one of /status everything but status), ConfigMaps and
 * Deployments, a `metadata.resourceVersion` in a patch as a precondition (409 Conflict "the object
 * has been modified"), `?dryRun=All` (authorized and checked, not stored; any other value 400), and
 * the Service proxy (`/api/v1/namespaces/<ns>/services/http:<svc>:<port>/proxy/...`:
 * RBAC `create services/proxy` on that name; 404 for no Service; 503 "no endpoints available for
 * service"; 503 "error trying to reach service: ..." when the connection fails, before or after the request
 * reached the backend; else the backend's answer, passed through).
 */
export class FakeApiServer {
  /** The 403 the API server answers (responsewriters.ForbiddenStatusError). */
  public static forbidden(a: Attributes): { status: number; body: string } {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
    const message = `${qualified} "${a.name}" is forbidden: User "${a.user}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" in the namespace "${a.namespace}"`;
    return status(403, 'Forbidden', message, { name: a.name, group: a.group, kind: a.resource });
  }

  public readonly requests: Recorded[] = [];
  /** Objects by API path. */
  public readonly objects = new Map<string, any>();
  /** Bearer tokens and whom they authenticate. */
  public readonly tokens = new Map<string, string>();
  /** Rules per user; a user without an entry may do everything (cluster-admin). */
  public readonly rbac = new Map<string, PolicyRule[]>();
  /** Services by `<namespace>/<name>`. */
  public readonly services = new Map<string, FakeService>();
  /** Called before each request is served (a controller moving objects between requests). */
  public beforeRequest?: (method: string, path: string) => void;
  private server?: http.Server;
  private resourceVersion = 1000;

  constructor(private readonly secure = true, private readonly certName = 'server') {}

  public async start(): Promise<string> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void this.serve(req, Buffer.concat(chunks).toString('utf-8')).then(({ status: code, contentType, body }) => {
          res.writeHead(code, { 'Content-Type': contentType ?? 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }).end(body);
        }, (error) => {
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`fake API server: ${(error as Error).stack}`);
        });
      });
    };
    this.server = this.secure
      ? https.createServer({ key: tlsFile(`${this.certName}.key`), cert: tlsFile(`${this.certName}.crt`), ca: tlsFile('ca.crt'), requestCert: true, rejectUnauthorized: false }, handler)
      : http.createServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    return `${this.secure ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  public async stop(): Promise<void> {
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Stores an object at its API path, with a resourceVersion. */
  public put(apiPath: string, object: any): void {
    this.objects.set(apiPath, { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.resourceVersion) } });
  }

  /** The requests other than those of `method` GET. */
  public writes(): Recorded[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  /** `<METHOD> <path>` of every request. */
  public lines(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  /** Whether `user` may do this, under the rules given (RBAC: any rule that matches allows). */
  public allowed(attributes: Attributes): boolean {
    const rules = this.rbac.get(attributes.user);
    if (!rules) return true;
    const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
    return rules.some((rule) => rule.apiGroups.includes(attributes.group)
      && (rule.resources.includes(resource) || rule.resources.includes('*'))
      && (rule.verbs.includes(attributes.verb) || rule.verbs.includes('*'))
      && (!rule.resourceNames || rule.resourceNames.length === 0 || rule.resourceNames.includes(attributes.name)));
  }

  private authenticate(req: http.IncomingMessage): string | undefined | 'unauthorized' {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) return this.tokens.get(header.slice(7)) ?? 'unauthorized';
    const socket = req.socket as TLSSocket;
    if (this.secure && socket.authorized) {
      const peer = socket.getPeerCertificate();
      if (peer?.subject?.CN) return peer.subject.CN as string;
    }
    if (this.secure && socket.getPeerCertificate && Object.keys(socket.getPeerCertificate() ?? {}).length > 0) return 'unauthorized';
    return 'system:anonymous';
  }

  private async serve(req: http.IncomingMessage, body: string): Promise<{ status: number; contentType?: string; body: string }> {
    const url = new URL(req.url!, 'http://localhost');
    const method = req.method!;
    this.beforeRequest?.(method, url.pathname);
    const user = this.authenticate(req);
    this.requests.push({ method, path: `${url.pathname}${url.search}`, body, contentType: req.headers['content-type'], authorization: req.headers.authorization, user: user ?? '', headers: req.headers });
    if (user === 'unauthorized' || user === undefined) return status(401, 'Unauthorized', 'Unauthorized');
    const verb = ({ GET: 'get', PATCH: 'patch', POST: 'create', PUT: 'update', DELETE: 'delete' } as { [m: string]: string })[method] ?? method.toLowerCase();

    const proxy = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)\/proxy(\/.*)?$/.exec(url.pathname);
    if (proxy) {
      const [, namespace, target, rest] = proxy;
      const attributes = { user, verb, group: '', resource: 'services', subresource: 'proxy', namespace, name: target };
      if (!this.allowed(attributes)) return FakeApiServer.forbidden(attributes);
      const service = target.split(':').length === 3 ? target.split(':')[1] : target.split(':')[0];
      const found = this.services.get(`${namespace}/${service}`);
      if (!found) return status(404, 'NotFound', `services "${service}" not found`, { name: service, kind: 'services' });
      if (!found.endpoints || !found.backend) return status(503, 'ServiceUnavailable', `no endpoints available for service "${service}"`);
      if (!found.reachable) return status(503, 'ServiceUnavailable', 'error trying to reach service: dial tcp 10.244.0.7:8080: i/o timeout');
      const answer = found.backend.handle(method, rest ?? '/', body);
      // apimachinery proxy transport.go: a failed round trip is NewServiceUnavailable("error trying to reach service: ...").
      return rest === found.loseAnswerTo ? status(503, 'ServiceUnavailable', 'error trying to reach service: EOF') : answer;
    }

    const match = /^(\/apis?\/.+)\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)(?:\/(status))?$/.exec(url.pathname);
    const resource = match ? RESOURCES[match[3]] : undefined;
    if (!match || !resource || resource.prefix !== match[1] || (match[5] && !resource.statusSubresource)) {
      return status(404, 'NotFound', 'the server could not find the requested resource');
    }
    const [, , namespace, resourceName, name, subresource] = match;
    const attributes = { user, verb, group: resource.group, resource: resourceName, subresource, namespace, name };
    if (!this.allowed(attributes)) return FakeApiServer.forbidden(attributes);
    const objectPath = `${resource.prefix}/namespaces/${namespace}/${resourceName}/${name}`;
    const object = this.objects.get(objectPath);
    const notFound = () => status(404, 'NotFound', `${resource.kind} "${name}" not found`, { name, group: resource.group, kind: resourceName });
    if (method === 'GET') return object ? { status: 200, body: JSON.stringify(object) } : notFound();
    if (method !== 'PATCH') return status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    if (req.headers['content-type'] !== 'application/merge-patch+json') {
      return status(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
    }
    if (!object) return notFound();
    const dryRun = url.searchParams.getAll('dryRun');
    if (dryRun.some((value) => value !== 'All')) {
      return status(400, 'BadRequest', `Invalid dry run value: ${dryRun.join(', ')}; valid values are: All`);
    }
    let patch: any;
    try {
      patch = JSON.parse(body);
    } catch (error) {
      return status(400, 'BadRequest', `error decoding patch: ${(error as Error).message}`);
    }
    const precondition = patch?.metadata?.resourceVersion;
    if (precondition !== undefined && precondition !== object.metadata.resourceVersion) {
      return status(409, 'Conflict', `Operation cannot be fulfilled on ${resource.kind} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: resource.group, kind: resourceName });
    }
    const merged = mergePatch(object, patch);
    // With a status subresource, each endpoint changes only its own part (CRD status subresource).
    const updated = !resource.statusSubresource ? merged
      : subresource === 'status' ? { ...object, status: merged.status } : { ...merged, status: object.status };
    if (dryRun.length > 0) return { status: 200, body: JSON.stringify(updated) };
    this.put(objectPath, updated);
    return { status: 200, body: JSON.stringify(this.objects.get(objectPath)) };
  }
}

/** A metav1.Status (k8s.io/apimachinery api/errors). */
function status(code: number, reason: string, message: string, details?: object): { status: number; body: string } {
  return { status: code, body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code }) };
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
