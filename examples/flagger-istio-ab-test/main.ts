import { App, Chart, Duration } from 'cdk8s';
import { DeliveryEngine, DeliveryStrategy, OutputHeader, TrafficRouter, TrafficSegment } from '../../src';
import { podinfo } from '../shared/podinfo';

/**
 * An A/B test with Flagger on Istio: for ten intervals, employees (header `x-canary: insider`) and
 * users on the beta plan (cookie `plan=beta`) get the new version; everyone else stays on the
 * primary. Then it is promoted.
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/flagger-istio-ab-test/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'podinfo', { namespace: 'test' });
  podinfo(chart, DeliveryEngine.flagger(), TrafficRouter.istio({ hosts: ['app.example.com'] }), {
    strategy: DeliveryStrategy.abTest({
      segments: [TrafficSegment.dogFood(), TrafficSegment.userCohort('plan', 'beta')],
      iterations: 10,
    }),
    // Only the two segments reach the new version: 5 % of the users each, as the rehearsal assumes.
    rehearsal: { stopsBadWithin: Duration.minutes(4), maxBadWeight: 10 },
  });
  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
