import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

/** A container securityContext that passes Pod Security "restricted". */
export function restrictedSecurityContext(user: number, readOnlyRootFilesystem = true): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user,
    group: user,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}

/**
 * Selects the pods of a Deployment (created with `select: false`) by exactly these labels, and
 * removes the construct-path label cdk8s-plus always puts on the pod template: Flagger copies only
 * one selector label to the primary, and the path label would change whenever the construct moves.
 */
export function selectPodsByLabels(deployment: kplus.Deployment, labels: { [key: string]: string }): void {
  deployment.select(kplus.LabelSelector.of({ labels }));
  ApiObject.of(deployment).addJsonPatch(
    JsonPatch.remove(`/spec/template/metadata/labels/${kplus.Pod.ADDRESS_LABEL.replace('/', '~1')}`));
}
