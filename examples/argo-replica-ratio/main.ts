import { App, Chart, Duration } from 'cdk8s';
import { ApplicationMetrics, DeliveryEngine, GitOps, OutputHeader, TrafficRouter } from '../../src';
import { podinfo } from '../shared/podinfo';

/**
 * The canary without a router: Argo Rollouts' basic canary splits the traffic of the Service
 * `podinfo` by replica count (the plan says what each weight really gives), an Ingress sends
 * app.example.com to every pod and canary.example.com to the canary only, and the checks read
 * podinfo's own `http_request_duration_seconds` (served on its HTTP port at /metrics). Applied by
 * Flux: the Services whose selectors Argo Rollouts rewrites carry `ssa: IfNotPresent`.
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/argo-replica-ratio/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'podinfo', { namespace: 'test' });
  podinfo(chart, DeliveryEngine.argoRollouts(), TrafficRouter.replicaRatio({
    metrics: ApplicationMetrics.httpHistogram({ port: 9898 }),
    hosts: ['app.example.com'],
    previewHost: 'canary.example.com',
  }), {
    gitOps: GitOps.fluxCd(),
    // Without a router a weight is a share of the pods: at 10 % one of three (two and a surge pod)
    // serves the new version, a third of the users.
    rehearsal: { stopsBadWithin: Duration.minutes(4), maxBadWeight: 34 },
  });
  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
