import { ApiObject, App, Chart } from 'cdk8s';
import { Combo, Layout, benchService, namespaceOf, serviceName } from './services';

/*
 * The baselines: the same objects without cdk8s-canary. The library synthesizes one service (named
 * TEMPLATE_NAME in TEMPLATE_NAMESPACE) once; its manifests, renamed, are what a team would
 * hand-write per service: object literals for `new ApiObject(...)` (the plain cdk8s baseline), or
 * for a YAML serializer alone (the floor).
 */

const TEMPLATE_NAME = 'tmplsvc';
const TEMPLATE_NAMESPACE = 'tmplns';

/** One manifest of the template; `shared` ones (the namespace add-ons) appear once per namespace. */
export interface TemplateEntry {
  readonly shared: boolean;
  readonly manifest: any;
}

/** The manifests of one service and its namespace add-ons, in the order the library emits them. */
export function makeTemplate(combo: Combo): TemplateEntry[] {
  const app = new App({ outdir: '/dev/null' });
  const chart = new Chart(app, 'template');
  benchService(chart, combo, TEMPLATE_NAME, TEMPLATE_NAMESPACE);
  return chart.toJson().map((manifest: any) => ({ shared: !JSON.stringify(manifest).includes(TEMPLATE_NAME), manifest }));
}

function rename(value: any, name: string, namespace: string): any {
  if (typeof value === 'string') {
    return value.split(TEMPLATE_NAME).join(name).split(TEMPLATE_NAMESPACE).join(namespace);
  }
  if (Array.isArray(value)) {
    return value.map((v) => rename(v, name, namespace));
  }
  if (value !== null && typeof value === 'object') {
    const out: any = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = rename(v, name, namespace);
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
 * The manifests of N services, renamed from the template and grouped by chart exactly as the
 * library groups them (the add-ons of a namespace come with its first service).
 */
export function plainManifests(template: TemplateEntry[], layout: Layout, n: number): PlainChart[] {
  const charts: PlainChart[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const name = serviceName(i);
    const namespace = namespaceOf(i);
    const first = !seen.has(namespace);
    seen.add(namespace);
    if (layout === 'chart-per-service' || charts.length === 0) {
      charts.push({ chart: layout === 'one-chart' ? 'services' : name, manifests: [] });
    }
    const target = charts[charts.length - 1].manifests;
    for (const entry of template) {
      if (entry.shared && !first) continue;
      target.push(rename(entry.manifest, name, namespace));
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
