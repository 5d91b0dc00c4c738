import { Engine, ReleaseContext, apiMessage, ref } from './context';

export const CANARY_PATH = (namespace: string, name: string) => `/apis/flagger.app/v1beta1/namespaces/${namespace}/canaries/${name}`;
export const ROLLOUT_PATH = (namespace: string, name: string) => `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/rollouts/${name}`;

const PATHS: { [engine in Engine]: (namespace: string, name: string) => string } = { flagger: CANARY_PATH, argo: ROLLOUT_PATH };
const KINDS: { [engine in Engine]: string } = { flagger: 'Canary', argo: 'Rollout' };

/** The Canary or Rollout of the service, as the API server has it now. */
export async function readObject(ctx: ReleaseContext, engine: Engine): Promise<any> {
  const res = await ctx.api.request('GET', PATHS[engine](ctx.namespace, ctx.name));
  if (res.status === 200) return JSON.parse(res.body);
  if (res.status === 404) throw new Error(`there is no ${KINDS[engine]} ${ref(ctx)} on ${ctx.api.server} (${apiMessage(res)})`);
  throw new Error(`the API server refused to read the ${KINDS[engine]} ${ref(ctx)}: ${apiMessage(res)}`);
}

/**
 * Which controller releases the service, and its object: the given engine's, or the Canary if
 * there is one, else the Rollout. A user allowed to read Rollouts only (an Argo team) gets a 403 for
 * Canaries: that is not an error as long as the Rollout is found.
 */
export async function findRelease(ctx: ReleaseContext, engine: Engine | undefined): Promise<{ engine: Engine; object: any }> {
  if (engine) return { engine, object: await readObject(ctx, engine) };
  const canary = await ctx.api.request('GET', CANARY_PATH(ctx.namespace, ctx.name));
  if (canary.status === 200) return { engine: 'flagger', object: JSON.parse(canary.body) };
  if (canary.status !== 404 && canary.status !== 403) {
    throw new Error(`the API server refused to read the Canary ${ref(ctx)}: ${apiMessage(canary)}`);
  }
  const rollout = await ctx.api.request('GET', ROLLOUT_PATH(ctx.namespace, ctx.name));
  if (rollout.status === 200) return { engine: 'argo', object: JSON.parse(rollout.body) };
  if (rollout.status === 404 && canary.status === 404) {
    throw new Error(`there is no Canary or Rollout ${ref(ctx)} on ${ctx.api.server}`);
  }
  throw new Error(`cannot find ${ref(ctx)}: Canary: ${apiMessage(canary)}; Rollout: ${apiMessage(rollout)} (--engine flagger|argo reads only one)`);
}
