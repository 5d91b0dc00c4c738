import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { ConformanceChecker } from '../../scripts/conformance/checker';
import {
  CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GitOps, RolloutWorkloadMode, TrafficRouter, UnsatisfiableSpread,
} from '../../src';
import { declareService, only, synth } from '../synth';

const IMAGE = 'ghcr.io/stefanprodan/podinfo:6.7.0';

/** Every pod option, on a chart of its own. */
function podOptions(chart: Chart): Partial<CanaryServiceProps> {
  return {
    serviceAccount: kplus.ServiceAccount.fromServiceAccountName(chart, 'ServiceAccount', 'podinfo'),
    automountServiceAccountToken: true,
    volumeMounts: [
      { path: '/tmp', volume: kplus.Volume.fromEmptyDir(chart, 'Tmp', 'tmp') },
      { path: '/etc/podinfo', readOnly: true, volume: kplus.Volume.fromConfigMap(chart, 'Config', kplus.ConfigMap.fromConfigMapName(chart, 'ConfigMap', 'podinfo-config'), { name: 'config' }) },
    ],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [kplus.NodeTaintQuery.is('dedicated', 'web', { effect: kplus.TaintEffect.NO_SCHEDULE })],
    nodeAffinity: [{ node: kplus.Node.labeled(kplus.NodeLabelQuery.in('pool', ['web', 'general'])), weight: 50 }],
    podAffinity: [{ pods: kplus.Pods.select(chart, 'Cache', { labels: { 'app.kubernetes.io/name': 'cache' } }), topology: kplus.Topology.ZONE, weight: 10 }],
    podAntiAffinity: [{ pods: kplus.Pods.select(chart, 'Self', { labels: { 'app.kubernetes.io/name': 'podinfo' } }) }],
    topologySpread: [
      { topology: kplus.Topology.ZONE },
      { topology: kplus.Topology.HOSTNAME, maxSkew: 2, whenUnsatisfiable: UnsatisfiableSpread.DO_NOT_SCHEDULE, minDomains: 3 },
    ],
    imagePullSecrets: ['regcred', 'mirror'],
    priorityClassName: 'web-critical',
  };
}

/** What the pod template of every generated Deployment carries with `podOptions()`, field by field. */
const EXPECTED_POD_SPEC = {
  serviceAccountName: 'podinfo',
  automountServiceAccountToken: true,
  volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'config', configMap: { name: 'podinfo-config' } }],
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
  imagePullSecrets: [{ name: 'regcred' }, { name: 'mirror' }],
  priorityClassName: 'web-critical',
  affinity: {
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 50, preference: { matchExpressions: [{ key: 'pool', operator: 'In', values: ['web', 'general'] }] } },
      ],
    },
    podAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 10, podAffinityTerm: { topologyKey: 'topology.kubernetes.io/zone', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'cache' } } } },
      ],
    },
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'podinfo' } } },
      ],
    },
  },
  topologySpreadConstraints: [
    {
      maxSkew: 1,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'podinfo' } },
      matchLabelKeys: ['pod-template-hash', 'rollouts-pod-template-hash'],
    },
    {
      maxSkew: 2,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'DoNotSchedule',
      minDomains: 3,
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'podinfo' } },
      matchLabelKeys: ['pod-template-hash', 'rollouts-pod-template-hash'],
    },
  ],
};

function declare(props: (chart: Chart) => Partial<CanaryServiceProps>): { manifests: any[]; service: CanaryService } {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const service = new CanaryService(chart, 'podinfo', {
    image: IMAGE,
    containerPort: 9898,
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
    gitOps: GitOps.none(),
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
    ...props(chart),
  });
  return { manifests: synth(chart), service };
}

/** Whether a Kubernetes label selector selects a pod with these labels. */
function selects(selector: any, labels: { [key: string]: string }): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpression = (selector.matchExpressions ?? []).every((e: any) => {
    switch (e.operator) {
      case 'In': return e.key in labels && e.values.includes(labels[e.key]);
      case 'NotIn': return !(e.key in labels) || !e.values.includes(labels[e.key]);
      case 'Exists': return e.key in labels;
      case 'DoesNotExist': return !(e.key in labels);
      default: throw new Error(`operator ${e.operator}`);
    }
  });
  return byLabel && byExpression;
}

/**
 * The primary Deployment's pod template as Flagger v1.44.0 creates it from the target
 * (pkg/canary/deployment_controller.go createPrimaryDeployment, getPrimaryDeploymentTemplateSpec and
 * appendPrimarySuffixToValuesIfNeeded; util.go makePrimaryLabels; its default -selector-labels):
 * the whole pod spec copied, the selector label's value suffixed `-primary` on the pods and in
 * topology spread and anti-affinity selectors naming the target.
 */
function flaggerPrimaryTemplate(target: any): any {
  const SELECTOR_LABELS = ['app', 'name', 'app.kubernetes.io/name'];
  const label = SELECTOR_LABELS.find((key) => key in target.spec.selector.matchLabels)!;
  const primaryValue = `${target.spec.selector.matchLabels[label]}-primary`;
  const template = JSON.parse(JSON.stringify(target.spec.template));
  template.metadata.labels = { ...Object.fromEntries(Object.entries(template.metadata.labels).filter(([k]) => !k.includes('toolkit.fluxcd.io'))), [label]: primaryValue };
  const suffix = (selector: any) => {
    if (!selector) return;
    for (const e of selector.matchExpressions ?? []) {
      if (!SELECTOR_LABELS.includes(e.key)) continue;
      const i = e.values.indexOf(target.metadata.name);
      if (i >= 0) e.values[i] += '-primary';
    }
    for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
      if (SELECTOR_LABELS.includes(key) && value === target.metadata.name) selector.matchLabels[key] = `${value}-primary`;
    }
  };
  for (const spread of template.spec.topologySpreadConstraints ?? []) suffix(spread.labelSelector);
  const anti = template.spec.affinity?.podAntiAffinity;
  for (const term of anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []) suffix(term.podAffinityTerm.labelSelector);
  for (const term of anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []) suffix(term.labelSelector);
  return template;
}

const OTHER_PODS = [
  { 'app.kubernetes.io/name': 'flagger-loadtester' },
  { 'app.kubernetes.io/name': 'canary-prometheus' },
  { 'app.kubernetes.io/name': 'podinfo-canary' },
];

describe('Flagger: the settings reach the canary and the primary pods', () => {
  const { manifests, service } = declare((chart) => ({ ...podOptions(chart), disruptionBudget: {} }));
  const target = only(manifests, 'Deployment', 'podinfo');
  const primary = flaggerPrimaryTemplate(target);

  test('the target Deployment (the canary pods) carries every setting, field by field', () => {
    expect(target.spec.template.spec).toEqual(expect.objectContaining(EXPECTED_POD_SPEC));
    expect(target.spec.template.spec.containers[0].volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'config', mountPath: '/etc/podinfo', readOnly: true },
    ]);
  });

  test('the pods still pass Pod Security "restricted"', () => {
    const pod = target.spec.template.spec;
    expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 }));
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 65532,
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.hostNetwork ?? false).toBe(false);
    for (const volume of pod.volumes) expect(Object.keys(volume).filter((k) => k !== 'name')).toEqual([expect.stringMatching(/^(emptyDir|configMap)$/)]);
  });

  test("the primary Flagger copies keeps them, and its spread and anti-affinity select the primary's own pods", () => {
    for (const field of ['serviceAccountName', 'automountServiceAccountToken', 'volumes', 'nodeSelector', 'tolerations', 'imagePullSecrets', 'priorityClassName'] as const) {
      expect(primary.spec[field]).toEqual(EXPECTED_POD_SPEC[field]);
    }
    const primaryPod = primary.metadata.labels;
    const canaryPod = target.spec.template.metadata.labels;
    expect(primaryPod['app.kubernetes.io/name']).toBe('podinfo-primary');
    for (const spread of primary.spec.topologySpreadConstraints) {
      expect(selects(spread.labelSelector, primaryPod)).toBe(true);
      expect(selects(spread.labelSelector, canaryPod)).toBe(false);
    }
    for (const spread of target.spec.template.spec.topologySpreadConstraints) {
      expect(selects(spread.labelSelector, canaryPod)).toBe(true);
      expect(selects(spread.labelSelector, primaryPod)).toBe(false);
    }
    expect(selects(primary.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector, primaryPod)).toBe(true);
  });

  test('one PodDisruptionBudget selects the primary and the canary pods, and nothing else', () => {
    const pdb = only(manifests, 'PodDisruptionBudget', 'podinfo');
    expect(pdb).toEqual({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'podinfo', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo', 'app.kubernetes.io/managed-by': 'cdk8s-canary' } },
      spec: {
        maxUnavailable: 1,
        selector: { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['podinfo', 'podinfo-primary'] }] },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
    expect(selects(pdb.spec.selector, { ...primary.metadata.labels, 'pod-template-hash': '5d9f7c6b8' })).toBe(true);
    expect(selects(pdb.spec.selector, { ...target.spec.template.metadata.labels, 'pod-template-hash': '7c8d9e6f5' })).toBe(true);
    for (const labels of OTHER_PODS) expect(selects(pdb.spec.selector, labels)).toBe(false);
    expect(service.disruptionBudget?.name).toBe('podinfo');
  });
});

describe.each([
  ['WORKLOAD_REF', RolloutWorkloadMode.WORKLOAD_REF],
  ['INLINE_TEMPLATE', RolloutWorkloadMode.INLINE_TEMPLATE],
])('Argo Rollouts (%s): the settings reach every ReplicaSet of the Rollout', (_mode, workloadMode) => {
  test.each([['canary', undefined], ['blue/green', DeliveryStrategy.blueGreen({ iterations: 5 })]] as const)('%s', (_strategy, strategy) => {
    const { manifests } = declare((chart) => ({
      ...podOptions(chart),
      engine: DeliveryEngine.argoRollouts({ workloadMode }),
      strategy,
      disruptionBudget: { minAvailable: kplus.PercentOrAbsolute.percent(50) },
    }));
    const rollout = only(manifests, 'Rollout', 'podinfo');
    // The pod template Argo Rollouts runs: its own, or the referenced Deployment's.
    const template = workloadMode === RolloutWorkloadMode.INLINE_TEMPLATE ? rollout.spec.template : only(manifests, 'Deployment', rollout.spec.workloadRef.name).spec.template;
    expect(template.spec).toEqual(expect.objectContaining(EXPECTED_POD_SPEC));
    const pdb = only(manifests, 'PodDisruptionBudget', 'podinfo');
    expect(pdb.spec).toEqual({ minAvailable: '50%', selector: { matchLabels: { 'app.kubernetes.io/name': 'podinfo' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(pdb.spec.selector).toEqual(rollout.spec.selector);
    // Stable, canary and preview pods: the template's labels and the ReplicaSet's hash.
    for (const hash of ['5d9f7c6b8', '7c8d9e6f5']) {
      const pod = { ...template.metadata.labels, 'rollouts-pod-template-hash': hash };
      expect(selects(pdb.spec.selector, pod)).toBe(true);
      for (const spread of template.spec.topologySpreadConstraints) expect(selects(spread.labelSelector, pod)).toBe(true);
    }
    for (const labels of OTHER_PODS) expect(selects(pdb.spec.selector, labels)).toBe(false);
  });
});

test.each([
  ['Flagger', DeliveryEngine.flagger()],
  ['Argo Rollouts, inline template', DeliveryEngine.argoRollouts({ workloadMode: RolloutWorkloadMode.INLINE_TEMPLATE })],
])('%s: every object with every pod option and a budget passes the Kubernetes and CRD schemas', (_engine, engine) => {
  const { manifests } = declare((chart) => ({ ...podOptions(chart), engine, disruptionBudget: {} }));
  const problems = new ConformanceChecker().checkApp(manifests.map((object, index) => ({ file: 'app.yaml', index, object })))
    .filter((result) => result.problems.length > 0);
  expect(problems).toEqual([]);
  expect(manifests.map((m) => m.kind)).toEqual(expect.arrayContaining(['PodDisruptionBudget']));
});

// Pod Security "restricted", which a Deployment of one's own must meet too.
const RESTRICTED: kplus.ContainerSecurityContextProps = {
  user: 1000,
  capabilities: { drop: [kplus.Capability.ALL] },
  seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
};

describe('a Deployment of the team', () => {
  function teamDeployment(chart: Chart): kplus.Deployment {
    const deployment = new kplus.Deployment(chart, 'web-deployment', {
      metadata: { name: 'podinfo' },
      select: false,
      podMetadata: { labels: { app: 'web' } },
      containers: [{ image: IMAGE, ports: [{ number: 9898, name: 'http' }], securityContext: RESTRICTED }],
    });
    deployment.select(kplus.LabelSelector.of({ labels: { app: 'web' } }));
    return deployment;
  }

  test('gets a PodDisruptionBudget on its own selector label (Flagger appends -primary to its value)', () => {
    const { manifests } = declare((chart) => ({
      image: undefined, containerPort: undefined, deployment: teamDeployment(chart), disruptionBudget: {},
    }));
    expect(only(manifests, 'PodDisruptionBudget', 'podinfo').spec.selector).toEqual({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'web-primary'] }] });
  });

  test('and the pod options are rejected together: they belong on the Deployment', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
    expect(() => declareService(chart, 'podinfo', {
      deployment: teamDeployment(chart),
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      priorityClassName: 'web-critical',
      engine: DeliveryEngine.flagger(),
      router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
      analysis: { webhooks: [CanaryWebhook.loadTest()] },
    })).toThrow("CanaryService 'podinfo': either 'deployment' or the pod options ('nodeSelector', 'priorityClassName'), not both: "
      + 'set them on your Deployment, whose pod template the controller copies');
  });
});

test('without pod options and budget, the template has none of these fields and there is no PodDisruptionBudget', () => {
  const { manifests } = declare(() => ({}));
  const spec = only(manifests, 'Deployment', 'podinfo').spec.template.spec;
  for (const field of ['serviceAccountName', 'volumes', 'nodeSelector', 'tolerations', 'affinity', 'topologySpreadConstraints', 'imagePullSecrets', 'priorityClassName']) {
    expect(spec[field]).toBeUndefined();
  }
  expect(spec.automountServiceAccountToken).toBe(false);
  expect(manifests.filter((m) => m.kind === 'PodDisruptionBudget')).toEqual([]);
});

describe('mistakes, all reported together', () => {
  const OWNER = "CanaryService 'podinfo'";
  /** The messages synth reports, without the header line and the construct path. */
  function mistakes(declaration: () => unknown): string[] {
    try {
      declaration();
    } catch (error) {
      return (error as Error).message.split('\n').slice(1).map((line) => line.trim().replace(/^\[[^\]]+\] /, ''));
    }
    return [];
  }

  test('pod options', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
    expect(mistakes(() => declareService(chart, 'podinfo', {
      image: IMAGE,
      engine: DeliveryEngine.flagger(),
      router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
      analysis: { webhooks: [CanaryWebhook.loadTest()] },
      nodeAffinity: [{ node: kplus.Node.labeled(kplus.NodeLabelQuery.is('pool', 'web')), weight: 0 }],
      podAntiAffinity: [{ pods: kplus.Pods.select(chart, 'Self', { labels: { app: 'x' } }), weight: 101 }],
      topologySpread: [
        { topology: kplus.Topology.ZONE, maxSkew: 0, minDomains: 2 },
        { topology: kplus.Topology.ZONE },
      ],
      nodeSelector: { 'bad key!': 'ok', 'pool': 'not ok!' },
      imagePullSecrets: ['Regcred', 'mirror', 'mirror'],
      priorityClassName: 'High_Priority',
      serviceAccount: kplus.ServiceAccount.fromServiceAccountName(chart, 'ServiceAccount', 'Web_SA'),
      volumeMounts: [
        { path: '/host', volume: kplus.Volume.fromHostPath(chart, 'Host', 'host', { path: '/var/run' }) },
        { path: '/tmp', volume: kplus.Volume.fromEmptyDir(chart, 'Tmp', 'scratch') },
        { path: '/tmp', volume: kplus.Volume.fromEmptyDir(chart, 'Cache', 'scratch') },
      ],
    }))).toEqual([
      `${OWNER}: 'nodeAffinity[0].weight' (0) must be an integer between 1 and 100`,
      `${OWNER}: 'podAntiAffinity[0].weight' (101) must be an integer between 1 and 100`,
      `${OWNER}: 'topologySpread[0].maxSkew' (0) must be an integer between 1 and 1000`,
      `${OWNER}: 'topologySpread[0].minDomains' (2) needs 'whenUnsatisfiable: UnsatisfiableSpread.DO_NOT_SCHEDULE': the API server rejects it with ScheduleAnyway`,
      `${OWNER}: 'topologySpread[1]' spreads over 'topology.kubernetes.io/zone' with ScheduleAnyway a second time; the API server accepts one constraint per topology key and action`,
      `${OWNER}: 'nodeSelector' key 'bad key!' must be a label key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
      `${OWNER}: 'nodeSelector.pool' ('not ok!') must be a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
      `${OWNER}: 'imagePullSecrets[0]' ('Regcred') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'`,
      `${OWNER}: 'imagePullSecrets' ('Regcred', 'mirror', 'mirror') names a Secret twice`,
      `${OWNER}: 'priorityClassName' ('High_Priority') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'`,
      `${OWNER}: 'serviceAccount' ('Web_SA') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'`,
      `${OWNER}: 'volumeMounts[0].volume' ('host') is a hostPath volume, which Pod Security "restricted" forbids: use one of configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret`,
      `${OWNER}: 'volumeMounts[2].path' ('/tmp') is also 'volumeMounts[1].path': the API server accepts one mount per path`,
      `${OWNER}: 'volumeMounts[2].volume' is named 'scratch' like the different volume of 'volumeMounts[1]': give each volume a name of its own, or mount the same Volume object twice`,
    ]);
  });

  test.each([
    [{ maxUnavailable: kplus.PercentOrAbsolute.absolute(1), minAvailable: kplus.PercentOrAbsolute.absolute(1) }, 2,
      "'disruptionBudget' sets both 'maxUnavailable' and 'minAvailable'; the API server takes one: give one of them"],
    [{ maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }, 2,
      "'disruptionBudget.maxUnavailable' (0) lets no pod be evicted, so every node drain and cluster upgrade would wait on it forever: give at least 1 (or 1%)"],
    [{ maxUnavailable: kplus.PercentOrAbsolute.percent(0) }, 2,
      "'disruptionBudget.maxUnavailable' ('0%') lets no pod be evicted, so every node drain and cluster upgrade would wait on it forever: give at least 1 (or 1%)"],
    [{ minAvailable: kplus.PercentOrAbsolute.absolute(3) }, 3,
      "'disruptionBudget.minAvailable' (3) lets no pod be evicted, so every node drain and cluster upgrade would wait on it forever: give at most 2 of the 3 replicas the autoscaler keeps at the least, or a percentage below 100%"],
    [{ minAvailable: kplus.PercentOrAbsolute.percent(100) }, 3,
      "'disruptionBudget.minAvailable' ('100%') lets no pod be evicted, so every node drain and cluster upgrade would wait on it forever: give at most 2 of the 3 replicas the autoscaler keeps at the least, or a percentage below 100%"],
    [{ minAvailable: kplus.PercentOrAbsolute.percent(150) }, 3,
      "'disruptionBudget.minAvailable' ('150%') must be a whole number of pods or a whole percentage from 0% to 100%"],
    [{ maxUnavailable: kplus.PercentOrAbsolute.absolute(1.5) }, 3,
      "'disruptionBudget.maxUnavailable' (1.5) must be a whole number of pods or a whole percentage from 0% to 100%"],
  ])('disruption budget %j with %i replicas', (budget, replicas, message) => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
    expect(() => declareService(chart, 'podinfo', {
      image: IMAGE,
      replicas,
      engine: DeliveryEngine.flagger(),
      router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
      analysis: { webhooks: [CanaryWebhook.loadTest()] },
      disruptionBudget: budget,
    })).toThrow(`${OWNER}: ${message}`);
  });
});
