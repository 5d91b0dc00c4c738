import { IstioSource, PodIdentity, UNKNOWN_SOURCE } from './shapes';
import { Manifest } from '../objects/manifests';
import { EMBEDDED_LABELLING, SeriesLabelling } from '../objects/monitoring';
import { Release } from '../objects/releases';

/** What the controller has set at a moment, in terms every router understands. */
export interface RoutingState {
  /** Share of weighted traffic to the new version, in percent. */
  readonly canaryWeight: number;
  /** Flagger A/B: requests matching `analysis.match` go to the canary. */
  readonly matchToCanary: boolean;
  /** Argo Rollouts: the managed header routes in force, by name, with their matches. */
  readonly headerRoutes: ReadonlyArray<{ readonly name: string; readonly match: any[] }>;
  /** Share of the traffic copied to the new version (its answers dropped), in percent. */
  readonly mirrorPercent: number;
  /** Available pods of the new version. */
  readonly newPods: number;
  /** Available pods of the version that served before the release. */
  readonly stablePods: number;
  /** Flagger: the primary runs the new version (after promotion). */
  readonly primaryIsNew: boolean;
  /** Argo blue/green: the active Service selects the new ReplicaSet. */
  readonly activeIsNew: boolean;
  /** Argo: the new ReplicaSet is the stable one (fully promoted). */
  readonly stableIsNew: boolean;
}

export const INITIAL_ROUTING: RoutingState = Object.freeze({
  canaryWeight: 0,
  matchToCanary: false,
  headerRoutes: [],
  mirrorPercent: 0,
  newPods: 0,
  stablePods: 1,
  primaryIsNew: false,
  activeIsNew: false,
  stableIsNew: false,
});

/** The pods of one workload of the release. */
export interface PodGroup {
  /** `canary` / `primary` (Flagger), `new` / `old` (Argo Rollouts' ReplicaSets). */
  readonly id: string;
  readonly pod: PodIdentity;
  /** Whether its pods have an Istio sidecar (which reports what they receive). */
  readonly injected: boolean;
  /** Whether Prometheus scrapes the application's own metrics from its pods. */
  readonly scraped: boolean;
}

/** A place on a request's way that writes series. */
export type Observer =
  | { readonly kind: 'traefik'; readonly service: string }
  | {
    readonly kind: 'istio-source';
    readonly proxy: PodIdentity;
    readonly source: IstioSource;
    /** A router the release's Prometheus scrapes as such (a Gateway's proxies), labelled by its SeriesLabelling; else scraped by `job`. */
    readonly router: boolean;
    readonly job: string;
  };

/** Part of an entry's requests: where they end, and what recorded them on the way. */
export interface Flow {
  /** Share of the entry's requests, 0-1. */
  readonly share: number;
  /** The pods that answer; undefined when the requests reach a Service of another workload (e.g. a live Service behind a safety net). */
  readonly group?: PodGroup;
  /** The Service the requests were addressed to last (Istio's destination_service). */
  readonly service: string;
  readonly serviceNamespace: string;
  readonly observers: Observer[];
  /** The client as the destination's sidecar sees it. */
  readonly source: IstioSource;
  /** A mirrored copy: the answer is dropped, no user sees it. */
  readonly mirrored: boolean;
}

/** Where requests come in: a host through a proxy, or a Service called directly. */
export type Entry =
  | { readonly kind: 'host'; readonly host: string; readonly via?: 'traefik' | 'gateway' | 'istio-ingress'; readonly gateway?: string }
  | { readonly kind: 'service'; readonly name: string; readonly namespace: string; readonly mesh: boolean };

/** The request's identity for matching routes: its headers (lower-case names), or a user segment's match. */
export interface RequestIdentity {
  readonly headers: { readonly [name: string]: string };
  /** The match (Flagger `analysis.match` entry, Argo `setHeaderRoute.match`) a user segment satisfies, as JSON. */
  readonly matchKey?: string;
}

const ISTIO_INGRESS: PodIdentity = {
  name: 'istio-ingressgateway-7d8f9c6b5-xyz12', namespace: 'istio-system', labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' }, workload: 'istio-ingressgateway',
};

/** Canonical JSON of a match, for comparing matches by value. */
export function matchKey(match: any): string {
  const sort = (value: any): any => (Array.isArray(value) ? value.map(sort)
    : value && typeof value === 'object' ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, sort(value[k])])) : value);
  return JSON.stringify(sort(match));
}

/** Whether a string matches an Istio/Argo string match (`exact`, `prefix`, `suffix`, `regex`). */
function stringMatches(condition: any, value: string | undefined): boolean {
  if (value === undefined || condition === undefined || condition === null) return false;
  if (typeof condition === 'string') return value === condition;
  if (condition.exact !== undefined) return value === condition.exact;
  if (condition.prefix !== undefined) return value.startsWith(condition.prefix);
  if (condition.suffix !== undefined) return value.endsWith(condition.suffix);
  if (condition.regex !== undefined) {
    try {
      return new RegExp(`^(?:${condition.regex})$`).test(value);
    } catch {
      return false;
    }
  }
  return false;
}

/** Whether a request satisfies one Flagger/Istio match entry (`{headers: {name: {exact}}}`) or one Argo header-route match list. */
export function satisfies(request: RequestIdentity, match: any): boolean {
  if (request.matchKey !== undefined && request.matchKey === matchKey(match)) return true;
  if (Array.isArray(match)) {
    // Argo setHeaderRoute: every entry must hold (Istio ORs them per route; an entry of the list is one header).
    return match.length > 0 && match.some((m) => stringMatches(m.headerValue, request.headers[String(m.headerName).toLowerCase()]));
  }
  const headers = match?.headers ?? {};
  const names = Object.keys(headers);
  if (names.length === 0) return false;
  return names.every((name) => stringMatches(headers[name], request.headers[name.toLowerCase()]));
}

/** Where the parts of a weighted split go. */
interface Weighted {
  readonly weight: number;
  readonly resolve: () => Leg[];
}

/** A request on its way to a Service, with what recorded it so far. */
interface Leg {
  readonly share: number;
  readonly service: string;
  readonly namespace: string;
  /** Istio DestinationRule subset of the destination (`stable`, `canary`). */
  readonly subset?: string;
  readonly observers: Observer[];
  readonly source: IstioSource;
  readonly mirrored: boolean;
}

/** A leg as a flow, before its pods are known. */
function flowOf(leg: Leg): Flow {
  const { namespace, subset: _subset, ...rest } = leg;
  return { ...rest, serviceNamespace: namespace };
}

function split(parts: Weighted[]): Leg[] {
  const total = parts.reduce((sum, p) => sum + Math.max(0, p.weight), 0);
  if (total <= 0) return [];
  return parts.flatMap((p) => (p.weight <= 0 ? [] : p.resolve().map((leg) => ({ ...leg, share: leg.share * (p.weight / total) }))));
}

/**
 * The routing of one release: which Services and routes exist (in the manifests, and what the
 * controller creates: Flagger's Services, TraefikService, VirtualService, HTTPRoute), how the
 * controller's weights and routes split a host's or a Service's requests among the versions' pods,
 * and which proxies record them on the way (src/references/ lists the same objects per engine,
 * router and strategy).
 */
export class Topology {
  public readonly groups: PodGroup[];
  /** Flagger's provider (`traefik`, `istio`, `gatewayapi:v1`, `kubernetes`), or Argo's routing (`traefik`, `istio`, `gatewayapi`, `none`, `bluegreen`). */
  public readonly router: string;
  /** The name of the Services Flagger derives (`spec.service.name`), or the Rollout's name. */
  public readonly serviceName: string;
  /** Whether the service speaks gRPC (its port is named `grpc` or has appProtocol `grpc`). */
  public readonly grpc: boolean;
  /** Notes on what the rehearsal assumed. */
  public readonly notes: string[] = [];
  /** How the Prometheus the checks query labels the series of the release's pods and router. */
  public readonly labelling: SeriesLabelling;

  constructor(private readonly release: Release) {
    this.labelling = release.labelling ?? EMBEDDED_LABELLING;
    const object = release.controllerObject;
    const template = release.podTemplate;
    const labels: { [key: string]: string } = template?.metadata?.labels ?? {};
    const annotations: { [key: string]: string } = template?.metadata?.annotations ?? {};
    const namespaceObject = release.index.get('Namespace', undefined, release.namespace);
    const namespaceInjected = namespaceObject?.metadata?.labels?.['istio-injection'] === 'enabled' || namespaceObject?.metadata?.labels?.['istio.io/rev'] !== undefined;
    const explicitly = labels['sidecar.istio.io/inject'] ?? annotations['sidecar.istio.io/inject'];
    const istioRouted = release.engine === 'flagger' ? release.provider === 'istio' : object.spec?.strategy?.canary?.trafficRouting?.istio !== undefined;
    const injected = template ? explicitly === 'true' || (namespaceInjected && explicitly !== 'false') : istioRouted;
    const scraped = template ? annotations['prometheus.io/scrape'] === 'true' || injected : true;
    if (!template) this.notes.push(`the pod template is not in the manifests: assumed ${injected ? 'with' : 'without'} an Istio sidecar, with podinfo's metrics scraped`);

    if (release.engine === 'flagger') {
      const target = object.spec?.targetRef?.name ?? release.name;
      this.serviceName = object.spec?.service?.name ?? target;
      this.router = release.provider ?? 'istio';
      const port = object.spec?.service;
      this.grpc = port?.portName === 'grpc' || port?.appProtocol === 'grpc';
      const selectorLabel = ['app', 'name', 'app.kubernetes.io/name'].find((k) => labels[k] !== undefined) ?? 'app.kubernetes.io/name';
      this.groups = [
        { id: 'canary', pod: { name: `${target}-6c9f8d7b5-k2x4p`, namespace: release.namespace, labels, workload: target }, injected, scraped },
        {
          id: 'primary',
          pod: { name: `${target}-primary-58f9c7d6b-z8w2t`, namespace: release.namespace, labels: { ...labels, [selectorLabel]: `${labels[selectorLabel] ?? target}-primary` }, workload: `${target}-primary` },
          injected,
          scraped,
        },
      ];
    } else {
      const strategy = object.spec?.strategy ?? {};
      const routing = strategy.canary?.trafficRouting ?? {};
      this.serviceName = release.name;
      this.router = strategy.blueGreen ? 'bluegreen' : routing.traefik ? 'traefik' : routing.istio ? 'istio' : Object.keys(routing.plugins ?? {}).some((p) => /gateway/i.test(p)) ? 'gatewayapi' : 'none';
      const service = this.serviceOf(strategy.canary?.canaryService ?? strategy.blueGreen?.previewService ?? release.name);
      const portSpec = service?.spec?.ports?.[0];
      this.grpc = portSpec?.name === 'grpc' || String(portSpec?.name ?? '').startsWith('grpc-') || portSpec?.appProtocol === 'grpc';
      this.groups = [
        { id: 'new', pod: { name: `${release.name}-${NEW_HASH}-q4w8e`, namespace: release.namespace, labels: { ...labels, 'rollouts-pod-template-hash': NEW_HASH }, workload: release.name }, injected, scraped },
        { id: 'old', pod: { name: `${release.name}-${OLD_HASH}-r5t7y`, namespace: release.namespace, labels: { ...labels, 'rollouts-pod-template-hash': OLD_HASH }, workload: release.name }, injected, scraped },
      ];
    }
  }

  public group(id: string): PodGroup {
    return this.groups.find((g) => g.id === id)!;
  }

  /** Whether a group's pods run the new version in this state. */
  public isNew(group: PodGroup, state: RoutingState): boolean {
    if (group.id === 'canary' || group.id === 'new') return true;
    return group.id === 'primary' ? state.primaryIsNew : false;
  }

  /** How many of a group's pods are available. */
  public podsOf(group: PodGroup, state: RoutingState): number {
    return group.id === 'canary' || group.id === 'new' ? state.newPods : state.stablePods;
  }

  private serviceOf(name: string, namespace = this.release.namespace): Manifest | undefined {
    return this.release.index.get('Service', namespace, name);
  }

  /** The port of a Service (its first), as routes address it. */
  private portOf(name: string): number {
    if (this.release.engine === 'flagger' && [this.serviceName, `${this.serviceName}-primary`, `${this.serviceName}-canary`].includes(name)) {
      return this.release.controllerObject.spec?.service?.port ?? 80;
    }
    return this.serviceOf(name)?.spec?.ports?.[0]?.port ?? 80;
  }

  /** The hosts users reach the service at, through a proxy; the shortest first (a `managed.` or `preview.` host is for tests). */
  public userHosts(): string[] {
    const ns = this.release.namespace;
    const hosts = new Set<string>();
    const spec = this.release.controllerObject.spec ?? {};
    if (this.release.engine === 'flagger' && this.router !== 'traefik' && this.router !== 'kubernetes') (spec.service?.hosts ?? []).forEach((h: string) => hosts.add(h));
    for (const route of this.release.index.all('IngressRoute', ns)) {
      for (const r of route.spec?.routes ?? []) hostsOfRule(r.match).forEach((h) => hosts.add(h));
    }
    for (const vs of this.release.index.all('VirtualService', ns)) {
      if ((vs.spec?.gateways ?? []).some((g: string) => g !== 'mesh')) (vs.spec?.hosts ?? []).filter((h: string) => h.includes('.')).forEach((h: string) => hosts.add(h));
    }
    for (const route of this.release.index.all('HTTPRoute', ns)) (route.spec?.hostnames ?? []).forEach((h: string) => hosts.add(h));
    for (const ingress of this.release.index.all('Ingress', ns)) (ingress.spec?.rules ?? []).forEach((r: any) => r.host && hosts.add(r.host));
    const reaching = [...hosts].filter((host) => this.flows({ kind: 'host', host }, { headers: {} }, { ...INITIAL_ROUTING, newPods: 1, canaryWeight: 50 })
      .some((f) => f.group !== undefined));
    return reaching.sort((a, b) => a.length - b.length || a.localeCompare(b));
  }

  /** Where users come in: the shortest host of the routes that reach the service, else the service's own Service (in the mesh, when its pods have sidecars). */
  public usersEntry(): Entry {
    const hosts = this.userHosts();
    if (hosts.length > 0) return { kind: 'host', host: hosts[0] };
    const name = this.router === 'bluegreen' ? this.release.controllerObject.spec.strategy.blueGreen.activeService : this.serviceName;
    return { kind: 'service', name, namespace: this.release.namespace, mesh: this.groups[0].injected };
  }

  /** The requests of an entry, split among the pods that answer them, with what records them. */
  public flows(entry: Entry, request: RequestIdentity, state: RoutingState): Flow[] {
    const legs = entry.kind === 'host' ? this.hostLegs(entry, request, state) : this.serviceLegs(entry.name, entry.namespace, entry.mesh, request, state, [], UNKNOWN_SOURCE);
    return legs.flatMap((leg) => this.podsBehind(leg, state));
  }

  private hostLegs(entry: Extract<Entry, { kind: 'host' }>, request: RequestIdentity, state: RoutingState): Leg[] {
    const ns = this.release.namespace;
    const host = entry.host;
    if (entry.via === undefined || entry.via === 'traefik') {
      const routes = this.release.index.all('IngressRoute').flatMap((ir) => (ir.spec?.routes ?? [])
        .filter((r: any) => hostsOfRule(r.match).includes(host))
        .map((r: any) => ({ ir, route: r, priority: r.priority ?? String(r.match).length })));
      if (routes.length > 0) {
        const best = routes.reduce((a, b) => (b.priority > a.priority ? b : a));
        const routeNs = best.ir.metadata?.namespace ?? ns;
        return split((best.route.services ?? []).map((s: any) => ({
          weight: s.weight ?? 1,
          resolve: () => this.traefikTarget(s, routeNs, state),
        })));
      }
      if (entry.via === 'traefik') return [];
    }
    if (entry.via === undefined || entry.via === 'gateway') {
      const routes = this.httpRoutes().filter((r) => (r.spec?.hostnames ?? []).includes(host)
        && (entry.gateway === undefined || (r.spec?.parentRefs ?? []).some((p: any) => p.name === entry.gateway)));
      if (routes.length > 0) {
        const route = routes[0];
        const parent = route.spec?.parentRefs?.[0] ?? {};
        const gatewayNs = parent.namespace ?? route.metadata?.namespace ?? ns;
        const proxy: PodIdentity = {
          name: `${parent.name}-istio-7c9d8f6b5-abcde`,
          namespace: gatewayNs,
          labels: { 'gateway.networking.k8s.io/gateway-name': parent.name, 'service.istio.io/canonical-name': `${parent.name}-istio` },
          workload: `${parent.name}-istio`,
        };
        const gateway = this.release.index.get('Gateway', gatewayNs, parent.name);
        const istio = gateway === undefined || gateway.spec?.gatewayClassName === 'istio';
        const source: IstioSource = { workload: `${parent.name}-istio`, namespace: gatewayNs, canonicalService: `${parent.name}-istio`, cluster: 'Kubernetes' };
        const observers: Observer[] = istio ? [{ kind: 'istio-source', proxy, router: true, job: this.labelling.routerJob(gatewayNs), source }] : [];
        return this.httpRouteLegs(route, request, state)
          .map((leg) => ({ ...leg, observers: [...observers, ...leg.observers], source: istio ? source : UNKNOWN_SOURCE }));
      }
      if (entry.via === 'gateway') return [];
    }
    // A Kubernetes Ingress: its controller is not modelled (no series of its own); the request goes to the rule's Service.
    const ingress = this.release.index.all('Ingress')
      .flatMap((i) => (i.spec?.rules ?? []).filter((r: any) => r.host === host).map((r: any) => ({ i, r })))[0];
    const backend = ingress?.r.http?.paths?.[0]?.backend?.service?.name;
    if (backend) {
      return [{ share: 1, service: backend, namespace: ingress.i.metadata?.namespace ?? ns, observers: [], source: UNKNOWN_SOURCE, mirrored: false }];
    }
    const services = this.virtualServices().filter((vs) => (vs.spec?.hosts ?? []).includes(host) && (vs.spec?.gateways ?? []).some((g: string) => g !== 'mesh'));
    if (services.length > 0) {
      const source: IstioSource = { workload: ISTIO_INGRESS.workload, namespace: ISTIO_INGRESS.namespace, canonicalService: ISTIO_INGRESS.workload, cluster: 'Kubernetes' };
      const observers: Observer[] = [{ kind: 'istio-source', proxy: ISTIO_INGRESS, router: false, job: 'kubernetes-pods', source }];
      return this.virtualServiceLegs(services[0], request, state).map((leg) => ({ ...leg, observers: [...observers, ...leg.observers], source }));
    }
    return [];
  }

  /** A service of an IngressRoute or TraefikService: a Service (recorded by Traefik) or a TraefikService (weighted). */
  private traefikTarget(target: any, namespace: string, state: RoutingState): Leg[] {
    const ns = target.namespace ?? namespace;
    if ((target.kind ?? 'Service') === 'Service') {
      const port = target.port ?? this.portOf(target.name);
      return [{ share: 1, service: target.name, namespace: ns, observers: [{ kind: 'traefik', service: `${ns}-${target.name}-${port}@kubernetescrd` }], source: UNKNOWN_SOURCE, mirrored: false }];
    }
    const object = this.release.index.get('TraefikService', ns, target.name);
    const spec = this.release.controllerObject.spec ?? {};
    if (this.release.engine === 'flagger' && this.router === 'traefik' && target.name === this.serviceName && ns === this.release.namespace) {
      // Flagger's TraefikService <apex>: the primary and canary Services by the canary weight (pkg/router/traefik.go).
      const port = spec.service?.port ?? 80;
      return split([
        { weight: 100 - state.canaryWeight, resolve: () => this.traefikTarget({ name: `${this.serviceName}-primary`, port }, ns, state) },
        { weight: state.canaryWeight, resolve: () => this.traefikTarget({ name: `${this.serviceName}-canary`, port }, ns, state) },
      ]);
    }
    const canary = spec.strategy?.canary ?? {};
    if (this.release.engine === 'argo-rollouts' && canary.trafficRouting?.traefik?.weightedTraefikServiceName === target.name && ns === this.release.namespace) {
      // Argo Rollouts sets the weights of the stable and canary Services (rollout/trafficrouting/traefik).
      return split((object?.spec?.weighted?.services ?? []).map((s: any) => ({
        weight: s.name === canary.canaryService ? state.canaryWeight : 100 - state.canaryWeight,
        resolve: () => this.traefikTarget(s, ns, state),
      })));
    }
    if (object === undefined) return [];
    const services: any[] = object.spec?.weighted?.services ?? [];
    return split(services.map((s) => ({ weight: s.weight ?? 1, resolve: () => this.traefikTarget(s, ns, state) })));
  }

  /** The HTTPRoutes: the manifests', and Flagger's `<apex>` for the gatewayapi provider (pkg/router/gateway_api.go). */
  private httpRoutes(): Manifest[] {
    const routes = [...this.release.index.all('HTTPRoute')];
    const spec = this.release.controllerObject.spec ?? {};
    if (this.release.engine === 'flagger' && String(this.router).startsWith('gatewayapi')) {
      routes.push({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: this.serviceName, namespace: this.release.namespace, generatedBy: 'flagger' },
        spec: { hostnames: spec.service?.hosts ?? [], parentRefs: spec.service?.gatewayRefs ?? [] },
      });
    }
    return routes;
  }

  private httpRouteLegs(route: Manifest, request: RequestIdentity, state: RoutingState): Leg[] {
    const ns = route.metadata?.namespace ?? this.release.namespace;
    const toService = (name: string): Leg[] => [{ share: 1, service: name, namespace: ns, observers: [], source: UNKNOWN_SOURCE, mirrored: false }];
    const spec = this.release.controllerObject.spec ?? {};
    if (route.metadata?.generatedBy === 'flagger') {
      const match = spec.analysis?.match ?? [];
      if (state.matchToCanary && match.some((m: any) => satisfies(request, m))) return toService(`${this.serviceName}-canary`);
      return split([
        { weight: 100 - state.canaryWeight, resolve: () => toService(`${this.serviceName}-primary`) },
        { weight: state.canaryWeight, resolve: () => toService(`${this.serviceName}-canary`) },
      ]);
    }
    const canary = spec.strategy?.canary ?? {};
    const plugin = Object.entries<any>(canary.trafficRouting?.plugins ?? {}).find(([name]) => /gateway/i.test(name))?.[1];
    const managed = this.release.engine === 'argo-rollouts' && plugin !== undefined
      && [plugin.httpRoute, ...(plugin.httpRoutes ?? []).map((r: any) => r.name)].includes(route.metadata?.name);
    if (managed) {
      // The Gateway API plugin: header routes as rules of their own to the canary, then the weighted rule.
      if (state.headerRoutes.some((r) => satisfies(request, r.match))) return toService(canary.canaryService);
      return split([
        { weight: 100 - state.canaryWeight, resolve: () => toService(canary.stableService) },
        { weight: state.canaryWeight, resolve: () => toService(canary.canaryService) },
      ]);
    }
    const rule = (route.spec?.rules ?? [])[0] ?? {};
    return split((rule.backendRefs ?? []).map((b: any) => ({ weight: b.weight ?? 1, resolve: () => toService(b.name) })));
  }

  /** The VirtualServices: the manifests', and Flagger's `<apex>` for the istio provider (pkg/router/istio.go). */
  private virtualServices(): Manifest[] {
    const services = [...this.release.index.all('VirtualService')];
    const spec = this.release.controllerObject.spec ?? {};
    if (this.release.engine === 'flagger' && this.router === 'istio') {
      services.push({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: this.serviceName, namespace: this.release.namespace, generatedBy: 'flagger' },
        spec: { hosts: [...(spec.service?.hosts ?? []), this.serviceName], gateways: spec.service?.gateways ?? ['mesh'] },
      });
    }
    return services;
  }

  private virtualServiceLegs(vs: Manifest, request: RequestIdentity, state: RoutingState): Leg[] {
    const ns = vs.metadata?.namespace ?? this.release.namespace;
    const to = (host: string, subset?: string): Leg[] => [{ share: 1, service: host.split('.')[0], namespace: host.split('.')[1] ?? ns, subset, observers: [], source: UNKNOWN_SOURCE, mirrored: false }];
    const spec = this.release.controllerObject.spec ?? {};
    const mirror = (legs: Leg[], host: string, subset?: string): Leg[] => (state.mirrorPercent > 0
      ? [...legs, ...to(host, subset).map((l) => ({ ...l, share: state.mirrorPercent / 100, mirrored: true }))] : legs);
    if (vs.metadata?.generatedBy === 'flagger') {
      const primary = `${this.serviceName}-primary`;
      const canaryHost = `${this.serviceName}-canary`;
      const match = spec.analysis?.match ?? [];
      if (state.matchToCanary && match.some((m: any) => satisfies(request, m))) return to(canaryHost);
      return mirror(split([
        { weight: 100 - state.canaryWeight, resolve: () => to(primary) },
        { weight: state.canaryWeight, resolve: () => to(canaryHost) },
      ]), canaryHost);
    }
    const canary = spec.strategy?.canary ?? {};
    const istio = canary.trafficRouting?.istio;
    const managed = this.release.engine === 'argo-rollouts' && istio?.virtualService?.name === vs.metadata?.name;
    if (managed) {
      const dr = istio.destinationRule;
      const host = (vs.spec?.http?.[0]?.route?.[0]?.destination?.host as string | undefined) ?? this.serviceName;
      const stable = dr ? () => to(host, dr.stableSubsetName) : () => to(canary.stableService ?? host);
      const canaryLeg = dr ? () => to(host, dr.canarySubsetName) : () => to(canary.canaryService);
      if (state.headerRoutes.some((r) => satisfies(request, r.match))) return canaryLeg();
      const legs = split([{ weight: 100 - state.canaryWeight, resolve: stable }, { weight: state.canaryWeight, resolve: canaryLeg }]);
      return state.mirrorPercent > 0 ? [...legs, ...canaryLeg().map((l) => ({ ...l, share: state.mirrorPercent / 100, mirrored: true }))] : legs;
    }
    const route = (vs.spec?.http ?? []).find((r: any) => !r.match || r.match.some((m: any) => satisfies(request, m))) ?? {};
    return split((route.route ?? []).map((d: any) => ({ weight: d.weight ?? 100, resolve: () => to(d.destination.host, d.destination.subset) })));
  }

  /** A Service called directly: in the mesh through its VirtualService (if any), else straight to the pods it selects. */
  private serviceLegs(
    name: string, namespace: string, mesh: boolean, request: RequestIdentity, state: RoutingState, observers: Observer[], source: IstioSource,
  ): Leg[] {
    if (mesh) {
      const vs = this.virtualServices().find((v) => (v.spec?.gateways ?? ['mesh']).includes('mesh')
        && (v.spec?.hosts ?? []).some((h: string) => h === name || h === `${name}.${namespace}` || h.startsWith(`${name}.${namespace}.`)));
      if (vs) return this.virtualServiceLegs(vs, request, state).map((leg) => ({ ...leg, observers: [...observers, ...leg.observers], source }));
    }
    return [{ share: 1, service: name, namespace, observers, source, mirrored: false }];
  }

  /** The pods behind a Service (or a DestinationRule subset), split by their number. */
  private podsBehind(leg: Leg, state: RoutingState): Flow[] {
    const selected = this.selectedGroups(leg.service, leg.namespace, leg.subset, state);
    if (selected === undefined) {
      return [{ ...flowOf(leg), group: undefined }];
    }
    const pods = selected.map((g) => this.podsOf(g, state));
    const total = pods.reduce((a, b) => a + b, 0);
    if (total === 0) return [];
    return selected.flatMap((group, i) => (pods[i] === 0 ? [] : [{
      ...flowOf(leg), share: leg.share * (pods[i] / total), group,
    }]));
  }

  /**
   * The groups a Service selects: Flagger's `<svc>`, `-primary` (primary) and `-canary` (canary);
   * Argo's canary, stable, active and preview Services (their selectors carry the ReplicaSet's
   * pod-template hash); other Services by their selector; undefined for a Service of another workload.
   */
  private selectedGroups(service: string, namespace: string, subset: string | undefined, state: RoutingState): PodGroup[] | undefined {
    if (namespace !== this.release.namespace) return undefined;
    const spec = this.release.controllerObject.spec ?? {};
    if (this.release.engine === 'flagger') {
      if (service === `${this.serviceName}-canary`) return [this.group('canary')];
      if (service === this.serviceName || service === `${this.serviceName}-primary`) return [this.group('primary')];
    } else {
      const canary = spec.strategy?.canary ?? {};
      const blueGreen = spec.strategy?.blueGreen ?? {};
      const dr = canary.trafficRouting?.istio?.destinationRule;
      const stable = state.stableIsNew ? this.group('new') : this.group('old');
      if (subset !== undefined && dr) {
        if (subset === dr.canarySubsetName) return [this.group('new')];
        if (subset === dr.stableSubsetName) return [stable];
      }
      if (service === canary.canaryService || service === blueGreen.previewService) return [this.group('new')];
      if (service === canary.stableService) return [stable];
      if (service === blueGreen.activeService) return [state.activeIsNew ? this.group('new') : this.group('old')];
    }
    const object = this.serviceOf(service, namespace);
    const selector: { [key: string]: string } | undefined = object?.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) return undefined;
    const matching = this.groups.filter((g) => Object.entries(selector).every(([k, v]) => g.pod.labels[k] === v));
    return matching.length > 0 ? matching : undefined;
  }
}

/** The pod-template hashes of the ReplicaSets (the new one's is what `podTemplateHashValue: Latest` passes). */
export const NEW_HASH = '7d9c5f8b6';
export const OLD_HASH = '5c4b7d9f2';

/** The hosts of a Traefik rule: every Host(`a`, `b`) and Host(`c`). */
export function hostsOfRule(rule: unknown): string[] {
  const hosts: string[] = [];
  for (const call of String(rule ?? '').matchAll(/Host\(([^)]*)\)/g)) {
    for (const h of call[1].matchAll(/`([^`]+)`/g)) hosts.push(h[1]);
  }
  return hosts;
}
