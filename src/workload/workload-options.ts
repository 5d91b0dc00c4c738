import * as kplus from 'cdk8s-plus-28';
import { ServiceProtocol } from './protocol';

/** The container of a generated workload. */
export interface WorkloadOptions {
  /**
   * Container image, pinned by a version tag or a digest (`latest` is rejected).
   * Either this or `deployment`.
   *
   * @default - required unless `deployment` is given
   */
  readonly image?: string;
  /**
   * Port the container listens on; named `http`.
   *
   * @default 8080
   */
  readonly containerPort?: number;
  /**
   * Other ports the container listens on, declared on it (not served by the Services), e.g. a
   * management port its probes knock on (Spring Boot's `management.server.port`).
   *
   * @default - none
   */
  readonly additionalPorts?: number[];
  /**
   * Environment variables.
   *
   * @default - none
   */
  readonly env?: { [name: string]: kplus.EnvValue };
  /**
   * ConfigMaps and Secrets whose keys become environment variables.
   *
   * @default - none
   */
  readonly envFrom?: kplus.EnvFrom[];
  /**
   * Entrypoint arguments.
   *
   * @default - the image's
   */
  readonly args?: string[];
  /**
   * CPU and memory requests and limits.
   *
   * @default - requests 100m CPU / 128Mi memory, limits 1 CPU / 256Mi memory
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Readiness probe.
   *
   * @default - HTTP GET / on the container port
   */
  readonly readiness?: kplus.Probe;
  /**
   * Liveness probe.
   *
   * @default - HTTP GET / on the container port
   */
  readonly liveness?: kplus.Probe;
  /**
   * Mount the container's root filesystem read-only. Turn off for images that write outside
   * mounted volumes.
   *
   * @default true
   */
  readonly readOnlyRootFilesystem?: boolean;
  /**
   * Numeric user the container runs as (Pod Security "restricted" needs a non-root user).
   *
   * @default 65532
   */
  readonly runAsUser?: number;
  /**
   * What the service speaks. With `ServiceProtocol.GRPC` the ports are named `grpc`, the default
   * probes are gRPC health checks (grpc.health.v1) on the container port, and Istio's success rate
   * counts gRPC server errors (`grpc_response_status`) as well as HTTP 5xx (a comparison with the
   * primary counts the gRPC server errors). Routers other than Istio reject it, and so does a
   * `deployment` of your own whose first port is not named `grpc`.
   *
   * @default ServiceProtocol.HTTP
   */
  readonly protocol?: ServiceProtocol;
}
