import { ReleaseContext, apiMessage, ref } from './context';
import { GateKind } from './loadtester';
import { RELEASE_RECORD_CONFIGMAP } from '../../platform/conventions';

/**
 * Which release a gate was opened for. The loadtester keys a gate by the Canary alone, so the
 * tool writes this beside it, in the ConfigMap `cdk8s-canary-gates` of the namespace (key
 * `<service>.gate` or `<service>.rollback`), for `status` to tell an open gate of this release from
 * one left over from an earlier one. A ConfigMap, not an annotation of the Canary: patching the
 * Canary would need the right to change its spec too.
 */
export interface GateRecord {
  /** The Canary's `status.lastAppliedSpec` when the gate was opened. */
  readonly revision: string;
  /** Its phase then. */
  readonly phase: string;
  readonly openedAt: string;
  /** The cdk8s-canary command that opened it. */
  readonly command: string;
}

const CONFIGMAP_PATH = (namespace: string) => `/api/v1/namespaces/${namespace}/configmaps/${RELEASE_RECORD_CONFIGMAP}`;
const key = (ctx: ReleaseContext, kind: GateKind) => `${ctx.name}.${kind}`;

/** The records of the service's gates, or why they cannot be read. */
export async function readGateRecords(ctx: ReleaseContext): Promise<{ records: { [kind in GateKind]?: GateRecord }; problem?: string }> {
  const res = await ctx.api.request('GET', CONFIGMAP_PATH(ctx.namespace));
  if (res.status !== 200) {
    return { records: {}, problem: `its record cannot be read (ConfigMap ${ctx.namespace}/${RELEASE_RECORD_CONFIGMAP}: ${apiMessage(res)})` };
  }
  const data = JSON.parse(res.body).data ?? {};
  const records: { [kind in GateKind]?: GateRecord } = {};
  for (const kind of ['gate', 'rollback'] as const) {
    try {
      if (data[key(ctx, kind)]) records[kind] = JSON.parse(data[key(ctx, kind)]);
    } catch {
      // An unreadable record is no record.
    }
  }
  return { records };
}

/**
 * Writes (or with `undefined` removes) the record of a gate. The gate matters more than its record:
 * a refusal is a warning, not a failure.
 */
export async function writeGateRecord(ctx: ReleaseContext, kind: GateKind, record: GateRecord | undefined): Promise<void> {
  const patch = JSON.stringify({ data: { [key(ctx, kind)]: record === undefined ? null : JSON.stringify(record) } });
  const res = await ctx.api.request('PATCH', CONFIGMAP_PATH(ctx.namespace), patch, 'application/merge-patch+json');
  if (res.status === 200) return;
  const gate = kind === 'gate' ? 'gate' : 'rollback gate';
  ctx.warn(`warning: could not ${record ? 'record which release the' : 'remove the record of the'} ${gate} of ${ref(ctx)} ${record ? 'was opened for ' : ''}`
    + `(ConfigMap ${ctx.namespace}/${RELEASE_RECORD_CONFIGMAP}, created by ReleaseOperatorRole: ${apiMessage(res)})`
    + `${record ? '; \'cdk8s-canary status\' will not know which release it belongs to' : ''}\n`);
}
