/** A reference from one synthesized object to another, by kind and name. */
export interface ObjectReference {
  /** Kind referred to, e.g. `Service`, `TraefikService`. */
  readonly kind: string;
  /** API group referred to, empty for the core group. */
  readonly apiGroup: string;
  readonly name: string;
  readonly namespace: string;
  /** Where in the referring object, e.g. `spec.weighted.services[1]`. */
  readonly field: string;
}

/**
 * The Services and routes an object sends traffic to or names, read from its manifest: Traefik
 * IngressRoutes and TraefikServices, Istio VirtualServices, Gateway API HTTPRoutes, Ingresses,
 * Rollouts (their Services and routes) and Canaries (target and autoscaler).
 */
export function referencesOf(manifest: any): ObjectReference[] {
  const namespace: string = manifest.metadata?.namespace ?? '';
  const refs: ObjectReference[] = [];
  const add = (kind: string, apiGroup: string, name: string | undefined, field: string, ns?: string) => {
    if (typeof name === 'string' && name !== '') refs.push({ kind, apiGroup, name, namespace: ns ?? namespace, field });
  };
  const spec = manifest.spec ?? {};
  switch (`${groupOf(manifest.apiVersion)}/${manifest.kind}`) {
    case 'traefik.io/IngressRoute':
      (spec.routes ?? []).forEach((route: any, r: number) => (route.services ?? []).forEach((s: any, i: number) =>
        add(s.kind ?? 'Service', s.kind === 'TraefikService' ? 'traefik.io' : '', s.name, `spec.routes[${r}].services[${i}]`, s.namespace)));
      break;
    case 'traefik.io/TraefikService':
      (spec.weighted?.services ?? []).forEach((s: any, i: number) =>
        add(s.kind ?? 'Service', s.kind === 'TraefikService' ? 'traefik.io' : '', s.name, `spec.weighted.services[${i}]`, s.namespace));
      break;
    case 'networking.istio.io/VirtualService':
      (spec.http ?? []).forEach((route: any, r: number) => {
        (route.route ?? []).forEach((d: any, i: number) => addIstioHost(add, d.destination?.host, `spec.http[${r}].route[${i}].destination.host`));
        if (route.mirror) addIstioHost(add, route.mirror.host, `spec.http[${r}].mirror.host`);
      });
      break;
    case 'gateway.networking.k8s.io/HTTPRoute':
      (spec.rules ?? []).forEach((rule: any, r: number) => {
        (rule.backendRefs ?? []).forEach((b: any, i: number) => add(b.kind ?? 'Service', b.group ?? '', b.name, `spec.rules[${r}].backendRefs[${i}]`, b.namespace));
        (rule.filters ?? []).forEach((f: any, i: number) => {
          if (f.requestMirror?.backendRef) add('Service', '', f.requestMirror.backendRef.name, `spec.rules[${r}].filters[${i}].requestMirror`, f.requestMirror.backendRef.namespace);
        });
      });
      break;
    case 'networking.k8s.io/Ingress':
      if (spec.defaultBackend?.service) add('Service', '', spec.defaultBackend.service.name, 'spec.defaultBackend');
      (spec.rules ?? []).forEach((rule: any, r: number) => (rule.http?.paths ?? []).forEach((p: any, i: number) =>
        add('Service', '', p.backend?.service?.name, `spec.rules[${r}].http.paths[${i}].backend`)));
      break;
    case 'argoproj.io/Rollout': {
      const canary = spec.strategy?.canary ?? {};
      const blueGreen = spec.strategy?.blueGreen ?? {};
      add('Service', '', canary.canaryService, 'spec.strategy.canary.canaryService');
      add('Service', '', canary.stableService, 'spec.strategy.canary.stableService');
      add('Service', '', blueGreen.activeService, 'spec.strategy.blueGreen.activeService');
      add('Service', '', blueGreen.previewService, 'spec.strategy.blueGreen.previewService');
      const routing = canary.trafficRouting ?? {};
      add('TraefikService', 'traefik.io', routing.traefik?.weightedTraefikServiceName, 'spec.strategy.canary.trafficRouting.traefik');
      add('VirtualService', 'networking.istio.io', routing.istio?.virtualService?.name, 'spec.strategy.canary.trafficRouting.istio.virtualService');
      add('DestinationRule', 'networking.istio.io', routing.istio?.destinationRule?.name, 'spec.strategy.canary.trafficRouting.istio.destinationRule');
      for (const [plugin, config] of Object.entries<any>(routing.plugins ?? {})) {
        const routes = config.httpRoutes ?? (config.httpRoute ? [{ name: config.httpRoute }] : []);
        routes.forEach((route: any, i: number) => add('HTTPRoute', 'gateway.networking.k8s.io', route.name, `spec.strategy.canary.trafficRouting.plugins.${plugin}.httpRoutes[${i}]`, config.namespace));
      }
      add('Deployment', 'apps', spec.workloadRef?.name, 'spec.workloadRef');
      break;
    }
    case 'flagger.app/Canary':
      add(spec.targetRef?.kind ?? 'Deployment', 'apps', spec.targetRef?.name, 'spec.targetRef');
      add('HorizontalPodAutoscaler', 'autoscaling', spec.autoscalerRef?.name, 'spec.autoscalerRef');
      break;
    default:
  }
  return refs;
}

function groupOf(apiVersion: string | undefined): string {
  const parts = (apiVersion ?? '').split('/');
  return parts.length === 2 ? parts[0] : '';
}

/** An Istio destination host: `name`, `name.ns`, or `name.ns.svc.cluster.local`; other hosts are outside the cluster. */
type AddReference = (kind: string, group: string, name: string | undefined, field: string, ns?: string) => void;

function addIstioHost(add: AddReference, host: string | undefined, field: string): void {
  if (host === undefined) return;
  const labels = host.split('.');
  if (labels.length === 1) add('Service', '', labels[0], field);
  else if (labels.length === 2 || labels[2] === 'svc') add('Service', '', labels[0], field, labels[1]);
}
