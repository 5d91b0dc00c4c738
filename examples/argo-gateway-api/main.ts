import { App, Chart, Duration } from 'cdk8s';
import { DeliveryEngine, GatewayMetrics, GitOps, OutputHeader, TrafficRouter } from '../../src';
import { podinfo } from '../shared/podinfo';

/**
 * podinfo rolled out by Argo Rollouts through Gateway API: the HTTPRoute `podinfo` to the stable
 * and canary Services, whose weights Argo Rollouts' Gateway API plugin (`argoproj-labs/gatewayAPI`,
 * installed by the platform layer) sets; the checks read what Istio's gateway forwards to
 * `podinfo-canary`. Applied by Flux: the Services and the HTTPRoute Argo Rollouts rewrites carry
 * `kustomize.toolkit.fluxcd.io/ssa: IfNotPresent`.
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/argo-gateway-api/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'podinfo', { namespace: 'test' });
  podinfo(chart, DeliveryEngine.argoRollouts(), TrafficRouter.gatewayApi({ hosts: ['app.example.com'], metrics: GatewayMetrics.istio() }), {
    gitOps: GitOps.fluxCd(),
    rehearsal: { stopsBadWithin: Duration.minutes(5), maxBadWeight: 30 },
  });
  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
