/**
 * Refreshes crds/, the upstream CustomResourceDefinitions this project targets, from files as upstream
 * publishes them. Each crds/<project>/ holds the CRD files, byte for byte, and a SOURCE.md of ours
 * that names the upstream source, version, commit and license.
 *
 *   npx projen vendor-crds -- <project> <folder> [<file>...]
 *       copy <file>... (default: the files crds/<project>/ holds now) from <folder> into
 *       crds/<project>/, replacing what is there; e.g. after a checkout of gateway-api at a new tag:
 *       npx projen vendor-crds -- gateway-api ~/src/gateway-api/config/crd/standard
 *   npx projen vendor-crds -- --all <folder>
 *       the same for every project, from <folder>/<project>/ (a tree laid out like crds/)
 *   --check   compare only; exit 1 when crds/ differs from the source
 *
 * Files are copied, never re-serialized. crds/SHA256SUMS is rewritten to match (test/crds.test.ts
 * checks it, so an edited CRD fails the tests). SOURCE.md and crds/README.md are this project's own:
 * update them when the version changes. Then run `npx projen import` and the tests.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';

export const CRD_DIR = path.resolve(__dirname, '..', 'crds');
export const CHECKSUMS = 'SHA256SUMS';
/** What every project folder holds besides its CRDs: where they come from, which version, which license. */
export const SOURCE_FILE = 'SOURCE.md';

/** The project folders under `dir`, sorted. */
export function projects(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/** The CRD files of a project folder (every *.yaml / *.yml), sorted. */
export function crdFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name)).map((e) => e.name).sort();
}

/** `sha256sum` lines (`<hex>  <project>/<file>`) for every CRD file under `dir`. */
export function checksums(dir: string): string {
  return projects(dir).flatMap((project) => crdFiles(path.join(dir, project)).map((file) => {
    const hash = createHash('sha256').update(fs.readFileSync(path.join(dir, project, file))).digest('hex');
    return `${hash}  ${project}/${file}\n`;
  })).join('');
}

/** The kinds and served versions of a CRD file, or why it is not one. */
function describe(file: string): { kinds?: string; problem?: string } {
  const docs = yaml.loadAll(fs.readFileSync(file, 'utf-8')).filter((doc) => doc != null) as any[];
  if (docs.length === 0 || docs.some((doc) => doc?.kind !== 'CustomResourceDefinition')) {
    return { problem: `${file} holds something other than CustomResourceDefinitions` };
  }
  return {
    kinds: docs.map((crd) => {
      const served = (crd.spec.versions ?? []).filter((v: any) => v.served !== false).map((v: any) => v.name);
      return `${crd.spec.names.kind} (${crd.spec.group} ${served.join(', ')})`;
    }).join('; '),
  };
}

interface Refresh {
  readonly project: string;
  readonly from: string;
  readonly files: string[];
}

function plan(argv: string[]): Refresh[] {
  const args = argv.filter((arg) => !arg.startsWith('--'));
  if (argv.includes('--all')) {
    if (args.length !== 1) throw new Usage();
    const tree = path.resolve(args[0]);
    return projects(CRD_DIR).map((project) => ({ project, from: path.join(tree, project), files: crdFiles(path.join(CRD_DIR, project)) }));
  }
  const [project, folder, ...files] = args;
  if (!project || !folder) throw new Usage();
  const current = path.join(CRD_DIR, project);
  return [{ project, from: path.resolve(folder), files: files.length > 0 ? files : fs.existsSync(current) ? crdFiles(current) : [] }];
}

class Usage extends Error {
  constructor() {
    super('usage: vendor-crds <project> <folder> [<file>...] | vendor-crds --all <folder>   [--check]');
  }
}

function main(argv: string[]): number {
  let refreshes: Refresh[];
  try {
    refreshes = plan(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const problems: string[] = [];
  for (const { project, from, files } of refreshes) {
    if (!fs.existsSync(path.join(CRD_DIR, project, SOURCE_FILE))) {
      problems.push(`crds/${project}/${SOURCE_FILE} is missing: write it first (upstream source, version, commit, license)`);
    }
    if (files.length === 0) problems.push(`${project}: name the files to take from ${from}`);
    for (const file of files) {
      const source = path.join(from, file);
      if (!fs.existsSync(source)) problems.push(`${source} does not exist`);
      else if (describe(source).problem) problems.push(describe(source).problem!);
    }
  }
  if (problems.length > 0) {
    console.error(`vendor-crds: nothing changed:\n  ${problems.join('\n  ')}`);
    return 1;
  }

  if (argv.includes('--check')) {
    const differ = refreshes.flatMap(({ project, from, files }) => {
      const vendored = crdFiles(path.join(CRD_DIR, project));
      const extra = vendored.filter((file) => !files.includes(file)).map((file) => `crds/${project}/${file} is not in the source`);
      const changed = files.filter((file) => !vendored.includes(file)
        || !fs.readFileSync(path.join(from, file)).equals(fs.readFileSync(path.join(CRD_DIR, project, file))))
        .map((file) => `crds/${project}/${file} differs from ${path.join(from, file)}`);
      return [...extra, ...changed];
    });
    differ.forEach((line) => console.log(line));
    console.log(differ.length === 0 ? 'crds/ holds exactly the source files' : `${differ.length} difference(s)`);
    return differ.length === 0 ? 0 : 1;
  }

  for (const { project, from, files } of refreshes) {
    const target = path.join(CRD_DIR, project);
    crdFiles(target).forEach((file) => fs.rmSync(path.join(target, file)));
    for (const file of files) {
      fs.copyFileSync(path.join(from, file), path.join(target, file));
      console.log(`crds/${project}/${file}: ${describe(path.join(target, file)).kinds}`);
    }
  }
  fs.writeFileSync(path.join(CRD_DIR, CHECKSUMS), checksums(CRD_DIR));
  console.log(`\nnow: update crds/<project>/${SOURCE_FILE} and crds/README.md if the version changed, run 'npx projen import', and the tests`);
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
