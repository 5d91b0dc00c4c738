/**
 * How Argo Rollouts turns a weight into replica counts without traffic routing (a basic canary),
 * after argo-rollouts utils/replicaset/canary.go, approximateWeightedCanaryStableReplicaCounts: of
 * the candidate counts (the weight's floor and ceiling share of `replicas`, on `replicas` pods or,
 * when surge is allowed, `replicas + 1`), the one closest to the weight; the larger count on a
 * tie; never 0 canary or stable pods for a weight from 1 to 99 with 2 or more pods.
 */
export function replicaSplit(replicas: number, weight: number, maxSurge: number): { canary: number; stable: number } {
  if (replicas === 0) return { canary: 0, stable: 0 };
  const ceil = Math.ceil((replicas * weight) / 100);
  const floor = Math.floor((replicas * weight) / 100);
  const tied = (total: number) => ((total * weight) / 100) % 1 === 0.5;
  const zeroAllowed = weight === 100 || weight === 0 || (replicas === 1 && maxSurge === 0);
  const options: { canary: number; total: number }[] = [];
  if (ceil < replicas || zeroAllowed) options.push({ canary: ceil, total: replicas });
  if (!tied(replicas) && (floor !== 0 || zeroAllowed)) options.push({ canary: floor, total: replicas });
  if (maxSurge > 0) {
    options.push({ canary: ceil, total: replicas + 1 });
    if (!tied(replicas + 1) && (floor !== 0 || zeroAllowed)) options.push({ canary: floor, total: replicas + 1 });
  }
  if (options.length === 0) return { canary: 0, stable: replicas };
  const delta = (o: { canary: number; total: number }) => Math.abs(o.canary / o.total - weight / 100);
  const best = options.reduce((a, b) => (delta(b) < delta(a) ? b : a));
  return { canary: best.canary, stable: best.total - best.canary };
}

/** A surge of `value` (a count, or a percentage rounded up) on `replicas` pods. */
export function surgeCount(value: string, replicas: number): number {
  return value.endsWith('%') ? Math.ceil((Number(value.slice(0, -1)) * replicas) / 100) : Number(value);
}
