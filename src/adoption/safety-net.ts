/**
 * Options for a CanaryService's `safetyNet`: adopting a live service without trusting the
 * controller with all of its traffic at once.
 */
export interface SafetyNetOptions {
  /**
   * The live Service that serves the hosts today, left untouched (it and its Deployment are not
   * managed by this library), in the service's namespace.
   */
  readonly liveService: string;
  /**
   * Its port.
   *
   * @default - the CanaryService's `port`
   */
  readonly livePort?: number;
  /**
   * Percentage of the hosts' traffic sent to the controller-managed service; the rest stays on the
   * live Service. Remove `safetyNet` to move all traffic over. 0 stages the net: every request of
   * the hosts stays on the live Service and nothing refers to the managed service yet, which only
   * its own host (`managedHost`) reaches; raise it once the controller has initialized the service
   * (with Flagger and Istio or Gateway API the net's share goes to the Service `<name>`, which
   * Flagger creates only then, and until then those requests fail).
   *
   * @default - 0 (staged) with Flagger and Istio or Gateway API, whose net would send its share to a
   * Service Flagger has not created yet; 5 otherwise
   */
  readonly share?: number;
  /**
   * A host routed to the managed service alone (the load tests use it, so the checks see enough
   * requests; people can try it).
   *
   * @default - `managed.<the router's first host>`
   */
  readonly managedHost?: string;
}
