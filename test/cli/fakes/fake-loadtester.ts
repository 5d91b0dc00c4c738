import * as http from 'http';
import { AddressInfo } from 'net';

/** One answer of the loadtester, as its Go server writes it. */
export interface LoadTesterAnswer {
  readonly status: number;
  readonly contentType?: string;
  readonly body: string;
}

/**
 * Flagger's loadtester gate API as flagger v1.44.0 pkg/loadtester/server.go serves it, on a real
 * port: `/gate/approve` 200 "OK", `/gate/halt` 403 "Forbidden"; `/gate/check` and `/rollback/check`
 * 200 "Approved" or 403 "Forbidden"; `/gate/open|close`, `/rollback/open|close` 202 with no body;
 * any route 400 with no body when the body is not a CanaryWebhookPayload, 403 "Forbidden" when the
 * authorizer's `-namespace-regexp` (Go regexp MatchString: unanchored) refuses the namespace; `/`
 * (and any other path) a task: 400 "metadata not found in payload" without metadata. Gates live in
 * a map keyed `<name>.<namespace>` and `rollback.<name>.<namespace>` (gate.go: LoadOrStore false).
 * The mux does not look at the method. Go writes `text/plain; charset=utf-8` for a text body and
 * no Content-Type for an empty one.
 */
export class FakeLoadTester {
  public readonly gates = new Map<string, boolean>();
  public readonly requests: { method: string; path: string; body: string }[] = [];
  /** `-namespace-regexp`; undefined serves every namespace. */
  public namespaceRegexp?: RegExp;
  private server?: http.Server;
  public port = 0;

  public handle(method: string, path: string, body: string): LoadTesterAnswer {
    this.requests.push({ method, path, body });
    const text = (status: number, message: string) => ({ status, contentType: 'text/plain; charset=utf-8', body: message });
    if (path === '/gate/approve') return text(200, 'OK');
    if (path === '/gate/halt') return text(403, 'Forbidden');
    if (path === '/healthz') return text(200, 'OK');
    const payload = decodePayload(body);
    if (!payload) return { status: 400, body: '' };
    if (this.namespaceRegexp && !this.namespaceRegexp.test(payload.namespace)) return text(403, 'Forbidden');
    const gate = `${payload.name}.${payload.namespace}`;
    const rollback = `rollback.${gate}`;
    const check = (key: string) => {
      if (!this.gates.has(key)) this.gates.set(key, false);
      return this.gates.get(key) ? text(200, 'Approved') : text(403, 'Forbidden');
    };
    switch (path) {
      case '/gate/check': return check(gate);
      case '/gate/open': this.gates.set(gate, true); return { status: 202, body: '' };
      case '/gate/close': this.gates.set(gate, false); return { status: 202, body: '' };
      case '/rollback/check': return check(rollback);
      case '/rollback/open': this.gates.set(rollback, true); return { status: 202, body: '' };
      case '/rollback/close': this.gates.set(rollback, false); return { status: 202, body: '' };
      default:
        return payload.metadata && Object.keys(payload.metadata).length > 0 ? { status: 202, body: '' } : text(400, 'metadata not found in payload');
    }
  }

  /** Whether a gate is open, without the side effect of a check. */
  public isOpen(key: string): boolean {
    return this.gates.get(key) === true;
  }

  public async start(): Promise<number> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = this.handle(req.method!, new URL(req.url!, 'http://localhost').pathname, Buffer.concat(chunks).toString('utf-8'));
        const headers: { [name: string]: string } = { 'Content-Length': String(Buffer.byteLength(answer.body)) };
        if (answer.contentType) headers['Content-Type'] = answer.contentType;
        res.writeHead(answer.status, headers).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  public async stop(): Promise<void> {
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

/**
 * encoding/json Unmarshal into flaggerv1.CanaryWebhookPayload: an object (or null, which leaves the
 * fields empty) whose `name`, `namespace`, `phase`, `checksum` are strings and `metadata` a map of
 * strings, keys matched case-insensitively; anything else is an error.
 */
function decodePayload(body: string): { name: string; namespace: string; metadata?: { [key: string]: string } } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (value === null) return { name: '', namespace: '' };
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const fields: { [key: string]: unknown } = {};
  for (const [key, v] of Object.entries(value as object)) fields[key.toLowerCase()] = v;
  for (const key of ['name', 'namespace', 'phase', 'checksum']) {
    if (fields[key] !== undefined && fields[key] !== null && typeof fields[key] !== 'string') return undefined;
  }
  const metadata = fields.metadata;
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object' || Array.isArray(metadata) || Object.values(metadata as object).some((v) => typeof v !== 'string')) return undefined;
  }
  return { name: (fields.name as string) ?? '', namespace: (fields.namespace as string) ?? '', metadata: (metadata as any) ?? undefined };
}
