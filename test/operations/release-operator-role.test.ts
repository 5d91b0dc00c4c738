import { Chart, Testing } from 'cdk8s';
import { CanaryService, CanaryWebhook, DeliveryEngine, GateStage, GitOps, LoadTester, LoadTesterAccess, ReleaseOperatorRole, SharedAddons, TrafficRouter } from '../../src';
import { all, only, synth } from '../synth';

function shop(namespace = 'shop', appName?: string) {
  const app = Testing.app();
  if (appName) SharedAddons.configure(app, { appName });
  const chart = new Chart(app, 'shop', { namespace });
  const web = new CanaryService(chart, 'web', {
    image: 'ghcr.io/acme/web:1.0.0',
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.traefik({ hosts: ['shop.example.com'] }),
    analysis: {
      webhooks: [CanaryWebhook.loadTest(), CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION }), CanaryWebhook.rollbackGate()],
    },
  });
  const cart = new CanaryService(chart, 'cart', {
    image: 'ghcr.io/acme/cart:1.0.0',
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.traefik({ hosts: ['cart.example.com'] }),
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
  });
  const api = new CanaryService(chart, 'api', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/acme/api:1.0.0',
    engine: DeliveryEngine.argoRollouts(),
    router: TrafficRouter.istio(),
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
  });
  return { app, chart, web, cart, api };
}

const LABELS = { 'app.kubernetes.io/managed-by': 'cdk8s-canary', 'app.kubernetes.io/component': 'release-operator' };

test('Flagger and Argo services, exec access, bound to a group, a user and a ServiceAccount: every field', () => {
  const { chart, web, cart, api } = shop();
  new ReleaseOperatorRole(chart, 'operators', {
    services: [web, cart, api],
    groups: ['shop-oncall'],
    users: ['alice@example.com'],
    serviceAccounts: [{ name: 'chatops' }, { name: 'ci', namespace: 'ci' }],
  });
  const manifests = synth(chart);
  expect(only(manifests, 'Role', 'cdk8s-canary-release-operator')).toEqual({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'cdk8s-canary-release-operator', namespace: 'shop', labels: LABELS },
    rules: [
      { apiGroups: ['flagger.app'], resources: ['canaries'], resourceNames: ['cart', 'web'], verbs: ['get'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['cdk8s-canary-gates'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['flagger-loadtester'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] },
      { apiGroups: ['argoproj.io'], resources: ['rollouts'], resourceNames: ['api'], verbs: ['get'] },
      { apiGroups: ['argoproj.io'], resources: ['rollouts/status'], resourceNames: ['api'], verbs: ['patch'] },
    ],
  });
  expect(only(manifests, 'RoleBinding', 'cdk8s-canary-release-operator')).toEqual({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'cdk8s-canary-release-operator', namespace: 'shop', labels: LABELS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cdk8s-canary-release-operator' },
    subjects: [
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'shop-oncall' },
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice@example.com' },
      { kind: 'ServiceAccount', name: 'chatops', namespace: 'shop' },
      { kind: 'ServiceAccount', name: 'ci', namespace: 'ci' },
    ],
  });
  // The record lives beside the loadtester, in the namespace's shared Chart.
  expect(only(manifests, 'ConfigMap', 'cdk8s-canary-gates')).toEqual({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cdk8s-canary-gates', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'cdk8s-canary', 'app.kubernetes.io/component': 'release-record' } },
  });
  // Nothing grants a change of a Canary's or Rollout's spec, or anything cluster-wide.
  expect(all(manifests, 'ClusterRole')).toEqual([]);
  expect(JSON.stringify(only(manifests, 'Role', 'cdk8s-canary-release-operator').rules)).not.toMatch(/"(update|delete|\*)"/);
});

test('proxy access: services/proxy of the loadtester alone, no exec', () => {
  const { chart, web } = shop();
  const role = new ReleaseOperatorRole(chart, 'operators', { services: [web], loadTesterAccess: LoadTesterAccess.PROXY, name: 'web-releases' });
  expect(role.rules).toEqual([
    { apiGroups: ['flagger.app'], resources: ['canaries'], resourceNames: ['web'], verbs: ['get'] },
    { apiGroups: [''], resources: ['configmaps'], resourceNames: ['cdk8s-canary-gates'], verbs: ['get', 'patch'] },
    { apiGroups: [''], resources: ['services/proxy'], resourceNames: ['http:flagger-loadtester:80'], verbs: ['create'] },
  ]);
  const manifests = synth(chart);
  expect(only(manifests, 'Role', 'web-releases').metadata.labels).toEqual(LABELS);
  expect(all(manifests, 'RoleBinding').map((b) => b.metadata.name)).toEqual(['canary-prometheus']);
});

describe('proxy access and the loadtester\'s NetworkPolicy: the plan names allowIngressFromCidrs', () => {
  const PROXY_NOTE = "ReleaseOperatorRole 'shop/operators' gives operators --via proxy (LoadTesterAccess.PROXY), but the loadtester 'shop/flagger-loadtester' "
    + "admits only the controller's pods, not the API server's Service proxy: declare LoadTester.of(scope, 'shop', { allowIngressFromCidrs: [<the API server's addresses>] }) "
    + "before the namespace's first service (the control plane's addresses, from kubectl get endpoints kubernetes -n default, on self-managed clusters and kind; "
    + "its private range on managed ones; with Cilium and a control plane on the cluster's nodes (kubeadm, k3s, kind), an ipBlock matches no node unless Cilium runs with "
    + "policy-cidr-match-mode: nodes, or admit the API server with a CiliumNetworkPolicy fromEntities: [kube-apiserver] on the loadtester's port 8080), "
    + 'or use LoadTesterAccess.EXEC';
  const fenceNote = (notes: string[]) => notes.find((note) => note.startsWith('NetworkPolicies fence the loadtester'));

  test('a loadtester that admits only Flagger\'s pods: the plan of each Flagger service says what to declare', () => {
    const { chart, web, cart, api } = shop();
    new ReleaseOperatorRole(chart, 'operators', { services: [web, cart, api], loadTesterAccess: LoadTesterAccess.PROXY });
    expect(web.plan!.notes).toContain(PROXY_NOTE);
    expect(cart.plan!.notes).toContain(PROXY_NOTE);
    // Argo Rollouts services need no loadtester to operate.
    expect(api.plan!.notes.filter((note) => note.startsWith('ReleaseOperatorRole'))).toEqual([]);
    expect(fenceNote(web.plan!.notes)).toMatch(/^NetworkPolicies fence the loadtester 'shop\/flagger-loadtester' \(it runs any command it is sent: only the controller's pods may call it\), /);
  });

  test('exec access needs nothing of the NetworkPolicy: no note', () => {
    const { chart, web } = shop();
    new ReleaseOperatorRole(chart, 'operators', { services: [web] });
    expect(web.plan!.notes.filter((note) => note.startsWith('ReleaseOperatorRole'))).toEqual([]);
  });

  test('with the API server\'s addresses admitted: no note, and the fence says who else may call the loadtester', () => {
    const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
    const loadTester = LoadTester.of(chart, 'shop', { allowIngressFromCidrs: ['172.18.0.0/16'] });
    const web = new CanaryService(chart, 'web', {
      image: 'ghcr.io/acme/web:1.0.0',
      engine: DeliveryEngine.flagger(),
      router: TrafficRouter.traefik({ hosts: ['shop.example.com'] }),
      analysis: { webhooks: [CanaryWebhook.loadTest(), CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION })] },
      loadTester,
    });
    new ReleaseOperatorRole(chart, 'operators', { services: [web], loadTesterAccess: LoadTesterAccess.PROXY });
    expect(loadTester.ingressCidrs).toEqual(['172.18.0.0/16']);
    expect(web.plan!.notes.filter((note) => note.startsWith('ReleaseOperatorRole'))).toEqual([]);
    expect(fenceNote(web.plan!.notes)).toMatch(/^NetworkPolicies fence the loadtester 'shop\/flagger-loadtester' \(it runs any command it is sent: only the controller's pods may call it, and 172\.18\.0\.0\/16 \(allowIngressFromCidrs, for --via proxy\)\), /);
  });
});

test('in an app named with SharedAddons, the rules name the app\'s own loadtester', () => {
  for (const access of [LoadTesterAccess.EXEC, LoadTesterAccess.PROXY]) {
    const { chart, web, cart } = shop('shop', 'storefront');
    const role = new ReleaseOperatorRole(chart, 'operators', { services: [web, cart], loadTesterAccess: access });
    expect(web.loadTester!.name).toBe('flagger-loadtester-storefront');
    const names = role.rules.filter((r) => r.resources.some((res) => ['deployments', 'services/proxy'].includes(res))).map((r) => r.resourceNames);
    expect(names).toEqual([access === LoadTesterAccess.EXEC ? ['flagger-loadtester-storefront'] : ['http:flagger-loadtester-storefront:80']]);
  }
});

test('Argo Rollouts only: the Rollouts and their status subresource, no record, no loadtester', () => {
  const { chart, api } = shop();
  new ReleaseOperatorRole(chart, 'operators', { services: [api] });
  const manifests = synth(chart);
  expect(only(manifests, 'Role', 'cdk8s-canary-release-operator').rules).toEqual([
    { apiGroups: ['argoproj.io'], resources: ['rollouts'], resourceNames: ['api'], verbs: ['get'] },
    { apiGroups: ['argoproj.io'], resources: ['rollouts/status'], resourceNames: ['api'], verbs: ['patch'] },
  ]);
  expect(all(manifests, 'ConfigMap').filter((c) => c.metadata.name === 'cdk8s-canary-gates')).toEqual([]);
});

test('two Roles in one namespace share one record ConfigMap', () => {
  const { app, chart, web, cart } = shop();
  new ReleaseOperatorRole(chart, 'web-operators', { services: [web], name: 'web-operators' });
  new ReleaseOperatorRole(chart, 'cart-operators', { services: [cart], name: 'cart-operators' });
  const objects = app.charts.flatMap((c) => c.toJson());
  expect(objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'cdk8s-canary-gates')).toHaveLength(1);
  expect(objects.filter((o) => o.kind === 'Role' && o.metadata.labels['app.kubernetes.io/component'] === 'release-operator').map((o) => o.metadata.name))
    .toEqual(['web-operators', 'cart-operators']);
});

test('mistakes name the property, the value and what is allowed', () => {
  const { chart, web } = shop();
  expect(() => new ReleaseOperatorRole(chart, 'none', { services: [] })).toThrow("ReleaseOperatorRole 'shop/none': 'services' ([]) must name at least one CanaryService");
  const other = new CanaryService(new Chart(chart.node.root as any, 'other', { namespace: 'other' }), 'web', {
    image: 'ghcr.io/acme/web:1.0.0', engine: DeliveryEngine.argoRollouts(), router: TrafficRouter.istio(), gitOps: GitOps.none(),
  });
  expect(() => new ReleaseOperatorRole(chart, 'mixed', { services: [web, other] })).toThrow("ReleaseOperatorRole 'shop/mixed': 'services' (shop/web, other/web) must all be in one "
    + 'namespace: a Role is namespaced; declare one ReleaseOperatorRole per namespace');
  expect(() => new ReleaseOperatorRole(chart, 'bad', { services: [web], name: 'Release_Operators' })).toThrow(
    "ReleaseOperatorRole 'shop/bad': 'name' ('Release_Operators') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'");
});
