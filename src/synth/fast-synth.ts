import { App } from 'cdk8s';
import type * as AppSynth from './app-synth';
import { checkArguments } from '../arguments/check-arguments';

/** Loaded on first use, so that importing cdk8s-canary does not pay for it. */
function impl(): typeof AppSynth {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./app-synth');
}

/**
 * Synthesizes a cdk8s app like `app.synth()`: the same files, written in the same order, with the
 * same bytes, in time linear in the size of the app.
 *
 * `App.synth()` renders each chart with `Chart.toJson()`, which first walks the whole app again
 * (dependency inference and validation of every construct), so the time grows with the number of
 * charts times the size of the app: with one Chart per service, 1000 CanaryServices take 25-45 s
 * instead of 3-6 s on a 2-core machine (docs/performance.md). FastSynth prepares the app once and
 * renders every chart from its own subtree, and writes the YAML itself, byte for byte as cdk8s's
 * `Yaml.stringify()` (6 to 7 times faster; any document it cannot reproduce is left to cdk8s).
 * It does not patch cdk8s.
 *
 * Supported: every `YamlOutputType`, `outputFileExtension`, `outdir`, custom `resolvers`,
 * `recordConstructMetadata`, chart dependencies and nested charts, charts that override `toJson()`.
 * Refused with an error (call `app.synth()` instead): an App subclass that overrides `synth()` or
 * `synthYaml()`, a cdk8s whose synthesis differs from the release FastSynth reproduces
 * (cdk8s 2.70.106), and an app whose charts add constructs or dependencies while they are rendered
 * (a `Lazy` that creates constructs), which `app.synth()` would pick up for later charts.
 *
 * @example
 *
 * const app = new App();
 * // ... one Chart per service ...
 * FastSynth.synth(app); // instead of app.synth()
 */
export class FastSynth {
  /**
   * Writes the app's manifests to `app.outdir`, as `app.synth()` does.
   *
   * @param app the app to synthesize
   */
  public static synth(app: App): void {
    checkArguments('FastSynth.synth', [app]);
    const { checkSupported, synthApp } = impl();
    checkSupported(app, 'synth');
    synthApp(app);
  }

  /**
   * Returns the YAML of every chart of the app, as `app.synthYaml()` does.
   *
   * @param app the app to synthesize
   */
  public static synthYaml(app: App): string {
    checkArguments('FastSynth.synthYaml', [app]);
    const { checkSupported, synthAppYaml } = impl();
    checkSupported(app, 'synthYaml');
    return synthAppYaml(app);
  }

  private constructor() {}
}
