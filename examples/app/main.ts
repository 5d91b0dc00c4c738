// A minimal cdk8s app that uses cdk8s-canary, as a user writes it: copy this folder, then
//   npm install && npx cdk8s synth      # writes dist/podinfo.k8s.yaml
// Flagger's Traefik tutorial (podinfo behind app.example.com) as one declaration, as in
// examples/flagger-traefik/main.ts of the cdk8s-canary repository.
import { App, Chart, Duration } from 'cdk8s';
import { CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, TrafficRouter } from 'cdk8s-canary';
import * as kplus from 'cdk8s-plus-28';

const app = new App();
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
    threshold: 10, // failed checks before rollback
    maxWeight: 50,
    stepWeight: 5,
    metrics: [
      CanaryMetric.requestSuccessRate({ min: 99 }),
      CanaryMetric.requestDuration({ max: Duration.millis(500) }),
    ],
    webhooks: [
      CanaryWebhook.acceptanceTest({ command: "curl -sd 'test' http://podinfo-canary.test/token | grep -q token" }),
      // Built for the router: hey -z 8s -q 10 -c 2 -host app.example.com http://traefik.traefik:80/
      CanaryWebhook.loadTest({ requestsPerSecond: 20 }),
    ],
  },
});

app.synth();
