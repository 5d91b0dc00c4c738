import { App, Chart } from 'cdk8s';
import { podinfo } from '../examples/shared/podinfo';
import { CanaryService, DeliveryEngine, IDeliveryEngine, IPrometheus, ITrafficRouter, TrafficRouter } from '../src';

/** The engine x router combinations the benchmark synthesizes. */
export const COMBOS = ['flagger-traefik', 'argo-istio'] as const;
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

function engineOf(combo: Combo): IDeliveryEngine {
  return combo === 'flagger-traefik' ? DeliveryEngine.flagger() : DeliveryEngine.argoRollouts();
}

function routerOf(combo: Combo, name: string): ITrafficRouter {
  const hosts = [`${name}.example.com`];
  return combo === 'flagger-traefik' ? TrafficRouter.traefik({ hosts, entryPoints: ['web'] }) : TrafficRouter.istio({ hosts });
}

/** The declaration of examples/shared/podinfo.ts, with its own name, namespace and host, so that many fit in one app. */
export function benchService(scope: Chart, combo: Combo, name: string, namespace: string, prometheus?: IPrometheus): CanaryService {
  return podinfo(scope, engineOf(combo), routerOf(combo, name), { name, namespace, prometheus });
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
