import { App, Chart, Duration } from 'cdk8s';
import { CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, LoadTool, OutputHeader, ServiceProtocol, TrafficRouter } from '../../src';

/**
 * A gRPC service rolled out by Flagger on Istio: podinfo's gRPC server (port 9999, with the
 * standard health service). The Services' port is named `grpc` with `appProtocol: grpc`, so the
 * sidecars proxy HTTP/2 and report each call's `grpc_response_status`; the success rate counts
 * gRPC server errors (a MetricTemplate, since Flagger's own query sees only HTTP 5xx); the probes
 * are gRPC health checks; the load test is ghz.
 */
export function build(outdir: string): App {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  OutputHeader.configure(app, { source: 'examples/flagger-istio-grpc/main.ts', command: 'npm run synth' });
  const chart = new Chart(app, 'greeter', { namespace: 'test' });

  new CanaryService(chart, 'greeter', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    version: '6.7.0',
    args: ['./podinfo', '--port=9898', '--grpc-port=9999', '--grpc-service-name=greeter'],
    containerPort: 9999,
    port: 9999,
    protocol: ServiceProtocol.GRPC,
    autoscaling: { minReplicas: 2, maxReplicas: 4 },
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.istio(),
    analysis: {
      interval: Duration.seconds(30),
      threshold: 5,
      maxWeight: 50,
      stepWeight: 10,
      metrics: [
        CanaryMetric.requestSuccessRate({ min: 99 }),
        CanaryMetric.requestDuration({ max: Duration.millis(500) }),
      ],
      webhooks: [
        CanaryWebhook.loadTest({ tool: LoadTool.GHZ, grpcCall: 'grpc.health.v1.Health/Check', requestsPerSecond: 20 }),
      ],
    },
    rehearsal: { stopsBadWithin: Duration.minutes(4), maxBadWeight: 20 },
  });
  return app;
}

if (require.main === module) {
  build(`${__dirname}/manifests`).synth();
}
