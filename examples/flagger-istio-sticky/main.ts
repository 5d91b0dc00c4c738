import { App, Chart, Duration } from 'cdk8s';
import { DeliveryEngine, DeliveryStrategy, OutputHeader, TrafficRouter } from '../../src';
import { podinfo } from '../shared/podinfo';

/**
 * A weighted canary with session affinity (Flagger on Istio): a user whose request went to the
 * canary gets the cookie `podinfo-canary` and stays on the canary for the rest of the rollout (at
 * most an hour), so no one flips between versions as the weight grows.
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/flagger-istio-sticky/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'podinfo', { namespace: 'test' });
  podinfo(chart, DeliveryEngine.flagger(), TrafficRouter.istio({ hosts: ['app.example.com'] }), {
    strategy: DeliveryStrategy.canary({ sessionAffinity: { cookieName: 'podinfo-canary', maxAge: Duration.hours(1) } }),
    rehearsal: { stopsBadWithin: Duration.minutes(4), maxBadWeight: 20 },
  });
  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
