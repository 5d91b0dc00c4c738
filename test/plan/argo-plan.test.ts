import { Chart, Duration, Testing } from 'cdk8s';
import {
  ArgoRolloutsEngineOptions, CanaryAnalysisOptions, CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, GateStage, GitOps, PlannedCheckKind,
  RolloutPlan, RolloutStep, TrafficRouter,
} from '../../src';

/** The plan's note on the embedded Prometheus's API-server egress with Cilium (review 19, finding 3). */
const CILIUM_NOTE = "the Prometheus 'test/canary-prometheus' reaches the API server through an ipBlock ('apiServerAddresses') on ports 443 and 6443: "
  + "with Cilium and a control plane on the cluster's nodes (kubeadm, k3s, kind), an ipBlock does not match the nodes unless Cilium runs with "
  + 'policy-cidr-match-mode: nodes; set that, or add a CiliumNetworkPolicy that lets its pods reach toEntities [kube-apiserver], or it finds no pods to scrape';

/**
 * Argo Rollouts 1.9: steps advance on their own (a timed pause after its duration, an indefinite one
 * when someone promotes); the background analysis measures first after `initialDelay` (one query
 * window here), then `interval` after the previous measurement ended, and aborts only when a metric
 * fails more than `failureLimit` (threshold - 1) times. When the steps end, the run is terminated
 * and counts as successful (argo-rollouts analysis/analysis.go, rollout/analysis.go).
 */
function planOf(analysis: CanaryAnalysisOptions, engine: ArgoRolloutsEngineOptions = {}): RolloutPlan {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const service = new CanaryService(chart, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: DeliveryEngine.argoRollouts(engine),
    router: TrafficRouter.istio({ hosts: ['app.example.com'] }),
    analysis: { webhooks: [CanaryWebhook.loadTest()], ...analysis },
  });
  return service.plan!;
}

const seconds = (d: Duration | undefined) => d?.toSeconds();
const METRICS = (n: number) => [
  { name: 'request-success-rate', kind: PlannedCheckKind.METRIC, measurements: n },
  { name: 'request-duration', kind: PlannedCheckKind.METRIC, measurements: n },
  { name: 'load-test', kind: PlannedCheckKind.LOAD, measurements: 1 },
];

describe('the default translation: the first weight held until the analysis can fail', () => {
  const plan = planOf({});

  test('10 % for 6 minutes, then a minute at each weight; full promotion after 10 minutes', () => {
    expect(plan.phases.map((p) => [p.description, p.weight, seconds(p.startsAfter), seconds(p.minDuration)])).toEqual([
      ['weight 10%', 10, 0, 360],
      ['weight 20%', 20, 360, 60],
      ['weight 30%', 30, 420, 60],
      ['weight 40%', 40, 480, 60],
      ['weight 50%', 50, 540, 60],
      ['full promotion', 100, 600, 0],
    ]);
    expect(seconds(plan.earliestPromotion)).toBe(600);
  });

  test('measurements: first after one window (1m), then every minute, 5 at the first weight', () => {
    expect(plan.phases.map((p) => p.checks)).toEqual([METRICS(5), METRICS(1), METRICS(1), METRICS(1), METRICS(1), []]);
  });

  test('a canary bad from the start is aborted at the fifth failure, still at 10 %', () => {
    expect(seconds(plan.firstPossibleFailure)).toBe(300);
    expect(seconds(plan.badCanary?.rolledBackAfter)).toBe(300);
    expect(plan.badCanary?.weight).toBe(10);
    expect(plan.problems).toEqual([]);
    expect(plan.engine).toBe('argo-rollouts');
    expect(plan.summary).toBe('measures every 1m; aborts after 5 failed measurements of a metric; 10 steps, background analysis from the hold of weight 10%');
    expect(plan.notes).toEqual([
      'the background analysis does not hold the steps: they advance on their own schedule, and only failures beyond failureLimit abort',
      'services during a release: the new version at podinfo-canary; every pod of both versions at podinfo; all in the manifests',
      "NetworkPolicies fence the analysis Jobs, the Prometheus 'test/canary-prometheus': they hold only with a CNI that enforces NetworkPolicies "
        + '(Calico, Cilium, Antrea, kindnetd of kind v0.24.0 and later, ...); without one (flannel, kind before v0.24.0) any pod can post commands to the loadtester and query Prometheus, and the commands reach any address',
      "DNS: these NetworkPolicies allow DNS to the cluster DNS pods (k8s-app: kube-dns) and to 'dns.extraAddresses' alone; where NodeLocal DNSCache runs, it answers on the node, "
        + "which no pod selector matches, so give its address in 'dns.extraAddresses' (Prometheus.of(chart, namespace, { dns }), DeliveryEngine.argoRollouts({ dns })): "
        + 'on GKE (Autopilot always runs it, Standard by default from 1.33.1) and with kube-proxy in iptables mode, the kube-dns Service\'s ClusterIP '
        + '(kubectl -n kube-system get service kube-dns); with kube-proxy in IPVS mode, 169.254.20.10; with GKE Cloud DNS, 169.254.169.254',
      CILIUM_NOTE,
      "GitOps (GitOps.none()): whatever applies these files again must leave alone the fields Argo Rollouts rewrites in Service 'podinfo-canary', "
        + "VirtualService 'podinfo', DestinationRule 'podinfo' (CanaryService.controllerRewrites lists them)",
    ]);
  });
});

test('the canonical example as documented (5m checks, 30 s at 50 %) cannot fail, and says how long to hold', () => {
  const plan = planOf({
    interval: Duration.minutes(5),
    threshold: 4,
    steps: [RolloutStep.weight(20), RolloutStep.pause(), RolloutStep.weight(50), RolloutStep.pause(Duration.seconds(30)), RolloutStep.weight(100)],
    metrics: [CanaryMetric.requestSuccessRate({ min: 95, interval: Duration.minutes(5) })],
  }, { analysisStartingStep: 2 });
  expect(plan.problems).toEqual([
    "the background analysis can measure 'request-success-rate' only 0 times before full promotion (it starts at 'analysis.steps[2]', measures first after 5m "
    + 'and then every 5m, and the steps from there take 30s without the time people take), but it takes 4 failed measurements to abort '
    + "(failureLimit 3, from 'analysis.threshold' 4): an analysis cut short by promotion counts as successful, so a bad canary would be promoted. "
    + "Hold the weights at least 19m40s longer after 'analysis.steps[2]' (a longer RolloutStep.pause() at a weight below 100%), or lower 'analysis.interval' or 'analysis.threshold'",
  ]);
  expect(plan.badCanary).toBeUndefined();
  expect(plan.canStopBadCanary).toBe(false);
  // The manual pause at 20 % waits for a person and counts for nothing in the earliest schedule.
  expect(plan.phases.map((p) => [p.weight, p.waitsForPerson])).toEqual([[20, true], [50, false], [100, false]]);
});

test('exactly enough time: 4 measurements fit when the 50 % step lasts one window, three intervals and the slack', () => {
  const steps = (hold: Duration) => [
    RolloutStep.weight(20), RolloutStep.pause(), RolloutStep.weight(50), RolloutStep.pause(hold), RolloutStep.weight(100),
  ];
  const options = { interval: Duration.minutes(1), threshold: 4, metrics: [CanaryMetric.requestSuccessRate()] };
  expect(planOf({ ...options, steps: steps(Duration.seconds(250)) }, { analysisStartingStep: 2 }).problems).toEqual([]);
  expect(planOf({ ...options, steps: steps(Duration.seconds(249)) }, { analysisStartingStep: 2 }).problems).toHaveLength(1);
});

test('an analysis that starts after the last weight below 100 % never sees the canary next to the stable version', () => {
  const plan = planOf({
    steps: [RolloutStep.weight(20), RolloutStep.pause(Duration.minutes(10)), RolloutStep.weight(100), RolloutStep.pause(Duration.minutes(10))],
  }, { analysisStartingStep: 2 });
  expect(plan.problems).toContain(
    "the background analysis starts at 'analysis.steps[2]', after the last weight below 100%: it never measures the canary while the stable version still takes traffic; start it earlier ('analysisStartingStep') or hold a weight below 100% after it",
  );
});

test('a metric measured less often than its window leaves time unmeasured', () => {
  expect(planOf({ interval: Duration.minutes(2), metrics: [CanaryMetric.requestSuccessRate()] }).problems).toContain(
    "the check 'request-success-rate' measures every 2m ('analysis.interval') over the last 1m only (its 'interval'), so 1m of every interval is never measured and a canary failing then would pass: set the metric's 'interval' to at least 2m",
  );
});

describe('step analyses', () => {
  const plan = planOf({
    steps: [RolloutStep.weight(20), RolloutStep.analysis(), RolloutStep.weight(50), RolloutStep.pause(Duration.minutes(10)), RolloutStep.weight(100)],
  });

  test('the step holds the weight until its 3 measurements are taken (and its load Job has run)', () => {
    const first = plan.phases[0];
    expect([first.weight, seconds(first.minDuration)]).toEqual([20, 195]);
    expect(first.checks.slice(0, 3)).toEqual([
      { name: 'request-success-rate', kind: PlannedCheckKind.METRIC, measurements: 3 },
      { name: 'request-duration', kind: PlannedCheckKind.METRIC, measurements: 3 },
      { name: 'load-test', kind: PlannedCheckKind.LOAD, measurements: 1 },
    ]);
  });

  test('the step analysis aborts at its third failure (failureLimit min(threshold - 1, count - 1) = 2): a canary bad from the start stops at 20 %', () => {
    expect(seconds(plan.badCanary?.rolledBackAfter)).toBe(180);
    expect(plan.badCanary?.weight).toBe(20);
    expect(plan.problems).toEqual([]);
  });
});

test('a load command of one\'s own in a step analysis must last until the last measurement', () => {
  const plan = planOf({
    webhooks: [CanaryWebhook.loadTest({ command: 'hey -z 30s http://podinfo-canary.test:80/' })],
    steps: [RolloutStep.weight(20), RolloutStep.analysis(), RolloutStep.pause(Duration.minutes(10)), RolloutStep.weight(100)],
  });
  expect(plan.problems).toContain(
    "in a RolloutStep.analysis() step the load test 'load-test' runs 3 times for 30s, but the metrics measure until 3m: the load stops before the analysis does; use CanaryWebhook.loadTest() without 'command', or a longer duration in the command",
  );
});

test('gates are indefinite pauses: before the rollout and before promotion', () => {
  const plan = planOf({
    stepWeights: [50],
    webhooks: [
      CanaryWebhook.loadTest(),
      CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_ROLLOUT }),
      CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION }),
    ],
  });
  expect(plan.phases.map((p) => [p.description, p.weight, p.waitsForPerson])).toEqual([
    ['new revision: canary pods start', 0, true],
    ['weight 50%', 50, true],
    ['full promotion', 100, false],
  ]);
});

test('acceptance tests run on one canary pod before any traffic, and can abort at once', () => {
  const plan = planOf({ webhooks: [CanaryWebhook.acceptanceTest({ command: 'curl -s http://podinfo-canary.test/' }), CanaryWebhook.loadTest()] });
  expect(plan.phases[0]).toEqual(expect.objectContaining({
    description: 'acceptance tests on one canary pod', weight: 0, checks: [{ name: 'acceptance-test', kind: PlannedCheckKind.TEST, measurements: 1 }],
  }));
  expect(seconds(plan.firstPossibleFailure)).toBe(0);
});
