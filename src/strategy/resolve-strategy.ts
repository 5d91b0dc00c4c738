import { Duration } from 'cdk8s';
import { DeliveryStrategy, StrategyConfig, StrategyKind } from './delivery-strategy';
import { ReleasePhase } from './release-phase';
import { combinationsWith } from './support-matrix';
import { TrafficFeature } from './traffic-feature';
import { MatchTarget, SegmentKind, TrafficSegment } from './traffic-segment';
import { CanaryAnalysisOptions, ResolvedAnalysis } from '../analysis/analysis';
import { checkMetrics } from '../analysis/resolve-analysis';
import { checkDnsLabel, checkDnsSubdomain, checkHostLabels, checkInteger, checkUniqueNames, checkWholeSeconds, DeclarationErrors, fail } from '../validation';

/** What a strategy is checked against. */
export interface StrategyChecks {
  readonly owner: string;
  /** The analysis as declared (to tell explicit weights from defaults). */
  readonly analysisOptions?: CanaryAnalysisOptions;
  /**
   * The resolved analysis; undefined when it has mistakes of its own (reported apart), in which case
   * the checks that need its interval are left out and the rest still run.
   */
  readonly analysis?: ResolvedAnalysis;
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

/**
 * Applies defaults and rejects what the engine and router cannot run, naming what would. Every
 * independent mistake of the strategy is reported, together (one DeclarationError).
 */
export function resolveStrategy(checks: StrategyChecks, strategy: DeliveryStrategy = DeliveryStrategy.canary()): StrategyConfig {
  const config = strategy.bind();
  const { owner, analysis } = checks;
  const errors = new DeclarationErrors();
  const check = <T>(what: () => T): T | undefined => errors.attempt(what);
  const report = (problems: string[]) => problems.forEach((problem) => check(() => fail(owner, problem)));
  const require = (features: TrafficFeature[], what: string, engines?: string[]) => {
    const missing = features.find((feature) => !checks.router.supports(checks.engine, feature));
    if (missing === undefined) return;
    const elsewhere = combinationsWith(features, engines, checks.router.name);
    const engineWords = ENGINE_WORDS[checks.engine] ?? checks.engine;
    // A router that runs only blue/green with this engine (Flagger's provider kubernetes) says so.
    const blueGreenHere = config.kind !== StrategyKind.BLUE_GREEN && !checks.router.supports(checks.engine, TrafficFeature.WEIGHTED)
      && checks.router.supports(checks.engine, TrafficFeature.BLUE_GREEN);
    check(() => fail(owner, `'strategy' (${what}) needs ${FEATURE_WORDS[missing]}, which ${engineWords} cannot do with the ${checks.router.name} router`
      + (elsewhere.length ? `; it works with ${elsewhere.join(', or ')}` : '')
      + (blueGreenHere ? `; or use DeliveryStrategy.blueGreen(), which ${engineWords} runs with the ${checks.router.name} router` : '')));
  };
  const noWeights = (what: string) => {
    const given = (['steps', 'stepWeight', 'stepWeights', 'maxWeight'] as const).filter((key) => checks.analysisOptions?.[key] !== undefined);
    if (given.length > 0) {
      check(() => fail(owner, `'strategy' (${what}) sets how traffic moves, so ${given.map((k) => `'analysis.${k}'`).join(' and ')} cannot be set too: a canary's weights belong with DeliveryStrategy.canary()`));
    }
  };
  const resolved = resolveKind();
  errors.throwIfAny();
  return resolved;

  function resolveKind(): StrategyConfig {
    switch (config.kind) {
      case StrategyKind.CANARY: {
        const affinity = config.canary?.sessionAffinity;
        if (affinity) {
          check(() => checkCookieName(owner, 'strategy.sessionAffinity.cookieName', affinity.cookieName));
          if (affinity.primaryCookieName !== undefined) check(() => checkCookieName(owner, 'strategy.sessionAffinity.primaryCookieName', affinity.primaryCookieName!));
          check(() => checkWholeSeconds(owner, 'strategy.sessionAffinity.maxAge', affinity.maxAge, 1));
          require([TrafficFeature.WEIGHTED, TrafficFeature.SESSION_AFFINITY], 'a canary with session affinity');
        } else {
          require([TrafficFeature.WEIGHTED], 'a weighted canary');
        }
        return config;
      }
      case StrategyKind.AB_TEST: {
        const ab = config.abTest!;
        noWeights('an A/B test');
        report(segmentProblems('strategy.segments', ab.segments, 'an A/B test routes requests that match; a random sample is a canary: use DeliveryStrategy.canary() with stepWeights'));
        check(() => checkInteger(owner, 'strategy.canaryScale', ab.canaryScale, 1, 100));
        require(matchFeatures(ab.segments), 'an A/B test');
        if (ab.iterations !== undefined && ab.duration !== undefined) {
          check(() => fail(owner, "'strategy' (an A/B test) sets 'iterations' and 'duration': either, not both"));
          return config;
        }
        const iterations = ab.duration === undefined
          ? check(() => checkInteger(owner, 'strategy.iterations', ab.iterations!, 1, 1000))
          // The duration is whole intervals: without a valid analysis there is no interval to check it against.
          : analysis && check(() => Math.ceil(checkWholeSeconds(owner, 'strategy.duration', ab.duration!, analysis.interval.toSeconds()) / analysis.interval.toSeconds()));
        if (iterations === undefined || analysis === undefined) return config;
        return { kind: config.kind, abTest: { ...ab, iterations, duration: Duration.seconds(iterations * analysis.interval.toSeconds()) } };
      }
      case StrategyKind.BLUE_GREEN: {
        const bg = config.blueGreen!;
        noWeights('blue/green');
        check(() => checkInteger(owner, 'strategy.iterations', bg.iterations, 1, 1000));
        if (bg.mirrorPercentage !== undefined) check(() => checkInteger(owner, 'strategy.mirrorPercentage', bg.mirrorPercentage!, 1, 100));
        if (bg.scaleDownDelay !== undefined) check(() => checkWholeSeconds(owner, 'strategy.scaleDownDelay', bg.scaleDownDelay!, 0));
        if (bg.previewHost !== undefined) check(() => checkHostLabels(owner, 'strategy.previewHost', checkDnsSubdomain(owner, 'strategy.previewHost', bg.previewHost!)));
        require([TrafficFeature.BLUE_GREEN, ...(bg.mirrorPercentage !== undefined ? [TrafficFeature.MIRRORING] : [])],
          bg.mirrorPercentage !== undefined ? 'blue/green with mirrored traffic' : 'blue/green');
        return config;
      }
      case StrategyKind.PHASED: {
        const phases = config.phases ?? [];
        noWeights('a phased release');
        if (phases.length === 0) check(() => fail(owner, "'strategy' (a phased release) needs at least one ReleasePhase"));
        if (checks.engine === 'flagger') {
          check(() => fail(owner, "'strategy' (a phased release) cannot be one Flagger Canary: Flagger runs one strategy per Canary, either an A/B test "
            + '(analysis.iterations with analysis.match) or weights. Use DeliveryEngine.argoRollouts(), which runs the phases as one list of steps, '
            + 'or release in two steps with Flagger: DeliveryStrategy.abTest() for the segment, then DeliveryStrategy.canary() for the weights'));
        }
        const names = phases.map((phase, i) => phase.name ?? `phase-${i + 1}`);
        names.forEach((name, i) => check(() => checkDnsLabel(owner, `strategy.phases[${i}].name`, name, 40)));
        check(() => checkUniqueNames(owner, 'strategy.phases', names));
        phases.forEach((phase, i) => checkPhase(phase, i));
        return config;
      }
    }
  }

  function checkPhase(phase: ReleasePhase, i: number): void {
    const property = `strategy.phases[${i}]`;
    report(phase.segment._problems(`${property}.segment`));
    if (phase.hold !== undefined) check(() => checkWholeSeconds(owner, `${property}.hold`, phase.hold!, 1));
    if (phase.canaryScale !== undefined) check(() => checkInteger(owner, `${property}.canaryScale`, phase.canaryScale!, 1, 100));
    const metrics = phase.metrics ?? analysis?.metrics ?? checks.analysisOptions?.metrics;
    if (metrics !== undefined && metrics.length === 0) {
      // Each phase is judged by its own analysis: one without checks promotes whatever reaches it.
      check(() => fail(owner, `'${property}.metrics' ([]${phase.metrics === undefined ? ", from 'analysis.metrics'" : ''}) must name at least one check: `
        + `the phase ('${phase.name ?? `phase-${i + 1}`}', ${phase.segment.description}) would end without measuring anything, and nothing could stop a bad release there; `
        + 'give it CanaryMetric.requestSuccessRate() or another metric'));
    }
    // The phase's checks follow the analysis's rules (names, bounds, PromQL), named by their place in the phase.
    if (phase.metrics !== undefined) check(() => checkMetrics(owner, `${property}.metrics`, phase.metrics!));
    const features = phase.segment.kind === SegmentKind.MATCH ? matchFeatures([phase.segment]) : [TrafficFeature.WEIGHTED];
    require(features, `a phased release, ${property}`, [ARGO_ROLLOUTS]);
  }
}

function matchFeatures(segments: TrafficSegment[]): TrafficFeature[] {
  const targets = new Set(segments.flatMap((s) => s.conditions.map((c) => c.target)));
  return [
    ...(targets.has(MatchTarget.HEADER) ? [TrafficFeature.HEADER_MATCH] : []),
    ...(targets.has(MatchTarget.QUERY_PARAM) ? [TrafficFeature.QUERY_MATCH] : []),
  ];
}

/** Every problem of the segments of an A/B test, each naming its segment. */
function segmentProblems(property: string, segments: TrafficSegment[], sampleWhy: string): string[] {
  if (segments.length === 0) return [`'${property}' must name at least one TrafficSegment`];
  return segments.flatMap((segment, i) => [
    ...(segment.kind !== SegmentKind.MATCH ? [`'${property}[${i}]' (${segment.description}) is a random sample: ${sampleWhy}`] : []),
    ...segment._problems(`${property}[${i}]`),
  ]);
}

function checkCookieName(owner: string, property: string, name: string): void {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
    fail(owner, `'${property}' ('${name}') must be a cookie name: letters, digits and !#$%&'*+.^_\`|~-`);
  }
}
