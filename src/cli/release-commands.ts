import { IKubeApi } from './kube-client';
import { LOAD_TESTER_CONTAINER_PORT, LOAD_TESTER_NAME, LOAD_TESTER_SERVICE_PORT } from '../platform/conventions';

/** Runs kubectl with arguments; returns its exit status and output. */
export type KubectlRunner = (args: string[]) => { status: number; stdout: string; stderr: string };

/** What a release command acts on, and how. */
export interface ReleaseTarget {
  /** Name of the CanaryService (the Canary's or the Rollout's). */
  readonly name: string;
  readonly namespace: string;
  /** Print the commands that would do it (kubectl), and do nothing. */
  readonly dryRun: boolean;
  /**
   * How the loadtester's gate API is reached: `exec` (kubectl exec into the loadtester and curl
   * localhost, which its NetworkPolicy cannot block) or `proxy` (the API server's Service proxy,
   * which needs the NetworkPolicy to admit the API server).
   */
  readonly via: 'exec' | 'proxy';
  /** kubectl, for `exec`. */
  readonly kubectl: KubectlRunner;
  /** Arguments that choose the cluster for kubectl (`--kubeconfig`, `--context`). */
  readonly kubectlFlags: string[];
}

/** Options of `gate open --once`: how often the Canary is looked at, and for how long. */
export interface WaitOptions {
  readonly pollMillis: number;
  readonly timeoutMillis: number;
  readonly sleep: (millis: number) => Promise<void>;
}

type Out = (text: string) => void;

const CANARIES = (ns: string, name: string) => `/apis/flagger.app/v1beta1/namespaces/${ns}/canaries/${name}`;
const ROLLOUTS = (ns: string, name: string) => `/apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts/${name}`;
const MERGE_PATCH = 'application/merge-patch+json';

/** The Canary or Rollout named `name`, whichever exists. */
async function find(api: IKubeApi, target: ReleaseTarget): Promise<{ engine: 'flagger' | 'argo-rollouts'; object: any }> {
  for (const [engine, apiPath] of [['flagger', CANARIES], ['argo-rollouts', ROLLOUTS]] as const) {
    const res = await api.request('GET', apiPath(target.namespace, target.name));
    if (res.status === 200) return { engine, object: JSON.parse(res.body) };
    if (res.status !== 404) throw new Error(`GET ${apiPath(target.namespace, target.name)}: ${res.status} ${message(res.body)}`);
  }
  throw new Error(`there is no Canary or Rollout '${target.name}' in namespace '${target.namespace}' on ${api.server}`);
}

function message(body: string): string {
  try {
    return JSON.parse(body).message ?? body;
  } catch {
    return body;
  }
}

/**
 * The loadtester a Canary's gates call: from the URL of its confirm or rollback webhooks
 * (`http://<service>.<namespace>[:port]/gate/check`), or the library's convention.
 */
function loadTesterOf(canary: any, target: ReleaseTarget): { service: string; namespace: string; port: number } {
  const url = (canary.spec?.analysis?.webhooks ?? []).map((w: any) => w.url as string).find((u: string) => /\/(gate|rollback)\/check$/.test(u));
  const match = url ? /^https?:\/\/([a-z0-9-]+)(?:\.([a-z0-9-]+))?[^/:]*(?::(\d+))?\//.exec(url) : null;
  return match
    ? { service: match[1], namespace: match[2] ?? target.namespace, port: Number(match[3] ?? 80) }
    : { service: LOAD_TESTER_NAME, namespace: target.namespace, port: LOAD_TESTER_SERVICE_PORT };
}

/**
 * Calls the loadtester's gate API (flagger pkg/loadtester/server.go: POST `/gate/open`,
 * `/gate/close`, `/gate/check`, `/rollback/open`, with the Canary's name and namespace as JSON;
 * 200 = open, 403 = closed for the checks) with the user's credentials: by default `kubectl exec`
 * into the loadtester and `curl` on localhost (the loadtester's NetworkPolicy admits only Flagger's
 * namespace, which the API server's Service proxy is not in); or, with `--via proxy`, through the
 * API server's Service proxy.
 */
async function callLoadTester(api: IKubeApi, canary: any, target: ReleaseTarget, route: string, out: Out): Promise<number> {
  const tester = loadTesterOf(canary, target);
  const payload = JSON.stringify({ name: target.name, namespace: target.namespace });
  if (target.via === 'exec') {
    const args = [...target.kubectlFlags, '-n', tester.namespace, 'exec', `deploy/${tester.service}`, '--',
      'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-d', payload, `http://localhost:${LOAD_TESTER_CONTAINER_PORT}${route}`];
    if (target.dryRun) {
      out(`kubectl ${args.map((a) => (/^[\w./:%{}@=-]+$/.test(a) ? a : `'${a}'`)).join(' ')}\n`);
      return 200;
    }
    const result = target.kubectl(args);
    const status = Number(result.stdout.trim());
    if (result.status !== 0 || !Number.isInteger(status) || status === 0) {
      throw new Error(`kubectl ${args.slice(0, 5).join(' ')} ... failed (${result.status}): ${result.stderr.trim() || result.stdout.trim()}`);
    }
    if (status >= 500 || status === 404) throw new Error(`the loadtester answered ${status} to ${route}`);
    return status;
  }
  const proxy = `/api/v1/namespaces/${tester.namespace}/services/http:${tester.service}:${tester.port}/proxy${route}`;
  if (target.dryRun) {
    out(`kubectl ${[...target.kubectlFlags, 'create', '--raw', proxy, '-f', '-'].join(' ')} <<< '${payload}'\n`);
    return 200;
  }
  const res = await api.request('POST', proxy, payload);
  if (res.status >= 500 || res.status === 404) throw new Error(`POST ${proxy}: ${res.status} ${message(res.body)}`);
  return res.status;
}

function canaryStatus(canary: any): string {
  const status = canary.status ?? {};
  const parts = [`phase ${status.phase ?? 'unknown'}`, `canary weight ${status.canaryWeight ?? 0}%`, `failed checks ${status.failedChecks ?? 0}`];
  if (status.iterations !== undefined) parts.push(`iterations ${status.iterations}`);
  const condition = (status.conditions ?? []).find((c: any) => c.type === 'Promoted');
  return `${parts.join(', ')}${condition?.message ? `: ${condition.message}` : ''}`;
}

function rolloutStatus(rollout: any): string {
  const status = rollout.status ?? {};
  const steps = rollout.spec?.strategy?.canary?.steps;
  const parts = [`phase ${status.phase ?? 'unknown'}`];
  if (steps) parts.push(`step ${status.currentStepIndex ?? 0} of ${steps.length}`);
  if (status.pauseConditions?.length) parts.push(`paused (${status.pauseConditions.map((c: any) => c.reason).join(', ')})`);
  if (status.abort) parts.push('aborted');
  return `${parts.join(', ')}${status.message ? `: ${status.message}` : ''}`;
}

/** `status`: where the release stands, and for Flagger whether the gate is open. */
export async function statusCommand(api: IKubeApi, target: ReleaseTarget, out: Out): Promise<number> {
  const { engine, object } = await find(api, { ...target, dryRun: false });
  if (engine === 'flagger') {
    const gate = await callLoadTester(api, object, { ...target, dryRun: false }, '/gate/check', () => undefined);
    out(`Canary ${target.namespace}/${target.name}: ${canaryStatus(object)}; gate ${gate === 200 ? 'open' : 'closed'}\n`);
  } else {
    out(`Rollout ${target.namespace}/${target.name}: ${rolloutStatus(object)}\n`);
  }
  return 0;
}

/**
 * `gate open|close|status` (Flagger). The loadtester keys a gate by the Canary's name and namespace
 * only, so one gate holds every stage (each traffic increase and the promotion): `open --once`
 * closes it again as soon as the Canary's weight or phase moves, so one person approves one step.
 */
export async function gateCommand(api: IKubeApi, target: ReleaseTarget, action: string, once: boolean, wait: WaitOptions, out: Out): Promise<number> {
  const { engine, object } = await find(api, { ...target, dryRun: false });
  if (engine !== 'flagger') {
    throw new Error(`'${target.name}' is an Argo Rollouts Rollout, which has no loadtester gate: its holds are pauses; use 'cdk8s-canary promote ${target.name} -n ${target.namespace}'`);
  }
  if (action === 'status') {
    const status = await callLoadTester(api, object, target, '/gate/check', out);
    if (!target.dryRun) out(`gate of ${target.namespace}/${target.name}: ${status === 200 ? 'open' : 'closed'}\n`);
    return 0;
  }
  if (action === 'close') {
    await callLoadTester(api, object, target, '/gate/close', out);
    if (!target.dryRun) out(`gate of ${target.namespace}/${target.name} closed\n`);
    return 0;
  }
  await callLoadTester(api, object, target, '/gate/open', out);
  if (target.dryRun) {
    if (once) out('# then, once the canary weight or phase has changed:\n');
    if (once) await callLoadTester(api, object, target, '/gate/close', out);
    return 0;
  }
  out(`gate of ${target.namespace}/${target.name} opened (${canaryStatus(object)})\n`);
  if (!once) return 0;
  const before = { weight: object.status?.canaryWeight, phase: object.status?.phase };
  let waited = 0;
  while (waited < wait.timeoutMillis) {
    await wait.sleep(wait.pollMillis);
    waited += wait.pollMillis;
    const now = (await find(api, { ...target, dryRun: false })).object;
    if (now.status?.canaryWeight !== before.weight || now.status?.phase !== before.phase) {
      await callLoadTester(api, now, target, '/gate/close', out);
      out(`one step taken (${canaryStatus(now)}); gate closed\n`);
      return 0;
    }
  }
  await callLoadTester(api, object, target, '/gate/close', out);
  out(`the Canary did not move within ${Math.round(wait.timeoutMillis / 1000)}s; gate closed again\n`);
  return 1;
}

/**
 * `promote`. Flagger: opens the gate (its confirm-promotion and traffic-increase webhooks check the
 * same one). Argo Rollouts: the patches of `kubectl argo rollouts promote`
 * (pkg/kubectl-argo-rollouts/cmd/promote/promote.go, getPatches): with pause conditions, clear them
 * on the status subresource; a paused spec is unpaused; otherwise (mid-analysis) skip to the next
 * step; `--full` sets `status.promoteFull`.
 */
export async function promoteCommand(api: IKubeApi, target: ReleaseTarget, full: boolean, out: Out): Promise<number> {
  const { engine, object } = await find(api, { ...target, dryRun: false });
  if (engine === 'flagger') {
    if (full) throw new Error("Flagger has no full promotion: open the gate ('cdk8s-canary gate open') and the analysis goes on to promotion");
    await callLoadTester(api, object, target, '/gate/open', out);
    if (!target.dryRun) out(`gate of ${target.namespace}/${target.name} opened: every held stage may proceed until 'cdk8s-canary gate close'\n`);
    return 0;
  }
  const { spec, status } = promotePatches(object, full);
  if (spec) await patchRollout(api, target, spec, false, out);
  if (status) await patchRollout(api, target, status, true, out);
  if (!target.dryRun) out(`Rollout ${target.namespace}/${target.name} promoted${full ? ' fully' : ''}\n`);
  return 0;
}

/** The spec and status patches `kubectl argo rollouts promote` sends for this Rollout. */
export function promotePatches(rollout: any, full: boolean): { spec?: string; status?: string } {
  const paused = rollout.spec?.paused === true;
  const spec = paused ? '{"spec":{"paused":false}}' : undefined;
  if (full) {
    return { spec, status: rollout.status?.currentPodHash !== rollout.status?.stableRS ? '{"status":{"promoteFull":true}}' : undefined };
  }
  const steps = rollout.spec?.strategy?.canary?.steps;
  const index = rollout.status?.currentStepIndex ?? 0;
  const next = steps && index < steps.length ? index + 1 : index;
  const inconclusive = rollout.status?.canary?.currentStepAnalysisRunStatus?.status === 'Inconclusive';
  if (inconclusive && rollout.status?.pauseConditions?.length && rollout.status?.controllerPause) {
    return { spec, status: `{"status":{"pauseConditions":null, "controllerPause":false, "currentStepIndex":${next}}}` };
  }
  if (rollout.status?.pauseConditions?.length) return { spec, status: '{"status":{"pauseConditions":null}}' };
  if (steps) return { spec, status: `{"status":{"pauseConditions":null, "currentStepIndex":${next}}}` };
  return { spec };
}

/**
 * `abort`. Argo Rollouts: `{"status":{"abort":true}}` on the status subresource, as
 * `kubectl argo rollouts abort` (cmd/abort/abort.go). Flagger: opens the rollback gate, which its
 * rollback webhook checks every interval (CanaryWebhook.rollbackGate()).
 */
export async function abortCommand(api: IKubeApi, target: ReleaseTarget, out: Out): Promise<number> {
  const { engine, object } = await find(api, { ...target, dryRun: false });
  if (engine === 'flagger') {
    const rollback = (object.spec?.analysis?.webhooks ?? []).some((w: any) => w.type === 'rollback' && /\/rollback\/check$/.test(w.url));
    if (!rollback) {
      throw new Error(`the Canary '${target.name}' has no rollback gate, so Flagger cannot be told to roll back: add CanaryWebhook.rollbackGate() to its analysis`);
    }
    await callLoadTester(api, object, target, '/rollback/open', out);
    if (!target.dryRun) out(`rollback gate of ${target.namespace}/${target.name} opened: Flagger rolls back at its next check\n`);
    return 0;
  }
  await patchRollout(api, target, '{"status":{"abort":true}}', true, out);
  if (!target.dryRun) out(`Rollout ${target.namespace}/${target.name} aborted\n`);
  return 0;
}

async function patchRollout(api: IKubeApi, target: ReleaseTarget, patch: string, status: boolean, out: Out): Promise<void> {
  const apiPath = `${ROLLOUTS(target.namespace, target.name)}${status ? '/status' : ''}`;
  if (target.dryRun) {
    out(`kubectl ${[...target.kubectlFlags, '-n', target.namespace, 'patch', 'rollout', target.name, ...(status ? ['--subresource=status'] : []), '--type=merge'].join(' ')} -p '${patch}'\n`);
    return;
  }
  const res = await api.request('PATCH', apiPath, patch, MERGE_PATCH);
  if (res.status !== 200) throw new Error(`PATCH ${apiPath}: ${res.status} ${message(res.body)}`);
}
