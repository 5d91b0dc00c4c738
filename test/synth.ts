import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import * as yaml from 'js-yaml';
import { CanaryService, CanaryServiceProps } from '../src';

/** Where tests record what they synthesize, so CI can run the conformance checker on it. */
export const SYNTH_RECORD_DIR = path.join(__dirname, '__synth__');
const recorded = new Set<string>();

/**
 * Synthesizes a chart like `Testing.synth()`, followed by the app's shared add-on Charts, and records the manifests under test/__synth__/
 * (one file per call, named after the test) for the conformance checker.
 */
export function synth(chart: Chart): any[] {
  // The add-ons the services of a namespace share are in a Chart of their own; include them.
  const shared = chart.node.root.node.children
    .filter((child): child is Chart => Chart.isChart(child) && child !== chart && child.node.id.startsWith('canary-shared-'));
  const manifests = [chart, ...shared].flatMap((c) => Testing.synth(c));
  const state = expect.getState();
  const testFile = path.basename(state.testPath ?? 'unknown', '.test.ts');
  const testName = (state.currentTestName ?? 'test').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const dir = path.join(SYNTH_RECORD_DIR, testFile);
  fs.mkdirSync(dir, { recursive: true });
  let file = path.join(dir, `${testName}.k8s.yaml`);
  for (let n = 2; fs.existsSync(file) && recorded.has(file); n++) {
    file = path.join(dir, `${testName}-${n}.k8s.yaml`);
  }
  recorded.add(file);
  fs.writeFileSync(file, manifests.map((m) => yaml.dump(m, { noRefs: true, lineWidth: -1 })).join('---\n'));
  return manifests;
}

/** The one object of this kind (and name, if given) in the manifests; fails if there is not exactly one. */
export function only(manifests: any[], kind: string, name?: string): any {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata?.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}: ${manifests.map((m) => `${m.kind}/${m.metadata?.name}`).join(', ')}`);
  }
  return found[0];
}

/** Every object of this kind in the manifests. */
export function all(manifests: any[], kind: string): any[] {
  return manifests.filter((m) => m.kind === kind);
}

/**
 * Runs the validation of the whole app `construct` belongs to, as synthesis does, and returns the
 * construct: a CanaryService reports the mistakes of its declaration there, all together.
 */
export function validated<T extends IConstruct>(construct: T): T {
  Testing.synth(Chart.of(construct));
  return construct;
}

/** `new CanaryService(...)`, validated as synthesis would. */
export function declareService(scope: Construct, id: string, props: CanaryServiceProps): CanaryService {
  return validated(new CanaryService(scope, id, props));
}
