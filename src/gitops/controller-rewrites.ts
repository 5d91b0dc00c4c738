/**
 * An object this library emits whose fields a controller rewrites while it runs. Applied again
 * as it is in Git, those fields would be reset, and the release disturbed.
 */
export interface RewrittenObject {
  /** API group (`''` for the core group, as Argo CD writes it). */
  readonly group: string;
  /** Kind of the object. */
  readonly kind: string;
  /** Name of the object. */
  readonly name: string;
  /** Namespace of the object. */
  readonly namespace: string;
  /**
   * The rewritten fields, as jq path expressions (what Argo CD's `ignoreDifferences` takes). They
   * use `[]?` so that an entry without the field does not make the expression fail: Argo CD skips
   * an expression that fails, silently.
   */
  readonly jqPathExpressions: string[];
  /** Which controller rewrites what. */
  readonly reason: string;
}

const GATEWAY_API_PLUGIN = 'argoproj-labs/gatewayAPI';
const HASH_LABEL = 'rollouts-pod-template-hash';

const jqString = (value: string) => JSON.stringify(value);

/**
 * What Argo Rollouts rewrites, read from the Rollout it will run (so it names exactly the objects
 * the Rollout references). Sources, Argo Rollouts v1.9.1: rollout/service.go (the pod-template
 * hash in the selectors of the stable/canary and active/preview Services),
 * rollout/trafficrouting/istio/istio.go (VirtualService route weights, managed routes; DestinationRule
 * subset labels), rollout/trafficrouting/traefik/traefik.go (TraefikService weights); the Gateway API
 * plugin v0.15.0 pkg/plugin/httproute.go (backendRef weights, header rules it adds).
 */
export function argoRolloutRewrites(rollout: any, namespace: string): RewrittenObject[] {
  const rewrites: RewrittenObject[] = [];
  const service = (name: string | undefined, role: string) => {
    if (name === undefined) return;
    rewrites.push({
      group: '',
      kind: 'Service',
      name,
      namespace,
      jqPathExpressions: [`.spec.selector[${jqString(HASH_LABEL)}]`],
      reason: `Argo Rollouts adds '${HASH_LABEL}' to the selector of the ${role} Service`,
    });
  };
  const canary = rollout?.spec?.strategy?.canary;
  const blueGreen = rollout?.spec?.strategy?.blueGreen;
  service(canary?.stableService, 'stable');
  service(canary?.canaryService, 'canary');
  service(blueGreen?.activeService, 'active');
  service(blueGreen?.previewService, 'preview');

  // Only the stable and canary entries' weights: a safety net's route also sends a share to the
  // live Service, a weight that is ours (in Git), not the controller's.
  const versions = [canary?.stableService, canary?.canaryService].filter((n): n is string => n !== undefined);
  const ofVersions = versions.length ? ` | select(${versions.map((n) => `.name == ${jqString(n)}`).join(' or ')})` : '';
  const routing = canary?.trafficRouting ?? {};
  const managed: string[] = (routing.managedRoutes ?? []).map((route: { name: string }) => route.name);
  const istio = routing.istio;
  const virtualServices = [...(istio?.virtualService ? [istio.virtualService] : []), ...(istio?.virtualServices ?? [])];
  for (const vs of virtualServices) {
    const routes: string[] = vs.routes ?? [];
    rewrites.push({
      group: 'networking.istio.io',
      kind: 'VirtualService',
      name: vs.name,
      namespace,
      jqPathExpressions: [
        ...routes.map((route) => `.spec.http[]? | select(.name == ${jqString(route)}) | .route[]?.weight`),
        ...managed.map((route) => `.spec.http[]? | select(.name == ${jqString(route)})`),
      ],
      reason: `Argo Rollouts sets the weights of the route${routes.length === 1 ? '' : 's'} ${routes.map((r) => `'${r}'`).join(', ')}`
        + (managed.length ? ` and adds the header or mirror routes ${managed.map((r) => `'${r}'`).join(', ')}` : ''),
    });
  }
  if (istio?.destinationRule?.name) {
    rewrites.push({
      group: 'networking.istio.io',
      kind: 'DestinationRule',
      name: istio.destinationRule.name,
      namespace,
      jqPathExpressions: [`.spec.subsets[]?.labels[${jqString(HASH_LABEL)}]`],
      reason: `Argo Rollouts sets '${HASH_LABEL}' in the labels of the stable and canary subsets`,
    });
  }
  const traefik = routing.traefik?.weightedTraefikServiceName;
  if (traefik) {
    rewrites.push({
      group: 'traefik.io',
      kind: 'TraefikService',
      name: traefik,
      namespace,
      jqPathExpressions: [`.spec.weighted.services[]?${ofVersions} | .weight`],
      reason: 'Argo Rollouts sets the weights of the stable and canary Services',
    });
  }
  const plugin = routing.plugins?.[GATEWAY_API_PLUGIN];
  const httpRoutes: string[] = [...(plugin?.httpRoute ? [plugin.httpRoute] : []), ...(plugin?.httpRoutes ?? []).map((r: { name: string }) => r.name)];
  for (const name of httpRoutes) {
    rewrites.push({
      group: 'gateway.networking.k8s.io',
      kind: 'HTTPRoute',
      name,
      namespace,
      jqPathExpressions: [
        `.spec.rules[]?.backendRefs[]?${ofVersions} | .weight`,
        ...managed.map((route) => `.spec.rules[]? | select(.name == ${jqString(route)} or ((.name // "") | test(${jqString(`^${route}-[0-9]+$`)})))`),
      ],
      reason: 'the Gateway API plugin of Argo Rollouts sets the backend weights' + (managed.length ? ' and adds header rules' : ''),
    });
  }
  return rewrites;
}
