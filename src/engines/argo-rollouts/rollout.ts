import { ApiObject, ApiObjectMetadata, Duration, JsonPatch, Lazy, resolve } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkArguments } from '../../arguments/check-arguments';
import { checkEmittedObjects } from '../../synth/object-validity';
import { fail } from '../../validation';

// The GVK only: importing the generated argoproj.io module (4 MB) would double the library's import time.
const ROLLOUT_GVK = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' };

/** What Argo Rollouts does with a referenced Deployment once the Rollout is healthy. */
export enum WorkloadScaleDown {
  /** Leave the Deployment as it is. */
  NEVER = 'never',
  /** Scale it to zero once the Rollout is healthy. */
  ON_SUCCESS = 'onsuccess',
  /** Scale it down as the Rollout scales up. */
  PROGRESSIVELY = 'progressively',
}

/** How the Rollout gets its pod template. */
export enum RolloutWorkloadMode {
  /** Reference the generated Deployment (`workloadRef`), which stays a typed cdk8s-plus object. */
  WORKLOAD_REF = 'WORKLOAD_REF',
  /** Copy the Deployment's pod template into the Rollout; the Deployment itself is not emitted. */
  INLINE_TEMPLATE = 'INLINE_TEMPLATE',
}

/** Props for `ArgoRollout`. */
export interface ArgoRolloutProps {
  /** Name and namespace of the Rollout. */
  readonly metadata: ApiObjectMetadata;
  /** The Deployment whose pods are rolled out. */
  readonly deployment: kplus.Deployment;
  /**
   * How the Rollout gets its pod template.
   *
   * @default RolloutWorkloadMode.WORKLOAD_REF
   */
  readonly workloadMode?: RolloutWorkloadMode;
  /**
   * With `WORKLOAD_REF`, what happens to a Deployment that already runs (a migration). Without
   * it the Deployment is a new one and is emitted with zero replicas.
   *
   * @default - a new service: the Deployment has zero replicas
   */
  readonly scaleDown?: WorkloadScaleDown;
  /** The one label the pods are selected by. */
  readonly selectorLabels: { [key: string]: string };
  /**
   * `spec.strategy.canary`, as the delivery engine renders it. Either this or `blueGreenStrategy`.
   *
   * @default - none: `blueGreenStrategy` is set
   */
  readonly canaryStrategy?: { [key: string]: any };
  /**
   * `spec.strategy.blueGreen`, as the delivery engine renders it. Either this or `canaryStrategy`.
   *
   * @default - none: `canaryStrategy` is set
   */
  readonly blueGreenStrategy?: { [key: string]: any };
  /**
   * How long a rollout may make no progress.
   *
   * @default Duration.minutes(10)
   */
  readonly progressDeadline?: Duration;
  /**
   * Abort the rollout when the progress deadline passes.
   *
   * @default false
   */
  readonly progressDeadlineAbort?: boolean;
  /**
   * Old ReplicaSets kept for rollback.
   *
   * @default 10
   */
  readonly revisionHistoryLimit?: number;
}

/**
 * An Argo Rollout (`argoproj.io/v1alpha1`). It can be an autoscaler's target: the HPA then names
 * `kind: Rollout`, and the Rollout carries no `spec.replicas` for GitOps to fight over.
 */
export class ArgoRollout extends Construct implements kplus.IScalable {
  /** Name of the Rollout. */
  public readonly name: string;
  /** The L1 object, for escape hatches. */
  public readonly apiObject: ApiObject;
  /** Whether an autoscaler targets the Rollout. */
  public hasAutoscaler = false;

  private readonly deployment: kplus.Deployment;
  private readonly strategy: { [key: string]: any };

  public constructor(scope: Construct, id: string, props: ArgoRolloutProps) {
    super(checkArguments<Construct>('ArgoRollout.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    if ((props.canaryStrategy === undefined) === (props.blueGreenStrategy === undefined)) {
      fail(`ArgoRollout '${props.metadata.name ?? id}'`, "either 'canaryStrategy' or 'blueGreenStrategy', exactly one");
    }
    this.deployment = props.deployment;
    this.strategy = props.canaryStrategy ? { canary: props.canaryStrategy } : { blueGreen: props.blueGreenStrategy };
    const mode = props.workloadMode ?? RolloutWorkloadMode.WORKLOAD_REF;
    const deploymentObject = ApiObject.of(props.deployment);
    let workload: { [key: string]: any };
    if (mode === RolloutWorkloadMode.WORKLOAD_REF) {
      workload = {
        workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: props.deployment.name, scaleDown: props.scaleDown },
      };
      // The Rollout runs the pods; a new Deployment starts (and stays) at zero. A migrated one keeps
      // its replicas until Argo Rollouts scales it down, so Git must not set them.
      deploymentObject.addJsonPatch(props.scaleDown === undefined
        ? JsonPatch.add('/spec/replicas', 0)
        : JsonPatch.remove('/spec/replicas'));
    } else {
      workload = { template: Lazy.any({ produce: () => deploymentObject.toJson().spec.template }) };
      // The Deployment only carries the pod template; the Rollout replaces it.
      props.deployment.node.scope!.node.tryRemoveChild(props.deployment.node.id);
    }
    this.apiObject = new ApiObject(this, 'Resource', {
      ...ROLLOUT_GVK,
      metadata: props.metadata,
      spec: {
        replicas: Lazy.any({ produce: () => (this.hasAutoscaler ? undefined : 1) }),
        revisionHistoryLimit: props.revisionHistoryLimit ?? 10,
        selector: { matchLabels: props.selectorLabels },
        ...workload,
        // With workloadRef Argo Rollouts takes only the pod template, so minReady is carried over.
        minReadySeconds: props.deployment.minReady.toSeconds() || undefined,
        progressDeadlineSeconds: (props.progressDeadline ?? Duration.minutes(10)).toSeconds(),
        progressDeadlineAbort: props.progressDeadlineAbort,
        strategy: this.strategy,
      },
    });
    this.name = this.apiObject.name;
  }

  /**
   * The Rollout with only its `spec.strategy` resolved, as the object `toJson()` would give before
   * any JSON patch: rendering the whole Rollout would render the pod template too (with the pod
   * template inline, the Deployment and its configuration checksum).
   * @internal
   */
  public _strategyOnly(): any {
    return { ...ROLLOUT_GVK, spec: { strategy: resolve(['spec', 'strategy'], this.strategy, this.apiObject) } };
  }

  public markHasAutoscaler(): void {
    this.hasAutoscaler = true;
  }

  public toScalingTarget(): kplus.ScalingTarget {
    return { ...ROLLOUT_GVK, name: this.name, containers: this.deployment.containers };
  }
}
