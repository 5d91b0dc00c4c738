import { Manifest, ObjectIndex, groupOf, parseYamlDocuments } from './manifests';
import { PrometheusKnowledge, SeriesLabelling, seriesLabelling } from './monitoring';
import { parseGoDuration } from '../../analysis/load-command';
import { EXPECTATION_ANNOTATIONS } from '../expectation-keys';

/** What a declaration (or a hand-written manifest) says its rehearsal must show, read from annotations. */
export interface DeclaredExpectations {
  /** User requests per second the service gets (the scenarios' traffic). */
  readonly usersPerSecond?: number;
  /** A bad version is stopped within this many seconds of its first request. */
  readonly stopsBadWithinSeconds?: number;
  /** A bad version never gets more than this share of the traffic, in percent. */
  readonly maxBadWeight?: number;
  /** At most this share of healthy releases is rolled back (0-1). */
  readonly maxFalseAlarmRate?: number;
  /** At most this share of bad releases is promoted (0-1). */
  readonly maxMissRate?: number;
  /** Releases run only while users send requests: the night scenario does not apply. */
  readonly requiresUserTraffic?: boolean;
  /** Annotations whose value the rehearsal cannot read: each fails the rehearsal. */
  readonly errors: string[];
}

/** One release a controller runs: a Flagger Canary or an Argo Rollout, with the objects it uses. */
export interface Release {
  readonly engine: 'flagger' | 'argo-rollouts';
  readonly name: string;
  readonly namespace: string;
  /** The Canary or the Rollout. */
  readonly controllerObject: Manifest;
  /** The pod template of the service (the Deployment's, or the Rollout's own). */
  readonly podTemplate?: Manifest;
  /** The Deployment the Canary targets or the Rollout references, when it is in the manifests. */
  readonly workload?: Manifest;
  /** The autoscaler of the service, when it is in the manifests. */
  readonly autoscaler?: Manifest;
  /** Every object read, for lookups (templates, Services, routes). */
  readonly index: ObjectIndex;
  /** The scrape interval of the Prometheus the checks query, in seconds. */
  readonly scrapeIntervalSeconds: number;
  /** Whether the scrape interval was read from the manifests (else the default was assumed). */
  readonly scrapeIntervalKnown: boolean;
  /** How the Prometheus the checks query labels the series of the release's pods and router. */
  readonly labelling: SeriesLabelling;
  /** What the rehearsal assumed of that Prometheus, for the report. */
  readonly labellingAssumptions: string[];
  /** What the release says its rehearsal must show. */
  readonly expectations: DeclaredExpectations;
  /** Why parts of the release cannot be rehearsed as written (missing objects). */
  readonly problems: string[];
  /**
   * Flagger: the provider in force, the Canary's `spec.provider`, else Flagger's `-mesh-provider`
   * flag (scheduler.go:177-180 @v1.44.0).
   */
  readonly provider?: string;
  /** Flagger: its `-mesh-provider` flag (cmd/flagger/main.go:115, default `istio`). */
  readonly meshProvider?: string;
}

/** Flagger's `-mesh-provider` default (cmd/flagger/main.go:115 @v1.44.0; the chart sets it only when `meshProvider` is given). */
export const DEFAULT_MESH_PROVIDER = 'istio';

/** The values of Flagger's `-mesh-provider` flag (cmd/flagger/main.go:115 @v1.44.0). */
export const MESH_PROVIDERS = ['apisix', 'appmesh', 'appmesh:v1beta2', 'contour', 'gatewayapi:v1', 'gatewayapi:v1beta1', 'gloo', 'istio', 'knative', 'kubernetes',
  'kuma', 'linkerd', 'nginx', 'osm', 'skipper', 'smi:v1alpha1', 'smi:v1alpha2', 'smi:v1alpha3', 'traefik'];

/** The scrape interval assumed when the manifests do not hold the Prometheus configuration. */
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 15;

/**
 * Every Flagger Canary and Argo Rollout of the objects, with what each uses. `meshProvider` is
 * Flagger's `-mesh-provider` flag, the provider of a Canary without `spec.provider`.
 */
export function findReleases(objects: Manifest[], meshProvider = DEFAULT_MESH_PROVIDER, prometheusOf: PrometheusOf = () => undefined): Release[] {
  const index = new ObjectIndex(objects);
  const releases: Release[] = [];
  const seen = new Set<string>();
  for (const object of objects) {
    const group = groupOf(object.apiVersion);
    // The same object twice (e.g. a folder and a file of it) is one release; the first is read.
    const key = `${object.kind}/${object.metadata?.namespace}/${object.metadata?.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (group === 'flagger.app' && object.kind === 'Canary') releases.push(flaggerRelease(object, index, meshProvider, prometheusOf));
    if (group === 'argoproj.io' && object.kind === 'Rollout') releases.push(argoRelease(object, index, prometheusOf));
  }
  for (const duplicate of index.duplicates) {
    const problem = `the manifests hold two different objects ${duplicate}, which cannot be applied together: the rehearsal reads the first`;
    releases.forEach((release) => release.problems.push(problem));
  }
  return releases.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

function flaggerRelease(canary: Manifest, index: ObjectIndex, meshProvider: string, prometheusOf: PrometheusOf): Release {
  const namespace = canary.metadata?.namespace ?? 'default';
  const problems: string[] = [];
  // scheduler.go:177-180: an empty spec.provider means the controller's -mesh-provider flag.
  const provider: string = canary.spec?.provider || meshProvider;
  if (!canary.spec?.provider) {
    problems.push(`the Canary sets no spec.provider: Flagger uses its -mesh-provider flag (default istio, cmd/flagger/main.go:115), and the rehearsal assumes '${meshProvider}' (--mesh-provider to change)`);
  }
  const targetRef = canary.spec?.targetRef ?? {};
  const workload = index.get(targetRef.kind ?? 'Deployment', namespace, targetRef.name);
  if (!workload) problems.push(`the target ${targetRef.kind ?? 'Deployment'} '${targetRef.name}' is not in the manifests: the rehearsal assumes its pods have no sidecar and serve podinfo's metrics`);
  const autoscaler = canary.spec?.autoscalerRef ? index.get('HorizontalPodAutoscaler', namespace, canary.spec.autoscalerRef.name) : undefined;
  for (const metric of canary.spec?.analysis?.metrics ?? []) {
    const ref = metric.templateRef;
    if (ref && !index.get('MetricTemplate', ref.namespace || namespace, ref.name)) {
      problems.push(`the metric '${metric.name}' uses the MetricTemplate ${ref.namespace || namespace}/${ref.name}, which is not in the manifests`);
    }
  }
  return {
    engine: 'flagger',
    name: canary.metadata?.name,
    namespace,
    controllerObject: canary,
    podTemplate: workload?.spec?.template,
    workload,
    autoscaler,
    index,
    ...monitoring(index, namespace, canary.metadata?.name, prometheusOf),
    expectations: expectationsOf(canary),
    problems,
    provider,
    meshProvider,
  };
}

function argoRelease(rollout: Manifest, index: ObjectIndex, prometheusOf: PrometheusOf): Release {
  const namespace = rollout.metadata?.namespace ?? 'default';
  const problems: string[] = [];
  const ref = rollout.spec?.workloadRef;
  const workload = ref ? index.get(ref.kind ?? 'Deployment', namespace, ref.name) : undefined;
  if (ref && !workload) problems.push(`the workload ${ref.kind} '${ref.name}' is not in the manifests: the rehearsal assumes its pods have no sidecar and serve podinfo's metrics`);
  const autoscaler = index.all('HorizontalPodAutoscaler', namespace)
    .find((hpa) => hpa.spec?.scaleTargetRef?.kind === 'Rollout' && hpa.spec?.scaleTargetRef?.name === rollout.metadata?.name);
  for (const reference of analysisReferences(rollout)) {
    for (const template of reference.templates ?? []) {
      if (!findAnalysisTemplate(index, namespace, template)) {
        problems.push(`the ${template.clusterScope ? 'ClusterAnalysisTemplate' : 'AnalysisTemplate'} '${template.templateName}' is not in the manifests`);
      }
    }
  }
  return {
    engine: 'argo-rollouts',
    name: rollout.metadata?.name,
    namespace,
    controllerObject: rollout,
    podTemplate: rollout.spec?.template ?? workload?.spec?.template,
    workload,
    autoscaler,
    index,
    ...monitoring(index, namespace, rollout.metadata?.name, prometheusOf),
    expectations: expectationsOf(rollout),
    problems: [...new Set(problems)],
  };
}

/** Every `RolloutAnalysis` of a Rollout: background, steps, blue/green pre- and post-promotion. */
export function analysisReferences(rollout: Manifest): any[] {
  const canary = rollout.spec?.strategy?.canary;
  const blueGreen = rollout.spec?.strategy?.blueGreen;
  return [
    canary?.analysis,
    ...(canary?.steps ?? []).map((step: any) => step.analysis),
    blueGreen?.prePromotionAnalysis,
    blueGreen?.postPromotionAnalysis,
  ].filter((reference) => reference !== undefined);
}

/** The AnalysisTemplate (or ClusterAnalysisTemplate) a reference names. */
export function findAnalysisTemplate(index: ObjectIndex, namespace: string, reference: any): Manifest | undefined {
  return reference.clusterScope
    ? index.get('ClusterAnalysisTemplate', undefined, reference.templateName)
    : index.get('AnalysisTemplate', namespace, reference.templateName);
}

/** What is known of the Prometheus of a release, by its namespace and name. */
export type PrometheusOf = (namespace: string, name: string) => PrometheusKnowledge | undefined;

/** How the series of a release are labelled, and the scrape interval: its pods' PodMonitor's, else the embedded Prometheus's. */
function monitoring(index: ObjectIndex, namespace: string, name: string, prometheusOf: PrometheusOf) {
  const labellingAssumptions: string[] = [];
  const labelling = seriesLabelling(index, namespace, name, prometheusOf(namespace, name), labellingAssumptions);
  const interval = labelling.intervalSeconds !== undefined
    ? { scrapeIntervalSeconds: labelling.intervalSeconds, scrapeIntervalKnown: true }
    : scrapeInterval(index, namespace);
  return { ...interval, labelling, labellingAssumptions };
}

/** The global scrape interval of a Prometheus configuration (a ConfigMap with `prometheus.yml`) in the namespace. */
function scrapeInterval(index: ObjectIndex, namespace: string): { scrapeIntervalSeconds: number; scrapeIntervalKnown: boolean } {
  for (const configMap of index.all('ConfigMap', namespace)) {
    const text = configMap.data?.['prometheus.yml'];
    if (typeof text !== 'string') continue;
    const config = parseYaml(text);
    const seconds = parseGoDuration(String(config?.global?.scrape_interval ?? '1m'));
    if (seconds !== undefined && seconds > 0) return { scrapeIntervalSeconds: seconds, scrapeIntervalKnown: true };
  }
  return { scrapeIntervalSeconds: DEFAULT_SCRAPE_INTERVAL_SECONDS, scrapeIntervalKnown: false };
}

function parseYaml(text: string): any {
  try {
    return parseYamlDocuments(text)[0];
  } catch {
    return undefined;
  }
}

/**
 * The expectations a Canary or Rollout states in its annotations. A value the rehearsal cannot read
 * is an error (it cannot check what it cannot read), never a silent default.
 */
export function expectationsOf(object: Manifest): DeclaredExpectations {
  const annotations: { [key: string]: string } = object.metadata?.annotations ?? {};
  const errors: string[] = [];
  const read = <T>(key: string, parse: (text: string) => T | undefined, allowed: string): T | undefined => {
    const text = annotations[key];
    if (text === undefined) return undefined;
    const value = parse(String(text).trim());
    if (value === undefined) errors.push(`the annotation '${key}' (${text}) must be ${allowed}`);
    return value;
  };
  const number = (min: number, max: number) => (text: string) => {
    const n = text === '' ? NaN : Number(text);
    return Number.isFinite(n) && n >= min && n <= max ? n : undefined;
  };
  // A share is a percentage, with or without the sign: '5%' and '5' are both 5 %.
  const share = (text: string) => {
    const n = number(0, 100)(text.endsWith('%') ? text.slice(0, -1).trim() : text);
    return n === undefined ? undefined : n / 100;
  };
  const duration = (text: string) => {
    const seconds = parseGoDuration(text);
    return seconds !== undefined && seconds > 0 ? seconds : undefined;
  };
  const flag = (text: string) => (text === 'true' ? true : text === 'false' ? false : undefined);
  return {
    usersPerSecond: read(EXPECTATION_ANNOTATIONS.usersPerSecond, number(0, Infinity), 'a number of requests per second, 0 or more'),
    stopsBadWithinSeconds: read(EXPECTATION_ANNOTATIONS.stopsBadWithin, duration, 'a duration longer than 0 such as 90s or 5m'),
    maxBadWeight: read(EXPECTATION_ANNOTATIONS.maxBadWeight, number(0, 100), 'a percentage from 0 to 100'),
    maxFalseAlarmRate: read(EXPECTATION_ANNOTATIONS.maxFalseAlarms, share, 'a percentage from 0 to 100, such as 5%'),
    maxMissRate: read(EXPECTATION_ANNOTATIONS.maxMisses, share, 'a percentage from 0 to 100, such as 5%'),
    requiresUserTraffic: read(EXPECTATION_ANNOTATIONS.requiresUserTraffic, flag, "'true' or 'false'"),
    errors,
  };
}
