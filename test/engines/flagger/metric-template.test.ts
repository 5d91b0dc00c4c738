import { ApiObject, Chart, Testing } from 'cdk8s';
import { FlaggerMetricTemplate } from '../../../src/engines/flagger/metric-template';
import { only, synth } from '../../synth';

const ADDRESS = 'http://canary-prometheus.test:9090';
const QUERY = 'sum(rate(http_requests_total{namespace="{{ namespace }}",pod=~"{{ target }}-[0-9a-z]+-[0-9a-z]+",status=~"5.."}[{{ interval }}]))';

function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

function newTemplate(chart: Chart, overrides: { name?: string; address?: string; query?: string } = {}): FlaggerMetricTemplate {
  return new FlaggerMetricTemplate(chart, 'template', {
    metadata: { name: overrides.name ?? 'podinfo-error-rate', namespace: 'test' },
    address: overrides.address ?? ADDRESS,
    query: overrides.query ?? QUERY,
  });
}

test('renders a Prometheus MetricTemplate with the address and the query unchanged', () => {
  const chart = newChart();
  newTemplate(chart);
  expect(only(synth(chart), 'MetricTemplate', 'podinfo-error-rate')).toEqual({
    apiVersion: 'flagger.app/v1beta1',
    kind: 'MetricTemplate',
    metadata: { name: 'podinfo-error-rate', namespace: 'test' },
    spec: {
      provider: { type: 'prometheus', address: ADDRESS },
      query: QUERY,
    },
  });
});

test('metadata labels and annotations are kept', () => {
  const chart = newChart();
  new FlaggerMetricTemplate(chart, 'template', {
    metadata: { name: 'podinfo-latency', namespace: 'shop', labels: { 'app.kubernetes.io/name': 'podinfo' }, annotations: { owner: 'team-shop' } },
    address: ADDRESS,
    query: 'histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{namespace="{{ namespace }}"}[{{ interval }}])) by (le))',
  });
  expect(only(synth(chart), 'MetricTemplate').metadata).toEqual({
    name: 'podinfo-latency',
    namespace: 'shop',
    labels: { 'app.kubernetes.io/name': 'podinfo' },
    annotations: { owner: 'team-shop' },
  });
});

test('an https address is accepted', () => {
  const chart = newChart();
  newTemplate(chart, { address: 'https://prometheus.monitoring.svc:9091/prom' });
  expect(only(synth(chart), 'MetricTemplate').spec.provider).toEqual({ type: 'prometheus', address: 'https://prometheus.monitoring.svc:9091/prom' });
});

test('name is the metadata name', () => {
  expect(newTemplate(newChart()).name).toBe('podinfo-error-rate');
});

test('defaultChild is the L1 MetricTemplate', () => {
  const template = newTemplate(newChart());
  const l1 = ApiObject.of(template);
  expect(l1).toBe(template.apiObject);
  expect(l1.apiVersion).toBe('flagger.app/v1beta1');
  expect(l1.kind).toBe('MetricTemplate');
  expect(l1.name).toBe('podinfo-error-rate');
});

describe('errors', () => {
  test.each([
    'canary-prometheus.test:9090',
    'ftp://canary-prometheus.test:9090',
    'http://',
    'http://flagger prometheus:9090',
  ])('address %p is not an http(s) URL', (address) => {
    expect(() => newTemplate(newChart(), { address })).toThrow(
      `FlaggerMetricTemplate 'podinfo-error-rate': 'address' ('${address}') must be an http:// or https:// URL`,
    );
  });

  test('the owner falls back to the construct id without metadata.name', () => {
    expect(() => new FlaggerMetricTemplate(newChart(), 'errors', { metadata: { namespace: 'test' }, address: 'prometheus:9090', query: QUERY })).toThrow(
      "FlaggerMetricTemplate 'errors': 'address' ('prometheus:9090') must be an http:// or https:// URL",
    );
  });

  test('unclosed parenthesis', () => {
    const query = 'sum(rate(http_requests_total{code=~"5.."}[{{ interval }}])';
    expect(() => newTemplate(newChart(), { query })).toThrow(
      `FlaggerMetricTemplate 'podinfo-error-rate': 'query' is not valid PromQL: unexpected end of query ('(' is not closed) at column 59 (after substituting template variables): ${query}`,
    );
  });

  test('dangling operator', () => {
    const query = 'sum(rate(x[1m])) /';
    expect(() => newTemplate(newChart(), { query })).toThrow(
      `FlaggerMetricTemplate 'podinfo-error-rate': 'query' is not valid PromQL: unexpected end of query at column 19 (after substituting template variables): ${query}`,
    );
  });

  test('unexpected token', () => {
    const query = 'sum by (le) rate(x[1m]))';
    expect(() => newTemplate(newChart(), { query })).toThrow(
      `FlaggerMetricTemplate 'podinfo-error-rate': 'query' is not valid PromQL: unexpected 'rate' at column 13 (after substituting template variables): ${query}`,
    );
  });

  test('a range vector is not one number', () => {
    const query = 'http_requests_total[5m]';
    expect(() => newTemplate(newChart(), { query })).toThrow(
      `FlaggerMetricTemplate 'podinfo-error-rate': 'query' must return a single number, but it is a range vector: ${query}`,
    );
  });
});
