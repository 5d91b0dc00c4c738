import { Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  CanaryMetric, CanaryService, CanaryWebhook, DeliveryStrategy, GitOps, IDeliveryEngine, IPrometheus, ITrafficRouter, RehearsalExpectations,
  SafetyNetOptions, StrategyKind,
} from '../../src';

/** What may differ between copies of the podinfo declaration in one app (the benchmark makes many). */
export interface PodinfoCopy {
  /** @default 'podinfo' */
  readonly name?: string;
  /** @default - the chart's namespace */
  readonly namespace?: string;
  /** @default - the embedded Prometheus of the namespace */
  readonly prometheus?: IPrometheus;
  /** @default - a weighted canary, 10 % to 50 % by 10 */
  readonly strategy?: DeliveryStrategy;
  /** @default - no safety net */
  readonly safetyNet?: SafetyNetOptions;
  /** @default - no GitOps marks */
  readonly gitOps?: GitOps;
  /** @default - none */
  readonly envFrom?: kplus.EnvFrom[];
  /** @default - no expectations of the rehearsal beyond promoting a healthy release and never a bad one */
  readonly rehearsal?: RehearsalExpectations;
}

/**
 * podinfo as one declaration that every engine and router runs: only `engine`, `router` and (in the
 * strategy examples) `strategy` vary between the examples, the matrix test and the benchmark.
 */
export function podinfo(chart: Chart, engine: IDeliveryEngine, router: ITrafficRouter, copy: PodinfoCopy = {}): CanaryService {
  const name = copy.name ?? 'podinfo';
  const namespace = copy.namespace ?? chart.namespace;
  const strategy = copy.strategy?.bind();
  // Weights belong to a weighted canary; the other strategies say how traffic moves themselves.
  const weighted = (strategy?.kind ?? StrategyKind.CANARY) === StrategyKind.CANARY;
  // The Service in front of the new version alone: Argo Rollouts' blue/green switches Services, and
  // has a preview Service instead of a canary one (the topology of a CanaryService lists them).
  const serviceSwitch = engine.name === 'argo-rollouts' && strategy?.kind === StrategyKind.BLUE_GREEN && strategy.blueGreen?.mirrorPercentage === undefined;
  const newVersion = `${name}-${serviceSwitch ? 'preview' : 'canary'}`;
  return new CanaryService(chart, name, {
    namespace: copy.namespace,
    prometheus: copy.prometheus,
    gitOps: copy.gitOps,
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    version: '6.7.0',
    containerPort: 9898,
    envFrom: copy.envFrom,
    port: 80,
    readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }),
    liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9898 }),
    autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 80 },
    engine,
    router,
    strategy: copy.strategy,
    safetyNet: copy.safetyNet,
    rehearsal: copy.rehearsal,
    analysis: {
      interval: Duration.seconds(30),
      threshold: 5,
      maxWeight: weighted ? 50 : undefined,
      stepWeight: weighted ? 10 : undefined,
      metrics: [
        CanaryMetric.requestSuccessRate({ min: 99 }),
        CanaryMetric.requestDuration({ max: Duration.millis(500) }),
      ],
      webhooks: [
        CanaryWebhook.acceptanceTest({ command: `curl -sd 'test' http://${newVersion}.${namespace}/token | grep -q token` }),
        CanaryWebhook.loadTest({ requestsPerSecond: 10 }),
      ],
    },
  });
}
