import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'js-yaml';

/**
 * Runs a synthesized `prometheus.yml` in Debian's `prometheus` server (2.42), against pods that are
 * HTTP servers of the test. Debian builds Prometheus without Kubernetes service discovery
 * (`kubernetes_sd_configs` is an unknown field there), so every `kubernetes_sd_configs` block is
 * replaced by `static_configs` whose groups carry the `__meta_kubernetes_*` labels the pod role would
 * produce: Prometheus 2.42 accepts `__meta_*` names in static_configs labels and passes them to
 * relabel_configs like discovered ones (the relabelling drops them afterwards, as for discovered
 * targets). Job names and relabelling are left as synthesized.
 */

/** Throws, saying what to install, when the Prometheus server does not run here: these tests never skip. */
export function requirePrometheusServer(): void {
  if (spawnSync('prometheus', ['--version'], { encoding: 'utf-8' }).status !== 0) {
    throw new Error("the Prometheus server 'prometheus' does not run here, and these tests scrape with it: install Debian's 'prometheus' package (apt-get install prometheus)");
  }
}

/** A container port of a pod; the pod role discovers one target per container port. */
export interface FakeContainerPort {
  readonly container: string;
  readonly name: string;
  readonly port: number;
}

/** A pod as the pod role of Kubernetes discovery sees it; labels and annotations as Kubernetes spells them. */
export interface FakePod {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  readonly labels: { readonly [name: string]: string };
  readonly annotations: { readonly [name: string]: string };
  readonly ports: FakeContainerPort[];
  /** Owner, e.g. ['ReplicaSet', 'podinfo-6d4f8b7c9']. */
  readonly controller: [string, string];
}

/** Prometheus's strutil.SanitizeLabelName, which Kubernetes discovery applies to label and annotation names. */
function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/**
 * The labels of one target of the pod role, as discovery/kubernetes/pod.go of Prometheus 2.42 sets
 * them (the pod-level labels, then the container port's), with the address podIP:containerPort.
 */
export function podTarget(pod: FakePod, port: FakeContainerPort): { targets: string[]; labels: { [name: string]: string } } {
  const labels: { [name: string]: string } = {
    __meta_kubernetes_namespace: pod.namespace,
    __meta_kubernetes_pod_name: pod.name,
    __meta_kubernetes_pod_ip: pod.ip,
    __meta_kubernetes_pod_ready: 'true',
    __meta_kubernetes_pod_phase: 'Running',
    __meta_kubernetes_pod_controller_kind: pod.controller[0],
    __meta_kubernetes_pod_controller_name: pod.controller[1],
    __meta_kubernetes_pod_container_name: port.container,
    __meta_kubernetes_pod_container_init: 'false',
    __meta_kubernetes_pod_container_port_name: port.name,
    __meta_kubernetes_pod_container_port_number: String(port.port),
    __meta_kubernetes_pod_container_port_protocol: 'TCP',
  };
  for (const [name, value] of Object.entries(pod.labels)) {
    labels[`__meta_kubernetes_pod_label_${sanitize(name)}`] = value;
    labels[`__meta_kubernetes_pod_labelpresent_${sanitize(name)}`] = 'true';
  }
  for (const [name, value] of Object.entries(pod.annotations)) {
    labels[`__meta_kubernetes_pod_annotation_${sanitize(name)}`] = value;
    labels[`__meta_kubernetes_pod_annotationpresent_${sanitize(name)}`] = 'true';
  }
  return { targets: [`${pod.ip}:${port.port}`], labels };
}

/**
 * A copy of a parsed `prometheus.yml` where each `kubernetes_sd_configs` block of a scrape config is
 * replaced by the `static_configs` that `discover` returns for it, and (when given) the global scrape
 * interval is overridden. Nothing else changes.
 */
export function replaceDiscovery(config: any, discover: (sd: any) => any[], scrapeInterval?: string): any {
  const copy = JSON.parse(JSON.stringify(config));
  if (scrapeInterval) copy.global = { ...copy.global, scrape_interval: scrapeInterval };
  for (const job of copy.scrape_configs) {
    if (!job.kubernetes_sd_configs) continue;
    job.static_configs = job.kubernetes_sd_configs.flatMap(discover);
    delete job.kubernetes_sd_configs;
  }
  return copy;
}

/** The targets the pod role of one `kubernetes_sd_configs` entry would discover among `pods`. */
export function discoverPods(pods: FakePod[]): (sd: any) => any[] {
  return (sd) => {
    if (sd.role !== 'pod') throw new Error(`only the pod role is emulated, not '${sd.role}'`);
    // Without `namespaces`, the pod role watches every namespace.
    const names: string[] | undefined = sd.namespaces?.names;
    return pods
      .filter((pod) => names === undefined || names.includes(pod.namespace))
      .flatMap((pod) => pod.ports.map((port) => podTarget(pod, port)));
  };
}

/** Writes a YAML file into a new temporary directory; returns its path. */
export function writeTemp(prefix: string, name: string, content: any): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : yaml.dump(content, { lineWidth: -1, noRefs: true }));
  return file;
}

/** `promtool check config <file>`: whether it passed, and promtool's output. */
export function checkConfig(config: any): { ok: boolean; output: string } {
  const file = writeTemp('scrape-check-', 'prometheus.yml', config);
  const result = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf-8' });
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/** An HTTP server (127.0.0.1, ephemeral port, unless told) serving Prometheus text exposition on one path; 404 elsewhere. */
export interface Exporter {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startExporter(metricsPath: string, render: () => string, host = '127.0.0.1', port = 0): Promise<Exporter> {
  const server = http.createServer((request, response) => {
    if (request.url !== metricsPath) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(render());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * An exporter on a fixed port (a router's declared metrics port), at a random loopback address
 * 127.x.y.z so that concurrent runs do not collide.
 */
export async function startExporterAtPort(metricsPath: string, render: () => string, port: number): Promise<Exporter> {
  for (let attempt = 0; ; attempt++) {
    const host = `127.${1 + Math.floor(Math.random() * 254)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;
    try {
      return await startExporter(metricsPath, render, host, port);
    } catch (error) {
      if (attempt >= 20 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}

function getJson(url: string): Promise<any> {
  return new Promise((resolve, reject) => {
    http.get(url, (response) => {
      let body = '';
      response.setEncoding('utf-8');
      response.on('data', (chunk) => body += chunk);
      response.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(new Error(`${url}: HTTP ${response.statusCode}: ${body}`));
        }
      });
    }).on('error', reject);
  });
}

/** One sample of an instant query: its labels (`__name__` included) and value. */
export interface Sample {
  readonly metric: { [name: string]: string };
  readonly value: number;
}

/** A target of `/api/v1/targets`. */
export interface ActiveTarget {
  readonly labels: { [name: string]: string };
  readonly discoveredLabels: { [name: string]: string };
  readonly scrapeUrl: string;
  readonly scrapePool: string;
  readonly health: string;
  readonly lastError: string;
}

/** A running Prometheus server on 127.0.0.1. */
export class RunningPrometheus {
  constructor(private readonly child: ChildProcess, private readonly dir: string, public readonly url: string, private log: string) {
    child.stderr?.on('data', (chunk) => this.log = (this.log + chunk).slice(-20_000));
  }

  /** An instant query through the HTTP API; throws unless Prometheus answers `success`. */
  public async query(expr: string): Promise<Sample[]> {
    const answer = await getJson(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    if (answer.status !== 'success') throw new Error(`${expr}: ${JSON.stringify(answer)}`);
    return answer.data.result.map((r: any) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  public async targets(): Promise<{ activeTargets: ActiveTarget[]; droppedTargets: { discoveredLabels: { [name: string]: string } }[] }> {
    return (await getJson(`${this.url}/api/v1/targets`)).data;
  }

  /** The server's log so far, for failure messages. */
  public get output(): string {
    return this.log;
  }

  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its data. */
  public async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Starts `prometheus` with this configuration, its storage in a temporary directory and its web
 * server on 127.0.0.1 at a port the kernel picks (read back from the log, so there is no race for a
 * free port); resolves once it listens.
 */
export async function startPrometheus(config: any): Promise<RunningPrometheus> {
  const file = writeTemp('scrape-prometheus-', 'prometheus.yml', config);
  const dir = path.dirname(file);
  const child = spawn('prometheus', [
    `--config.file=${file}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    '--web.listen-address=127.0.0.1:0',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  let onData: (chunk: string) => void = () => {};
  let onExit: (code: number | null) => void = () => {};
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`prometheus did not start listening in 15 s:\n${log}`)), 15_000);
    onExit = (code) => {
      clearTimeout(timer);
      reject(new Error(`prometheus exited with ${code}:\n${log}`));
    };
    onData = (chunk) => {
      log += chunk;
      // exporter-toolkit logs the address it actually bound.
      const listening = /msg="Listening on" address=(\S+)/.exec(log);
      if (listening) {
        clearTimeout(timer);
        resolve(listening[1]);
      }
    };
    child.once('exit', onExit);
    child.stderr!.setEncoding('utf-8').on('data', onData);
  }).catch((e) => {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  child.removeListener('exit', onExit);
  child.stderr!.removeListener('data', onData);
  return new RunningPrometheus(child, dir, `http://${address}`, log);
}

/** Polls `condition` every 250 ms until it returns true; throws `describe()` after `timeoutMs`. */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, describe: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Prometheus listens before its storage is open, and answers 503 until then (slow on a busy machine).
  const met = () => condition().catch(() => false);
  while (!(await met())) {
    if (Date.now() > deadline) throw new Error(await describe());
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
