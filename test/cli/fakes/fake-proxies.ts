import * as net from 'net';
import { AddressInfo } from 'net';

/**
 * Forward proxies that record what they were asked to connect to: an HTTP proxy answering CONNECT
 * (and relaying plain-http requests), and a SOCKS5 proxy (RFC 1928, no authentication). Names in
 * `hosts` resolve to the given addresses (kube.test -> 127.0.0.1), as the proxy's own DNS would.
 */
export class FakeProxy {
  public readonly connects: string[] = [];
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly kind: 'http' | 'socks5', private readonly hosts: { [name: string]: string } = {}) {}

  public async start(): Promise<string> {
    this.server = net.createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      if (this.kind === 'http') this.http(client);
      else this.socks(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    return `${this.kind}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    this.sockets.forEach((s) => s.destroy());
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private pipe(client: net.Socket, host: string, port: number, onOpen: () => void): void {
    const upstream = net.connect({ host: this.hosts[host] ?? host, port }, onOpen);
    this.sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.pipe(client);
    client.pipe(upstream);
  }

  private http(client: net.Socket): void {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      client.off('data', onData);
      const [line] = head.split('\r\n');
      this.connects.push(line);
      const connect = /^CONNECT ([^ ]+):(\d+) HTTP/.exec(line);
      if (!connect) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
        return;
      }
      this.pipe(client, connect[1], Number(connect[2]), () => client.write('HTTP/1.1 200 Connection established\r\n\r\n'));
    };
    client.on('data', onData);
  }

  private socks(client: net.Socket): void {
    let stage = 0;
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (stage === 0 && buffer.length >= 2 && buffer.length >= 2 + buffer[1]) {
        buffer = buffer.subarray(2 + buffer[1]);
        stage = 1;
        client.write(Buffer.from([5, 0]));
      }
      if (stage === 1 && buffer.length >= 5) {
        const type = buffer[3];
        const length = type === 1 ? 4 : type === 3 ? 1 + buffer[4] : 16;
        if (buffer.length < 4 + length + 2) return;
        const host = type === 1 ? [...buffer.subarray(4, 8)].join('.') : buffer.subarray(5, 5 + buffer[4]).toString();
        const port = buffer.readUInt16BE(4 + length);
        client.off('data', onData);
        this.connects.push(`${host}:${port}`);
        this.pipe(client, host, port, () => client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0])));
      }
    };
    client.on('data', onData);
  }
}
