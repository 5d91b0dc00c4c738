import { Duration } from 'cdk8s';
import { CanaryAlert } from './alert';
import { CanaryAnalysisOptions, ResolvedAnalysis } from './analysis';
import { checkExternalSource } from './check-external-metric';
import { LoadGeneration, LoadTool } from './load-test';
import { CanaryMetric, MetricKind, MetricScope } from './metric';
import { checkPromQl } from './promql';
import { PLAIN_PATH, PLAIN_PATH_CHARACTERS } from './shell';
import { HeaderMatchKind, RolloutStep, RolloutStepKind } from './steps';
import { checkNoCredentialsInUrl, maskCredentials } from './url-credentials';
import { CanaryWebhook, WebhookType } from './webhook';
import { checkRe2 } from '../re2';
import { checkDnsLabel, checkDnsSubdomain, checkInteger, checkNumber, checkUniqueNames, checkWholeSeconds, DeclarationErrors, fail } from '../validation';

export const DEFAULT_METRICS: readonly CanaryMetric[] = [
  CanaryMetric.requestSuccessRate({ min: 99 }),
  CanaryMetric.requestDuration({ max: Duration.millis(500) }),
];

/** The most failed checks an analysis may tolerate before rollback. */
export const MAX_THRESHOLD = 100;

/** Applies defaults and rejects settings the controllers would reject or that could never pass. */
export function resolveAnalysis(owner: string, options: CanaryAnalysisOptions = {}, loadExample?: string): ResolvedAnalysis {
  // Every independent check runs, so that one synth reports all the mistakes of the analysis.
  const errors = new DeclarationErrors();
  const interval = options.interval ?? Duration.minutes(1);
  errors.attempt(() => checkWholeSeconds(owner, 'analysis.interval', interval, 10));
  const threshold = options.threshold ?? 5;
  // A bound keeps the plan's timelines (and the first weight's hold with Argo Rollouts, which grows
  // with it) finite; a rollout that tolerates more failed checks never rolls back in practice.
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > MAX_THRESHOLD) {
    errors.attempt(() => fail(owner, `'analysis.threshold' (${threshold}) must be an integer between 1 and ${MAX_THRESHOLD} (failed checks before rollback)`));
  }
  const metrics = options.metrics ?? [...DEFAULT_METRICS];
  const webhooks = options.webhooks ?? [];
  const alerts = options.alerts ?? [];
  errors.attempt(() => checkMetrics(owner, 'analysis.metrics', metrics));
  webhooks.forEach((webhook, i) => errors.attempt(() => checkWebhook(owner, `analysis.webhooks[${i}]`, webhook)));
  errors.attempt(() => checkUniqueNames(owner, 'analysis.webhooks', webhooks.map((w) => w.name)));
  alerts.forEach((alert, i) => errors.attempt(() => checkAlert(owner, `analysis.alerts[${i}]`, alert)));
  errors.attempt(() => checkUniqueNames(owner, 'analysis.alerts', alerts.map((a) => a.name)));
  if (metrics.length > 0 && !options.receivesLiveTraffic && !webhooks.some((w) => w.type === WebhookType.ROLLOUT)) {
    const example = loadExample ? ` (for this router it runs: ${loadExample})` : '';
    errors.attempt(() => fail(owner, `'analysis.metrics' need requests to measure, but no webhook generates load: add CanaryWebhook.loadTest() to 'analysis.webhooks'${example}, or set 'analysis.receivesLiveTraffic' to true if real traffic reaches the canary`));
  }
  if (options.stepWeightPromotion !== undefined) {
    errors.attempt(() => checkInteger(owner, 'analysis.stepWeightPromotion', options.stepWeightPromotion!, 1, 100));
  }
  const weights = errors.attempt(() => resolveWeights(owner, options));
  errors.throwIfAny();
  return {
    interval,
    threshold,
    ...weights,
    stepWeightPromotion: options.stepWeightPromotion,
    metrics,
    webhooks,
    alerts,
    receivesLiveTraffic: options.receivesLiveTraffic ?? false,
  };
}

/**
 * Every mistake of a list of metrics (bounds, names, queries), each named by its place in the
 * declaration (`property`, e.g. `analysis.metrics` or a phase's `strategy.phases[1].metrics`).
 */
export function checkMetrics(owner: string, property: string, metrics: CanaryMetric[]): void {
  const errors = new DeclarationErrors();
  metrics.forEach((metric, i) => errors.attempt(() => checkMetric(owner, `${property}[${i}]`, metric)));
  errors.attempt(() => checkUniqueNames(owner, property, metrics.map((m) => m.name)));
  errors.throwIfAny();
}

function resolveWeights(owner: string, options: CanaryAnalysisOptions) {
  if (options.steps !== undefined) {
    const conflicting = (['stepWeight', 'stepWeights', 'maxWeight'] as const).filter((key) => options[key] !== undefined);
    if (conflicting.length > 0) {
      fail(owner, `either 'analysis.steps' or ${conflicting.map((key) => `'analysis.${key}'`).join(' and ')}, not both`);
    }
    checkSteps(owner, options.steps);
    return { steps: options.steps };
  }
  if (options.stepWeights !== undefined) {
    if (options.stepWeight !== undefined) {
      fail(owner, "either 'analysis.stepWeight' or 'analysis.stepWeights', not both");
    }
    if (options.maxWeight !== undefined) {
      fail(owner, "either 'analysis.maxWeight' or 'analysis.stepWeights', not both: the last of 'stepWeights' is the maximum");
    }
    checkStepWeights(owner, options.stepWeights);
    return { stepWeights: options.stepWeights };
  }
  const maxWeight = checkInteger(owner, 'analysis.maxWeight', options.maxWeight ?? 50, 1, 100);
  const stepWeight = options.stepWeight ?? Math.min(10, maxWeight);
  if (!Number.isInteger(stepWeight) || stepWeight < 1 || stepWeight > maxWeight) {
    fail(owner, `'analysis.stepWeight' (${stepWeight}) must be an integer between 1 and 'analysis.maxWeight' (${maxWeight})`);
  }
  if (maxWeight % stepWeight !== 0) {
    // Flagger adds stepWeight until the weight reaches maxWeight, capping only at 100
    // (pkg/controller/scheduler.go, runCanary): 20 up to 50 goes 20, 40, 60.
    const steps = Math.ceil(maxWeight / stepWeight);
    const flagger = Array.from({ length: steps }, (_, i) => Math.min(100, (i + 1) * stepWeight));
    const intended = [...flagger.slice(0, -1), maxWeight];
    fail(owner, `'analysis.stepWeight' (${stepWeight}) does not divide 'analysis.maxWeight' (${maxWeight}): Flagger would set ${flagger.join(', ')}%, past the maximum; use 'stepWeights' ([${intended.join(', ')}]) or a stepWeight that divides ${maxWeight}`);
  }
  return { maxWeight, stepWeight };
}

function checkStepWeights(owner: string, weights: number[]): void {
  const rule = 'a non-empty list of strictly increasing integers between 1 and 100';
  if (weights.length === 0) {
    fail(owner, `'analysis.stepWeights' ([]) must be ${rule}`);
  }
  weights.forEach((weight, i) => {
    const where = `'analysis.stepWeights[${i}]' (${weight}) in [${weights.join(', ')}]`;
    if (!Number.isInteger(weight) || weight < 1 || weight > 100) {
      fail(owner, `${where} must be an integer between 1 and 100 (the list must be ${rule})`);
    }
    if (i > 0 && weight <= weights[i - 1]) {
      fail(owner, `${where} must be greater than 'analysis.stepWeights[${i - 1}]' (${weights[i - 1]}): the weights only grow (the list must be ${rule})`);
    }
  });
}

function checkMetric(owner: string, property: string, metric: CanaryMetric): void {
  if (metric.interval !== undefined) {
    checkWholeSeconds(owner, `${property}.interval`, metric.interval, 1);
  }
  switch (metric.kind) {
    case MetricKind.REQUEST_SUCCESS_RATE:
      checkNumber(owner, `${property}.min`, metric.min!, 0, 100);
      return;
    case MetricKind.REQUEST_DURATION:
      if (!(metric.max! > 0)) {
        fail(owner, `'${property}.max' (${metric.max}ms) must be a positive duration`);
      }
      return;
    case MetricKind.COMPARISON: {
      checkDnsLabel(owner, `${property}.name`, metric.name);
      const { maxRatio, maxDifference } = metric.comparison!;
      if ((maxRatio === undefined) === (maxDifference === undefined)) {
        fail(owner, `'${property}' ('${metric.name}') needs either 'maxRatio' or 'maxDifference', exactly one`);
      }
      if (maxRatio !== undefined && !(Number.isFinite(maxRatio) && maxRatio > 0)) fail(owner, `'${property}.maxRatio' (${maxRatio}) must be a positive number, e.g. 1.5`);
      if (maxDifference !== undefined && !(Number.isFinite(maxDifference) && maxDifference >= 0)) {
        fail(owner, `'${property}.maxDifference' (${maxDifference}) must be a number of at least 0`);
      }
      return;
    }
    case MetricKind.PROMETHEUS_QUERY:
    case MetricKind.EXTERNAL_QUERY:
      checkDnsLabel(owner, `${property}.name`, metric.name);
      if (CanaryMetric.RESERVED_NAMES.includes(metric.name)) {
        fail(owner, `'${property}.name' ('${metric.name}') is reserved: Flagger always runs its built-in query for ${CanaryMetric.RESERVED_NAMES.map((n) => `'${n}'`).join(' and ')}; choose another name or use CanaryMetric.requestSuccessRate() / requestDuration()`);
      }
      if (metric.min === undefined && metric.max === undefined) {
        fail(owner, `'${property}' ('${metric.name}') needs 'min' or 'max': a check without a threshold can never fail`);
      }
      for (const bound of ['min', 'max'] as const) {
        const value = metric[bound];
        if (value !== undefined && !Number.isFinite(value)) {
          fail(owner, `'${property}.${bound}' (${value}) must be a finite number`);
        }
      }
      if (metric.min !== undefined && metric.max !== undefined && metric.min > metric.max) {
        fail(owner, `'${property}.min' (${metric.min}) must be less than or equal to '${property}.max' (${metric.max})`);
      }
      if (metric.kind === MetricKind.PROMETHEUS_QUERY) {
        checkPromQl(owner, `${property}.query`, metric.query!);
        const scopes = Object.values(MetricScope) as string[];
        if (!scopes.includes(metric.scope as string)) {
          fail(owner, `'${property}.scope' (${JSON.stringify(metric.scope)}) must be ${scopes.map((v) => `MetricScope.${v}`).join(' or ')}`);
        }
      } else {checkExternalSource(owner, property, metric);}
      return;
  }
}

function checkWebhook(owner: string, property: string, webhook: CanaryWebhook): void {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(webhook.name)) {
    fail(owner, `'${property}.name' ('${webhook.name}') must be lower-case letters, digits and '-', starting and ending with a letter or digit`);
  }
  if (webhook.url !== undefined && !/^https?:\/\/\S+$/.test(webhook.url)) {
    fail(owner, `'${property}.url' ('${maskCredentials(webhook.url)}') must be an http:// or https:// URL`);
  }
  if (webhook.url !== undefined) {
    checkNoCredentialsInUrl(owner, `${property}.url`, webhook.url, 'have the receiver authenticate Flagger another way (a NetworkPolicy that admits only '
      + "Flagger's pods, mTLS) or put an authenticating proxy in front of it: Flagger's webhooks take no Secret");
  }
  if (webhook.command !== undefined && webhook.command.trim() === '') {
    fail(owner, `'${property}.command' must not be empty`);
  }
  if (webhook._conflictingOptions.length > 0) {
    fail(owner, `'${property}' sets 'command' and ${webhook._conflictingOptions.map((k) => `'${k}'`).join(', ')}: either a command of your own or the typed options, not both`);
  }
  if (webhook.load !== undefined) checkLoad(owner, property, webhook.load);
  if (webhook.retries !== undefined) {
    checkInteger(owner, `${property}.retries`, webhook.retries, 0, 100);
  }
  if (webhook.timeout !== undefined) {
    checkWholeSeconds(owner, `${property}.timeout`, webhook.timeout, 1);
  }
}

function checkLoad(owner: string, property: string, load: LoadGeneration): void {
  checkNumber(owner, `${property}.requestsPerSecond`, load.requestsPerSecond, 0.001, 100000);
  checkInteger(owner, `${property}.concurrency`, load.concurrency, 1, 1000);
  if (load.duration !== undefined) checkWholeSeconds(owner, `${property}.duration`, load.duration, 1);
  const [path, query] = load.path.split(/\?(.*)/s, 2);
  if (!PLAIN_PATH.test(path) || (query !== undefined && !/^[A-Za-z0-9._~%/:@+,=&-]*$/.test(query))) {
    fail(owner, `'${property}.path' ('${load.path}') must start with '/' and hold only ${PLAIN_PATH_CHARACTERS} `
      + "(and after a '?' a query of the same characters and '&'), e.g. '/api/items?page=1'; percent-encode anything else");
  }
  if (load.tool === LoadTool.GHZ && load.grpcCall === undefined) {
    fail(owner, `'${property}.grpcCall' is required with LoadTool.GHZ: the gRPC method to call, e.g. 'grpc.health.v1.Health/Check'`);
  }
  if (load.tool !== LoadTool.GHZ && load.grpcCall !== undefined) {
    fail(owner, `'${property}.grpcCall' ('${load.grpcCall}') needs 'tool: LoadTool.GHZ' (hey speaks HTTP only)`);
  }
  if (load.grpcCall !== undefined && !/^[A-Za-z_][A-Za-z0-9_.]*\/[A-Za-z_][A-Za-z0-9_]*$/.test(load.grpcCall)) {
    fail(owner, `'${property}.grpcCall' ('${load.grpcCall}') must be '<package>.<Service>/<Method>', e.g. 'grpc.health.v1.Health/Check'`);
  }
}

function checkAlert(owner: string, property: string, alert: CanaryAlert): void {
  checkDnsLabel(owner, `${property}.name`, alert.name);
  const key = alert.secretKey ?? 'address';
  const secretRule = `the name of a Secret in the service's namespace whose key '${key}' holds the webhook URL, `
    + `e.g. kubectl create secret generic ${alert.name}-webhook --from-literal=${key}=https://hooks.example.com/...`;
  if (alert.providerType !== undefined && (alert.secretName === undefined || alert.secretName.trim() === '')) {
    fail(owner, `'${property}.secretName' (${alert.secretName === undefined ? 'not set' : "''"}) is required: ${secretRule}`);
  }
  if (alert.secretName !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(alert.secretName)) {
    fail(owner, `'${property}.secretName' ('${alert.secretName}') must be a DNS subdomain (lower-case letters, digits, '-' and '.'): ${secretRule}`);
  }
  if (alert.secretKey !== undefined && !/^[-._a-zA-Z0-9]+$/.test(alert.secretKey)) {
    fail(owner, `'${property}.secretKey' ('${alert.secretKey}') must be a Secret key: letters, digits, '-', '_' and '.'`);
  }
  if (alert.providerName !== undefined) {
    checkDnsSubdomain(owner, `${property}.providerName`, alert.providerName);
  }
  if (alert.providerNamespace !== undefined) {
    checkDnsLabel(owner, `${property}.providerNamespace`, alert.providerNamespace);
  }
}

/** Every mistake of the explicit steps, each naming the step by its index in 'analysis.steps'. */
function checkSteps(owner: string, steps: RolloutStep[]): void {
  const errors = new DeclarationErrors();
  if (!steps.some((step) => step.kind === RolloutStepKind.SET_WEIGHT)) {
    errors.attempt(() => fail(owner, "'analysis.steps' must contain at least one RolloutStep.weight()"));
  }
  steps.forEach((step, i) => errors.attempt(() => checkStep(owner, `analysis.steps[${i}]`, step, errors)));
  // A route may be set again by a later step (to change it), but one name is one kind of route.
  const routes = steps.filter((step) => step.routeName !== undefined);
  const headerNames = new Set(routes.filter((s) => s.kind === RolloutStepKind.SET_HEADER_ROUTE).map((s) => s.routeName));
  const clash = routes.find((s) => s.kind === RolloutStepKind.SET_MIRROR_ROUTE && headerNames.has(s.routeName));
  if (clash) {
    errors.attempt(() => fail(owner, `'analysis.steps' uses the route name '${clash.routeName}' for a header route and a mirror route; give them different names`));
  }
  errors.throwIfAny();
}

function checkStep(owner: string, property: string, step: RolloutStep, errors: DeclarationErrors): void {
  switch (step.kind) {
    case RolloutStepKind.SET_WEIGHT:
      checkInteger(owner, `${property}.weight`, step.percentage!, 0, 100);
      return;
    case RolloutStepKind.PAUSE:
      if (step.duration !== undefined) checkWholeSeconds(owner, `${property}.duration`, step.duration, 1);
      return;
    case RolloutStepKind.SET_HEADER_ROUTE:
    case RolloutStepKind.SET_MIRROR_ROUTE:
      errors.attempt(() => checkDnsLabel(owner, `${property}.name`, step.routeName!));
      (step.match ?? []).forEach((match, j) => {
        if (!/^[A-Za-z0-9-]+$/.test(match.name)) {
          errors.attempt(() => fail(owner, `'${property}.match[${j}].name' ('${match.name}') must be an HTTP header name: letters, digits and '-'`));
        }
        if (match.kind === HeaderMatchKind.REGEX) errors.attempt(() => checkRe2(owner, `${property}.match[${j}].value`, match.value));
      });
      if (step.kind === RolloutStepKind.SET_HEADER_ROUTE && (step.match ?? []).length === 0) {
        fail(owner, `'${property}.match' must have at least one header: a header route without conditions would send every request to the canary`);
      }
      if (step.kind === RolloutStepKind.SET_MIRROR_ROUTE) checkInteger(owner, `${property}.percentage`, step.percentage!, 0, 100);
      return;
    case RolloutStepKind.SET_CANARY_SCALE: {
      const scale = step.scale!;
      const set = [scale.replicas !== undefined, scale.weight !== undefined, scale.matchTrafficWeight === true].filter(Boolean).length;
      if (set !== 1) {
        fail(owner, `'${property}' must set exactly one of 'replicas', 'weight' or 'matchTrafficWeight'`);
      }
      if (scale.replicas !== undefined) checkInteger(owner, `${property}.replicas`, scale.replicas, 0, 1000);
      if (scale.weight !== undefined) checkInteger(owner, `${property}.weight`, scale.weight, 0, 100);
      return;
    }
    case RolloutStepKind.ANALYSIS:
      return;
  }
}
