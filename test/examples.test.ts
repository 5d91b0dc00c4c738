import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const examplesDir = path.resolve(__dirname, '..', 'examples');
// A folder with its own package.json (examples/app) is an app a user copies, tested by scripts/app-e2e.sh.
const examples = fs.readdirSync(examplesDir)
  .filter((name) => fs.existsSync(path.join(examplesDir, name, 'main.ts')) && !fs.existsSync(path.join(examplesDir, name, 'package.json'))).sort();

function synthesize(name: string): { [file: string]: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `example-${name}-`));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.join(examplesDir, name, 'main.ts')).build(outdir).synth();
  const files: { [file: string]: string } = {};
  for (const file of fs.readdirSync(outdir).sort()) {
    files[file] = fs.readFileSync(path.join(outdir, file), 'utf-8');
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  return files;
}

function committed(name: string): { [file: string]: string } {
  const dir = path.join(examplesDir, name, 'manifests');
  const files: { [file: string]: string } = {};
  for (const file of fs.readdirSync(dir).sort()) {
    files[file] = fs.readFileSync(path.join(dir, file), 'utf-8');
  }
  return files;
}

test('there are examples', () => {
  expect(examples).toContain('flagger-traefik');
});

describe.each(examples)('examples/%s', (name) => {
  test('reproduces the committed manifests byte for byte (run `npm run synth` after a deliberate change)', () => {
    const fresh = synthesize(name);
    const stored = committed(name);
    expect(Object.keys(fresh)).toEqual(Object.keys(stored));
    for (const file of Object.keys(stored)) {
      expect({ file, content: fresh[file] }).toEqual({ file, content: stored[file] });
    }
  });

  test('synthesizes the same bytes twice', () => {
    expect(synthesize(name)).toEqual(synthesize(name));
  });
});
