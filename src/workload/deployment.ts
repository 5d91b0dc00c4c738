import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkNonRootUser, checkProbe, checkResources } from './container-checks';
import { selectPodsByLabels, restrictedSecurityContext } from './pod-security';
import { ServiceProtocol } from './protocol';
import { WorkloadOptions } from './workload-options';
import { SELECTOR_LABEL } from '../platform/conventions';
import { checkPinnedImage, checkPort, DeclarationErrors, fail } from '../validation';

/** Labels Flagger accepts as its selector (its `-selector-labels` flag). */
export const FLAGGER_SELECTOR_LABELS = ['app', 'name', 'app.kubernetes.io/name'];

/** What the generated Deployment is made of. */
export interface DeploymentSpec extends WorkloadOptions {
  readonly name: string;
  readonly namespace: string;
  readonly labels: { [key: string]: string };
}

export const DEFAULT_CONTAINER_PORT = 8080;

/**
 * The Deployment a CanaryService rolls out: explicit name, one selector label, a container port
 * named `http` (or `grpc`), probes, resources, and a securityContext that passes Pod Security "restricted".
 * No `spec.replicas`: an autoscaler owns the size, so GitOps never fights the controller.
 */
export function createDeployment(scope: Construct, id: string, spec: DeploymentSpec): kplus.Deployment {
  const owner = spec.name;
  // Every mistake of the container at once.
  const errors = new DeclarationErrors();
  const image = errors.attempt(() => checkPinnedImage(owner, 'image', spec.image!));
  const port = errors.attempt(() => checkPort(owner, 'containerPort', spec.containerPort ?? DEFAULT_CONTAINER_PORT)) ?? DEFAULT_CONTAINER_PORT;
  if (spec.runAsUser !== undefined) errors.attempt(() => checkNonRootUser(owner, 'runAsUser', spec.runAsUser!));
  if (spec.resources !== undefined) errors.attempt(() => checkResources(owner, 'resources', spec.resources!));
  errors.throwIfAny();
  const grpc = spec.protocol === ServiceProtocol.GRPC;
  const httpProbe = () => (grpc ? undefined : kplus.Probe.fromHttpGet('/', { port, periodSeconds: Duration.seconds(10) }));
  const deployment = new kplus.Deployment(scope, id, {
    metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
    select: false,
    podMetadata: { labels: spec.labels },
    securityContext: { ensureNonRoot: true, user: spec.runAsUser ?? 65532, group: spec.runAsUser ?? 65532 },
    automountServiceAccountToken: false,
    containers: [{
      name: spec.name,
      image: image!,
      args: spec.args,
      ports: [{ number: port, name: grpc ? 'grpc' : 'http' }],
      envVariables: spec.env,
      envFrom: spec.envFrom,
      resources: spec.resources ?? {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(1) },
        memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
      },
      readiness: spec.readiness ?? httpProbe(),
      liveness: spec.liveness ?? httpProbe(),
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      securityContext: restrictedSecurityContext(spec.runAsUser ?? 65532, spec.readOnlyRootFilesystem ?? true),
    }],
  });
  const rendered = deployment.containers[0];
  if (spec.readiness !== undefined) errors.attempt(() => checkProbe(owner, 'readiness', spec.readiness!, rendered));
  if (spec.liveness !== undefined) errors.attempt(() => checkProbe(owner, 'liveness', spec.liveness!, rendered));
  errors.throwIfAny();
  selectPodsByLabels(deployment, { [SELECTOR_LABEL]: spec.labels[SELECTOR_LABEL] });
  if (grpc) {
    // cdk8s-plus-28 has no gRPC probe; Kubernetes has had one since 1.24 (GA in 1.27): the standard
    // grpc.health.v1 service on the container port.
    const probe = { grpc: { port }, periodSeconds: 10 };
    const container = ApiObject.of(deployment);
    if (spec.readiness === undefined) container.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/readinessProbe', probe));
    if (spec.liveness === undefined) container.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/livenessProbe', probe));
  }
  return deployment;
}

/**
 * Checks a Deployment a team built itself: the controllers must be able to select its pods and
 * derive names from it.
 */
export function checkDeployment(owner: string, deployment: kplus.Deployment, namespace: string): void {
  const selector = deployment.matchLabels;
  const keys = Object.keys(selector);
  if (keys.includes('cdk8s.io/metadata.addr')) {
    fail(owner, `'deployment' (${deployment.name}) selects pods by 'cdk8s.io/metadata.addr', which Flagger rejects and which changes with the construct path: create it with 'select: false' and select the label '${SELECTOR_LABEL}' instead`);
  }
  if (!keys.some((key) => FLAGGER_SELECTOR_LABELS.includes(key))) {
    fail(owner, `'deployment' (${deployment.name}) must select pods by one of ${FLAGGER_SELECTOR_LABELS.map((l) => `'${l}'`).join(', ')} (found: ${keys.length ? keys.map((k) => `'${k}'`).join(', ') : 'none'})`);
  }
  if (keys.length !== 1) {
    fail(owner, `'deployment' (${deployment.name}) must select pods by exactly one label, since the controllers copy only one to the primary (found: ${keys.map((k) => `'${k}'`).join(', ')})`);
  }
  const podLabels = deployment.podMetadata.getLabel(keys[0]);
  if (podLabels !== selector[keys[0]]) {
    fail(owner, `'deployment' (${deployment.name}) selects '${keys[0]}=${selector[keys[0]]}' but its pod template has '${keys[0]}=${podLabels ?? ''}'`);
  }
  if (deployment.containers.length === 0) {
    fail(owner, `'deployment' (${deployment.name}) has no containers`);
  }
  const apiObject = ApiObject.of(deployment);
  const deploymentNamespace = apiObject.metadata.namespace ?? apiObject.chart.namespace;
  if (deploymentNamespace !== namespace) {
    fail(owner, `'deployment' (${deployment.name}) is in namespace '${deploymentNamespace ?? '(none)'}' but the service is in '${namespace}': they must match`);
  }
}
