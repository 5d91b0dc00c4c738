import { ApiObject, ApiObjectMetadata, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { AlertProvider } from './alert-provider';
import { FlaggerMetricTemplate } from './metric-template';
import { CanaryAlert } from '../../analysis/alert';
import { CanaryAnalysisOptions, ResolvedAnalysis } from '../../analysis/analysis';
import { checkSelectsCanary, flaggerCanarySelection } from '../../analysis/canary-selection';
import { ComparableSeries } from '../../analysis/comparison';
import { comparisonQuery } from '../../analysis/comparison-query';
import { checkLoadCommand, flaggerLoadDuration, renderLoadCommand } from '../../analysis/load-command';
import { LoadTarget, LoadTool } from '../../analysis/load-test';
import { CanaryMetric, MetricKind } from '../../analysis/metric';
import { CloudWatchMetricQuery, MetricProviderType } from '../../analysis/metric-providers';
import { checkFlaggerNrql, graphiteQuery } from '../../analysis/provider-queries';
import { resolveAnalysis } from '../../analysis/resolve-analysis';
import { checkFlaggerVariables } from '../../analysis/template-variables';
import { CanaryWebhook, LoadTesterCommandType, WebhookType } from '../../analysis/webhook';
import { checkArguments } from '../../arguments/check-arguments';
import { flaggerImports } from '../../generated-imports';
import type * as flagger from '../../imports/flagger.app';
import { StrategyConfig, StrategyKind } from '../../strategy/delivery-strategy';
import { MatchCondition, MatchTarget } from '../../strategy/traffic-segment';
import { checkEmittedObjects } from '../../synth/object-validity';
import { checkDnsLabel, checkPort, checkWholeSeconds, fail, toGoDuration } from '../../validation';
import { ServiceProtocol } from '../../workload/protocol';

/** Props for `FlaggerCanary`. */
export interface FlaggerCanaryProps {
  /** Name and namespace of the Canary; keep the name equal to the target's. */
  readonly metadata: ApiObjectMetadata;
  /** Name of the Deployment to roll out (at most 55 characters: Flagger appends `-primary`). */
  readonly targetName: string;
  /**
   * Name of its HorizontalPodAutoscaler; Flagger creates `<name>-primary` from it.
   *
   * @default - no autoscaler (not recommended: Flux or Argo CD then fight Flagger over replicas)
   */
  readonly autoscalerName?: string;
  /** The router, Flagger's `spec.provider` (e.g. `traefik`, `istio`). */
  readonly provider: string;
  /** Port of the Services Flagger generates. */
  readonly port: number;
  /**
   * Port the containers listen on.
   *
   * @default - same as `port`
   */
  readonly targetPort?: number;
  /**
   * What the service speaks: the name of the port of the Services Flagger generates (`portName`),
   * and for gRPC their `appProtocol`.
   *
   * @default ServiceProtocol.HTTP
   */
  readonly protocol?: ServiceProtocol;
  /**
   * Further router-specific fields of `spec.service` (e.g. Istio `gateways` and `hosts`).
   *
   * @default - none
   */
  readonly serviceFields?: { [key: string]: any };
  /**
   * The analysis.
   *
   * @default - the defaults of `CanaryAnalysisOptions`
   */
  readonly analysis?: CanaryAnalysisOptions;
  /**
   * Prometheus address for the built-in checks and the MetricTemplates of custom metrics.
   *
   * @default - Flagger's own `-metrics-server` (then custom metrics cannot be used)
   */
  readonly metricsServer?: string;
  /**
   * Queries of the built-in checks (by `MetricKind`, with Flagger's template variables) for a
   * provider whose own built-ins do not measure what the router measures (Flagger's `gatewayapi`
   * and `kubernetes` built-ins read the application's `http_request_duration_seconds`): the
   * built-in checks then run as MetricTemplates with these queries, under names Flagger does not
   * reserve (`success-rate`, `latency`).
   *
   * @default - Flagger's built-in queries for the provider
   */
  readonly builtInQueries?: { [kind: string]: string };
  /**
   * The router's canary and primary series, for checks that compare them.
   *
   * @default - comparisons are rejected
   */
  readonly comparableSeries?: ComparableSeries;
  /**
   * Base URL of the loadtester (`http://flagger-loadtester.<ns>/`), for webhooks that use it.
   *
   * @default - webhooks that need the loadtester are rejected
   */
  readonly loadTesterUrl?: string;
  /**
   * How traffic moves to the canary: weights (with optional session affinity), an A/B test
   * (`analysis.iterations` and `analysis.match`) or blue/green (`analysis.iterations`, optionally
   * `mirror`). Flagger cannot run phases.
   *
   * @default - a weighted canary
   */
  readonly strategy?: StrategyConfig;
  /**
   * Where load tests must send their requests for the router to measure them (the router's
   * `loadTarget()`). Typed load tests (`CanaryWebhook.loadTest()` without `command`) are built from
   * it, and a load command of your own that bypasses the router is rejected.
   *
   * @default - typed load tests are rejected, and commands are not checked
   */
  readonly loadTarget?: LoadTarget;
  /**
   * How long the canary may make no progress before it is rolled back.
   *
   * @default Duration.minutes(10)
   */
  readonly progressDeadline?: Duration;
  /**
   * Promote without analysis.
   *
   * @default false
   */
  readonly skipAnalysis?: boolean;
  /**
   * Restore the original Deployment when the Canary is deleted.
   *
   * @default false
   */
  readonly revertOnDeletion?: boolean;
}

/**
 * CloudWatch queries as Flagger's provider reads its query: a JSON array of the AWS SDK's
 * MetricDataQuery (pkg/metrics/providers/cloudwatch.go, json.Unmarshal into []*cloudwatch.MetricDataQuery).
 */
function flaggerCloudWatchQuery(queries: CloudWatchMetricQuery[]): string {
  return JSON.stringify(queries.map((q, i) => ({
    Id: q.id,
    Expression: q.expression,
    MetricStat: q.metricStat && {
      Metric: {
        Namespace: q.metricStat.namespace,
        MetricName: q.metricStat.metricName,
        Dimensions: Object.entries(q.metricStat.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: q.metricStat.period.toSeconds(),
      Stat: q.metricStat.stat,
      Unit: q.metricStat.unit,
    },
    ReturnData: q.returnData ?? i === queries.length - 1,
  })));
}

/** The names of the built-in checks when they run as MetricTemplates (Flagger reserves `request-success-rate` and `request-duration`). */
const BUILT_IN_TEMPLATE_NAMES: { [kind: string]: string } = {
  [MetricKind.REQUEST_SUCCESS_RATE]: 'success-rate',
  [MetricKind.REQUEST_DURATION]: 'latency',
};

/**
 * A Flagger Canary (`flagger.app/v1beta1`) together with the MetricTemplates of its custom metrics
 * and the AlertProviders of its alerts. Metrics, webhooks and alerts can be added after
 * construction; the spec is rendered at synth time.
 */
export class FlaggerCanary extends Construct {
  /** Name of the Canary. */
  public readonly name: string;
  /** Namespace of the Canary. */
  public readonly namespace: string;
  /** The L1 object, for escape hatches. */
  public readonly apiObject: ApiObject;

  private readonly props: FlaggerCanaryProps;
  private readonly owner: string;
  private readonly metrics: CanaryMetric[];
  private readonly webhooks: CanaryWebhook[];
  private readonly alerts: CanaryAlert[];
  private readonly templates = new Map<string, FlaggerMetricTemplate>();
  private readonly providers = new Map<string, AlertProvider>();
  /** The command each loadtester command webhook runs, by webhook name. */
  private readonly commands = new Map<string, string>();
  private analysis: ResolvedAnalysis;

  public constructor(scope: Construct, id: string, props: FlaggerCanaryProps) {
    super(checkArguments<Construct>('FlaggerCanary.new', [scope, id, props]), id);
    checkEmittedObjects(this);
    this.name = props.metadata.name ?? props.targetName;
    this.namespace = props.metadata.namespace ?? fail(`FlaggerCanary '${this.name}'`, "'metadata.namespace' is required: the webhook and metric addresses are built from it");
    this.owner = `FlaggerCanary '${this.name}'`;
    checkDnsLabel(this.owner, 'targetName', props.targetName, 55, " (Flagger appends '-primary' and '-canary', and Service names have at most 63)");
    checkPort(this.owner, 'port', props.port);
    if (props.targetPort !== undefined) checkPort(this.owner, 'targetPort', props.targetPort);
    if (props.progressDeadline !== undefined) checkWholeSeconds(this.owner, 'progressDeadline', props.progressDeadline, 1);
    if (props.loadTesterUrl !== undefined && !/^https?:\/\/\S+$/.test(props.loadTesterUrl)) {
      fail(this.owner, `'loadTesterUrl' ('${props.loadTesterUrl}') must be an http:// or https:// URL`);
    }
    if (props.strategy?.kind === StrategyKind.PHASED) {
      fail(this.owner, "'strategy' (a phased release) cannot be one Flagger Canary: Flagger runs one strategy per Canary");
    }
    this.props = props;
    this.analysis = resolveAnalysis(this.owner, props.analysis);
    this.metrics = [...this.analysis.metrics];
    this.webhooks = [...this.analysis.webhooks];
    this.alerts = [...this.analysis.alerts];
    this.metrics.forEach((metric, i) => this.createTemplate(metric, i));
    this.alerts.forEach((alert) => this.createProvider(alert));
    this.webhooks.forEach((webhook, i) => this.prepareWebhook(webhook, i));

    this.apiObject = new (flaggerImports().Canary)(this, 'Resource', {
      metadata: { ...props.metadata, name: this.name },
      spec: Lazy.any({ produce: () => this.renderSpec() }) as any,
    });
  }

  /** Adds a check. */
  public addMetric(metric: CanaryMetric): void {
    checkArguments('FlaggerCanary.addMetric', [metric], `FlaggerCanary '${this.node.id}'`);
    const analysis = this.reresolve({ metrics: [...this.metrics, metric] });
    this.createTemplate(metric, this.metrics.length);
    this.metrics.push(metric);
    this.analysis = analysis;
  }

  /** Adds a webhook. */
  public addWebhook(webhook: CanaryWebhook): void {
    checkArguments('FlaggerCanary.addWebhook', [webhook], `FlaggerCanary '${this.node.id}'`);
    const analysis = this.reresolve({ webhooks: [...this.webhooks, webhook] });
    this.prepareWebhook(webhook, this.webhooks.length);
    this.webhooks.push(webhook);
    this.analysis = analysis;
  }

  /** Adds an alert. */
  public addAlert(alert: CanaryAlert): void {
    checkArguments('FlaggerCanary.addAlert', [alert], `FlaggerCanary '${this.node.id}'`);
    const analysis = this.reresolve({ alerts: [...this.alerts, alert] });
    this.createProvider(alert);
    this.alerts.push(alert);
    this.analysis = analysis;
  }

  /** The analysis as it stands, with metrics, webhooks and alerts added after construction. */
  public get resolvedAnalysis(): ResolvedAnalysis {
    return { ...this.analysis, metrics: [...this.metrics], webhooks: [...this.webhooks], alerts: [...this.alerts] };
  }

  /**
   * The command a loadtester command webhook runs (typed load tests built for the router).
   *
   * @param webhookName the webhook's name
   */
  public commandOf(webhookName: string): string | undefined {
    checkArguments('FlaggerCanary.commandOf', [webhookName], `FlaggerCanary '${this.node.id}'`);
    return this.commands.get(webhookName);
  }

  /** The MetricTemplates created for custom metrics, in declaration order. */
  public get metricTemplates(): FlaggerMetricTemplate[] {
    return [...this.templates.values()];
  }

  /** The AlertProviders created for alerts, in declaration order. */
  public get alertProviders(): AlertProvider[] {
    return [...this.providers.values()];
  }

  /** Checks the analysis as it would be with `changes`; nothing changes when it throws. */
  private reresolve(changes: CanaryAnalysisOptions): ResolvedAnalysis {
    return resolveAnalysis(this.owner, {
      ...this.props.analysis,
      metrics: this.metrics,
      webhooks: this.webhooks,
      alerts: this.alerts,
      ...changes,
    });
  }

  private createTemplate(metric: CanaryMetric, index: number): void {
    const property = `analysis.metrics[${index}]`;
    if (metric.query !== undefined) checkFlaggerVariables(this.owner, `${property}.query`, metric.query);
    if (metric.kind === MetricKind.PROMETHEUS_QUERY) {
      checkSelectsCanary(this.owner, property, metric, flaggerCanarySelection(this.props.provider, this.props.comparableSeries));
    }
    if (metric.kind === MetricKind.EXTERNAL_QUERY) {
      const source = metric.source!;
      this.templates.set(metric.name, new FlaggerMetricTemplate(this, `MetricTemplate-${metric.name}`, {
        metadata: { name: `${this.name}-${metric.name}`, namespace: this.namespace, labels: this.props.metadata.labels },
        type: source.type,
        query: this.externalQuery(metric, `${property}.query`),
        address: source.type === MetricProviderType.DATADOG ? source.address ?? 'https://api.datadoghq.com' : source.address,
        secretName: source.secretName,
        region: source.region,
      }));
      return;
    }
    if (metric.kind === MetricKind.COMPARISON) {
      const series = this.props.comparableSeries
        ?? fail(this.owner, `metric '${metric.name}' compares the canary with the primary, which the ${this.props.provider} router cannot tell apart in its metrics`);
      if (!this.props.metricsServer) fail(this.owner, `metric '${metric.name}' needs a Prometheus to query: set 'metricsServer'`);
      this.templates.set(metric.name, new FlaggerMetricTemplate(this, `MetricTemplate-${metric.name}`, {
        metadata: { name: `${this.name}-${metric.name}`, namespace: this.namespace, labels: this.props.metadata.labels },
        query: comparisonQuery(series, metric.comparison!, '{{ interval }}'),
        address: this.props.metricsServer,
      }));
      return;
    }
    const builtIn = metric.kind !== MetricKind.PROMETHEUS_QUERY;
    if (builtIn && this.props.builtInQueries === undefined) return;
    const query = builtIn
      ? this.props.builtInQueries![metric.kind] ?? fail(this.owner, `the ${this.props.provider} provider has no query for the built-in check '${metric.name}': use CanaryMetric.prometheus() with a query of your own`)
      : metric.query!;
    if (!this.props.metricsServer) {
      fail(this.owner, `metric '${metric.name}' needs a Prometheus to query: set 'metricsServer'`);
    }
    const name = this.canaryMetricName(metric);
    const clash = builtIn ? this.metrics.findIndex((other) => other !== metric && other.name === name) : -1;
    if (clash >= 0) {
      fail(this.owner, `'analysis.metrics[${clash}].name' ('${name}') is the name the built-in check '${metric.name}' runs as with the ${this.props.provider} provider: rename it`);
    }
    this.templates.set(metric.name, new FlaggerMetricTemplate(this, `MetricTemplate-${name}`, {
      metadata: { name: `${this.name}-${name}`, namespace: this.namespace, labels: this.props.metadata.labels },
      query,
      address: this.props.metricsServer,
    }));
  }

  /**
   * The query of another backend as Flagger's provider sends it: CloudWatch's as JSON, Graphite's
   * as the render API's query string, New Relic's as it is (Flagger appends the window).
   */
  private externalQuery(metric: CanaryMetric, property: string): string {
    switch (metric.source!.type) {
      case MetricProviderType.CLOUDWATCH:
        return flaggerCloudWatchQuery(metric.source!.cloudWatchQueries!);
      case MetricProviderType.GRAPHITE:
        return graphiteQuery(metric.query!, metric.interval ?? Duration.minutes(1));
      case MetricProviderType.NEW_RELIC:
        checkFlaggerNrql(this.owner, property, metric.query!);
        return metric.query!;
      default:
        return metric.query!;
    }
  }

  /** The metric's name in the Canary: a built-in check that runs as a MetricTemplate must not use Flagger's reserved name. */
  private canaryMetricName(metric: CanaryMetric): string {
    const ownQuery = [MetricKind.PROMETHEUS_QUERY, MetricKind.EXTERNAL_QUERY, MetricKind.COMPARISON].includes(metric.kind);
    if (ownQuery || this.props.builtInQueries === undefined) return metric.name;
    return BUILT_IN_TEMPLATE_NAMES[metric.kind] ?? metric.name;
  }

  private createProvider(alert: CanaryAlert): void {
    if (alert.providerType === undefined) return;
    if (alert.secretKey !== undefined && alert.secretKey !== 'address') {
      fail(this.owner, `alert '${alert.name}': Flagger's AlertProvider reads the webhook URL from the key 'address' of its Secret, not '${alert.secretKey}'; leave 'secretKey' out`);
    }
    this.providers.set(alert.name, new AlertProvider(this, `AlertProvider-${alert.name}`, {
      metadata: { name: `${this.name}-${alert.name}`, namespace: this.namespace, labels: this.props.metadata.labels },
      type: alert.providerType,
      secretName: alert.secretName!,
      channel: alert.channel,
      username: alert.username,
    }));
  }

  /** Checks what Flagger will call, and builds the command of a typed load test. */
  private prepareWebhook(webhook: CanaryWebhook, index: number): void {
    const property = `analysis.webhooks[${index}]`;
    this.webhookUrl(webhook, index);
    const target = this.props.loadTarget;
    if (webhook.load !== undefined) {
      if (target === undefined) {
        fail(this.owner, `'${property}' ('${webhook.name}') is a typed load test, which is built for the router: set 'loadTarget', or give it a 'command'`);
      }
      this.commands.set(webhook.name, renderLoadCommand(this.owner, webhook.load, target,
        webhook.load.duration ?? flaggerLoadDuration(this.analysis.interval)));
    } else if (webhook.command !== undefined) {
      if (target !== undefined && webhook.type === WebhookType.ROLLOUT) {
        const example = target.url === undefined ? "a command through the router's ingress"
          : renderLoadCommand(this.owner, { requestsPerSecond: 10, concurrency: 2, path: '/', tool: LoadTool.HEY }, target, flaggerLoadDuration(this.analysis.interval));
        checkLoadCommand(this.owner, property, webhook.command, target, this.namespace, example);
      }
      this.commands.set(webhook.name, webhook.command);
    }
    if (this.isLoad(webhook) && this.webhooks.concat(webhook).some((w) => w.name === warmUpName(webhook))) {
      fail(this.owner, `'${property}' ('${webhook.name}') needs the webhook name '${warmUpName(webhook)}' for its warm-up; rename the webhook that has it`);
    }
  }

  /** A load generator the loadtester starts in the background (`cmd`), called at every interval. */
  private isLoad(webhook: CanaryWebhook): boolean {
    return webhook.type === WebhookType.ROLLOUT && webhook.commandType === LoadTesterCommandType.CMD && this.commands.has(webhook.name);
  }

  private webhookUrl(webhook: CanaryWebhook, index: number): string {
    if (webhook.url !== undefined) return webhook.url;
    if (!this.props.loadTesterUrl) {
      fail(this.owner, `'analysis.webhooks[${index}]' ('${webhook.name}') is served by the loadtester: set 'loadTesterUrl'`);
    }
    return `${this.props.loadTesterUrl.replace(/\/?$/, '/')}${webhook.loadTesterPath}`;
  }

  private renderSpec(): flagger.CanarySpec {
    const props = this.props;
    const analysis = this.analysis;
    return {
      provider: props.provider as flagger.CanarySpecProvider,
      metricsServer: props.metricsServer,
      targetRef: { apiVersion: 'apps/v1', kind: flaggerImports().CanarySpecTargetRefKind.DEPLOYMENT, name: props.targetName },
      autoscalerRef: props.autoscalerName
        ? { apiVersion: 'autoscaling/v2', kind: flaggerImports().CanarySpecAutoscalerRefKind.HORIZONTAL_POD_AUTOSCALER, name: props.autoscalerName }
        : undefined,
      progressDeadlineSeconds: (props.progressDeadline ?? Duration.minutes(10)).toSeconds(),
      skipAnalysis: props.skipAnalysis,
      revertOnDeletion: props.revertOnDeletion,
      service: {
        name: props.targetName,
        port: props.port,
        targetPort: props.targetPort ?? props.port,
        portName: props.protocol ?? ServiceProtocol.HTTP,
        appProtocol: props.protocol === ServiceProtocol.GRPC ? 'grpc' : undefined,
        ...props.serviceFields,
      },
      analysis: {
        interval: toGoDuration(analysis.interval),
        threshold: analysis.threshold,
        ...this.renderTraffic(),
        stepWeightPromotion: analysis.stepWeightPromotion,
        metrics: this.metrics.map((metric) => this.renderMetric(metric)),
        webhooks: this.webhooks.length ? this.renderWebhooks() : undefined,
        alerts: this.alerts.length ? this.alerts.map((alert) => this.renderAlert(alert)) : undefined,
      },
    };
  }

  /**
   * How traffic moves, as Flagger's analysis says it (a CRD `oneOf`: weights, or iterations):
   * weights, optionally with session affinity; an A/B test is `iterations` with `match` (one entry
   * per segment; Flagger ORs the entries and ANDs the conditions within one); blue/green is
   * `iterations`, with `mirror` and `mirrorWeight` to copy live traffic first.
   */
  private renderTraffic(): Partial<flagger.CanarySpecAnalysis> {
    const strategy = this.props.strategy;
    const analysis = this.analysis;
    switch (strategy?.kind) {
      case StrategyKind.AB_TEST:
        return {
          iterations: strategy.abTest!.iterations,
          match: strategy.abTest!.segments.map((segment) => renderMatch(segment.conditions)),
        };
      case StrategyKind.BLUE_GREEN: {
        const mirror = strategy.blueGreen!.mirrorPercentage;
        return {
          iterations: strategy.blueGreen!.iterations,
          mirror: mirror !== undefined ? true : undefined,
          mirrorWeight: mirror !== undefined && mirror < 100 ? mirror : undefined,
        };
      }
      default: {
        const affinity = strategy?.canary?.sessionAffinity;
        return {
          maxWeight: analysis.maxWeight,
          stepWeight: analysis.stepWeight,
          stepWeights: analysis.stepWeights,
          sessionAffinity: affinity && {
            cookieName: affinity.cookieName,
            primaryCookieName: affinity.primaryCookieName,
            maxAge: affinity.maxAge.toSeconds(),
          },
        };
      }
    }
  }

  private renderMetric(metric: CanaryMetric): flagger.CanarySpecAnalysisMetrics {
    const template = this.templates.get(metric.name);
    return {
      name: this.canaryMetricName(metric),
      interval: toGoDuration(metric.interval ?? Duration.minutes(1)),
      thresholdRange: { min: metric.min, max: metric.max },
      templateRef: template ? { name: template.name, namespace: this.namespace } : undefined,
    };
  }

  /**
   * The webhooks, then a warm-up for each load test: the same command as a `pre-rollout` hook.
   * Flagger runs `rollout` hooks only from the second interval of traffic on, right before that
   * interval's metric queries, and a `cmd` only starts the load (pkg/controller/scheduler.go,
   * runAnalysis; pkg/loadtester/server.go answers 202 at once), so without it the first check would
   * find no values and count as failed. Pre-rollout hooks run on the tick that sets the first weight,
   * after the acceptance tests; the loadtester then drops the identical `rollout` call while that
   * run is still going (runner.go, keyed by canary and command).
   */
  private renderWebhooks(): flagger.CanarySpecAnalysisWebhooks[] {
    const rendered = this.webhooks.map((webhook, i) => this.renderWebhook(webhook, i));
    const warmUps = this.webhooks.filter((webhook) => this.isLoad(webhook)).map((webhook) => ({
      ...this.renderWebhook(webhook, this.webhooks.indexOf(webhook)),
      name: warmUpName(webhook),
      type: flaggerImports().CanarySpecAnalysisWebhooksType.PRE_HYPHEN_ROLLOUT,
    }));
    return [...rendered, ...warmUps];
  }

  private renderWebhook(webhook: CanaryWebhook, index: number): flagger.CanarySpecAnalysisWebhooks {
    const command = this.commands.get(webhook.name);
    return {
      name: webhook.name,
      type: webhook.type as string as flagger.CanarySpecAnalysisWebhooksType,
      url: this.webhookUrl(webhook, index),
      timeout: webhook.timeout ? toGoDuration(webhook.timeout) : undefined,
      muteAlert: webhook.muteAlert,
      retries: webhook.retries,
      metadata: command !== undefined ? { type: webhook.commandType!, cmd: command } : webhook.metadata,
    };
  }

  private renderAlert(alert: CanaryAlert): flagger.CanarySpecAnalysisAlerts {
    const provider = this.providers.get(alert.name);
    return {
      name: alert.name,
      severity: alert.severity as string as flagger.CanarySpecAnalysisAlertsSeverity,
      providerRef: provider
        ? { name: provider.name, namespace: this.namespace }
        : { name: alert.providerName!, namespace: alert.providerNamespace ?? this.namespace },
    };
  }
}

/** Name of the pre-rollout webhook that starts a load test on the tick that sets the first weight. */
function warmUpName(webhook: CanaryWebhook): string {
  return `${webhook.name}-warm-up`;
}

/** A segment's conditions as one entry of Flagger's `analysis.match`. */
function renderMatch(conditions: MatchCondition[]): flagger.CanarySpecAnalysisMatch {
  const of = (target: MatchTarget) => {
    const entries = conditions.filter((c) => c.target === target).map((c) => [c.name, { [c.kind]: c.value }]);
    return entries.length ? Object.fromEntries(entries) : undefined;
  };
  return { headers: of(MatchTarget.HEADER), queryParams: of(MatchTarget.QUERY_PARAM) };
}
