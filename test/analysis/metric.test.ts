import { Duration } from 'cdk8s';
import { CanaryMetric, MetricKind } from '../../src/analysis/metric';

const QUERY = 'sum(rate(http_requests_total{namespace="{{ namespace }}",code=~"5.."}[{{ interval }}]))';

describe('MetricKind', () => {
  test('has exactly the five kinds, valued as their names', () => {
    expect({ ...MetricKind }).toEqual({
      REQUEST_SUCCESS_RATE: 'REQUEST_SUCCESS_RATE',
      REQUEST_DURATION: 'REQUEST_DURATION',
      PROMETHEUS_QUERY: 'PROMETHEUS_QUERY',
      EXTERNAL_QUERY: 'EXTERNAL_QUERY',
      COMPARISON: 'COMPARISON',
    });
  });
});

describe('CanaryMetric.RESERVED_NAMES', () => {
  test('are the two names Flagger reserves for its built-in queries', () => {
    expect(CanaryMetric.RESERVED_NAMES).toEqual(['request-success-rate', 'request-duration']);
  });
});

describe('CanaryMetric.requestSuccessRate()', () => {
  test('without options is named request-success-rate, of kind REQUEST_SUCCESS_RATE, with min 99 and no max', () => {
    const metric = CanaryMetric.requestSuccessRate();
    expect(metric.name).toBe('request-success-rate');
    expect(metric.kind).toBe(MetricKind.REQUEST_SUCCESS_RATE);
    expect(metric.min).toBe(99);
    expect(metric.max).toBeUndefined();
  });

  test('without options leaves the interval and the query to the engine', () => {
    const metric = CanaryMetric.requestSuccessRate();
    expect(metric.interval).toBeUndefined();
    expect(metric.query).toBeUndefined();
  });

  test('keeps the given min', () => {
    expect(CanaryMetric.requestSuccessRate({ min: 95.5 }).min).toBe(95.5);
  });

  test('keeps a min of 0 instead of replacing it with the default', () => {
    expect(CanaryMetric.requestSuccessRate({ min: 0 }).min).toBe(0);
  });

  test('keeps the given interval', () => {
    expect(CanaryMetric.requestSuccessRate({ interval: Duration.seconds(30) }).interval?.toMilliseconds()).toBe(30_000);
  });
});

describe('CanaryMetric.requestDuration()', () => {
  test('is named request-duration, of kind REQUEST_DURATION, with max in milliseconds and no min', () => {
    const metric = CanaryMetric.requestDuration({ max: Duration.millis(500) });
    expect(metric.name).toBe('request-duration');
    expect(metric.kind).toBe(MetricKind.REQUEST_DURATION);
    expect(metric.max).toBe(500);
    expect(metric.min).toBeUndefined();
    expect(metric.query).toBeUndefined();
  });

  test('converts a max given in seconds to milliseconds', () => {
    expect(CanaryMetric.requestDuration({ max: Duration.seconds(2) }).max).toBe(2000);
  });

  test('converts a fractional max in seconds to milliseconds', () => {
    expect(CanaryMetric.requestDuration({ max: Duration.seconds(1.5) }).max).toBe(1500);
  });

  test('leaves the interval to the engine by default', () => {
    expect(CanaryMetric.requestDuration({ max: Duration.millis(500) }).interval).toBeUndefined();
  });

  test('keeps the given interval', () => {
    const metric = CanaryMetric.requestDuration({ max: Duration.millis(500), interval: Duration.minutes(2) });
    expect(metric.interval?.toMilliseconds()).toBe(120_000);
  });
});

describe('CanaryMetric.prometheus()', () => {
  test('keeps name, query, min and max, of kind PROMETHEUS_QUERY', () => {
    const metric = CanaryMetric.prometheus({ name: 'error-rate', query: QUERY, min: 0, max: 1 });
    expect(metric.name).toBe('error-rate');
    expect(metric.kind).toBe(MetricKind.PROMETHEUS_QUERY);
    expect(metric.query).toBe(QUERY);
    expect(metric.min).toBe(0);
    expect(metric.max).toBe(1);
  });

  test('leaves min undefined when only max is given', () => {
    const metric = CanaryMetric.prometheus({ name: 'error-rate', query: QUERY, max: 1 });
    expect(metric.min).toBeUndefined();
    expect(metric.max).toBe(1);
  });

  test('leaves max undefined when only min is given', () => {
    const metric = CanaryMetric.prometheus({ name: 'throughput', query: QUERY, min: 10 });
    expect(metric.min).toBe(10);
    expect(metric.max).toBeUndefined();
  });

  test('leaves the interval to the engine by default', () => {
    expect(CanaryMetric.prometheus({ name: 'error-rate', query: QUERY, max: 1 }).interval).toBeUndefined();
  });

  test('keeps the given interval', () => {
    const metric = CanaryMetric.prometheus({ name: 'error-rate', query: QUERY, max: 1, interval: Duration.seconds(90) });
    expect(metric.interval?.toMilliseconds()).toBe(90_000);
  });

  test('does not validate at construction (resolveAnalysis does)', () => {
    expect(() => CanaryMetric.prometheus({ name: 'Not A Label', query: 'not promql ((' })).not.toThrow();
  });
});
