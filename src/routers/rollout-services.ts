import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { RoutingContext } from './router';
import { ServiceProtocol } from '../workload/protocol';

/**
 * A ClusterIP Service in front of the Rollout's pods. It selects only by the pod label, which Argo
 * Rollouts accepts (it adds `rollouts-pod-template-hash` to stable and canary Services itself);
 * any other selector key would make the Rollout `InvalidSpec`.
 */
export function createRolloutService(
  scope: Construct, id: string, name: string, context: RoutingContext, selectorLabels: { [key: string]: string },
): kplus.Service {
  const service = new kplus.Service(scope, id, {
    metadata: { name, namespace: context.namespace, labels: context.labels },
    type: kplus.ServiceType.CLUSTER_IP,
    ports: [{ name: context.protocol ?? ServiceProtocol.HTTP, port: context.port, targetPort: context.containerPort }],
  });
  for (const [key, value] of Object.entries(selectorLabels)) {
    service.selectLabel(key, value);
  }
  if (context.protocol === ServiceProtocol.GRPC) {
    // cdk8s-plus-28's ServicePort has no appProtocol; Istio reads it (or the port name) for the protocol.
    ApiObject.of(service).addJsonPatch(JsonPatch.add('/spec/ports/0/appProtocol', 'grpc'));
  }
  return service;
}

/** The stable and canary Services (`<name>-stable`, `<name>-canary`) a router splits traffic between. */
export function createStableAndCanaryServices(
  scope: Construct, context: RoutingContext, selectorLabels: { [key: string]: string },
): { stable: kplus.Service; canary: kplus.Service } {
  return {
    stable: createRolloutService(scope, 'StableService', `${context.name}-stable`, context, selectorLabels),
    canary: createRolloutService(scope, 'CanaryService', `${context.name}-canary`, context, selectorLabels),
  };
}
