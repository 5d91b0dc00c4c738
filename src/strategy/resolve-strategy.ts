import { Duration } from 'cdk8s';
import { DeliveryStrategy, StrategyConfig, StrategyKind } from './delivery-strategy';
import { combinationsWith } from './support-matrix';
import { TrafficFeature } from './traffic-feature';
import { MatchTarget, SegmentKind, TrafficSegment } from './traffic-segment';
import { CanaryAnalysisOptions, ResolvedAnalysis } from '../analysis/analysis';
import { resolveAnalysis } from '../analysis/resolve-analysis';
import { checkDnsLabel, checkDnsSubdomain, checkHostLabels, checkInteger, checkUniqueNames, checkWholeSeconds, fail } from '../validation';

/** What a strategy is checked against. */
export interface StrategyChecks {
  readonly owner: string;
  /** The analysis as declared (to tell explicit weights from defaults). */
  readonly analysisOptions?: CanaryAnalysisOptions;
  readonly analysis: ResolvedAnalysis;
  /** The engine's name, e.g. `flagger`. */
  readonly engine: string;
  /** The router's name and what it supports with the engine. */
  readonly router: { readonly name: string; supports(engine: string, feature: TrafficFeature): boolean };
}

const FEATURE_WORDS: { [feature: string]: string } = {
  [TrafficFeature.WEIGHTED]: 'weighted traffic shifting',
  [TrafficFeature.HEADER_MATCH]: 'routing by header or cookie',
  [TrafficFeature.QUERY_MATCH]: 'routing by query parameter',
  [TrafficFeature.MIRRORING]: 'mirroring traffic to the new version',
  [TrafficFeature.SESSION_AFFINITY]: 'session affinity',
  [TrafficFeature.BLUE_GREEN]: 'blue/green switching',
};

const ARGO_ROLLOUTS = 'argo-rollouts';
const ENGINE_WORDS: { [engine: string]: string } = { 'flagger': 'Flagger', 'argo-rollouts': 'Argo Rollouts' };

/** Applies defaults and rejects what the engine and router cannot run, naming what would. */
export function resolveStrategy(checks: StrategyChecks, strategy: DeliveryStrategy = DeliveryStrategy.canary()): StrategyConfig {
  const config = strategy.bind();
  const { owner, analysis } = checks;
  const interval = analysis.interval.toSeconds();
  const require = (features: TrafficFeature[], what: string, engines?: string[]) => {
    for (const feature of features) {
      if (!checks.router.supports(checks.engine, feature)) {
        const elsewhere = combinationsWith(features, engines, checks.router.name);
        const engineWords = ENGINE_WORDS[checks.engine] ?? checks.engine;
        // A router that runs only blue/green with this engine (Flagger's provider kubernetes) says so.
        const blueGreenHere = config.kind !== StrategyKind.BLUE_GREEN && !checks.router.supports(checks.engine, TrafficFeature.WEIGHTED)
          && checks.router.supports(checks.engine, TrafficFeature.BLUE_GREEN);
        fail(owner, `'strategy' (${what}) needs ${FEATURE_WORDS[feature]}, which ${engineWords} cannot do with the ${checks.router.name} router`
          + (elsewhere.length ? `; it works with ${elsewhere.join(', or ')}` : '')
          + (blueGreenHere ? `; or use DeliveryStrategy.blueGreen(), which ${engineWords} runs with the ${checks.router.name} router` : ''));
      }
    }
  };
  const noWeights = (what: string) => {
    const given = (['steps', 'stepWeight', 'stepWeights', 'maxWeight'] as const).filter((key) => checks.analysisOptions?.[key] !== undefined);
    if (given.length > 0) {
      fail(owner, `'strategy' (${what}) sets how traffic moves, so ${given.map((k) => `'analysis.${k}'`).join(' and ')} cannot be set too: a canary's weights belong with DeliveryStrategy.canary()`);
    }
  };

  switch (config.kind) {
    case StrategyKind.CANARY: {
      const affinity = config.canary?.sessionAffinity;
      if (affinity) {
        checkCookieName(owner, 'strategy.sessionAffinity.cookieName', affinity.cookieName);
        if (affinity.primaryCookieName !== undefined) checkCookieName(owner, 'strategy.sessionAffinity.primaryCookieName', affinity.primaryCookieName);
        checkWholeSeconds(owner, 'strategy.sessionAffinity.maxAge', affinity.maxAge, 1);
        require([TrafficFeature.WEIGHTED, TrafficFeature.SESSION_AFFINITY], 'a canary with session affinity');
      } else {
        require([TrafficFeature.WEIGHTED], 'a weighted canary');
      }
      return config;
    }
    case StrategyKind.AB_TEST: {
      const ab = config.abTest!;
      noWeights('an A/B test');
      checkSegments(owner, 'strategy.segments', ab.segments, 'an A/B test routes requests that match; a random sample is a canary: use DeliveryStrategy.canary() with stepWeights');
      if (ab.iterations !== undefined && ab.duration !== undefined) {
        fail(owner, "'strategy' (an A/B test) sets 'iterations' and 'duration': either, not both");
      }
      const iterations = ab.duration !== undefined
        ? Math.ceil(checkWholeSeconds(owner, 'strategy.duration', ab.duration, interval) / interval)
        : checkInteger(owner, 'strategy.iterations', ab.iterations!, 1, 1000);
      checkInteger(owner, 'strategy.canaryScale', ab.canaryScale, 1, 100);
      require(matchFeatures(ab.segments), 'an A/B test');
      return { kind: config.kind, abTest: { ...ab, iterations, duration: Duration.seconds(iterations * interval) } };
    }
    case StrategyKind.BLUE_GREEN: {
      const bg = config.blueGreen!;
      noWeights('blue/green');
      checkInteger(owner, 'strategy.iterations', bg.iterations, 1, 1000);
      if (bg.mirrorPercentage !== undefined) checkInteger(owner, 'strategy.mirrorPercentage', bg.mirrorPercentage, 1, 100);
      if (bg.scaleDownDelay !== undefined) checkWholeSeconds(owner, 'strategy.scaleDownDelay', bg.scaleDownDelay, 0);
      if (bg.previewHost !== undefined) checkHostLabels(owner, 'strategy.previewHost', checkDnsSubdomain(owner, 'strategy.previewHost', bg.previewHost));
      require([TrafficFeature.BLUE_GREEN, ...(bg.mirrorPercentage !== undefined ? [TrafficFeature.MIRRORING] : [])],
        bg.mirrorPercentage !== undefined ? 'blue/green with mirrored traffic' : 'blue/green');
      return config;
    }
    case StrategyKind.PHASED: {
      const phases = config.phases ?? [];
      noWeights('a phased release');
      if (phases.length === 0) fail(owner, "'strategy' (a phased release) needs at least one ReleasePhase");
      if (checks.engine === 'flagger') {
        fail(owner, "'strategy' (a phased release) cannot be one Flagger Canary: Flagger runs one strategy per Canary, either an A/B test "
          + '(analysis.iterations with analysis.match) or weights. Use DeliveryEngine.argoRollouts(), which runs the phases as one list of steps, '
          + 'or release in two steps with Flagger: DeliveryStrategy.abTest() for the segment, then DeliveryStrategy.canary() for the weights');
      }
      const names = phases.map((phase, i) => phase.name ?? `phase-${i + 1}`);
      names.forEach((name, i) => checkDnsLabel(owner, `strategy.phases[${i}].name`, name, 40));
      checkUniqueNames(owner, 'strategy.phases', names);
      phases.forEach((phase, i) => {
        const property = `strategy.phases[${i}]`;
        const problems = phase.segment._problems(`${property}.segment`);
        if (problems.length) fail(owner, problems[0]);
        if (phase.hold !== undefined) checkWholeSeconds(owner, `${property}.hold`, phase.hold, 1);
        if (phase.canaryScale !== undefined) checkInteger(owner, `${property}.canaryScale`, phase.canaryScale, 1, 100);
        if (phase.metrics !== undefined) {
          // The phase's checks follow the analysis's rules (names, bounds, PromQL).
          resolveAnalysis(owner, {
            ...checks.analysisOptions,
            steps: undefined,
            stepWeight: undefined,
            stepWeights: undefined,
            maxWeight: undefined,
            metrics: phase.metrics,
            receivesLiveTraffic: true,
          });
        }
        const features = phase.segment.kind === SegmentKind.MATCH ? matchFeatures([phase.segment]) : [TrafficFeature.WEIGHTED];
        require(features, `a phased release, ${property}`, [ARGO_ROLLOUTS]);
      });
      return config;
    }
  }
}

function matchFeatures(segments: TrafficSegment[]): TrafficFeature[] {
  const targets = new Set(segments.flatMap((s) => s.conditions.map((c) => c.target)));
  return [
    ...(targets.has(MatchTarget.HEADER) ? [TrafficFeature.HEADER_MATCH] : []),
    ...(targets.has(MatchTarget.QUERY_PARAM) ? [TrafficFeature.QUERY_MATCH] : []),
  ];
}

function checkSegments(owner: string, property: string, segments: TrafficSegment[], sampleWhy: string): void {
  if (segments.length === 0) fail(owner, `'${property}' must name at least one TrafficSegment`);
  segments.forEach((segment, i) => {
    if (segment.kind !== SegmentKind.MATCH) fail(owner, `'${property}[${i}]' (${segment.description}) is a random sample: ${sampleWhy}`);
    const problems = segment._problems(`${property}[${i}]`);
    if (problems.length) fail(owner, problems[0]);
  });
}

function checkCookieName(owner: string, property: string, name: string): void {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
    fail(owner, `'${property}' ('${name}') must be a cookie name: letters, digits and !#$%&'*+.^_\`|~-`);
  }
}
