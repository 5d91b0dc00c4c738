import { App, Chart, Duration } from 'cdk8s';
import { DeliveryEngine, DeliveryStrategy, GitOps, OutputHeader, ReleasePhase, TrafficRouter, TrafficSegment } from '../../src';
import { podinfo } from '../shared/podinfo';

/**
 * A release in two phases with Argo Rollouts on Istio (what one Flagger Canary cannot do, flagger#1272):
 * first employees only (header `x-canary: insider`) for five minutes, then a random sample of
 * everyone growing from 5 % to 50 %, each weight held for two minutes, every phase checked by its
 * own analysis. Applied by Argo CD: the header routes Argo Rollouts adds to the VirtualService are
 * among the fields the Application ignores.
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/argo-istio-phased/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'podinfo', { namespace: 'test' });
  podinfo(chart, DeliveryEngine.argoRollouts(), TrafficRouter.istio({ hosts: ['app.example.com'] }), {
    gitOps: GitOps.argoCd(),
    strategy: DeliveryStrategy.phased([
      ReleasePhase.of({ name: 'employees', segment: TrafficSegment.dogFood(), hold: Duration.minutes(5) }),
      ReleasePhase.of({ name: 'everyone', segment: TrafficSegment.randomSample([5, 25, 50]), hold: Duration.minutes(2) }),
    ]),
    // A bad version is stopped while employees alone (about 5 % of the requests) reach it.
    rehearsal: { stopsBadWithin: Duration.minutes(4), maxBadWeight: 5 },
  });
  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
