/**
 * Runs the shared conformance checker (../shared/conformance/validate.mjs) on every manifest the
 * examples and the tests synthesized.
 *
 * The checker treats two objects with the same kind, namespace and name as a conflict within one
 * run, which is right for one app but not for independent test cases. So the files are packed into
 * as few runs as possible such that no run holds the same object twice; every file is checked.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';

const root = path.resolve(__dirname, '..');
const validator = path.resolve(root, '..', 'shared', 'conformance', 'validate.mjs');
const dirs = process.argv.slice(2).length ? process.argv.slice(2) : ['examples', 'test/__synth__'];

function manifestsUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : manifestsUnder(full);
    const synthesized = full.includes(`${path.sep}manifests${path.sep}`) || full.includes(`${path.sep}__synth__${path.sep}`);
    return /\.ya?ml$/.test(entry.name) && synthesized ? [full] : [];
  }).sort();
}

function objectKeys(file: string): string[] {
  return yaml.loadAll(fs.readFileSync(file, 'utf-8')).filter(Boolean).map((obj: any) => {
    const group = String(obj.apiVersion ?? '').split('/').slice(0, -1).join('/');
    return `${group}|${obj.kind}|${obj.metadata?.namespace ?? ''}|${obj.metadata?.name}`;
  });
}

const files = dirs.flatMap((dir) => manifestsUnder(path.resolve(root, dir)));
if (files.length === 0) {
  console.error(`no manifests found under ${dirs.join(', ')}`);
  process.exit(1);
}

const batches: { files: string[]; keys: Set<string> }[] = [];
for (const file of files) {
  const keys = objectKeys(file);
  let batch = batches.find((b) => keys.every((key) => !b.keys.has(key)));
  if (!batch) {
    batch = { files: [], keys: new Set() };
    batches.push(batch);
  }
  batch.files.push(file);
  keys.forEach((key) => batch!.keys.add(key));
}

// Runs are independent: two at a time keeps both cores busy.
async function main(): Promise<void> {
  let failed = false;
  const queue = [...batches];
  const worker = async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) {
      const result = await run(batch.files);
      process.stdout.write(result.output);
      failed ||= result.status !== 0;
    }
  };
  await Promise.all([worker(), worker()]);
  console.log(`conformance: ${files.length} files in ${batches.length} runs: ${failed ? 'FAILED' : 'all objects passed'}`);
  process.exit(failed ? 1 : 0);
}

function run(batchFiles: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('node', [validator, '--quiet', ...batchFiles]);
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('close', (status) => resolve({ status, output }));
  });
}

void main();
