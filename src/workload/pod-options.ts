import * as kplus from 'cdk8s-plus-28';

/** What the scheduler does with a pod that a topology spread constraint cannot place. */
export enum UnsatisfiableSpread {
  /** Place it anyway, preferring the least skewed domains (a soft constraint). */
  SCHEDULE_ANYWAY = 'ScheduleAnyway',
  /** Leave it pending (a hard constraint). */
  DO_NOT_SCHEDULE = 'DoNotSchedule',
}

/** Nodes the service's pods are attracted to (node affinity). */
export interface NodeAffinityOptions {
  /** The nodes, by their labels: `kplus.Node.labeled(kplus.NodeLabelQuery.is('pool', 'web'))`. */
  readonly node: kplus.LabeledNode;
  /**
   * A preference of this weight (1-100) instead of a requirement.
   *
   * @default - required: the pods run only on such nodes
   */
  readonly weight?: number;
}

/** Other pods the service's pods are placed with (pod affinity) or away from (pod anti-affinity). */
export interface PodAffinityOptions {
  /** The pods, e.g. `kplus.Pods.select(chart, 'cache', { labels: { 'app.kubernetes.io/name': 'cache' } })`. */
  readonly pods: kplus.IPodSelector;
  /**
   * The domain shared (affinity) or avoided (anti-affinity).
   *
   * @default kplus.Topology.HOSTNAME
   */
  readonly topology?: kplus.Topology;
  /**
   * A preference of this weight (1-100) instead of a requirement.
   *
   * @default - required
   */
  readonly weight?: number;
}

/**
 * Spread the service's own pods across a topology (zones, nodes). Each version's pods are spread on
 * their own: the constraint selects the pods of the service and matches the revision label of the
 * pod (`pod-template-hash` for Deployments, `rollouts-pod-template-hash` for Argo Rollouts), and
 * Flagger rewrites the selector to `<name>-primary` in the primary it copies.
 */
export interface TopologySpreadOptions {
  /** The domains to spread across, e.g. `kplus.Topology.ZONE`. */
  readonly topology: kplus.Topology;
  /**
   * The largest difference in pods between two domains.
   *
   * @default 1
   */
  readonly maxSkew?: number;
  /**
   * What happens to a pod that cannot be placed within `maxSkew`.
   *
   * @default UnsatisfiableSpread.SCHEDULE_ANYWAY
   */
  readonly whenUnsatisfiable?: UnsatisfiableSpread;
  /**
   * The fewest domains to count (only with `UnsatisfiableSpread.DO_NOT_SCHEDULE`).
   *
   * @default - the domains that exist
   */
  readonly minDomains?: number;
}

/**
 * How many of the service's pods a voluntary disruption (a node drain, a cluster upgrade) may take
 * down at once. It covers the pods the controller runs: Flagger's primary and canary, every
 * ReplicaSet of an Argo Rollout. Give one of the two.
 */
export interface DisruptionBudgetOptions {
  /**
   * Pods that may be unavailable, a number or a percentage of the expected pods.
   *
   * @default kplus.PercentOrAbsolute.absolute(1) - when `minAvailable` is not set
   */
  readonly maxUnavailable?: kplus.PercentOrAbsolute;
  /**
   * Pods that must stay available, a number or a percentage of the expected pods.
   *
   * @default - `maxUnavailable` is used
   */
  readonly minAvailable?: kplus.PercentOrAbsolute;
}

/**
 * Settings of the pods of a generated Deployment. The controller copies the pod template to every
 * pod it runs (Flagger: the primary and the canary; Argo Rollouts: the Rollout's ReplicaSets). With
 * a `deployment` of your own, set them on it instead.
 */
export interface PodOptions {
  /**
   * The identity the pods run as.
   *
   * @default - the namespace's `default` ServiceAccount
   */
  readonly serviceAccount?: kplus.IServiceAccount;
  /**
   * Mount the service account's API token into the pods (needed to call the Kubernetes API).
   *
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
  /**
   * Volumes mounted into the container, e.g. a writable
   * `{ path: '/tmp', volume: kplus.Volume.fromEmptyDir(chart, 'tmp', 'tmp') }` under the read-only
   * root filesystem. Only the volume types Pod Security "restricted" allows (configMap, csi,
   * downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret).
   *
   * @default - none
   */
  readonly volumeMounts?: kplus.VolumeMount[];
  /**
   * Labels a node must have to run the pods (`spec.nodeSelector`).
   *
   * @default - any node
   */
  readonly nodeSelector?: { [key: string]: string };
  /**
   * Taints the pods tolerate, e.g. `kplus.NodeTaintQuery.is('dedicated', 'web', { effect: kplus.TaintEffect.NO_SCHEDULE })`.
   *
   * @default - none
   */
  readonly tolerations?: kplus.NodeTaintQuery[];
  /**
   * Nodes the pods require or prefer (node affinity); several are alternatives.
   *
   * @default - none
   */
  readonly nodeAffinity?: NodeAffinityOptions[];
  /**
   * Pods the service's pods run next to (pod affinity).
   *
   * @default - none
   */
  readonly podAffinity?: PodAffinityOptions[];
  /**
   * Pods the service's pods keep away from (pod anti-affinity). Flagger rewrites a selector on the
   * service's own pods to its primary's; to spread the service's own pods, prefer `topologySpread`.
   *
   * @default - none
   */
  readonly podAntiAffinity?: PodAffinityOptions[];
  /**
   * Spread the service's own pods across zones or nodes.
   *
   * @default - none
   */
  readonly topologySpread?: TopologySpreadOptions[];
  /**
   * Secrets (`kubernetes.io/dockerconfigjson`) in the service's namespace to pull the image with.
   *
   * @default - none
   */
  readonly imagePullSecrets?: string[];
  /**
   * The PriorityClass of the pods.
   *
   * @default - the cluster's default priority
   */
  readonly priorityClassName?: string;
}
