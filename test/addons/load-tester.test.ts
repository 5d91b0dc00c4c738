import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { CanaryService, CanaryWebhook, DeliveryEngine, GateStage, TrafficRouter } from '../../src';
import { LoadTester } from '../../src/addons/load-tester';
import { LOAD_TESTER_IMAGE } from '../../src/versions';
import { all, only, synth } from '../synth';

const NAME = 'flagger-loadtester';
const SELECTOR = { 'app.kubernetes.io/name': NAME };
const DNS_LABEL_RULE = "must be a DNS label of at most 63 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit";

/** DNS to the cluster DNS pods only (CoreDNS and kube-dns carry k8s-app: kube-dns in kube-system), not port 53 anywhere. */
const DNS_EGRESS = {
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
};

function newChart(): Chart {
  return new Chart(Testing.app(), 'test');
}

describe('defaults', () => {
  const chart = newChart();
  const lt = new LoadTester(chart, 'lt', { namespace: 'shop' });
  // Recorded for the conformance checker by the first test.
  const manifests = Testing.synth(chart);
  const deployment = only(manifests, 'Deployment', NAME);
  const container = deployment.spec.template.spec.containers[0];

  test('synthesizes a Deployment, a Service and a NetworkPolicy in the namespace', () => {
    expect(manifests.map((m) => `${m.kind}/${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
      `Deployment/shop/${NAME}`,
      `Service/shop/${NAME}`,
      `NetworkPolicy/shop/${NAME}`,
    ]);
    expect(JSON.stringify(manifests)).not.toContain('cdk8s.io/metadata.addr');
    expect(synth(chart)).toEqual(manifests);
    expect(manifests).toMatchSnapshot();
  });

  test('Deployment selects its pods by name only', () => {
    expect(deployment.metadata.labels).toEqual({
      'app.kubernetes.io/name': NAME,
      'app.kubernetes.io/component': 'loadtester',
      'app.kubernetes.io/managed-by': 'cdk8s-canary',
    });
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.selector).toEqual({ matchLabels: SELECTOR });
    // Out of the Istio mesh even in a namespace labelled for injection: Flagger calls it from outside.
    expect(deployment.spec.template.metadata.labels).toEqual({ ...SELECTOR, 'sidecar.istio.io/inject': 'false' });
    expect(deployment.spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  test('container', () => {
    expect(container.name).toBe('loadtester');
    expect(container.image).toBe(LOAD_TESTER_IMAGE);
    expect(container.imagePullPolicy).toBe('IfNotPresent');
    // Only the canaries of its own namespace (flagger cmd/loadtester/main.go; server.go answers 403 to any other).
    expect(container.args).toEqual(['-port=8080', '-log-level=info', '-timeout=1h', '-namespace-regexp=^shop$']);
    expect(lt.namespaceRegexp).toBe('^shop$');
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe.httpGet).toEqual({ path: '/healthz', port: 8080, scheme: 'HTTP' });
    }
    expect(container.resources).toEqual({
      requests: { cpu: '10m', memory: '32Mi' },
      limits: { cpu: '1000m', memory: '512Mi' },
    });
  });

  test('runs under Pod Security "restricted" with a writable TMPDIR beside the image\'s /tmp/ghz', () => {
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // Not over /tmp: the image ships ghz's /tmp/ghz/health.proto there (flagger v1.44.0 Dockerfile.loadtester).
    expect(container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp/scratch' }]);
    expect(container.env).toEqual([{ name: 'TMPDIR', value: '/tmp/scratch' }]);
    expect(deployment.spec.template.spec.volumes).toEqual([{ name: 'tmp', emptyDir: {} }]);
  });

  test('Service port 80 to the container port', () => {
    const service = only(manifests, 'Service', NAME);
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.selector).toEqual(SELECTOR);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }]);
  });

  test('NetworkPolicy admits only Flagger\'s pods (the Helm chart\'s label) in its namespace, on the container port, and lets it call the cluster DNS only', () => {
    expect(only(manifests, 'NetworkPolicy', NAME).spec).toEqual({
      podSelector: { matchLabels: SELECTOR },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{
        from: [{
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flagger-system' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'flagger' } },
        }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      }],
      egress: [DNS_EGRESS],
    });
  });

  test('it serves its own namespace only', () => {
    expect(lt.servesNamespace('shop')).toBe(true);
    expect(lt.servesNamespace('shop-other')).toBe(false);
    expect(lt.servesNamespace('other')).toBe(false);
  });

  test('url', () => {
    expect(lt.namespace).toBe('shop');
    expect(lt.url).toBe('http://flagger-loadtester.shop/');
    expect(lt.urlFor('gate/check')).toBe('http://flagger-loadtester.shop/gate/check');
    expect(lt.urlFor('/rollback/check')).toBe('http://flagger-loadtester.shop/rollback/check');
  });
});

describe('egress: DNS and the pods the tests need, nothing else', () => {
  const TRAEFIK_PODS = { namespace: 'traefik', podLabels: { 'app.kubernetes.io/name': 'traefik' }, ports: [8000] };
  const CANARY_PODS = { namespace: 'shop', podLabels: { 'app.kubernetes.io/name': 'web' }, ports: [9898] };

  function egressOf(lt: LoadTester): any[] {
    return only(synth(Chart.of(lt)), 'NetworkPolicy', NAME).spec.egress;
  }

  test('allowEgress adds one rule per target, each once, in the order asked', () => {
    const lt = new LoadTester(newChart(), 'lt', { namespace: 'shop' });
    lt.allowEgress(TRAEFIK_PODS);
    lt.allowEgress(CANARY_PODS);
    lt.allowEgress({ ...TRAEFIK_PODS, podLabels: { 'app.kubernetes.io/name': 'traefik' } });
    expect(egressOf(lt)).toEqual([
      DNS_EGRESS,
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } } }],
        ports: [{ port: 8000, protocol: 'TCP' }],
      },
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } }],
        ports: [{ port: 9898, protocol: 'TCP' }],
      },
    ]);
  });

  test('egress given as an option; a set of label values', () => {
    const lt = new LoadTester(newChart(), 'lt', {
      namespace: 'shop',
      egress: [{ namespace: 'shop', podLabelIn: { key: 'app', values: ['web', 'web-primary'] }, ports: [8080, 8080, 80] }],
    });
    expect(egressOf(lt)[1]).toEqual({
      to: [{
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
        podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'web-primary'] }] },
      }],
      ports: [{ port: 80, protocol: 'TCP' }, { port: 8080, protocol: 'TCP' }],
    });
  });

  test('a bad namespace or port', () => {
    const lt = new LoadTester(newChart(), 'lt', { namespace: 'shop' });
    expect(() => lt.allowEgress({ ...CANARY_PODS, namespace: 'Shop' })).toThrow("LoadTester 'test/lt': 'egress.namespace' ('Shop') must be a DNS label");
    expect(() => lt.allowEgress({ ...CANARY_PODS, ports: [0] })).toThrow("LoadTester 'test/lt': 'egress.ports' (0) must be an integer between 1 and 65535");
  });
});

test('options', () => {
  const chart = newChart();
  const image = `ghcr.io/fluxcd/flagger-loadtester@sha256:${'a'.repeat(64)}`;
  new LoadTester(chart, 'lt', {
    namespace: 'options',
    image,
    allowedNamespaces: ['flagger-system', 'ci'],
    callerPodLabels: { app: 'flagger' },
    namespaceRegexp: '^options-.*$',
    dns: { namespace: 'dns', podLabels: { 'k8s-app': 'coredns' }, extraAddresses: ['10.96.0.10', '169.254.20.10'] },
    timeout: Duration.seconds(90),
    logLevel: 'debug',
    resources: { memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) } },
  });
  const manifests = synth(chart);
  const container = only(manifests, 'Deployment', NAME).spec.template.spec.containers[0];
  expect(container.image).toBe(image);
  expect(container.args).toEqual(['-port=8080', '-log-level=debug', '-timeout=90s', '-namespace-regexp=^(?:^options-.*$)$']);
  expect(container.resources).toEqual({ requests: { memory: '64Mi' }, limits: { memory: '256Mi' } });
  const policy = only(manifests, 'NetworkPolicy', NAME).spec;
  expect(policy.ingress[0].from).toEqual([
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flagger-system' } }, podSelector: { matchLabels: { app: 'flagger' } } },
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ci' } }, podSelector: { matchLabels: { app: 'flagger' } } },
  ]);
  // DNS to the given pods, and to each extra address (one address each: NodeLocal DNSCache on the kube-dns ClusterIP and on its link-local address).
  expect(policy.egress).toEqual([
    { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns' } }, podSelector: { matchLabels: { 'k8s-app': 'coredns' } } }], ports: DNS_EGRESS.ports },
    { to: [{ ipBlock: { cidr: '10.96.0.10/32' } }], ports: DNS_EGRESS.ports },
    { to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: DNS_EGRESS.ports },
  ]);
});

test('callerPodLabels {} admits every pod of the allowed namespaces', () => {
  const chart = newChart();
  new LoadTester(chart, 'lt', { namespace: 'shop', callerPodLabels: {} });
  expect(only(synth(chart), 'NetworkPolicy', NAME).spec.ingress[0].from).toEqual([
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flagger-system' } }, podSelector: {} },
  ]);
});

test.each([
  ['5m', Duration.minutes(5)],
  ['2h', Duration.hours(2)],
  ['45s', Duration.seconds(45)],
  ['61m', Duration.minutes(61)],
])('timeout renders as %s', (rendered, timeout) => {
  const lt = new LoadTester(newChart(), 'lt', { namespace: 'shop', timeout });
  expect(lt.deployment.containers[0].args).toContain(`-timeout=${rendered}`);
});

describe('one per namespace', () => {
  test('of() twice for a namespace returns the same loadtester', () => {
    const chart = newChart();
    const first = LoadTester.of(chart, 'cart');
    expect(LoadTester.of(chart, 'cart')).toBe(first);
    expect(first.node.path).toBe('canary-shared-cart/LoadTester-cart');
    expect(all(synth(chart), 'Deployment')).toHaveLength(1);
  });

  test('two namespaces get two loadtesters', () => {
    const chart = newChart();
    const web = LoadTester.of(chart, 'web');
    const blog = LoadTester.of(chart, 'blog');
    expect(blog).not.toBe(web);
    expect(all(synth(chart), 'Deployment').map((d) => d.metadata.namespace)).toEqual(['web', 'blog']);
  });

  test('one app-wide: of() from another chart finds the first', () => {
    const app = Testing.app();
    const first = LoadTester.of(new Chart(app, 'a'), 'shop');
    expect(LoadTester.of(new Chart(app, 'b'), 'shop')).toBe(first);
  });

  test('of() reuses a user-created loadtester and ignores its own options', () => {
    const chart = newChart();
    const mine = new LoadTester(chart, 'lt', { namespace: 'mine', logLevel: 'debug' });
    expect(LoadTester.of(chart, 'mine', { logLevel: 'error' })).toBe(mine);
    const deployments = all(synth(chart), 'Deployment');
    expect(deployments).toHaveLength(1);
    expect(deployments[0].spec.template.spec.containers[0].args).toContain('-log-level=debug');
  });

  test('a second loadtester for a namespace is rejected', () => {
    const chart = newChart();
    LoadTester.of(chart, 'shop');
    expect(() => new LoadTester(chart, 'lt', { namespace: 'shop' })).toThrow(
      "LoadTester 'test/lt': namespace 'shop' already has a loadtester ('canary-shared-shop/LoadTester-shop'); use LoadTester.of(scope, 'shop') to share it");
  });
});

test('exposes the cdk8s-plus constructs for customisation', () => {
  const lt = new LoadTester(newChart(), 'lt', { namespace: 'shop' });
  expect(lt.deployment).toBeInstanceOf(kplus.Deployment);
  expect(lt.service).toBeInstanceOf(kplus.Service);
  expect(lt.networkPolicy).toBeInstanceOf(kplus.NetworkPolicy);
});

describe('validation', () => {
  const create = (props: any) => () => new LoadTester(newChart(), 'lt', { namespace: 'shop', ...props });

  test('namespace', () => {
    expect(create({ namespace: 'Shop' })).toThrow(`LoadTester 'test/lt': 'namespace' ('Shop') ${DNS_LABEL_RULE}`);
    expect(() => LoadTester.of(newChart(), 'shop_1')).toThrow(`LoadTester 'canary-shared-shop_1/LoadTester-shop_1': 'namespace' ('shop_1') ${DNS_LABEL_RULE}`);
  });

  test('image', () => {
    expect(create({ image: 'ghcr.io/fluxcd/flagger-loadtester' })).toThrow(
      "LoadTester 'test/lt': 'image' ('ghcr.io/fluxcd/flagger-loadtester') must be pinned by a version tag or a sha256 digest, e.g. 'ghcr.io/org/app:1.2.3'; 'latest' and untagged images are not allowed");
    expect(create({ image: 'ghcr.io/fluxcd/flagger-loadtester:latest' })).toThrow(
      "LoadTester 'test/lt': 'image' ('ghcr.io/fluxcd/flagger-loadtester:latest') must be pinned by a version tag or a sha256 digest, e.g. 'ghcr.io/org/app:1.2.3'; 'latest' and untagged images are not allowed");
  });

  test('allowedNamespaces', () => {
    expect(create({ allowedNamespaces: [] })).toThrow("LoadTester 'test/lt': 'allowedNamespaces' ([]) must name at least one namespace");
    expect(create({ allowedNamespaces: ['flagger-system', 'CI'] })).toThrow(`LoadTester 'test/lt': 'allowedNamespaces' ('CI') ${DNS_LABEL_RULE}`);
    expect(create({ allowedNamespaces: ['ci', 'ci'] })).toThrow("LoadTester 'test/lt': 'allowedNamespaces' has two entries named 'ci'; names must be unique");
  });

  test('logLevel', () => {
    expect(create({ logLevel: 'warning' })).toThrow("LoadTester 'test/lt': 'logLevel' ('warning') must be one of debug, info, warn, error, fatal, panic");
  });

  test('timeout', () => {
    expect(create({ timeout: Duration.millis(1500) })).toThrow("LoadTester 'test/lt': 'timeout' (1 second 500 millis) must be a whole number of seconds, at least 1s");
    expect(create({ timeout: Duration.seconds(0) })).toThrow("LoadTester 'test/lt': 'timeout' (0 seconds) must be a whole number of seconds, at least 1s");
  });

  test('namespaceRegexp', () => {
    expect(create({ namespaceRegexp: '' })).toThrow("LoadTester 'test/lt': 'namespaceRegexp' ('') must be a non-empty regular expression");
    const re2 = "must be an RE2 regular expression (the loadtester matches with Go's regexp, RE2 syntax, which has no lookarounds, backreferences, possessive quantifiers or atomic groups)";
    expect(create({ namespaceRegexp: 'shop-(' })).toThrow(`LoadTester 'test/lt': 'namespaceRegexp' ('shop-(') ${re2}: missing closing ): 'shop-('`);
    // JavaScript accepts a lookahead and a backreference; Go's regexp.MustCompile (cmd/loadtester/main.go)
    // panics on them, and the loadtester would crash-loop.
    expect(create({ namespaceRegexp: '^(?!kube-).*$' })).toThrow(`LoadTester 'test/lt': 'namespaceRegexp' ('^(?!kube-).*$') ${re2}: invalid or unsupported Perl syntax: '(?!'`);
    expect(create({ namespaceRegexp: '^(?<=x)shop$' })).toThrow(`LoadTester 'test/lt': 'namespaceRegexp' ('^(?<=x)shop$') ${re2}: invalid named capture: '(?<=x)shop$'`);
    expect(create({ namespaceRegexp: '^(team)-\\1$' })).toThrow(`LoadTester 'test/lt': 'namespaceRegexp' ('^(team)-\\1$') ${re2}: invalid escape sequence: '\\1'`);
    // RE2 as it is, but an unterminated \Q quotes the group that anchors it.
    expect(create({ namespaceRegexp: '\\Qshop' })).toThrow(
      `LoadTester 'test/lt': 'namespaceRegexp' ('\\Qshop') ${re2}: anchored as '^(?:\\Qshop)$', missing closing ): '^(?:\\Qshop)$'`);
  });

  test('dns', () => {
    expect(create({ dns: { extraAddresses: ['10.96.0.10', 'node-local'] } })).toThrow(
      "LoadTester 'test/lt': 'dns.extraAddresses[1]' ('node-local') must be an IP address, e.g. the kube-dns Service's ClusterIP, '169.254.20.10' (NodeLocal DNSCache in IPVS mode) or '169.254.169.254' (GKE Cloud DNS)");
    expect(create({ dns: { extraAddresses: ['10.96.0.10/32'] } })).toThrow("'dns.extraAddresses[0]' ('10.96.0.10/32') must be an IP address");
    expect(create({ dns: { extraAddresses: ['169.254.20.10', '169.254.20.10'] } })).toThrow(
      "LoadTester 'test/lt': 'dns.extraAddresses' ('169.254.20.10', '169.254.20.10') names an address twice: give each once");
    expect(create({ dns: { podLabels: {} } })).toThrow(
      "LoadTester 'test/lt': 'dns.podLabels' ({}) must name at least one label of the cluster DNS pods, e.g. { 'k8s-app': 'kube-dns' }: without one, DNS would be allowed to every pod of 'kube-system'");
    expect(create({ dns: { namespace: 'Kube' } })).toThrow(`LoadTester 'test/lt': 'dns.namespace' ('Kube') ${DNS_LABEL_RULE}`);
    // The former name, as a JavaScript caller still passes it: refused with its replacement, never ignored.
    expect(create({ dns: { nodeLocalAddress: '169.254.20.10' } })).toThrow(
      "LoadTester 'test/lt': 'dns.nodeLocalAddress' ('169.254.20.10') was renamed: write dns.extraAddresses: ['169.254.20.10']");
  });
});

describe('namespaceRegexp is matched against the whole namespace', () => {
  const tester = (namespaceRegexp: string) => new LoadTester(newChart(), 'lt', { namespace: 'team-a', namespaceRegexp });
  const args = (namespaceRegexp: string) => only(synth(tester(namespaceRegexp).node.scope as Chart), 'Deployment', NAME).spec.template.spec.containers[0].args;

  test('an alternative anchored only at its ends (\'^team-a|team-b$\') serves exactly the two namespaces', () => {
    const lt = tester('^team-a|team-b$');
    expect(lt.namespaceRegexp).toBe('^(?:^team-a|team-b$)$');
    expect(args('^team-a|team-b$')).toContain('-namespace-regexp=^(?:^team-a|team-b$)$');
    // As Go's regexp.MatchString finds it (pkg/loadtester/authorizer.go): anywhere in the name.
    expect(['team-a', 'team-b', 'team-a-evil', 'evil-team-b', 'team-ab'].filter((ns) => lt.servesNamespace(ns))).toEqual(['team-a', 'team-b']);
  });

  test('an unanchored one is anchored', () => {
    const lt = tester('team-(a|b)');
    expect(lt.namespaceRegexp).toBe('^(?:team-(a|b))$');
    expect(['team-a', 'team-b', 'workteam-a', 'team-a-other'].filter((ns) => lt.servesNamespace(ns))).toEqual(['team-a', 'team-b']);
  });

  test('RE2\'s own syntax that JavaScript lacks (an inline flag) is matched as Go does', () => {
    const lt = tester('(?i)TEAM-A');
    expect(lt.namespaceRegexp).toBe('^(?:(?i)TEAM-A)$');
    expect(lt.servesNamespace('team-a')).toBe(true);
    expect(lt.servesNamespace('team-a2')).toBe(false);
  });
});

describe('allowIngressFromCidrs: the API server\'s addresses, for cdk8s-canary --via proxy', () => {
  test('each range is admitted to the container port, beside Flagger\'s pods', () => {
    const chart = newChart();
    new LoadTester(chart, 'lt', { namespace: 'shop', allowIngressFromCidrs: ['172.18.0.0/16', 'fd00::/64'] });
    const ingress = only(Testing.synth(chart), 'NetworkPolicy', NAME).spec.ingress;
    expect(ingress).toHaveLength(3);
    expect(ingress.slice(1)).toEqual([
      { from: [{ ipBlock: { cidr: '172.18.0.0/16' } }], ports: [{ port: 8080, protocol: 'TCP' }] },
      { from: [{ ipBlock: { cidr: 'fd00::/64' } }], ports: [{ port: 8080, protocol: 'TCP' }] },
    ]);
  });

  test('as the README declares it: the namespace\'s loadtester, before its services, passed to them', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'shop' });
    const loadTester = LoadTester.of(chart, 'shop', { allowIngressFromCidrs: ['172.18.0.0/16'] });
    const service = new CanaryService(chart, 'podinfo', {
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
      containerPort: 9898,
      engine: DeliveryEngine.flagger(),
      router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
      analysis: { webhooks: [CanaryWebhook.loadTest(), CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION })] },
      loadTester,
    });
    expect(service.loadTester).toBe(loadTester);
    const policies = all(synth(chart), 'NetworkPolicy').filter((p) => p.metadata.name === NAME);
    expect(policies.map((p) => p.spec.ingress)).toEqual([[
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flagger-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'flagger' } } }], ports: [{ port: 8080, protocol: 'TCP' }] },
      { from: [{ ipBlock: { cidr: '172.18.0.0/16' } }], ports: [{ port: 8080, protocol: 'TCP' }] },
    ]]);
  });

  test('a range that is no CIDR', () => {
    expect(() => new LoadTester(newChart(), 'lt', { namespace: 'shop', allowIngressFromCidrs: ['10.0.0.0/8', '10.0.0.1', '300.0.0.0/8', 'fd00::/129'] })).toThrow(
      "LoadTester 'test/lt': 'allowIngressFromCidrs' ('10.0.0.1', '300.0.0.0/8', 'fd00::/129') must be CIDRs such as '172.18.0.0/16' or 'fd00::/64'");
  });
});
