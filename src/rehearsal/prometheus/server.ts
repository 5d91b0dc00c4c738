import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { WriteSeries, encodeWriteRequest, snappyBlock } from './remote-write';

/** One sample of an instant query's result. */
export interface QuerySample {
  readonly labels: { readonly [name: string]: string };
  readonly value: number;
}

/** What Prometheus answered to an instant query. */
export interface QueryResult {
  /** `vector`, `scalar`, `matrix` or `string`; undefined when the query failed. */
  readonly resultType?: string;
  /** The samples of a vector (or the one value of a scalar, without labels). */
  readonly samples: QuerySample[];
  /** Prometheus's error message when the query failed (a parse or execution error). */
  readonly error?: string;
}

/** Where the Prometheus server binary is: `PROMETHEUS_BINARY`, else `prometheus` on the PATH. */
export function prometheusBinary(): string {
  return process.env.PROMETHEUS_BINARY ?? 'prometheus';
}

/** The version line of the Prometheus binary, or undefined when it does not run here. */
export function prometheusVersion(): string | undefined {
  const result = spawnSync(prometheusBinary(), ['--version'], { encoding: 'utf-8' });
  if (result.status !== 0) return undefined;
  return `${result.stdout}${result.stderr}`.split('\n')[0].trim();
}

/** Prometheus's number formats: `NaN`, `+Inf`, `-Inf` and decimals. */
export function parseSampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * The real Prometheus server (Debian's `prometheus` package, 2.42 here), on a loopback port with a
 * scratch data directory, taking series through its remote-write receiver
 * (`--web.enable-remote-write-receiver`) and answering instant queries at a given time through the
 * HTTP API the controllers call (`GET /api/v1/query`). Its TSDB accepts samples in time order per
 * series and up to an hour behind the newest sample; the rehearsal writes each run into a time slot
 * of its own, after the previous run's.
 */
export class PrometheusServer {
  /** Starts a server and waits until it is ready. */
  public static async start(): Promise<PrometheusServer> {
    const binary = prometheusBinary();
    if (prometheusVersion() === undefined) {
      throw new Error(`the Prometheus server binary '${binary}' does not run here: install Debian's 'prometheus' package `
        + '(apt-get install prometheus), or set PROMETHEUS_BINARY to a Prometheus 2.x binary');
    }
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearsal-prometheus-'));
      const config = path.join(dir, 'prometheus.yml');
      // An hour of out-of-order tolerance covers scrapes written slightly behind one another.
      fs.writeFileSync(config, 'global: {}\nstorage:\n  tsdb:\n    out_of_order_time_window: 1h\n');
      const log = fs.openSync(path.join(dir, 'prometheus.log'), 'w');
      const child = spawn(binary, [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
        '--storage.tsdb.retention.time=100y',
        '--log.level=warn',
      ], { stdio: ['ignore', log, log] });
      fs.closeSync(log);
      running.add(child);
      installExitHook();
      const server = new PrometheusServer(child, port, dir);
      try {
        await server.waitUntilReady();
        return server;
      } catch (error) {
        lastError = error as Error;
        await server.stop();
      }
    }
    throw lastError ?? new Error('Prometheus did not start');
  }

  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private exited = false;

  private constructor(private readonly child: ChildProcess, public readonly port: number, private readonly dir: string) {
    child.on('exit', () => {
      this.exited = true;
      running.delete(child);
    });
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`Prometheus exited at start: ${this.log()}`);
      try {
        const { status } = await this.request('GET', '/-/ready');
        if (status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`Prometheus was not ready after 60 s: ${this.log()}`);
  }

  private log(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'prometheus.log'), 'utf-8').split('\n').slice(-5).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private request(
    method: string, requestPath: string, body?: Buffer, headers: http.OutgoingHttpHeaders = {},
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ agent: this.agent, host: '127.0.0.1', port: this.port, method, path: requestPath, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf-8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Writes series through the remote-write receiver; throws with Prometheus's answer when it refuses them. */
  public async write(series: ReadonlyArray<WriteSeries>): Promise<void> {
    const nonEmpty = series.filter((s) => s.samples.length > 0);
    if (nonEmpty.length === 0) return;
    const { status, body } = await this.request('POST', '/api/v1/write', snappyBlock(encodeWriteRequest(nonEmpty)), {
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
    });
    if (status >= 300) throw new Error(`Prometheus refused the series (HTTP ${status}): ${body.trim()}`);
  }

  /** An instant query evaluated at `timeSeconds` (Unix time), as the controllers send it. */
  public async query(expr: string, timeSeconds: number): Promise<QueryResult> {
    const { status, body } = await this.request('GET', `/api/v1/query?query=${encodeURIComponent(expr)}&time=${timeSeconds.toFixed(3)}`);
    let parsed: any;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { samples: [], error: `HTTP ${status}: ${body.trim()}` };
    }
    if (parsed.status !== 'success') return { samples: [], error: parsed.error ?? `HTTP ${status}` };
    const data = parsed.data;
    switch (data.resultType) {
      case 'vector':
        return { resultType: 'vector', samples: data.result.map((r: any) => ({ labels: r.metric, value: parseSampleValue(r.value[1]) })) };
      case 'scalar':
        return { resultType: 'scalar', samples: [{ labels: {}, value: parseSampleValue(data.result[1]) }] };
      default:
        return { resultType: data.resultType, samples: [] };
    }
  }

  /** Stops the server and removes its data. */
  public async stop(): Promise<void> {
    this.agent.destroy();
    if (!this.exited) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.child.kill('SIGKILL');
        }, 5000);
        this.child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        this.child.kill('SIGTERM');
      });
    }
    running.delete(this.child);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}
