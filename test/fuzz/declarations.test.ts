import { Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { build, declaration, Declaration } from './declaration-arbitrary';
import { CanaryService } from '../../src';
import { CALLABLES, STRUCTS } from '../../src/arguments/api-types';
import { manifestViolations } from '../../src/synth/object-validity';
import { DeclarationError } from '../../src/validation';

/**
 * A seeded random run of valid and plausibly wrong declarations over every engine x router x
 * strategy (test/fuzz/declaration-arbitrary.ts): every run ends in output the API server accepts
 * (the metadata rules of every object, and the app's own validation), or in errors each of whose
 * messages names a property. Never a TypeError, never a message of cdk8s's own, never a hang.
 *
 * `FUZZ_RUNS` and `FUZZ_SEED` widen the sweep by hand, e.g. `FUZZ_RUNS=5000 FUZZ_SEED=7 npx jest test/fuzz`.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 16);
/** A run that takes longer is a hang in the making (a loop over a duration, say). */
const RUN_LIMIT_MS = 5000;

/**
 * Every name of a property or argument of the public API (the jsii assembly's, in
 * src/arguments/api-types.ts), and of cdk8s-plus's ContainerResources, which `resources` takes.
 */
const PROPERTY_NAMES = new Set([
  'cpu', 'memory', 'ephemeralStorage', 'request', 'limit',
  ...Object.values(STRUCTS).flatMap((struct) => Object.keys(struct)),
  ...Object.values(CALLABLES).flatMap((parameters) => parameters.map(([name]) => name)),
]);

/**
 * Whether a message names a property: a quoted path of property names with indices or keys
 * (`'analysis.metrics[0].min'`), after the owner (`CanaryService 'cart': `), which does not count.
 */
function namesAProperty(message: string): boolean {
  const body = message.replace(/^[^:]*?: /, '');
  return [...body.matchAll(/'([^'\s]+)'/g)].some(([, path]) => {
    const names = path.split(/\.|\[[^\]]*\]/).filter((part) => part !== '');
    return names.length > 0 && names.every((name) => PROPERTY_NAMES.has(name));
  });
}
/** What a message of this library never says: a crash, or cdk8s's words for a value it cannot render. */
const NOT_OURS = /TypeError|Cannot read propert|is not a function|is not iterable|undefined is not|cannot be converted into a whole number|Unable to resolve|Maximum call stack/;

export type Outcome = { kind: 'valid'; objects: number } | { kind: 'rejected'; messages: string[] };

/** Declares and synthesizes; the outcome, or an exception this test does not accept. */
export function outcome(d: Declaration): Outcome {
  const app = Testing.app();
  const chart = new Chart(app, 'shop', { namespace: 'shop' });
  let messages: string[];
  try {
    const name: unknown = d.name;
    new CanaryService(chart, typeof name === 'string' && name !== '' ? name : 'svc', build(d));
    const manifests = app.charts.flatMap((c) => Testing.synth(c));
    const violations = manifests.flatMap((m) => manifestViolations(m).map((v) => `${m.kind}/${m.metadata?.name}: ${v.field} ${v.value}: ${v.rule}`));
    if (violations.length > 0) throw new Error(`valid output expected, but the API server would reject:\n${violations.join('\n')}`);
    return { kind: 'valid', objects: manifests.length };
  } catch (error) {
    if (error instanceof DeclarationError) {
      messages = error.messages;
    } else if ((error as Error).message?.startsWith('Validation failed with the following errors:')) {
      messages = (error as Error).message.split('\n').slice(1).map((line) => line.replace(/^\s*\[[^\]]*\] /, ''));
    } else {
      throw error;
    }
  }
  return { kind: 'rejected', messages };
}

/** The messages that do not meet the bar (empty when all do). */
export function badMessages(messages: string[]): string[] {
  return messages.filter((m) => !namesAProperty(m) || NOT_OURS.test(m));
}

test(`${RUNS} random declarations (seed ${SEED}) end in valid output or in messages that name a property`, () => {
  const seen = { valid: 0, rejected: 0 };
  fc.assert(fc.property(declaration, (d) => {
    const started = Date.now();
    const result = outcome(d);
    const elapsed = Date.now() - started;
    if (elapsed > RUN_LIMIT_MS) throw new Error(`the run took ${elapsed} ms`);
    seen[result.kind]++;
    if (result.kind === 'rejected') {
      expect(result.messages.length).toBeGreaterThan(0);
      expect(badMessages(result.messages)).toEqual([]);
    }
  }), { numRuns: RUNS, seed: SEED, endOnFailure: true });
  // Both kinds of outcome are exercised (about 8 % of the declarations are valid).
  expect(seen.valid).toBeGreaterThan(RUNS / 50);
  expect(seen.rejected).toBeGreaterThan(RUNS / 2);
}, 600_000);
