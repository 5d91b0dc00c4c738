import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** The repository root. */
export const REPO = path.resolve(__dirname, '..');

/**
 * Where the benchmark compiles the library and its workers. It is inside node_modules (a cache
 * folder, ignored by git) so that the compiled files resolve cdk8s & co. from the project's
 * node_modules, as the published package would.
 */
export const CACHE_DIR = path.join(REPO, 'node_modules', '.cache', 'cdk8s-canary-bench');
export const OUT_DIR = path.join(CACHE_DIR, 'out');

/**
 * Compiles src/ and bench/ with the library's own tsconfig.json (the options the published lib/
 * is built with, inline source maps included), so workers run plain JavaScript: no ts-node in the
 * measured processes, whose time and memory would otherwise dominate. Incremental: a second run
 * with unchanged sources takes a few seconds.
 */
export function compile(): void {
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const tsconfig = path.join(CACHE_DIR, 'tsconfig.json');
  fs.writeFileSync(tsconfig, JSON.stringify({
    extends: path.join(REPO, 'tsconfig.json'),
    compilerOptions: {
      rootDir: REPO,
      outDir: OUT_DIR,
      declaration: false,
      incremental: true,
      tsBuildInfoFile: path.join(CACHE_DIR, 'tsbuildinfo'),
    },
    include: [path.join(REPO, 'src', '**', '*.ts'), path.join(REPO, 'bench', '**', '*.ts')],
  }, undefined, 2));
  const tsc = require.resolve('typescript/bin/tsc', { paths: [REPO] });
  const result = spawnSync(process.execPath, [tsc, '-p', tsconfig], { stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`tsc -p ${tsconfig} failed (exit ${result.status})`);
  }
}
