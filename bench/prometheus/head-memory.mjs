#!/usr/bin/env node
// Measures what one Prometheus pays per active series, for docs/performance.md ("Prometheus per
// namespace: series and memory"). A tool, not part of CI or of the package.
//
// For each case it starts, on 127.0.0.1 only:
//   - an HTTP exporter that serves the `traefik_service_*` series of S CanaryServices in the shape
//     Traefik v3 exposes them (2 backends per service, 3 status codes, 1 method, 1 protocol,
//     buckets 0.1/0.3/1.2/5/+Inf, 2 `server_up` per backend: 64 series per service), as counters
//     that increase at every scrape;
//   - `prometheus` with a temporary data directory, scraping that exporter every `--interval`
//     seconds with the target labels the embedded Prometheus adds to a Traefik pod; in the
//     `filter` cases with the `metric_relabel_configs` keep rule that src/addons/prometheus-config.ts
//     writes for one namespace of 10 services (its own 640 series kept, the rest dropped);
// waits for `--scrapes` scrapes, then reads Prometheus's own /metrics (head series, RSS, Go heap,
// CPU) and the scrape statistics, stops both and removes the directory. A linear fit over the
// keep-all cases gives the bytes per head series and the fixed baseline.
//
//   node bench/prometheus/head-memory.mjs [--services 0,160,800,1600] [--filter 160,1600]
//        [--interval 1] [--scrapes 20] [--gogc 75] [--prometheus /usr/bin/prometheus] [--json out.json]
//
// About 3 minutes with the defaults on 2 cores.

import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const SERVICES_PER_NAMESPACE = 10; // as bench/services.ts
const BACKENDS = ['canary', 'primary'];
const CODES = ['200', '404', '503'];
const BUCKETS = ['0.1', '0.3', '1.2', '5', '+Inf'];
const BUCKET_SHARE = [0.6, 0.85, 0.97, 0.995, 1];
const PODS_PER_BACKEND = 2;
const SERIES_PER_SERVICE = BACKENDS.length * (CODES.length * (1 + BUCKETS.length + 2 + 2) + PODS_PER_BACKEND);

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const opts = {
    services: [0, 160, 800, 1600],
    filter: [160, 1600],
    interval: 1,
    scrapes: 20,
    gogc: '75',
    prometheus: '/usr/bin/prometheus',
    json: undefined,
  };
  const list = (v) => v.split(',').filter((s) => s !== '').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new Error(`not a count: ${s}`);
    return n;
  });
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--services': opts.services = list(value()); break;
      case '--filter': opts.filter = list(value()); break;
      case '--interval': opts.interval = Number(value()); break;
      case '--scrapes': opts.scrapes = Number(value()); break;
      case '--gogc': opts.gogc = value(); break;
      case '--prometheus': opts.prometheus = value(); break;
      case '--json': opts.json = value(); break;
      case '-h': case '--help':
        console.log('node bench/prometheus/head-memory.mjs [--services 0,160,800,1600] [--filter 160,1600] '
          + '[--interval 1] [--scrapes 20] [--gogc 75|default] [--prometheus /usr/bin/prometheus] [--json out.json]');
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${arg}`);
    }
  }
  if (!Number.isInteger(opts.interval) || opts.interval < 1) throw new Error('--interval: whole seconds, at least 1');
  if (!Number.isInteger(opts.scrapes) || opts.scrapes < 5) throw new Error('--scrapes: at least 5');
  return opts;
}

// ---------------------------------------------------------------------------------------------
// The synthetic Traefik exporter

function namespaceOf(i) {
  return `team-${String(Math.floor(i / SERVICES_PER_NAMESPACE)).padStart(3, '0')}`;
}

function serviceName(i) {
  return `svc-${String(i).padStart(4, '0')}`;
}

/** Traefik's `service` label of a backend: `<namespace>-<name>-<backend>-<port>@kubernetescrd`. */
function backendLabel(i, backend) {
  return `${namespaceOf(i)}-${serviceName(i)}-${backend}-80@kubernetescrd`;
}

/** Serves the `traefik_service_*` series of `services` CanaryServices; counters grow at every request. */
function startExporter(services) {
  const groups = services * BACKENDS.length * CODES.length; // one (service, backend, code) each
  const count = new Float64Array(groups);
  const sum = new Float64Array(groups);
  const reqBytes = new Float64Array(groups);
  const respBytes = new Float64Array(groups);
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const stats = { requests: 0, bytes: 0, times: [] };

  const render = () => {
    const help = [
      ['traefik_service_requests_total', 'counter', 'How many HTTP requests processed on a service, partitioned by status code, protocol, and method.'],
      ['traefik_service_request_duration_seconds', 'histogram', 'How long it took to process the request on a service, partitioned by status code, protocol, and method.'],
      ['traefik_service_requests_bytes_total', 'counter', 'The total size of requests in bytes handled by a service, partitioned by status code, protocol, and method.'],
      ['traefik_service_responses_bytes_total', 'counter', 'The total size of responses in bytes handled by a service, partitioned by status code, protocol, and method.'],
      ['traefik_service_server_up', 'gauge', 'service server is up, described by gauge value of 0 or 1.'],
    ];
    const families = new Map(help.map(([name]) => [name, []]));
    let g = 0;
    for (let i = 0; i < services; i++) {
      for (const backend of BACKENDS) {
        const service = backendLabel(i, backend);
        for (const code of CODES) {
          // 200s most of the time, a few errors; the canary gets less traffic than the primary.
          const rate = (code === '200' ? 20 : 1) * (backend === 'canary' ? 0.2 : 1);
          const dn = Math.floor(random() * rate * 2);
          count[g] += dn;
          sum[g] += dn * (0.02 + random() * 0.1);
          reqBytes[g] += dn * (200 + Math.floor(random() * 100));
          respBytes[g] += dn * (1000 + Math.floor(random() * 4000));
          const labels = `code="${code}",method="GET",protocol="http",service="${service}"`;
          families.get('traefik_service_requests_total').push(`traefik_service_requests_total{${labels}} ${count[g]}`);
          const histogram = families.get('traefik_service_request_duration_seconds');
          BUCKETS.forEach((le, b) => {
            histogram.push(`traefik_service_request_duration_seconds_bucket{${labels},le="${le}"} ${Math.floor(count[g] * BUCKET_SHARE[b])}`);
          });
          histogram.push(`traefik_service_request_duration_seconds_sum{${labels}} ${sum[g]}`);
          histogram.push(`traefik_service_request_duration_seconds_count{${labels}} ${count[g]}`);
          families.get('traefik_service_requests_bytes_total').push(`traefik_service_requests_bytes_total{${labels}} ${reqBytes[g]}`);
          families.get('traefik_service_responses_bytes_total').push(`traefik_service_responses_bytes_total{${labels}} ${respBytes[g]}`);
          g++;
        }
        for (let p = 0; p < PODS_PER_BACKEND; p++) {
          const url = `http://10.42.${(i * 4 + p) % 250}.${(i * 4 + p * 2 + (backend === 'canary' ? 1 : 0)) % 250 + 2}:9898`;
          families.get('traefik_service_server_up').push(`traefik_service_server_up{service="${service}",url="${url}"} 1`);
        }
      }
    }
    const out = [];
    for (const [name, type, text] of help) {
      out.push(`# HELP ${name} ${text}`, `# TYPE ${name} ${type}`, ...families.get(name));
    }
    return out.join('\n') + '\n';
  };

  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const body = render();
    stats.requests++;
    stats.bytes = Buffer.byteLength(body);
    stats.times.push(Date.now());
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, stats }));
  });
}

// ---------------------------------------------------------------------------------------------
// Prometheus

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error(`timeout: ${url}`)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Unlabelled samples of a /metrics page, by name. */
function parseMetrics(text) {
  const values = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)/.exec(line);
    if (m) values[m[1]] = Number(m[2]);
  }
  return values;
}

async function query(port, promql) {
  const { body } = await get(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const parsed = JSON.parse(body);
  const result = parsed.data?.result?.[0];
  return result ? Number(result.value[1]) : NaN;
}

/** The keep rule src/addons/prometheus-config.ts writes for the 10 services of namespace team-000. */
function keepRule() {
  const values = [];
  for (let i = 0; i < SERVICES_PER_NAMESPACE; i++) {
    values.push(`${namespaceOf(i)}-${serviceName(i)}-(canary|primary|stable)-80@kubernetescrd`);
  }
  return { source_labels: ['__name__', 'service'], action: 'keep', regex: `(traefik_service_.+);(${values.sort().join('|')})` };
}

function prometheusConfig(exporterPort, interval, filter) {
  // JSON is YAML. The target labels are those the embedded Prometheus's relabelling gives a
  // Traefik pod installed by its Helm chart (pod labels through labelmap, namespace, pod name).
  const job = {
    job_name: 'router-traefik',
    static_configs: [{
      targets: [`127.0.0.1:${exporterPort}`],
      labels: {
        app_kubernetes_io_instance: 'traefik-traefik',
        app_kubernetes_io_managed_by: 'Helm',
        app_kubernetes_io_name: 'traefik',
        helm_sh_chart: 'traefik-37.1.0',
        pod_template_hash: '6c8f9b7d5d',
        namespace: 'traefik',
        pod: 'traefik-6c8f9b7d5d-x7k2p',
        kubernetes_namespace: 'traefik',
        kubernetes_pod_name: 'traefik-6c8f9b7d5d-x7k2p',
      },
    }],
  };
  if (filter) job.metric_relabel_configs = [keepRule()];
  return JSON.stringify({
    global: { scrape_interval: `${interval}s`, scrape_timeout: `${interval}s` },
    scrape_configs: [job],
  }, null, 2);
}

const children = new Set();

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function runCase(opts, services, filter) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-canary-prom-'));
  const exporter = await startExporter(services);
  let child;
  try {
    const port = await freePort();
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), prometheusConfig(exporter.port, opts.interval, filter));
    const env = { ...process.env };
    if (opts.gogc !== 'default') env.GOGC = opts.gogc;
    delete env.GOMEMLIMIT;
    child = spawn(opts.prometheus, [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--storage.tsdb.retention.time=2h',
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stderr.on('data', (c) => { stderr = (stderr + c).slice(-4000); });
    const exited = new Promise((resolve) => child.once('exit', resolve));

    const deadline = Date.now() + 30000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
      try {
        if ((await get(`http://127.0.0.1:${port}/-/ready`)).status === 200) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`prometheus not ready after 30 s: ${stderr}`);
      await sleep(200);
    }

    const self = async () => parseMetrics((await get(`http://127.0.0.1:${port}/metrics`)).body);
    // CPU is counted from the third scrape on (start-up and the first appends excluded).
    while (exporter.stats.requests < 3) await sleep(100);
    const cpuStart = (await self()).process_cpu_seconds_total;
    const scrapesStart = exporter.stats.requests;
    const timeStart = Date.now();
    const waitUntil = Date.now() + (opts.scrapes + 10) * opts.interval * 1000;
    while (exporter.stats.requests < opts.scrapes) {
      if (Date.now() > waitUntil) throw new Error(`only ${exporter.stats.requests} scrapes: ${stderr}`);
      await sleep(100);
    }
    // Several reads over two scrape intervals: the heap saws between collections.
    const samples = [];
    const sampleEnd = Date.now() + 2 * opts.interval * 1000;
    while (Date.now() < sampleEnd || samples.length < 4) {
      samples.push(await self());
      await sleep(250);
    }
    const last = samples[samples.length - 1];
    const cpu = last.process_cpu_seconds_total - cpuStart;
    const scrapes = exporter.stats.requests - scrapesStart;
    const result = {
      services,
      filter,
      exportedSeries: services * SERIES_PER_SERVICE,
      headSeries: last.prometheus_tsdb_head_series,
      rssMax: Math.max(...samples.map((s) => s.process_resident_memory_bytes)),
      heapInuseMax: Math.max(...samples.map((s) => s.go_memstats_heap_inuse_bytes)),
      // next_gc = live heap after the last collection x (1 + GOGC/100): the live heap without garbage.
      liveHeap: last.go_memstats_next_gc_bytes / (1 + (opts.gogc === 'default' ? 100 : Number(opts.gogc)) / 100),
      cpuCoresWhileScraping: cpu / ((Date.now() - timeStart) / 1000),
      cpuMsPerScrape: scrapes > 0 ? (cpu * 1000) / scrapes : NaN,
      scrapeBytes: exporter.stats.bytes,
      scrapeDurationMs: (await query(port, 'scrape_duration_seconds')) * 1000,
      samplesScraped: await query(port, 'scrape_samples_scraped'),
      samplesKept: await query(port, 'scrape_samples_post_metric_relabeling'),
      scrapes: exporter.stats.requests,
    };
    await stopChild(child);
    await exited;
    return result;
  } finally {
    if (child) {
      await stopChild(child);
      children.delete(child);
    }
    await new Promise((r) => exporter.server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function fit(points) {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

const mib = (b) => (b / 1048576).toFixed(1);
const int = (n) => Math.round(n).toLocaleString('en-US');

function machine(opts) {
  let version = '';
  try {
    version = execFileSync(opts.prometheus, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0];
  } catch (e) {
    version = `unknown (${e.message})`;
  }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memTotalMiB: Math.round(os.totalmem() / 1048576),
    loadavg: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    node: process.version,
    prometheus: version,
    gogc: opts.gogc,
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(opts.prometheus)) throw new Error(`no Prometheus at ${opts.prometheus} (apt-get install prometheus, or --prometheus)`);
  const started = Date.now();
  const before = machine(opts);
  console.log(`machine: ${before.cpus} CPUs (${before.cpuModel}), ${before.memTotalMiB} MiB, load ${before.loadavg}; ${before.prometheus}; GOGC=${opts.gogc}`);
  console.log(`${SERIES_PER_SERVICE} series per service; interval ${opts.interval}s, ${opts.scrapes} scrapes per case\n`);

  const cases = [
    ...opts.services.map((s) => [s, false]),
    ...opts.filter.map((s) => [s, true]),
  ];
  const results = [];
  for (const [services, filter] of cases) {
    const r = await runCase(opts, services, filter);
    results.push(r);
    console.log(`${filter ? 'filter  ' : 'keep-all'} services=${services} exported=${r.exportedSeries} head=${r.headSeries} `
      + `rss=${mib(r.rssMax)}MiB heapInuse=${mib(r.heapInuseMax)}MiB live=${mib(r.liveHeap)}MiB `
      + `scrape=${r.scrapeDurationMs.toFixed(1)}ms ${int(r.scrapeBytes)}B cpu/scrape=${r.cpuMsPerScrape.toFixed(1)}ms`);
  }

  const keepAll = results.filter((r) => !r.filter);
  const fits = {};
  if (keepAll.length >= 2) {
    for (const key of ['rssMax', 'heapInuseMax', 'liveHeap']) fits[key] = fit(keepAll.map((r) => [r.headSeries, r[key]]));
  }

  console.log('\n| case | services | series exported | head series | RSS MiB | heap in use MiB | live heap MiB | scrape ms | scrape body KiB | Prometheus CPU ms/scrape |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.filter ? 'keep filter (10 services)' : 'keep all'} | ${r.services} | ${int(r.exportedSeries)} | ${int(r.headSeries)} | `
      + `${mib(r.rssMax)} | ${mib(r.heapInuseMax)} | ${mib(r.liveHeap)} | ${r.scrapeDurationMs.toFixed(1)} | `
      + `${(r.scrapeBytes / 1024).toFixed(0)} | ${r.cpuMsPerScrape.toFixed(1)} |`);
  }
  if (fits.rssMax) {
    console.log('\nlinear fit over the keep-all cases (bytes = baseline + slope x head series):');
    for (const [key, f] of Object.entries(fits)) {
      console.log(`  ${key}: ${f.slope.toFixed(0)} bytes/series, baseline ${mib(f.intercept)} MiB`);
    }
    for (const r of results.filter((x) => x.filter)) {
      const dropped = r.exportedSeries - (r.samplesKept || 0);
      const extra = (key) => (r[key] - (fits[key].intercept + fits[key].slope * r.headSeries)) / dropped;
      console.log(`  filter, services=${r.services}: ${int(dropped)} dropped series cost ${extra('liveHeap').toFixed(0)} B each in live heap, `
        + `${extra('rssMax').toFixed(0)} B in RSS (above the fit for its ${int(r.headSeries)} head series)`);
    }
  }
  const after = machine(opts);
  console.log(`\nload average at the end: ${after.loadavg}; took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (opts.json) {
    fs.writeFileSync(opts.json, JSON.stringify({ machine: before, loadEnd: after.loadavg, seriesPerService: SERIES_PER_SERVICE, opts, results, fits }, null, 2));
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}

main().catch(async (e) => {
  for (const child of children) child.kill('SIGKILL');
  console.error(e.stack ?? e);
  process.exit(1);
});
