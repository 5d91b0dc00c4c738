import { Chart, Duration, Testing } from 'cdk8s';
import {
  CanaryAnalysisOptions, CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, GateStage, PlannedCheckKind, RolloutPlan, TrafficRouter,
} from '../../src';

/**
 * Flagger 1.44 (pkg/controller/scheduler.go, advanceCanary) runs one tick per interval: T0 sees the
 * new revision and scales the canary up; T1 runs the pre-rollout hooks and sets the first weight;
 * T2 .. T(N+1) run the load hooks and the checks over the weight set one tick before, then raise the
 * weight (or promote after the last); the tick after the threshold-th failed check rolls back.
 */
function planOf(analysis: CanaryAnalysisOptions, engine = DeliveryEngine.flagger()): RolloutPlan {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const service = new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine,
    router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
    analysis: { webhooks: [CanaryWebhook.loadTest()], ...analysis },
  });
  return service.plan!;
}

const minutes = (n: number) => Duration.minutes(n).toSeconds();
const seconds = (d: Duration | undefined) => d?.toSeconds();

describe('the defaults: every minute, 10 % to 50 % by 10, rollback at the fifth failed check', () => {
  const plan = planOf({});

  test('a phase to scale up, one per weight, and the promotion', () => {
    expect(plan.phases.map((p) => [p.description, p.weight, seconds(p.startsAfter), seconds(p.minDuration)])).toEqual([
      ['new revision: scale up the canary', 0, 0, 60],
      ['weight 10%', 10, 60, 60],
      ['weight 20%', 20, 120, 60],
      ['weight 30%', 30, 180, 60],
      ['weight 40%', 40, 240, 60],
      ['weight 50%', 50, 300, 60],
      ['promotion: the primary takes the new version', 50, 360, 60],
    ]);
    expect(plan.phases.some((p) => p.waitsForPerson)).toBe(false);
  });

  test('each weight is measured once by every check, after the load test ran through it', () => {
    expect(plan.phases[1].checks).toEqual([
      { name: 'load-test', kind: PlannedCheckKind.LOAD, measurements: 1 },
      { name: 'request-success-rate', kind: PlannedCheckKind.METRIC, measurements: 1 },
      { name: 'request-duration', kind: PlannedCheckKind.METRIC, measurements: 1 },
    ]);
    expect(plan.phases[0].checks).toEqual([]);
    expect(plan.phases[6].checks).toEqual([]);
  });

  test('full promotion after 7 ticks; the first rollback after T2 + 5 ticks; a bad canary stays at 10 % for 6 minutes', () => {
    expect(seconds(plan.earliestPromotion)).toBe(minutes(7));
    expect(seconds(plan.firstPossibleFailure)).toBe(minutes(7));
    expect(seconds(plan.badCanary?.rolledBackAfter)).toBe(minutes(6));
    expect(plan.badCanary?.weight).toBe(10);
    expect(plan.badCanary?.description).toBe('its checks fail from the first analysis on, which holds it at 10%; it is rolled back after 6m of traffic (5 failed checks)');
    expect(plan.canStopBadCanary).toBe(true);
    expect(plan.problems).toEqual([]);
    expect(plan.engine).toBe('flagger');
    expect(plan.summary).toBe('checks every 1m; rolls back after 5 failed checks in all; weights 10, 20, 30, 40, 50%');
  });
});

test('an acceptance test runs before the first weight and can fail one tick earlier', () => {
  const plan = planOf({ webhooks: [CanaryWebhook.acceptanceTest({ command: 'curl -s http://podinfo-canary.test/' }), CanaryWebhook.loadTest()] });
  expect(plan.phases[1].description).toBe('tests, then weight 10%');
  expect(plan.phases[1].checks[0]).toEqual({ name: 'acceptance-test', kind: PlannedCheckKind.TEST, measurements: 1 });
  expect(plan.phases[2].checks.map((c) => c.name)).not.toContain('acceptance-test');
  expect(seconds(plan.firstPossibleFailure)).toBe(minutes(6));
});

test('gates wait for a person; one loadtester gate approves every held stage', () => {
  const plan = planOf({
    webhooks: [
      CanaryWebhook.loadTest(),
      CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_ROLLOUT }),
      CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION }),
    ],
  });
  expect(plan.phases.map((p) => p.waitsForPerson)).toEqual([true, false, false, false, false, true, false]);
  expect(plan.phases[0].checks).toEqual([{ name: 'confirm-rollout-gate', kind: PlannedCheckKind.GATE, measurements: 1 }]);
  expect(plan.phases[5].checks.at(-1)).toEqual({ name: 'confirm-promotion-gate', kind: PlannedCheckKind.GATE, measurements: 1 });
  expect(plan.notes).toContain('the loadtester keeps one gate per canary: one /gate/open approves every held stage (each traffic increase and the promotion) until /gate/close');
});

test('stepWeightPromotion moves traffic to the primary over several ticks', () => {
  const plan = planOf({ stepWeights: [20, 60], stepWeightPromotion: 25 });
  const promotion = plan.phases.at(-1)!;
  // 60 % comes back to the primary 25 at a time: 3 ticks.
  expect([promotion.weight, seconds(promotion.startsAfter), seconds(promotion.minDuration)]).toEqual([60, minutes(3), minutes(3)]);
  expect(seconds(plan.earliestPromotion)).toBe(minutes(6));
});

describe('problems: what would keep the analysis from stopping a bad canary', () => {
  test('no checks at all', () => {
    expect(planOf({ metrics: [], webhooks: [] }).problems).toEqual([
      "the analysis has no checks, so nothing can stop a bad canary: add metrics to 'analysis.metrics' (e.g. CanaryMetric.requestSuccessRate()), or a test to 'analysis.webhooks'",
    ]);
  });

  test('skipAnalysis is deliberate: a note, not a problem', () => {
    const plan = planOf({}, DeliveryEngine.flagger({ skipAnalysis: true }));
    expect(plan.problems).toEqual([]);
    expect(plan.notes).toContain('skipAnalysis is set: Flagger promotes without running any check');
    expect(plan.badCanary).toBeUndefined();
  });

  test('a query window shorter than the interval leaves time unmeasured', () => {
    const plan = planOf({ interval: Duration.minutes(2), metrics: [CanaryMetric.requestSuccessRate({ interval: Duration.seconds(30) })] });
    expect(plan.problems).toEqual([
      "the check 'request-success-rate' measures every 2m ('analysis.interval') over the last 30s only (its 'interval'), so 1m30s of every interval is never measured and a canary failing then would pass: set the metric's 'interval' to at least 2m",
    ]);
  });

  test.each([
    // A run of D seconds restarts at the first call after it ends: the window holds D + W - (floor(D/I) + 1) * I seconds of load.
    ['10s', 10],
    // The loadtester drops the call at the next interval (the run still goes), so the interval after it has none.
    ['1m10s', 10],
    // A run exactly as long as the interval is still going when the next call comes, most of the time.
    ['1m', 0],
    ['2m', 0],
  ])('a load of %s per call, every minute, over a 1m window: %ds of load in a window', (run, covered) => {
    const command = `hey -z ${run} -q 5 -c 2 -host app.example.com http://traefik.traefik/`;
    expect(planOf({ webhooks: [CanaryWebhook.loadTest({ command })], metrics: [CanaryMetric.requestSuccessRate()] }).problems).toEqual([
      `the load test 'load-test' runs ${run} per call, Flagger calls it every 1m, and the loadtester drops a call while the same command still runs, `
      + `so the load stops before the analysis does: the 1m window of 'request-success-rate' holds ${covered}s of load at times, and 15s are needed for a rate; `
      + "use a duration a little under the interval (CanaryWebhook.loadTest() without 'duration' does), or a longer metric 'interval'",
    ]);
  });

  test.each(['30s', '54s'])('a load of %s per call every minute is enough for a 1m window', (run) => {
    const command = `hey -z ${run} -host app.example.com http://traefik.traefik/`;
    expect(planOf({ webhooks: [CanaryWebhook.loadTest({ command })] }).problems).toEqual([]);
  });

  test('a load whose duration cannot be told is not judged', () => {
    expect(planOf({ webhooks: [CanaryWebhook.loadTest({ command: 'hey -n 1000 -host app.example.com http://traefik.traefik/' })] }).problems).toEqual([]);
  });

  test('live traffic needs no load', () => {
    const command = 'hey -z 5s -host app.example.com http://traefik.traefik/';
    expect(planOf({ receivesLiveTraffic: true, webhooks: [CanaryWebhook.loadTest({ command })] }).problems).toEqual([]);
  });
});

describe('the table and the JSON', () => {
  const plan = planOf({ interval: Duration.seconds(30), stepWeights: [10, 50] });

  test('a table a person reads at a glance', () => {
    expect(plan.toTable()).toBe([
      'test/podinfo (flagger): checks every 30s; rolls back after 5 failed checks in all; weights 10, 50%',
      'phase                                         weight  from   holds  person  checks (measurements)',
      '--------------------------------------------  ------  -----  -----  ------  -------------------------------------------------------',
      'new revision: scale up the canary                 0%  0s     30s',
      'weight 10%                                       10%  30s    30s            load-test, request-success-rate x1, request-duration x1',
      'weight 50%                                       50%  1m     30s            load-test, request-success-rate x1, request-duration x1',
      'promotion: the primary takes the new version     50%  1m30s  30s',
      'full promotion at the earliest after 2m',
      'the analysis can first roll back after 3m30s',
      'a canary bad from its first request: its checks fail from the first analysis on, which holds it at 10%; it is rolled back after 3m of traffic (5 failed checks)',
      "progress deadline 10m: bounds only how long the canary's or the primary's pods may stay unavailable (then Flagger rolls back), not the analysis or the gates",
      'note: services during a release: the new version at podinfo-canary; the stable version at podinfo, podinfo-primary; Flagger creates them when it initializes the service',
      "note: NetworkPolicies fence the loadtester 'test/flagger-loadtester' (it runs any command it is sent: only the controller's pods may call it), "
        + "the Prometheus 'test/canary-prometheus': they hold only with a CNI that enforces NetworkPolicies (Calico, Cilium, Antrea, kindnetd of kind v0.24.0 and later, ...); "
        + 'without one (flannel, kind before v0.24.0) any pod can post commands to the loadtester and query Prometheus, and the commands reach any address',
      "note: DNS: these NetworkPolicies allow DNS to the cluster DNS pods (k8s-app: kube-dns) and to 'dns.extraAddresses' alone; where NodeLocal DNSCache runs, "
        + "it answers on the node, which no pod selector matches, so give its address in 'dns.extraAddresses' (LoadTester.of(chart, namespace, { dns }), "
        + 'Prometheus.of(chart, namespace, { dns })): on GKE (Autopilot always runs it, Standard by default from 1.33.1) and with kube-proxy in iptables mode, '
        + "the kube-dns Service's ClusterIP (kubectl -n kube-system get service kube-dns); with kube-proxy in IPVS mode, 169.254.20.10; with GKE Cloud DNS, 169.254.169.254",
      "note: the Prometheus 'test/canary-prometheus' reaches the API server through an ipBlock ('apiServerAddresses') on ports 443 and 6443: "
        + "with Cilium and a control plane on the cluster's nodes (kubeadm, k3s, kind), an ipBlock does not match the nodes unless Cilium runs with "
        + 'policy-cidr-match-mode: nodes; set that, or add a CiliumNetworkPolicy that lets its pods reach toEntities [kube-apiserver], or it finds no pods to scrape',
      "note: the Prometheus 'test/canary-prometheus' lists pods in 'traefik' (the router's series), which the platform team must allow: "
        + "a Role and RoleBinding 'traefik/canary-prometheus-test' (list and watch on pods, bound to ServiceAccount 'test/canary-prometheus'). "
        + "They are not synthesized (a team's namespace-scoped GitOps reconciler may not write there): SharedAddons.configure(app, { platformRbacScope: platformApp }) "
        + "writes them to canary-platform-rbac.k8s.yaml in another App's outdir, the file to hand to the platform team. "
        + 'Without them Prometheus keeps no router series and every check of the router has no data',
      '',
    ].join('\n'));
  });

  test('the same as data, durations in seconds', () => {
    expect(plan.toJson()).toEqual(expect.objectContaining({
      service: 'podinfo',
      namespace: 'test',
      engine: 'flagger',
      earliestPromotionSeconds: 120,
      firstPossibleFailureSeconds: 210,
      badCanary: { rolledBackAfterSeconds: 180, weight: 10, description: plan.badCanary!.description },
      canStopBadCanary: true,
      progressDeadline: { seconds: 600, description: "bounds only how long the canary's or the primary's pods may stay unavailable (then Flagger rolls back), not the analysis or the gates" },
      problems: [],
    }));
    expect(plan.toJson().phases[1]).toEqual({
      description: 'weight 10%',
      weight: 10,
      startsAfterSeconds: 30,
      minDurationSeconds: 30,
      waitsForPerson: false,
      checks: [
        { name: 'load-test', kind: 'LOAD', measurements: 1 },
        { name: 'request-success-rate', kind: 'METRIC', measurements: 1 },
        { name: 'request-duration', kind: 'METRIC', measurements: 1 },
      ],
    });
  });
});
