import { App, Chart } from 'cdk8s';
import { DeliveryEngine, DeliveryStrategy, GitOps, OutputHeader, TrafficRouter } from '../../src';
import { podinfo } from '../shared/podinfo';

/**
 * Blue/green with Argo Rollouts behind Traefik: the new version comes up beside the old one behind
 * the preview Service (reachable at preview.app.example.com, where the load test calls it), is
 * checked for ten intervals, then takes all traffic; the checks run again after the switch while
 * the old version is still up to switch back to. Applied by Flux: the active and preview Services,
 * whose selectors Argo Rollouts switches, carry `ssa: IfNotPresent`.
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/argo-traefik-blue-green/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'podinfo', { namespace: 'test' });
  podinfo(chart, DeliveryEngine.argoRollouts(), TrafficRouter.traefik({ hosts: ['app.example.com'] }), {
    strategy: DeliveryStrategy.blueGreen({ iterations: 10 }),
    gitOps: GitOps.fluxCd(),
    // A bad version fails its checks behind the preview Service: no user ever reaches it.
    rehearsal: { maxBadWeight: 0 },
  });
  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
