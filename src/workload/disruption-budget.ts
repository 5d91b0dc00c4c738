import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DisruptionBudgetOptions } from './pod-options';
import { DeclarationErrors, fail } from '../validation';

/** What a PodDisruptionBudget of a service is made of. */
export interface DisruptionBudgetSpec {
  readonly name: string;
  readonly namespace: string;
  readonly labels: { [key: string]: string };
  /** The pods the controller runs, as label expressions that must all hold. */
  readonly pods: kplus.LabelExpression[];
  readonly budget: DisruptionBudgetOptions;
}

const show = (value: kplus.PercentOrAbsolute) => (typeof value.value === 'string' ? `'${value.value}'` : String(value.value));

/**
 * A budget that leaves no pod to evict blocks every node drain and cluster upgrade until someone
 * deletes it; one the API server rejects never applies. `minReplicas` is the fewest pods the
 * autoscaler keeps.
 */
export function checkDisruptionBudget(owner: string, budget: DisruptionBudgetOptions, minReplicas: number): void {
  const errors = new DeclarationErrors();
  if (budget.maxUnavailable !== undefined && budget.minAvailable !== undefined) {
    errors.attempt(() => fail(owner, "'disruptionBudget' sets both 'maxUnavailable' and 'minAvailable'; the API server takes one: give one of them"));
  }
  const check = (property: 'maxUnavailable' | 'minAvailable') => {
    const value = budget[property];
    if (value === undefined) return;
    const raw = value.value;
    const percent = typeof raw === 'string' ? Number(raw.replace(/%$/, '')) : undefined;
    const valid = percent !== undefined ? Number.isInteger(percent) && percent >= 0 && percent <= 100 : Number.isInteger(raw) && raw >= 0;
    if (!valid) {
      errors.attempt(() => fail(owner, `'disruptionBudget.${property}' (${show(value)}) must be a whole number of pods or a whole percentage from 0% to 100%`));
      return;
    }
    const evictsNothing = property === 'maxUnavailable'
      ? value.isZero()
      : (percent !== undefined ? percent === 100 : raw >= minReplicas);
    if (evictsNothing) {
      const fix = property === 'maxUnavailable' ? 'at least 1 (or 1%)' : `at most ${minReplicas - 1} of the ${minReplicas} replicas the autoscaler keeps at the least, or a percentage below 100%`;
      errors.attempt(() => fail(owner, `'disruptionBudget.${property}' (${show(value)}) lets no pod be evicted, so every node drain and cluster upgrade would wait on it forever: give ${fix}`));
    }
  };
  check('maxUnavailable');
  check('minAvailable');
  errors.throwIfAny();
}

/**
 * The PodDisruptionBudget of the pods the controller runs. Unhealthy pods may always be evicted
 * (`AlwaysAllow`, as the Kubernetes documentation advises): a canary that never became ready must
 * not hold a node drain up.
 */
export function createDisruptionBudget(scope: Construct, id: string, spec: DisruptionBudgetSpec): ApiObject {
  const { maxUnavailable, minAvailable } = spec.budget;
  const single = spec.pods.length === 1 && spec.pods[0].operator === 'In' && spec.pods[0].values?.length === 1 ? spec.pods[0] : undefined;
  return new ApiObject(scope, id, {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: spec.name, namespace: spec.namespace, labels: { ...spec.labels } },
    spec: {
      ...(minAvailable !== undefined
        ? { minAvailable: minAvailable.value }
        : { maxUnavailable: (maxUnavailable ?? kplus.PercentOrAbsolute.absolute(1)).value }),
      selector: single
        ? { matchLabels: { [single.key]: single.values![0] } }
        : { matchExpressions: spec.pods.map((e) => ({ key: e.key, operator: e.operator, values: e.values })) },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });
}
