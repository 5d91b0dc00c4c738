import { App, Chart, Duration } from 'cdk8s';
import { DeliveryEngine, GatewayMetrics, OutputHeader, TrafficRouter } from '../../src';
import { podinfo } from '../shared/podinfo';

/**
 * podinfo rolled out by Flagger through Gateway API (`provider: gatewayapi:v1`): Flagger generates
 * the HTTPRoute `podinfo` on the namespace's Gateway (class `istio`); the checks read what Istio's
 * gateway forwards to `podinfo-canary`, and the load goes through the gateway.
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/flagger-gateway-api/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'podinfo', { namespace: 'test' });
  podinfo(chart, DeliveryEngine.flagger(), TrafficRouter.gatewayApi({ hosts: ['app.example.com'], metrics: GatewayMetrics.istio() }), {
    rehearsal: { stopsBadWithin: Duration.minutes(4), maxBadWeight: 20 },
  });
  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
