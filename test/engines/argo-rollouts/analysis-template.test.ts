import { ApiObject, Chart, Testing } from 'cdk8s';
import { ArgoAnalysisTemplate, ArgoAnalysisTemplateProps } from '../../../src';
import { all, only, synth } from '../../synth';

const ARGS = ['namespace', 'service-name', 'prometheus-address'];

function prometheusMetric(name: string, overrides: { [key: string]: any } = {}): { [key: string]: any } {
  return {
    name,
    interval: '1m',
    failureLimit: 0,
    successCondition: 'len(result) > 0 && result[0] >= 0.99',
    provider: {
      prometheus: {
        address: '{{args.prometheus-address}}',
        query: 'sum(rate(http_requests_total{namespace="{{args.namespace}}",service="{{args.service-name}}",code!~"5.."}[1m])) / sum(rate(http_requests_total{namespace="{{args.namespace}}",service="{{args.service-name}}"}[1m]))',
      },
    },
    ...overrides,
  };
}

function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

function newTemplate(chart: Chart, overrides: Partial<ArgoAnalysisTemplateProps> = {}): ArgoAnalysisTemplate {
  return new ArgoAnalysisTemplate(chart, 'AnalysisTemplate', {
    metadata: { name: 'podinfo', namespace: 'test' },
    argumentNames: ARGS,
    metrics: [prometheusMetric('success-rate')],
    ...overrides,
  });
}

describe('an AnalysisTemplate', () => {
  const chart = newChart();
  const template = newTemplate(chart);
  const manifests = synth(chart);
  const object = only(manifests, 'AnalysisTemplate', 'podinfo');

  test('defaultChild is the L1 object', () => {
    expect(template.node.defaultChild).toBe(template.apiObject);
    expect(ApiObject.of(template)).toBe(template.apiObject);
    expect(ApiObject.of(template).kind).toBe('AnalysisTemplate');
  });

  test('snapshot', () => {
    expect(manifests).toMatchSnapshot();
  });

  test('namespaced, with the declared arguments and the metrics as given', () => {
    expect(manifests).toHaveLength(1);
    expect(object.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(object.metadata).toEqual({ name: 'podinfo', namespace: 'test' });
    expect(object.spec).toEqual({
      args: ARGS.map((name) => ({ name })),
      metrics: [prometheusMetric('success-rate')],
    });
  });

  test('integer fields stay numbers (the generated L1 would drop them)', () => {
    expect(object.spec.metrics[0].failureLimit).toBe(0);
    const counted = newChart();
    newTemplate(counted, { metrics: [prometheusMetric('success-rate', { count: 3, failureLimit: 2 })] });
    const metric = only(synth(counted), 'AnalysisTemplate', 'podinfo').spec.metrics[0];
    expect([metric.count, metric.failureLimit]).toEqual([3, 2]);
  });

  test('its reference, as a Rollout lists it', () => {
    expect(template.name).toBe('podinfo');
    expect(template.clusterScoped).toBe(false);
    expect(template.reference).toEqual({ templateName: 'podinfo' });
  });

  test('every argument a metric uses is declared', () => {
    const used = [...JSON.stringify(object.spec.metrics).matchAll(/\{\{args\.([a-z0-9-]+)\}\}/g)].map((m) => m[1]);
    expect(object.spec.args.map((a: any) => a.name)).toEqual(expect.arrayContaining([...new Set(used)]));
  });
});

describe('a ClusterAnalysisTemplate', () => {
  // A Chart without a namespace (see the BUG test below for one with a namespace).
  const chart = new Chart(Testing.app(), 'test');
  const template = newTemplate(chart, { metadata: { name: 'test-podinfo', namespace: 'test' }, clusterScoped: true });
  const manifests = synth(chart);

  test('has no namespace, even when one is given', () => {
    expect(all(manifests, 'AnalysisTemplate')).toEqual([]);
    const object = only(manifests, 'ClusterAnalysisTemplate', 'test-podinfo');
    expect(object.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(object.metadata).toEqual({ name: 'test-podinfo' });
    expect(object.spec.args).toEqual(ARGS.map((name) => ({ name })));
  });

  test('its reference says clusterScope', () => {
    expect(template.clusterScoped).toBe(true);
    expect(template.reference).toEqual({ templateName: 'test-podinfo', clusterScope: true });
    expect(ApiObject.of(template).kind).toBe('ClusterAnalysisTemplate');
  });

  // BUG: cdk8s fills an undefined metadata.namespace with the Chart's; a cluster-scoped object
  // must have none. Fix in analysis-template.ts (see the report); then drop `.failing`.
  test('has no namespace in a Chart with a namespace', () => {
    const withNamespace = newChart();
    newTemplate(withNamespace, { metadata: { name: 'test-podinfo' }, clusterScoped: true });
    expect(only(Testing.synth(withNamespace), 'ClusterAnalysisTemplate', 'test-podinfo').metadata).not.toHaveProperty('namespace');
  });
});

describe('addMetric', () => {
  test('a metric added after construction reaches the output', () => {
    const chart = newChart();
    const template = newTemplate(chart);
    template.addMetric(prometheusMetric('latency', { successCondition: 'len(result) > 0 && result[0] <= 500' }));
    const metrics = only(synth(chart), 'AnalysisTemplate', 'podinfo').spec.metrics;
    expect(metrics.map((m: any) => m.name)).toEqual(['success-rate', 'latency']);
    expect(metrics[1].successCondition).toBe('len(result) > 0 && result[0] <= 500');
  });

  test('a duplicate name is rejected and nothing is added', () => {
    const chart = newChart();
    const template = newTemplate(chart);
    expect(() => template.addMetric(prometheusMetric('success-rate')))
      .toThrow("ArgoAnalysisTemplate 'podinfo': 'metrics' has two entries named 'success-rate'; names must be unique");
    expect(only(Testing.synth(chart), 'AnalysisTemplate', 'podinfo').spec.metrics).toHaveLength(1);
  });

  test('the props array is copied: changing it later changes nothing', () => {
    const chart = newChart();
    const metrics = [prometheusMetric('success-rate')];
    newTemplate(chart, { metrics });
    metrics.push(prometheusMetric('latency'));
    expect(only(Testing.synth(chart), 'AnalysisTemplate', 'podinfo').spec.metrics.map((m: any) => m.name)).toEqual(['success-rate']);
  });
});

describe('errors', () => {
  test('no metrics', () => {
    expect(() => newTemplate(newChart(), { metrics: [] }))
      .toThrow("ArgoAnalysisTemplate 'podinfo': 'metrics' must have at least one metric");
  });

  test('two metrics with one name', () => {
    expect(() => newTemplate(newChart(), { metrics: [prometheusMetric('success-rate'), prometheusMetric('success-rate')] }))
      .toThrow("ArgoAnalysisTemplate 'podinfo': 'metrics' has two entries named 'success-rate'; names must be unique");
  });

  test('two arguments with one name', () => {
    expect(() => newTemplate(newChart(), { argumentNames: ['namespace', 'namespace'] }))
      .toThrow("ArgoAnalysisTemplate 'podinfo': 'argumentNames' has two entries named 'namespace'; names must be unique");
  });

  test('a name that is not a DNS subdomain', () => {
    expect(() => newTemplate(newChart(), { metadata: { name: 'Podinfo_Checks' } }))
      .toThrow("ArgoAnalysisTemplate 'Podinfo_Checks': 'metadata.name' ('Podinfo_Checks') must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'");
  });

  test('without a name the construct id names the owner', () => {
    expect(() => newTemplate(newChart(), { metadata: {}, metrics: [] }))
      .toThrow("ArgoAnalysisTemplate 'AnalysisTemplate': 'metrics' must have at least one metric");
  });
});
