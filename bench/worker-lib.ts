/*
 * One benchmark case with cdk8s-canary, in a process of its own (started by bench/run.ts from the
 * compiled output): `node worker-lib.js '<json WorkerArgs>'`.
 */
import * as fs from 'fs';
import { App } from 'cdk8s';
import { measure } from './measure';
import { TemplateEntry, makeTemplate } from './plain';
import { Combo, Layout, SERVICES_PER_NAMESPACE, buildServices } from './services';
import { FastSynth } from '../src';

interface WorkerArgs {
  /** `services`: N CanaryServices; `template`: write the manifests of one service to `out`. */
  readonly kind: 'services' | 'template';
  readonly combo: Combo;
  readonly layout: Layout;
  readonly n: number;
  readonly synth: 'app' | 'fast';
  readonly out: string;
  /** Leave the output in `out` (to look at it). */
  readonly keep?: boolean;
  /** Digest the parsed objects too (`canonical`). */
  readonly verify?: boolean;
}

const args: WorkerArgs = JSON.parse(process.argv[2]);
if (args.kind === 'template') {
  // One template per namespace size: a namespace of N services holds N services' needs in its add-ons.
  const templates: { [size: number]: TemplateEntry[] } = {};
  for (let size = 1; size <= SERVICES_PER_NAMESPACE; size++) templates[size] = makeTemplate(args.combo, size);
  fs.writeFileSync(args.out, JSON.stringify(templates));
} else {
  let app: App;
  measure(args.out, args, () => {
    app = new App({ outdir: args.out });
    buildServices(app, args.combo, args.layout, args.n);
  }, () => (args.synth === 'fast' ? FastSynth.synth(app) : app.synth()));
}
