/**
 * Flagger 1.44's built-in checks and its query templating, from fluxcd/flagger v1.44.0.
 */

/** The built-in queries of an observer (pkg/metrics/observers/<observer>.go), by metric name. */
interface Observer {
  readonly queries: { readonly [metric: string]: string };
  /** How the duration query's value becomes milliseconds (`time.Duration(int64(value))` or `int64(value*1000)`). */
  readonly durationScale: number;
}

/** pkg/metrics/observers/traefik.go, traefikQueries. */
const TRAEFIK: Observer = {
  queries: {
    'request-success-rate': 'sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",code!~"5..",le="+Inf"}[{{ interval }}])) / sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd",le="+Inf"}[{{ interval }}])) * 100',
    'request-duration': 'histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd"}[{{ interval }}])) by (le)) * 1000',
  },
  durationScale: 1,
};

/** pkg/metrics/observers/istio.go, istioQueries (also the default observer, factory.go). */
const ISTIO: Observer = {
  queries: {
    'request-success-rate': 'sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}",response_code!~"5.*"}[{{ interval }}])) / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) * 100',
    'request-duration': 'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload=~"{{ target }}"}[{{ interval }}])) by (le))',
  },
  durationScale: 1,
};

/** pkg/metrics/observers/http.go, httpQueries: the pods' own histogram (providers `kubernetes` and `gatewayapi:*`). */
const HTTP: Observer = {
  queries: {
    'request-success-rate': 'sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",status!~"5.*"}[{{ interval }}])) / sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) * 100',
    'request-duration': 'histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) by (le))',
  },
  durationScale: 1000,
};

/** The observers the rehearsal has; Flagger has more (App Mesh, Linkerd, NGINX, ...). */
const KNOWN = new Set(['traefik', 'istio', 'kubernetes']);

/**
 * The observer Flagger picks for a provider (pkg/metrics/observers/factory.go, Observer): `traefik`,
 * `istio`, `kubernetes` and `gatewayapi:*` (the HTTP observer); any other provider falls back to
 * Istio's in Flagger but is outside what the rehearsal knows.
 */
export function builtInObserver(provider: string): { observer: Observer; known: boolean } {
  if (provider === 'traefik') return { observer: TRAEFIK, known: true };
  if (provider === 'kubernetes' || provider.startsWith('gatewayapi')) return { observer: HTTP, known: true };
  return { observer: ISTIO, known: KNOWN.has(provider) || provider === '' };
}

/** The values of Flagger's template functions (pkg/apis/flagger/v1beta1/metric.go, TemplateFunctions). */
export interface TemplateModel {
  readonly name: string;
  readonly namespace: string;
  readonly target: string;
  readonly service: string;
  readonly ingress: string;
  readonly route: string;
  readonly interval: string;
  readonly variables: { readonly [key: string]: string };
}

/**
 * A query rendered as Flagger renders it (pkg/metrics/observers/render.go: Go text/template with
 * `missingkey=error` and the model's functions). The rehearsal renders the actions queries use:
 * `{{ name }}`, `{{ namespace }}`, `{{ target }}`, `{{ service }}`, `{{ ingress }}`, `{{ route }}`,
 * `{{ interval }}` and `{{ variables.<key> }}`, with `{{-`/`-}}` trimming; any other action is
 * outside what it evaluates (an error says so). Flagger then collapses whitespace (prometheus.go,
 * trimQuery).
 */
export function renderFlaggerQuery(template: string, model: TemplateModel): { query?: string; error?: string } {
  let error: string | undefined;
  const rendered = template.replace(/(\s*)\{\{(-?)\s*([^}]*?)\s*(-?)\}\}(\s*)/g, (_, before: string, trimLeft: string, action: string, trimRight: string, after: string) => {
    let value: string | undefined;
    const variable = action.match(/^variables\.([A-Za-z_][A-Za-z0-9_]*)$/);
    if (variable) {
      value = model.variables[variable[1]];
      if (value === undefined) error ??= `template: map has no entry for key "${variable[1]}" (templateVariables)`;
    } else if (['name', 'namespace', 'target', 'service', 'ingress', 'route', 'interval'].includes(action)) {
      value = (model as any)[action];
    } else {
      error ??= `the template action '{{ ${action} }}' is outside what the rehearsal renders (it renders {{ name }}, {{ namespace }}, {{ target }}, {{ service }}, {{ ingress }}, {{ route }}, {{ interval }} and {{ variables.<key> }})`;
    }
    return `${trimLeft ? '' : before}${value ?? ''}${trimRight ? '' : after}`;
  });
  if (error) return { error };
  return { query: rendered.replace(/\s+/g, ' ').trim() };
}
