/**
 * cdktf and @cdktf/provider-helm are optional peer dependencies: importing the library for cdk8s
 * work must not load them. Each test runs a fresh Node.js process (jest's own module registry
 * would hide what Node loads) on the TypeScript sources.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');

/** Runs `script` in a fresh node with the sources compiled on the fly; returns its last stdout line as JSON. */
function run(script: string, preload: string[] = []): any {
  const result = spawnSync(process.execPath, [...preload.flatMap((p) => ['-r', p]), '-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: root,
    encoding: 'utf-8',
    env: { ...process.env, TS_NODE_PROJECT: path.join(root, 'tsconfig.dev.json') },
  });
  if (result.status !== 0) {
    throw new Error(`node exited with ${result.status}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

const LOADED = `
  const cdktfLoaded = () => Object.keys(require.cache).some((file) => /node_modules[\\\\/](cdktf|@cdktf)[\\\\/]/.test(file));
`;

const CDK8S_WORK = `
  const cdk8s = require('cdk8s');
  const canary = require('./src');
  const chart = new cdk8s.Chart(cdk8s.Testing.app(), 'app', { namespace: 'shop' });
  new canary.CanaryService(chart, 'web', {
    image: 'ghcr.io/acme/web:1.0.0',
    engine: canary.DeliveryEngine.flagger(),
    router: canary.TrafficRouter.traefik({ hosts: ['web.example.com'] }),
    analysis: { webhooks: [canary.CanaryWebhook.loadTest()] },
  });
  const plan = new canary.PlatformPlan({ engines: [canary.PlatformEngine.FLAGGER], routers: [canary.PlatformRouter.TRAEFIK] });
  new canary.FluxPlatform(chart, 'flux', { plan });
  const kinds = cdk8s.Testing.synth(chart).map((o) => o.kind);
  const synthesized = ['Deployment', 'Canary', 'HelmRepository', 'HelmRelease'].every((kind) => kinds.includes(kind));
`;

test("import 'cdk8s-canary', a CanaryService and the Flux renderer load neither cdktf nor the Helm provider", () => {
  const result = run(`${LOADED}
    require('./src');
    const afterImport = cdktfLoaded();
    ${CDK8S_WORK}
    const afterCdk8s = cdktfLoaded();
    const cdktf = require('cdktf');
    new canary.CanaryPlatform(new cdktf.TerraformStack(new cdktf.App({ outdir: require('os').tmpdir() }), 'platform'), 'platform', { plan });
    console.log(JSON.stringify({ afterImport, afterCdk8s, synthesized, afterCdktf: cdktfLoaded() }));
  `);
  expect(result).toEqual({ afterImport: false, afterCdk8s: false, synthesized: true, afterCdktf: true });
}, 60_000);

test('without cdktf installed, the library works for cdk8s and CanaryPlatform says what to install', () => {
  // Makes cdktf and @cdktf/* unresolvable, as when the optional peer dependencies are not installed.
  const hide = `
    const Module = require('module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (/^(cdktf|@cdktf\\/)/.test(request)) {
        const error = new Error("Cannot find module '" + request + "'");
        error.code = 'MODULE_NOT_FOUND';
        throw error;
      }
      return resolve.call(this, request, ...rest);
    };
  `;
  const result = run(`${hide}${LOADED}
    ${CDK8S_WORK}
    let message;
    try {
      new canary.CanaryPlatform(chart, 'platform', { plan });
    } catch (error) {
      message = error.message;
    }
    console.log(JSON.stringify({ synthesized, message }));
  `);
  expect(result).toEqual({
    synthesized: true,
    message: "CanaryPlatform 'app/platform': needs the packages 'cdktf' and '@cdktf/provider-helm', and 'cdktf' is not installed; "
      + "they are optional peer dependencies of cdk8s-canary: run 'npm install cdktf@^0.21.0 @cdktf/provider-helm@^12.1.2'",
  });
}, 60_000);
