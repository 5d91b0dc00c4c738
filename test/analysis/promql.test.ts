import { checkPromQl, substituteTemplateVariables } from '../../src/analysis/promql';

const FLAGGER_TRAEFIK_SUCCESS_RATE =
  'sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",code!~"5..",le="+Inf"}[{{ interval }}])) / '
  + 'sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",le="+Inf"}[{{ interval }}])) * 100';
const FLAGGER_TRAEFIK_DURATION =
  'histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd"}[{{ interval }}])) by (le)) * 1000';
const FLAGGER_ISTIO_SUCCESS_RATE =
  'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}",response_code!~"5.*"}[{{ interval }}])) / '
  + 'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) * 100';
const FLAGGER_ISTIO_DURATION =
  'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) by (le))';
const TRAEFIK_TUTORIAL_404_PERCENTAGE =
  'sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",code!="404"}[{{ interval }}])) / '
  + 'sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd"}[{{ interval }}])) * 100';
const ARGO_SUCCESS_RATE =
  'sum(irate(istio_requests_total{reporter="source",destination_service=~"{{args.service-name}}",response_code!~"5.*"}[5m])) / '
  + 'sum(irate(istio_requests_total{reporter="source",destination_service=~"{{args.service-name}}"}[5m]))';

const SUFFIX = '(after substituting template variables)';

describe('substituteTemplateVariables', () => {
  test('Flagger variables, with or without spaces inside the braces', () => {
    expect(substituteTemplateVariables('x{ns="{{ namespace }}",t="{{target}}",s="{{ service }}",n="{{name}}"}[{{ interval }}]'))
      .toBe('x{ns="test",t="podinfo",s="podinfo",n="podinfo"}[1m]');
    expect(substituteTemplateVariables('x{a="{{ variables.team }}"}')).toBe('x{a="value"}');
  });

  test('Argo arguments and unknown placeholders become a duration inside range brackets or after offset', () => {
    expect(substituteTemplateVariables('rate(x{s="{{args.service-name}}"}[{{args.window}}])')).toBe('rate(x{s="value"}[1m])');
    expect(substituteTemplateVariables('max_over_time(x[{{args.range}}:{{ variables.step }}]) offset {{ .Lag }}'))
      .toBe('max_over_time(x[1m:1m]) offset 1m');
    expect(substituteTemplateVariables('x{a="{{ .Unknown | quote }}"}')).toBe('x{a="value"}');
  });

  test('brackets inside string literals are not range brackets', () => {
    expect(substituteTemplateVariables('x{a=~"[{{args.a}}]"}[5m]')).toBe('x{a=~"[value]"}[5m]');
    expect(substituteTemplateVariables('x{a=~"\\"[{{args.a}}]"}')).toBe('x{a=~"\\"[value]"}');
  });
});

describe('checkPromQl accepts', () => {
  test.each([
    ['Flagger Traefik request-success-rate', FLAGGER_TRAEFIK_SUCCESS_RATE],
    ['Flagger Traefik request-duration', FLAGGER_TRAEFIK_DURATION],
    ['Flagger Istio request-success-rate', FLAGGER_ISTIO_SUCCESS_RATE],
    ['Flagger Istio request-duration', FLAGGER_ISTIO_DURATION],
    ['Flagger Traefik tutorial 404 percentage', TRAEFIK_TUTORIAL_404_PERCENTAGE],
    ['Argo success rate', ARGO_SUCCESS_RATE],
    ['a range given by an Argo argument', 'sum(rate(http_requests_total{job="{{args.job}}"}[{{args.window}}]))'],
    ['a subquery inside a function', 'max_over_time(rate(http_requests_total[5m])[30m:1m])'],
    ['a scalar', 'scalar(sum(up)) * 2'],
    ['a multi-line query with a comment', '# errors per second\nsum(\n  rate(http_requests_total{code=~"5.."}[{{ interval }}])\n)'],
  ])('%s', (_name, query) => {
    expect(() => checkPromQl('Canary my-app', 'query', query)).not.toThrow();
  });
});

describe('checkPromQl rejects', () => {
  test('an unbalanced parenthesis', () => {
    expect(() => checkPromQl('Canary my-app', 'metrics[0].query', 'sum(rate(http_requests_total[1m])')).toThrow(
      `Canary my-app: 'metrics[0].query' is not valid PromQL: unexpected end of query ('(' is not closed) at column 34 ${SUFFIX}: sum(rate(http_requests_total[1m])`,
    );
  });

  test('a binary operator without a right-hand side', () => {
    expect(() => checkPromQl('Canary my-app', 'query', 'sum(rate(x[1m])) +')).toThrow(
      `Canary my-app: 'query' is not valid PromQL: unexpected end of query at column 19 ${SUFFIX}: sum(rate(x[1m])) +`,
    );
  });

  test('garbage', () => {
    expect(() => checkPromQl('Canary my-app', 'query', 'not promql ((')).toThrow(
      `Canary my-app: 'query' is not valid PromQL: unexpected 'promql' at column 5 ${SUFFIX}: not promql ((`,
    );
  });

  test('an unterminated string', () => {
    expect(() => checkPromQl('Canary my-app', 'query', 'up{job="api}')).toThrow(
      `Canary my-app: 'query' is not valid PromQL: unexpected end of query ('"' is not closed) at column 13 ${SUFFIX}: up{job="api}`,
    );
  });

  test('reports the column in the query as written, pointing at the placeholder', () => {
    const query = 'sum(rate(x{s="{{args.service-name}}"}[{{args.window}}])) {{args.extra}}';
    expect(() => checkPromQl('AnalysisTemplate success', 'query', query)).toThrow(
      `AnalysisTemplate success: 'query' is not valid PromQL: unexpected '{{args.extra}}' at column 58 ${SUFFIX}: ${query}`,
    );
  });

  test('reports line and column in a multi-line query', () => {
    const query = 'sum(\n  rate(x[1m]) +* 2\n)';
    expect(() => checkPromQl('Canary my-app', 'query', query)).toThrow(
      `Canary my-app: 'query' is not valid PromQL: unexpected '*' at line 2, column 16 ${SUFFIX}: ${query}`,
    );
  });

  test.each([
    'http_requests_total[5m]',
    '(http_requests_total{code="500"}[{{ interval }}])',
    'http_requests_total[5m] offset 1h',
    'rate(http_requests_total[5m])[30m:1m]',
  ])('the range vector %s', (query) => {
    expect(() => checkPromQl('Canary my-app', 'query', query)).toThrow(
      `Canary my-app: 'query' must return a single number, but it is a range vector: ${query}`,
    );
  });

  test('a string literal', () => {
    expect(() => checkPromQl('Canary my-app', 'query', '"up"')).toThrow(
      'Canary my-app: \'query\' must return a single number, but it is a string: "up"',
    );
  });
});
