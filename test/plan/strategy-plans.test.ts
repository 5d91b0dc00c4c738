import { Chart, Duration, Testing } from 'cdk8s';
import {
  CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GitOps, IDeliveryEngine, PlannedCheckKind, ReleasePhase, RolloutPlan,
  TrafficRouter, TrafficSegment,
} from '../../src';

/** The plan's note on the embedded Prometheus's API-server egress with Cilium (review 19, finding 3). */
const CILIUM_NOTE = "the Prometheus 'test/canary-prometheus' reaches the API server through an ipBlock ('apiServerAddresses') on ports 443 and 6443: "
  + "with Cilium and a control plane on the cluster's nodes (kubeadm, k3s, kind), an ipBlock does not match the nodes unless Cilium runs with "
  + 'policy-cidr-match-mode: nodes; set that, or add a CiliumNetworkPolicy that lets its pods reach toEntities [kube-apiserver], or it finds no pods to scrape';

/** Every 30 s, rollback at the fifth failure, one-minute windows, the typed load test. */
function planOf(engine: IDeliveryEngine, strategy: DeliveryStrategy): RolloutPlan {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const service = new CanaryService(chart, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine,
    router: TrafficRouter.istio({ hosts: ['app.example.com'] }),
    strategy,
    analysis: {
      interval: Duration.seconds(30),
      threshold: 5,
      metrics: [CanaryMetric.requestSuccessRate({ min: 99 }), CanaryMetric.requestDuration({ max: Duration.millis(500) })],
      webhooks: [CanaryWebhook.loadTest()],
    },
  });
  return service.plan!;
}

const seconds = (d: Duration | undefined) => d?.toSeconds();
const phasesOf = (plan: RolloutPlan) => plan.phases.map((p) => [p.description, p.weight, seconds(p.startsAfter), seconds(p.minDuration)]);
const measurementsOf = (plan: RolloutPlan, phase: number) => Object.fromEntries(plan.phases[phase].checks.map((c) => [c.name, c.measurements]));
const SEGMENTS = 'employees (header x-canary: insider) or users with plan=beta';
const abTest = () => DeliveryStrategy.abTest({ segments: [TrafficSegment.dogFood(), TrafficSegment.userCohort('plan', 'beta')], iterations: 6 });

describe('Flagger', () => {
  const flagger = () => DeliveryEngine.flagger();

  test('A/B: the segments for the iterations (one check each from T2), then promotion; a bad canary never leaves the segments', () => {
    const plan = planOf(flagger(), abTest());
    expect(phasesOf(plan)).toEqual([
      ['new revision: scale up the canary', 0, 0, 30],
      [`A/B: ${SEGMENTS}`, 0, 30, 180],
      ['promotion: the primary takes the new version', 0, 210, 30],
    ]);
    expect(measurementsOf(plan, 1)).toEqual({ 'load-test': 6, 'request-success-rate': 6, 'request-duration': 6 });
    expect(seconds(plan.earliestPromotion)).toBe(240);
    // Failed checks do not advance the iterations: the fifth one, at T6, rolls back at T7.
    expect(seconds(plan.firstPossibleFailure)).toBe(210);
    expect(seconds(plan.badCanary?.rolledBackAfter)).toBe(180);
    expect(plan.badCanary?.description).toBe(`its checks fail from the first analysis on, which holds it on ${SEGMENTS}; it is rolled back after 3m of traffic (5 failed checks)`);
    expect(plan.summary).toBe('checks every 30s; rolls back after 5 failed checks in all; A/B test for 6 intervals');
  });

  test('blue/green: the iterations without live traffic, one more interval with all of it, then promotion', () => {
    const plan = planOf(flagger(), DeliveryStrategy.blueGreen({ iterations: 5 }));
    expect(phasesOf(plan)).toEqual([
      ['new revision: scale up the canary', 0, 0, 30],
      ['preview: no live traffic, load test only', 0, 30, 150],
      ['switch: all traffic to the new version', 100, 180, 30],
      ['promotion: the primary takes the new version', 100, 210, 30],
    ]);
    expect(measurementsOf(plan, 1)['request-success-rate']).toBe(5);
    expect(measurementsOf(plan, 2)['request-success-rate']).toBe(1);
    expect(seconds(plan.earliestPromotion)).toBe(240);
    expect(plan.badCanary?.description).toContain('which holds it in preview, without live traffic');
  });

  test('blue/green with mirroring: the mirrored phase, then the switch', () => {
    const plan = planOf(flagger(), DeliveryStrategy.blueGreen({ iterations: 5, mirrorPercentage: 50 }));
    expect(plan.phases[1].description).toBe('mirror 50% of the traffic to the new version');
    expect(plan.badCanary?.description).toContain('which holds it on mirrored traffic');
  });

  test('session affinity: the weights, and a note on the cookie', () => {
    const plan = planOf(flagger(), DeliveryStrategy.canary({ sessionAffinity: { cookieName: 'beta', maxAge: Duration.hours(2) } }));
    expect(plan.phases.map((p) => p.weight)).toEqual([0, 10, 20, 30, 40, 50, 50]);
    expect(plan.notes).toContain('session affinity: a user routed to the canary keeps the cookie beta for 2h and stays on it');
  });

  test('without autoPromote, blue/green waits for a person before the switch', () => {
    const plan = planOf(flagger(), DeliveryStrategy.blueGreen({ iterations: 5, autoPromote: false }));
    expect(plan.phases.filter((p) => p.waitsForPerson).map((p) => p.description)).toEqual(['switch: all traffic to the new version']);
  });
});

describe('Argo Rollouts', () => {
  const argo = () => DeliveryEngine.argoRollouts();

  test('A/B: the segments on a scaled-up canary until the step analysis ends; aborted on the segments', () => {
    const plan = planOf(argo(), abTest());
    expect(phasesOf(plan)).toEqual([
      [`${SEGMENTS} (header routes 'ab-test-1', 'ab-test-2'), canary at 25% of the pods`, 0, 0, 225],
      ['full promotion', 100, 225, 0],
    ]);
    // Six measurements from 1 m on, every 30 s; the load Job runs until the last.
    expect(measurementsOf(plan, 0)).toEqual({ 'request-success-rate': 6, 'request-duration': 6, 'load-test': 1 });
    expect(seconds(plan.firstPossibleFailure)).toBe(180);
    expect(plan.badCanary?.description).toBe(`its measurements fail from the start; the rollout is aborted after 3m of traffic, on ${SEGMENTS}`);
    expect(plan.problems).toEqual([]);
  });

  test('blue/green: the preview with its pre-promotion analysis, then the switch with the post-promotion analysis', () => {
    const plan = planOf(argo(), DeliveryStrategy.blueGreen({ iterations: 5 }));
    expect(phasesOf(plan)).toEqual([
      ['preview: the new version beside the old one, no live traffic', 0, 0, 195],
      ['switch: all traffic to the new version, the old one still up', 100, 195, 135],
      ['full promotion', 100, 330, 0],
    ]);
    expect(plan.phases[0].checks.find((c) => c.kind === PlannedCheckKind.METRIC)?.measurements).toBe(5);
    expect(plan.phases[1].checks.find((c) => c.kind === PlannedCheckKind.METRIC)?.measurements).toBe(3);
    expect(seconds(plan.firstPossibleFailure)).toBe(180);
    expect(plan.badCanary?.description).toBe('its checks fail before the switch; the release is aborted after 3m of load-test traffic, before any user reached it');
  });

  test('blue/green without autoPromote waits for a person at the preview; a scale-down delay is noted', () => {
    const plan = planOf(argo(), DeliveryStrategy.blueGreen({ autoPromote: false, scaleDownDelay: Duration.minutes(10) }));
    expect(plan.phases[0].waitsForPerson).toBe(true);
    expect(plan.notes).toEqual([
      'the old version stays 10m after the switch, whatever the post-promotion analysis does',
      'services during a release: the new version at podinfo-preview; the stable version at podinfo; all in the manifests',
      "NetworkPolicies fence the analysis Jobs, the Prometheus 'test/canary-prometheus': they hold only with a CNI that enforces NetworkPolicies "
        + '(Calico, Cilium, Antrea, kindnetd of kind v0.24.0 and later, ...); without one (flannel, kind before v0.24.0) any pod can post commands to the loadtester and query Prometheus, and the commands reach any address',
      "DNS: these NetworkPolicies allow DNS to the cluster DNS pods (k8s-app: kube-dns) and to 'dns.extraAddresses' alone; where NodeLocal DNSCache runs, it answers on the node, "
        + "which no pod selector matches, so give its address in 'dns.extraAddresses' (Prometheus.of(chart, namespace, { dns }), DeliveryEngine.argoRollouts({ dns })): "
        + 'on GKE (Autopilot always runs it, Standard by default from 1.33.1) and with kube-proxy in iptables mode, the kube-dns Service\'s ClusterIP '
        + '(kubectl -n kube-system get service kube-dns); with kube-proxy in IPVS mode, 169.254.20.10; with GKE Cloud DNS, 169.254.169.254',
      CILIUM_NOTE,
      "GitOps (GitOps.none()): whatever applies these files again must leave alone the fields Argo Rollouts rewrites in Service 'podinfo', "
        + "Service 'podinfo-preview' (CanaryService.controllerRewrites lists them)",
    ]);
  });

  test('blue/green with mirroring: mirrored traffic, then all of it, each checked', () => {
    const plan = planOf(argo(), DeliveryStrategy.blueGreen({ iterations: 5, mirrorPercentage: 50 }));
    expect(phasesOf(plan)).toEqual([
      ['mirror 50% of the traffic to the new version', 0, 0, 195],
      ['weight 100%', 100, 195, 135],
      ['full promotion', 100, 330, 0],
    ]);
    expect(plan.badCanary?.description).toContain('on mirrored traffic (its answers are dropped)');
  });

  test('phased: employees by header, then each weight of the sample held for its own analysis', () => {
    const plan = planOf(argo(), DeliveryStrategy.phased([
      ReleasePhase.of({ name: 'employees', segment: TrafficSegment.dogFood() }),
      ReleasePhase.of({ segment: TrafficSegment.randomSample([5, 25, 50]), hold: Duration.minutes(2) }),
    ]));
    expect(phasesOf(plan)).toEqual([
      ["employees (header x-canary: insider) (header route 'employees'), canary at 25% of the pods", 0, 0, 195],
      // A hold of 2 m: 4 measurements, from 1 m on, and the load until the last.
      ['weight 5%', 5, 195, 165],
      ['weight 25%', 25, 360, 165],
      ['weight 50%', 50, 525, 165],
      ['full promotion', 100, 690, 0],
    ]);
    expect(measurementsOf(plan, 0)['request-success-rate']).toBe(5);
    expect(measurementsOf(plan, 1)['request-success-rate']).toBe(4);
    expect(plan.badCanary?.description).toBe('its measurements fail from the start; the rollout is aborted after 3m of traffic, on employees (header x-canary: insider)');
  });
});
