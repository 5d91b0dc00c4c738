import { TrafficFeature } from './traffic-feature';

/**
 * What each shipped router supports with each engine, read from the controllers' source:
 * Flagger 1.44 pkg/router (traefik.go: weights only, mirroring ignored, no match; istio.go: match,
 * mirror with mirrorWeight, session affinity; every router: blue/green by iterations) and
 * Argo Rollouts 1.9 pkg/apis/rollouts/validation (setHeaderRoute: Istio, ALB, Apisix or a plugin;
 * setMirrorRoute: Istio only; no session affinity outside ALB), blue/green by Service switch for
 * any router. gRPC: only Istio's sidecars report each call's gRPC status (grpc_response_status);
 * Traefik and the application histogram see HTTP 200 for a failed call, and Flagger's Gateway API
 * provider generates HTTPRoutes. Routers of one's own declare their own support.
 */
export const SHIPPED_SUPPORT: { [router: string]: { factory: string; engines: { [engine: string]: TrafficFeature[] } } } = {
  'traefik': {
    factory: 'TrafficRouter.traefik()',
    engines: {
      'flagger': [TrafficFeature.WEIGHTED, TrafficFeature.BLUE_GREEN],
      'argo-rollouts': [TrafficFeature.WEIGHTED, TrafficFeature.BLUE_GREEN],
    },
  },
  'gateway-api': {
    // Flagger 1.44 pkg/router/gateway_api.go: weights, match (exact/regex), session affinity,
    // blue/green; mirroring works there, but the gateway does not report mirrored requests, so the
    // checks could not see them. Argo: the argoproj-labs/gatewayAPI plugin sets weights and header
    // routes; setMirrorRoute is Istio-only in Rollouts 1.9 (validation.go).
    factory: 'TrafficRouter.gatewayApi()',
    engines: {
      'flagger': [TrafficFeature.WEIGHTED, TrafficFeature.HEADER_MATCH, TrafficFeature.QUERY_MATCH, TrafficFeature.SESSION_AFFINITY,
        TrafficFeature.BLUE_GREEN],
      'argo-rollouts': [TrafficFeature.WEIGHTED, TrafficFeature.HEADER_MATCH, TrafficFeature.BLUE_GREEN],
    },
  },
  'replica-ratio': {
    // Flagger 1.44 scheduler.go: provider kubernetes forces blue/green (iterations) and drops match.
    // Argo 1.9 validation.go: without trafficRouting, only setWeight (replica counts) and blue/green.
    factory: 'TrafficRouter.replicaRatio()',
    engines: {
      'flagger': [TrafficFeature.BLUE_GREEN],
      'argo-rollouts': [TrafficFeature.WEIGHTED, TrafficFeature.BLUE_GREEN],
    },
  },
  'istio': {
    factory: 'TrafficRouter.istio()',
    engines: {
      'flagger': [TrafficFeature.WEIGHTED, TrafficFeature.HEADER_MATCH, TrafficFeature.QUERY_MATCH, TrafficFeature.MIRRORING,
        TrafficFeature.SESSION_AFFINITY, TrafficFeature.BLUE_GREEN, TrafficFeature.GRPC],
      'argo-rollouts': [TrafficFeature.WEIGHTED, TrafficFeature.HEADER_MATCH, TrafficFeature.MIRRORING, TrafficFeature.BLUE_GREEN,
        TrafficFeature.GRPC],
    },
  },
};

const ENGINE_FACTORIES: { [engine: string]: string } = {
  'flagger': 'DeliveryEngine.flagger()',
  'argo-rollouts': 'DeliveryEngine.argoRollouts()',
};

/** Whether a shipped router supports a feature with an engine. */
export function shippedSupport(router: string, engine: string, feature: TrafficFeature): boolean {
  return SHIPPED_SUPPORT[router]?.engines[engine]?.includes(feature) ?? false;
}

/**
 * The engine and router combinations that support all of `features`, in words, e.g.
 * "DeliveryEngine.flagger() with TrafficRouter.istio()"; only among `engines` when given.
 */
export function combinationsWith(features: TrafficFeature[], engines?: string[], sameRouterFirst?: string): string[] {
  const combinations: { text: string; same: boolean }[] = [];
  for (const [name, router] of Object.entries(SHIPPED_SUPPORT)) {
    for (const [engine, supported] of Object.entries(router.engines)) {
      if (engines !== undefined && !engines.includes(engine)) continue;
      if (features.every((f) => supported.includes(f))) {
        combinations.push({ text: `${ENGINE_FACTORIES[engine] ?? engine} with ${router.factory}`, same: name === sameRouterFirst });
      }
    }
  }
  return [...combinations.filter((c) => c.same), ...combinations.filter((c) => !c.same)].map((c) => c.text);
}
