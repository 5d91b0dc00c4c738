import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as fc from 'fast-check';
import {
  ApplicationMetrics, CanaryAlert, CanaryMetric, CanaryServiceProps, CanaryWebhook, ComparedMeasure, DeliveryEngine, DeliveryStrategy, GateStage,
  HeaderMatchKind, LoadTool, ReleasePhase, RolloutStep, TrafficRouter, TrafficSegment,
} from '../../src';

/**
 * Declarations as a user writes them, valid and plausibly wrong, over every engine x router x
 * strategy: mostly valid values, some of the mistakes people make (a name in upper case, a port
 * of 0, NaN, a label that is no label value), and some values an untyped caller (plain
 * JavaScript, a jsii language) passes (undefined for a required option, a string for a number).
 *
 * A declaration is generated as data (a recipe), so that fast-check can show and shrink it, and
 * built by `build()`, which calls the library's factories: those may throw already.
 */

/** A value that is right most of the time, one of the plausible mistakes otherwise. */
function mostly<T>(valid: fc.Arbitrary<T>, ...wrong: unknown[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 30, arbitrary: valid }, { weight: 1, arbitrary: fc.constantFrom(...wrong) as fc.Arbitrary<any> });
}

/** What an untyped caller passes instead of a value. */
const UNTYPED = [undefined, null, '1', 42, {}, [], NaN];

const seconds = (values: number[], ...wrong: unknown[]) => mostly(fc.constantFrom(...values).map((s) => ({ seconds: s })), ...wrong);
const NAN_SECONDS = { seconds: NaN };
const HALF_MILLI = { millis: 0.5 };

function duration(recipe: any): unknown {
  if (recipe === undefined || recipe === null || typeof recipe !== 'object' || Array.isArray(recipe)) return recipe;
  if ('seconds' in recipe) return Duration.seconds(recipe.seconds);
  if ('millis' in recipe) return Duration.millis(recipe.millis);
  return recipe;
}

const name = mostly(fc.constantFrom('cart', 'podinfo', 'checkout-service', 'a'), 'Cart', 'cart_v2', '1cart', 'c'.repeat(56), '', 'cart.v2', ...UNTYPED);
const host = mostly(fc.constantFrom('app.example.com', 'shop.example.com', 'a.b.c.example.com'),
  'App.example.com', `${'a'.repeat(64)}.example.com`, 'app example.com', '*.example.com', '', 42);
const hosts = mostly(fc.uniqueArray(host, { minLength: 1, maxLength: 2 }), [], 'app.example.com', undefined, ['app.example.com', 'app.example.com']);
const image = mostly(fc.constantFrom('ghcr.io/stefanprodan/podinfo:6.7.0', `ghcr.io/stefanprodan/podinfo@sha256:${'a'.repeat(64)}`),
  'ghcr.io/stefanprodan/podinfo', 'ghcr.io/stefanprodan/podinfo:latest', 'ghcr.io/StefanProdan/podinfo:6.7.0', 'podinfo 6.7.0', '', ...UNTYPED);
const labelValue = mostly(fc.constantFrom(undefined, '6.7.0', 'v1-2_3', 'shop'), 'v1.0 beta', 'shop/team', 'v'.repeat(64), '-x', 42);
const port = mostly(fc.constantFrom(undefined, 80, 8080), 0, 70000, 1.5, '80', NaN);
const containerPort = mostly(fc.constantFrom(undefined, 9898, 8080), 0, 65536, '9898');
const probePort = mostly(fc.constantFrom(undefined, 9898), 0, 70000);
const percentage = (values: number[]) => mostly(fc.constantFrom(...values), 0, 101, 12.5, NaN, '50');

const engineArbitrary = fc.record({
  kind: fc.constantFrom('flagger', 'argoRollouts'),
  namespace: mostly(fc.constantFrom(undefined, 'flagger-system', 'argo-rollouts'), 'Argo', ''),
  maxSurge: mostly(fc.constantFrom(undefined, '25%', '1'), '0', '25 %', 1),
  progressDeadline: seconds([600, 1200], undefined, NAN_SECONDS, HALF_MILLI),
});

const routerArbitrary = fc.record({
  kind: fc.constantFrom('traefik', 'istio', 'gatewayApi', 'replicaRatio'),
  hosts,
  previewHost: mostly(fc.constantFrom(undefined, 'canary.example.com'), 'Canary.example.com', `${'p'.repeat(64)}.example.com`),
  metricsPort: mostly(fc.constantFrom(9898, 9797), 0, undefined),
});

const segment = fc.oneof(
  fc.record({
    kind: fc.constant('header'),
    name: mostly(fc.constantFrom('x-canary', 'X-Beta'), 'x canary', ''),
    value: mostly(fc.constantFrom('always', 'insider'), '', undefined),
    regex: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('cookie'), name: mostly(fc.constantFrom('beta', 'plan'), 'be ta', ''), value: mostly(fc.constantFrom('true', 'free'), 'a;b', '') }),
  fc.record({ kind: fc.constant('queryParam'), name: fc.constantFrom('variant'), value: fc.constantFrom('b') }),
  fc.record({ kind: fc.constant('dogFood') }),
  fc.record({ kind: fc.constant('region'), codes: mostly(fc.constantFrom(['NZ'], ['NZ', 'AU']), [], ['nz1'], ['UK'], 'NZ') }),
  fc.record({ kind: fc.constant('randomSample'), weights: mostly(fc.constantFrom([5, 25, 50], [10]), [], [50, 10], [0, 150], 'x') }),
);

const strategy = fc.oneof(
  fc.record({ kind: fc.constant('none') }),
  fc.record({
    kind: fc.constant('canary'),
    affinity: fc.boolean(),
    cookieName: mostly(fc.constantFrom(undefined, 'canary-session'), 'bad cookie'),
    maxAge: seconds([3600, 86400], undefined, NAN_SECONDS),
  }),
  fc.record({
    kind: fc.constant('abTest'),
    segments: mostly(fc.array(segment, { minLength: 1, maxLength: 2 }), [], undefined),
    iterations: mostly(fc.constantFrom(undefined, 3, 10), 0, 5000, '3'),
    canaryScale: percentage([25, 50]),
  }),
  fc.record({
    kind: fc.constant('blueGreen'),
    iterations: mostly(fc.constantFrom(undefined, 3), 0, NaN),
    autoPromote: mostly(fc.boolean(), 'no'),
    mirrorPercentage: mostly(fc.constantFrom(undefined, 50), 0, 150),
    scaleDownDelay: seconds([30], undefined, NAN_SECONDS),
    previewHost: mostly(fc.constantFrom(undefined, 'preview.example.com'), 'Preview.example.com'),
  }),
  fc.record({
    kind: fc.constant('phased'),
    phases: mostly(fc.array(fc.record({
      segment,
      name: mostly(fc.constantFrom(undefined, 'employees', 'sample'), 'Phase 1', 'p'.repeat(41)),
      hold: seconds([60, 120], undefined, NAN_SECONDS),
      withMetrics: fc.boolean(),
    }), { minLength: 1, maxLength: 3 }), [], undefined),
  }),
);

const metric = fc.oneof(
  fc.record({ kind: fc.constant('successRate'), min: mostly(fc.constantFrom(undefined, 99, 95.5), 101, -1, NaN, '99'), interval: seconds([60, 30], undefined, NAN_SECONDS) }),
  fc.record({ kind: fc.constant('duration'), max: mostly(fc.constantFrom(500, 250).map((m) => ({ millis: m })), undefined, NAN_SECONDS, 500, { millis: 0 }) }),
  fc.record({
    kind: fc.constant('prometheus'),
    name: mostly(fc.constantFrom('errors', 'latency'), 'Errors', 'request-success-rate', ''),
    query: mostly(fc.constantFrom('sum(rate(http_requests_total{code=~"5..", pod=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}]))'),
      'sum(rate(', '', 'up'),
    max: mostly(fc.constantFrom(1, 0.5, undefined), NaN, Infinity),
  }),
  fc.record({
    kind: fc.constant('compare'),
    measure: mostly(fc.constantFrom(ComparedMeasure.ERROR_RATE, ComparedMeasure.LATENCY_P99), 'ERRORS'),
    maxRatio: mostly(fc.constantFrom(1.5, 2), 0, -1, undefined),
  }),
);

const webhook = fc.oneof(
  fc.record({
    kind: fc.constant('load'),
    rps: mostly(fc.constantFrom(undefined, 10, 50), 0, -5, NaN),
    path: mostly(fc.constantFrom(undefined, '/', '/api'), 'api', '/a b'),
    tool: mostly(fc.constantFrom(undefined, LoadTool.HEY), LoadTool.GHZ, 'wrk'),
    duration: seconds([30], undefined, NAN_SECONDS),
  }),
  fc.record({ kind: fc.constant('acceptance'), command: mostly(fc.constantFrom('curl -s http://podinfo-canary.test/healthz'), '', '   ', undefined) }),
  fc.record({ kind: fc.constant('gate'), stage: mostly(fc.constantFrom(GateStage.CONFIRM_ROLLOUT, GateStage.CONFIRM_PROMOTION, GateStage.CONFIRM_TRAFFIC_INCREASE), 'LATER') }),
  fc.record({ kind: fc.constant('rollback') }),
);

const alert = fc.record({
  kind: fc.constantFrom('slack', 'msteams', 'existing'),
  name: mostly(fc.constantFrom(undefined, 'team-payments', 'on-call'), 'Team', 'a'.repeat(64)),
  secretName: mostly(fc.constantFrom('argo-rollouts-notification-secret', 'slack-webhook'), '', undefined, 'Slack_URL'),
  secretKey: mostly(fc.constantFrom(undefined, 'slack-url'), 'a b', 'a.b'),
  channel: fc.constantFrom(undefined, '#releases', 'deploys'),
});

const step = fc.oneof(
  fc.record({ kind: fc.constant('weight'), weight: percentage([10, 20, 50, 100]) }),
  // 100000 days: a plan that loops over time would run for minutes.
  fc.record({ kind: fc.constant('pause'), duration: seconds([60, 600, 8_640_000_000], undefined, NAN_SECONDS) }),
  fc.record({ kind: fc.constant('analysis') }),
  fc.record({ kind: fc.constant('canaryScale'), weight: percentage([25, 50]) }),
);

const analysis = fc.record({
  interval: seconds([30, 60, 10], undefined, NAN_SECONDS, HALF_MILLI, { seconds: 5 }),
  threshold: mostly(fc.constantFrom(undefined, 1, 3, 5, 10), 0, 1e9, 2.5, '5'),
  weights: fc.oneof(
    { weight: 9, arbitrary: fc.constant({ kind: 'default' }) },
    fc.record({ kind: fc.constant('step'), stepWeight: percentage([10, 25]), maxWeight: percentage([50, 100]) }),
    fc.record({ kind: fc.constant('list'), stepWeights: mostly(fc.constantFrom([10, 20, 50], [5, 100]), [], [20, 10], [0]) }),
    fc.record({ kind: fc.constant('steps'), steps: fc.array(step, { minLength: 1, maxLength: 5 }) }),
  ),
  metrics: fc.option(fc.uniqueArray(metric, { maxLength: 3, selector: (m: any) => m.kind }), { nil: undefined }),
  // A load test first, most of the time, since checks need requests.
  load: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  webhooks: fc.uniqueArray(webhook, { maxLength: 2, selector: (w: any) => w.kind }),
  alerts: fc.oneof(
    { weight: 3, arbitrary: fc.constant([]) },
    { weight: 1, arbitrary: fc.uniqueArray(alert, { maxLength: 2, selector: (a: any) => a.name ?? a.kind }) },
  ),
  receivesLiveTraffic: mostly(fc.constantFrom(undefined, true, false), 'yes'),
});

const workload = fc.record({
  runAsUser: mostly(fc.constantFrom(undefined, 65532, 1000), 0, -1, '1000'),
  readinessPort: probePort,
  livenessPort: probePort,
  resources: mostly(fc.constantFrom('default', 'valid'), 'cpuAboveLimit', 'memoryAboveLimit', 'halfMebibyte'),
  scaling: fc.oneof(
    fc.record({ kind: fc.constant('replicas'), replicas: mostly(fc.constantFrom(undefined, 1, 2, 3), 0, 1001, '2') }),
    fc.record({ kind: fc.constant('autoscaling'), minReplicas: mostly(fc.constantFrom(undefined, 2), 0, 10), maxReplicas: mostly(fc.constantFrom(4, 10), undefined, 0, '4') }),
  ),
});

/** A whole declaration: service, engine, router, strategy, analysis, container. */
export const declaration = fc.record({
  name,
  namespace: mostly(fc.constantFrom('shop', 'team-a'), 'Shop', 's'.repeat(64)),
  version: labelValue,
  partOf: labelValue,
  port,
  containerPort,
  image,
  engine: engineArbitrary,
  router: routerArbitrary,
  strategy,
  analysis,
  workload,
  untyped: fc.oneof(
    { weight: 12, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('engine', 'router', 'analysis', 'metrics', 'webhooks', 'strategy', 'autoscaling', 'props') },
  ),
});

export type Declaration = typeof declaration extends fc.Arbitrary<infer T> ? T : never;

/** The props a declaration makes (the factories it calls may throw). */
export function build(d: Declaration): CanaryServiceProps {
  const any = (value: unknown) => value as any;
  const engineOptions = { namespace: d.engine.namespace, progressDeadline: duration(d.engine.progressDeadline) };
  const engine = d.engine.kind === 'flagger'
    ? DeliveryEngine.flagger(any({ namespace: d.engine.namespace }))
    : DeliveryEngine.argoRollouts(any({ ...engineOptions, maxSurge: d.engine.maxSurge }));
  const routerOptions: any = { hosts: d.router.hosts };
  const router = {
    traefik: () => TrafficRouter.traefik(routerOptions),
    istio: () => TrafficRouter.istio(routerOptions),
    gatewayApi: () => TrafficRouter.gatewayApi(routerOptions),
    replicaRatio: () => TrafficRouter.replicaRatio({
      ...routerOptions, previewHost: d.router.previewHost, metrics: ApplicationMetrics.httpHistogram(any({ port: d.router.metricsPort })),
    }),
  }[d.router.kind]();
  const props: any = {
    name: d.name,
    namespace: d.namespace,
    version: d.version,
    partOf: d.partOf,
    port: d.port,
    containerPort: d.containerPort,
    image: d.image,
    engine,
    router,
    strategy: buildStrategy(d.strategy),
    analysis: buildAnalysis(d.analysis),
    runAsUser: d.workload.runAsUser,
    readiness: d.workload.readinessPort === undefined ? undefined : kplus.Probe.fromHttpGet('/readyz', { port: d.workload.readinessPort as number }),
    liveness: d.workload.livenessPort === undefined ? undefined : kplus.Probe.fromTcpSocket({ port: d.workload.livenessPort as number }),
    resources: buildResources(d.workload.resources),
    ...(d.workload.scaling.kind === 'replicas'
      ? { replicas: d.workload.scaling.replicas }
      : { autoscaling: { minReplicas: d.workload.scaling.minReplicas, maxReplicas: d.workload.scaling.maxReplicas } }),
  };
  // An untyped caller's slip: a whole option of the wrong kind.
  switch (d.untyped) {
    case 'engine': props.engine = 'flagger'; break;
    case 'router': props.router = undefined; break;
    case 'analysis': props.analysis = 'default'; break;
    case 'metrics': props.analysis = { ...props.analysis, metrics: CanaryMetric.requestSuccessRate() }; break;
    case 'webhooks': props.analysis = { ...props.analysis, webhooks: [{ name: 'load-test' }] }; break;
    case 'strategy': props.strategy = { kind: 'CANARY' }; break;
    case 'autoscaling': props.autoscaling = { maxReplicas: '4' }; props.replicas = undefined; break;
    case 'props': return undefined as any;
  }
  return props;
}

function buildResources(kind: string): kplus.ContainerResources | undefined {
  switch (kind) {
    case 'valid': return { cpu: { request: kplus.Cpu.millis(200), limit: kplus.Cpu.units(2) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) } };
    case 'cpuAboveLimit': return { cpu: { request: kplus.Cpu.units(2), limit: kplus.Cpu.units(1) } };
    case 'memoryAboveLimit': return { memory: { request: Size.gibibytes(1), limit: Size.mebibytes(512) } };
    case 'halfMebibyte': return { memory: { limit: Size.kibibytes(512) } };
    default: return undefined;
  }
}

function buildSegment(s: any): TrafficSegment {
  switch (s.kind) {
    case 'header': return TrafficSegment.header(s.name, s.value, s.regex ? { kind: HeaderMatchKind.REGEX } : {});
    case 'cookie': return TrafficSegment.cookie(s.name, s.value);
    case 'queryParam': return TrafficSegment.queryParam(s.name, s.value);
    case 'dogFood': return TrafficSegment.dogFood();
    case 'region': return TrafficSegment.region(s.codes);
    default: return TrafficSegment.randomSample(s.weights);
  }
}

function buildStrategy(s: any): DeliveryStrategy | undefined {
  switch (s.kind) {
    case 'canary': return DeliveryStrategy.canary(s.affinity ? { sessionAffinity: { cookieName: s.cookieName, maxAge: duration(s.maxAge) as Duration } } : {});
    case 'abTest': return DeliveryStrategy.abTest({
      segments: Array.isArray(s.segments) ? s.segments.map(buildSegment) : s.segments, iterations: s.iterations, canaryScale: s.canaryScale,
    });
    case 'blueGreen': return DeliveryStrategy.blueGreen({
      iterations: s.iterations,
      autoPromote: s.autoPromote,
      mirrorPercentage: s.mirrorPercentage,
      scaleDownDelay: duration(s.scaleDownDelay) as Duration,
      previewHost: s.previewHost,
    });
    case 'phased': return DeliveryStrategy.phased(Array.isArray(s.phases) ? s.phases.map((p: any) => ReleasePhase.of({
      segment: buildSegment(p.segment),
      name: p.name,
      hold: duration(p.hold) as Duration,
      metrics: p.withMetrics ? [CanaryMetric.requestSuccessRate()] : undefined,
    })) : s.phases);
    default: return undefined;
  }
}

function buildMetric(m: any): CanaryMetric {
  switch (m.kind) {
    case 'successRate': return CanaryMetric.requestSuccessRate({ min: m.min, interval: duration(m.interval) as Duration });
    case 'duration': return CanaryMetric.requestDuration({ max: duration(m.max) as Duration });
    case 'prometheus': return CanaryMetric.prometheus({ name: m.name, query: m.query, max: m.max });
    default: return CanaryMetric.compareToPrimary({ measure: m.measure, maxRatio: m.maxRatio });
  }
}

function buildWebhook(w: any): CanaryWebhook {
  switch (w.kind) {
    case 'load': return CanaryWebhook.loadTest({ requestsPerSecond: w.rps, path: w.path, tool: w.tool, duration: duration(w.duration) as Duration });
    case 'acceptance': return CanaryWebhook.acceptanceTest({ command: w.command });
    case 'gate': return CanaryWebhook.manualGate({ stage: w.stage });
    default: return CanaryWebhook.rollbackGate();
  }
}

function buildAlert(a: any): CanaryAlert {
  if (a.kind === 'existing') return CanaryAlert.existingProvider({ providerName: a.secretName, name: a.name });
  const options = { name: a.name, secretName: a.secretName, secretKey: a.secretKey, channel: a.channel };
  return a.kind === 'slack' ? CanaryAlert.slack(options) : CanaryAlert.msteams(options);
}

function buildStep(s: any): RolloutStep {
  switch (s.kind) {
    case 'weight': return RolloutStep.weight(s.weight);
    case 'pause': return RolloutStep.pause(duration(s.duration) as Duration);
    case 'analysis': return RolloutStep.analysis();
    default: return RolloutStep.canaryScale({ weight: s.weight });
  }
}

function buildAnalysis(a: Declaration['analysis']): any {
  const w: any = a.weights;
  return {
    interval: duration(a.interval),
    threshold: a.threshold,
    ...(w.kind === 'step' ? { stepWeight: w.stepWeight, maxWeight: w.maxWeight } : {}),
    ...(w.kind === 'list' ? { stepWeights: w.stepWeights } : {}),
    ...(w.kind === 'steps' ? { steps: w.steps.map(buildStep) } : {}),
    metrics: a.metrics?.map(buildMetric),
    webhooks: [...(a.load ? [CanaryWebhook.loadTest()] : []), ...a.webhooks.filter((hook: any) => !(a.load && hook.kind === 'load')).map(buildWebhook)],
    alerts: (a.alerts as any[]).map(buildAlert),
    receivesLiveTraffic: a.receivesLiveTraffic,
  };
}
