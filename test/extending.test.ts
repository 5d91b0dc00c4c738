import { Chart, Duration, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { only, synth } from './synth';
import { CanaryAlert, CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, Prometheus, TrafficRouter } from '../src';

// The wrapper shown in the README: an organisation's defaults around CanaryService.
interface AcmeServiceProps {
  readonly image: string;
  readonly host: string;
  readonly team: string;
}

class AcmeService extends CanaryService {
  constructor(scope: Construct, id: string, props: AcmeServiceProps) {
    super(scope, id, {
      image: props.image,
      partOf: props.team,
      autoscaling: { minReplicas: 3, maxReplicas: 20 },
      engine: DeliveryEngine.flagger({ namespace: 'flagger' }),
      router: TrafficRouter.traefik({ hosts: [props.host], entryPoints: ['websecure'], tlsSecretName: 'acme-wildcard' }),
      prometheus: Prometheus.external('http://prometheus.monitoring:9090'),
      analysis: {
        metrics: [
          CanaryMetric.requestSuccessRate({ min: 99.5 }),
          CanaryMetric.requestDuration({ max: Duration.millis(300) }),
        ],
        webhooks: [CanaryWebhook.loadTest({ requestsPerSecond: 5 })],
        alerts: [CanaryAlert.slack({ secretName: 'slack-deploys', channel: `${props.team}-deploys` })],
      },
    });
  }
}

describe('a team wrapping CanaryService with its defaults', () => {
  const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
  const cart = new AcmeService(chart, 'cart', { image: 'ghcr.io/acme/cart:2.3.1', host: 'cart.acme.example', team: 'shop' });
  const manifests = synth(chart);

  test('gets its organisation\'s router, checks and alerts', () => {
    const canary = only(manifests, 'Canary', 'cart');
    expect(canary.spec.metricsServer).toBe('http://prometheus.monitoring:9090');
    expect(canary.spec.analysis.metrics.map((m: any) => m.thresholdRange)).toEqual([{ min: 99.5 }, { max: 300 }]);
    expect(canary.spec.analysis.alerts).toEqual([{ name: 'slack', severity: 'info', providerRef: { name: 'cart-slack', namespace: 'shop' } }]);
    expect(only(manifests, 'AlertProvider', 'cart-slack').spec).toEqual({ type: 'slack', channel: 'shop-deploys', secretRef: { name: 'slack-deploys' } });
    const route = only(manifests, 'IngressRoute', 'cart');
    expect(route.spec.entryPoints).toEqual(['websecure']);
    expect(route.spec.tls).toEqual({ secretName: 'acme-wildcard' });
  });

  test('deploys no Prometheus, and a loadtester that admits its Flagger namespace', () => {
    expect(manifests.filter((m) => m.metadata.name === 'canary-prometheus')).toEqual([]);
    const policy = only(manifests, 'NetworkPolicy', 'flagger-loadtester');
    expect(policy.spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'flagger' });
  });

  test('is still a CanaryService with every child public', () => {
    expect(cart).toBeInstanceOf(CanaryService);
    expect(cart.deployment.metadata.getLabel('app.kubernetes.io/part-of')).toBe('shop');
    expect(only(manifests, 'HorizontalPodAutoscaler', 'cart').spec.minReplicas).toBe(3);
  });
});
