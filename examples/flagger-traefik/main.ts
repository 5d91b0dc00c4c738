import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, OutputHeader, TrafficRouter } from '../../src';

/**
 * Flagger's Traefik tutorial (podinfo behind app.example.com) as one declaration.
 * @see https://docs.flagger.app/tutorials/traefik-progressive-delivery
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/flagger-traefik/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'podinfo', { namespace: 'test' });

  new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    port: 80,
    readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }),
    liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9898 }),
    autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 80 },
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.traefik({ hosts: ['app.example.com'], entryPoints: ['web'] }),
    analysis: {
      interval: Duration.seconds(10),
      threshold: 10,
      maxWeight: 50,
      stepWeight: 5,
      metrics: [
        CanaryMetric.requestSuccessRate({ min: 99 }),
        CanaryMetric.requestDuration({ max: Duration.millis(500) }),
        // The tutorial's query sums every bucket of the duration histogram, which weighs a request
        // by how many buckets it falls in: fast 404s count more than slow 200s. The request counter
        // counts each request once (test/promql/queries.test.ts shows the difference).
        CanaryMetric.prometheus({
          name: 'not-found-percentage',
          query: 'sum(rate(traefik_service_requests_total{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",code!="404"}[{{ interval }}])) / sum(rate(traefik_service_requests_total{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd"}[{{ interval }}])) * 100',
          min: 95,
        }),
      ],
      webhooks: [
        CanaryWebhook.acceptanceTest({ command: "curl -sd 'test' http://podinfo-canary.test/token | grep -q token" }),
        CanaryWebhook.loadTest({ requestsPerSecond: 20 }),
      ],
    },
    rehearsal: { stopsBadWithin: Duration.minutes(3), maxBadWeight: 20 },
  });

  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
