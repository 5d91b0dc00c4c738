import { createHash } from 'crypto';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';

/** What a worker reports for one case (one fresh process). */
export interface CaseResult {
  /** Declaring the objects: `new App()`, the Charts and the constructs. */
  readonly constructMs: number;
  /** `app.synth()` / `FastSynth.synth()` / the YAML serialization, including writing the files. */
  readonly synthMs: number;
  readonly totalMs: number;
  /** CPU time (user + system, all threads) over construct + synth: less sensitive than wall time to other processes. */
  readonly cpuMs: number;
  /** Peak resident set size of the whole process, in MiB (`process.resourceUsage().maxRSS`). */
  readonly peakRssMiB: number;
  readonly files: number;
  readonly bytes: number;
  /** sha256 over the names and contents of the files written, to compare outputs between cases. */
  readonly digest: string;
  /**
   * With `verify`: sha256 over the documents parsed back, with sorted keys, sorted: equal when two
   * outputs hold the same objects, whatever their key order and file layout.
   */
  readonly canonical?: string;
}

function canonicalJson(value: any): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function canonicalDigest(texts: string[]): string {
  // The YAML parser cdk8s itself bundles (not a dependency of this project).
  const yaml = createRequire(require.resolve('cdk8s'))('yaml');
  const docs: string[] = [];
  for (const text of texts) {
    for (const doc of yaml.parseAllDocuments(text, { version: '1.1' })) {
      docs.push(canonicalJson(doc.toJSON()));
    }
  }
  return createHash('sha256').update(docs.sort().join('\n')).digest('hex').slice(0, 16);
}

/** Marks the result line on a worker's stdout. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function listFiles(dir: string, prefix = ''): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) {
      files.push(...listFiles(path.join(dir, entry.name), rel));
    } else {
      files.push(rel);
    }
  }
  return files;
}

/** How a worker measures. */
export interface MeasureOptions {
  /** Leave the output in place (to look at it). */
  readonly keep?: boolean;
  /** Also compute `canonical`. */
  readonly verify?: boolean;
}

/**
 * Measures `construct` then `synth`, digests what they wrote to `outdir`, prints the result, and
 * removes `outdir` unless `keep`.
 */
export function measure(outdir: string, options: MeasureOptions, construct: () => void, synth: () => void): void {
  fs.rmSync(outdir, { recursive: true, force: true });
  const cpu0 = process.cpuUsage();
  const t0 = now();
  construct();
  const t1 = now();
  synth();
  const t2 = now();
  const cpu = process.cpuUsage(cpu0);
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;

  const hash = createHash('sha256');
  let bytes = 0;
  const files = listFiles(outdir);
  const texts: string[] = [];
  for (const file of files) {
    const data = fs.readFileSync(path.join(outdir, file));
    bytes += data.length;
    hash.update(file).update('\0').update(data).update('\0');
    if (options.verify) texts.push(data.toString('utf8'));
  }
  if (!options.keep) {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  const result: CaseResult = {
    constructMs: t1 - t0,
    synthMs: t2 - t1,
    totalMs: t2 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMiB,
    files: files.length,
    bytes,
    digest: hash.digest('hex').slice(0, 16),
    canonical: options.verify ? canonicalDigest(texts) : undefined,
  };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
