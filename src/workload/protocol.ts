/** What the service speaks on its port. */
export enum ServiceProtocol {
  /** HTTP/1.1 or HTTP/2: the port is named `http`. */
  HTTP = 'http',
  /**
   * gRPC: the port is named `grpc` (and Flagger's Services get `appProtocol: grpc`), so Istio
   * proxies HTTP/2 and reports `grpc_response_status`; the probes are gRPC health checks, and the
   * load test must use ghz.
   */
  GRPC = 'grpc',
}
