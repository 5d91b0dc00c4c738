/** What a router can do with an engine, beyond nothing. */
export enum TrafficFeature {
  /** Shift a random share of the traffic by weight (a canary). */
  WEIGHTED = 'WEIGHTED',
  /** Route requests by header or cookie (A/B testing). */
  HEADER_MATCH = 'HEADER_MATCH',
  /** Route requests by query parameter. */
  QUERY_MATCH = 'QUERY_MATCH',
  /** Copy live traffic to the new version while it is checked. */
  MIRRORING = 'MIRRORING',
  /** Keep a user on the version they first got (a cookie). */
  SESSION_AFFINITY = 'SESSION_AFFINITY',
  /** Check the new version beside the old one, then switch all traffic at once. */
  BLUE_GREEN = 'BLUE_GREEN',
  /**
   * Measure gRPC services: the router's series carry each call's gRPC status, so a failed call
   * (HTTP 200) counts as an error.
   */
  GRPC = 'GRPC',
}
