import { IConstruct } from 'constructs';

/*
 * Facts about a whole app that many of its objects look up while they are rendered (e.g. the
 * ConfigMaps a pod reads, which may be declared anywhere in the app), computed once per synthesis
 * pass instead of once per lookup: looking them up by walking the app for each of N services costs
 * O(N x app), quadratic.
 *
 * When a pass starts: cdk8s validates the whole app before it renders anything (`App.synth()`,
 * `App.synthYaml()` and every `Chart.toJson()` call `validate(app)` first, and so does
 * FastSynth), in preorder, so the app's own validation, registered here, runs first. Each
 * validation of the app starts a new pass; nothing is built until a lookup needs it.
 *
 * Why a value built in a pass stays true while the pass renders: constructs are added by the app's
 * code, which does not run between cdk8s's validation and the rendering that follows it. It may
 * run after: so each consumer (one object's lookup) may use a pass's value once, and asks again
 * in the same pass (its object rendered a second time without a validation in between, e.g. by
 * hand after a synthesis) get a value built for them alone, as do lookups outside any pass (while
 * the app is being declared). A pass also ends with the synchronous run that started it (a
 * microtask), and FastSynth ends it when it returns. What is left: after an `app.synth()` of
 * several charts, code in the same synchronous run that adds a construct and then renders, by
 * hand, an object of a chart other than the last one, without synthesizing again.
 */

interface PassState {
  /** Incremented by every validation of the app. */
  generation: number;
  /** The pass is over (its synchronous run ended, or FastSynth returned). */
  ended: boolean;
  /** Values built in the current pass, by key. */
  readonly values: Map<string, unknown>;
  /** The pass in which each consumer last used a value of the pass. */
  readonly used: WeakMap<object, number>;
}

const states = new WeakMap<IConstruct, PassState>();

function stateOf(root: IConstruct): PassState {
  let state = states.get(root);
  if (state === undefined) {
    const created: PassState = { generation: 0, ended: true, values: new Map(), used: new WeakMap() };
    states.set(root, created);
    root.node.addValidation({
      validate: () => {
        startPass(created);
        return [];
      },
    });
    state = created;
  }
  return state;
}

function startPass(state: PassState): void {
  state.generation++;
  state.ended = false;
  state.values.clear();
  const generation = state.generation;
  queueMicrotask(() => {
    if (state.generation === generation) endPassOf(state);
  });
}

function endPassOf(state: PassState): void {
  state.ended = true;
  state.values.clear();
}

/**
 * Makes the app of `scope` start a synthesis pass with each of its validations. Call it while the
 * app is declared (before it is synthesized), from every construct that will use `perPass()`.
 */
export function trackSynthesisPasses(scope: IConstruct): void {
  stateOf(scope.node.root);
}

/** Ends the current pass of the app of `scope`, if any (FastSynth, when it returns). */
export function endSynthesisPass(scope: IConstruct): void {
  const state = states.get(scope.node.root);
  if (state !== undefined) endPassOf(state);
}

/**
 * The value of `build()` for the app of `scope`: built once per synthesis pass and shared by the
 * consumers that ask during the pass, each once; otherwise (outside a pass, or a consumer asking
 * twice in one pass) built afresh and not kept.
 *
 * @param scope any construct of the app (its root must have been passed to `trackSynthesisPasses()`)
 * @param consumer who asks (e.g. the lookup of one Deployment)
 * @param key what is built (one value per key and pass)
 * @param build computes the value from the app as it is now
 */
export function perPass<T>(scope: IConstruct, consumer: object, key: string, build: () => T): T {
  const state = states.get(scope.node.root);
  if (state === undefined || state.ended || state.used.get(consumer) === state.generation) {
    return build();
  }
  state.used.set(consumer, state.generation);
  if (!state.values.has(key)) state.values.set(key, build());
  return state.values.get(key) as T;
}
