import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { AutoscalingOptions, ResolvedAutoscaling } from './autoscaling-options';
import { checkInteger, fail } from '../validation';

export function resolveAutoscaling(owner: string, options: AutoscalingOptions): ResolvedAutoscaling {
  const minReplicas = checkInteger(owner, 'autoscaling.minReplicas', options.minReplicas ?? 2, 1, 1000);
  const maxReplicas = checkInteger(owner, 'autoscaling.maxReplicas', options.maxReplicas, 1, 1000);
  if (minReplicas > maxReplicas) {
    fail(owner, `'autoscaling.minReplicas' (${minReplicas}) must be less than or equal to 'autoscaling.maxReplicas' (${maxReplicas})`);
  }
  const cpuUtilization = checkInteger(owner, 'autoscaling.cpuUtilization', options.cpuUtilization ?? 80, 1, 100);
  const memoryUtilization = options.memoryUtilization === undefined
    ? undefined
    : checkInteger(owner, 'autoscaling.memoryUtilization', options.memoryUtilization, 1, 100);
  return { minReplicas, maxReplicas, cpuUtilization, memoryUtilization };
}

/** A fixed size expressed as an autoscaler (min = max), so that no `spec.replicas` is ever emitted. */
export function fixedSize(owner: string, replicas: number): ResolvedAutoscaling {
  checkInteger(owner, 'replicas', replicas, 1, 1000);
  return { minReplicas: replicas, maxReplicas: replicas, cpuUtilization: 80 };
}

export interface AutoscalerSpec {
  readonly name: string;
  readonly namespace: string;
  readonly labels: { [key: string]: string };
  readonly target: kplus.IScalable;
  readonly scaling: ResolvedAutoscaling;
}

/** An `autoscaling/v2` HorizontalPodAutoscaler; marking the target makes it drop `spec.replicas`. */
export function createAutoscaler(scope: Construct, id: string, spec: AutoscalerSpec): kplus.HorizontalPodAutoscaler {
  const metrics = [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(spec.scaling.cpuUtilization))];
  if (spec.scaling.memoryUtilization !== undefined) {
    metrics.push(kplus.Metric.resourceMemory(kplus.MetricTarget.averageUtilization(spec.scaling.memoryUtilization)));
  }
  return new kplus.HorizontalPodAutoscaler(scope, id, {
    metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
    target: spec.target,
    minReplicas: spec.scaling.minReplicas,
    maxReplicas: spec.scaling.maxReplicas,
    metrics,
  });
}
