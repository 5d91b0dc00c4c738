/*
 * The classes `cdk8s import` generated from the controllers' CRDs (src/imports/), loaded when a
 * construct first needs them. They are large (hundreds of KB to MB each), and a synthesis uses one
 * engine's and one router's at most, so loading all of them with the library would make importing
 * it cost more than cdk8s-plus itself. Modules that use them import their types only
 * (`import type`), which the compiler erases.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as FlaggerImports from './imports/flagger.app';
import type * as GatewayApiImports from './imports/gateway.networking.k8s.io';
import type * as HelmImports from './imports/helm.toolkit.fluxcd.io';
import type * as KustomizeImports from './imports/kustomize.toolkit.fluxcd.io';
import type * as MonitoringImports from './imports/monitoring.coreos.com';
import type * as IstioImports from './imports/networking.istio.io';
import type * as SourceImports from './imports/source.toolkit.fluxcd.io';
import type * as TraefikImports from './imports/traefik.io';

/** flagger.app: Canary, MetricTemplate, AlertProvider. */
export function flaggerImports(): typeof FlaggerImports {
  return require('./imports/flagger.app');
}

/** gateway.networking.k8s.io: HTTPRoute, Gateway. */
export function gatewayApiImports(): typeof GatewayApiImports {
  return require('./imports/gateway.networking.k8s.io');
}

/** networking.istio.io: Gateway, VirtualService, DestinationRule. */
export function istioImports(): typeof IstioImports {
  return require('./imports/networking.istio.io');
}

/** traefik.io: IngressRoute, TraefikService. */
export function traefikImports(): typeof TraefikImports {
  return require('./imports/traefik.io');
}

/** helm.toolkit.fluxcd.io: HelmRelease. */
export function fluxHelmImports(): typeof HelmImports {
  return require('./imports/helm.toolkit.fluxcd.io');
}

/** kustomize.toolkit.fluxcd.io: Kustomization. */
export function fluxKustomizeImports(): typeof KustomizeImports {
  return require('./imports/kustomize.toolkit.fluxcd.io');
}

/** source.toolkit.fluxcd.io: HelmRepository, GitRepository. */
export function fluxSourceImports(): typeof SourceImports {
  return require('./imports/source.toolkit.fluxcd.io');
}

/** monitoring.coreos.com (the Prometheus Operator): PodMonitor. */
export function monitoringImports(): typeof MonitoringImports {
  return require('./imports/monitoring.coreos.com');
}
