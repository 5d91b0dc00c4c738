import * as http from 'http';
import * as net from 'net';
import { Duplex } from 'stream';
import * as tls from 'tls';

/** How to reach a server: TLS material, the name its certificate must carry, a proxy. */
export interface TransportOptions {
  readonly certificateAuthority?: Buffer;
  readonly clientCertificate?: Buffer;
  readonly clientKey?: Buffer;
  readonly insecureSkipTlsVerify: boolean;
  /** Checked against the certificate and sent as SNI instead of the URL's host (`tls-server-name`). */
  readonly tlsServerName?: string;
  /** An http://, https:// or socks5:// proxy. */
  readonly proxy?: string;
  readonly timeoutMillis: number;
}

/** An HTTP answer. */
export interface HttpAnswer {
  readonly status: number;
  readonly contentType?: string;
  readonly body: string;
}

/**
 * One HTTP request. https goes through a CONNECT tunnel of an http(s) proxy or a SOCKS5 proxy when
 * one is given (client-go: `proxy-url` with http, https or socks5), and TLS is verified against the
 * CA (or the system's) and `tls-server-name` when set, as Go's crypto/tls does with ServerName.
 */
export async function sendRequest(
  url: URL, method: string, headers: { [name: string]: string | string[] }, body: string | undefined, options: TransportOptions,
): Promise<HttpAnswer> {
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const proxy = options.proxy ? new URL(options.proxy) : undefined;
  if (proxy && !['http:', 'https:', 'socks5:', 'socks5h:'].includes(proxy.protocol)) {
    throw new Error(`the proxy '${options.proxy}' is not http://, https:// or socks5://`);
  }
  // Plain http through an http proxy is relayed by it; anything else goes through a tunnel.
  const viaHttpProxy = proxy !== undefined && !secure && proxy.protocol === 'http:';
  let socket: Duplex | undefined;
  if (!viaHttpProxy) {
    const raw = proxy ? await tunnel(proxy, host, port, options.timeoutMillis) : undefined;
    socket = secure ? await startTls(raw, host, port, options) : raw;
  }
  return new Promise<HttpAnswer>((resolve, reject) => {
    const requestHeaders: { [name: string]: string | string[] } = { ...headers, Host: url.host };
    if (viaHttpProxy && (proxy!.username || proxy!.password)) requestHeaders['Proxy-Authorization'] = basicAuth(proxy!);
    const request = http.request({
      method,
      headers: requestHeaders,
      // Through an http proxy a plain-http request names the whole URL.
      host: viaHttpProxy ? proxy!.hostname : host,
      port: viaHttpProxy ? Number(proxy!.port || 80) : port,
      path: viaHttpProxy ? url.href : `${url.pathname}${url.search}`,
      createConnection: socket ? () => socket as net.Socket : undefined,
      agent: socket ? undefined : false,
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({
        status: response.statusCode ?? 0,
        contentType: response.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf-8'),
      }));
      response.on('error', reject);
    });
    request.setTimeout(options.timeoutMillis, () => request.destroy(new Error(`no answer within ${options.timeoutMillis / 1000}s`)));
    request.on('error', reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}

function startTls(socket: Duplex | undefined, host: string, port: number, options: TransportOptions): Promise<tls.TLSSocket> {
  // Node checks the certificate against `servername` when given, else the host; an IP gets no SNI.
  const servername = options.tlsServerName ?? (net.isIP(host) ? undefined : host);
  return new Promise((resolve, reject) => {
    const secured = tls.connect({
      ...(socket ? { socket } : { host, port }),
      servername,
      ca: options.certificateAuthority,
      cert: options.clientCertificate,
      key: options.clientKey,
      rejectUnauthorized: !options.insecureSkipTlsVerify,
      ALPNProtocols: ['http/1.1'],
      // Against the URL's host, not the name Node falls back to ('localhost') when a tunnel's
      // socket is given without a servername (an IP gets none), as Go checks ServerName or the host.
      checkServerIdentity: (_hostname, cert) => tls.checkServerIdentity(options.tlsServerName ?? host, cert),
    });
    secured.setTimeout(options.timeoutMillis, () => secured.destroy(new Error(`no TLS handshake within ${options.timeoutMillis / 1000}s`)));
    secured.once('secureConnect', () => {
      secured.setTimeout(0);
      resolve(secured);
    });
    secured.once('error', reject);
  });
}

/** A connection to host:port through the proxy: HTTP CONNECT, or SOCKS5 (RFC 1928, user/password RFC 1929). */
async function tunnel(proxy: URL, host: string, port: number, timeoutMillis: number): Promise<Duplex> {
  const socks = proxy.protocol.startsWith('socks5');
  const proxyPort = Number(proxy.port || (socks ? 1080 : proxy.protocol === 'https:' ? 443 : 80));
  const socket: net.Socket = await new Promise((resolve, reject) => {
    const connected = proxy.protocol === 'https:'
      ? tls.connect({ host: proxy.hostname, port: proxyPort, servername: net.isIP(proxy.hostname) ? undefined : proxy.hostname },
        () => resolve(connected))
      : net.connect({ host: proxy.hostname, port: proxyPort }, () => resolve(connected));
    connected.setTimeout(timeoutMillis, () => connected.destroy(new Error(`the proxy ${proxy.host} did not answer within ${timeoutMillis / 1000}s`)));
    connected.once('error', (error) => reject(new Error(`cannot reach the proxy ${proxy.host}: ${error.message}`)));
  });
  const reader = new ByteReader(socket);
  try {
    if (socks) await socksConnect(socket, reader, proxy, host, port);
    else await httpConnect(socket, reader, proxy, host, port);
  } catch (error) {
    socket.destroy();
    throw error;
  }
  socket.setTimeout(0);
  reader.release();
  return socket;
}

async function httpConnect(socket: net.Socket, reader: ByteReader, proxy: URL, host: string, port: number): Promise<void> {
  const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  const auth = proxy.username || proxy.password ? `Proxy-Authorization: ${basicAuth(proxy)}\r\n` : '';
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
  const head = await reader.readUntil('\r\n\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (!status || status[1] !== '200') {
    throw new Error(`the proxy ${proxy.host} refused to connect to ${authority}: ${head.split('\r\n')[0] || 'no answer'}`);
  }
}

async function socksConnect(socket: net.Socket, reader: ByteReader, proxy: URL, host: string, port: number): Promise<void> {
  const withPassword = proxy.username !== '';
  socket.write(Buffer.from(withPassword ? [5, 2, 0, 2] : [5, 1, 0]));
  const [version, method] = await reader.read(2);
  if (version !== 5 || (method !== 0 && method !== 2)) throw new Error(`the SOCKS5 proxy ${proxy.host} accepts none of our authentication methods`);
  if (method === 2) {
    const user = Buffer.from(decodeURIComponent(proxy.username));
    const password = Buffer.from(decodeURIComponent(proxy.password));
    socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([password.length]), password]));
    const [, ok] = await reader.read(2);
    if (ok !== 0) throw new Error(`the SOCKS5 proxy ${proxy.host} refused the user '${decodeURIComponent(proxy.username)}'`);
  }
  const address = net.isIPv4(host)
    ? Buffer.from([1, ...host.split('.').map(Number)])
    : Buffer.concat([Buffer.from([3, Buffer.byteLength(host)]), Buffer.from(host)]);
  socket.write(Buffer.concat([Buffer.from([5, 1, 0]), address, Buffer.from([Math.floor(port / 256), port % 256])]));
  const [, reply, , type] = await reader.read(4);
  if (reply !== 0) throw new Error(`the SOCKS5 proxy ${proxy.host} could not connect to ${host}:${port} (reply ${reply})`);
  const length = type === 1 ? 4 : type === 4 ? 16 : (await reader.read(1))[0];
  await reader.read(length + 2);
}

function basicAuth(proxy: URL): string {
  return `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
}

/** Reads exact byte counts from a socket during a proxy handshake, then hands the socket back untouched. */
class ByteReader {
  private buffered = Buffer.alloc(0);
  private waiting?: () => void;
  private failure?: Error;

  constructor(private readonly socket: net.Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onEnd);
  }

  private readonly onData = (chunk: Buffer) => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.waiting?.();
  };
  private readonly onEnd = () => {
    this.failure = new Error('the proxy closed the connection');
    this.waiting?.();
  };

  public async read(count: number): Promise<Buffer> {
    await this.until(() => this.buffered.length >= count);
    const out = this.buffered.subarray(0, count);
    this.buffered = this.buffered.subarray(count);
    return out;
  }

  public async readUntil(marker: string): Promise<string> {
    await this.until(() => this.buffered.includes(marker));
    const end = this.buffered.indexOf(marker) + marker.length;
    const out = this.buffered.subarray(0, end).toString('latin1');
    this.buffered = this.buffered.subarray(end);
    return out;
  }

  public release(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onEnd);
    // Nothing more comes before our own TLS hello; whatever did is handed back.
    if (this.buffered.length > 0) this.socket.unshift(this.buffered);
  }

  private async until(ready: () => boolean): Promise<void> {
    while (!ready()) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => { this.waiting = resolve; });
      this.waiting = undefined;
    }
  }
}
