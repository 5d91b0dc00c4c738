import { ApiObject, Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { ArgoRollout, ArgoRolloutProps, RolloutWorkloadMode, WorkloadScaleDown } from '../../../src';
import { all, only, synth } from '../../synth';

const IMAGE = 'ghcr.io/stefanprodan/podinfo:6.7.0';
const SELECTOR = { 'app.kubernetes.io/name': 'podinfo' };
const STRATEGY = {
  canaryService: 'podinfo-canary',
  stableService: 'podinfo-stable',
  steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 100 }],
};

function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

/** A Deployment selecting its pods by the one name label, as CanaryService makes it. */
function newDeployment(chart: Chart): kplus.Deployment {
  const deployment = new kplus.Deployment(chart, 'Deployment', {
    metadata: { name: 'podinfo' },
    select: false,
    podMetadata: { labels: SELECTOR },
    containers: [{
      image: IMAGE,
      portNumber: 9898,
      securityContext: { user: 1000 },
      resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { request: Size.mebibytes(128) } },
    }],
  });
  deployment.select(kplus.LabelSelector.of({ labels: SELECTOR }));
  return deployment;
}

function newRollout(chart: Chart, overrides: Partial<ArgoRolloutProps> = {}): ArgoRollout {
  return new ArgoRollout(chart, 'Rollout', {
    metadata: { name: 'podinfo', namespace: 'test' },
    deployment: overrides.deployment ?? newDeployment(chart),
    selectorLabels: SELECTOR,
    canaryStrategy: STRATEGY,
    ...overrides,
  });
}

describe('defaults', () => {
  const chart = newChart();
  const rollout = newRollout(chart);
  const manifests = synth(chart);
  const object = only(manifests, 'Rollout', 'podinfo');

  test('defaultChild is the L1 Rollout', () => {
    expect(rollout.node.defaultChild).toBe(rollout.apiObject);
    expect(ApiObject.of(rollout)).toBe(rollout.apiObject);
    expect(ApiObject.of(rollout).kind).toBe('Rollout');
    expect(rollout.name).toBe('podinfo');
  });

  test('snapshot', () => {
    expect(manifests).toMatchSnapshot();
  });

  test('an argoproj.io/v1alpha1 Rollout, named and namespaced as given', () => {
    expect(object.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(object.kind).toBe('Rollout');
    expect(object.metadata).toEqual({ name: 'podinfo', namespace: 'test' });
  });

  test('the spec: one replica without an autoscaler, the selector, the workloadRef, the strategy', () => {
    expect(object.spec).toEqual({
      replicas: 1,
      revisionHistoryLimit: 10,
      selector: { matchLabels: SELECTOR },
      workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      progressDeadlineSeconds: 600,
      strategy: { canary: STRATEGY },
    });
  });

  test('the referenced Deployment exists and runs no pods of its own', () => {
    const deployment = only(manifests, object.spec.workloadRef.kind, object.spec.workloadRef.name);
    expect(deployment.apiVersion).toBe(object.spec.workloadRef.apiVersion);
    expect(deployment.spec.replicas).toBe(0);
    expect(deployment.spec.template.metadata.labels).toEqual(expect.objectContaining(object.spec.selector.matchLabels));
  });

  test('is not marked as autoscaled', () => {
    expect(rollout.hasAutoscaler).toBe(false);
  });
});

describe('IScalable', () => {
  test('toScalingTarget names the Rollout and hands over the Deployment\'s containers', () => {
    const chart = newChart();
    const deployment = newDeployment(chart);
    const rollout = newRollout(chart, { deployment });
    const target = rollout.toScalingTarget();
    expect({ apiVersion: target.apiVersion, kind: target.kind, name: target.name }).toEqual({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'podinfo' });
    expect(target.containers).toEqual(deployment.containers);
  });

  test('markHasAutoscaler drops spec.replicas, even after construction', () => {
    const chart = newChart();
    const rollout = newRollout(chart);
    rollout.markHasAutoscaler();
    expect(rollout.hasAutoscaler).toBe(true);
    expect(only(synth(chart), 'Rollout', 'podinfo').spec).not.toHaveProperty('replicas');
  });

  test('an autoscaler targets the Rollout, which then has no replicas', () => {
    const chart = newChart();
    const rollout = newRollout(chart);
    new kplus.HorizontalPodAutoscaler(chart, 'Autoscaler', {
      metadata: { name: 'podinfo' },
      target: rollout,
      minReplicas: 2,
      maxReplicas: 4,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(80))],
    });
    const manifests = synth(chart);
    expect(rollout.hasAutoscaler).toBe(true);
    const object = only(manifests, 'Rollout', 'podinfo');
    expect(object.spec).not.toHaveProperty('replicas');
    expect(only(manifests, 'HorizontalPodAutoscaler', 'podinfo').spec.scaleTargetRef).toEqual({
      apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name,
    });
  });
});

describe('options', () => {
  test('progressDeadline, progressDeadlineAbort and revisionHistoryLimit', () => {
    const chart = newChart();
    newRollout(chart, { progressDeadline: Duration.minutes(15), progressDeadlineAbort: true, revisionHistoryLimit: 3 });
    const spec = only(synth(chart), 'Rollout', 'podinfo').spec;
    expect(spec.progressDeadlineSeconds).toBe(900);
    expect(spec.progressDeadlineAbort).toBe(true);
    expect(spec.revisionHistoryLimit).toBe(3);
  });

  test('the canary strategy is passed through as given', () => {
    const chart = newChart();
    const canaryStrategy = { ...STRATEGY, maxSurge: '25%', maxUnavailable: 0, abortScaleDownDelaySeconds: 30 };
    newRollout(chart, { canaryStrategy });
    expect(only(synth(chart), 'Rollout', 'podinfo').spec.strategy).toEqual({ canary: canaryStrategy });
  });
});

describe('workload modes', () => {
  test.each([
    [WorkloadScaleDown.NEVER, 'never'],
    [WorkloadScaleDown.ON_SUCCESS, 'onsuccess'],
    [WorkloadScaleDown.PROGRESSIVELY, 'progressively'],
  ])('WORKLOAD_REF with scaleDown %s: the Deployment keeps replicas out of Git', (scaleDown, value) => {
    const chart = newChart();
    newRollout(chart, { workloadMode: RolloutWorkloadMode.WORKLOAD_REF, scaleDown });
    const manifests = synth(chart);
    expect(only(manifests, 'Rollout', 'podinfo').spec.workloadRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo', scaleDown: value });
    expect(only(manifests, 'Deployment', 'podinfo').spec).not.toHaveProperty('replicas');
  });

  describe('INLINE_TEMPLATE', () => {
    const chart = newChart();
    const deployment = newDeployment(chart);
    // The pod template the Deployment would have had.
    const expectedTemplate = ApiObject.of(deployment).toJson().spec.template;
    const rollout = newRollout(chart, { deployment, workloadMode: RolloutWorkloadMode.INLINE_TEMPLATE });

    test('the Deployment leaves the tree and the output', () => {
      expect(chart.node.tryFindChild('Deployment')).toBeUndefined();
      const manifests = synth(chart);
      expect(all(manifests, 'Deployment')).toEqual([]);
      expect(only(manifests, 'Rollout', 'podinfo').spec).not.toHaveProperty('workloadRef');
    });

    test('spec.template is the Deployment\'s pod template', () => {
      const template = only(Testing.synth(chart), 'Rollout', 'podinfo').spec.template;
      expect(template).toEqual(expectedTemplate);
      expect(template.metadata.labels).toEqual(expect.objectContaining(SELECTOR));
      expect(template.spec.containers).toHaveLength(1);
      expect(template.spec.containers[0].image).toBe(IMAGE);
      expect(template.spec.containers[0].ports).toEqual([{ containerPort: 9898 }]);
    });

    test('changes to the Deployment after construction still reach the template', () => {
      const later = newChart();
      const laterDeployment = newDeployment(later);
      newRollout(later, { deployment: laterDeployment, workloadMode: RolloutWorkloadMode.INLINE_TEMPLATE });
      laterDeployment.addContainer({ name: 'sidecar', image: 'ghcr.io/example/sidecar:1.0.0', securityContext: { user: 1000 } });
      const containers = only(Testing.synth(later), 'Rollout', 'podinfo').spec.template.spec.containers;
      expect(containers.map((c: any) => c.image)).toEqual([IMAGE, 'ghcr.io/example/sidecar:1.0.0']);
    });

    test('the Rollout still scales the Deployment\'s containers', () => {
      expect(rollout.toScalingTarget().containers).toEqual(deployment.containers);
    });
  });
});
