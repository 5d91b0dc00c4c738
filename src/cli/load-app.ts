import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { App } from 'cdk8s';
import type { IConstruct } from 'constructs';

/**
 * Runs a cdk8s app's entry point without writing anything, and returns the Apps it built: the
 * `App.prototype.synth()` and `synthYaml()` of the cdk8s the app uses are replaced, while it runs,
 * by functions that record the App. An entry that exports `build(outdir)` (as the examples here do)
 * is called with a scratch directory. TypeScript entries are run with the app's ts-node.
 */
export function loadApps(entry: string): App[] {
  const file = path.resolve(entry);
  if (!fs.existsSync(file)) {
    throw new Error(`no app entry at '${entry}': give the file that builds the cdk8s App, e.g. 'main.ts'`);
  }
  const paths = [path.dirname(file), process.cwd()];
  if (/\.tsx?$/.test(file)) registerTypeScript(paths);
  // The App class of the cdk8s the app itself resolves: a second copy would not be patched.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cdk8s = require(require.resolve('cdk8s', { paths })) as typeof import('cdk8s');
  const proto = cdk8s.App.prototype as any;
  const original = { synth: proto.synth, synthYaml: proto.synthYaml };
  const apps: App[] = [];
  proto.synth = function synth(this: App) { apps.push(this); };
  proto.synthYaml = function synthYaml(this: App) { apps.push(this); return ''; };
  try {
    // Run the entry anew each time (not its dependencies): a cached module would build nothing.
    delete require.cache[require.resolve(file)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(file);
    if (typeof module?.build === 'function') {
      const app = module.build(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-canary-plan-')));
      if (app && !apps.includes(app)) apps.push(app);
    }
  } finally {
    proto.synth = original.synth;
    proto.synthYaml = original.synthYaml;
  }
  if (apps.length === 0) {
    throw new Error(`'${entry}' built no cdk8s App: it must call app.synth(), or export build(outdir) returning the App`);
  }
  return apps;
}

function registerTypeScript(paths: string[]): void {
  let tsNode: string;
  try {
    tsNode = require.resolve('ts-node', { paths });
  } catch {
    throw new Error('a TypeScript entry needs ts-node: install it in the app (npm install --save-dev ts-node), or give the compiled .js entry');
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(tsNode).register({ transpileOnly: true });
}

/** Every construct of the apps, in tree order. */
export function constructsOf(apps: App[]): IConstruct[] {
  return apps.flatMap((app) => app.node.findAll());
}
