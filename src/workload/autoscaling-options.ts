/** Horizontal autoscaling of the service. */
export interface AutoscalingOptions {
  /**
   * Fewest replicas.
   *
   * @default 2
   */
  readonly minReplicas?: number;
  /** Most replicas. */
  readonly maxReplicas: number;
  /**
   * Average CPU utilization (percent of requests) the autoscaler aims for.
   *
   * @default 80
   */
  readonly cpuUtilization?: number;
  /**
   * Average memory utilization (percent of requests) the autoscaler aims for.
   *
   * @default - memory is not a scaling metric
   */
  readonly memoryUtilization?: number;
}

/** The autoscaler's settings after defaults and checks. */
export interface ResolvedAutoscaling {
  /** Fewest replicas. */
  readonly minReplicas: number;
  /** Most replicas. */
  readonly maxReplicas: number;
  /** Target average CPU utilization in percent. */
  readonly cpuUtilization: number;
  /**
   * Target average memory utilization in percent.
   *
   * @default - not a scaling metric
   */
  readonly memoryUtilization?: number;
}
