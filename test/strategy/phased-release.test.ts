import { App, Chart, Duration, Testing } from 'cdk8s';
import { CanaryAnalysisOptions, CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GitOps, IDeliveryEngine, ITrafficRouter, ReleasePhase, TrafficRouter, TrafficSegment } from '../../src';
import { only, synth } from '../synth';

/**
 * A phased release as Argo Rollouts runs it: each phase's step analysis carries its own load, and
 * a phase without checks is rejected (whatever the engine).
 */
const OWNER = "CanaryService 'podinfo'";

interface Options {
  readonly engine?: IDeliveryEngine;
  readonly router?: ITrafficRouter;
  readonly analysis?: CanaryAnalysisOptions;
}

function declare(phases: ReleasePhase[], options: Options = {}): CanaryService {
  const chart = new Chart(new App(), 'test', { namespace: 'test' });
  return new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: options.engine ?? DeliveryEngine.argoRollouts(),
    gitOps: GitOps.none(),
    router: options.router ?? TrafficRouter.gatewayApi({ hosts: ['app.example.com'] }),
    strategy: DeliveryStrategy.phased(phases),
    analysis: { interval: Duration.seconds(30), webhooks: [CanaryWebhook.loadTest({ requestsPerSecond: 10 })], ...options.analysis },
  });
}

function synthError(service: CanaryService): string[] {
  try {
    Testing.synth(Chart.of(service));
  } catch (error) {
    return (error as Error).message.split('\n').slice(1).map((line) => line.replace(/^ {2}\[[^\]]*\] /, ''));
  }
  throw new Error('synth did not fail');
}

/** The command of the load Job in a phase's AnalysisTemplate. */
function loadCommandOf(manifests: any[], phase: string): string {
  const template = only(manifests, 'AnalysisTemplate', `podinfo-${phase}`);
  const load = template.spec.metrics.find((metric: any) => metric.name === 'load-test');
  return load.provider.job.spec.template.spec.containers[0].command[2];
}

describe('each phase\'s load carries that phase\'s segment', () => {
  test('Gateway API: employees by header, then New Zealand by country code, then a random sample without a header', () => {
    const service = declare([
      ReleasePhase.of({ name: 'employees', segment: TrafficSegment.dogFood() }),
      ReleasePhase.of({ name: 'new-zealand', segment: TrafficSegment.region(['NZ'], { header: 'cf-ipcountry' }) }),
      ReleasePhase.of({ name: 'everyone', segment: TrafficSegment.randomSample([10, 50]) }),
    ]);
    const manifests = synth(Chart.of(service));
    const gateway = 'http://gateway-istio.test:80/';
    expect(loadCommandOf(manifests, 'employees')).toBe(`hey -z 195s -q 5 -c 2 -host app.example.com -H 'x-canary: insider' ${gateway}`);
    // Before the fix every phase's load carried the first phase's header, which no route matches once that phase ended.
    expect(loadCommandOf(manifests, 'new-zealand')).toBe(`hey -z 195s -q 5 -c 2 -host app.example.com -H 'cf-ipcountry: NZ' ${gateway}`);
    expect(loadCommandOf(manifests, 'everyone')).toBe(`hey -z 195s -q 5 -c 2 -host app.example.com ${gateway}`);
    // Each header route matches what its phase's load sends.
    const routes = only(manifests, 'Rollout').spec.strategy.canary.steps.filter((step: any) => step.setHeaderRoute?.match);
    expect(routes.map((step: any) => step.setHeaderRoute)).toEqual([
      { name: 'employees', match: [{ headerName: 'x-canary', headerValue: { exact: 'insider' } }] },
      { name: 'new-zealand', match: [{ headerName: 'cf-ipcountry', headerValue: { regex: '^(NZ)$' } }] },
    ]);
  });
});

describe('a phase without checks is rejected, for every engine', () => {
  const withoutChecks = (engine: IDeliveryEngine) => declare([
    ReleasePhase.of({ name: 'employees', segment: TrafficSegment.dogFood(), metrics: [CanaryMetric.requestSuccessRate({ min: 99 })] }),
    ReleasePhase.of({ name: 'everyone', segment: TrafficSegment.randomSample([10, 50]), metrics: [] }),
  ], { engine, router: TrafficRouter.istio({ hosts: ['app.example.com'] }) });
  const noChecks = `${OWNER}: 'strategy.phases[1].metrics' ([]) must name at least one check: the phase ('everyone', a random 10, 50% of all requests) `
    + 'would end without measuring anything, and nothing could stop a bad release there; give it CanaryMetric.requestSuccessRate() or another metric';

  test('Argo Rollouts', () => {
    expect(synthError(withoutChecks(DeliveryEngine.argoRollouts()))).toEqual([noChecks]);
  });

  test('Flagger: with the phased release itself, both mistakes at once', () => {
    expect(synthError(withoutChecks(DeliveryEngine.flagger()))).toEqual([
      `${OWNER}: 'strategy' (a phased release) cannot be one Flagger Canary: Flagger runs one strategy per Canary, either an A/B test `
        + '(analysis.iterations with analysis.match) or weights. Use DeliveryEngine.argoRollouts(), which runs the phases as one list of steps, '
        + 'or release in two steps with Flagger: DeliveryStrategy.abTest() for the segment, then DeliveryStrategy.canary() for the weights',
      noChecks,
    ]);
  });

  test('the analysis\'s empty metrics leave every phase without its own unchecked', () => {
    const service = declare([
      ReleasePhase.of({ segment: TrafficSegment.dogFood() }),
      ReleasePhase.of({ segment: TrafficSegment.randomSample([50]), metrics: [CanaryMetric.requestSuccessRate({ min: 99 })] }),
    ], { router: TrafficRouter.istio({ hosts: ['app.example.com'] }), analysis: { metrics: [], webhooks: [CanaryWebhook.acceptanceTest({ command: 'curl -sf http://podinfo-canary.test/healthz' })] } });
    expect(synthError(service)).toEqual([
      `${OWNER}: 'strategy.phases[0].metrics' ([], from 'analysis.metrics') must name at least one check: the phase ('phase-1', employees (header x-canary: insider)) `
        + 'would end without measuring anything, and nothing could stop a bad release there; give it CanaryMetric.requestSuccessRate() or another metric',
    ]);
  });
});
