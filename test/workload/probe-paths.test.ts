import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { ApplicationMetrics, CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GitOps, ITrafficRouter, TrafficRouter } from '../../src';
import { httpProbePaths, withKnownProbePaths } from '../../src/workload/probe-paths';

function deployment(): kplus.Deployment {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  return new kplus.Deployment(chart, 'app', {
    containers: [{
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
      ports: [{ number: 9898, name: 'http' }, { number: 9999, name: 'metrics' }],
      readiness: kplus.Probe.fromHttpGet('/readyz?full=1', { port: 9898 }),
      liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9999 }),
      startup: kplus.Probe.fromTcpSocket({ port: 9898 }),
    }],
  });
}

test('the paths of the HTTP probes on the port, without their query', () => {
  expect(httpProbePaths(deployment(), 9898)).toEqual({ readiness: '/readyz' });
  expect(httpProbePaths(deployment(), 9999)).toEqual({ liveness: '/healthz' });
});

test('known paths answer for their Deployment and port while the declaration runs, and only then', () => {
  const app = deployment();
  const inside = withKnownProbePaths(app, 9898, { readiness: '/known' }, () => [httpProbePaths(app, 9898), httpProbePaths(app, 9999)]);
  expect(inside).toEqual([{ readiness: '/known' }, { liveness: '/healthz' }]);
  expect(httpProbePaths(app, 9898)).toEqual({ readiness: '/readyz' });
});

/** How many times declaring a CanaryService with `engine` and `router` renders its Deployment. */
function deploymentRenders(chart: Chart, engine: string, router: ITrafficRouter): number {
  const original = ApiObject.prototype.toJson;
  let renders = 0;
  ApiObject.prototype.toJson = function counting(this: ApiObject) {
    if (this.kind === 'Deployment') renders++;
    return original.call(this);
  };
  try {
    new CanaryService(chart, 'podinfo', {
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
      containerPort: 9898,
      readiness: kplus.Probe.fromHttpGet('/readyz', { port: 9898 }),
      liveness: kplus.Probe.fromHttpGet('/healthz', { port: 9898 }),
      engine: engine === 'flagger' ? DeliveryEngine.flagger() : DeliveryEngine.argoRollouts(),
      router,
      // Flagger runs only blue/green with the replica-ratio router.
      strategy: engine === 'flagger' && router.name === 'replica-ratio' ? DeliveryStrategy.blueGreen() : undefined,
      analysis: { webhooks: [CanaryWebhook.loadTest()] },
      gitOps: GitOps.none(),
    });
  } finally {
    ApiObject.prototype.toJson = original;
  }
  return renders;
}

test.each(['flagger', 'argo'])('%s: a CanaryService renders its Deployment once while it is declared, and the replica-ratio router excludes the probe paths', (engine) => {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const router = TrafficRouter.replicaRatio({ metrics: ApplicationMetrics.httpHistogram({ port: 9898 }), hosts: ['app.example.com'] });
  expect(deploymentRenders(chart, engine, router)).toBe(1);
  const queries = JSON.stringify(Testing.synth(chart).filter((o) => ['MetricTemplate', 'AnalysisTemplate'].includes(o.kind)));
  expect(queries).toContain('/healthz|healthz|/metrics|metrics|/readyz|readyz');
});

test.each([
  ['traefik', () => TrafficRouter.traefik({ hosts: ['app.example.com'] })],
  ['istio', () => TrafficRouter.istio({ hosts: ['app.example.com'] })],
  ['gateway-api', () => TrafficRouter.gatewayApi({ hosts: ['app.example.com'] })],
])('the %s router reads no probe paths: declaring renders no Deployment', (_name, router) => {
  for (const engine of ['flagger', 'argo']) {
    expect(deploymentRenders(new Chart(Testing.app(), 'test', { namespace: 'test' }), engine, router())).toBe(0);
  }
});
