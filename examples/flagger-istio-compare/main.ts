import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { CanaryMetric, CanaryService, CanaryWebhook, ComparedMeasure, DeliveryEngine, OutputHeader, TrafficRouter } from '../../src';

/**
 * Flagger on Istio, judging the canary against the primary rather than against fixed thresholds:
 * a bad day for both versions (a slow database, an upstream outage) does not fail the release,
 * while a canary worse than the primary does. Each comparison is one PromQL expression over the
 * same window for both versions, as the sidecars measure them; with no request to either version
 * it has no sample, which Flagger counts as a failed check. A fixed floor stays as a guard.
 * Without users (at night) the primary gets no request and every comparison fails, so this service
 * is released only while users send requests (`requiresUserTraffic`: the rehearsal skips the night).
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/flagger-istio-compare/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'search', { namespace: 'search' });

  new CanaryService(chart, 'search', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    version: '6.7.0',
    containerPort: 9898,
    readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }),
    liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9898 }),
    autoscaling: { minReplicas: 2, maxReplicas: 4 },
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.istio({ hosts: ['search.example.com'] }),
    analysis: {
      interval: Duration.minutes(1),
      threshold: 3,
      maxWeight: 50,
      stepWeight: 10,
      metrics: [
        CanaryMetric.compareToPrimary({ measure: ComparedMeasure.ERROR_RATE, maxRatio: 1.5 }),
        CanaryMetric.compareToPrimary({ measure: ComparedMeasure.LATENCY_P99, maxDifference: 100 }),
        CanaryMetric.requestSuccessRate({ min: 90 }),
      ],
      webhooks: [
        CanaryWebhook.acceptanceTest({ command: 'curl -sf -o /dev/null http://search-canary.search/readyz' }),
        CanaryWebhook.loadTest({ requestsPerSecond: 20 }),
      ],
    },
    rehearsal: { requiresUserTraffic: true, usersPerSecond: 20, stopsBadWithin: Duration.minutes(5), maxBadWeight: 20 },
  });

  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
