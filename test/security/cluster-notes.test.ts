/**
 * What the fenced and internal-by-default output needs of the cluster, said in the plan (review of
 * issue 19, findings 2 to 5): DNS where NodeLocal DNSCache answers (GKE), the API server's ipBlock on
 * Cilium, Traefik's internal entryPoint, and a Gateway API preview host that is public.
 */
import { Chart, Testing } from 'cdk8s';
import {
  CanaryMetric, CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GatewayApiGatewayReference, GitOps, Prometheus,
  TrafficRouter,
} from '../../src';
import { only, synth } from '../synth';

function plan(overrides: Partial<CanaryServiceProps>): string[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const service = new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
    ...overrides,
  });
  return service.plan!.notes;
}

const TRAEFIK_INTERNAL = "the preview host 'preview.app.example.com' listens on Traefik's entryPoint 'internal', and the load tests reach it through "
  + "the Service 'traefik/traefik-internal' on port 8001: the platform layer (CanaryPlatform, FluxPlatform) installs Traefik with both; "
  + "for a Traefik installed otherwise, add the entryPoint (port 8001) and its ClusterIP Service, name yours with 'internalServiceName' and 'internalPort', "
  + "or publish the preview host with 'previewEntryPoints' (e.g. ['web']), or Traefik serves no preview route and the load tests fail";

const CILIUM = "the Prometheus 'test/canary-prometheus' reaches the API server through an ipBlock ('apiServerAddresses') on ports 443 and 6443: "
  + "with Cilium and a control plane on the cluster's nodes (kubeadm, k3s, kind), an ipBlock does not match the nodes unless Cilium runs with "
  + 'policy-cidr-match-mode: nodes; set that, or add a CiliumNetworkPolicy that lets its pods reach toEntities [kube-apiserver], or it finds no pods to scrape';

const dnsNote = (options: string) => "DNS: these NetworkPolicies allow DNS to the cluster DNS pods (k8s-app: kube-dns) and to 'dns.extraAddresses' alone; "
  + `where NodeLocal DNSCache runs, it answers on the node, which no pod selector matches, so give its address in 'dns.extraAddresses' (${options}): `
  + 'on GKE (Autopilot always runs it, Standard by default from 1.33.1) and with kube-proxy in iptables mode, the kube-dns Service\'s ClusterIP '
  + '(kubectl -n kube-system get service kube-dns); with kube-proxy in IPVS mode, 169.254.20.10; with GKE Cloud DNS, 169.254.169.254';

describe('DNS where NodeLocal DNSCache answers (GKE)', () => {
  test('Flagger: the loadtester and the embedded Prometheus', () => {
    expect(plan({})).toContain(dnsNote('LoadTester.of(chart, namespace, { dns }), Prometheus.of(chart, namespace, { dns })'));
  });

  test('Argo Rollouts: the embedded Prometheus and the analysis Jobs', () => {
    expect(plan({ engine: DeliveryEngine.argoRollouts(), gitOps: GitOps.none() }))
      .toContain(dnsNote('Prometheus.of(chart, namespace, { dns }), DeliveryEngine.argoRollouts({ dns })'));
  });

  test('an external Prometheus: only the loadtester, and no note on the API server', () => {
    const notes = plan({ prometheus: Prometheus.external('http://prometheus.monitoring:9090') });
    expect(notes).toContain(dnsNote('LoadTester.of(chart, namespace, { dns })'));
    expect(notes).not.toContain(CILIUM);
  });

  test('nothing fenced, nothing to say', () => {
    const notes = plan({
      prometheus: Prometheus.external('http://prometheus.monitoring:9090'),
      analysis: { metrics: [CanaryMetric.requestSuccessRate({ min: 99 })], receivesLiveTraffic: true },
    });
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.filter((note) => note.startsWith('DNS:'))).toEqual([]);
  });
});

test('the embedded Prometheus on Cilium: the API server\'s ipBlock', () => {
  expect(plan({})).toContain(CILIUM);
});

describe('Traefik\'s internal entryPoint exists only where the platform layer installed Traefik', () => {
  test('Flagger blue/green: the preview host on \'internal\' is noted', () => {
    expect(plan({ strategy: DeliveryStrategy.blueGreen() })).toContain(TRAEFIK_INTERNAL);
  });

  test('Argo Rollouts blue/green with the Service named otherwise', () => {
    const notes = plan({
      engine: DeliveryEngine.argoRollouts(),
      gitOps: GitOps.none(),
      strategy: DeliveryStrategy.blueGreen(),
      router: TrafficRouter.traefik({ hosts: ['app.example.com'], internalServiceName: 'edge-private', internalPort: 9000 }),
    });
    expect(notes.filter((note) => note.startsWith('the preview host'))).toEqual([
      TRAEFIK_INTERNAL.replace("'traefik/traefik-internal' on port 8001", "'traefik/edge-private' on port 9000").replace('(port 8001)', '(port 9000)'),
    ]);
  });

  test('a published preview host, or a canary: no note', () => {
    const published = plan({ strategy: DeliveryStrategy.blueGreen(), router: TrafficRouter.traefik({ hosts: ['app.example.com'], previewEntryPoints: ['web'] }) });
    expect(published.filter((note) => note.startsWith('the preview host'))).toEqual([]);
    expect(plan({}).filter((note) => note.startsWith('the preview host'))).toEqual([]);
  });
});

test('Gateway API blue/green: the preview host is public and unauthenticated', () => {
  const notes = plan({
    engine: DeliveryEngine.argoRollouts(),
    gitOps: GitOps.none(),
    strategy: DeliveryStrategy.blueGreen({ previewHost: 'next.example.com' }),
    router: TrafficRouter.gatewayApi({ hosts: ['app.example.com'], gateway: GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra' }) }),
  });
  expect(notes).toContain("the preview host 'next.example.com' is public and unauthenticated: its HTTPRoute attaches to the Gateway 'infra/edge' as the live hosts' does, "
    + "and leads anyone who sends that Host header to the new version before the switch; if it must not, attach it to another Gateway, off the internet, with 'previewGateway' "
    + '(e.g. behind an internal load balancer)');
});

test('Gateway API blue/green with a previewGateway that is another listener of the live Gateway: the plan still says it is public', () => {
  const notes = plan({
    engine: DeliveryEngine.argoRollouts(),
    gitOps: GitOps.none(),
    strategy: DeliveryStrategy.blueGreen({ previewHost: 'next.example.com' }),
    router: TrafficRouter.gatewayApi({
      hosts: ['app.example.com'],
      gateway: GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra', sectionName: 'http' }),
      previewGateway: GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra', sectionName: 'internal', port: 8081 }),
    }),
  });
  // Istio 1.30 (kube-gateway.yaml): one Service per Gateway, `<gw>-<class>`, with every listener's port.
  expect(notes.filter((note) => note.startsWith('the preview host'))).toEqual([
    "the preview host 'next.example.com' is still public and unauthenticated: 'previewGateway' is the listener 'internal' of the live hosts' Gateway 'infra/edge', "
      + "and its implementation (istio) serves every listener of a Gateway on one Service, 'edge-istio', whose port 8081 leads anyone who sends that Host header "
      + "to the new version before the switch unless that port is firewalled outside the cluster (the live hosts' port 80 stays open); if it must not, "
      + "attach it to another Gateway, off the internet, with 'previewGateway' (e.g. behind an internal load balancer)",
  ]);
});

test('Gateway API blue/green with a previewGateway on another listener of the live hosts\' port: public, and no port block separates it', () => {
  const notes = plan({
    engine: DeliveryEngine.argoRollouts(),
    gitOps: GitOps.none(),
    strategy: DeliveryStrategy.blueGreen({ previewHost: 'next.internal.example.com' }),
    router: TrafficRouter.gatewayApi({
      hosts: ['app.example.com'],
      gateway: GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra', sectionName: 'http' }),
      // Both on port 80 (the default): Gateway API v1.6.1 lets HTTP listeners share a port when their hostnames differ.
      previewGateway: GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra', sectionName: 'internal' }),
    }),
  });
  // Istio 1.30 (deploymentcontroller.go extractServicePorts): one Service port per distinct listener port.
  expect(notes.filter((note) => note.startsWith('the preview host'))).toEqual([
    "the preview host 'next.internal.example.com' is still public and unauthenticated: 'previewGateway' is the listener 'internal' of the live hosts' Gateway 'infra/edge', "
      + "on the live hosts' port 80: its implementation (istio) serves every listener of a Gateway on one Service, 'edge-istio', and on one port only the Host header "
      + 'tells listeners apart, so no port block separates it from the live hosts, and it leads anyone who sends that Host header to the new version before the switch; '
      + "if it must not, attach it to another Gateway, off the internet, with 'previewGateway' (e.g. behind an internal load balancer)",
  ]);
});

test('Gateway API blue/green with a previewGateway naming the created Gateway on a listener it lacks: refused at synth, no plan calls it public', () => {
  const app = Testing.app();
  const service = new CanaryService(new Chart(app, 'test', { namespace: 'test' }), 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: DeliveryEngine.argoRollouts(),
    gitOps: GitOps.none(),
    strategy: DeliveryStrategy.blueGreen(),
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
    router: TrafficRouter.gatewayApi({
      hosts: ['app.example.com'],
      previewGateway: GatewayApiGatewayReference.existing({ name: 'gateway', namespace: 'test', sectionName: 'internal', port: 8081 }),
    }),
  });
  const message = "TrafficRouter.gatewayApi(): 'previewGateway' ('test/gateway', listener 'internal') names the Gateway this router creates, whose only listener is 'http' (port 80), "
    + "the live hosts': it has no listener 'internal', so the preview HTTPRoute would attach nowhere and the load tests would find no such port; "
    + 'give another Gateway, off the internet, or leave it out';
  expect(service._declarationErrors).toEqual([message]);
  expect(service.plan).toBeUndefined();
  expect(() => app.synth()).toThrow(message);
});

test('Gateway API blue/green with a previewGateway: the preview host on it, no public note, and the fences let the load and the scrapes reach it', () => {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const service = new CanaryService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: DeliveryEngine.argoRollouts(),
    gitOps: GitOps.none(),
    strategy: DeliveryStrategy.blueGreen(),
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
    router: TrafficRouter.gatewayApi({
      hosts: ['app.example.com'],
      gateway: GatewayApiGatewayReference.existing({ name: 'edge', namespace: 'infra' }),
      previewGateway: GatewayApiGatewayReference.existing({ name: 'private', namespace: 'infra', port: 8080 }),
    }),
  });
  expect(service.plan!.notes.filter((note) => note.startsWith('the preview host'))).toEqual([]);
  const manifests = synth(chart);
  expect(only(manifests, 'HTTPRoute', 'podinfo-preview').spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'private', namespace: 'infra' }]);
  const gatewayPods = (name: string, port: number) => ({
    to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'infra' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': name } } }],
    ports: [{ port, protocol: 'TCP' }],
  });
  expect(only(manifests, 'NetworkPolicy', 'podinfo-analysis-jobs').spec.egress).toContainEqual(gatewayPods('private', 8080));
  const prometheusEgress = only(manifests, 'NetworkPolicy', 'canary-prometheus').spec.egress;
  expect(prometheusEgress).toContainEqual(gatewayPods('edge', 15020));
  expect(prometheusEgress).toContainEqual(gatewayPods('private', 15020));
  const load = JSON.stringify(manifests.filter((m) => m.kind === 'AnalysisTemplate'));
  expect(load).toContain('http://private-istio.infra:8080');
});
