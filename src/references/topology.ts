/** When an object of a service's topology exists. */
export enum ObjectAvailability {
  /** It is in the synthesized manifests: it exists once they are applied. */
  APPLIED = 'APPLIED',
  /**
   * The controller creates it when it initializes the service (Flagger: once `<name>-primary` is
   * ready), before any analysis runs. Until then nothing may depend on it but this service's own
   * hosts.
   */
  CONTROLLER_INITIALIZED = 'CONTROLLER_INITIALIZED',
}

/** Which version of the service a request sent to a Service or route reaches while a release is analysed. */
export enum ServiceReach {
  /** The new version alone (the canary, or the preview before a blue/green switch). */
  NEW_VERSION = 'NEW_VERSION',
  /** The stable version alone (the primary; a blue/green active Service until the switch). */
  STABLE_VERSION = 'STABLE_VERSION',
  /** Both, split by the controller's weights. */
  WEIGHTED = 'WEIGHTED',
  /** Both: the requests of the segments in force to the new version (an A/B test, phases). */
  SEGMENTED = 'SEGMENTED',
  /** Every pod of both versions, split by their number (no router in between). */
  EVERY_POD = 'EVERY_POD',
  /** The live Service adopted behind a safety net, and this service by its share. */
  LIVE_AND_MANAGED = 'LIVE_AND_MANAGED',
}

/**
 * An object a controller creates for a service (it is not in the manifests): Flagger's primary
 * Deployment and Services, the router objects it generates.
 */
export interface GeneratedObject {
  /** Kind, e.g. `Service`. */
  readonly kind: string;
  /** API group, empty for the core group. */
  readonly apiGroup: string;
  /** Name, in the service's namespace. */
  readonly name: string;
  /** What it is for, in words (e.g. `canary Service`). */
  readonly role: string;
  /**
   * Which version a request sent to it reaches, for Services and routes.
   *
   * @default - not a Service or route
   */
  readonly reaches?: ServiceReach;
}

/**
 * One object in a service's topology: a Service, route or workload that exists for this engine,
 * router and strategy, who creates it and when, and which version it reaches.
 */
export interface TopologyObject {
  /** Kind, e.g. `Service`, `TraefikService`, `VirtualService`, `HTTPRoute`. */
  readonly kind: string;
  /** API group, empty for the core group. */
  readonly apiGroup: string;
  /** Name. */
  readonly name: string;
  /** Namespace. */
  readonly namespace: string;
  /** Who creates it: `cdk8s-canary` (it is in the manifests), `Flagger` or `Argo Rollouts`. */
  readonly createdBy: string;
  /** When it exists. */
  readonly availability: ObjectAvailability;
  /** What it is for, in words (e.g. `canary Service`). */
  readonly role: string;
  /**
   * Which version a request sent to it reaches while a release is analysed, for Services and routes.
   *
   * @default - not a Service or route
   */
  readonly reaches?: ServiceReach;
}
