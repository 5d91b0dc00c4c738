import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as yaml from 'js-yaml';
import {
  CanaryAlert, CanaryMetric, CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, GateStage, GitOps, MetricScope, Prometheus,
  ReleaseOperatorRole, SharedAddons, SharedAddonsOptions, TrafficRouter,
} from '../../src';

/*
 * Two apps (two repositories, two teams) deploy services into one namespace, each synthesized on its
 * own and applied by its own GitOps. Named with SharedAddons.configure, each runs its own Prometheus
 * and loadtester: no object is written by both, each app's objects hold every rule its services
 * need, and deleting one app's files (GitOps prunes its objects) leaves everything the other needs.
 */

const NAMESPACE = 'team';

interface Manifest {
  readonly file: string;
  readonly object: any;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'several-apps-'));

function props(name: string, overrides: Partial<CanaryServiceProps> = {}): CanaryServiceProps {
  return {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.traefik({ hosts: [`${name}.example.com`] }),
    analysis: {
      webhooks: [
        CanaryWebhook.loadTest(),
        CanaryWebhook.acceptanceTest({ command: `curl -s http://${name}-canary.${NAMESPACE}/readyz` }),
        CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION }),
      ],
    },
    ...overrides,
  };
}

/** The shop team's app: two Flagger services behind Traefik, and its on-call's release-operator Role. */
function shop(app: App): void {
  const cart = new CanaryService(new Chart(app, 'cart', { namespace: NAMESPACE }), 'cart', props('cart'));
  const checkout = new CanaryService(new Chart(app, 'checkout', { namespace: NAMESPACE }), 'checkout', props('checkout'));
  new ReleaseOperatorRole(new Chart(app, 'operators', { namespace: NAMESPACE }), 'ops', { services: [cart, checkout], groups: ['shop-oncall'] });
}

/** Argo Rollouts' self-service notification Secret, where the webhook URLs are (one per namespace, read by name). */
const NOTIFICATION_SECRET = 'argo-rollouts-notification-secret';

/** An Argo Rollouts service behind Istio, with Slack alerts or none. */
function argoService(app: App, name: string, alerts: CanaryAlert[] = []): CanaryService {
  return new CanaryService(new Chart(app, name, { namespace: NAMESPACE }), name, props(name, {
    engine: DeliveryEngine.argoRollouts(),
    router: TrafficRouter.istio({ hosts: [`${name}.example.com`] }),
    gitOps: GitOps.none(),
    analysis: { webhooks: [CanaryWebhook.loadTest()], alerts },
  }));
}

/**
 * The search team's app: a Flagger service behind Traefik and an Argo Rollouts service behind Istio
 * with Slack alerts (the app owns the namespace's Argo notification ConfigMap), and its on-call's Role.
 */
function search(app: App): void {
  const searchService = new CanaryService(new Chart(app, 'search', { namespace: NAMESPACE }), 'search', props('search'));
  const suggest = argoService(app, 'suggest', [CanaryAlert.slack({ secretName: NOTIFICATION_SECRET, secretKey: 'search-slack', channel: 'search-releases' })]);
  new ReleaseOperatorRole(new Chart(app, 'operators', { namespace: NAMESPACE }), 'ops', { services: [searchService, suggest], groups: ['search-oncall'] });
}

/** How each team names its app: search owns the namespace's Argo Rollouts notification configuration. */
const SHOP: SharedAddonsOptions = { appName: 'shop' };
const SEARCH: SharedAddonsOptions = { appName: 'search', argoNotificationNamespaces: [NAMESPACE] };

/** The objects every app of a namespace writes alike, on purpose: the release record the CLI reads by name. */
const SHARED_ON_PURPOSE = ['/ConfigMap/team/cdk8s-canary-gates'];

/** Synthesizes one app on its own, as its repository's `cdk8s synth` does: every object with its file. */
function synthApp(declare: (app: App) => void, sharing?: SharedAddonsOptions, outdir = tmp()): Manifest[] {
  const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
  if (sharing) SharedAddons.configure(app, sharing);
  declare(app);
  app.synth();
  return readDir(outdir);
}

function readDir(outdir: string): Manifest[] {
  return fs.readdirSync(outdir).sort().flatMap((file) => (yaml.loadAll(fs.readFileSync(path.join(outdir, file), 'utf-8')) as any[])
    .filter(Boolean).map((object) => ({ file, object })));
}

const group = (o: any) => (o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '');
const keyOf = (o: any) => `${group(o)}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const files = (manifests: Manifest[]) => [...new Set(manifests.map((m) => m.file))];
const ofKind = (manifests: Manifest[], kind: string) => manifests.map((m) => m.object).filter((o) => o.kind === kind);

function matches(selector: { [key: string]: string } | undefined, labels: { [key: string]: string } = {}): boolean {
  return selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The pod labels of every Deployment and Rollout of an app. */
function podTemplates(manifests: Manifest[]): { owner: string; labels: { [key: string]: string } }[] {
  return manifests.map((m) => m.object).filter((o) => ['Deployment', 'Rollout'].includes(o.kind) && o.spec?.template)
    .map((o) => ({ owner: `${o.kind}/${o.metadata.name}`, labels: o.spec.template.metadata?.labels ?? {} }));
}

/** The in-cluster add-on addresses an app's objects call: `http://<canary-prometheus|flagger-loadtester>[-app].<ns>`. */
function addOnReferences(manifests: Manifest[]): string[] {
  const text = JSON.stringify(manifests.map((m) => m.object));
  return [...new Set([...text.matchAll(/http:\/\/((?:canary-prometheus|flagger-loadtester)[a-z0-9-]*)\.([a-z0-9-]+)[:/]/g)].map((m) => `${m[2]}/${m[1]}`))].sort();
}

/**
 * What a cluster with only this app's objects lacks for this app's services: every add-on address
 * they call names a Service of the app whose selector picks a Deployment of the app; every
 * RoleBinding binds a ServiceAccount of the app to a Role of the app.
 */
function missing(manifests: Manifest[]): string[] {
  const objects = manifests.map((m) => m.object);
  const problems: string[] = [];
  for (const ref of addOnReferences(manifests)) {
    const [ns, name] = ref.split('/');
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.namespace === ns && o.metadata.name === name);
    if (!service) {
      problems.push(`Service ${ref} is called but not written`);
      continue;
    }
    if (!podTemplates(manifests).some((t) => matches(service.spec.selector, t.labels))) problems.push(`Service ${ref} selects no pods of the app`);
  }
  for (const binding of ofKind(manifests, 'RoleBinding')) {
    const ns = binding.metadata.namespace;
    if (!objects.some((o) => o.kind === 'Role' && o.metadata.namespace === ns && o.metadata.name === binding.roleRef.name)) {
      problems.push(`RoleBinding ${ns}/${binding.metadata.name} binds a Role not written`);
    }
    for (const subject of binding.subjects) {
      if (subject.kind === 'ServiceAccount' && !objects.some((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === subject.namespace && o.metadata.name === subject.name)) {
        problems.push(`RoleBinding ${ns}/${binding.metadata.name} binds ServiceAccount ${subject.namespace}/${subject.name}, not written`);
      }
    }
  }
  return problems;
}

/** The NetworkPolicy of an app that selects the pods of its Deployment `name`. */
function policyOf(manifests: Manifest[], name: string): any {
  const deployment = ofKind(manifests, 'Deployment').find((d) => d.metadata.name === name);
  const policies = ofKind(manifests, 'NetworkPolicy').filter((p) => matches(p.spec.podSelector.matchLabels, deployment.spec.template.metadata.labels));
  expect(policies.map((p) => p.metadata.name)).toEqual([name]);
  return policies[0];
}

/** Egress peers of a policy as `<namespace>:<labels>` strings. */
function egressPeers(policy: any): string[] {
  return policy.spec.egress.flatMap((rule: any) => (rule.to ?? []).map((peer: any) => JSON.stringify([
    peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'], peer.podSelector?.matchLabels ?? {}, peer.podSelector?.matchExpressions ?? [],
  ])));
}

describe('two apps in one namespace, each named', () => {
  const shopApp = synthApp(shop, SHOP);
  const searchApp = synthApp(search, SEARCH);

  test('each writes its own shared file, and the objects of both are disjoint but for the release record', () => {
    expect(files(shopApp)).toEqual(['canary-shared-team-shop.k8s.yaml', 'cart.k8s.yaml', 'checkout.k8s.yaml', 'operators.k8s.yaml']);
    expect(files(searchApp)).toEqual(['canary-shared-team-search.k8s.yaml', 'operators.k8s.yaml', 'search.k8s.yaml', 'suggest.k8s.yaml']);
    const shopKeys = new Set(shopApp.map((m) => keyOf(m.object)));
    expect(searchApp.map((m) => keyOf(m.object)).filter((key) => shopKeys.has(key))).toEqual(SHARED_ON_PURPOSE);
    // Within an app, too, every object is written once.
    expect(new Set(shopKeys).size).toBe(shopApp.length);
  });

  test("each app's release-operator Role and RoleBinding are its own, with its own rules and subjects", () => {
    const rbac = (manifests: Manifest[]) => manifests.filter((m) => m.file === 'operators.k8s.yaml').map((m) => keyOf(m.object));
    expect(rbac(shopApp)).toEqual([
      'rbac.authorization.k8s.io/Role/team/cdk8s-canary-release-operator-shop',
      'rbac.authorization.k8s.io/RoleBinding/team/cdk8s-canary-release-operator-shop',
    ]);
    expect(rbac(searchApp)).toEqual([
      'rbac.authorization.k8s.io/Role/team/cdk8s-canary-release-operator-search',
      'rbac.authorization.k8s.io/RoleBinding/team/cdk8s-canary-release-operator-search',
    ]);
    const binding = (manifests: Manifest[]) => ofKind(manifests, 'RoleBinding').find((b) => b.metadata.name.startsWith('cdk8s-canary-release-operator'));
    expect(binding(shopApp).roleRef.name).toBe('cdk8s-canary-release-operator-shop');
    expect(binding(shopApp).subjects).toEqual([{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'shop-oncall' }]);
    expect(binding(searchApp).roleRef.name).toBe('cdk8s-canary-release-operator-search');
    expect(binding(searchApp).subjects).toEqual([{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'search-oncall' }]);
    const names = (manifests: Manifest[], resource: string) => ofKind(manifests, 'Role').find((r) => r.metadata.name.startsWith('cdk8s-canary-release-operator'))
      .rules.filter((rule: any) => rule.resources.includes(resource)).flatMap((rule: any) => rule.resourceNames);
    expect(names(shopApp, 'canaries')).toEqual(['cart', 'checkout']);
    expect(names(shopApp, 'deployments')).toEqual(['flagger-loadtester-shop']);
    expect(names(searchApp, 'canaries')).toEqual(['search']);
    expect(names(searchApp, 'deployments')).toEqual(['flagger-loadtester-search']);
  });

  test('the release record both write is the same object, which neither app\'s pruning or deletion removes', () => {
    const record = (manifests: Manifest[]) => manifests.filter((m) => keyOf(m.object) === SHARED_ON_PURPOSE[0]);
    expect(record(shopApp).map((m) => m.file)).toEqual(['canary-shared-team-shop.k8s.yaml']);
    expect(record(searchApp).map((m) => m.file)).toEqual(['canary-shared-team-search.k8s.yaml']);
    expect(record(searchApp)[0].object).toEqual(record(shopApp)[0].object);
    const metadata = record(shopApp)[0].object.metadata;
    // Flux's garbage collection skips it (kustomize-controller: prune: disabled); Argo CD neither prunes it nor deletes it with the Application,
    // and an Application that no longer declares it is not OutOfSync for it (controller/state.go: IgnoreExtraneous on an object requiring pruning).
    expect(metadata.annotations['kustomize.toolkit.fluxcd.io/prune']).toBe('disabled');
    expect(metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    expect(metadata.annotations['argocd.argoproj.io/compare-options']).toBe('IgnoreExtraneous');
    expect(Object.keys(metadata.annotations).sort()).toEqual(['argocd.argoproj.io/compare-options', 'argocd.argoproj.io/sync-options', 'kustomize.toolkit.fluxcd.io/prune']);
  });

  test("Argo Rollouts' notification ConfigMap is written by the app that owns it alone, with its alerts' service and triggers", () => {
    const configMap = (manifests: Manifest[]) => manifests.filter((m) => keyOf(m.object) === '/ConfigMap/team/argo-rollouts-notification-configmap');
    expect(configMap(shopApp)).toEqual([]);
    expect(configMap(searchApp).map((m) => m.file)).toEqual(['canary-shared-team-search.k8s.yaml']);
    const data = configMap(searchApp)[0].object.data;
    expect(Object.keys(data).filter((k) => k.startsWith('service.'))).toEqual(['service.webhook.suggest-slack']);
    expect(data['service.webhook.suggest-slack']).toContain('url: $search-slack');
    const rollout = ofKind(searchApp, 'Rollout').find((r) => r.metadata.name === 'suggest');
    expect(rollout.metadata.annotations['notifications.argoproj.io/subscriptions']).toContain('service: "suggest-slack"');
  });

  test('an app that declares Argo Rollouts alerts in a namespace it does not own fails the synth, naming the service, the namespace, the ConfigMap and what to change', () => {
    const alert = CanaryAlert.slack({ secretName: NOTIFICATION_SECRET, secretKey: 'shop-slack' });
    expect(() => synthApp((app) => argoService(app, 'basket', [alert]), SHOP)).toThrow(
      "CanaryService 'basket': 'analysis.alerts' ('slack') would write Argo Rollouts' notification ConfigMap 'argo-rollouts-notification-configmap' of namespace 'team', "
      + "which the controller reads by that name for every Rollout of the namespace, and which the app 'shop' does not own: another app of the namespace writing it "
      + "too would drop this one's services and triggers at its next apply (the last apply wins). If this app owns it, add 'team' to "
      + "SharedAddons.configure(app, { argoNotificationNamespaces }) and declare no Argo Rollouts alerts in the other apps of 'team'; otherwise remove the alerts "
      + '(the app that owns it may declare them)');
    // Owning another namespace's configuration is not enough.
    expect(() => synthApp((app) => argoService(app, 'basket', [alert]), { appName: 'shop', argoNotificationNamespaces: ['other'] })).toThrow(
      "which the app 'shop' does not own");
    // Without alerts an Argo Rollouts service of a second app writes no notification ConfigMap.
    const basket = synthApp((app) => argoService(app, 'basket'), SHOP);
    expect(basket.filter((m) => m.object.metadata.name === 'argo-rollouts-notification-configmap')).toEqual([]);
    expect(basket.map((m) => keyOf(m.object)).filter((key) => searchApp.some((n) => keyOf(n.object) === key))).toEqual([]);
  });

  test("the owner's plan says it owns the notification ConfigMap and that no other app of the namespace may declare alerts", () => {
    const outdir = tmp();
    const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
    SharedAddons.configure(app, SEARCH);
    search(app);
    const suggest = app.node.findAll().find((c) => CanaryService.isCanaryService(c) && c.node.id === 'suggest') as CanaryService;
    expect(suggest.plan!.notes).toContain("the app 'search' owns Argo Rollouts' notification ConfigMap 'team/argo-rollouts-notification-configmap' "
      + "(SharedAddons.configure 'argoNotificationNamespaces'), with every alert of its Rollouts in 'team': no other app of the namespace may declare "
      + "Argo Rollouts alerts (it would write the same ConfigMap, and the last apply would drop the other app's services and triggers)");
  });

  test("each app's services call its own Prometheus and loadtester", () => {
    expect(addOnReferences(shopApp)).toEqual(['team/canary-prometheus-shop', 'team/flagger-loadtester-shop']);
    expect(addOnReferences(searchApp)).toEqual(['team/canary-prometheus-search', 'team/flagger-loadtester-search']);
  });

  test("deleting one app's files leaves everything the other needs", () => {
    // Each app alone is what the cluster holds once the other app's files are deleted and pruned.
    expect(missing(shopApp)).toEqual([]);
    expect(missing(searchApp)).toEqual([]);
  });

  test('no Service or NetworkPolicy of one app selects the pods of the other', () => {
    const pods = [...podTemplates(shopApp).map((t) => ({ ...t, app: 'shop' })), ...podTemplates(searchApp).map((t) => ({ ...t, app: 'search' }))];
    const crossings: string[] = [];
    for (const [app, manifests] of [['shop', shopApp], ['search', searchApp]] as const) {
      for (const o of manifests.map((m) => m.object)) {
        const selector = o.kind === 'Service' ? o.spec.selector : o.kind === 'NetworkPolicy' ? o.spec.podSelector.matchLabels : undefined;
        if (o.kind === 'NetworkPolicy') expect({ policy: o.metadata.name, selector }).toEqual({ policy: o.metadata.name, selector: expect.any(Object) });
        for (const pod of pods.filter((p) => p.app !== app && matches(selector, p.labels))) {
          crossings.push(`${app}'s ${o.kind}/${o.metadata.name} selects ${pod.app}'s ${pod.owner}`);
        }
      }
    }
    expect(crossings).toEqual([]);
  });

  test("every scrape rule of an app's services is in its own Prometheus", () => {
    const config = (manifests: Manifest[], name: string) => yaml.load(ofKind(manifests, 'ConfigMap').find((c) => c.metadata.name === name).data['prometheus.yml']) as any;
    const routerKeep = (c: any) => c.scrape_configs.find((job: any) => job.job_name === 'router-traefik').metric_relabel_configs[0].regex;
    expect(routerKeep(config(shopApp, 'canary-prometheus-shop'))).toBe(
      '(traefik_service_.+);(team-cart(-canary|-primary|-stable|-preview)?-80@kubernetescrd|team-checkout(-canary|-primary|-stable|-preview)?-80@kubernetescrd)');
    expect(routerKeep(config(searchApp, 'canary-prometheus-search'))).toBe('(traefik_service_.+);(team-search(-canary|-primary|-stable|-preview)?-80@kubernetescrd)');
    // Istio's series come from the pods of the namespace: each discovers them all and keeps its own services' pods alone.
    for (const [manifests, name] of [[shopApp, 'canary-prometheus-shop'], [searchApp, 'canary-prometheus-search']] as const) {
      expect(config(manifests, name).scrape_configs[0].kubernetes_sd_configs[0].namespaces.names).toEqual([NAMESPACE]);
    }
    const podsKeep = (c: any) => c.scrape_configs.find((job: any) => job.job_name === 'kubernetes-pods').relabel_configs[0];
    const sources = ['__meta_kubernetes_namespace', '__meta_kubernetes_pod_label_app_kubernetes_io_name'];
    // Flagger's primary is `<name>-primary`, its canary `<name>`; an Argo Rollout's ReplicaSets all carry `<name>`.
    expect(podsKeep(config(shopApp, 'canary-prometheus-shop'))).toEqual({
      source_labels: sources, action: 'keep', regex: '(?:team;(?:cart|cart-primary))|(?:team;(?:checkout|checkout-primary))',
    });
    expect(podsKeep(config(searchApp, 'canary-prometheus-search'))).toEqual({
      source_labels: sources, action: 'keep', regex: '(?:team;(?:search|search-primary))|(?:team;suggest)',
    });
  });

  test("every NetworkPolicy rule of an app's services is in its own policies", () => {
    const ingressFrom = (policy: any) => policy.spec.ingress.flatMap((rule: any) => rule.from.map((peer: any) => peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name'])).sort();
    expect(ingressFrom(policyOf(shopApp, 'canary-prometheus-shop'))).toEqual(['flagger-system']);
    expect(ingressFrom(policyOf(searchApp, 'canary-prometheus-search'))).toEqual(['argo-rollouts', 'flagger-system']);
    // The loadtester calls the canary pods of the app's Flagger services (the acceptance tests) and Traefik (the load).
    const shopEgress = egressPeers(policyOf(shopApp, 'flagger-loadtester-shop')).join('\n');
    const searchEgress = egressPeers(policyOf(searchApp, 'flagger-loadtester-search')).join('\n');
    for (const service of ['cart', 'checkout']) expect(shopEgress).toContain(`"${service}`);
    expect(searchEgress).toContain('"search');
    expect(searchEgress).not.toMatch(/cart|checkout/);
    expect(shopEgress).not.toMatch(/search/);
  });

  test("the Canaries' gates call the app's loadtester, which serves only the namespace", () => {
    const urls = (manifests: Manifest[]) => ofKind(manifests, 'Canary').flatMap((c) => c.spec.analysis.webhooks.map((w: any) => w.url));
    expect([...new Set(urls(shopApp))]).toEqual(['http://flagger-loadtester-shop.team/', 'http://flagger-loadtester-shop.team/gate/check']);
    expect([...new Set(urls(searchApp))]).toEqual(['http://flagger-loadtester-search.team/', 'http://flagger-loadtester-search.team/gate/check']);
    const args = ofKind(shopApp, 'Deployment').find((d) => d.metadata.name === 'flagger-loadtester-shop').spec.template.spec.containers[0].args;
    expect(args).toContain('-namespace-regexp=^team$');
  });
});

describe('two apps in one namespace, neither named (one app per namespace assumed)', () => {
  test('they write the same objects with different rules: the last apply would drop the other\'s', () => {
    const shopApp = synthApp(shop);
    const searchApp = synthApp(search);
    expect(files(shopApp)).toContain('canary-shared-team.k8s.yaml');
    const shopObjects = new Map(shopApp.map((m) => [keyOf(m.object), m.object]));
    const clashing = searchApp.filter((m) => shopObjects.has(keyOf(m.object))
      && JSON.stringify(shopObjects.get(keyOf(m.object))) !== JSON.stringify(m.object)).map((m) => keyOf(m.object));
    expect(clashing).toEqual([
      '/ConfigMap/team/canary-prometheus',
      'networking.k8s.io/NetworkPolicy/team/canary-prometheus',
      'networking.k8s.io/NetworkPolicy/team/flagger-loadtester',
      'rbac.authorization.k8s.io/Role/team/cdk8s-canary-release-operator',
      'rbac.authorization.k8s.io/RoleBinding/team/cdk8s-canary-release-operator',
    ]);
    // One app per namespace: its record goes with it when it is retired.
    expect(ofKind(shopApp, 'ConfigMap').find((c) => c.metadata.name === 'cdk8s-canary-gates').metadata.annotations).toBeUndefined();
  });
});

describe("Argo Rollouts alerts of two unnamed apps in one namespace (today's one-app-per-namespace behaviour)", () => {
  test('both write the notification ConfigMap, each with its own services only: the last apply would drop the other\'s', () => {
    const basket = synthApp((app) => argoService(app, 'basket', [CanaryAlert.slack({ secretName: NOTIFICATION_SECRET, secretKey: 'shop-slack' })]));
    const searchApp = synthApp(search);
    const services = (manifests: Manifest[]) => Object.keys(manifests.find((m) => keyOf(m.object) === '/ConfigMap/team/argo-rollouts-notification-configmap')!
      .object.data).filter((k) => k.startsWith('service.'));
    expect(services(basket)).toEqual(['service.webhook.basket-slack']);
    expect(services(searchApp)).toEqual(['service.webhook.suggest-slack']);
  });
});

describe('a Gateway one app creates for the others of the namespace', () => {
  const gatewayApp = (sharing?: SharedAddonsOptions) => synthApp((app) => {
    new CanaryService(new Chart(app, 'cart', { namespace: NAMESPACE }), 'cart', props('cart', { router: TrafficRouter.gatewayApi({ hosts: ['cart.example.com'] }) }));
  }, sharing);

  test('in a named app, neither Flux nor Argo CD removes it when that app is retired', () => {
    const gateways = ofKind(gatewayApp({ appName: 'shop' }), 'Gateway');
    expect(gateways.map((g) => `${g.metadata.namespace}/${g.metadata.name}`)).toEqual(['team/gateway']);
    expect(gateways[0].metadata.annotations['kustomize.toolkit.fluxcd.io/prune']).toBe('disabled');
    expect(gateways[0].metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    expect(gateways[0].metadata.annotations['argocd.argoproj.io/compare-options']).toBe('IgnoreExtraneous');
    expect(Object.keys(gateways[0].metadata.annotations).sort()).toEqual(['argocd.argoproj.io/compare-options', 'argocd.argoproj.io/sync-options', 'kustomize.toolkit.fluxcd.io/prune']);
  });

  test('in an unnamed app (one app per namespace), it goes with the app', () => {
    const gateways = ofKind(gatewayApp(), 'Gateway');
    expect(gateways.map((g) => g.metadata.name)).toEqual(['gateway']);
    expect(gateways[0].metadata.annotations).toBeUndefined();
  });
});

describe("a named app's Prometheus keeps its services' pods by their label expressions", () => {
  const keep = (expressions: kplus.LabelExpression[]) => {
    const app = new App({ outdir: tmp() });
    SharedAddons.configure(app, { appName: 'shop' });
    const prometheus = Prometheus.of(new Chart(app, 'c'), NAMESPACE);
    prometheus.monitorService(prometheus, { name: 'cart', namespace: NAMESPACE, labels: {}, pods: expressions, routerMetrics: [] });
    const config = yaml.load(Testing.synth(app.node.findChild(`canary-shared-${NAMESPACE}-shop`) as Chart)
      .find((o: any) => o.kind === 'ConfigMap').data['prometheus.yml']) as any;
    return config.scrape_configs[0].relabel_configs[0];
  };

  test('In (values escaped) by the value, Exists and DoesNotExist by the label\'s presence (its value may be empty): one anchored alternative per service', () => {
    expect(keep([kplus.LabelExpression.in('app', ['cart.v1', 'cart']), kplus.LabelExpression.exists('tier'), kplus.LabelExpression.doesNotExist('canary.io/skip')])).toEqual({
      source_labels: [
        '__meta_kubernetes_namespace', '__meta_kubernetes_pod_label_app',
        '__meta_kubernetes_pod_labelpresent_canary_io_skip', '__meta_kubernetes_pod_labelpresent_tier',
      ],
      action: 'keep',
      regex: 'team;(?:cart\\.v1|cart);;true',
    });
  });

  test('NotIn, which RE2 cannot negate, is refused, naming the service and the expression', () => {
    expect(() => keep([kplus.LabelExpression.notIn('app', ['cart'])])).toThrow(
      "CanaryService 'cart': its pods are selected by 'app NotIn', which the embedded Prometheus of a named app cannot keep (RE2 has no negation): "
      + "select them by 'In', 'Exists' or 'DoesNotExist'");
  });
});

describe("a namespace a named app's Prometheus is asked to scrape (scrapeNamespace) is kept whole", () => {
  const declare = (app: App) => {
    const cart = new Chart(app, 'cart', { namespace: NAMESPACE });
    new CanaryService(cart, 'cart', props('cart', {
      analysis: {
        webhooks: [CanaryWebhook.loadTest()],
        metrics: [
          CanaryMetric.requestSuccessRate(),
          CanaryMetric.prometheus({ name: 'db-errors', query: 'sum(rate(db_errors_total{namespace="deps"}[{{ interval }}]))', max: 1, scope: MetricScope.GLOBAL }),
        ],
      },
    }));
    Prometheus.of(cart, NAMESPACE).scrapeNamespace('deps');
  };
  const manifests = synthApp(declare, SHOP);
  const config = yaml.load(ofKind(manifests, 'ConfigMap').find((c) => c.metadata.name === 'canary-prometheus-shop').data['prometheus.yml']) as any;

  test('its pods job discovers it and keeps every pod there, beside the services\' own pods of the namespace', () => {
    const pods = config.scrape_configs.find((job: any) => job.job_name === 'kubernetes-pods');
    expect(pods.kubernetes_sd_configs[0].namespaces.names).toEqual(['deps', NAMESPACE]);
    expect(pods.relabel_configs[0]).toEqual({
      source_labels: ['__meta_kubernetes_namespace', '__meta_kubernetes_pod_label_app_kubernetes_io_name'],
      action: 'keep',
      regex: '(?:deps;[^;]*)|(?:team;(?:cart|cart-primary))',
    });
  });

  test('the Role that lets it list pods there and the egress to it are what that keep needs', () => {
    const role = manifests.find((m) => m.object.kind === 'Role' && m.object.metadata.namespace === 'deps')!.object;
    expect(role.metadata.name).toBe('canary-prometheus-shop.team');
    const policy = ofKind(manifests, 'NetworkPolicy').find((p) => p.metadata.name === 'canary-prometheus-shop');
    expect(JSON.stringify(policy.spec.egress)).toContain('"kubernetes.io/metadata.name":"deps"');
  });

  test('the service\'s own namespace, scraped for its services, stays limited to their pods', () => {
    const searchApp = synthApp((app) => new CanaryService(new Chart(app, 'search', { namespace: NAMESPACE }), 'search', props('search')), { appName: 'search' });
    const searchConfig = yaml.load(ofKind(searchApp, 'ConfigMap').find((c) => c.metadata.name === 'canary-prometheus-search').data['prometheus.yml']) as any;
    expect(searchConfig.scrape_configs[0].relabel_configs[0].regex).toBe('team;(?:search|search-primary)');
  });

  test('the plan says, for each query of the app\'s own, which pods its Prometheus keeps and how to add others', () => {
    const app = new App({ outdir: tmp() });
    SharedAddons.configure(app, SHOP);
    declare(app);
    const cart = app.node.findAll().find((c) => c instanceof CanaryService) as CanaryService;
    expect(cart.plan!.notes.filter((n) => n.startsWith('metric '))).toEqual([
      "metric 'db-errors' (a query of your own) reads the Prometheus 'team/canary-prometheus-shop' of the app 'shop', which keeps only the pods of its services "
      + "(cart in 'team') and every annotated pod of 'deps' (scrapeNamespace): a query that reads other pods finds nothing (Flagger: \"no values found\", a failed check; "
      + "Argo Rollouts: an error), so add their namespace with Prometheus.of(chart, 'team').scrapeNamespace('<namespace>') (every annotated pod there is kept, another app's too), "
      + 'or query a Prometheus that scrapes them (Prometheus.external)',
    ]);
  });

  test('an unnamed app, which keeps every pod anyway, says nothing of it', () => {
    const app = new App({ outdir: tmp() });
    declare(app);
    const cart = app.node.findAll().find((c) => c instanceof CanaryService) as CanaryService;
    expect(cart.plan!.notes.filter((n) => n.startsWith('metric '))).toEqual([]);
  });
});

describe('SharedAddons.configure', () => {
  test('an app name that cannot name the loadtester is refused, naming the property and the limit', () => {
    expect(() => SharedAddons.configure(new App({ outdir: tmp() }), { appName: 'Shop' })).toThrow(
      "SharedAddons.configure(): 'appName' ('Shop') must be a DNS label of at most 44 characters: lower-case letters, digits and '-', starting with a letter "
      + "and ending with a letter or digit (it names the app's Prometheus and loadtester: flagger-loadtester-<appName> must be a DNS label)");
    expect(() => SharedAddons.configure(new App({ outdir: tmp() }), { appName: 'a'.repeat(45) })).toThrow("'appName' ('" + 'a'.repeat(45) + "') must be a DNS label of at most 44 characters");
    expect(() => SharedAddons.configure(new App({ outdir: tmp() }), { appName: 'a'.repeat(44) })).not.toThrow();
  });

  test('notification namespaces are refused without an app name, or when not DNS labels', () => {
    expect(() => SharedAddons.configure(new App({ outdir: tmp() }), { argoNotificationNamespaces: [NAMESPACE] })).toThrow(
      "SharedAddons.configure(): 'argoNotificationNamespaces' is for a named app ('appName'): an app without a name is the only app of its namespaces "
      + "and writes their Argo Rollouts notification configuration already; set 'appName' or leave it out");
    expect(() => SharedAddons.configure(new App({ outdir: tmp() }), { appName: 'shop', argoNotificationNamespaces: ['Team'] })).toThrow(
      "SharedAddons.configure(): 'argoNotificationNamespaces[0]' ('Team') must be a DNS label of at most 63 characters");
  });

  test('configured after the first shared add-on exists, it is refused: the names are already taken', () => {
    const app = new App({ outdir: tmp() });
    new CanaryService(new Chart(app, 'cart', { namespace: NAMESPACE }), 'cart', props('cart'));
    expect(() => SharedAddons.configure(app, { appName: 'shop' })).toThrow(
      "SharedAddons.configure(): is called after the app created shared add-ons ('canary-shared-team/Prometheus-team', 'canary-shared-team/LoadTester-team'), "
      + 'whose names depend on it: call it before declaring the first CanaryService');
  });
});

describe('the RBAC in the router\'s namespace (multi-tenant Flux)', () => {
  /** What a Flux Kustomization running as a service account of `team` (multi-tenancy lockdown) may apply. */
  function outsideTeam(manifests: Manifest[]): string[] {
    return manifests.filter((m) => m.object.metadata.namespace !== NAMESPACE).map((m) => `${m.file}: ${keyOf(m.object)}`);
  }

  test('by default nothing outside the team\'s namespace is synthesized, and the plan says what the platform team must grant', () => {
    const outdir = tmp();
    const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
    const service = new CanaryService(new Chart(app, 'cart', { namespace: NAMESPACE }), 'cart', props('cart'));
    app.synth();
    const manifests = readDir(outdir);
    expect(outsideTeam(manifests)).toEqual([]);
    expect(files(manifests)).toEqual(['canary-shared-team.k8s.yaml', 'cart.k8s.yaml']);
    // Every RoleBinding binds subjects of the team's namespace: no cross-namespace reference.
    expect(ofKind(manifests, 'RoleBinding').flatMap((b) => b.subjects.map((s: any) => s.namespace))).toEqual([NAMESPACE]);
    expect(service.plan!.notes).toContain("the Prometheus 'team/canary-prometheus' lists pods in 'traefik' (the router's series), which the platform team must allow: "
      + "a Role and RoleBinding 'traefik/canary-prometheus-team' (list and watch on pods, bound to ServiceAccount 'team/canary-prometheus'). "
      + "They are not synthesized (a team's namespace-scoped GitOps reconciler may not write there): SharedAddons.configure(app, { platformRbacScope: platformApp }) "
      + "writes them to canary-platform-rbac.k8s.yaml in another App's outdir, the file to hand to the platform team. "
      + 'Without them Prometheus keeps no router series and every check of the router has no data');
  });

  test("with a platform App, the Roles are in a file of that App's outdir, one per team app; the team's files stay in its namespace", () => {
    const platformDir = tmp();
    const teams: { [name: string]: Manifest[] } = {};
    const plans: { [name: string]: string[] } = {};
    for (const [sharing, declare] of [[SHOP, shop], [SEARCH, search]] as const) {
      const appName = sharing.appName!;
      // Each team's synth also writes its file for the platform team (a second App, its own outdir).
      const platform = new App({ outdir: platformDir, outputFileExtension: '.k8s.yaml' });
      const outdir = tmp();
      const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
      SharedAddons.configure(app, { ...sharing, platformRbacScope: platform });
      declare(app);
      app.synth();
      platform.synth();
      teams[appName] = readDir(outdir);
      plans[appName] = (app.node.findAll().filter((c) => CanaryService.isCanaryService(c)) as CanaryService[]).flatMap((s) => s.plan!.notes);
    }
    expect(outsideTeam(teams.shop)).toEqual([]);
    expect(outsideTeam(teams.search)).toEqual([]);
    const platform = readDir(platformDir);
    expect(platform.map((m) => `${m.file}: ${keyOf(m.object)}`)).toEqual([
      'canary-platform-rbac-search.k8s.yaml: rbac.authorization.k8s.io/Role/traefik/canary-prometheus-search.team',
      'canary-platform-rbac-search.k8s.yaml: rbac.authorization.k8s.io/RoleBinding/traefik/canary-prometheus-search.team',
      'canary-platform-rbac-shop.k8s.yaml: rbac.authorization.k8s.io/Role/traefik/canary-prometheus-shop.team',
      'canary-platform-rbac-shop.k8s.yaml: rbac.authorization.k8s.io/RoleBinding/traefik/canary-prometheus-shop.team',
    ]);
    // Each binds its app's Prometheus, which that app's files hold.
    for (const app of ['shop', 'search']) {
      const binding = ofKind(platform, 'RoleBinding').find((b) => b.metadata.name === `canary-prometheus-${app}.team`);
      expect(binding.subjects).toEqual([{ apiGroup: '', kind: 'ServiceAccount', name: `canary-prometheus-${app}`, namespace: NAMESPACE }]);
      expect(missing([...teams[app], ...platform.filter((m) => m.file === `canary-platform-rbac-${app}.k8s.yaml`)])).toEqual([]);
      const role = ofKind(platform, 'Role').find((r) => r.metadata.name === `canary-prometheus-${app}.team`);
      expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }]);
    }
    expect(plans.shop).toContain("the Prometheus 'team/canary-prometheus-shop' lists pods in 'traefik' (the router's series): its Role and RoleBinding "
      + "'traefik/canary-prometheus-shop.team' are in canary-platform-rbac-shop.k8s.yaml, in the outdir of the App given as "
      + "SharedAddons.configure's 'platformRbacScope', not in this app's: hand that file to the platform team, whose reconciler may write there (a team's namespace-scoped one may not)");
  });

  test('with the app itself as the scope, the file is beside the services\' files and the plan names the exclude', () => {
    const outdir = tmp();
    const app = new App({ outdir, outputFileExtension: '.k8s.yaml' });
    SharedAddons.configure(app, { platformRbacScope: app });
    const service = new CanaryService(new Chart(app, 'cart', { namespace: NAMESPACE }), 'cart', props('cart'));
    app.synth();
    const manifests = readDir(outdir);
    expect(outsideTeam(manifests)).toEqual([
      'canary-platform-rbac.k8s.yaml: rbac.authorization.k8s.io/Role/traefik/canary-prometheus-team',
      'canary-platform-rbac.k8s.yaml: rbac.authorization.k8s.io/RoleBinding/traefik/canary-prometheus-team',
    ]);
    expect(service.plan!.notes).toContain("the Prometheus 'team/canary-prometheus' lists pods in 'traefik' (the router's series): its Role and RoleBinding "
      + "'traefik/canary-prometheus-team' are in canary-platform-rbac.k8s.yaml, beside the services' files. Hand that file to the platform team and keep it "
      + "out of the team's GitOps (a kustomization.yaml 'resources' list without it, or SharedAddons.configure's 'platformRbacScope' set to another App; "
      + "a '.sourceignore' line 'canary-platform-rbac.k8s.yaml' would remove it from every GitRepository reading the repository, the platform team's "
      + 'included): a namespace-scoped reconciler (Flux multi-tenancy lockdown) may not write there, and the forbidden Role fails the whole apply');
  });
});
