import { ReleaseContext, apiMessage, ref } from './context';
import { GateKind } from './loadtester';
import { RELEASE_RECORD_CONFIGMAP } from '../../platform/conventions';

/**
 * Which release a gate was opened for, and by which run of which command. The loadtester keys a
 * gate by the Canary alone, so the tool writes this beside it, in the ConfigMap
 * `cdk8s-canary-gates` of the namespace (key `<service>.gate` or `<service>.rollback`), for `status`
 * to tell an open gate of this release from one left over from an earlier one, and for a command to
 * close only a gate it opened itself. A ConfigMap, not an annotation of the Canary: patching the
 * Canary would need the right to change its spec too. Every write names the `resourceVersion` it
 * read, so that two operators cannot both claim a gate.
 */
export interface GateRecord {
  /** The Canary's revision (`status.lastAppliedSpec`, with its tracked configs) when the gate was opened. */
  readonly revision: string;
  /** Its phase then. */
  readonly phase: string;
  readonly openedAt: string;
  /** The cdk8s-canary command that opened it. */
  readonly command: string;
  /** The run of the command that opened it. */
  readonly run: string;
}

export type GateRecords = { [kind in GateKind]?: GateRecord };

const CONFIGMAP_PATH = (namespace: string) => `/api/v1/namespaces/${namespace}/configmaps/${RELEASE_RECORD_CONFIGMAP}`;
const key = (ctx: ReleaseContext, kind: GateKind) => `${ctx.name}.${kind}`;
const ATTEMPTS = 3;

interface ConfigMapRead {
  readonly records: GateRecords;
  readonly resourceVersion?: string;
  /** Why the records cannot be read. */
  readonly problem?: string;
}

function parse(text: unknown): GateRecord | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const record = JSON.parse(text);
    return record && typeof record === 'object' ? record : undefined;
  } catch {
    // An unreadable record is no record.
    return undefined;
  }
}

/** The records of the service's gates, or why they cannot be read. */
export async function readGateRecords(ctx: ReleaseContext): Promise<ConfigMapRead> {
  const res = await ctx.api.request('GET', CONFIGMAP_PATH(ctx.namespace));
  if (res.status !== 200) {
    return { records: {}, problem: `its record cannot be read (ConfigMap ${ctx.namespace}/${RELEASE_RECORD_CONFIGMAP}: ${apiMessage(res)})` };
  }
  const configMap = JSON.parse(res.body);
  const data = configMap.data ?? {};
  return {
    records: { gate: parse(data[key(ctx, 'gate')]), rollback: parse(data[key(ctx, 'rollback')]) },
    resourceVersion: configMap.metadata?.resourceVersion,
  };
}

/** Who holds a gate by its record: this run, nobody, another run (its record), or unknown (unreadable). */
export type GateHolder = 'this run' | 'nobody' | 'unknown' | GateRecord;

export async function gateHolder(ctx: ReleaseContext, kind: GateKind): Promise<GateHolder> {
  const read = await readGateRecords(ctx);
  if (read.problem) return 'unknown';
  const record = read.records[kind];
  if (!record) return 'nobody';
  return record.run === ctx.runId ? 'this run' : record;
}

/**
 * Records that this run opens the gate. A record of another run read before is left over (the
 * caller found the gate closed) and is replaced; a record of another run that appears meanwhile
 * (409 on the resourceVersion read) is an operator opening the same gate now: it is returned, and
 * nothing is written. When the record cannot be written at all, a warning says so and the gate is
 * opened without it: the gate matters more than its record.
 */
export async function claimGateRecord(ctx: ReleaseContext, kind: GateKind, record: GateRecord): Promise<GateRecord | undefined> {
  let first: ConfigMapRead | undefined;
  for (let attempt = 1; ; attempt++) {
    const read = await readGateRecords(ctx);
    first ??= read;
    const now = read.records[kind];
    if (now && now.run !== record.run && JSON.stringify(now) !== JSON.stringify(first.records[kind])) return now;
    const res = await patch(ctx, kind, record, read.resourceVersion);
    if (res.status === 409 && attempt < ATTEMPTS) continue;
    if (res.status !== 200) warnRecord(ctx, kind, true, apiMessage(res));
    return undefined;
  }
}

/** Replaces this run's record (the release it holds moved to a new revision); another run's is left alone. */
export async function updateGateRecord(ctx: ReleaseContext, kind: GateKind, record: GateRecord): Promise<void> {
  await rewriteOwn(ctx, kind, record);
}

/** Removes the record of a gate this run opened and closed; another run's record is left alone. */
export async function releaseGateRecord(ctx: ReleaseContext, kind: GateKind): Promise<void> {
  await rewriteOwn(ctx, kind, undefined);
}

async function rewriteOwn(ctx: ReleaseContext, kind: GateKind, record: GateRecord | undefined): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const read = await readGateRecords(ctx);
    const now = read.records[kind];
    if (!read.problem && (!now || now.run !== ctx.runId)) return;
    const res = await patch(ctx, kind, record, read.resourceVersion);
    if (res.status === 409 && attempt < ATTEMPTS) continue;
    if (res.status !== 200) warnRecord(ctx, kind, record !== undefined, apiMessage(res));
    return;
  }
}

/** Removes the record of a gate whoever opened it (`gate close`, `reset`: the gate is closed). */
export async function removeGateRecord(ctx: ReleaseContext, kind: GateKind): Promise<void> {
  const res = await patch(ctx, kind, undefined, undefined);
  if (res.status !== 200) warnRecord(ctx, kind, false, apiMessage(res));
}

function patch(ctx: ReleaseContext, kind: GateKind, record: GateRecord | undefined, resourceVersion: string | undefined) {
  const body = {
    ...(resourceVersion ? { metadata: { resourceVersion } } : {}),
    data: { [key(ctx, kind)]: record === undefined ? null : JSON.stringify(record) },
  };
  return ctx.api.request('PATCH', CONFIGMAP_PATH(ctx.namespace), JSON.stringify(body), 'application/merge-patch+json');
}

function warnRecord(ctx: ReleaseContext, kind: GateKind, writing: boolean, why: string): void {
  const gate = kind === 'gate' ? 'gate' : 'rollback gate';
  ctx.warn(`warning: could not ${writing ? 'record which release the' : 'remove the record of the'} ${gate} of ${ref(ctx)} ${writing ? 'was opened for ' : ''}`
    + `(ConfigMap ${ctx.namespace}/${RELEASE_RECORD_CONFIGMAP}, created by ReleaseOperatorRole: ${why})`
    + `${writing ? '; \'cdk8s-canary status\' will not know which release it belongs to' : ''}\n`);
}
