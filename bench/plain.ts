import { ApiObject, App, Chart } from 'cdk8s';
import { Combo, Layout, SERVICES_PER_NAMESPACE, benchService, namespaceOf, serviceName } from './services';

/*
 * The baselines: the same objects without cdk8s-canary. The library synthesizes one namespace of
 * services (named tmpl<j>svc in TEMPLATE_NAMESPACE) once per namespace size; its manifests, renamed,
 * are what a team would hand-write per namespace: object literals for `new ApiObject(...)` (the
 * plain cdk8s baseline), or for a YAML serializer alone (the floor).
 */

const TEMPLATE_NAMESPACE = 'tmplns';

/** Name of the j-th service of a template namespace (j < 10): no name contains another. */
function templateName(j: number): string {
  return `tmpl${j}svc`;
}

/** One manifest of a template namespace: owned by the template service `owner`, or (-1) shared by the namespace. */
export interface TemplateEntry {
  readonly owner: number;
  readonly manifest: any;
}

/**
 * The manifests of one namespace of `size` services and its add-ons, in the order the library emits
 * them. The add-ons list what the namespace's services need (the loadtester's egress, the series
 * Prometheus keeps), so a namespace is the unit a team would copy, not a service.
 */
export function makeTemplate(combo: Combo, size: number): TemplateEntry[] {
  const app = new App({ outdir: '/dev/null' });
  const chart = new Chart(app, 'template');
  for (let j = 0; j < size; j++) benchService(chart, combo, templateName(j), TEMPLATE_NAMESPACE);
  // The services' chart first, then the namespace's shared add-ons, which the library puts in a chart of their own.
  return app.charts.flatMap((c) => c.toJson()).map((manifest: any) => {
    const name = String(manifest.metadata?.name ?? '');
    const owner = [...Array(size).keys()].find((j) => name.includes(templateName(j)));
    return { owner: owner ?? -1, manifest };
  });
}

function rename(value: any, names: string[], namespace: string): any {
  if (typeof value === 'string') {
    return names.reduce((text, name, j) => text.split(templateName(j)).join(name), value).split(TEMPLATE_NAMESPACE).join(namespace);
  }
  if (Array.isArray(value)) {
    return value.map((v) => rename(v, names, namespace));
  }
  if (value !== null && typeof value === 'object') {
    const out: any = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = rename(v, names, namespace);
    }
    return out;
  }
  return value;
}

/** The manifests of one file: the chart `chart` of the layout. */
export interface PlainChart {
  readonly chart: string;
  readonly manifests: any[];
}

/**
 * The manifests of N services, renamed from the template of their namespace's size and grouped by
 * chart exactly as the library groups them (the add-ons of a namespace in its chart `canary-shared-<namespace>`).
 */
export function plainManifests(templates: { [size: number]: TemplateEntry[] }, layout: Layout, n: number): PlainChart[] {
  const charts: PlainChart[] = [];
  const chartOf = new Map<string, PlainChart>();
  for (let first = 0; first < n; first += SERVICES_PER_NAMESPACE) {
    const size = Math.min(SERVICES_PER_NAMESPACE, n - first);
    const names = [...Array(size).keys()].map((j) => serviceName(first + j));
    for (const { owner, manifest } of templates[size]) {
      const id = owner < 0 ? `canary-shared-${namespaceOf(first)}` : layout === 'one-chart' ? 'services' : names[owner];
      let chart = chartOf.get(id);
      if (!chart) {
        chart = { chart: id, manifests: [] };
        chartOf.set(id, chart);
        charts.push(chart);
      }
      chart.manifests.push(rename(manifest, names, namespaceOf(first)));
    }
  }
  return charts;
}

/** Declares the manifests as plain `ApiObject`s, one Chart per `PlainChart`. */
export function buildPlain(app: App, charts: PlainChart[]): void {
  for (const { chart: id, manifests } of charts) {
    const chart = new Chart(app, id);
    manifests.forEach((manifest, j) => new ApiObject(chart, `o${j}`, manifest));
  }
}
