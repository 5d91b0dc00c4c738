import { Chart, Duration, Testing } from 'cdk8s';
import {
  CanaryAnalysisOptions, CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GateStage, GitOps, HeaderMatchKind, IDeliveryEngine,
  ITrafficRouter, MatchTarget, ReleasePhase, SegmentKind, StrategyKind, TrafficRouter, TrafficSegment,
} from '../../src';
import { only } from '../synth';

const OWNER = "CanaryService 'podinfo'";

interface Declaration {
  readonly engine?: IDeliveryEngine;
  readonly router?: ITrafficRouter;
  readonly analysis?: CanaryAnalysisOptions;
}

function declare(strategy: DeliveryStrategy, options: Declaration = {}): any[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  new CanaryService(chart, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: options.engine ?? DeliveryEngine.flagger(),
    router: options.router ?? TrafficRouter.istio({ hosts: ['app.example.com'] }),
    strategy,
    analysis: { interval: Duration.seconds(30), webhooks: [CanaryWebhook.loadTest()], ...options.analysis },
  });
  return Testing.synth(chart);
}

const argo = () => DeliveryEngine.argoRollouts();

describe('TrafficSegment', () => {
  test('header: one exact condition on the lower-cased header', () => {
    const segment = TrafficSegment.header('X-Canary', 'always');
    expect(segment.kind).toBe(SegmentKind.MATCH);
    expect(segment.conditions).toEqual([{ target: MatchTarget.HEADER, name: 'x-canary', value: 'always', kind: HeaderMatchKind.EXACT }]);
    expect(segment.description).toBe('requests with header x-canary: always');
    expect(TrafficSegment.header('x-user', '^beta-', { kind: HeaderMatchKind.REGEX, description: 'beta users' }).description).toBe('beta users');
  });

  test('cookie: a regular expression on the cookie header that finds the cookie among others, and only it', () => {
    const segment = TrafficSegment.cookie('plan', 'beta');
    expect(segment.conditions).toHaveLength(1);
    const { name, value, kind } = segment.conditions[0];
    expect([name, kind]).toEqual(['cookie', HeaderMatchKind.REGEX]);
    const regex = new RegExp(value);
    for (const header of ['plan=beta', 'a=1; plan=beta', 'a=1;plan=beta; b=2', 'plan=beta;b=2']) expect(header).toMatch(regex);
    for (const header of ['plan=betamax', 'xplan=beta', 'a=plan=beta', 'plan=alpha', 'plan=bet']) expect(header).not.toMatch(regex);
  });

  test('cookie values with regex characters are matched literally', () => {
    const regex = new RegExp(TrafficSegment.cookie('v', '1.0+').conditions[0].value);
    expect('v=1.0+').toMatch(regex);
    expect('v=1x00').not.toMatch(regex);
  });

  test('queryParam: one exact condition on the query parameter', () => {
    expect(TrafficSegment.queryParam('variant', 'b').conditions).toEqual([{ target: MatchTarget.QUERY_PARAM, name: 'variant', value: 'b', kind: HeaderMatchKind.EXACT }]);
  });

  test('randomSample: a sample segment with its weights and no condition', () => {
    const segment = TrafficSegment.randomSample([5, 25, 50]);
    expect(segment.kind).toBe(SegmentKind.SAMPLE);
    expect(segment.weights).toEqual([5, 25, 50]);
    expect(segment.conditions).toEqual([]);
    expect(segment.description).toBe('a random 5, 25, 50% of all requests');
  });

  test('dogFood: x-canary: insider by default, or a header or cookie of one\'s own', () => {
    expect(TrafficSegment.dogFood().conditions).toEqual([{ target: MatchTarget.HEADER, name: 'x-canary', value: 'insider', kind: HeaderMatchKind.EXACT }]);
    expect(TrafficSegment.dogFood().description).toBe('employees (header x-canary: insider)');
    expect(TrafficSegment.dogFood({ header: 'X-Employee', value: 'yes' }).conditions[0]).toMatchObject({ name: 'x-employee', value: 'yes' });
    const cookie = TrafficSegment.dogFood({ cookie: 'staff' });
    expect(cookie.description).toBe('employees (cookie staff=insider)');
    expect('staff=insider').toMatch(new RegExp(cookie.conditions[0].value));
  });

  test('region: the country codes, upper-cased, as an anchored alternative on the edge\'s header', () => {
    const segment = TrafficSegment.region(['nz', 'AU']);
    expect(segment.conditions).toEqual([{ target: MatchTarget.HEADER, name: 'x-country-code', value: '^(NZ|AU)$', kind: HeaderMatchKind.REGEX }]);
    expect(segment.description).toBe('requests from NZ, AU (header x-country-code)');
    expect(TrafficSegment.region(['DE'], { header: 'CF-IPCountry' }).conditions[0].name).toBe('cf-ipcountry');
    expect('NZL').not.toMatch(new RegExp(segment.conditions[0].value));
  });

  test('userCohort: a cookie the app sets', () => {
    const segment = TrafficSegment.userCohort('plan', 'free');
    expect(segment.description).toBe('users with plan=free');
    expect('session=1; plan=free').toMatch(new RegExp(segment.conditions[0].value));
  });
});

describe('DeliveryStrategy.bind()', () => {
  test('defaults: canary without affinity; A/B for 10 intervals with the canary at 25%; blue/green for 10 intervals, promoted automatically', () => {
    expect(DeliveryStrategy.canary().bind()).toEqual({ kind: StrategyKind.CANARY, canary: { sessionAffinity: undefined } });
    expect(DeliveryStrategy.abTest({ segments: [TrafficSegment.dogFood()] }).bind().abTest).toMatchObject({ iterations: 10, canaryScale: 25 });
    expect(DeliveryStrategy.blueGreen().bind().blueGreen).toEqual({
      iterations: 10, autoPromote: true, mirrorPercentage: undefined, scaleDownDelay: undefined, previewHost: undefined,
    });
    const affinity = DeliveryStrategy.canary({ sessionAffinity: { primaryCookieName: 'primary' } }).bind().canary!.sessionAffinity!;
    expect([affinity.cookieName, affinity.primaryCookieName, affinity.maxAge.toSeconds()]).toEqual(['canary-session', 'primary', 86400]);
  });

  test('an A/B duration becomes whole intervals, rounded up', () => {
    const manifests = declare(DeliveryStrategy.abTest({ segments: [TrafficSegment.dogFood()], duration: Duration.seconds(100) }));
    expect(only(manifests, 'Canary').spec.analysis.iterations).toBe(4);
  });
});

describe('bad declarations fail at synth, naming the property and what is allowed', () => {
  const ab = (segments: TrafficSegment[], extra: object = {}) => DeliveryStrategy.abTest({ segments, ...extra });
  test.each([
    ['no segment', ab([]), "'strategy.segments' must name at least one TrafficSegment"],
    ['a random sample in an A/B test', ab([TrafficSegment.randomSample([10])]),
      "'strategy.segments[0]' (a random 10% of all requests) is a random sample: an A/B test routes requests that match; a random sample is a canary: use DeliveryStrategy.canary() with stepWeights"],
    ['a header name with a space', ab([TrafficSegment.header('X Canary', 'yes')]),
      "'strategy.segments[0]' header name ('x canary') must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)"],
    ['an empty header value', ab([TrafficSegment.header('x-canary', '')]), "'strategy.segments[0]' value for 'x-canary' must not be empty or span lines"],
    ['an invalid regular expression', ab([TrafficSegment.header('x-canary', '(', { kind: HeaderMatchKind.REGEX })]),
      "'strategy.segments[0]' value for 'x-canary' ('(') must be an RE2 regular expression (Envoy and Istio match with RE2, "
      + "which has no lookarounds, backreferences, possessive quantifiers or atomic groups): missing closing ): '('"],
    ['a cookie value with a semicolon', ab([TrafficSegment.cookie('plan', 'a;b')]),
      "'strategy.segments[0]' cookie value ('a;b') must be a cookie value (no spaces, quotes, commas, semicolons or backslashes)"],
    ['a cookie name with a space', ab([TrafficSegment.userCohort('my plan', 'a')]),
      "'strategy.segments[0]' cookie name ('my plan') must be a cookie name (letters, digits and !#$%&'*+.^_`|~-)"],
    ['a three-letter country code', ab([TrafficSegment.region(['NZL'])]),
      "'strategy.segments[0]' country code ('NZL') must be an ISO 3166-1 alpha-2 code, the codes edges send (e.g. 'NZ', 'GB', 'US')"],
    ['no country code', ab([TrafficSegment.region([])]), "'strategy.segments[0]' must name at least one country code"],
    ['iterations and duration', ab([TrafficSegment.dogFood()], { iterations: 3, duration: Duration.minutes(5) }),
      "'strategy' (an A/B test) sets 'iterations' and 'duration': either, not both"],
    ['zero iterations', ab([TrafficSegment.dogFood()], { iterations: 0 }), "'strategy.iterations' (0) must be an integer between 1 and 1000"],
    ['a duration shorter than an interval', ab([TrafficSegment.dogFood()], { duration: Duration.seconds(10) }),
      "'strategy.duration' (10 seconds) must be a whole number of seconds, at least 30s"],
    ['a canary scale of 0', ab([TrafficSegment.dogFood()], { canaryScale: 0 }), "'strategy.canaryScale' (0) must be an integer between 1 and 100"],
    ['mirroring 0 %', DeliveryStrategy.blueGreen({ mirrorPercentage: 0 }), "'strategy.mirrorPercentage' (0) must be an integer between 1 and 100"],
    ['a preview host that is not a DNS name', DeliveryStrategy.blueGreen({ previewHost: 'Preview_Host' }),
      "'strategy.previewHost' ('Preview_Host') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'"],
    ['a session cookie name with a space', DeliveryStrategy.canary({ sessionAffinity: { cookieName: 'my cookie' } }),
      "'strategy.sessionAffinity.cookieName' ('my cookie') must be a cookie name: letters, digits and !#$%&'*+.^_`|~-"],
    ['a session lifetime under a second', DeliveryStrategy.canary({ sessionAffinity: { maxAge: Duration.millis(500) } }),
      "'strategy.sessionAffinity.maxAge' (500 millis) must be a whole number of seconds, at least 1s"],
  ])('%s', (_what, strategy, message) => {
    expect(() => declare(strategy)).toThrow(`${OWNER}: ${message}`);
  });

  test('weights of a canary with another strategy', () => {
    expect(() => declare(DeliveryStrategy.blueGreen(), { analysis: { stepWeight: 20, maxWeight: 60 } })).toThrow(
      `${OWNER}: 'strategy' (blue/green) sets how traffic moves, so 'analysis.stepWeight' and 'analysis.maxWeight' cannot be set too: a canary's weights belong with DeliveryStrategy.canary()`,
    );
  });

  describe('phased releases (Argo Rollouts)', () => {
    const phased = (phases: ReleasePhase[]) => () => declare(DeliveryStrategy.phased(phases), { engine: argo() });
    test('no phase', () => {
      expect(phased([])).toThrow(`${OWNER}: 'strategy' (a phased release) needs at least one ReleasePhase`);
    });
    test('two phases with one name', () => {
      expect(phased([
        ReleasePhase.of({ name: 'beta', segment: TrafficSegment.dogFood() }),
        ReleasePhase.of({ name: 'beta', segment: TrafficSegment.randomSample([50]) }),
      ])).toThrow(`${OWNER}: 'strategy.phases' has two entries named 'beta'; names must be unique`);
    });
    test('a name that is not a DNS label', () => {
      expect(phased([ReleasePhase.of({ name: 'Beta Users', segment: TrafficSegment.dogFood() })])).toThrow(
        `${OWNER}: 'strategy.phases[0].name' ('Beta Users') must be a DNS label of at most 40 characters`,
      );
    });
    test('weights that do not increase', () => {
      expect(phased([ReleasePhase.of({ segment: TrafficSegment.randomSample([50, 20]) })])).toThrow(
        `${OWNER}: 'strategy.phases[0].segment' weights ([50, 20]) must be a non-empty list of strictly increasing integers between 1 and 100`,
      );
    });
    test('a canary scale above 100', () => {
      expect(phased([ReleasePhase.of({ segment: TrafficSegment.dogFood(), canaryScale: 150 })])).toThrow(
        `${OWNER}: 'strategy.phases[0].canaryScale' (150) must be an integer between 1 and 100`,
      );
    });
    test('a phase\'s canary scale is the scale before its header route', () => {
      const strategy = DeliveryStrategy.phased([ReleasePhase.of({ segment: TrafficSegment.dogFood(), canaryScale: 50 })]);
      const manifests = declare(strategy, { engine: argo() });
      expect(only(manifests, 'Rollout').spec.strategy.canary.steps.slice(0, 2)).toEqual([
        { setCanaryScale: { weight: 50 } },
        { setHeaderRoute: { name: 'phase-1', match: [{ headerName: 'x-canary', headerValue: { exact: 'insider' } }] } },
      ]);
    });
    test('a hold of part of a second', () => {
      expect(phased([ReleasePhase.of({ segment: TrafficSegment.dogFood(), hold: Duration.millis(1500) })])).toThrow(
        `${OWNER}: 'strategy.phases[0].hold' (1 second 500 millis) must be a whole number of seconds, at least 1s`,
      );
    });
  });
});

describe('blue/green settings per engine', () => {
  test('Flagger: without autoPromote, a confirm-promotion gate holds the switch', () => {
    const canary = only(declare(DeliveryStrategy.blueGreen({ autoPromote: false })), 'Canary');
    const gates = canary.spec.analysis.webhooks.filter((w: any) => w.type === 'confirm-promotion');
    expect(gates).toHaveLength(1);
    expect(gates[0].url).toBe('http://flagger-loadtester.test/gate/check');
  });

  test('Flagger: a scale-down delay has no equivalent', () => {
    expect(() => declare(DeliveryStrategy.blueGreen({ scaleDownDelay: Duration.minutes(5) }))).toThrow(
      `${OWNER}: 'strategy.scaleDownDelay' has no Flagger equivalent: at promotion the primary takes the new version and the canary is scaled to zero, so no old version is left to switch back to; leave it out, or use DeliveryEngine.argoRollouts()`,
    );
  });

  test('Argo Rollouts: autoPromotionEnabled and scaleDownDelaySeconds', () => {
    const blueGreen = only(declare(DeliveryStrategy.blueGreen({ autoPromote: false, scaleDownDelay: Duration.minutes(5) }), { engine: argo() }), 'Rollout')
      .spec.strategy.blueGreen;
    expect(blueGreen).toMatchObject({ autoPromotionEnabled: false, scaleDownDelaySeconds: 300 });
  });

  test('Argo Rollouts: a confirm-promotion gate also holds the switch', () => {
    const analysis = { webhooks: [CanaryWebhook.loadTest(), CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION })] };
    expect(only(declare(DeliveryStrategy.blueGreen(), { engine: argo(), analysis }), 'Rollout').spec.strategy.blueGreen.autoPromotionEnabled).toBe(false);
  });

  test('Argo Rollouts: a confirm-rollout gate has no blue/green equivalent', () => {
    const analysis = { webhooks: [CanaryWebhook.loadTest(), CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_ROLLOUT })] };
    expect(() => declare(DeliveryStrategy.blueGreen(), { engine: argo(), analysis })).toThrow(
      `${OWNER}: 'analysis.webhooks[1]' (a confirm-rollout gate) has no equivalent in Argo Rollouts' blue/green, which brings the new version up at once: hold before the switch instead, with DeliveryStrategy.blueGreen({ autoPromote: false }) or a confirm-promotion gate`,
    );
  });

  test('Argo Rollouts: canary-only engine options are rejected with blue/green', () => {
    expect(() => declare(DeliveryStrategy.blueGreen(), { engine: DeliveryEngine.argoRollouts({ dynamicStableScale: true }) })).toThrow(
      `${OWNER}: 'dynamicStableScale' of DeliveryEngine.argoRollouts() apply to canary steps, not to blue/green; leave them out, or use DeliveryStrategy.canary()`,
    );
    expect(() => declare(DeliveryStrategy.blueGreen(), { engine: DeliveryEngine.argoRollouts({ scaleDownDelay: Duration.minutes(1) }) })).toThrow(
      `${OWNER}: 'scaleDownDelay' of DeliveryEngine.argoRollouts() applies to canaries; with blue/green, set it on DeliveryStrategy.blueGreen({ scaleDownDelay })`,
    );
  });

  test('Argo Rollouts: mirroring runs as canary steps, so a scale-down delay does not apply', () => {
    expect(() => declare(DeliveryStrategy.blueGreen({ mirrorPercentage: 20, scaleDownDelay: Duration.minutes(1) }), { engine: argo() })).toThrow(
      `${OWNER}: 'strategy.scaleDownDelay' does not apply to blue/green with mirroring, which runs as canary steps: the old version stays until the checks after the switch pass`,
    );
  });

  test('Argo Rollouts: a starting step applies only to a canary\'s background analysis', () => {
    expect(() => declare(DeliveryStrategy.blueGreen(), { engine: DeliveryEngine.argoRollouts({ analysisStartingStep: 1 }) })).toThrow(
      `${OWNER}: 'analysisStartingStep' applies to a canary's background analysis; this strategy checks with analyses of its own steps`,
    );
  });
});
