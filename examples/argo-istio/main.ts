import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, GitOps, OutputHeader, RolloutStep, TrafficRouter } from '../../src';

/**
 * The canonical Argo Rollouts example on Istio (subset-level routing): 20 %, a manual promotion,
 * 50 % for 5 minutes, 100 %, with an analysis from the 50 % step on. The analysis measures every
 * minute and aborts at the fourth failure, so the 50 % step lasts long enough for four
 * measurements (the documentation's 30 s would end the analysis before it could fail once). The
 * documentation's success rate of 95 % and no latency check let a version failing 5 % of requests,
 * or answering in a second, through (`npx cdk8s-canary rehearse` promotes both): 99 % and a P99
 * bound stop them.
 * Applied by Argo CD: `npx cdk8s-canary argocd examples/argo-istio/main.ts` prints the Application's
 * `ignoreDifferences` for what Argo Rollouts rewrites.
 * @see https://argo-rollouts.readthedocs.io/en/stable/features/traffic-management/istio/
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/argo-istio/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'podinfo', { namespace: 'test' });

  new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    version: '6.7.0',
    containerPort: 9898,
    readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }),
    liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9898 }),
    autoscaling: { minReplicas: 2, maxReplicas: 4 },
    engine: DeliveryEngine.argoRollouts({
      analysisStartingStep: 2,
      abortScaleDownDelay: Duration.minutes(10),
    }),
    router: TrafficRouter.istio({ hosts: ['app.example.com'] }),
    gitOps: GitOps.argoCd(),
    analysis: {
      interval: Duration.minutes(1),
      threshold: 4, // failureLimit 3: the fourth failed measurement aborts
      steps: [
        RolloutStep.weight(20),
        RolloutStep.pause(),
        RolloutStep.weight(50),
        RolloutStep.pause(Duration.minutes(5)),
        RolloutStep.weight(100),
      ],
      metrics: [
        CanaryMetric.requestSuccessRate({ min: 99, interval: Duration.minutes(1) }),
        CanaryMetric.requestDuration({ max: Duration.millis(500), interval: Duration.minutes(1) }),
      ],
      webhooks: [CanaryWebhook.loadTest({ requestsPerSecond: 20 })],
    },
    // The 50 % step holds a bad version until its fourth failed measurement.
    rehearsal: { stopsBadWithin: Duration.minutes(5), maxBadWeight: 50 },
  });

  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
