import { ApiObject, Chart, Duration, JsonPatch, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { all, declareService, only, synth } from './synth';
import {
  CanaryAlert, CanaryMetric, CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, GateStage,
  LoadTester, Prometheus, TrafficRouter,
} from '../src';

const IMAGE = 'ghcr.io/stefanprodan/podinfo:6.7.0';

function chart(namespace = 'test'): Chart {
  return new Chart(Testing.app(), 'test', { namespace });
}

function chartWithoutNamespace(): Chart {
  return new Chart(Testing.app(), 'test');
}

function props(overrides: Partial<CanaryServiceProps> = {}): CanaryServiceProps {
  return {
    image: IMAGE,
    containerPort: 9898,
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
    analysis: {
      webhooks: [CanaryWebhook.loadTest()],
    },
    ...overrides,
  };
}

describe('the stack for Flagger + Traefik', () => {
  const c = chart();
  const service = new CanaryService(c, 'podinfo', props({
    autoscaling: { minReplicas: 2, maxReplicas: 4 },
    analysis: {
      metrics: [
        CanaryMetric.requestSuccessRate({ min: 99 }),
        CanaryMetric.prometheus({ name: 'not-found-percentage', query: 'sum(rate(http_requests_total{code="404",pod=~"{{ target }}-[0-9a-z]+-[0-9a-z]+"}[{{ interval }}]))', max: 5 }),
      ],
      webhooks: [
        CanaryWebhook.loadTest(),
        CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION }),
      ],
    },
  }));
  const manifests = synth(c);

  test('emits exactly the objects we own', () => {
    expect(manifests.map((m) => `${m.kind}/${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
      'Deployment/test/podinfo',
      'HorizontalPodAutoscaler/test/podinfo',
      'IngressRoute/test/podinfo',
      'MetricTemplate/test/podinfo-not-found-percentage',
      'Canary/test/podinfo',
      'ServiceAccount/test/canary-prometheus',
      'ConfigMap/test/canary-prometheus',
      'Deployment/test/canary-prometheus',
      'Service/test/canary-prometheus',
      'NetworkPolicy/test/canary-prometheus',
      'Role/test/canary-prometheus',
      'RoleBinding/test/canary-prometheus',
      'Deployment/test/flagger-loadtester',
      'Service/test/flagger-loadtester',
      'NetworkPolicy/test/flagger-loadtester',
    ]);
  });

  test('never emits the Services or the TraefikService that Flagger owns', () => {
    const names = manifests.filter((m) => m.kind === 'Service' || m.kind === 'TraefikService').map((m) => m.metadata.name);
    expect(names).not.toEqual(expect.arrayContaining(['podinfo']));
    expect(names).not.toContain('podinfo-primary');
    expect(names).not.toContain('podinfo-canary');
    expect(all(manifests, 'TraefikService')).toEqual([]);
  });

  test('the Deployment has no replicas and one selector label, also on its pods', () => {
    const deployment = only(manifests, 'Deployment', 'podinfo');
    expect(deployment.spec.replicas).toBeUndefined();
    expect(deployment.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'podinfo' } });
    expect(deployment.spec.template.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'podinfo',
      'app.kubernetes.io/managed-by': 'cdk8s-canary',
    });
  });

  test('the container passes Pod Security "restricted" and names its port http', () => {
    const pod = only(manifests, 'Deployment', 'podinfo').spec.template.spec;
    const container = pod.containers[0];
    expect(container.ports).toEqual([{ containerPort: 9898, name: 'http' }]);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 65532,
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.image).toBe(IMAGE);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/', port: 9898, scheme: 'HTTP' });
    expect(container.resources.requests).toEqual({ cpu: '100m', memory: '128Mi' });
  });

  test('the Canary references the Deployment, the autoscaler, the Prometheus and the loadtester that exist', () => {
    const canary = only(manifests, 'Canary', 'podinfo');
    const hpa = only(manifests, 'HorizontalPodAutoscaler', 'podinfo');
    expect(canary.spec.provider).toBe('traefik');
    expect(canary.spec.targetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' });
    expect(canary.spec.autoscalerRef).toEqual({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: hpa.metadata.name });
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' });
    expect(canary.spec.service).toEqual({ name: 'podinfo', port: 80, targetPort: 9898, portName: 'http' });
    expect(canary.spec.metricsServer).toBe('http://canary-prometheus.test:9090');
    expect(only(manifests, 'Service', 'canary-prometheus').spec.ports[0].port).toBe(9090);
    expect(canary.spec.analysis.webhooks.map((w: any) => w.url)).toEqual([
      'http://flagger-loadtester.test/',
      'http://flagger-loadtester.test/gate/check',
      'http://flagger-loadtester.test/',
    ]);
    expect(only(manifests, 'Service', 'flagger-loadtester').spec.ports[0].port).toBe(80);
  });

  test('a custom metric references its MetricTemplate, which queries the same Prometheus', () => {
    const canary = only(manifests, 'Canary', 'podinfo');
    const metric = canary.spec.analysis.metrics.find((m: any) => m.name === 'not-found-percentage');
    const template = only(manifests, 'MetricTemplate', metric.templateRef.name);
    expect(metric.templateRef.namespace).toBe(template.metadata.namespace);
    expect(template.spec.provider).toEqual({ type: 'prometheus', address: canary.spec.metricsServer });
    expect(metric.thresholdRange).toEqual({ max: 5 });
  });

  test('the IngressRoute routes to the TraefikService Flagger generates for the Canary', () => {
    const canary = only(manifests, 'Canary', 'podinfo');
    const route = only(manifests, 'IngressRoute', 'podinfo');
    expect(route.spec.routes[0].services).toEqual([{ kind: 'TraefikService', name: canary.spec.service.name, port: canary.spec.service.port }]);
    expect(route.spec.routes[0].match).toBe('Host(`app.example.com`)');
  });

  test('the Prometheus scrapes the app namespace and Traefik\'s, and may read pods in both', () => {
    expect(service.prometheus.address).toBe('http://canary-prometheus.test:9090');
    const config = only(manifests, 'ConfigMap', 'canary-prometheus').data['prometheus.yml'];
    expect(config).toContain('- test\n');
    expect(config).toContain('- traefik\n');
    expect(all(manifests, 'Role').map((r) => r.metadata.namespace)).toEqual(['test']);
    // The Role in Traefik's namespace is the platform team's: not synthesized unless SharedAddons names
    // another App for it (test/addons/several-apps.test.ts); the plan says what to grant.
    expect(service.node.root.node.tryFindChild('canary-platform-rbac')).toBeUndefined();
    expect(service.plan!.notes).toContain("the Prometheus 'test/canary-prometheus' lists pods in 'traefik' (the router's series), which the platform team must allow: "
      + "a Role and RoleBinding 'traefik/canary-prometheus-test' (list and watch on pods, bound to ServiceAccount 'test/canary-prometheus'). "
      + "They are not synthesized (a team's namespace-scoped GitOps reconciler may not write there): SharedAddons.configure(app, { platformRbacScope: platformApp }) "
      + "writes them to canary-platform-rbac.k8s.yaml in another App's outdir, the file to hand to the platform team. "
      + 'Without them Prometheus keeps no router series and every check of the router has no data');
  });

  test('the loadtester admits only Flagger\'s pods and serves only this namespace\'s canaries; Prometheus answers only Flagger', () => {
    const flagger = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flagger-system' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'flagger' } } }];
    expect(only(manifests, 'NetworkPolicy', 'flagger-loadtester').spec.ingress[0].from).toEqual(flagger);
    expect(only(manifests, 'Deployment', 'flagger-loadtester').spec.template.spec.containers[0].args).toContain('-namespace-regexp=^test$');
    expect(only(manifests, 'NetworkPolicy', 'canary-prometheus').spec.ingress).toEqual([{ from: flagger, ports: [{ port: 9090, protocol: 'TCP' }] }]);
    expect(service.plan!.notes).toContain("NetworkPolicies fence the loadtester 'test/flagger-loadtester' (it runs any command it is sent: only the controller's pods may call it), "
      + "the Prometheus 'test/canary-prometheus': they hold only with a CNI that enforces NetworkPolicies (Calico, Cilium, Antrea, kindnetd of kind v0.24.0 and later, ...); without one (flannel, kind before v0.24.0) "
      + 'any pod can post commands to the loadtester and query Prometheus, and the commands reach any address');
  });

  test('exposes what it created', () => {
    expect(service.name).toBe('podinfo');
    expect(service.namespace).toBe('test');
    expect(service.deployment.name).toBe('podinfo');
    expect(service.canary?.name).toBe('podinfo');
    expect(service.ingressRoute?.name).toBe('podinfo');
    expect(service.loadTester?.url).toBe('http://flagger-loadtester.test/');
    expect(service.metricTemplates.map((t) => t.name)).toEqual(['podinfo-not-found-percentage']);
    expect(Object.keys(service.objects).sort()).toEqual(['canary', 'ingressRoute']);
  });
});

describe('sizing', () => {
  test('a fixed size is an autoscaler with min = max, never spec.replicas', () => {
    const c = chart();
    new CanaryService(c, 'podinfo', props({ replicas: 3 }));
    const manifests = synth(c);
    expect(only(manifests, 'Deployment', 'podinfo').spec.replicas).toBeUndefined();
    const hpa = only(manifests, 'HorizontalPodAutoscaler', 'podinfo');
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([3, 3]);
  });

  test('the default size is two replicas', () => {
    const c = chart();
    new CanaryService(c, 'podinfo', props());
    const hpa = only(synth(c), 'HorizontalPodAutoscaler', 'podinfo');
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([2, 2]);
  });

  test('autoscaling on CPU and memory', () => {
    const c = chart();
    new CanaryService(c, 'podinfo', props({ autoscaling: { maxReplicas: 10, cpuUtilization: 70, memoryUtilization: 90 } }));
    const hpa = only(synth(c), 'HorizontalPodAutoscaler', 'podinfo');
    expect(hpa.spec.minReplicas).toBe(2);
    expect(hpa.spec.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization])).toEqual([['cpu', 70], ['memory', 90]]);
  });
});

describe('shared add-ons', () => {
  test('services of one namespace share one loadtester and one Prometheus, across charts', () => {
    const app = Testing.app();
    const a = new Chart(app, 'a', { namespace: 'shop' });
    const b = new Chart(app, 'b', { namespace: 'shop' });
    const first = new CanaryService(a, 'cart', props());
    const second = new CanaryService(b, 'checkout', props());
    expect(second.loadTester).toBe(first.loadTester);
    expect(second.prometheus).toBe(first.prometheus);
    expect(all(Testing.synth(a), 'Deployment').map((d) => d.metadata.name)).toEqual(['cart']);
    expect(all(Testing.synth(b), 'Deployment').map((d) => d.metadata.name)).toEqual(['checkout']);
    const shared = app.node.findChild('canary-shared-shop') as Chart;
    expect(all(Testing.synth(shared), 'Deployment').map((d) => d.metadata.name)).toEqual(['canary-prometheus', 'flagger-loadtester']);
  });

  test('services of two namespaces get one of each per namespace', () => {
    const app = Testing.app();
    const a = new Chart(app, 'a', { namespace: 'shop' });
    const b = new Chart(app, 'b', { namespace: 'blog' });
    const first = new CanaryService(a, 'cart', props());
    const second = new CanaryService(b, 'posts', props());
    expect(second.loadTester).not.toBe(first.loadTester);
    expect(second.prometheus.address).toBe('http://canary-prometheus.blog:9090');
  });

  test('an external Prometheus deploys nothing and every address points there', () => {
    const c = chart();
    new CanaryService(c, 'podinfo', props({
      prometheus: Prometheus.external('http://prometheus.monitoring:9090'),
      analysis: {
        metrics: [CanaryMetric.prometheus({ name: 'errors', query: 'sum(rate(errors_total{pod=~"{{ target }}-[0-9a-z]+-[0-9a-z]+"}[{{ interval }}]))', max: 1 })],
        webhooks: [CanaryWebhook.loadTest()],
      },
    }));
    const manifests = synth(c);
    expect(manifests.filter((m) => m.metadata.name === 'canary-prometheus')).toEqual([]);
    expect(only(manifests, 'Canary').spec.metricsServer).toBe('http://prometheus.monitoring:9090');
    expect(only(manifests, 'MetricTemplate').spec.provider.address).toBe('http://prometheus.monitoring:9090');
  });

  test('no loadtester when no webhook needs one', () => {
    const c = chart();
    const service = new CanaryService(c, 'podinfo', props({ analysis: { receivesLiveTraffic: true } }));
    expect(service.loadTester).toBeUndefined();
    expect(synth(c).filter((m) => m.metadata.name === 'flagger-loadtester')).toEqual([]);
  });

  test('a loadtester passed in is used, with its own settings', () => {
    const c = chart();
    const loadTester = new LoadTester(c, 'LoadTester', { namespace: 'test', allowedNamespaces: ['flagger'] });
    const service = new CanaryService(c, 'podinfo', props({ engine: DeliveryEngine.flagger({ namespace: 'flagger' }), loadTester }));
    expect(service.loadTester).toBe(loadTester);
    expect(all(synth(c), 'NetworkPolicy').map((p) => p.metadata.name)).toEqual(['flagger-loadtester', 'canary-prometheus']);
  });

  test('a loadtester that would refuse this namespace\'s calls (-namespace-regexp) is rejected', () => {
    const c = chart();
    const loadTester = new LoadTester(c, 'LoadTester', { namespace: 'tools' });
    new CanaryService(c, 'podinfo', props({ loadTester }));
    expect(() => synth(c)).toThrow("CanaryService 'podinfo': 'loadTester' ('test/LoadTester', in 'tools') serves only the canaries of namespaces matching '^tools$' "
      + "(-namespace-regexp) and would refuse this service's calls (403): use the loadtester of 'test' (the default), or give that loadtester a 'namespaceRegexp' that matches 'test'");
  });

  test('Flagger installed from its kustomize base: its pod labels reach the loadtester and Prometheus', () => {
    const c = chart();
    new CanaryService(c, 'podinfo', props({ engine: DeliveryEngine.flagger({ podLabels: { app: 'flagger' } }) }));
    const manifests = synth(c);
    expect(only(manifests, 'NetworkPolicy', 'flagger-loadtester').spec.ingress[0].from[0].podSelector).toEqual({ matchLabels: { app: 'flagger' } });
    expect(only(manifests, 'NetworkPolicy', 'canary-prometheus').spec.ingress[0].from[0].podSelector).toEqual({ matchLabels: { app: 'flagger' } });
  });

  test('the loadtester admits the namespace Flagger runs in', () => {
    const c = chart();
    new CanaryService(c, 'podinfo', props({ engine: DeliveryEngine.flagger({ namespace: 'flagger' }) }));
    const policy = only(synth(c), 'NetworkPolicy', 'flagger-loadtester');
    expect(policy.spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'flagger' });
  });
});

describe('a Deployment built by the team', () => {
  /** What Pod Security "restricted" asks of a container, as cdk8s-plus takes it. */
  const RESTRICTED: kplus.ContainerSecurityContextProps = {
    user: 1000, capabilities: { drop: [kplus.Capability.ALL] }, seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };

  function teamDeployment(c: Chart, overrides: Partial<kplus.DeploymentProps> = {}) {
    const deployment = new kplus.Deployment(c, 'Team', {
      metadata: { name: 'podinfo' },
      select: false,
      podMetadata: { labels: { app: 'podinfo' } },
      containers: [{ image: IMAGE, ports: [{ number: 9898, name: 'http' }], securityContext: RESTRICTED }],
      ...overrides,
    });
    return deployment;
  }

  test('gets the checks a generated one gets: a privileged root container on :latest is rejected with every mistake', () => {
    const c = chart();
    const deployment = teamDeployment(c, {
      containers: [{
        name: 'web',
        image: 'ghcr.io/acme/web:latest',
        ports: [{ number: 9898, name: 'http' }],
        securityContext: { ensureNonRoot: false, user: 0, privileged: true, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false },
      }],
    });
    deployment.select(kplus.LabelSelector.of({ labels: { app: 'podinfo' } }));
    let text = '';
    try {
      declareService(c, 'podinfo', { ...props(), image: undefined, containerPort: undefined, deployment });
    } catch (error) {
      text = (error as Error).message;
    }
    const at = "CanaryService 'podinfo': 'deployment' (podinfo) containers[0] ('web')";
    const messages = text.split('\n').map((line) => line.replace(/^\s*\[test\/podinfo\] /, '')).filter((line) => line.startsWith('CanaryService'));
    expect(messages).toEqual([
      "CanaryService 'podinfo': 'deployment.containers[0].image' ('ghcr.io/acme/web:latest') must be pinned by a version tag or a sha256 digest, e.g. 'ghcr.io/org/app:1.2.3'; 'latest' and untagged images are not allowed",
      `${at} must run as non-root: set 'securityContext.runAsNonRoot: true' (cdk8s-plus: ensureNonRoot) on the container or the pod`,
      `${at} runs as user 0 (root): set a non-zero 'runAsUser', e.g. 65532`,
      `${at} is privileged: set 'securityContext.privileged: false'`,
      `${at} must not allow privilege escalation: set 'securityContext.allowPrivilegeEscalation: false'`,
      `${at} must mount its root filesystem read-only: set 'securityContext.readOnlyRootFilesystem: true' and mount an emptyDir where it writes`,
      `${at} has no seccomp profile: set 'seccompProfile: { type: RuntimeDefault }' on the container or the pod (cdk8s-plus: seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT })`,
      `${at} must drop every capability: set 'securityContext.capabilities.drop: [ALL]'`,
    ]);
  });

  test('an image on a branch tag is rejected; init containers are checked too; capabilities beyond NET_BIND_SERVICE are rejected', () => {
    const c = chart();
    const deployment = teamDeployment(c, {
      initContainers: [{ name: 'migrate', image: 'ghcr.io/acme/migrate:main', securityContext: RESTRICTED }],
      containers: [{
        name: 'web',
        image: IMAGE,
        ports: [{ number: 9898, name: 'http' }],
        securityContext: {
          ...RESTRICTED, capabilities: { drop: [kplus.Capability.ALL], add: [kplus.Capability.NET_BIND_SERVICE, kplus.Capability.SYS_ADMIN] },
        },
      }],
    });
    deployment.select(kplus.LabelSelector.of({ labels: { app: 'podinfo' } }));
    let text = '';
    try {
      declareService(c, 'podinfo', { ...props(), image: undefined, containerPort: undefined, deployment });
    } catch (error) {
      text = (error as Error).message;
    }
    expect(text).toContain(
      "CanaryService 'podinfo': 'deployment.initContainers[0].image' ('ghcr.io/acme/migrate:main') is pinned by 'main', a tag that moves: the same manifest would run another image after every push. "
      + "Pin it by a version tag and digest, e.g. 'ghcr.io/acme/migrate:1.2.3@sha256:<digest>'");
    expect(text).toContain(
      "CanaryService 'podinfo': 'deployment' (podinfo) containers[0] ('web') adds the capabilities 'SYS_ADMIN': only NET_BIND_SERVICE may be added back under Pod Security \"restricted\"");
  });

  test('a seccomp profile and non-root on the pod count for its containers', () => {
    const c = chart();
    const deployment = teamDeployment(c, {
      securityContext: { ensureNonRoot: true, user: 1000 },
      containers: [{ image: IMAGE, ports: [{ number: 9898, name: 'http' }], securityContext: { capabilities: { drop: [kplus.Capability.ALL] } } }],
    });
    ApiObject.of(deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }));
    deployment.select(kplus.LabelSelector.of({ labels: { app: 'podinfo' } }));
    expect(() => declareService(c, 'podinfo', { ...props(), image: undefined, containerPort: undefined, deployment })).not.toThrow();
  });

  test('is rolled out when it selects by one label Flagger accepts', () => {
    const c = chart();
    const deployment = teamDeployment(c);
    deployment.select(kplus.LabelSelector.of({ labels: { app: 'podinfo' } }));
    const service = new CanaryService(c, 'podinfo', { ...props(), image: undefined, containerPort: undefined, deployment });
    expect(service.deployment).toBe(deployment);
    const manifests = synth(c);
    expect(only(manifests, 'Canary').spec.service.targetPort).toBe(9898);
    expect(only(manifests, 'Deployment', 'podinfo').spec.replicas).toBeUndefined();
  });

  test('gets the labels the router needs on its pods (Istio\'s sidecar injection), and the loadtester may call its pods', () => {
    const c = chart();
    const deployment = teamDeployment(c);
    deployment.select(kplus.LabelSelector.of({ labels: { app: 'podinfo' } }));
    new CanaryService(c, 'podinfo', { ...props(), router: TrafficRouter.istio(), image: undefined, containerPort: undefined, deployment });
    const manifests = synth(c);
    expect(only(manifests, 'Deployment', 'podinfo').spec.template.metadata.labels).toEqual(expect.objectContaining({ 'app': 'podinfo', 'sidecar.istio.io/inject': 'true' }));
    const egress = only(manifests, 'NetworkPolicy', 'flagger-loadtester').spec.egress;
    expect(egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'test' } }, podSelector: { matchLabels: { app: 'podinfo' } } }],
      ports: [{ port: 9898, protocol: 'TCP' }],
    });
    // The load test calls the canary Service Flagger generates, on the service port.
    const load = only(manifests, 'Canary').spec.analysis.webhooks.find((w: any) => w.name === 'load-test');
    expect(load.metadata.cmd).toBe('hey -z 54s -q 5 -c 2 http://podinfo-canary.test:80/');
  });

  test('is rejected when it selects by the cdk8s-plus address label', () => {
    const c = chart();
    const deployment = new kplus.Deployment(c, 'Team', { metadata: { name: 'podinfo' }, containers: [{ image: IMAGE, securityContext: RESTRICTED }] });
    expect(() => declareService(c, 'podinfo', { ...props(), image: undefined, containerPort: undefined, deployment }))
      .toThrow("CanaryService 'podinfo': 'deployment' (podinfo) selects pods by 'cdk8s.io/metadata.addr', which Flagger rejects and which changes with the construct path: create it with 'select: false' and select the label 'app.kubernetes.io/name' instead");
  });

  test('is rejected when it selects by a label Flagger ignores', () => {
    const c = chart();
    const deployment = teamDeployment(c, { podMetadata: { labels: { tier: 'web' } } });
    deployment.select(kplus.LabelSelector.of({ labels: { tier: 'web' } }));
    expect(() => declareService(c, 'podinfo', { ...props(), image: undefined, containerPort: undefined, deployment }))
      .toThrow("CanaryService 'podinfo': 'deployment' (podinfo) must select pods by one of 'app', 'name', 'app.kubernetes.io/name' (found: 'tier')");
  });

  test('is rejected when it selects by two labels', () => {
    const c = chart();
    const deployment = teamDeployment(c, { podMetadata: { labels: { app: 'podinfo', tier: 'web' } } });
    deployment.select(kplus.LabelSelector.of({ labels: { app: 'podinfo', tier: 'web' } }));
    expect(() => declareService(c, 'podinfo', { ...props(), image: undefined, containerPort: undefined, deployment }))
      .toThrow("CanaryService 'podinfo': 'deployment' (podinfo) must select pods by exactly one label, since the controllers copy only one to the primary (found: 'app', 'tier')");
  });

  test('is rejected when its name is not the service name', () => {
    const c = chart();
    const deployment = teamDeployment(c, { metadata: { name: 'web' } });
    deployment.select(kplus.LabelSelector.of({ labels: { app: 'podinfo' } }));
    expect(() => declareService(c, 'podinfo', { ...props(), image: undefined, containerPort: undefined, deployment }))
      .toThrow("CanaryService 'podinfo': 'deployment' is named 'web' but the service is 'podinfo': give the Deployment an explicit 'metadata.name' equal to the service name (Flagger derives every name from it)");
  });

  test('is rejected together with container options', () => {
    const c = chart();
    const deployment = teamDeployment(c);
    expect(() => declareService(c, 'podinfo', { ...props(), deployment }))
      .toThrow("CanaryService 'podinfo': either 'deployment' or the container options ('image', 'containerPort'), not both");
  });
});

describe('customisation', () => {
  test('escape hatches reach every generated object', () => {
    const c = chart();
    const service = new CanaryService(c, 'podinfo', props());
    ApiObject.of(service.canary!).addJsonPatch(JsonPatch.add('/spec/analysis/canaryReadyThreshold', 90));
    ApiObject.of(service.ingressRoute!).addJsonPatch(JsonPatch.add('/metadata/annotations', { team: 'web' }));
    const manifests = synth(c);
    expect(only(manifests, 'Canary').spec.analysis.canaryReadyThreshold).toBe(90);
    expect(only(manifests, 'IngressRoute').metadata.annotations).toEqual({ team: 'web' });
  });

  test('metrics, webhooks and alerts added after construction reach the Canary', () => {
    const c = chart();
    const service = new CanaryService(c, 'podinfo', props());
    service.canary!.addMetric(CanaryMetric.prometheus({ name: 'errors', query: 'sum(rate(errors_total{pod=~"{{ target }}-[0-9a-z]+-[0-9a-z]+"}[{{ interval }}]))', max: 1 }));
    service.canary!.addWebhook(CanaryWebhook.rollbackGate());
    service.canary!.addAlert(CanaryAlert.slack({ secretName: 'slack-url', channel: 'deploys' }));
    const manifests = synth(c);
    const analysis = only(manifests, 'Canary').spec.analysis;
    expect(analysis.metrics.at(-1)).toEqual({ name: 'errors', interval: '1m', thresholdRange: { max: 1 }, templateRef: { name: 'podinfo-errors', namespace: 'test' } });
    expect(only(manifests, 'MetricTemplate', 'podinfo-errors').spec.query).toBe('sum(rate(errors_total{pod=~"{{ target }}-[0-9a-z]+-[0-9a-z]+"}[{{ interval }}]))');
    expect(analysis.webhooks.find((w: any) => w.type === 'rollback')).toEqual({ name: 'rollback-gate', type: 'rollback', url: 'http://flagger-loadtester.test/rollback/check' });
    expect(analysis.alerts).toEqual([{ name: 'slack', severity: 'info', providerRef: { name: 'podinfo-slack', namespace: 'test' } }]);
    expect(only(manifests, 'AlertProvider', 'podinfo-slack').spec).toEqual({ type: 'slack', channel: 'deploys', secretRef: { name: 'slack-url' } });
  });

  test('the namespace can be set on the service instead of the chart', () => {
    const c = chartWithoutNamespace();
    new CanaryService(c, 'podinfo', props({ namespace: 'apps' }));
    const manifests = synth(c);
    expect(new Set(manifests.filter((m) => m.kind !== 'Role' && m.kind !== 'RoleBinding').map((m) => m.metadata.namespace))).toEqual(new Set(['apps']));
    expect(only(manifests, 'Canary').spec.analysis.webhooks[0].url).toBe('http://flagger-loadtester.apps/');
  });

  test('version and part-of become labels, never selector labels', () => {
    const c = chart();
    new CanaryService(c, 'podinfo', props({ version: '6.7.0', partOf: 'shop' }));
    const deployment = only(synth(c), 'Deployment', 'podinfo');
    expect(deployment.spec.template.metadata.labels['app.kubernetes.io/version']).toBe('6.7.0');
    expect(deployment.metadata.labels['app.kubernetes.io/part-of']).toBe('shop');
    expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'podinfo' });
  });

  test('synthesizes the same output twice', () => {
    const build = () => {
      const c = chart();
      new CanaryService(c, 'podinfo', props());
      return JSON.stringify(Testing.synth(c));
    };
    expect(build()).toEqual(build());
  });
});

describe('metrics without load: the message gives the command that works for the router and engine', () => {
  test.each([
    ['Flagger with Traefik', DeliveryEngine.flagger(), TrafficRouter.traefik({ hosts: ['app.example.com'] }), 'hey -z 54s -q 5 -c 2 -host app.example.com http://traefik.traefik:80/'],
    ['Flagger with Istio', DeliveryEngine.flagger(), TrafficRouter.istio(), 'hey -z 54s -q 5 -c 2 http://podinfo-canary.test:80/'],
    ['Argo Rollouts with Traefik', DeliveryEngine.argoRollouts(), TrafficRouter.traefik({ hosts: ['app.example.com'] }), 'hey -z 1m -q 5 -c 2 -host app.example.com http://traefik.traefik:80/'],
  ])('%s', (_, engine, router, command) => {
    expect(() => declareService(chart(), 'podinfo', { ...props(), engine, router, analysis: {} })).toThrow(
      `CanaryService 'podinfo': 'analysis.metrics' need requests to measure, but no webhook generates load: add CanaryWebhook.loadTest() to 'analysis.webhooks' (for this router it runs: ${command}), or set 'analysis.receivesLiveTraffic' to true if real traffic reaches the canary`,
    );
  });
});

describe('bad input', () => {
  test.each([
    [{ name: 'a'.repeat(56) }, `${'a'.repeat(56)}: 'name' ('${'a'.repeat(56)}') must be a DNS label of at most 55 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit (Flagger appends '-primary' and '-canary', and Service names have at most 63)`],
    [{ name: 'Podinfo' }, "Podinfo: 'name' ('Podinfo') must be a DNS label of at most 55 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit (Flagger appends '-primary' and '-canary', and Service names have at most 63)"],
    [{ port: 70000 }, "CanaryService 'podinfo': 'port' (70000) must be an integer between 1 and 65535"],
    [{ containerPort: 0 }, "podinfo: 'containerPort' (0) must be an integer between 1 and 65535"],
    [{ image: 'ghcr.io/stefanprodan/podinfo' }, "podinfo: 'image' ('ghcr.io/stefanprodan/podinfo') must be pinned by a version tag or a sha256 digest, e.g. 'ghcr.io/org/app:1.2.3'; 'latest' and untagged images are not allowed"],
    [{ image: 'podinfo:latest' }, "podinfo: 'image' ('podinfo:latest') must be pinned by a version tag or a sha256 digest, e.g. 'ghcr.io/org/app:1.2.3'; 'latest' and untagged images are not allowed"],
    [{ image: undefined }, "CanaryService 'podinfo': either 'image' or 'deployment' is required"],
    [{ autoscaling: { minReplicas: 5, maxReplicas: 4 } }, "CanaryService 'podinfo': 'autoscaling.minReplicas' (5) must be less than or equal to 'autoscaling.maxReplicas' (4)"],
    [{ autoscaling: { maxReplicas: 4 }, replicas: 2 }, "CanaryService 'podinfo': either 'replicas' or 'autoscaling', not both"],
    [{ replicas: 0 }, "CanaryService 'podinfo': 'replicas' (0) must be an integer between 1 and 1000"],
    [{ autoscaling: { maxReplicas: 4, cpuUtilization: 0 } }, "CanaryService 'podinfo': 'autoscaling.cpuUtilization' (0) must be an integer between 1 and 100"],
  ])('%j is rejected', (overrides: Partial<CanaryServiceProps>, message) => {
    expect(() => declareService(chart(), overrides.name ?? 'podinfo', props(overrides))).toThrow(message);
  });

  test('a service without a namespace is rejected', () => {
    expect(() => declareService(chartWithoutNamespace(), 'podinfo', props()))
      .toThrow("CanaryService 'podinfo': no namespace: set 'namespace' on the CanaryService or on its Chart; the loadtester and Prometheus addresses are built from it");
  });

  test('an analysis error names the service', () => {
    expect(() => declareService(chart(), 'podinfo', props({ analysis: { interval: Duration.seconds(5), receivesLiveTraffic: true } })))
      .toThrow("CanaryService 'podinfo': 'analysis.interval' (5 seconds) must be a whole number of seconds, at least 10s");
  });
});
