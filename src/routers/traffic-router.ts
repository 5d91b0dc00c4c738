import { GatewayApiRouter, GatewayApiRouterOptions } from './gateway-api/gateway-api-router';
import { IstioRouter, IstioRouterOptions } from './istio/istio-router';
import { ReplicaRatioRouter, ReplicaRatioRouterOptions } from './replica-ratio/replica-ratio-router';
import { ITrafficRouter } from './router';
import { TraefikRouter, TraefikRouterOptions } from './traefik/traefik-router';
import { checkArguments } from '../arguments/check-arguments';

/** The traffic routers this library ships. */
export class TrafficRouter {
  /** Traefik v3 (`traefik.io/v1alpha1` IngressRoute, TraefikService). */
  public static traefik(options: TraefikRouterOptions): ITrafficRouter {
    checkArguments('TrafficRouter.traefik', [options]);
    return new TraefikRouter(options);
  }

  /** Istio (`networking.istio.io/v1` VirtualService, DestinationRule, Gateway). */
  public static istio(options: IstioRouterOptions = {}): ITrafficRouter {
    checkArguments('TrafficRouter.istio', [options]);
    return new IstioRouter(options);
  }

  /**
   * Gateway API (`gateway.networking.k8s.io/v1` HTTPRoute): Flagger's `gatewayapi:v1` provider, or
   * Argo Rollouts' Gateway API plugin; the checks read the telemetry of the implementation given
   * in `metrics` (Istio's by default).
   */
  public static gatewayApi(options: GatewayApiRouterOptions): ITrafficRouter {
    checkArguments('TrafficRouter.gatewayApi', [options]);
    return new GatewayApiRouter(options);
  }

  /**
   * No router: stable and canary pods behind one Service, the traffic split by their number
   * (Argo Rollouts' basic canary, or blue/green; Flagger's `provider: kubernetes`, blue/green
   * only), with an optional Ingress for hosts and a preview host. The checks read the
   * application's own metrics.
   */
  public static replicaRatio(options: ReplicaRatioRouterOptions): ITrafficRouter {
    checkArguments('TrafficRouter.replicaRatio', [options]);
    return new ReplicaRatioRouter(options);
  }

  private constructor() {}
}
