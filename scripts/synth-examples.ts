/**
 * Synthesizes every example (examples/<name>/main.ts exporting `build(outdir)`) into
 * examples/<name>/manifests/, replacing what was there.
 *
 * A folder with its own package.json (examples/app) is a standalone app that installs the packed
 * library and synthesizes with `cdk8s synth`; it is skipped here (see scripts/app-e2e.sh).
 */
import * as fs from 'fs';
import * as path from 'path';

const examplesDir = path.resolve(__dirname, '..', 'examples');

for (const name of fs.readdirSync(examplesDir).sort()) {
  const main = path.join(examplesDir, name, 'main.ts');
  if (!fs.existsSync(main)) continue;
  if (fs.existsSync(path.join(examplesDir, name, 'package.json'))) continue;
  const outdir = path.join(examplesDir, name, 'manifests');
  fs.rmSync(outdir, { recursive: true, force: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const example = require(main);
  example.build(outdir).synth();
  console.log(`${name}: ${fs.readdirSync(outdir).sort().join(', ')}`);
}
