import { empty, drive, value } from './fake-env';
import { AnalysisRunModel, evaluateResult, substituteArguments } from '../../src/rehearsal/argo/analysis-run';
import { ExpressionError, UnsupportedExpression, compileCondition } from '../../src/rehearsal/argo/expr';
import { ArgoRolloutModel } from '../../src/rehearsal/argo/rollout-model';
import { ControllerEnv } from '../../src/rehearsal/controller';
import { Manifest } from '../../src/rehearsal/objects/manifests';
import { findReleases } from '../../src/rehearsal/objects/releases';
import { QueryResult } from '../../src/rehearsal/prometheus/server';

/**
 * Argo Rollouts 1.9.1 as the rehearsal models it (argoproj/argo-rollouts v1.9.1 analysis/analysis.go,
 * rollout/canary.go, rollout/analysis.go, rollout/bluegreen.go), rule by rule, against a fake cluster.
 */

const prometheusMetric = (name: string, extra: any = {}) => ({
  name, interval: '30s', successCondition: 'len(result) > 0 && result[0] >= 0.99', provider: { prometheus: { address: 'http://p:9090', query: `q_${name}` } }, ...extra,
});

function template(name: string, metrics: any[]): Manifest {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate', metadata: { name, namespace: 'test' }, spec: { metrics } };
}

function rollout(strategy: any, templates: Manifest[]): ArgoRolloutModel {
  const r = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { replicas: 4, strategy, template: { metadata: { labels: { app: 'podinfo' } } } },
  };
  return new ArgoRolloutModel(findReleases([r, ...templates])[0]);
}

const TRAFFIC = { canaryService: 'podinfo-canary', stableService: 'podinfo-stable', trafficRouting: { traefik: { weightedTraefikServiceName: 'podinfo' } } };

/** Runs an AnalysisRun alone: reconciles at each time it asks for until it completes. */
async function runAlone(run: AnalysisRunModel, answer: (t: number, expr: string) => QueryResult, until = 3600): Promise<number[]> {
  const times: number[] = [];
  let now = 0;
  const env = { get now() { return now; }, query: async (expr: string) => answer(now, expr), startLoad: () => 'started', runTest: () => true } as unknown as ControllerEnv;
  for (let i = 0; i < 1000 && !['Successful', 'Failed', 'Error', 'Inconclusive'].includes(run.phase); i++) {
    const next = i === 0 ? 0 : run.nextReconcile();
    if (next === undefined || next > until) break;
    now = next;
    times.push(now);
    await run.reconcile(env);
  }
  return times;
}

const newRun = (metrics: any[], dryRun: any[] = []) => new AnalysisRunModel('run', 0, [{ spec: { metrics }, name: 't' }], [], { latestHash: 'new', stableHash: 'old' }, dryRun);

test('failureLimit: a metric fails when failed > failureLimit (failureLimit 3 fails at the fourth failure), measuring first after initialDelay, then every interval', async () => {
  const run = newRun([prometheusMetric('m', { initialDelay: '1m', failureLimit: 3 })]);
  const times = await runAlone(run, () => value(0.5));
  expect(times).toEqual([0, 60, 90, 120, 150]);
  expect([run.phase, run.message]).toEqual(['Failed', 'Metric "m" assessed Failed due to failed (4) > failureLimit (3)']);
});

test('count: a run with count passes with at most failureLimit failures', async () => {
  const run = newRun([prometheusMetric('m', { count: 4, failureLimit: 1 })]);
  await runAlone(run, (t) => value(t === 30 ? 0.5 : 1));
  expect(run.phase).toBe('Successful');
  const strict = newRun([prometheusMetric('m', { count: 4, failureLimit: 1 })]);
  await runAlone(strict, (t) => value(t >= 30 ? 0.5 : 1));
  expect(strict.phase).toBe('Failed');
});

test('errors: retried every 10 s, and the metric errors after consecutiveErrorLimit (default 4) consecutive errors', async () => {
  const run = newRun([prometheusMetric('m', { successCondition: 'result[0] >= 0.99' })]);
  const times = await runAlone(run, () => empty);
  // result[0] of an empty vector is an expression error (index out of range): Error, not Failed.
  expect(times).toEqual([0, 10, 20, 30, 40]);
  expect([run.phase, run.message]).toEqual(['Error', 'Metric "m" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4)']);
});

test('inconclusive: neither condition holds; the run is Inconclusive after inconclusiveLimit', async () => {
  const run = newRun([prometheusMetric('m', { successCondition: 'result[0] >= 0.99', failureCondition: 'result[0] < 0.9', inconclusiveLimit: 1 })]);
  await runAlone(run, () => value(0.95));
  expect(run.phase).toBe('Inconclusive');
});

test('dry-run metrics never decide the run', async () => {
  const run = newRun([prometheusMetric('bad', { count: 2 }), prometheusMetric('good', { count: 2 })], [{ metricName: 'bad' }]);
  await runAlone(run, (_t, expr) => value(expr === 'q_bad' ? 0 : 1));
  expect(run.phase).toBe('Successful');
});

test('arguments: {{args.x}} from the Rollout, podTemplateHashValue Latest, an unresolved tag is an error', () => {
  expect(substituteArguments('a{{args.x}}b{{ args.y }}', new Map([['x', '1'], ['y', '2']]))).toEqual({ text: 'a1b2' });
  expect(substituteArguments('{{ interval }}', new Map()).error).toBe('failed to resolve {{ interval }}');
  const run = new AnalysisRunModel('r', 0, [{ name: 't', spec: { args: [{ name: 'hash' }], metrics: [prometheusMetric('m', { provider: { prometheus: { query: 'x{h="{{args.hash}}"}' } } })] } }],
    [{ name: 'hash', valueFrom: { podTemplateHashValue: 'Latest' } }], { latestHash: 'abc', stableHash: 'def' });
  expect(run.queries).toEqual(['x{h="abc"}']);
  const missing = new AnalysisRunModel('r', 0, [{ name: 't', spec: { args: [{ name: 'hash' }], metrics: [] } }], [], { latestHash: 'abc', stableHash: 'def' });
  expect([missing.phase, missing.message]).toEqual(['Error', 'Unable to resolve metric arguments: argument "hash" was not supplied']);
});

test('the background analysis does not hold the steps, aborts when a metric fails, and counts as successful when promotion cuts it short', async () => {
  const analysis = { templates: [{ templateName: 'bg' }], startingStep: 1 };
  const strategy = { canary: { ...TRAFFIC, analysis, steps: [{ setWeight: 20 }, { pause: { duration: '60s' } }, { setWeight: 50 }, { pause: { duration: '60s' } }] } };
  const bg = template('bg', [prometheusMetric('m', { initialDelay: '30s', failureLimit: 2 })]);
  const healthy = rollout(strategy, [bg]);
  const run = await drive(healthy, {});
  expect([healthy.outcome, healthy.promotedAt]).toEqual(['promoted', 120]);
  expect(run.queries.map((q) => q.t)).toEqual([30, 60, 90, 120]);
  const bad = rollout(strategy, [bg]);
  await drive(bad, { query: () => value(0.5) });
  expect([bad.outcome, bad.endedAt, bad.reason]).toEqual(['rolled back', 90, 'background analysis Failed: Metric "m" assessed Failed due to failed (3) > failureLimit (2)']);
  // Two failures, then promotion: the run is terminated and the rollout promoted.
  const short = rollout({ canary: { ...TRAFFIC, analysis, steps: [{ setWeight: 20 }, { pause: { duration: '60s' } }] } }, [bg]);
  await drive(short, { query: () => value(0.5) });
  expect([short.outcome, short.promotedAt]).toEqual(['promoted', 60]);
});

test('steps: setWeight waits for the canary pods, a timed pause for its duration, pause {} for a person, a step analysis for its run', async () => {
  const steps = [{ setWeight: 10 }, { pause: {} }, { analysis: { templates: [{ templateName: 'step' }] } }, { setWeight: 50 }, { pause: { duration: '1m' } }];
  const step = template('step', [prometheusMetric('m', { count: 3, failureLimit: 0 })]);
  const person = rollout({ canary: { ...TRAFFIC, steps } }, [step]);
  const { timeline } = await drive(person, { approveAfter: 45, readyAfter: 5 });
  // Ready 5 s after each scale-up: 10 %, then the person (45 s), the analysis (3 measurements 30 s apart), 50 % (more pods), 1 minute.
  expect([person.outcome, person.promotedAt]).toEqual(['promoted', 5 + 45 + 60 + 5 + 60]);
  expect(timeline.filter((e) => e.gate).map((e) => `${e.t} ${e.event}`)).toEqual(['5 paused: pause at step 1, waiting for a person to promote']);
  const never = rollout({ canary: { ...TRAFFIC, steps } }, [step]);
  await drive(never, {}, 600);
  expect(never.outcome).toBeUndefined();
  const failing = rollout({ canary: { ...TRAFFIC, steps: steps.filter((s) => !('pause' in s)) } }, [step]);
  await drive(failing, { query: () => value(0.5) });
  expect([failing.outcome, failing.endedAt]).toEqual(['rolled back', 0]);
});

test('canary pods that never become available: stuck (Degraded) without progressDeadlineAbort, aborted with it', async () => {
  const steps = [{ setWeight: 10 }, { pause: { duration: '1m' } }];
  const stuck = rollout({ canary: { ...TRAFFIC, steps } }, []);
  const { routing } = await drive(stuck, { readyAfter: undefined }, 3600);
  expect(stuck.outcome).toBeUndefined();
  expect(routing.every((r) => r.canaryWeight === 0)).toBe(true);
  const r = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'podinfo', namespace: 'test' },
    spec: { progressDeadlineAbort: true, progressDeadlineSeconds: 120, strategy: { canary: { ...TRAFFIC, steps } } },
  };
  const aborting = new ArgoRolloutModel(findReleases([r])[0]);
  await drive(aborting, { readyAfter: undefined });
  expect([aborting.outcome, aborting.endedAt]).toEqual(['rolled back', 120]);
});

test('blue/green: the pre-promotion analysis holds the switch, a failure aborts before it; the post-promotion analysis can switch back', async () => {
  const pre = template('pre', [prometheusMetric('m', { count: 2, failureLimit: 0 })]);
  const post = template('post', [prometheusMetric('p', { count: 2, failureLimit: 0 })]);
  const strategy = { blueGreen: { activeService: 'podinfo', previewService: 'podinfo-preview', prePromotionAnalysis: { templates: [{ templateName: 'pre' }] }, postPromotionAnalysis: { templates: [{ templateName: 'post' }] } } };
  const healthy = rollout(strategy, [pre, post]);
  const run = await drive(healthy, {});
  expect([healthy.outcome, healthy.switchedAt, healthy.promotedAt]).toEqual(['promoted', 30, 60]);
  expect(run.routing.find((r) => r.activeIsNew)).toBeDefined();
  const badBefore = rollout(strategy, [pre, post]);
  const before = await drive(badBefore, { query: () => value(0.5) });
  expect([badBefore.outcome, badBefore.switchedAt]).toEqual(['rolled back', undefined]);
  expect(before.routing.some((r) => r.activeIsNew)).toBe(false);
  const badAfter = rollout(strategy, [pre, post]);
  const after = await drive(badAfter, { query: (_t, expr) => value(expr === 'q_p' ? 0.5 : 1) });
  expect([badAfter.outcome, badAfter.switchedAt]).toEqual(['rolled back', 30]);
  expect(after.routing[after.routing.length - 1].activeIsNew).toBe(false);
});

test('conditions: evaluated as expr evaluates them (short-circuit, index errors), the rest reported as outside the rehearsal', () => {
  expect(compileCondition('len(result) > 0 && result[0] >= 0.95')([])).toBe(false);
  expect(() => compileCondition('result[0] >= 0.95')([])).toThrow('index out of range: 0 (array length is 0)');
  expect(compileCondition('all(result, {# < 500}) and not isNaN(result[0])')([1, 2])).toBe(true);
  expect(compileCondition('result[len(result)-1] == 3')([1, 3])).toBe(true);
  expect(compileCondition('asFloat("1.5") * 2 == 3 ? true : false')([])).toBe(true);
  expect(() => compileCondition('result | map(#) | len() > 0')).toThrow('pipes');
  expect(() => compileCondition('result[0] >=')).toThrow("unexpected token 'end' in 'result[0] >='");
  expect(() => compileCondition('upper("a") == "A"')).toThrow("the function 'upper'");
  expect(() => compileCondition('let p = result[0]; p < 500')).toThrow(UnsupportedExpression);
  expect(() => compileCondition('result[0] = 1')).toThrow(ExpressionError);
  const judge = (result: QueryResult, success?: string, failure?: string) => evaluateResult(result, {
    success: success ? compileCondition(success) : undefined, failure: failure ? compileCondition(failure) : undefined,
  }).phase;
  expect(judge(value(1))).toBe('Successful');
  expect(judge(value(0.5), 'result[0] > 0.9')).toBe('Failed');
  expect(judge(value(0.5), undefined, 'result[0] < 0.9')).toBe('Failed');
  expect(judge(value(0.95), 'result[0] > 0.99', 'result[0] < 0.9')).toBe('Inconclusive');
  expect(judge({ samples: [], error: 'bad data' }, 'result[0] > 0.9')).toBe('Error');
});

test('dryRun metricName is a regexp matched anywhere in the name (helpers.go:135); a rule that matches no metric makes the run Error (helpers.go:140-141)', async () => {
  const run = newRun([prometheusMetric('request-latency-p99', { count: 2 }), prometheusMetric('good', { count: 2 })], [{ metricName: 'latency' }]);
  await runAlone(run, (_t, expr) => value(expr === 'q_request-latency-p99' ? 0 : 1));
  expect(run.phase).toBe('Successful');
  const unmatched = newRun([prometheusMetric('good', { count: 2 })], [{ metricName: 'good' }, { metricName: 'latency' }]);
  expect([unmatched.phase, unmatched.message]).toEqual(['Error', "Analysis spec invalid: dryRun[1]: Rule didn't match any metric name(s)"]);
});

const inconclusiveMetric = (name: string) => prometheusMetric(name, { count: 1, successCondition: 'result[0] >= 0.99', failureCondition: 'result[0] < 0.5' });
const blueGreen = (extra: any = {}) => ({ blueGreen: { activeService: 'podinfo', previewService: 'podinfo-preview', ...extra } });

test('blue/green: an Inconclusive post-promotion run pauses for a person and keeps the old ReplicaSet (analysis.go:153-155, bluegreen.go:206-216); the promote starts a new run', async () => {
  const post = template('post', [inconclusiveMetric('p')]);
  const strategy = blueGreen({ postPromotionAnalysis: { templates: [{ templateName: 'post' }] } });
  const never = rollout(strategy, [post]);
  const stuck = await drive(never, { query: () => value(0.7) }, 1800);
  expect([never.outcome, never.switchedAt, never.promotedAt]).toEqual([undefined, 0, undefined]);
  expect(stuck.routing.some((r) => r.stableIsNew)).toBe(false);
  expect(stuck.timeline.map((e) => e.event)).toContain('paused: inconclusive post-promotion analysis, waiting for a person to promote');
  const later = rollout(strategy, [post]);
  // Inconclusive before the person comes at 120 s, successful after.
  const run = await drive(later, { approveAfter: 120, query: (t) => value(t < 120 ? 0.7 : 1) });
  expect(run.timeline.map((e) => `${e.t} ${e.event}`)).toContain('120 promoted by a person: a new post-promotion analysis starts');
  expect([later.outcome, later.promotedAt]).toEqual(['promoted', 120]);
});

test('blue/green: a person who promotes an Inconclusive pre-promotion run starts a new run, and the switch waits for it to succeed (promote.go:169, analysis.go:185-189, pause.go:137-141)', async () => {
  const pre = template('pre', [inconclusiveMetric('m')]);
  const strategy = blueGreen({ prePromotionAnalysis: { templates: [{ templateName: 'pre' }] } });
  const failsAfter = rollout(strategy, [pre]);
  // Inconclusive first; the new run after the person's promote fails: aborted, never switched.
  const run = await drive(failsAfter, { approveAfter: 60, query: (t) => value(t < 60 ? 0.7 : 0.2) });
  expect(run.timeline.map((e) => `${e.t} ${e.event}`)).toContain('60 promoted by a person: a new pre-promotion analysis starts');
  expect([failsAfter.outcome, failsAfter.switchedAt]).toEqual(['rolled back', undefined]);
});

test('blue/green: with autoPromotionEnabled false, autoPromotionSeconds counts for nothing: the person\'s promote switches (pause.go:154-169)', async () => {
  const manual = rollout(blueGreen({ autoPromotionEnabled: false, autoPromotionSeconds: 300 }), []);
  await drive(manual, { approveAfter: 60 });
  expect([manual.outcome, manual.switchedAt]).toEqual(['promoted', 60]);
  const auto = rollout(blueGreen({ autoPromotionSeconds: 300 }), []);
  await drive(auto, {});
  expect(auto.switchedAt).toBe(300);
});

test('canary: while new pods start, the previous setWeight stays on the pods already available; no weight before the first one (trafficrouting.go:222-233, :249-258)', async () => {
  const steps = [{ setWeight: 25 }, { pause: { duration: '60s' } }, { setWeight: 50 }, { pause: { duration: '60s' } }];
  const m = rollout({ canary: { ...TRAFFIC, steps } }, []);
  const { routing } = await drive(m, { readyAfter: 30 });
  const weights = routing.map((r) => `${r.newPods}/${r.canaryWeight}`);
  // 1 pod for 25 % of 4 (not ready: 0 %), ready at 30 s; 2 pods for 50 % from 90 s: 25 % on the one available until 120 s.
  expect(weights.slice(0, weights.indexOf('2/50'))).toEqual(expect.arrayContaining(['0/0', '1/25']));
  expect(weights.slice(0, weights.indexOf('2/50'))).not.toContain('0/25');
  const before50 = weights.slice(weights.indexOf('1/25'), weights.indexOf('2/50'));
  expect(before50.every((w) => w === '1/25')).toBe(true);
  expect(before50.length).toBeGreaterThan(1);
});
