import { App, Chart, Duration } from 'cdk8s';
import { DeliveryEngine, OutputHeader, TrafficRouter } from '../../src';
import { podinfo } from '../shared/podinfo';

/** podinfo rolled out by Flagger on Istio: a Canary with `provider: istio` and a Gateway. */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/flagger-istio/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'podinfo', { namespace: 'test' });
  podinfo(chart, DeliveryEngine.flagger(), TrafficRouter.istio({ hosts: ['app.example.com'] }), {
    rehearsal: { stopsBadWithin: Duration.minutes(4), maxBadWeight: 20 },
  });
  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
