import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

/*
 * Every TypeScript block of the README is type-checked against the library, and run:
 * - a complete program (it makes its own `new App(`) runs as it is, in a temporary folder;
 * - a block of props (it starts with `name: value`) is type-checked as Partial<CanaryServiceProps>;
 * - any other block runs after a prelude that declares what the README's text says it refers to
 *   (`app`, `chart`, `podinfo` as in the first example, `plan`), and the app is synthesized, so a
 *   block that declares something wrong fails here with the message a reader would get;
 * - a block that is a jest test of a user's app (`test(...)`) runs the same way, and then its test.
 */

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..');
const DIR = path.join(__dirname, '__readme__');
const SRC = path.join(ROOT, 'src');

interface Block {
  readonly line: number;
  readonly code: string;
}

function readmeBlocks(): Block[] {
  const lines = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf-8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (lines[end].trim() !== '```') end++;
    blocks.push({ line: start, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

type Kind = 'complete' | 'props' | 'statements' | 'jest test';

function kindOf(code: string): Kind {
  if (/new App\(/.test(code)) return 'complete';
  if (/^test\(/m.test(code)) return 'jest test';
  const first = code.split('\n').find((line) => line.trim() !== '' && !line.trim().startsWith('//')) ?? '';
  return /^\s*[A-Za-z]+:\s/.test(first) ? 'props' : 'statements';
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const LIBRARY_NAMES = [...Object.keys(require('../src')), 'CanaryServiceProps', 'ITrafficRouter', 'SafetyNetOptions'];

/** What the README's text refers to without declaring it in the block. */
const CONTEXT: { [name: string]: string } = {
  app: "const app = Testing.app({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'readme-')) });",
  chart: "const chart = new Chart(app, 'readme', { namespace: 'test' });",
  podinfo: `const podinfo = new CanaryService(chart, 'podinfo', {
  image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
  containerPort: 9898,
  engine: DeliveryEngine.flagger(),
  router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
  analysis: { webhooks: [CanaryWebhook.loadTest()] },
});`,
  plan: 'const plan = new PlatformPlan({ engines: [PlatformEngine.FLAGGER], routers: [PlatformRouter.TRAEFIK] });',
};
const CONTEXT_NEEDS: { [name: string]: string[] } = { chart: ['app'], podinfo: ['chart'], app: [] };

const uses = (code: string, name: string) => new RegExp(`(^|[^.\\w'])${name}\\b`).test(code);
const declares = (code: string, name: string) => new RegExp(`\\b(const|let|class|function|import)\\s[^=;\\n]*\\b${name}\\b`).test(code);

/** The program to type-check and run for a block. */
function program(block: Block): string {
  const kind = kindOf(block.code);
  const code = block.code.replace(/from 'cdk8s-canary'/g, `from '${path.relative(DIR, SRC)}'`);
  if (kind === 'complete') return code;
  const own = code.split('\n').filter((line) => line.startsWith('import '));
  const body = code.split('\n').filter((line) => !line.startsWith('import ')).join('\n');
  const context: string[] = [];
  const need = (name: string) => {
    if (context.some((c) => c.startsWith(`const ${name} `)) || declares(body, name)) return;
    (CONTEXT_NEEDS[name] ?? ['chart']).forEach(need);
    context.push(CONTEXT[name]);
  };
  if (kind === 'statements' || kind === 'jest test') Object.keys(CONTEXT).filter((name) => uses(body, name)).forEach(need);
  const text = [...context, body].join('\n');
  const imported = (name: string) => own.some((line) => new RegExp(`\\b${name}\\b`).test(line));
  const wanted = (names: string[]) => names.filter((name) => uses(text, name) && !imported(name));
  const library = [...new Set([...wanted(LIBRARY_NAMES), ...(kind === 'props' ? ['CanaryServiceProps'] : [])])];
  const cdk8s = wanted(['App', 'Chart', 'Duration', 'Testing', 'ApiObject', 'JsonPatch']);
  const header = [
    ...(kind !== 'props' && context.length > 0 ? ["import * as fs from 'fs';", "import * as os from 'os';", "import * as path from 'path';"] : []),
    ...(cdk8s.length ? [`import { ${cdk8s.join(', ')} } from 'cdk8s';`] : []),
    ...(uses(text, 'kplus') && !imported('kplus') ? ["import * as kplus from 'cdk8s-plus-28';"] : []),
    ...(uses(text, 'Construct') && !imported('Construct') ? ["import { Construct } from 'constructs';"] : []),
    ...(library.length ? [`import { ${library.join(', ')} } from '${path.relative(DIR, SRC)}';`] : []),
    ...own,
  ];
  if (kind === 'props') {
    return [...header, 'export const props: Partial<CanaryServiceProps> = {', body, '};'].join('\n');
  }
  // A block that uses the prelude's app is synthesized at the end, as a user's app would be.
  const synth = context.some((c) => c.startsWith('const app ')) && !/app\.synth\(\)|FastSynth\.synth\(app\)/.test(body) ? ['app.synth();'] : [];
  return [...header, ...context, body, ...synth, 'export {};'].join('\n');
}

const blocks = readmeBlocks();
const files = blocks.map((block) => path.join(DIR, `line-${block.line}.ts`));

beforeAll(() => {
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(DIR, { recursive: true });
  blocks.forEach((block, i) => fs.writeFileSync(files[i], program(block)));
});

test('the README has TypeScript blocks of every kind', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(9);
  expect(new Set(blocks.map((block) => kindOf(block.code)))).toEqual(new Set(['complete', 'props', 'statements', 'jest test']));
});

test('every TypeScript block of the README type-checks against the library', () => {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    noEmit: true,
    esModuleInterop: false,
    skipLibCheck: true,
    types: ['node', 'jest'],
  };
  const diagnostics = ts.getPreEmitDiagnostics(ts.createProgram(files, options))
    .filter((d) => d.file && files.includes(path.resolve(d.file.fileName)));
  const messages = diagnostics.map((d) => {
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
    return `${path.basename(d.file!.fileName)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  expect(messages).toEqual([]);
});

describe.each(blocks.map((block, i) => [block.line, kindOf(block.code), i] as const))('README block at line %i (%s)', (_line, kind, i) => {
  test(kind === 'props' ? 'its props are accepted' : kind === 'jest test' ? 'runs, and its test passes' : 'runs, and its app synthesizes', async () => {
    const js = ts.transpileModule(fs.readFileSync(files[i], 'utf-8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const file = files[i].replace(/\.ts$/, '.js');
    fs.writeFileSync(file, js);
    const cwd = process.cwd();
    // A complete program writes where it runs (dist/, cdktf.out/): a temporary folder.
    process.chdir(fs.mkdtempSync(path.join(os.tmpdir(), 'readme-run-')));
    // A jest test of the block is collected, then run here.
    const collected: (() => unknown)[] = [];
    const jestTest = (global as any).test;
    (global as any).test = (_name: string, fn: () => unknown) => collected.push(fn);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = require(file);
      if (kind === 'props') expect(Object.keys(exported.props).length).toBeGreaterThan(0);
    } finally {
      (global as any).test = jestTest;
      process.chdir(cwd);
    }
    expect(collected.length).toBe(kind === 'jest test' ? 1 : 0);
    for (const fn of collected) await fn();
  }, 300_000);
});
