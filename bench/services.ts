import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { podinfo } from '../examples/shared/podinfo';
import {
  ApplicationMetrics, CanaryService, DeliveryEngine, DeliveryStrategy, GatewayMetrics, GitOps, IPrometheus, ITrafficRouter, RolloutWorkloadMode,
  TrafficRouter,
} from '../src';

/** The engines the benchmark synthesizes. */
export const ENGINES = ['flagger', 'argo'] as const;
export type Engine = typeof ENGINES[number];

/** The routers the benchmark synthesizes. */
export const ROUTERS = ['traefik', 'istio', 'gateway-api', 'replica-ratio'] as const;
export type Router = typeof ROUTERS[number];

/** Every engine x router combination, `<engine>-<router>`. */
export const COMBOS = ['flagger-traefik', 'flagger-istio', 'flagger-gateway-api', 'flagger-replica-ratio',
  'argo-traefik', 'argo-istio', 'argo-gateway-api', 'argo-replica-ratio'] as const;
export type Combo = typeof COMBOS[number];

/** The two ways an organisation lays its services out in a cdk8s app. */
export const LAYOUTS = ['one-chart', 'chart-per-service'] as const;
export type Layout = typeof LAYOUTS[number];

/**
 * Services per namespace. A real organisation gives each team a namespace and runs several
 * services in it (rather than one namespace per service, or one for everyone), so the namespace
 * add-ons (loadtester, Prometheus) are shared by the team's services. Both layouts use the same
 * namespaces, so they synthesize exactly the same objects and differ only in how they are split
 * into charts and files.
 */
export const SERVICES_PER_NAMESPACE = 10;

/** Name of the i-th service: `svc-0000`, `svc-0001`, ... */
export function serviceName(i: number): string {
  return `svc-${String(i).padStart(4, '0')}`;
}

/** Namespace of the i-th service: `team-000` for the first ten, `team-001` for the next ten, ... */
export function namespaceOf(i: number): string {
  return `team-${String(Math.floor(i / SERVICES_PER_NAMESPACE)).padStart(3, '0')}`;
}

function routerOf(combo: Combo, name: string): ITrafficRouter {
  const hosts = [`${name}.example.com`];
  const router = combo.slice(combo.indexOf('-') + 1) as Router;
  switch (router) {
    case 'traefik': return TrafficRouter.traefik({ hosts, entryPoints: ['web'] });
    case 'istio': return TrafficRouter.istio({ hosts });
    case 'gateway-api': return TrafficRouter.gatewayApi({ hosts, metrics: GatewayMetrics.istio() });
    case 'replica-ratio': return TrafficRouter.replicaRatio({ hosts, metrics: ApplicationMetrics.httpHistogram({ port: 9898 }) });
  }
}

/** Variations of the benchmark's declaration (the benchmark itself uses none). */
export interface BenchServiceOptions {
  /** @default - the embedded Prometheus of the namespace */
  readonly prometheus?: IPrometheus;
  /** @default GitOps.argoCd() - Argo Rollouts needs the choice; it adds nothing to the objects */
  readonly gitOps?: GitOps;
  /** Argo Rollouts: the pod template inline in the Rollout. @default - the Rollout references the Deployment */
  readonly inlineTemplate?: boolean;
  /** @default - none */
  readonly envFrom?: kplus.EnvFrom[];
}

/**
 * The declaration of examples/shared/podinfo.ts, with its own name, namespace and host, so that
 * many fit in one app. Flagger runs only blue/green with the replica-ratio router (a weighted
 * canary needs a router), so that combination is blue/green; every other one is the example's
 * weighted canary.
 */
export function benchService(scope: Chart, combo: Combo, name: string, namespace: string, options: BenchServiceOptions = {}): CanaryService {
  const strategy = combo === 'flagger-replica-ratio' ? DeliveryStrategy.blueGreen() : undefined;
  const engine = combo.startsWith('flagger-') ? DeliveryEngine.flagger()
    : options.inlineTemplate ? DeliveryEngine.argoRollouts({ workloadMode: RolloutWorkloadMode.INLINE_TEMPLATE }) : DeliveryEngine.argoRollouts();
  const { prometheus, gitOps, envFrom } = options;
  return podinfo(scope, engine, routerOf(combo, name), { name, namespace, prometheus, gitOps: gitOps ?? GitOps.argoCd(), envFrom, strategy });
}

/** The chart of service i: the one chart, or a chart of its own named after the service. */
export function chartFor(app: App, layout: Layout, i: number, charts: Chart[]): Chart {
  if (layout === 'one-chart') {
    if (charts.length === 0) charts.push(new Chart(app, 'services'));
    return charts[0];
  }
  const chart = new Chart(app, serviceName(i));
  charts.push(chart);
  return chart;
}

/** N CanaryServices of `combo` in `layout`. */
export function buildServices(app: App, combo: Combo, layout: Layout, n: number): void {
  const charts: Chart[] = [];
  for (let i = 0; i < n; i++) {
    benchService(chartFor(app, layout, i, charts), combo, serviceName(i), namespaceOf(i));
  }
}
