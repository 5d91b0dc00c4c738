import { ReleaseContext, apiMessage, kubectlLine, ref } from './context';
import { ROLLOUT_PATH, readObject } from './find';

const MERGE_PATCH = 'application/merge-patch+json';
/** How often a promotion computed from a Rollout that changed meanwhile (409) is computed again. */
const CONFLICT_ATTEMPTS = 3;

function rolloutState(rollout: any): any {
  const status = rollout.status ?? {};
  const steps = rollout.spec?.strategy?.canary?.steps;
  return {
    phase: status.phase ?? 'unknown',
    step: steps ? status.currentStepIndex ?? 0 : null,
    steps: steps ? steps.length : null,
    paused: (status.pauseConditions ?? []).length > 0 || rollout.spec?.paused === true,
    pauseReasons: (status.pauseConditions ?? []).map((c: any) => c.reason),
    aborted: status.abort === true,
    message: status.message ?? null,
  };
}

/** `status` of a Rollout: phase, step, pauses, abort. Argo Rollouts keeps no gate outside the Rollout. */
export function argoStatus(ctx: ReleaseContext, rollout: any, json: boolean): number {
  const state = rolloutState(rollout);
  if (json) {
    ctx.out(`${JSON.stringify({ kind: 'Rollout', namespace: ctx.namespace, name: ctx.name, ...state, warnings: [] }, undefined, 2)}\n`);
    return 0;
  }
  const parts = [`phase ${state.phase}`];
  if (state.steps !== null) parts.push(`step ${state.step} of ${state.steps}`);
  if (state.pauseReasons.length > 0) parts.push(`paused (${state.pauseReasons.join(', ')})`);
  else if (state.paused) parts.push('paused (spec.paused)');
  if (state.aborted) parts.push('aborted');
  ctx.out(`Rollout ${ref(ctx)}: ${parts.join(', ')}${state.message ? `: ${state.message}` : ''}\n`);
  return 0;
}

/**
 * The patches of `kubectl argo rollouts promote` (argo-rollouts v1.9.1
 * pkg/kubectl-argo-rollouts/cmd/promote/promote.go, getPatches): `--full` sets
 * `status.promoteFull` unless the pod hash is already stable's; otherwise an inconclusive step
 * analysis that paused the controller is let through to the next step, pause conditions are
 * cleared, or (mid-analysis, no pause) a canary with steps moves to the next step
 * (`currentStepIndex`, never past the last; GetCurrentCanaryStep gives no index without steps, so
 * none is sent then); `spec.paused` is unset in every case.
 */
export function promotePatches(rollout: any, full: boolean): { spec?: string; status?: string } {
  const spec = rollout.spec?.paused === true ? '{"spec":{"paused":false}}' : undefined;
  if (full) {
    return { spec, status: rollout.status?.currentPodHash !== rollout.status?.stableRS ? '{"status":{"promoteFull":true}}' : undefined };
  }
  const canary = rollout.spec?.strategy?.canary;
  const steps: any[] | undefined = canary?.steps?.length ? canary.steps : undefined;
  const index = rollout.status?.currentStepIndex ?? 0;
  const next = steps && index < steps.length ? index + 1 : index;
  const pauses = (rollout.status?.pauseConditions ?? []).length > 0;
  const inconclusive = canary !== undefined && rollout.status?.canary?.currentStepAnalysisRunStatus?.status === 'Inconclusive';
  if (inconclusive && pauses && rollout.status?.controllerPause) {
    return { spec, status: steps ? `{"status":{"pauseConditions":null, "controllerPause":false, "currentStepIndex":${next}}}` : undefined };
  }
  if (pauses) return { spec, status: '{"status":{"pauseConditions":null}}' };
  if (canary !== undefined && steps) return { spec, status: `{"status":{"pauseConditions":null, "currentStepIndex":${next}}}` };
  return { spec };
}

/**
 * `promote`: upstream's patches, the status subresource first, then the spec, as promote.go sends
 * them. Unlike upstream, the status patch carries the `resourceVersion` it was computed from: a
 * Rollout that moved meanwhile (the next step's index would be stale) answers 409, and the
 * promotion is computed again from what it is now. And unlike upstream, a spec patch (a Rollout
 * paused with `spec.paused`) is first tried as a dry run: a user who may patch only the status
 * (ReleaseOperatorRole) is refused before anything changed, instead of after the step was skipped.
 */
export async function argoPromote(ctx: ReleaseContext, rollout: any, full: boolean): Promise<number> {
  if (full && rollout?.status?.abort === true) {
    ctx.warn(`warning: the Rollout ${ref(ctx)} is aborted (status.abort): a full promotion removes the abort (rollout/canary.go: PromoteFull clears it) `
      + 'and makes the aborted version the stable one\n');
  }
  if (ctx.dryRun) {
    printPromote(ctx, rollout, full);
    return 0;
  }
  let current = rollout;
  for (let attempt = 1; ; attempt++) {
    const { spec, status } = promotePatches(current, full);
    if (!spec && !status) {
      ctx.out(`Rollout ${ref(ctx)} has nothing to promote (${full ? 'its pods are already the stable version' : 'no pause, no step to skip'})\n`);
      return 0;
    }
    if (spec && status && attempt === 1) {
      const dryRun = await patch(ctx, false, spec, true);
      if (dryRun.status !== 200) {
        throw new Error(`the API server refused to unpause the Rollout ${ref(ctx)} (spec.paused, set by 'kubectl argo rollouts pause' or by hand): `
          + `PATCH ${ROLLOUT_PATH(ctx.namespace, ctx.name)}?dryRun=All: ${apiMessage(dryRun)}; nothing was changed: the promotion needs both patches. `
          + 'Ask someone who may patch rollouts to unpause it (ReleaseOperatorRole grants only rollouts/status)');
      }
    }
    if (status) {
      const guarded = JSON.stringify({ metadata: { resourceVersion: current.metadata?.resourceVersion }, ...JSON.parse(status) });
      const res = await patch(ctx, true, current.metadata?.resourceVersion ? guarded : status);
      if (res.status === 409 && attempt < CONFLICT_ATTEMPTS) {
        ctx.warn(`the Rollout ${ref(ctx)} changed while promoting (409 Conflict); computing the promotion again from what it is now\n`);
        current = await readObject(ctx, 'argo');
        continue;
      }
      if (res.status !== 200) throw new Error(`the API server refused to promote the Rollout ${ref(ctx)}: PATCH ${ROLLOUT_PATH(ctx.namespace, ctx.name)}/status: ${apiMessage(res)}`);
    }
    if (spec) {
      const res = await patch(ctx, false, spec);
      if (res.status !== 200) throw new Error(`the API server refused to unpause the Rollout ${ref(ctx)}: PATCH ${ROLLOUT_PATH(ctx.namespace, ctx.name)}: ${apiMessage(res)}`);
    }
    ctx.out(`Rollout ${ref(ctx)} ${full ? 'fully promoted' : 'promoted'}\n`);
    return 0;
  }
}

/**
 * `abort`: `{"status":{"abort":true}}` on the status subresource (cmd/abort/abort.go). Nothing is
 * left open: the controller routes all traffic to the stable version, and resets `abort` when the
 * next change of `spec.template` starts a release (rollout/sync.go, resetRolloutStatus).
 */
export async function argoAbort(ctx: ReleaseContext): Promise<number> {
  const body = '{"status":{"abort":true}}';
  if (ctx.dryRun) {
    ctx.out(`${patchLine(ctx, true, body)}\n`);
    return 0;
  }
  const res = await patch(ctx, true, body);
  if (res.status !== 200) throw new Error(`the API server refused to abort the Rollout ${ref(ctx)}: PATCH ${ROLLOUT_PATH(ctx.namespace, ctx.name)}/status: ${apiMessage(res)}`);
  ctx.out(`Rollout ${ref(ctx)} aborted: traffic goes back to the stable version; spec.template still holds the new one, so the next change of it starts a new release\n`);
  return 0;
}

function patch(ctx: ReleaseContext, status: boolean, body: string, dryRun = false) {
  return ctx.api.request('PATCH', `${ROLLOUT_PATH(ctx.namespace, ctx.name)}${status ? '/status' : ''}${dryRun ? '?dryRun=All' : ''}`, body, MERGE_PATCH);
}

function patchLine(ctx: ReleaseContext, status: boolean, body: string): string {
  return kubectlLine([...ctx.printedFlags, '-n', ctx.namespace, 'patch', 'rollout', ctx.name, ...(status ? ['--subresource=status'] : []), '--type=merge', '-p', body]);
}

function printPromote(ctx: ReleaseContext, rollout: any | undefined, full: boolean): void {
  if (rollout) {
    const { spec, status } = promotePatches(rollout, full);
    if (status) ctx.out(`${patchLine(ctx, true, status)}\n`);
    if (spec) ctx.out(`${patchLine(ctx, false, spec)}\n`);
    if (!spec && !status) ctx.out(`# the Rollout ${ref(ctx)} has nothing to promote\n`);
    return;
  }
  // No cluster: the patches depend on the Rollout's state, as promote.go reads it.
  const plugin = kubectlLine([...ctx.printedFlags, 'argo', 'rollouts', '-n', ctx.namespace, 'promote', ctx.name, ...(full ? ['--full'] : [])]);
  if (full) {
    ctx.out(`# unless its pods are already the stable version (and, if spec.paused, also ${patchLine(ctx, false, '{"spec":{"paused":false}}')}):\n`);
    ctx.out(`${patchLine(ctx, true, '{"status":{"promoteFull":true}}')}\n# or, with the kubectl plugin: ${plugin}\n`);
    return;
  }
  ctx.out([
    '# the patch depends on the Rollout\'s state (kubectl argo rollouts promote, promote.go getPatches):',
    `#   paused at a step (status.pauseConditions): ${patchLine(ctx, true, '{"status":{"pauseConditions":null}}')}`,
    `#   in an analysis step i, not paused:       ${patchLine(ctx, true, '{"status":{"pauseConditions":null, "currentStepIndex":<i+1>}}')}`,
    `#   and if spec.paused is true:               ${patchLine(ctx, false, '{"spec":{"paused":false}}')}`,
    '# with the kubectl plugin, which reads the state itself:',
    plugin,
    '',
  ].join('\n'));
}
