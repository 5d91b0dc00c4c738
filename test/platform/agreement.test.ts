/**
 * The platform layer installs what the synthesized manifests expect of the cluster. Both read the
 * same constants (src/platform/conventions.ts, src/versions.ts); these tests build a plan and a
 * CanaryService side by side and check that the releases and the manifests agree.
 */
import { Chart, Duration, Testing } from 'cdk8s';
import * as yaml from 'js-yaml';
import {
  CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GitOps, IDeliveryEngine, IPrometheus, ITrafficRouter,
  PlatformEngine, PlatformPlan, PlatformPlanProps, PlatformRouter, SharedAddons, TrafficRouter,
} from '../../src';
import { all, only, synth } from '../synth';

const { FLAGGER, ARGO_ROLLOUTS } = PlatformEngine;
const { TRAEFIK, ISTIO, GATEWAY_API } = PlatformRouter;

function plan(props: Partial<PlatformPlanProps> = {}): PlatformPlan {
  return new PlatformPlan({ engines: [FLAGGER], routers: [TRAEFIK], ...props });
}

/** A CanaryService with metrics and a load test (so it has a loadtester and queries), synthesized. */
function service(engine: IDeliveryEngine, router: ITrafficRouter, prometheus?: IPrometheus): any[] {
  const chart = new Chart(Testing.app(), 'app', { namespace: 'shop' });
  new CanaryService(chart, 'web', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/acme/web:1.0.0',
    version: '1.0.0',
    engine,
    router,
    prometheus,
    analysis: {
      metrics: [CanaryMetric.requestSuccessRate({ min: 99 }), CanaryMetric.requestDuration({ max: Duration.millis(500) })],
      webhooks: [CanaryWebhook.loadTest()],
    },
  });
  return synth(chart);
}

const traefik = () => TrafficRouter.traefik({ hosts: ['web.example.com'] });
const istio = () => TrafficRouter.istio({ hosts: ['web.example.com'] });

describe("Flagger's namespace", () => {
  test("the Flagger release is in the namespace the loadtester's NetworkPolicy admits", () => {
    const p = plan();
    const policy = only(service(DeliveryEngine.flagger(), traefik()), 'NetworkPolicy', 'flagger-loadtester');
    const admitted = policy.spec.ingress.flatMap((rule: any) => rule.from.map((peer: any) => peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name']));
    expect(admitted).toEqual([p.release('flagger').namespace]);
    expect(admitted).toEqual([p.flaggerNamespace]);
  });

  test('another namespace: the plan tells the engine where Flagger runs', () => {
    const p = plan({ flagger: { namespace: 'progressive-delivery' } });
    const policy = only(service(DeliveryEngine.flagger({ namespace: p.flaggerNamespace }), traefik()), 'NetworkPolicy', 'flagger-loadtester');
    expect(policy.spec.ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']).toBe('progressive-delivery');
    expect(p.release('flagger').namespace).toBe('progressive-delivery');
  });
});

describe("Flagger's meshProvider", () => {
  test.each([[TRAEFIK, traefik], [ISTIO, istio]] as const)('%s: the provider the Canaries name', (router, makeRouter) => {
    const canary = only(service(DeliveryEngine.flagger(), makeRouter()), 'Canary');
    expect(plan({ routers: [router] }).release('flagger').values.meshProvider).toBe(canary.spec.provider);
  });
});

describe('the metrics server', () => {
  test("Flagger's metricsServer is the address the Canaries query, and no embedded Prometheus is deployed", () => {
    const p = plan({ prometheus: true });
    const manifests = service(DeliveryEngine.flagger(), traefik(), p.sharedPrometheus);
    expect(only(manifests, 'Canary').spec.metricsServer).toBe(p.release('flagger').values.metricsServer);
    expect(all(manifests, 'Deployment').map((d) => d.metadata.name)).toEqual(['web', 'flagger-loadtester']);
  });

  test('the Argo Rollouts analysis queries the shared Prometheus (the Rollout passes its address)', () => {
    const p = plan({ engines: [ARGO_ROLLOUTS], prometheus: true });
    const manifests = service(DeliveryEngine.argoRollouts(), traefik(), p.sharedPrometheus);
    expect(JSON.stringify(only(manifests, 'Rollout').spec.strategy)).toContain(`"value":"${p.metricsServer}"`);
    expect(JSON.stringify(manifests)).not.toContain('canary-prometheus');
  });

  test('the shared Prometheus is the Service of the Prometheus release, on the embedded one\'s port', () => {
    const p = plan({ prometheus: true });
    const release = p.release('prometheus');
    const embedded = only(service(DeliveryEngine.flagger(), traefik()), 'Service', 'canary-prometheus');
    expect(p.metricsServer).toBe(`http://${release.values.server.fullnameOverride}.${release.namespace}:${release.values.server.service.servicePort}`);
    expect(release.values.server.service.servicePort).toBe(embedded.spec.ports[0].port);
  });

  test('the shared Prometheus scrapes as often as the embedded one', () => {
    const config = yaml.load(only(service(DeliveryEngine.flagger(), traefik()), 'ConfigMap', 'canary-prometheus').data['prometheus.yml']) as any;
    expect(plan({ prometheus: true }).release('prometheus').values.server.global.scrape_interval).toBe(config.global.scrape_interval);
  });
});

describe('Traefik', () => {
  test('a blue/green load test reaches the preview host through the internal Service the chart creates for the internal entryPoint', () => {
    const values = plan().release('traefik').values;
    expect(values.ports.internal).toEqual({ port: 8001, exposedPort: 8001, expose: { default: false, internal: true } });
    // The chart names an additional Service <fullname>-<name> (templates/_service.tpl, traefik.service-name).
    const address = `http://${values.fullnameOverride}-internal.${plan().release('traefik').namespace}:${values.ports.internal.exposedPort}/`;
    const chart = new Chart(Testing.app(), 'app', { namespace: 'shop' });
    new CanaryService(chart, 'web', {
      image: 'ghcr.io/acme/web:1.0.0',
      engine: DeliveryEngine.flagger(),
      router: traefik(),
      strategy: DeliveryStrategy.blueGreen(),
      analysis: { webhooks: [CanaryWebhook.loadTest()] },
    });
    const manifests = synth(chart);
    const load = only(manifests, 'Canary').spec.analysis.webhooks.find((w: any) => w.name === 'load-test');
    expect(load.metadata.cmd).toContain(address);
    // The preview route listens only there; the loadtester may call Traefik's pods on that port.
    expect(only(manifests, 'IngressRoute', 'web-preview').spec.entryPoints).toEqual(['internal']);
    expect(only(manifests, 'IngressRoute', 'web').spec.entryPoints).toEqual(['web']);
    expect(only(manifests, 'NetworkPolicy', 'flagger-loadtester').spec.egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } } }],
      ports: [{ port: values.ports.internal.port, protocol: 'TCP' }],
    });
  });

  test('the embedded Prometheus may discover pods in the namespace Traefik is installed in (a Role the platform team applies)', () => {
    const p = plan();
    const chart = new Chart(Testing.app(), 'app', { namespace: 'shop' });
    const platformApp = Testing.app();
    SharedAddons.configure(chart, { platformRbacScope: platformApp });
    new CanaryService(chart, 'web', {
      image: 'ghcr.io/acme/web:1.0.0', engine: DeliveryEngine.flagger(), router: traefik(), analysis: { webhooks: [CanaryWebhook.loadTest()] },
    });
    const platformRbac = Testing.synth(platformApp.node.findChild('canary-platform-rbac') as Chart);
    expect(all(platformRbac, 'Role').map((role) => role.metadata.namespace)).toEqual([p.release('traefik').namespace]);
    expect(all(synth(chart), 'Role').map((role) => role.metadata.namespace)).toEqual(['shop']);
  });

  test("the metrics entryPoint is on port 9100, which the chart's pod annotations name and Prometheus follows", () => {
    const values = plan().release('traefik').values;
    const entryPoint = values.metrics.prometheus.entryPoint;
    // The chart annotates the pods prometheus.io/port: <ports[metrics.prometheus.entryPoint].port>
    // unless a ServiceMonitor is enabled.
    expect(values.ports[entryPoint].port).toBe(9100);
    expect(values.metrics.prometheus.serviceMonitor.enabled).toBe(false);
    expect(values.deployment?.podAnnotations).toBeUndefined();

    const config = yaml.load(only(service(DeliveryEngine.flagger(), traefik()), 'ConfigMap', 'canary-prometheus').data['prometheus.yml']) as any;
    const relabel = config.scrape_configs[0].relabel_configs;
    expect(relabel).toContainEqual(expect.objectContaining({ source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' }));
    expect(relabel.some((r: any) => r.source_labels?.includes('__meta_kubernetes_pod_annotation_prometheus_io_port'))).toBe(true);
  });

  test('the entryPoints the IngressRoutes name are exposed by the chart', () => {
    const ports = plan().release('traefik').values.ports;
    const byDefault = only(service(DeliveryEngine.flagger(), traefik()), 'IngressRoute').spec.entryPoints;
    const secure = only(service(DeliveryEngine.flagger(), TrafficRouter.traefik({ hosts: ['web.example.com'], entryPoints: ['websecure'] })), 'IngressRoute').spec.entryPoints;
    for (const entryPoint of [...byDefault, ...secure]) {
      expect(ports[entryPoint].expose).toEqual({ default: true });
    }
  });

  test('typed load tests go through the Service the chart creates, on the ports it exposes, and the loadtester may reach its pods', () => {
    const release = plan().release('traefik');
    const manifests = service(DeliveryEngine.flagger(), traefik());
    const command: string = only(manifests, 'Canary').spec.analysis.webhooks.find((w: any) => w.name === 'load-test').metadata.cmd;
    // The chart names its Service after fullnameOverride, in the release's namespace.
    expect(command).toContain(` http://${release.values.fullnameOverride}.${release.namespace}:${release.values.ports.web.exposedPort}/`);
    const secure = service(DeliveryEngine.flagger(), TrafficRouter.traefik({ hosts: ['web.example.com'], entryPoints: ['websecure'] }));
    expect(only(secure, 'Canary').spec.analysis.webhooks[0].metadata.cmd).toContain(` https://traefik.traefik:${release.values.ports.websecure.exposedPort}/`);

    const egress = only(manifests, 'NetworkPolicy', 'flagger-loadtester').spec.egress;
    const toTraefik = egress.find((rule: any) => rule.to[0].namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === release.namespace);
    // The chart labels its pods app.kubernetes.io/name: <chart name>, and listens on ports.web.port.
    expect(toTraefik.to[0].podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': release.chart } });
    expect(toTraefik.ports).toEqual([{ port: release.values.ports.web.port, protocol: 'TCP' }]);
  });

  test("the queries select on the `service` label, which the chart's metrics carry", () => {
    const values = plan({ engines: [ARGO_ROLLOUTS] }).release('traefik').values;
    expect(values.metrics.prometheus.addServicesLabels).toBe(true);
    const queries = all(service(DeliveryEngine.argoRollouts(), traefik()), 'AnalysisTemplate')
      .flatMap((t) => t.spec.metrics).map((m: any) => m.provider.prometheus?.query).filter((q: any) => q !== undefined);
    expect(queries.length).toBeGreaterThan(0);
    // And on the namespace Traefik runs in, the target label of its pods.
    for (const query of queries) expect(query).toContain(`traefik_service_request_duration_seconds_bucket{namespace="${plan().release('traefik').namespace}",service="`);
  });
});

describe('Argo Rollouts and the Traefik API group', () => {
  test.each([
    [[ARGO_ROLLOUTS], [TRAEFIK], true],
    [[ARGO_ROLLOUTS], [TRAEFIK, ISTIO], true],
    [[FLAGGER, ARGO_ROLLOUTS], [ISTIO, TRAEFIK], true],
    [[ARGO_ROLLOUTS], [ISTIO], false],
  ])('engines %j, routers %j: flags %s', (engines, routers, flags) => {
    const args = plan({ engines, routers }).release('argo-rollouts').values.controller?.extraArgs ?? [];
    expect(args.some((arg: string) => arg.startsWith('--traefik-api'))).toBe(flags);
  });

  test('the flags name the group and version of the TraefikService the Rollout drives', () => {
    const traefikService = only(service(DeliveryEngine.argoRollouts(), traefik()), 'TraefikService');
    const [group, version] = traefikService.apiVersion.split('/');
    expect(plan({ engines: [ARGO_ROLLOUTS] }).release('argo-rollouts').values.controller.extraArgs).toEqual([
      `--traefik-api-group=${group}`,
      `--traefik-api-version=${group}/${version}`,
    ]);
  });

  test("alerts configured in the service's namespace: the chart's selfServiceNotification value, never the flag by hand", () => {
    for (const routers of [[TRAEFIK], [ISTIO], [GATEWAY_API]]) {
      const controller = plan({ engines: [ARGO_ROLLOUTS], routers }).release('argo-rollouts').values.controller;
      // argo-helm argo-rollouts-2.41.0 templates/controller/deployment.yaml:71-72 adds the flag.
      expect(controller.selfServiceNotification).toBe(true);
      expect(controller.extraArgs ?? []).not.toContain('--self-service-notification-enabled');
    }
  });
});

describe('Istio', () => {
  test("the ingress gateway carries the labels the services' Gateways select", () => {
    const gateway = only(service(DeliveryEngine.flagger(), istio()), 'Gateway');
    const labels = plan({ routers: [ISTIO] }).release('istio-ingressgateway').values.labels;
    expect(labels).toEqual(gateway.spec.selector);
  });

  test('the gateway release name gives the same label by the chart\'s own rule (istio-<x> selects istio: <x>)', () => {
    const release = plan({ routers: [ISTIO] }).release('istio-ingressgateway');
    expect({ istio: release.name.replace(/^istio-/, '') }).toEqual(release.values.labels);
  });
});
