/*
 * One baseline case, without cdk8s-canary (only FastSynth's module, which loads nothing but cdk8s),
 * in a process of its own: `node worker-plain.js '<json WorkerArgs>'`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Yaml } from 'cdk8s';
import { measure } from './measure';
import { TemplateEntry, buildPlain, plainManifests } from './plain';
import { Layout } from './services';
import { FastSynth } from '../src/synth/fast-synth';
import { saveYaml } from '../src/synth/yaml-writer';

interface WorkerArgs {
  /**
   * `plain`: the manifests as ApiObjects, synthesized; `floor`: the manifests serialized only, with
   * cdk8s's `Yaml.save()` (`synth: 'app'`) or FastSynth's writer (`synth: 'fast'`).
   */
  readonly kind: 'plain' | 'floor';
  readonly template: string;
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
const templates: { [size: number]: TemplateEntry[] } = JSON.parse(fs.readFileSync(args.template, 'utf8'));
// The object literals a team would write are built before the clock starts: the baselines pay for
// nothing but cdk8s (plain) or the serializer (floor).
const charts = plainManifests(templates, args.layout, args.n);

if (args.kind === 'plain') {
  let app: App;
  measure(args.out, args, () => {
    app = new App({ outdir: args.out });
    buildPlain(app, charts);
  }, () => (args.synth === 'fast' ? FastSynth.synth(app) : app.synth()));
} else {
  measure(args.out, args, () => undefined, () => {
    fs.mkdirSync(args.out, { recursive: true });
    for (const { chart, manifests } of charts) {
      const file = path.join(args.out, `${chart}.k8s.yaml`);
      if (args.synth === 'fast') {
        saveYaml(file, manifests);
      } else {
        Yaml.save(file, manifests);
      }
    }
  });
}
