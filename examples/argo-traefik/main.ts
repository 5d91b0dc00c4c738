import { App, Chart, Duration } from 'cdk8s';
import { DeliveryEngine, GitOps, OutputHeader, TrafficRouter } from '../../src';
import { podinfo } from '../shared/podinfo';

/**
 * podinfo rolled out by Argo Rollouts behind Traefik: a Rollout, stable/canary Services, a
 * TraefikService. Applied by Flux: the objects whose fields Argo Rollouts rewrites carry
 * `kustomize.toolkit.fluxcd.io/ssa: IfNotPresent`.
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/argo-traefik/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'podinfo', { namespace: 'test' });
  podinfo(chart, DeliveryEngine.argoRollouts(), TrafficRouter.traefik({ hosts: ['app.example.com'], entryPoints: ['web'] }), {
    gitOps: GitOps.fluxCd(),
    rehearsal: { stopsBadWithin: Duration.minutes(5), maxBadWeight: 30 },
  });
  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
