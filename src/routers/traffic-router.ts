import { IstioRouter, IstioRouterOptions } from './istio';
import { ITrafficRouter } from './router';
import { TraefikRouter, TraefikRouterOptions } from './traefik';

/** The traffic routers this library ships. */
export class TrafficRouter {
  /** Traefik v3 (`traefik.io/v1alpha1` IngressRoute, TraefikService). */
  public static traefik(options: TraefikRouterOptions): ITrafficRouter {
    return new TraefikRouter(options);
  }

  /** Istio (`networking.istio.io/v1` VirtualService, DestinationRule, Gateway). */
  public static istio(options: IstioRouterOptions = {}): ITrafficRouter {
    return new IstioRouter(options);
  }

  private constructor() {}
}
