import { empty, drive, value } from './fake-env';
import { FlaggerModel, flaggerValue } from '../../src/rehearsal/flagger/flagger-model';
import { renderFlaggerQuery } from '../../src/rehearsal/flagger/queries';
import { Manifest } from '../../src/rehearsal/objects/manifests';
import { findReleases } from '../../src/rehearsal/objects/releases';

/**
 * Flagger 1.44's scheduler as the rehearsal models it (fluxcd/flagger v1.44.0
 * pkg/controller/scheduler.go and scheduler_hooks.go), rule by rule, against a fake cluster.
 */

const SUCCESS = { name: 'request-success-rate', interval: '1m', thresholdRange: { min: 99 } };

function model(analysis: any, spec: any = {}, others: Manifest[] = []): FlaggerModel {
  const canary = {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { provider: 'istio', targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' }, service: { port: 80 }, analysis, ...spec },
  };
  return new FlaggerModel(findReleases([canary, ...others])[0]);
}

const events = (timeline: { t: number; event: string }[]) => timeline.map((e) => `${e.t} ${e.event}`);

test('one tick per interval: T0 scales the canary up, T1 runs the pre-rollout hooks and sets the first weight, the checks run from T2', async () => {
  const m = model({ interval: '30s', threshold: 5, stepWeight: 10, maxWeight: 30, metrics: [SUCCESS] });
  const { timeline, queries } = await drive(m, {});
  expect(events(timeline)).toEqual([
    '0 new revision: canary scaled up',
    '30 weight 10%',
    '60 analysis passed', '60 weight 20%',
    '90 analysis passed', '90 weight 30%',
    '120 analysis passed', '120 promotion: the primary takes the new version',
    '150 promotion: all traffic to the primary, which runs the new version',
    '180 promoted: canary scaled down',
  ]);
  expect(queries.map((q) => q.t)).toEqual([60, 90, 120]);
  expect([m.outcome, m.promotedAt, m.endedAt]).toEqual(['promoted', 150, 180]);
});

test('failed checks are counted over the whole analysis (a passing check resets nothing), hold the weight, and roll back at the tick after the threshold', async () => {
  // Fail, pass, fail, fail: the third failure reaches threshold 3.
  const verdicts: { [t: number]: number } = { 60: 90, 90: 100, 120: 90, 150: 90 };
  const m = model({ interval: '30s', threshold: 3, stepWeight: 10, maxWeight: 50, metrics: [SUCCESS] });
  const { timeline } = await drive(m, { query: (t) => value(verdicts[t] ?? 100) });
  expect(events(timeline)).toEqual([
    '0 new revision: canary scaled up',
    '30 weight 10%',
    '60 analysis failed (1/3 failed checks)',
    '90 analysis passed', '90 weight 20%',
    '120 analysis failed (2/3 failed checks)',
    '150 analysis failed (3/3 failed checks)',
    '180 rolled back: 3 failed checks reached the threshold 3',
  ]);
  expect([m.outcome, m.weight, m.firstFailureAt]).toEqual(['rolled back', 0, 60]);
});

test('no values (an empty result or NaN) is a failed check; the first failing metric stops the analysis', async () => {
  const m = model({ interval: '10s', threshold: 1, stepWeight: 50, metrics: [SUCCESS, { name: 'request-duration', interval: '1m', thresholdRange: { max: 500 } }] });
  const { timeline } = await drive(m, { query: () => empty });
  const analysis = timeline.find((e) => e.event.startsWith('analysis failed'))!;
  expect(analysis.checks.map((c) => [c.name, c.verdict, c.detail])).toEqual([
    ['request-success-rate', 'no values', 'no values found'],
    ['request-duration', 'not run', undefined],
  ]);
  expect(flaggerValue({ resultType: 'vector', samples: [{ labels: {}, value: NaN }] })).toEqual({ noValues: true, problem: 'no values found' });
  expect(flaggerValue({ resultType: 'vector', samples: [{ labels: { a: '1' }, value: 1 }, { labels: { a: '2' }, value: 2 }] })).toEqual({ value: 2 });
  expect(flaggerValue({ resultType: 'scalar', samples: [{ labels: {}, value: 1 }] }).problem).toMatch(/unmarshaling/);
});

test('durations are compared in whole milliseconds (time.Duration(int64(value)))', async () => {
  const m = model({ interval: '10s', threshold: 1, stepWeight: 100, metrics: [{ name: 'request-duration', interval: '1m', thresholdRange: { max: 500 } }] });
  const { timeline } = await drive(m, { query: () => value(500.9) });
  expect(timeline.find((e) => e.event.startsWith('analysis'))!.checks[0]).toMatchObject({ value: 500.9, verdict: 'pass' });
});

test('stepWeights, and stepWeight up to maxWeight, capped only at 100 (runCanary, nextStepWeight)', async () => {
  const weights = async (analysis: any) => (await drive(model({ interval: '10s', threshold: 1, metrics: [], ...analysis }), {})).timeline
    .filter((e) => /^weight/.test(e.event)).map((e) => e.weight);
  expect(await weights({ stepWeights: [1, 5, 25, 60] })).toEqual([1, 5, 25, 60]);
  expect(await weights({ stepWeight: 20, maxWeight: 50 })).toEqual([20, 40, 60]);
});

test('A/B: the match goes to the canary for `iterations` analyses, then promotion; blue/green analyses once more with all traffic', async () => {
  const match = [{ headers: { 'x-canary': { exact: 'insider' } } }];
  const ab = model({ interval: '30s', threshold: 5, iterations: 3, match, metrics: [SUCCESS] });
  const abRun = await drive(ab, {});
  expect(events(abRun.timeline)).toEqual([
    '0 new revision: canary scaled up',
    '30 A/B iteration 1/3',
    '60 analysis passed', '60 A/B iteration 2/3',
    '90 analysis passed', '90 A/B iteration 3/3',
    '120 analysis passed', '120 promotion: the primary takes the new version',
    '150 promotion: all traffic to the primary, which runs the new version',
    '180 promoted: canary scaled down',
  ]);
  expect(abRun.routing.some((r) => r.matchToCanary && r.canaryWeight === 0)).toBe(true);
  const blueGreen = model({ interval: '30s', threshold: 5, iterations: 2, metrics: [SUCCESS] });
  const bg = await drive(blueGreen, {});
  expect(events(bg.timeline)).toEqual([
    '0 new revision: canary scaled up',
    '30 blue/green iteration 1/2',
    '60 analysis passed', '60 blue/green iteration 2/2',
    '90 analysis passed', '90 all traffic to the canary',
    '120 analysis passed', '120 promotion: the primary takes the new version',
    '150 promotion: all traffic to the primary, which runs the new version',
    '180 promoted: canary scaled down',
  ]);
});

test('gates: confirm-rollout waits before the scale-up, confirm-traffic-increase holds the weight, confirm-promotion keeps analysing; a person opens them later or never', async () => {
  const gate = (type: string) => ({ name: type, type, url: 'http://flagger-loadtester.test/gate/check' });
  const m = model({ interval: '30s', threshold: 2, stepWeight: 50, maxWeight: 50, metrics: [SUCCESS], webhooks: [gate('confirm-rollout'), gate('confirm-promotion')] });
  const { timeline } = await drive(m, { approveAfter: 60 });
  expect(events(timeline)).toEqual([
    '0 waiting for approval (confirm-rollout)', '30 waiting for approval (confirm-rollout)',
    '60 new revision: canary scaled up',
    '90 weight 50%',
    '120 analysis passed', '120 waiting for promotion approval (confirm-promotion)',
    '150 analysis passed', '150 waiting for promotion approval (confirm-promotion)',
    '180 analysis passed', '180 promotion: the primary takes the new version',
    '210 promotion: all traffic to the primary, which runs the new version',
    '240 promoted: canary scaled down',
  ]);
  const never = model({ interval: '30s', threshold: 2, stepWeight: 50, metrics: [SUCCESS], webhooks: [gate('confirm-traffic-increase')] });
  const stuck = await drive(never, {}, 300);
  expect(never.outcome).toBeUndefined();
  expect(stuck.timeline.filter((e) => e.gate).length).toBeGreaterThan(5);
  // While a promotion waits, a failing check still counts and rolls the canary back.
  const waiting = model({ interval: '30s', threshold: 2, stepWeight: 50, maxWeight: 50, metrics: [SUCCESS], webhooks: [gate('confirm-promotion')] });
  await drive(waiting, { query: (t) => value(t >= 150 ? 90 : 100) });
  expect([waiting.outcome, waiting.endedAt]).toEqual(['rolled back', 210]);
});

test('a canary that never becomes ready is rolled back after progressDeadlineSeconds, before any traffic', async () => {
  const m = model({ interval: '60s', threshold: 5, stepWeight: 10, metrics: [SUCCESS] }, { progressDeadlineSeconds: 300 });
  const { timeline, routing } = await drive(m, { readyAfter: undefined });
  expect([m.outcome, m.endedAt]).toEqual(['rolled back', 360]);
  expect(timeline.slice(1, 3).map((e) => e.event)).toEqual(['waiting for the canary to become ready', 'waiting for the canary to become ready']);
  expect(routing.every((r) => r.canaryWeight === 0)).toBe(true);
});

test('a failing pre-rollout test counts as a failed check at weight 0', async () => {
  const m = model({ interval: '30s', threshold: 2, stepWeight: 10, metrics: [SUCCESS], webhooks: [{ name: 'acceptance', type: 'pre-rollout', url: 'http://flagger-loadtester.test/', metadata: { type: 'bash', cmd: 'curl -s http://podinfo-canary.test/' } }] });
  await drive(m, { testsPass: false });
  expect([m.outcome, m.endedAt, m.weight]).toEqual(['rolled back', 90, 0]);
});

test('queries are rendered as Flagger renders them, templateRef metrics without an interval get an empty {{ interval }}', () => {
  const template = { apiVersion: 'flagger.app/v1beta1', kind: 'MetricTemplate', metadata: { name: 'errors', namespace: 'test' }, spec: { provider: { type: 'prometheus' }, query: 'sum(rate(x{ns="{{ namespace }}",t="{{target}}",v="{{ variables.zone }}"}[{{ interval }}]))' } };
  const m = model({ interval: '30s', metrics: [{ name: 'errors', templateRef: { name: 'errors' }, templateVariables: { zone: 'eu' } }] }, {}, [template]);
  expect(m.queries().map((q) => q.query)).toEqual(['sum(rate(x{ns="test",t="podinfo",v="eu"}[]))']);
  expect(renderFlaggerQuery('{{ variables.missing }}', { name: 'a', namespace: 'b', target: 'c', service: 'c', ingress: 'c', route: 'c', interval: '1m', variables: {} }).error)
    .toBe('template: map has no entry for key "missing" (templateVariables)');
  expect(renderFlaggerQuery('{{ if .x }}1{{ end }}', { name: 'a', namespace: 'b', target: 'c', service: 'c', ingress: 'c', route: 'c', interval: '1m', variables: {} }).error)
    .toMatch(/outside what the rehearsal renders/);
});

test('the built-in checks of each provider: Flagger\'s own queries (traefik, istio, the HTTP observer for gatewayapi and kubernetes)', () => {
  const queryOf = (provider: string) => model({ interval: '30s', metrics: [SUCCESS] }, { provider }).queries()[0].query;
  expect(queryOf('traefik')).toContain('traefik_service_request_duration_seconds_bucket{service=~"test-podinfo-canary-[0-9a-zA-Z-]+@kubernetescrd"');
  expect(queryOf('istio')).toContain('istio_requests_total{reporter="destination",destination_workload_namespace="test",destination_workload=~"podinfo"');
  expect(queryOf('gatewayapi:v1')).toContain('http_request_duration_seconds_count{kubernetes_namespace="test",kubernetes_pod_name=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"');
  expect(model({ interval: '30s', metrics: [SUCCESS] }, { provider: 'nginx' }).queries()[0].problem).toMatch(/outside what the rehearsal evaluates/);
});

test('skipAnalysis, or a Canary without analysis, is promoted at the first tick the canary is ready, without a check (scheduler.go:363, :778-850; canary.go:685)', async () => {
  const failing = () => value(0);
  const skipped = model({ interval: '10s', threshold: 1, stepWeight: 10, metrics: [SUCCESS] }, { skipAnalysis: true });
  const { timeline, queries, routing } = await drive(skipped, { query: failing });
  expect(events(timeline)).toEqual(['0 new revision: canary scaled up', '10 promoted without analysis (skipAnalysis is true)']);
  expect(queries).toEqual([]);
  expect([skipped.outcome, skipped.promotedAt, skipped.endedAt, skipped.phase]).toEqual(['promoted', 10, 10, 'Succeeded']);
  expect(routing[routing.length - 1]).toMatchObject({ primaryIsNew: true, canaryWeight: 0, newPods: 0 });
  expect(skipped.notes[0]).toMatch(/^skipAnalysis is true: Flagger promotes the new version as soon as its pods are ready, without any check/);

  const noAnalysis = model(undefined);
  await drive(noAnalysis, { query: failing });
  expect([noAnalysis.outcome, noAnalysis.reason]).toEqual(['promoted', 'Flagger promoted the new version without any check (the Canary has no analysis)']);

  // The canary must still become ready: not ready past the progress deadline rolls back (shouldSkipAnalysis comes after IsCanaryReady).
  const crashing = model({ interval: '60s' }, { skipAnalysis: true, progressDeadlineSeconds: 120 });
  await drive(crashing, { readyAfter: undefined });
  expect(crashing.outcome).toBe('rolled back');
});

test('the provider: spec.provider, else Flagger\'s -mesh-provider (scheduler.go:177-180, default istio cmd/flagger/main.go:115); a linkerd mesh provider makes the built-in checks linkerd\'s (scheduler_metrics.go:105-111)', () => {
  const canary = (provider?: string) => ({
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { provider, targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' }, service: { port: 80 }, analysis: { interval: '10s', metrics: [SUCCESS] } },
  });
  const [defaulted] = findReleases([canary()]);
  expect(defaulted.provider).toBe('istio');
  expect(defaulted.problems).toContain("the Canary sets no spec.provider: Flagger uses its -mesh-provider flag (default istio, cmd/flagger/main.go:115), and the rehearsal assumes 'istio' (--mesh-provider to change)");
  const defaultedModel = new FlaggerModel(defaulted);
  expect([defaultedModel.strategy, defaultedModel.queries()[0].query]).toEqual(['canary', expect.stringContaining('istio_requests_total')]);
  expect(new FlaggerModel(findReleases([canary()], 'kubernetes')[0]).strategy).toBe('bluegreen');
  const written = findReleases([canary('traefik')], 'kubernetes')[0];
  expect(written.provider).toBe('traefik');
  expect(written.problems.filter((p) => p.includes('provider'))).toEqual([]);
  expect(new FlaggerModel(written).queries()[0].query).toContain('traefik_service_request_duration_seconds_bucket');
  expect(new FlaggerModel(findReleases([canary('traefik')], 'linkerd')[0]).queries()[0].problem).toBe("the built-in checks of provider 'linkerd' are outside what the rehearsal evaluates");
});
