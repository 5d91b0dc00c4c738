/**
 * Checks synthesized manifests against the vendored upstream CRDs and the Kubernetes schemas (see
 * checker.ts for what is checked).
 *
 *   npx projen conformance                        what CI checks (below)
 *   npx projen conformance -- [--each-file] [--quiet] PATH...
 *       every PATH (a file or a folder of *.yaml, *.yml, *.json) is one app, i.e. files applied together,
 *       among which no two objects may share group, kind, namespace and name; --each-file: every file is
 *
 * Without a PATH: every examples/<name>/manifests folder, one app each (examples/platform holds one
 * cluster per file), and every file under test/__synth__ (one test's synthesis each; run the tests
 * first). Prints `ok`/`FAIL` per object and closes with `N passed, M failed`; exits 1 when an object
 * fails or there is none.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConformanceChecker, ManifestObject, ObjectResult } from './checker';
import { manifestFiles, readManifests } from './manifests';

const root = path.resolve(__dirname, '..', '..');
/** Examples whose manifests are one file per cluster, not one app. */
const PER_CLUSTER_EXAMPLES = ['platform'];

/** One app: the files applied together. */
type App = string[];

function defaultApps(): App[] {
  const yamlUnder = (dir: string) => fs.existsSync(dir) ? manifestFiles(dir).filter((file) => /\.ya?ml$/.test(file)) : [];
  const examples = fs.readdirSync(path.join(root, 'examples')).sort().flatMap((name): App[] => {
    const files = yamlUnder(path.join(root, 'examples', name, 'manifests'));
    if (files.length === 0) return [];
    return PER_CLUSTER_EXAMPLES.includes(name) ? files.map((file) => [file]) : [files];
  });
  const tests = yamlUnder(path.join(root, 'test', '__synth__')).map((file) => [file]);
  return [...examples, ...tests];
}

function objectsOf(app: App): { objects: ManifestObject[]; unreadable: string[] } {
  const objects: ManifestObject[] = [];
  const unreadable: string[] = [];
  for (const file of app) {
    try {
      readManifests(file).forEach((object, index) => objects.push({ file, index, object }));
    } catch (e) {
      unreadable.push(`FAIL ${path.relative(process.cwd(), file)}: ${(e as Error).message}`);
    }
  }
  return { objects, unreadable };
}

function report(result: ObjectResult, quiet: boolean): void {
  const where = `${path.relative(process.cwd(), result.file)}#${result.index} ${result.id}`;
  if (result.problems.length === 0) {
    if (!quiet) console.log(`ok   ${where}`);
    return;
  }
  console.log(`FAIL ${where}`);
  result.problems.slice(0, 12).forEach((problem) => console.log(`     ${problem}`));
  if (result.problems.length > 12) console.log(`     ... ${result.problems.length - 12} more`);
}

export function main(args: string[]): number {
  // `npx projen conformance -- ...` passes the '--' on.
  const argv = args.filter((arg) => arg !== '--');
  const quiet = argv.includes('--quiet');
  const eachFile = argv.includes('--each-file');
  const unknownFlags = argv.filter((arg) => arg.startsWith('--') && !['--quiet', '--each-file'].includes(arg));
  const paths = argv.filter((arg) => !arg.startsWith('--'));
  if (unknownFlags.length > 0) {
    console.error(`unknown option ${unknownFlags.join(', ')}; usage: conformance [--each-file] [--quiet] [PATH...]`);
    return 2;
  }
  const missing = paths.filter((p) => !fs.existsSync(p));
  if (missing.length > 0) {
    console.error(`no such file or folder: ${missing.join(', ')}`);
    return 2;
  }
  const apps = paths.length === 0 ? defaultApps() : paths.flatMap((p) => eachFile ? manifestFiles(p).map((file) => [file]) : [manifestFiles(p)]);
  const checker = new ConformanceChecker();
  let passed = 0;
  let failed = 0;
  for (const app of apps) {
    const { objects, unreadable } = objectsOf(app);
    unreadable.forEach((line) => console.log(line));
    failed += unreadable.length;
    for (const result of checker.checkApp(objects)) {
      report(result, quiet);
      if (result.problems.length === 0) passed++;
      else failed++;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
