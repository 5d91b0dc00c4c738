import { ReleaseContext, apiMessage, apiStatus, kubectlLine, ref } from './context';
import { shellWord } from '../../analysis/shell';
import { LOAD_TESTER_CONTAINER_PORT, LOAD_TESTER_NAME, LOAD_TESTER_SERVICE_PORT, SELECTOR_LABEL } from '../../platform/conventions';
import { KubeResponse } from '../kube/kube-client';

/**
 * The loadtester's gates (flagger pkg/loadtester/server.go, v1.44.0): `gate` keyed
 * `<name>.<namespace>`, checked by confirm-rollout, confirm-traffic-increase and confirm-promotion
 * webhooks at `/gate/check`; `rollback` keyed `rollback.<name>.<namespace>`, checked by rollback
 * webhooks at `/rollback/check`. Both are kept in the loadtester's memory only.
 */
export type GateKind = 'gate' | 'rollback';
export type GateAction = 'open' | 'close' | 'check';

/**
 * A gate call that failed. `noEffect` is true only when the call certainly did nothing: the
 * loadtester answered with a refusal (400, 403), or the API server or kubectl refused before the
 * request reached it (an API-server Status, `Error from server`, curl unable to connect). Anything
 * else (a lost exec stream, a timeout, an answer no loadtester sends) may have opened the gate.
 */
export class GateCallError extends Error {
  constructor(message: string, public readonly noEffect: boolean) {
    super(message);
  }
}

/** The loadtester a command talks to: always the one of the Canary's own namespace. */
export interface LoadTester {
  readonly service: string;
  readonly namespace: string;
  readonly port: number;
}

/** `/gate/check` or `/rollback/check`: the webhooks a gate of this kind answers. */
const CHECK_PATH: { [kind in GateKind]: string } = { gate: '/gate/check', rollback: '/rollback/check' };
const GATE_PATHS = /\/(gate\/(check|approve|halt)|rollback\/check)$/;

/** The webhooks of a Canary that call a loadtester gate of this kind. */
export function gateWebhooks(canary: any, kind: GateKind): any[] {
  return (canary?.spec?.analysis?.webhooks ?? []).filter((w: any) => typeof w?.url === 'string' && stripQuery(w.url).endsWith(CHECK_PATH[kind]));
}

/**
 * The loadtester of the Canary's own namespace (`http://flagger-loadtester.<namespace>/`), after
 * checking that every gate webhook of the Canary calls it. A Canary is data anyone who can write
 * it controls: one whose gate URL names another Service or namespace
 * (`http://victim-admin.payments:8080/gate/check`) would otherwise make `gate open` exec into that
 * Deployment with the operator's credentials, and report a gate opened that Flagger never checks.
 * A bare `flagger-loadtester` is refused too: Flagger resolves it in its own namespace. The host must
 * be one of the Service's own names: `flagger-loadtester.<ns>`, `.<ns>.svc` or
 * `.<ns>.svc.<cluster domain>` (`--cluster-domain`, default cluster.local); in an app named with
 * `SharedAddons.configure`, the loadtester is the app's `flagger-loadtester-<appName>`, and every
 * gate webhook of the Canary must call the same one.
 */
export function ownLoadTester(canary: any | undefined, namespace: string, clusterDomain: string): LoadTester {
  let service: string | undefined;
  for (const webhook of canary?.spec?.analysis?.webhooks ?? []) {
    if (typeof webhook?.url !== 'string' || !GATE_PATHS.test(stripQuery(webhook.url))) continue;
    const problem = notOwnLoadTester(webhook.url, namespace, clusterDomain);
    if (problem) {
      throw new Error(`the webhook '${webhook.name}' of the Canary ${namespace}/${canary.metadata?.name ?? '?'} calls ${webhook.url}, ${problem}. `
        + `cdk8s-canary opens only the gates of a loadtester of the Canary's own namespace (http://${LOAD_TESTER_NAME}.${namespace}/, or `
        + `http://${LOAD_TESTER_NAME}-<appName>.${namespace}/), so it refuses: it would act on another `
        + 'loadtester with your credentials while Flagger checks the one the URL names. Correct the webhook\'s URL in the declaration');
    }
    const named = new URL(webhook.url).hostname.toLowerCase().split('.')[0];
    if (service !== undefined && named !== service) {
      throw new Error(`the gate webhooks of the Canary ${namespace}/${canary.metadata?.name ?? '?'} call two loadtesters (${service} and ${named}): `
        + 'a gate opened on one is never checked by the other. Give every gate webhook of the Canary one loadtester in the declaration');
    }
    service = named;
  }
  return { service: service ?? LOAD_TESTER_NAME, namespace, port: LOAD_TESTER_SERVICE_PORT };
}

/** `flagger-loadtester`, or an app's own `flagger-loadtester-<appName>` (SharedAddons.configure). */
function isLoadTesterName(name: string): boolean {
  return name === LOAD_TESTER_NAME || new RegExp(`^${LOAD_TESTER_NAME}-[a-z0-9]([a-z0-9-]*[a-z0-9])?$`).test(name);
}

function notOwnLoadTester(raw: string, namespace: string, clusterDomain: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'which is no URL';
  }
  if (url.protocol !== 'http:') return `not http:// (the loadtester serves plain http on port ${LOAD_TESTER_SERVICE_PORT})`;
  const labels = url.hostname.toLowerCase().split('.');
  const name = labels[0];
  if (!isLoadTesterName(name)) return `a Service other than ${LOAD_TESTER_NAME} or ${LOAD_TESTER_NAME}-<appName> (${name})`;
  if (labels.length === 1) return `without a namespace: Flagger resolves it in its own namespace, not in '${namespace}'`;
  if (labels[1] !== namespace) return `the loadtester of namespace '${labels[1]}', not '${namespace}'`;
  const own = [`${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.${clusterDomain}`];
  if (!own.includes(url.hostname.toLowerCase())) {
    return `a host outside the cluster's Services (${url.hostname}; the Service's names are ${own.join(', ')}; another cluster domain: --cluster-domain)`;
  }
  if (url.port !== '' && Number(url.port) !== LOAD_TESTER_SERVICE_PORT) return `port ${url.port}, not the loadtester Service's port ${LOAD_TESTER_SERVICE_PORT}`;
  return undefined;
}

function stripQuery(url: string): string {
  return url.replace(/[?#].*$/, '');
}

/** The JSON body of a gate call: the Canary's name and namespace (flaggerv1.CanaryWebhookPayload). */
function payload(ctx: ReleaseContext): string {
  return JSON.stringify({ name: ctx.name, namespace: ctx.namespace });
}

function execArgs(ctx: ReleaseContext, tester: LoadTester, route: string, flags: string[]): string[] {
  return [...flags, '-n', tester.namespace, 'exec', `deploy/${tester.service}`, '--',
    'curl', '-sS', '-m', '10', '-w', '\\n%{http_code}', '-H', 'Content-Type: application/json', '-d', payload(ctx),
    `http://localhost:${LOAD_TESTER_CONTAINER_PORT}${route}`];
}

function proxyPath(tester: LoadTester, route: string): string {
  return `/api/v1/namespaces/${tester.namespace}/services/http:${tester.service}:${tester.port}/proxy${route}`;
}

/** The command that makes this call, for `--dry-run`. */
export function loadTesterCommand(ctx: ReleaseContext, tester: LoadTester, kind: GateKind, action: GateAction): string {
  const route = `/${kind}/${action}`;
  if (ctx.via === 'exec') return kubectlLine(execArgs(ctx, tester, route, ctx.printedFlags));
  return `echo ${shellWord(payload(ctx))} | ${kubectlLine([...ctx.printedFlags, 'create', '--raw', proxyPath(tester, route), '-f', '-'])}`;
}

/**
 * Calls a gate, reading the loadtester's answers exactly (server.go): open and close answer 202;
 * check answers 200 "Approved" (open) or 403 "Forbidden" (closed, also for a namespace the
 * `-namespace-regexp` refuses, which Flagger's own checks then get too); open and close answer 403
 * only when the `-namespace-regexp` refuses the namespace; a body it cannot read is 400. Through
 * the Service proxy, an answer of the API server itself (RBAC, no endpoints, unreachable) is a JSON
 * Status, which the loadtester never sends.
 */
export async function callGate(ctx: ReleaseContext, tester: LoadTester, kind: GateKind, action: GateAction): Promise<'done' | 'open' | 'closed'> {
  const route = `/${kind}/${action}`;
  const { status, body } = ctx.via === 'exec' ? await viaExec(ctx, tester, route) : await viaProxy(ctx, tester, route);
  const what = `${kind === 'gate' ? 'the gate' : 'the rollback gate'} of ${ref(ctx)}`;
  if (action === 'check') {
    if (status === 200) return 'open';
    if (status === 403) return 'closed';
  } else {
    if (status === 202) return 'done';
    if (status === 403) {
      throw new GateCallError(`the loadtester ${tester.namespace}/${tester.service} refused to ${action} ${what} (403 ${body.trim() || 'Forbidden'}): its -namespace-regexp does not admit namespace '${ctx.namespace}'`, true);
    }
  }
  if (status === 400) throw new GateCallError(`the loadtester ${tester.namespace}/${tester.service} could not read the request to ${action} ${what} (400 Bad Request${body.trim() ? `: ${body.trim()}` : ''})`, true);
  throw new GateCallError(`the loadtester ${tester.namespace}/${tester.service} answered ${status}${body.trim() ? ` (${body.trim()})` : ''} to ${route}, not what its server.go answers`, false);
}

async function viaExec(ctx: ReleaseContext, tester: LoadTester, route: string): Promise<{ status: number; body: string }> {
  if (ctx.kubectlSendsNoCredentials) throw new GateCallError(ctx.kubectlSendsNoCredentials, true);
  await requireReadyPod(ctx, tester);
  const args = execArgs(ctx, tester, route, ctx.kubectlFlags);
  const result = await ctx.kubectl(args);
  const where = `kubectl exec into deploy/${tester.service} in namespace ${tester.namespace}`;
  if (result.status !== 0) {
    const said = (result.stderr.trim() || result.stdout.trim()).split('\n').filter((line) => line.trim() !== '').slice(-3).join('; ');
    const curlExit = /command terminated with exit code (\d+)/.exec(result.stderr);
    const hint = curlExit ? ' (curl in the loadtester could not reach it on localhost)' : '';
    // Refused before the exec (`Error from server`), or curl could not connect (exit 7): nothing was sent.
    const noEffect = /^Error from server/m.test(result.stderr) || curlExit?.[1] === '7';
    throw new GateCallError(`${where} failed (exit code ${result.status})${hint}: ${said || 'no output'}`, noEffect);
  }
  const lines = result.stdout.replace(/\n$/, '').split('\n');
  const status = Number(lines.pop());
  if (!Number.isInteger(status) || status < 100) throw new GateCallError(`${where} printed no HTTP status: '${result.stdout.trim()}'`, false);
  return { status, body: lines.join('\n') };
}

/** The loadtester Deployments found with a ready pod, per command. */
const READY = new WeakMap<ReleaseContext, Promise<void>>();

/**
 * `kubectl exec deploy/<name>` lists the Deployment's pods and, finding none, watches for one for
 * a minute (k8s.io/kubectl pkg/polymorphichelpers helpers.go GetFirstPod, with exec's
 * --pod-running-timeout), which ReleaseOperatorRole does not allow
 * (`cannot watch resource "pods"`). So the Deployment is read first (the Role may `get` it) and a
 * loadtester without a ready pod is reported as such.
 */
function requireReadyPod(ctx: ReleaseContext, tester: LoadTester): Promise<void> {
  let ready = READY.get(ctx);
  if (!ready) {
    ready = readyPod(ctx, tester);
    READY.set(ctx, ready);
    ready.catch(() => READY.delete(ctx));
  }
  return ready;
}

async function readyPod(ctx: ReleaseContext, tester: LoadTester): Promise<void> {
  const apiPath = `/apis/apps/v1/namespaces/${tester.namespace}/deployments/${tester.service}`;
  let res: KubeResponse;
  try {
    res = await ctx.api.request('GET', apiPath);
  } catch (error) {
    throw new GateCallError((error as Error).message, true);
  }
  const deployment = `the loadtester Deployment ${tester.namespace}/${tester.service}`;
  if (res.status === 404) throw new GateCallError(`there is no loadtester Deployment ${tester.namespace}/${tester.service} (${apiMessage(res)})`, true);
  if (res.status !== 200) throw new GateCallError(`the API server refused to read ${deployment}: ${apiMessage(res)}`, true);
  const object = JSON.parse(res.body);
  const ready = object.status?.readyReplicas ?? 0;
  if (ready < 1) {
    throw new GateCallError(`${deployment} has no ready pod (${ready} of ${object.spec?.replicas ?? 1} ready), so there is no loadtester to ask: `
      + `look at it with ${kubectlLine([...ctx.printedFlags, '-n', tester.namespace, 'get', 'deployment,pods', '-l', `${SELECTOR_LABEL}=${tester.service}`])}`, true);
  }
}

async function viaProxy(ctx: ReleaseContext, tester: LoadTester, route: string): Promise<{ status: number; body: string }> {
  const apiPath = proxyPath(tester, route);
  let res: KubeResponse;
  try {
    res = await ctx.api.request('POST', apiPath, payload(ctx));
  } catch (error) {
    throw new GateCallError((error as Error).message, false);
  }
  const status = apiStatus(res);
  if (status) {
    const notConnected = /error trying to reach service: dial /.test(status.message ?? '');
    const hint = notConnected
      ? ' (the loadtester\'s NetworkPolicy admits only Flagger\'s pods unless LoadTesterOptions.allowIngressFromCidrs admits the API server: use --via exec, the default)' : '';
    // Refused by the API server itself, or the proxy could not connect: the loadtester got nothing.
    // A proxy error after connecting (EOF, a timeout) may have reached it.
    if ([401, 403, 404].includes(res.status) || notConnected || /no endpoints available/.test(status.message ?? '')) {
      throw new GateCallError(`the API server refused POST ${apiPath}: ${apiMessage(res)}${hint}`, true);
    }
    throw new GateCallError(`POST ${apiPath} failed in the API server's Service proxy, after it may have reached the loadtester: ${apiMessage(res)}`, false);
  }
  return { status: res.status, body: res.body };
}
