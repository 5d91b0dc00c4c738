import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AlertSeverity, CanaryAlert, CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, GitOps, OutputHeader, TrafficRouter,
} from '../../src';

/**
 * Argo Rollouts on Istio with alerts: the same `CanaryAlert` values Flagger turns into
 * AlertProviders become Argo Rollouts' self-service notifications in the service's namespace (the
 * ConfigMap `argo-rollouts-notification-configmap` with a webhook service per alert, and
 * subscriptions on the Rollout per severity). The chats' incoming-webhook URLs are read from keys
 * of the Secret `argo-rollouts-notification-secret`, which the team creates (never in Git). Applied
 * by Argo CD (`npx cdk8s-canary argocd` prints the Application's ignoreDifferences).
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/argo-istio-alerts/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'checkout', { namespace: 'shop' });

  new CanaryService(chart, 'checkout', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    version: '6.7.0',
    containerPort: 9898,
    readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }),
    liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9898 }),
    autoscaling: { minReplicas: 2, maxReplicas: 6 },
    engine: DeliveryEngine.argoRollouts(),
    router: TrafficRouter.istio({ hosts: ['checkout.example.com'] }),
    gitOps: GitOps.argoCd(),
    analysis: {
      interval: Duration.minutes(1),
      threshold: 3,
      stepWeights: [10, 25, 50],
      metrics: [
        CanaryMetric.requestSuccessRate({ min: 99 }),
        CanaryMetric.requestDuration({ max: Duration.millis(400) }),
      ],
      webhooks: [
        CanaryWebhook.acceptanceTest({ command: 'curl -sf -o /dev/null http://checkout-canary.shop/readyz' }),
        CanaryWebhook.loadTest({ requestsPerSecond: 20 }),
      ],
      alerts: [
        CanaryAlert.slack({ secretName: 'argo-rollouts-notification-secret', secretKey: 'slack-deploys', channel: 'shop-deploys' }),
        CanaryAlert.msteams({ secretName: 'argo-rollouts-notification-secret', secretKey: 'teams-oncall', severity: AlertSeverity.ERROR }),
      ],
    },
    rehearsal: { stopsBadWithin: Duration.minutes(4), maxBadWeight: 25 },
  });

  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
