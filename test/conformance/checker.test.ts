import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { ConformanceChecker, ManifestObject } from '../../scripts/conformance/checker';
import { main } from '../../scripts/conformance/main';

const checker = new ConformanceChecker();
const examples = path.join(__dirname, '..', '..', 'examples');

/** The objects of a committed example file (they conform; each test breaks one thing). */
function example(name: string, file = 'podinfo.k8s.yaml'): any[] {
  return yaml.loadAll(fs.readFileSync(path.join(examples, name, 'manifests', file), 'utf-8')).filter(Boolean) as any[];
}
function one(name: string, kind: string): any {
  return structuredClone(example(name).find((o) => o.kind === kind));
}
const asApp = (objects: any[], file = 'app.yaml'): ManifestObject[] => objects.map((object, index) => ({ file, index, object }));

describe('custom resources: against every served version of the CRDs in crds/, strictly', () => {
  test('the committed example objects pass', () => {
    for (const name of ['flagger-traefik', 'argo-istio', 'flagger-gateway-api']) {
      const objects = [...example(name), ...example(name, 'canary-shared-test.k8s.yaml')];
      expect(checker.checkApp(asApp(objects)).filter((r) => r.problems.length > 0)).toEqual([]);
    }
  });

  test('an unknown field is an error, at any depth', () => {
    const canary = one('flagger-traefik', 'Canary');
    canary.spec.analysis.stepWeigth = 5;
    canary.spec.service.portname = 'http';
    expect(checker.problems(canary)).toEqual([
      "/spec/service must NOT have additional properties 'portname'",
      "/spec/analysis must NOT have additional properties 'stepWeigth'",
    ]);
  });

  test('a value outside an enum is an error', () => {
    const route = one('flagger-traefik', 'IngressRoute');
    route.spec.routes[0].kind = 'Rules';
    expect(checker.problems(route)).toEqual(['/spec/routes/0/kind must be equal to one of the allowed values']);
  });

  test('a oneOf violation is an error: Flagger\'s analysis needs exactly one of iterations, stepWeight, stepWeights', () => {
    const both = one('flagger-traefik', 'Canary');
    both.spec.analysis.iterations = 10;
    expect(checker.problems(both)).toEqual(['/spec/analysis must match exactly one schema in oneOf']);
    const neither = one('flagger-traefik', 'Canary');
    delete neither.spec.analysis.stepWeight;
    expect(checker.problems(neither)).toContain('/spec/analysis must match exactly one schema in oneOf');
  });

  test('types, patterns and required fields', () => {
    const canary = one('flagger-traefik', 'Canary');
    canary.spec.analysis.interval = 'often';
    canary.spec.analysis.threshold = '10';
    delete canary.spec.targetRef.name;
    expect(checker.problems(canary)).toEqual([
      "/spec/targetRef must have required property 'name'",
      '/spec/analysis/interval must match pattern "^[0-9]+(m|s)"',
      '/spec/analysis/threshold must be number',
    ]);
  });

  test('every served version is checked, not only the one the library writes', () => {
    const virtualService = one('argo-istio', 'VirtualService');
    for (const version of ['v1', 'v1beta1', 'v1alpha3']) {
      expect(checker.problems({ ...virtualService, apiVersion: `networking.istio.io/${version}` })).toEqual([]);
      expect(checker.problems({ ...virtualService, apiVersion: `networking.istio.io/${version}`, spec: { ...virtualService.spec, hostz: [] } }))
        .toEqual(["/spec must NOT have additional properties 'hostz'"]);
    }
    expect(checker.customResources).toEqual(expect.arrayContaining([
      'networking.istio.io/v1|VirtualService', 'networking.istio.io/v1beta1|VirtualService', 'networking.istio.io/v1alpha3|VirtualService',
      'flagger.app/v1beta1|Canary', 'argoproj.io/v1alpha1|Rollout', 'traefik.io/v1alpha1|TraefikService',
      'gateway.networking.k8s.io/v1|HTTPRoute', 'monitoring.coreos.com/v1|PodMonitor', 'helm.toolkit.fluxcd.io/v2|HelmRelease',
    ]));
  });

  test('int-or-string fields take both', () => {
    const rollout = one('argo-istio', 'Rollout');
    rollout.spec.strategy.canary.maxSurge = '25%';
    rollout.spec.strategy.canary.maxUnavailable = 0;
    expect(checker.problems(rollout)).toEqual([]);
    rollout.spec.strategy.canary.maxSurge = true;
    expect(checker.problems(rollout)).toEqual([
      '/spec/strategy/canary/maxSurge must be integer',
      '/spec/strategy/canary/maxSurge must be string',
      '/spec/strategy/canary/maxSurge must match a schema in anyOf',
    ]);
  });

  test('status is the controller\'s: a manifest that writes it is an error', () => {
    expect(checker.problems({ ...one('argo-istio', 'Rollout'), status: { phase: 'Healthy' } })).toEqual(["/ must NOT have additional properties 'status'"]);
  });

  test('a cluster-scoped custom resource has no namespace', () => {
    const template = one('argo-istio', 'AnalysisTemplate');
    expect(checker.problems({ ...template, kind: 'ClusterAnalysisTemplate' })).toEqual(['ClusterAnalysisTemplate is cluster-scoped but has metadata.namespace']);
    expect(checker.problems({ ...template, kind: 'ClusterAnalysisTemplate', metadata: { name: template.metadata.name } })).toEqual([]);
  });
});

describe('built-in kinds: against the Kubernetes schemas', () => {
  test('types and required fields', () => {
    const deployment = one('flagger-traefik', 'Deployment');
    expect(checker.problems(deployment)).toEqual([]);
    deployment.spec.replicas = 'two';
    expect(checker.problems(deployment)).toEqual(['data/spec/replicas must be integer']);
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ name: 'http' }] } };
    expect(checker.problems(service)).toEqual(['data/spec/ports/0 must have required property port']);
  });

  test('an apiVersion and kind with no schema is an error: nothing passes unchecked', () => {
    expect(checker.problems({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }))
      .toEqual(['unknown apiVersion/kind example.com/v1 Widget: no schema to check it against']);
    expect(checker.problems({ apiVersion: 'flagger.app/v1', kind: 'Canary', metadata: { name: 'c' } }))
      .toEqual(['unknown apiVersion/kind flagger.app/v1 Canary: no schema to check it against']);
    expect(checker.problems({ apiVersion: 'v2', kind: 'Service', metadata: { name: 's' } }))
      .toEqual(['unknown apiVersion/kind v2 Service: no schema to check it against']);
    expect(checker.problems({ kind: 'Service', metadata: { name: 's' } })).toEqual(['apiVersion or kind is missing']);
    expect(checker.problems('text')).toEqual(['document is not an object']);
  });
});

describe('metadata: the API server\'s syntax', () => {
  const configMap = (metadata: any) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata });

  test('label and annotation keys: a prefix and a name of at most 63 characters', () => {
    const name63 = 'a'.repeat(63);
    const name64 = 'a'.repeat(64);
    expect(checker.problems(configMap({ name: 'c', labels: { [`example.com/${name63}`]: 'x' }, annotations: { [name63]: 'x' } }))).toEqual([]);
    expect(checker.problems(configMap({ name: 'c', labels: { [`example.com/${name64}`]: 'x' } })))
      .toEqual([`label key 'example.com/${name64}' is not a valid qualified name`]);
    expect(checker.problems(configMap({ name: 'c', annotations: { [`example.com/${name64}`]: 'x' } })))
      .toEqual([`annotation key 'example.com/${name64}' is not a valid qualified name`]);
    expect(checker.problems(configMap({ name: 'c', annotations: { 'Example_.com/x': 'y', 'a/b/c': 'y', '-x': 'y' } }))).toEqual([
      "annotation key 'Example_.com/x' has an invalid prefix",
      "annotation key 'a/b/c' has more than one '/'",
      "annotation key '-x' is not a valid qualified name",
    ]);
  });

  test('label values: at most 63 characters, alphanumeric at both ends, strings', () => {
    expect(checker.problems(configMap({ name: 'c', labels: { a: '', b: 'x.y_z-1' } }))).toEqual([]);
    expect(checker.problems(configMap({ name: 'c', labels: { a: 'x'.repeat(64), b: '-x', c: 1 } }))).toEqual([
      `label 'a' value '${'x'.repeat(64)}' is not a valid label value`,
      "label 'b' value '-x' is not a valid label value",
      "label 'c' value is not a string",
      'data/metadata/labels/c must be string',
    ]);
  });

  test('names and namespaces', () => {
    expect(checker.problems(configMap({ name: 'Web' }))).toEqual(["metadata.name 'Web' is not a DNS-1123 subdomain"]);
    expect(checker.problems(configMap({}))).toEqual(['metadata.name is missing']);
    expect(checker.problems(configMap({ name: 'c', namespace: 'a.b' }))).toEqual(["metadata.namespace 'a.b' is not a DNS-1123 label"]);
    expect(checker.problems({ apiVersion: 'v1', kind: 'Service', metadata: { name: '1web' }, spec: {} }))
      .toEqual(["Service name '1web' is not a DNS-1035 label (max 63, starts with a letter)"]);
  });
});

describe('duplicates: within one app (files applied together)', () => {
  const service = (namespace?: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace }, spec: {} });

  test('the second object with the same group, kind, namespace and name is an error', () => {
    const results = checker.checkApp([
      { file: 'a.yaml', index: 0, object: service('shop') },
      { file: 'a.yaml', index: 1, object: service('other') },
      { file: 'b.yaml', index: 0, object: service('shop') },
    ]);
    expect(results.map((r) => [r.id, r.problems])).toEqual([
      ['Service shop/web', []],
      ['Service other/web', []],
      ['Service shop/web', ['duplicate of the object at a.yaml#0']],
    ]);
  });

  test('a cluster-scoped kind is one object whatever its namespace; separate apps never clash', () => {
    const role = (namespace: string) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r', namespace } });
    expect(checker.checkApp(asApp([role('a'), role('b')]))[1].problems).toEqual(['duplicate of the object at app.yaml#0']);
    expect(checker.checkApp(asApp([service('shop')]))[0].problems).toEqual([]);
    expect(checker.checkApp(asApp([service('shop')]))[0].problems).toEqual([]);
  });
});

describe('the command', () => {
  let dir: string;
  let output: string[];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-'));
    output = [];
    jest.spyOn(console, 'log').mockImplementation((line: string) => { output.push(line); });
    jest.spyOn(console, 'error').mockImplementation((line: string) => { output.push(line); });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const write = (file: string, objects: any[]) => fs.writeFileSync(path.join(dir, file), objects.map((o) => yaml.dump(o)).join('---\n'));

  test('a folder is one app; --each-file makes every file one; the last line counts', () => {
    const map = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' } };
    write('a.k8s.yaml', [map]);
    write('b.k8s.yaml', [map]);
    expect(main(['--quiet', dir])).toBe(1);
    expect(output.join('\n')).toContain('duplicate of the object at');
    expect(output[output.length - 1]).toBe('1 passed, 1 failed');
    output = [];
    expect(main(['--each-file', dir])).toBe(0);
    expect(output).toEqual([
      `ok   ${path.relative(process.cwd(), path.join(dir, 'a.k8s.yaml'))}#0 ConfigMap shop/c`,
      `ok   ${path.relative(process.cwd(), path.join(dir, 'b.k8s.yaml'))}#0 ConfigMap shop/c`,
      '2 passed, 0 failed',
    ]);
  });

  test('fails on an unreadable file, on no object at all, and on a path that does not exist', () => {
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'a: [');
    expect(main([dir])).toBe(1);
    expect(output[output.length - 1]).toBe('0 passed, 1 failed');
    fs.rmSync(path.join(dir, 'bad.yaml'));
    expect(main([dir])).toBe(1);
    expect(main([path.join(dir, 'missing')])).toBe(2);
    expect(output[output.length - 1]).toBe(`no such file or folder: ${path.join(dir, 'missing')}`);
  });
});
