import { ApiObject, App, Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { CanaryService, CanaryWebhook, DeliveryEngine, GitOps, TrafficRouter } from '../../src';
import { RULES } from '../../src/synth/kubernetes-rules';
import { checkEmittedObjects, manifestViolations } from '../../src/synth/object-validity';

const violations = (manifest: any) => manifestViolations(manifest).map((v) => `${v.field} ${v.what} ${JSON.stringify(v.value)}: ${v.rule}`);

describe('the API server\'s rules, field by field', () => {
  test('object names: Services DNS-1035 labels, Namespaces DNS-1123 labels, RBAC path segments, the rest DNS-1123 subdomains', () => {
    expect(violations({ kind: 'Service', metadata: { name: '1-cart' } })).toEqual([`metadata.name value "1-cart": ${RULES.dns1035Label}`]);
    expect(violations({ kind: 'Service', metadata: { name: 'c'.repeat(64) } })).toEqual([`metadata.name value "${'c'.repeat(64)}": ${RULES.dns1035Label}`]);
    expect(violations({ kind: 'Deployment', metadata: { name: '1-cart.v2' } })).toEqual([]);
    expect(violations({ kind: 'Namespace', metadata: { name: 'shop.eu' } })).toEqual([`metadata.name value "shop.eu": ${RULES.dns1123Label}`]);
    expect(violations({ kind: 'Rollout', metadata: { name: 'Cart' } })).toEqual([`metadata.name value "Cart": ${RULES.dns1123Subdomain}`]);
    expect(violations({ kind: 'ClusterRole', metadata: { name: 'system:cart' } })).toEqual([]);
    expect(violations({ kind: 'Role', metadata: { name: 'a/b' } })).toEqual([`metadata.name value "a/b": ${RULES.pathSegment}`]);
    expect(violations({ kind: 'ConfigMap', metadata: { name: 'cart', namespace: 'Shop' } })).toEqual([`metadata.namespace value "Shop": ${RULES.dns1123Label}`]);
  });

  test('label keys and values, annotation keys: the name part at most 63 characters, the prefix a DNS subdomain', () => {
    const key63 = `notifications.argoproj.io/${'s'.repeat(63)}`;
    const key64 = `notifications.argoproj.io/${'s'.repeat(64)}`;
    expect(violations({ kind: 'ConfigMap', metadata: { name: 'a', annotations: { [key63]: 'x', [key64]: 'x', 'Example.COM/x': 'x', '/x': 'x', 'a/b/c': 'x', 'x_': 'x' } } })).toEqual([
      `metadata.annotations key "${key64}": ${RULES.qualifiedName}`,
      `metadata.annotations key "/x": ${RULES.qualifiedName}`,
      `metadata.annotations key "a/b/c": ${RULES.qualifiedName}`,
      `metadata.annotations key "x_": ${RULES.qualifiedName}`,
    ]);
    expect(violations({ kind: 'ConfigMap', metadata: { name: 'a', labels: { 'app.kubernetes.io/version': 'v1.0 beta', 'app.kubernetes.io/part-of': 'shop/team', 'Example.com/x': '', 'ok': 'v'.repeat(64) } } })).toEqual([
      `metadata.labels[app.kubernetes.io/version] value "v1.0 beta": ${RULES.labelValue}`,
      `metadata.labels[app.kubernetes.io/part-of] value "shop/team": ${RULES.labelValue}`,
      `metadata.labels key "Example.com/x": ${RULES.qualifiedName}`,
      `metadata.labels[ok] value "${'v'.repeat(64)}": ${RULES.labelValue}`,
    ]);
  });

  test('all annotations of an object together at most 256 KiB', () => {
    expect(violations({ kind: 'ConfigMap', metadata: { name: 'a', annotations: { a: 'x'.repeat(256 * 1024) } } }))
      .toEqual(['metadata.annotations value "262145 bytes": at most 262144 bytes in all']);
  });

  test('Service ports: names DNS-1123 labels, numbers 1-65535, a named target port an IANA service name; the selector labels', () => {
    expect(violations({
      kind: 'Service',
      metadata: { name: 'cart' },
      spec: { selector: { app: 'a b' }, ports: [{ name: 'HTTP', port: 0, targetPort: 'http-metrics-port' }, { name: 'grpc', port: 80, targetPort: 70000 }] },
    })).toEqual([
      `spec.selector[app] value "a b": ${RULES.labelValue}`,
      `spec.ports[0].name value "HTTP": ${RULES.dns1123Label}`,
      `spec.ports[0].port value 0: ${RULES.port}`,
      `spec.ports[0].targetPort value "http-metrics-port": ${RULES.portName}`,
      `spec.ports[1].targetPort value 70000: ${RULES.port}`,
    ]);
  });

  test('pod templates wherever they are: workloads, and the Jobs of an AnalysisTemplate; selectors; containers, ports, probes, volumes', () => {
    const podSpec = {
      containers: [{
        name: 'Cart',
        ports: [{ name: 'http--1', containerPort: 9898 }, { name: '8080', containerPort: 8080 }, { containerPort: 0 }],
        readinessProbe: { httpGet: { port: 70000 } },
        livenessProbe: { tcpSocket: { port: 'metrics-http-port' } },
        startupProbe: { grpc: { port: 0 } },
      }],
      volumes: [{ name: 'tmp_dir' }],
    };
    expect(violations({
      kind: 'Deployment',
      metadata: { name: 'cart' },
      spec: { selector: { matchLabels: { 'app.kubernetes.io/name': 'cart!' } }, template: { metadata: { labels: { 'x/y/z': 'a' }, annotations: { '-a': '' } }, spec: podSpec } },
    })).toEqual([
      `spec.selector.matchLabels[app.kubernetes.io/name] value "cart!": ${RULES.labelValue}`,
      `spec.template.metadata.labels key "x/y/z": ${RULES.qualifiedName}`,
      `spec.template.metadata.annotations key "-a": ${RULES.qualifiedName}`,
      `spec.template.spec.containers[0].name value "Cart": ${RULES.dns1123Label}`,
      `spec.template.spec.containers[0].ports[0].name value "http--1": ${RULES.portName}`,
      `spec.template.spec.containers[0].ports[1].name value "8080": ${RULES.portName}`,
      `spec.template.spec.containers[0].ports[2].containerPort value 0: ${RULES.port}`,
      `spec.template.spec.containers[0].readinessProbe.httpGet.port value 70000: ${RULES.port}`,
      `spec.template.spec.containers[0].livenessProbe.tcpSocket.port value "metrics-http-port": ${RULES.portName}`,
      `spec.template.spec.containers[0].startupProbe.grpc.port value 0: ${RULES.port}`,
      `spec.template.spec.volumes[0].name value "tmp_dir": ${RULES.dns1123Label}`,
    ]);
    expect(violations({
      kind: 'AnalysisTemplate',
      metadata: { name: 'cart' },
      spec: { metrics: [{ name: 'load', provider: { job: { metadata: { labels: { 'a b': 'x' } }, spec: { template: { spec: { containers: [{ name: 'load_test' }] } } } } } }] },
    })).toEqual([
      `spec.metrics[0].provider.job.metadata.labels key "a b": ${RULES.qualifiedName}`,
      `spec.metrics[0].provider.job.spec.template.spec.containers[0].name value "load_test": ${RULES.dns1123Label}`,
    ]);
  });

  test('a map that is not metadata is not judged as labels (a Flagger webhook\'s metadata)', () => {
    expect(violations({ kind: 'Canary', metadata: { name: 'cart' }, spec: { analysis: { webhooks: [{ name: 'load', metadata: { 'cmd': 'hey -z 1m http://x/', 'a b': '' } }] } } })).toEqual([]);
  });

  test('ConfigMap keys', () => {
    expect(violations({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'a' }, data: { 'service.webhook.cart-slack': '', 'a b': '', '..x': '' } })).toEqual([
      `data key "a b": ${RULES.configMapKey}`,
      `data key "..x": ${RULES.configMapKey}`,
    ]);
  });
});

describe('at synth, with the construct path and where the value came from', () => {
  function synthErrors(app: App): string[] {
    try {
      app.synth();
    } catch (error) {
      return (error as Error).message.split('\n');
    }
    throw new Error('synth did not fail');
  }

  test('a bad label on every object of a scope is one message, naming the property it came from', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    const scope = new Construct(chart, 'cart');
    checkEmittedObjects(scope, () => [{ property: "'version'", value: 'v1.0 beta' }, { property: "'name'", value: 'cart' }]);
    for (const kind of ['ConfigMap', 'Secret', 'Service']) {
      new ApiObject(scope, kind, { apiVersion: 'v1', kind, metadata: { name: 'cart', labels: { 'app.kubernetes.io/version': 'v1.0 beta' } } });
    }
    new ApiObject(scope, 'Canary', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'cart_sa' } });
    expect(synthErrors(app)).toEqual([
      'Validation failed with the following errors:',
      `  [shop/cart] ConfigMap 'shop/cart' (shop/cart/ConfigMap) and 2 more objects: 'metadata.labels[app.kubernetes.io/version]' ('v1.0 beta') must be ${RULES.labelValue}; it comes from 'version'`,
      `  [shop/cart] ServiceAccount 'shop/cart_sa' (shop/cart/Canary): 'metadata.name' ('cart_sa') must be ${RULES.dns1123Subdomain}; it is built from 'name' ('cart')`,
    ]);
  });

  test('what is added to a CanaryService\'s objects after it is declared is judged too', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    const service = new CanaryService(chart, 'cart', {
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
      engine: DeliveryEngine.argoRollouts(),
      gitOps: GitOps.none(),
      router: TrafficRouter.istio(),
      analysis: { webhooks: [CanaryWebhook.loadTest()] },
    });
    service.rollout!.apiObject.metadata.addAnnotation(`example.com/${'x'.repeat(64)}`, 'y');
    service.deployment.podMetadata.addLabel('team', 'shop floor');
    expect(synthErrors(app)).toEqual([
      'Validation failed with the following errors:',
      `  [shop/cart] Deployment 'shop/cart' (shop/cart/Deployment/Resource): 'spec.template.metadata.labels[team]' ('shop floor') must be ${RULES.labelValue}`,
      `  [shop/cart] Rollout 'shop/cart' (shop/cart/Rollout/Resource): 'metadata.annotations' key ('example.com/${'x'.repeat(64)}') must be ${RULES.qualifiedName}`,
    ]);
  });

  test('the objects a namespace\'s services share are judged in their own Chart', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    const service = new CanaryService(chart, 'cart', {
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
      engine: DeliveryEngine.flagger(),
      router: TrafficRouter.istio(),
      analysis: { webhooks: [CanaryWebhook.loadTest()] },
    });
    ApiObject.of(service.loadTester!.deployment).metadata.addLabel('tier', '-');
    const errors = synthErrors(app);
    expect(errors).toEqual([
      'Validation failed with the following errors:',
      `  [canary-shared-shop] Deployment 'shop/flagger-loadtester' (canary-shared-shop/LoadTester-shop/Deployment/Resource): 'metadata.labels[tier]' ('-') must be ${RULES.labelValue}`,
    ]);
  });
});
