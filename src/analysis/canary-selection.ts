import { ComparableSeries } from './comparison';
import { CanaryMetric, MetricKind, MetricScope } from './metric';
import { LabelMatcher, vectorSelectors } from './promql';
import { fail } from '../validation';

/**
 * Whether a query of your own can tell the canary from the other versions: at least one of its
 * vector selectors has a label matcher (`=` or `=~`) on the canary's identity as the engine names
 * it, and a regular expression there must not also match the primary's (or stable's) names.
 * Otherwise the query measures every version, or nothing, and the analysis judges the service
 * instead of the canary (or halts with "no values found").
 */

/** How one engine, with one router, names the canary in a query. */
export interface CanarySelection {
  /** The engine, as messages name it (`Flagger`, `Argo Rollouts`). */
  readonly engine: string;
  /** The router, as messages name it (`provider istio`, `router traefik`). */
  readonly router: string;
  /** Whether a matcher's value, as written, names the canary. */
  readonly namesCanary: (value: string) => boolean;
  /** The matcher's value with the template variables filled in, as a sample service's would be. */
  readonly render: (value: string) => string;
  /** Names of the other versions (the primary, the stable one) a canary regex must not match. */
  readonly otherVersions: string[];
  /**
   * Services in front of every version (Flagger's `<target>`, the Rollout's `<name>`): a label
   * that names a Service (`destination_service_name`) set to one of them selects every version.
   */
  readonly sharedServices: string[];
  /** The router's canary series (metric and matchers), to show in messages. */
  readonly routerExample?: string;
  /** A matcher of the canary pods' own series (the application's metrics), to show in messages. */
  readonly podExample: string;
}

/** Sample values of the template variables, to try regular expressions on. */
const SAMPLE = { name: 'podinfo', namespace: 'test', port: '80' };

/**
 * Flagger: `{{ target }}` is the Deployment under test, whose pods Flagger keeps as the canary
 * (`<target>`), while the primary is `<target>-primary`.
 */
export function flaggerCanarySelection(provider: string, series?: ComparableSeries): CanarySelection {
  return {
    engine: 'Flagger',
    router: `provider ${provider}`,
    namesCanary: (value) => /\{\{\s*target\s*\}\}/.test(value),
    render: (value) => value
      .replace(/\{\{\s*(target|name|service)\s*\}\}/g, SAMPLE.name)
      .replace(/\{\{\s*namespace\s*\}\}/g, SAMPLE.namespace),
    otherVersions: [`${SAMPLE.name}-primary`],
    sharedServices: [SAMPLE.name],
    routerExample: series && seriesExample(series),
    podExample: 'pod=~"{{ target }}-[0-9a-z]+-[0-9a-z]+"',
  };
}

/** What Argo Rollouts knows of the canary in one analysis. */
export interface ArgoCanaryNames {
  /** The router's name. */
  readonly router: string;
  /** The analysis arguments whose value is the canary (its pod-template hash, its Service). */
  readonly canaryArguments: string[];
  /** The Service only the new version is behind (`<name>-canary`, or `<name>-preview` for blue/green). */
  readonly canaryService?: string;
  /** The Services of the other version (`<name>-stable`, or the active Service). */
  readonly otherServices: string[];
  /** The service's name (`{{ target }}`) and namespace. */
  readonly name: string;
  readonly namespace: string;
  /** The router's canary series, to show in messages. */
  readonly series?: ComparableSeries;
}

function seriesExample(series: ComparableSeries): string {
  return `${series.requests}{${[series.canary, series.requestMatchers].filter((m) => m).join(',')}}`;
}

/** The argument every Argo Rollouts analysis may use for the canary pods' pod-template hash. */
export const CANARY_HASH_ARGUMENT = 'canary-hash';

/**
 * Argo Rollouts: stable and canary pods are one workload (the Rollout), so `{{ target }}` names
 * both; the canary is told by an argument that is the canary (`{{args.canary-hash}}`, the router's
 * canary Service), or by the name of the Service only the canary is behind.
 */
export function argoCanarySelection(names: ArgoCanaryNames): CanarySelection {
  const args = [...new Set([CANARY_HASH_ARGUMENT, ...names.canaryArguments])];
  const render = (value: string) => value
    .replace(/\{\{\s*(target|name|service)\s*\}\}|\{\{args\.service-name\}\}/g, names.name)
    .replace(/\{\{\s*namespace\s*\}\}|\{\{args\.namespace\}\}/g, names.namespace);
  return {
    engine: 'Argo Rollouts',
    router: `router ${names.router}`,
    namesCanary: (value) => args.some((arg) => value.includes(`{{args.${arg}}}`))
      || (names.canaryService !== undefined && render(value).includes(names.canaryService)),
    render,
    otherVersions: names.otherServices,
    sharedServices: [names.name],
    routerExample: names.series && seriesExample(names.series),
    podExample: `rollouts_pod_template_hash="{{args.${CANARY_HASH_ARGUMENT}}}"`,
  };
}

/**
 * Throws unless the query of a `MetricScope.CANARY` Prometheus metric selects the canary.
 * `property` names the metric (`analysis.metrics[2]`).
 */
export function checkSelectsCanary(owner: string, property: string, metric: CanaryMetric, selection: CanarySelection): void {
  if (metric.kind !== MetricKind.PROMETHEUS_QUERY || (metric.scope ?? MetricScope.CANARY) !== MetricScope.CANARY) return;
  const selectors = vectorSelectors(metric.query!);
  const matchers = selectors.flat();
  const canarySelectors = selectors.filter((selector) => selector.some((m) => selectsCanary(m, selection)));
  if (canarySelectors.length > 0) {
    // Every selector counts: one of the canary beside one of every version measures every version.
    // A selector that names another version (a baseline, `{{ target }}-primary`) is deliberate.
    const unscoped = selectors.map((selector, i) => ({ selector, i }))
      .filter(({ selector }) => !canarySelectors.includes(selector) && !selector.some((m) => namesOtherVersion(m, selection)));
    if (unscoped.length === 0) return;
    const shown = unscoped.map(({ selector, i }) => `selector ${i + 1} ({${selector.map((m) => `${m.label}${m.op}"${m.value}"`).join(',')}})`).join(', ');
    fail(owner, `'${property}.query' ('${metric.query}') selects the canary in one vector selector but not in ${unscoped.length === 1 ? 'another' : 'others'}: `
      + `${shown} measures every version, so the result mixes the canary with the others. Select the canary in every selector (as in ${canarySelectors[0].map((m) => `${m.label}${m.op}"${m.value}"`).join(',')}), `
      + "or set 'scope: MetricScope.GLOBAL' if it measures what every version shares (e.g. a global SLO guard)");
  }
  const named = matchers.filter((m) => (m.op === '=' || m.op === '=~') && selection.namesCanary(m.value));
  const shared = named.length > 0 && /service/i.test(named[0].label) ? ` or a Service in front of every version (${selection.sharedServices.join(', ')})` : '';
  const why = named.length > 0
    ? `its matcher ${named[0].label}${named[0].op}"${named[0].value}" also matches the other version's name (${selection.otherVersions.join(', ')})${shared}, so it does not tell the canary apart`
    : 'no label matcher names the canary, so it measures every version (or nothing, and the analysis halts with "no values found")';
  const examples = [
    ...(selection.routerExample ? [`the router's series, e.g. ${selection.routerExample}`] : []),
    `the canary pods' own series, e.g. {${selection.podExample}}`,
  ];
  fail(owner, `'${property}.query' ('${metric.query}') does not select the canary: ${why}. With ${selection.engine} (${selection.router}), select it in ${examples.join(', or ')}; `
    + "or set 'scope: MetricScope.GLOBAL' if it measures what every version shares (e.g. a global SLO guard)");
}

/** A matcher that names one of the other versions exactly (a baseline the query compares with). */
function namesOtherVersion(matcher: LabelMatcher, selection: CanarySelection): boolean {
  return matcher.op === '=' && selection.otherVersions.includes(selection.render(matcher.value));
}

function selectsCanary(matcher: LabelMatcher, selection: CanarySelection): boolean {
  if (matcher.op !== '=' && matcher.op !== '=~') return false;
  if (!selection.namesCanary(matcher.value)) return false;
  const rendered = selection.render(matcher.value);
  const names = [...selection.otherVersions, ...(/service/i.test(matcher.label) ? selection.sharedServices : [])];
  const others = names.flatMap((other) => [
    other,
    `${other}-58f9c7d6b-z8w2t`,
    `${SAMPLE.namespace}-${other}-${SAMPLE.port}@kubernetescrd`,
    `${other}.${SAMPLE.namespace}.svc.cluster.local`,
  ]);
  if (matcher.op === '=') return !others.includes(rendered);
  let regex: RegExp;
  try {
    // Prometheus anchors label regexes; a pattern JavaScript cannot read (RE2-only syntax) is left alone.
    regex = new RegExp(`^(?:${rendered.replace(/\{\{[^}]*\}\}/g, 'x')})$`);
  } catch {
    return true;
  }
  return !others.some((other) => regex.test(other));
}
