import { App, Chart } from 'cdk8s';
import { DeliveryEngine, TrafficRouter } from '../../src';
import { podinfo } from '../shared/podinfo';

/** podinfo rolled out by Argo Rollouts behind Traefik: a Rollout, stable/canary Services, a TraefikService. */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  const chart = new Chart(app, 'podinfo', { namespace: 'test' });
  podinfo(chart, DeliveryEngine.argoRollouts(), TrafficRouter.traefik({ hosts: ['app.example.com'], entryPoints: ['web'] }));
  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
