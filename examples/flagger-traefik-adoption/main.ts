import { App, Chart, Duration } from 'cdk8s';
import { DeliveryEngine, OutputHeader, TrafficRouter } from '../../src';
import { podinfo } from '../shared/podinfo';

/**
 * Adopting a live service: podinfo runs today as the Service `podinfo-live` (and its Deployment),
 * which stay untouched. app.example.com now goes through a safety net that sends 5 % of its traffic
 * to the new, Flagger-managed podinfo (whose canary split applies within those 5 %) and the rest to
 * podinfo-live; managed.app.example.com reaches the managed service alone (the load tests use it).
 * Remove `safetyNet` to move all traffic over.
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/flagger-traefik-adoption/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'podinfo', { namespace: 'test' });
  podinfo(chart, DeliveryEngine.flagger(), TrafficRouter.traefik({ hosts: ['app.example.com'] }), {
    safetyNet: { liveService: 'podinfo-live', share: 5 },
    // The canary's weight is a share of the 5 % the net sends to the managed service.
    rehearsal: { stopsBadWithin: Duration.minutes(5), maxBadWeight: 40 },
  });
  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
