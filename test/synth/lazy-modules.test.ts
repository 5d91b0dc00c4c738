/**
 * Importing the library must stay cheap (docs/performance.md, cold import): the classes generated
 * from the CRDs (src/imports, hundreds of KB to MB each), the engines' planning, the platform's
 * planning and the rehearsal are loaded when first used, and a synthesis loads only the generated modules of the
 * engine and router it uses. A fresh Node.js process per test (jest's module registry would hide
 * what Node loads), on the TypeScript sources.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');

const LAZY = [
  /^imports\//,
  /^engines\/argo-rollouts\/argo-(metrics|notifications|plan|rollout-plan|steps)$/,
  /^engines\/flagger\/flagger-(plan|steps)$/,
  /^platform\/(plan-releases|helm-values)$/,
  /^synth\/app-synth$/,
  // The rehearsal (its models, traffic and Prometheus server): only its public API and the expectations' annotations load with the library.
  /^rehearsal\/(?!rehearsal$|rehearsal-options$|expectation-annotations$|expectation-keys$)/,
];

test('importing the library loads no generated CRD module and none of the planning; a Flagger + Traefik synthesis loads only what it uses', () => {
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', `
    const src = require('path').join(process.cwd(), 'src') + require('path').sep;
    const loaded = () => Object.keys(require.cache).filter((f) => f.startsWith(src)).map((f) => f.slice(src.length).replace(/\\.[jt]s$/, '')).sort();
    const canary = require('./src');
    const afterImport = loaded();
    const cdk8s = require('cdk8s');
    const chart = new cdk8s.Chart(cdk8s.Testing.app(), 'app', { namespace: 'shop' });
    new canary.CanaryService(chart, 'web', {
      image: 'ghcr.io/acme/web:1.0.0',
      engine: canary.DeliveryEngine.flagger(),
      router: canary.TrafficRouter.traefik({ hosts: ['web.example.com'] }),
      analysis: { webhooks: [canary.CanaryWebhook.loadTest()] },
    });
    canary.FastSynth.synthYaml(chart.node.root);
    console.log(JSON.stringify({ afterImport, afterSynth: loaded() }));
  `], { cwd: root, encoding: 'utf-8', env: { ...process.env, TS_NODE_PROJECT: path.join(root, 'tsconfig.dev.json') } });
  if (result.status !== 0) throw new Error(`node exited with ${result.status}: ${result.stderr}`);
  const { afterImport, afterSynth } = JSON.parse(result.stdout.trim().split('\n').pop()!) as { afterImport: string[]; afterSynth: string[] };

  expect(afterImport).toContain('canary-service');
  expect(afterImport.filter((module) => LAZY.some((lazy) => lazy.test(module)))).toEqual([]);

  expect(afterSynth.filter((module) => module.startsWith('imports/'))).toEqual(['imports/flagger.app', 'imports/traefik.io']);
  expect(afterSynth).toEqual(expect.arrayContaining(['engines/flagger/flagger-plan', 'engines/flagger/flagger-steps', 'synth/app-synth']));
  expect(afterSynth.filter((module) => /argo-(metrics|notifications|plan|rollout-plan|steps)$/.test(module))).toEqual([]);
}, 60_000);
