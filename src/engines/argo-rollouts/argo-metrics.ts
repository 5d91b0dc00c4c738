import { Duration } from 'cdk8s';
import { ComparableSeries } from '../../analysis/comparison';
import { comparisonQuery } from '../../analysis/comparison-query';
import { argoLoadDuration, checkLoadCommand, loadCommandDuration, renderLoadCommand } from '../../analysis/load-command';
import { LoadTarget, LoadTool } from '../../analysis/load-test';
import { CanaryMetric, MetricKind } from '../../analysis/metric';
import { CloudWatchMetricQuery, MetricProviderType } from '../../analysis/metric-providers';
import { argoNrql, graphiteQuery } from '../../analysis/provider-queries';
import { CanaryWebhook, WebhookType } from '../../analysis/webhook';
import { LOAD_TESTER_SCRATCH_DIR, NO_SIDECAR_LABELS } from '../../platform/conventions';
import { fail, toGoDuration } from '../../validation';
import { restrictedSecurityContext } from '../../workload/pod-security';

/** A metric of an AnalysisTemplate, in Argo Rollouts' form. */
export type ArgoMetric = { [key: string]: any };

/** The arguments every template gets, besides the router's. */
export const PROMETHEUS_ADDRESS_ARG = 'prometheus-address';
export const NAMESPACE_ARG = 'namespace';
export const SERVICE_NAME_ARG = 'service-name';

/** Interval between load Jobs: the next starts 1 s after the previous ended (Argo counts from FinishedAt). */
export const LOAD_JOB_INTERVAL = '1s';

/** Labels of the pods of the analysis Jobs (load and acceptance tests), which their NetworkPolicy selects. */
export function analysisJobLabels(name: string): { [key: string]: string } {
  return { 'app.kubernetes.io/component': 'analysis-job', 'app.kubernetes.io/instance': name };
}

/** Time after the start of an analysis at which a check first measures: one query window, so that the window holds load. */
export function firstMeasurementDelay(metric: CanaryMetric): Duration {
  return metric.interval ?? Duration.minutes(1);
}

/** How long the command of a load Job runs, when it can be told. */
export function jobLoadDuration(metric: ArgoMetric): Duration | undefined {
  const command: string[] | undefined = metric.provider?.job?.spec?.template?.spec?.containers?.[0]?.command;
  return command ? loadCommandDuration(command[command.length - 1]) : undefined;
}

/** What the metrics of one service are built from. */
export interface MetricContext {
  readonly owner: string;
  readonly name: string;
  readonly namespace: string;
  /** Measurement interval of the checks. */
  readonly interval: Duration;
  /** failureLimit of a check that runs until the analysis ends (threshold - 1). */
  readonly failureLimit: number;
  /** The router's built-in queries (by MetricKind). */
  readonly queries: { [kind: string]: string };
  /** The router's canary and stable series, for comparisons. */
  readonly comparableSeries?: ComparableSeries;
  readonly loadTarget: LoadTarget;
  /** Every webhook of the analysis, for the property names in messages. */
  readonly webhooks: CanaryWebhook[];
  /** Where each metric is declared (`analysis.metrics[0]`, `strategy.phases[1].metrics[0]`), for messages. */
  readonly metricProperties: Map<CanaryMetric, string>;
  /** The image the analysis Jobs run (the loadtester's, or a mirror). */
  readonly jobImage: string;
}

/** Checks that run until the analysis ends (the background analysis). */
export function backgroundChecks(ctx: MetricContext, metrics: CanaryMetric[]): ArgoMetric[] {
  return metrics.map((metric) => prometheusMetric(ctx, metric, ctx.failureLimit));
}

/** Load Jobs that follow each other for as long as the analysis runs, so every query window has load. */
export function backgroundLoads(ctx: MetricContext, loads: CanaryWebhook[]): ArgoMetric[] {
  return loads.map((webhook) => jobMetric(ctx, webhook, loadCommand(ctx, webhook, argoLoadDuration(ctx.interval)),
    { interval: LOAD_JOB_INTERVAL, failureLimit: ctx.failureLimit }));
}

/**
 * The metrics of an analysis that must end (a step, a pre- or post-promotion analysis): each check
 * measures `count` times and can fail within them; a typed load test runs as one Job until the last
 * measurement, a command of one's own `count` times.
 */
export function boundedMetrics(
  ctx: MetricContext, metrics: CanaryMetric[], loads: CanaryWebhook[], count: number, queries = ctx.queries,
): ArgoMetric[] {
  const failureLimit = Math.min(ctx.failureLimit, count - 1);
  const span = Math.max(0, ...metrics.map((m) => firstMeasurementDelay(m).toSeconds())) + (count - 1) * ctx.interval.toSeconds() + 15;
  return [
    ...metrics.map((metric) => ({ ...prometheusMetric({ ...ctx, queries }, metric, failureLimit), count })),
    ...loads.map((webhook) => (webhook.load !== undefined
      ? jobMetric(ctx, webhook, loadCommand(ctx, webhook, Duration.seconds(span)), { count: 1, failureLimit: 0 })
      : jobMetric(ctx, webhook, loadCommand(ctx, webhook, Duration.seconds(span)), { interval: LOAD_JOB_INTERVAL, count, failureLimit }))),
  ];
}

/** Acceptance tests: run once, and one failure fails them. */
export function acceptanceJobs(ctx: MetricContext, tests: CanaryWebhook[]): ArgoMetric[] {
  return tests.map((webhook) => jobMetric(ctx, webhook, webhook.command!, { failureLimit: 0 }));
}

/** A typed load test's command for the router and a run length; a command of one's own, checked against the router. */
function loadCommand(ctx: MetricContext, webhook: CanaryWebhook, duration: Duration): string {
  if (webhook.load !== undefined) {
    return renderLoadCommand(ctx.owner, webhook.load, ctx.loadTarget, webhook.load.duration ?? duration);
  }
  const property = `analysis.webhooks[${ctx.webhooks.indexOf(webhook)}]`;
  const example = ctx.loadTarget.url === undefined ? "a command through the router's ingress"
    : renderLoadCommand(ctx.owner, { requestsPerSecond: 10, concurrency: 2, path: '/', tool: LoadTool.HEY }, ctx.loadTarget, argoLoadDuration(ctx.interval));
  checkLoadCommand(ctx.owner, property, webhook.command!, ctx.loadTarget, ctx.namespace, example);
  return webhook.command!;
}

/** Flagger's template variables in a query of your own, as Argo Rollouts arguments. */
function translateQuery(query: string, window: string): string {
  return query
    .replace(/\{\{\s*namespace\s*\}\}/g, `{{args.${NAMESPACE_ARG}}}`)
    .replace(/\{\{\s*(target|service|name)\s*\}\}/g, `{{args.${SERVICE_NAME_ARG}}}`)
    .replace(/\{\{\s*interval\s*\}\}/g, window);
}

/**
 * A check of another backend, as Argo Rollouts' providers take it, and the condition on its result
 * (metricproviders/*: Datadog a number, New Relic a map of the NRQL result, CloudWatch the
 * MetricDataResults of the queries that return data, Graphite the data points).
 */
function externalMetric(ctx: MetricContext, metric: CanaryMetric, window: string): { provider: any; value: string; present: string } {
  const source = metric.source!;
  const query = metric.query === undefined ? undefined : translateQuery(metric.query, window);
  const duration = metric.interval ?? Duration.minutes(1);
  const property = `${ctx.metricProperties.get(metric) ?? `metric '${metric.name}'`}.query`;
  switch (source.type) {
    case MetricProviderType.DATADOG:
      // Argo reads the address from the Secret only (datadog.go, findCredentials), else the US endpoint:
      // an address of another site would be dropped, and that site's keys refused there.
      if (source.address !== undefined) {
        fail(ctx.owner, `'${ctx.metricProperties.get(metric) ?? `metric '${metric.name}'`}.address' ('${source.address}'): Argo Rollouts reads the Datadog address from the Secret only; `
          + `put it under the key 'address' of the Secret '${source.secretName}' and leave 'address' out`);
      }
      // The Secret is read from the Rollout's namespace (datadog.go, findCredentials: namespaced).
      return {
        provider: { datadog: { apiVersion: 'v2', interval: window, query, secretRef: { name: source.secretName, namespaced: true } } },
        value: 'result',
        present: 'result != nil',
      };
    case MetricProviderType.NEW_RELIC:
      // The profile is a Secret in the controller's namespace (newrelic.go, NewNewRelicAPIClient).
      // NerdGraph runs the query as it is (no window of its own) and keys the row by the alias.
      return {
        provider: { newRelic: { profile: source.secretName, query: argoNrql(ctx.owner, property, query!, duration) } },
        value: 'result.value',
        present: 'result.value != nil',
      };
    case MetricProviderType.CLOUDWATCH:
      return {
        provider: { cloudWatch: { interval: window, metricDataQueries: argoCloudWatchQueries(source.cloudWatchQueries!) } },
        value: 'result[0].Values[0]',
        present: 'len(result) > 0 && len(result[0].Values) > 0',
      };
    case MetricProviderType.GRAPHITE:
      if (source.secretName !== undefined) {
        fail(ctx.owner, `metric '${metric.name}': Argo Rollouts' Graphite provider takes no credentials ('secretName' '${source.secretName}'); leave it out or put an authenticating proxy in front of Graphite`);
      }
      // The values of the first target, oldest first, nulls left out (graphite.go processResponse):
      // the last one is the newest.
      return {
        provider: { graphite: { address: source.address, query: translateQuery(graphiteQuery(metric.query!, duration), window) } },
        value: 'result[len(result)-1]',
        present: 'len(result) > 0',
      };
    default:
      return fail(ctx.owner, `metric '${metric.name}' has a backend Argo Rollouts does not read: ${source.type}`);
  }
}

function argoCloudWatchQueries(queries: CloudWatchMetricQuery[]): any[] {
  return queries.map((q, i) => ({
    id: q.id,
    expression: q.expression,
    metricStat: q.metricStat && {
      metric: {
        namespace: q.metricStat.namespace,
        metricName: q.metricStat.metricName,
        dimensions: Object.entries(q.metricStat.dimensions ?? {}).map(([name, value]) => ({ name, value })),
      },
      period: q.metricStat.period.toSeconds(),
      stat: q.metricStat.stat,
      unit: q.metricStat.unit,
    },
    returnData: q.returnData ?? i === queries.length - 1,
  }));
}

function prometheusMetric(ctx: MetricContext, metric: CanaryMetric, failureLimit: number): ArgoMetric {
  const window = toGoDuration(metric.interval ?? Duration.minutes(1));
  if (metric.kind === MetricKind.COMPARISON) {
    const series = ctx.comparableSeries
      ?? fail(ctx.owner, `metric '${metric.name}' compares the canary with the stable version, which the router cannot tell apart in its metrics with Argo Rollouts`);
    return {
      name: metric.name,
      initialDelay: window,
      interval: toGoDuration(ctx.interval),
      failureLimit,
      // No sample when either version had no request: nothing to compare, so the check fails.
      successCondition: `len(result) > 0 && result[0] <= ${metric.max}`,
      provider: { prometheus: { address: `{{args.${PROMETHEUS_ADDRESS_ARG}}}`, query: comparisonQuery(series, metric.comparison!, window) } },
    };
  }
  if (metric.kind === MetricKind.EXTERNAL_QUERY) {
    const { provider, value, present } = externalMetric(ctx, metric, window);
    return {
      name: metric.name,
      initialDelay: window,
      interval: toGoDuration(ctx.interval),
      failureLimit,
      successCondition: [
        present,
        ...(metric.min === undefined ? [] : [`${value} >= ${metric.min}`]),
        ...(metric.max === undefined ? [] : [`${value} <= ${metric.max}`]),
      ].join(' && '),
      provider,
    };
  }
  const builtIn = (kind: MetricKind) => ctx.queries[kind] ?? fail(ctx.owner, `the router has no built-in query for ${kind} with Argo Rollouts`);
  let query: string;
  let bounds: string[];
  switch (metric.kind) {
    case MetricKind.REQUEST_SUCCESS_RATE:
      // The routers' success-rate queries return a ratio (0-1); thresholds are percentages.
      query = builtIn(metric.kind);
      bounds = [`result[0] >= ${round(metric.min! / 100)}`];
      break;
    case MetricKind.REQUEST_DURATION:
      query = builtIn(metric.kind);
      bounds = [`result[0] <= ${metric.max}`];
      break;
    default:
      query = metric.query!;
      bounds = [
        ...(metric.min === undefined ? [] : [`result[0] >= ${metric.min}`]),
        ...(metric.max === undefined ? [] : [`result[0] <= ${metric.max}`]),
      ];
  }
  return {
    name: metric.name,
    // The first measurement waits one query window, so that the load started with the analysis has
    // filled it: measured at once, the window would hold no request and the check would fail.
    initialDelay: window,
    interval: toGoDuration(ctx.interval),
    failureLimit,
    // An empty result (no traffic reached the canary) fails the check instead of erroring, so a
    // silent canary is never promoted.
    successCondition: ['len(result) > 0', ...bounds].join(' && '),
    provider: {
      prometheus: {
        address: `{{args.${PROMETHEUS_ADDRESS_ARG}}}`,
        query: translateQuery(query, window),
      },
    },
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * A loadtester command as a Kubernetes Job that passes Pod Security "restricted". Its pods stay out
 * of the Istio mesh: a sidecar would keep the Job from ever completing.
 */
function jobMetric(
  ctx: MetricContext, webhook: CanaryWebhook, command: string, schedule: { interval?: string; count?: number; failureLimit: number },
): ArgoMetric {
  const isTest = webhook.type === WebhookType.PRE_ROLLOUT;
  return {
    name: webhook.name,
    ...schedule,
    provider: {
      job: {
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: isTest && webhook.timeout ? webhook.timeout.toSeconds() : undefined,
          template: {
            metadata: { labels: { ...analysisJobLabels(ctx.name), ...NO_SIDECAR_LABELS } },
            spec: {
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [{
                name: webhook.name,
                image: ctx.jobImage,
                command: ['/bin/sh', '-c', command],
                resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '1', memory: '256Mi' } },
                securityContext: renderSecurityContext(),
                // Writable scratch space beside, not over, the image's /tmp/ghz (see LOAD_TESTER_SCRATCH_DIR).
                env: [{ name: 'TMPDIR', value: LOAD_TESTER_SCRATCH_DIR }],
                volumeMounts: [{ name: 'tmp', mountPath: LOAD_TESTER_SCRATCH_DIR }],
              }],
              volumes: [{ name: 'tmp', emptyDir: {} }],
            },
          },
        },
      },
    },
  };
}

function renderSecurityContext(): { [key: string]: any } {
  const context = restrictedSecurityContext(10001);
  return {
    runAsNonRoot: context.ensureNonRoot,
    runAsUser: context.user,
    runAsGroup: context.group,
    privileged: context.privileged,
    allowPrivilegeEscalation: context.allowPrivilegeEscalation,
    readOnlyRootFilesystem: context.readOnlyRootFilesystem,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
