import * as path from 'path';

/**
 * What Flagger v1.44.0 and Argo Rollouts v1.9.1 send to a metrics backend other than Prometheus,
 * and how they read the answer: each function follows the controller's source (named in its
 * comment) step by step, so that a test can assert the exact request a synthesized MetricTemplate
 * or AnalysisTemplate produces, and which answers pass its condition.
 */

/** An HTTP request as a controller sends it. */
export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: { [name: string]: string };
  readonly body?: string;
}

// ------------------------------------------------------------------------------------------------
// Go's net/url, as the controllers use it.
// ------------------------------------------------------------------------------------------------

/** url.QueryEscape: everything but letters, digits and `-_.~` is %XX, a space is `+` (net/url shouldEscape, encodeQueryComponent). */
export function goQueryEscape(value: string): string {
  return [...Buffer.from(value, 'utf-8')].map((byte) => {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
    if (c === ' ') return '+';
    return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** url.QueryUnescape: `+` is a space, %XX a byte; a bad escape is an error. */
function goQueryUnescape(value: string): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(value)) throw new Error(`invalid URL escape in ${JSON.stringify(value)}`);
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * url.ParseQuery (what URL.Query() returns, errors dropped): pairs split on `&`; a pair with `;` is
 * dropped ("invalid semicolon separator in query"); keys and values unescaped.
 */
export function goParseQuery(raw: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const pair of raw.split('&')) {
    if (pair.includes(';') || pair === '') continue;
    const at = pair.indexOf('=');
    const [key, value] = at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    try {
      const k = goQueryUnescape(key);
      values.set(k, [...(values.get(k) ?? []), goQueryUnescape(value)]);
    } catch {
      // URL.Query() ignores the pair.
    }
  }
  return values;
}

/** url.Values.Encode: keys sorted, each `QueryEscape(key)=QueryEscape(value)`. */
export function goEncodeQuery(values: Map<string, string[]>): string {
  return [...values.keys()].sort().flatMap((key) => values.get(key)!.map((v) => `${goQueryEscape(key)}=${goQueryEscape(v)}`)).join('&');
}

/** time.ParseDuration for the forms the manifests hold (`90s`, `1m`, `1m30s`), in seconds. */
export function goDurationSeconds(duration: string): number {
  const units: { [unit: string]: number } = { h: 3600, m: 60, s: 1 };
  const parts = [...duration.matchAll(/(\d+)(h|m|s)/g)];
  if (parts.map((p) => p[0]).join('') !== duration) throw new Error(`time: invalid duration ${JSON.stringify(duration)}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit], 0);
}

// ------------------------------------------------------------------------------------------------
// The templating each controller applies before it runs a query.
// ------------------------------------------------------------------------------------------------

/** The Canary fields Flagger's template functions return (pkg/controller/scheduler_metrics.go, toMetricModel). */
export interface FlaggerModel {
  readonly name: string;
  readonly namespace: string;
  readonly target: string;
  readonly service: string;
  /** The Canary metric's `interval`, as written. */
  readonly interval: string;
}

/**
 * observers.RenderQuery (pkg/metrics/observers/render.go): text/template with the model's
 * functions (pkg/apis/flagger/v1beta1/metric.go, TemplateFunctions); an unknown function is a
 * parse error.
 */
export function flaggerRender(query: string, model: FlaggerModel): string {
  return query.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, name: string) => {
    const value = (model as any)[name];
    if (typeof value !== 'string') throw new Error(`template parsing failed: function "${name}" not defined`);
    return value;
  });
}

/** Argo Rollouts resolves `{{args.<name>}}` with the Rollout's arguments before a provider runs; an unknown one fails the analysis. */
export function argoResolve(text: string, args: { [name: string]: string }): string {
  return text.replace(/\{\{\s*args\.([-\w]+)\s*\}\}/g, (_, name: string) => {
    if (!(name in args)) throw new Error(`failed to resolve {{args.${name}}}`);
    return args[name];
  });
}

// ------------------------------------------------------------------------------------------------
// Flagger v1.44.0, pkg/metrics/providers.
// ------------------------------------------------------------------------------------------------

/** datadog.go: NewDatadogProvider (address, keys, fromDelta = 10 x interval) and RunQuery. */
export function flaggerDatadogRequest(spec: any, query: string, interval: string, secret: { [key: string]: string }, now: number): HttpRequest {
  const address = spec.provider.address || 'https://api.datadoghq.com';
  const fromDelta = 10 * goDurationSeconds(interval);
  // q.Add("query"), q.Add("from"), q.Add("to"), then Encode() sorts the keys.
  const values = new Map([['query', [query]], ['from', [String(now - fromDelta)]], ['to', [String(now)]]]);
  return {
    method: 'GET',
    url: `${address}/api/v1/query?${goEncodeQuery(values)}`,
    headers: { 'DD-API-KEY': secret.datadog_api_key, 'DD-APPLICATION-KEY': secret.datadog_application_key },
  };
}

/** datadog.go RunQuery: the first series' first (oldest) point; no series or point: "no values found". */
export function flaggerDatadogValue(response: any): number | undefined {
  return response.series?.[0]?.pointlist?.[0]?.[1];
}

/** newrelic.go: NewNewRelicProvider (endpoint, fromDelta = interval) and newInsightsRequest. */
export function flaggerNewRelicRequest(spec: any, query: string, interval: string, secret: { [key: string]: string }): HttpRequest {
  const address = spec.provider.address || 'https://insights-api.newrelic.com';
  const nrql = `${query} SINCE ${goDurationSeconds(interval)} seconds ago`;
  return {
    method: 'GET',
    url: `${address}/v1/accounts/${secret.newrelic_account_id}/query?${goEncodeQuery(new Map([['nrql', [nrql]]]))}`,
    headers: { 'X-Query-Key': secret.newrelic_query_key },
  };
}

/** newrelic.go RunQuery: exactly one row, and its key `result`; anything else: "no values found". */
export function flaggerNewRelicValue(response: any): number | undefined {
  const results = response.results ?? [];
  return results.length === 1 && typeof results[0].result === 'number' ? results[0].result : undefined;
}

/**
 * graphite.go RunQuery: whitespace runs become one space (trimQuery), `./render?<query>` is parsed,
 * `format=json` set, the query re-encoded, the path joined to the address's; basic auth from the
 * Secret's `username` and `password` when the template has a secretRef.
 */
export function flaggerGraphiteRequest(spec: any, query: string, secret?: { [key: string]: string }): HttpRequest {
  return {
    method: 'GET',
    url: graphiteRenderUrl(spec.provider.address, query.replace(/\s+/g, ' ')),
    headers: spec.provider.secretRef && secret
      ? { Authorization: `Basic ${Buffer.from(`${secret.username}:${secret.password}`).toString('base64')}` }
      : {},
  };
}

/** graphite.go RunQuery: the last non-null point of every target, in order: the newest of the last target. */
export function flaggerGraphiteValue(response: any[]): number | undefined {
  let value: number | undefined;
  for (const target of response) for (const [v] of target.datapoints) if (v !== null) value = Number(v);
  return value;
}

/** cloudwatch.go RunQuery: the query is the JSON of []*cloudwatch.MetricDataQuery; 10 x the interval, at most 20 points. */
export function flaggerCloudWatchInput(spec: any, query: string, interval: string, now: number): any {
  return {
    region: spec.provider.region,
    StartTime: now - 10 * goDurationSeconds(interval),
    EndTime: now,
    MaxDatapoints: 20,
    MetricDataQueries: JSON.parse(query),
  };
}

/** cloudwatch.go RunQuery: the first result's first value. */
export function flaggerCloudWatchValue(response: any): number | undefined {
  return response.MetricDataResults?.[0]?.Values?.[0];
}

/** scheduler_metrics.go runMetricChecks: no value halts; then thresholdRange min and max. */
export function flaggerPasses(value: number | undefined, thresholdRange: { min?: number; max?: number }): boolean {
  if (value === undefined) return false;
  return !(thresholdRange.min !== undefined && value < thresholdRange.min) && !(thresholdRange.max !== undefined && value > thresholdRange.max);
}

// ------------------------------------------------------------------------------------------------
// Argo Rollouts v1.9.1, metricproviders.
// ------------------------------------------------------------------------------------------------

/**
 * datadog/datadog.go: buildEndpointUrl (v2: /api/v2/query/scalar), Run (interval in seconds,
 * headers) and createRequestV2 (a `query` becomes queries {"query": ...}; aggregator default
 * `last`; milliseconds); the credentials from findCredentials (secretRef namespaced: the Rollout's namespace).
 */
export function argoDatadogRequest(datadog: any, secret: { [key: string]: string }, now: number): HttpRequest {
  if (datadog.apiVersion !== 'v2') throw new Error(`this model follows API v2, not ${datadog.apiVersion}`);
  const interval = goDurationSeconds(datadog.interval ?? '5m');
  const queries = datadog.query ? { query: datadog.query } : datadog.queries;
  const body = {
    data: {
      attributes: {
        from: (now - interval) * 1000,
        to: now * 1000,
        queries: Object.entries(queries).map(([name, query]) => ({ aggregator: datadog.aggregator || 'last', data_source: 'metrics', name, query })),
        formulas: datadog.formula ? [{ formula: datadog.formula }] : [],
      },
      type: 'scalar_request',
    },
  };
  return {
    method: 'POST',
    url: `${secret.address || 'https://api.datadoghq.com'}/api/v2/query/scalar`,
    headers: { 'Content-Type': 'application/json', 'DD-API-KEY': secret['api-key'], 'DD-APPLICATION-KEY': secret['app-key'] },
    body: JSON.stringify(body),
  };
}

/** datadog.go parseResponseV2: the first column's first value, or nil. */
export function argoDatadogResult(response: any): number | null {
  return response.data?.attributes?.columns?.[0]?.values?.[0] ?? null;
}

/** newrelic/newrelic.go: gqlNrqlQuery. */
export const NERDGRAPH_NRQL_QUERY = `query (
  $query: Nrql!, 
  $accountId: Int!,
  $timeout: Seconds!
)
{
  actor {
    account(id: $accountId) {
      nrql(query: $query, timeout: $timeout) {
        results
      }
    }
  }
}
`;

/**
 * newrelic.go NewNewRelicAPIClient (the profile Secret in the controller's namespace, region us)
 * and Query; newrelic-client-go v2.54.0 NewNerdGraphRequest (POST to the region's NerdGraph URL,
 * pkg/region/region_constants.go) with the Api-Key header (internal/http/auth.go).
 */
export function argoNewRelicRequest(newRelic: any, secret: { [key: string]: string }): HttpRequest {
  const url = secret['base-url-nerdgraph'] ?? (secret.region === 'eu' ? 'https://api.eu.newrelic.com/graphql' : 'https://api.newrelic.com/graphql');
  // encoding/json sorts map keys: accountId, query, timeout.
  const variables = { accountId: Number(secret['account-id']), query: newRelic.query, timeout: newRelic.timeout ?? 5 };
  return {
    method: 'POST',
    url,
    headers: { 'Api-Key': secret['personal-api-key'], 'Content-Type': 'application/json' },
    body: JSON.stringify({ query: NERDGRAPH_NRQL_QUERY, variables }),
  };
}

/** newrelic.go processResponse: one row is the result (a map keyed by column or alias); several rows the list. */
export function argoNewRelicResult(rows: any[]): any {
  if (rows.length === 0 || (rows.length === 1 && Object.keys(rows[0]).length === 0)) throw new Error('no results returned from NRQL query');
  return rows.length === 1 ? rows[0] : rows;
}

/** graphite/api.go Query: every whitespace removed (sanitizeQuery), then as Flagger's; no credentials. */
export function argoGraphiteRequest(graphite: any): HttpRequest {
  return { method: 'GET', url: graphiteRenderUrl(graphite.address, graphite.query.replace(/\s+/g, '')), headers: {} };
}

/** graphite.go Run and processResponse: the first target's non-null values, oldest first; none: "no values found". */
export function argoGraphiteResult(response: any[]): number[] {
  const points = response[0]?.datapoints ?? [];
  if (points.length === 0) throw new Error('no values found');
  return points.filter(([v]: any[]) => v !== null).map(([v]: any[]) => Number(v));
}

/** cloudwatch/cloudwatch.go Run and Query: the interval (default 5m) back from now, the queries converted (convertType). */
export function argoCloudWatchInput(cloudWatch: any, now: number): any {
  return {
    StartTime: now - goDurationSeconds(cloudWatch.interval ?? '5m'),
    EndTime: now,
    MetricDataQueries: cloudWatch.metricDataQueries.map((q: any) => ({
      Id: q.id,
      Expression: q.expression,
      Label: q.label,
      MetricStat: q.metricStat && {
        Metric: {
          Dimensions: q.metricStat.metric.dimensions?.map((d: any) => ({ Name: d.name, Value: d.value })),
          MetricName: q.metricStat.metric.metricName,
          Namespace: q.metricStat.metric.namespace,
        },
        Period: Number(q.metricStat.period),
        Stat: q.metricStat.stat,
        Unit: q.metricStat.unit,
      },
      Period: q.period,
      ReturnData: q.returnData,
    })),
  };
}

/**
 * utils/evaluate EvalCondition, for the conditions the library writes: `len()`, `nil`, `&&`,
 * comparisons, field and index access, which mean the same in JavaScript once `len(x)` is
 * `x.length` and `nil` is `null` (compared with `!=`, which also matches undefined).
 */
export function argoCondition(condition: string, result: any): boolean {
  let js = condition;
  for (let previous = ''; previous !== js;) {
    previous = js;
    js = js.replace(/\blen\(([^()]*)\)/g, '($1).length');
  }
  js = js.replace(/\bnil\b/g, 'null');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return Boolean(new Function('result', `return ${js};`)(result));
}

/** Both controllers: `<address>/render?<query>` with format=json (graphite.go / api.go, the same code). */
function graphiteRenderUrl(address: string, query: string): string {
  const base = new URL(address);
  const hash = query.indexOf('#');
  const values = goParseQuery(hash < 0 ? query : query.slice(0, hash));
  values.set('format', ['json']);
  const joined = path.posix.join(base.pathname === '/' ? '' : base.pathname, 'render');
  return `${base.origin}${joined.startsWith('/') ? joined : `/${joined}`}?${goEncodeQuery(values)}`;
}
