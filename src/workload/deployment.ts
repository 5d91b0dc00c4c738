import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkNonRootUser, checkProbe, checkResources } from './container-checks';
import { checkImmutableImage } from './image-reference';
import { PodOptions } from './pod-options';
import { selectPodsByLabels, restrictedSecurityContext } from './pod-security';
import { applyPodOptions } from './pod-settings';
import { ServiceProtocol } from './protocol';
import { WorkloadOptions } from './workload-options';
import { SELECTOR_LABEL } from '../platform/conventions';
import { checkPinnedImage, checkPort, DeclarationErrors, fail } from '../validation';

/** Labels Flagger accepts as its selector (its `-selector-labels` flag). */
export const FLAGGER_SELECTOR_LABELS = ['app', 'name', 'app.kubernetes.io/name'];

/** What the generated Deployment is made of. */
export interface DeploymentSpec extends WorkloadOptions, PodOptions {
  readonly name: string;
  readonly namespace: string;
  readonly labels: { [key: string]: string };
  /**
   * The Deployment's `progressDeadlineSeconds`, when the engine reads it.
   *
   * @default - cdk8s-plus's 600 s
   */
  readonly progressDeadline?: Duration;
}

export const DEFAULT_CONTAINER_PORT = 8080;

/** Stands in for an image with a mistake (already reported), never emitted: synth stops at the mistake. */
const PLACEHOLDER_IMAGE = 'image.invalid/declared-image-has-a-mistake:0';

/**
 * The Deployment a CanaryService rolls out: explicit name, one selector label, a container port
 * named `http` (or `grpc`), probes, resources, and a securityContext that passes Pod Security "restricted".
 * No `spec.replicas`: an autoscaler owns the size, so GitOps never fights the controller.
 */
export function createDeployment(scope: Construct, id: string, spec: DeploymentSpec, errors?: DeclarationErrors): kplus.Deployment {
  const owner = spec.name;
  // Every mistake of the container at once. With `errors` (the caller's), they are recorded there and
  // stand-ins used, so that the rest of the declaration is still checked.
  const own = errors ?? new DeclarationErrors();
  const check = <T>(what: () => T, standIn: T): T => own.attempt(what) ?? standIn;
  const image = spec.image === undefined ? PLACEHOLDER_IMAGE : check(() => checkImmutableImage(owner, 'image', checkPinnedImage(owner, 'image', spec.image!)), PLACEHOLDER_IMAGE);
  const port = check(() => checkPort(owner, 'containerPort', spec.containerPort ?? DEFAULT_CONTAINER_PORT), DEFAULT_CONTAINER_PORT);
  const additionalPorts = (spec.additionalPorts ?? []).flatMap((extra, i) => own.attempt(() => {
    checkPort(owner, `additionalPorts[${i}]`, extra);
    if (extra === port || spec.additionalPorts!.indexOf(extra) !== i) {
      fail(owner, `'additionalPorts[${i}]' (${extra}) is declared already${extra === port ? " ('containerPort')" : ''}: list each other port once`);
    }
    return [extra];
  }) ?? []);
  if (spec.runAsUser !== undefined) own.attempt(() => checkNonRootUser(owner, 'runAsUser', spec.runAsUser!));
  const resources = spec.resources === undefined ? undefined : check(() => {
    checkResources(owner, 'resources', spec.resources!);
    return spec.resources;
  }, undefined);
  if (errors === undefined) own.throwIfAny();
  const grpc = spec.protocol === ServiceProtocol.GRPC;
  const httpProbe = () => (grpc ? undefined : kplus.Probe.fromHttpGet('/', { port, periodSeconds: Duration.seconds(10) }));
  const deployment = new kplus.Deployment(scope, id, {
    metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
    select: false,
    progressDeadline: spec.progressDeadline,
    podMetadata: { labels: spec.labels },
    securityContext: { ensureNonRoot: true, user: spec.runAsUser ?? 65532, group: spec.runAsUser ?? 65532 },
    serviceAccount: spec.serviceAccount,
    automountServiceAccountToken: spec.automountServiceAccountToken ?? false,
    containers: [{
      name: spec.name,
      image: image!,
      args: spec.args,
      ports: [{ number: port, name: grpc ? 'grpc' : 'http' }, ...additionalPorts.map((number) => ({ number }))],
      envVariables: spec.env,
      envFrom: spec.envFrom,
      resources: resources ?? {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(1) },
        memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
      },
      readiness: spec.readiness ?? httpProbe(),
      liveness: spec.liveness ?? httpProbe(),
      volumeMounts: spec.volumeMounts,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      securityContext: restrictedSecurityContext(spec.runAsUser ?? 65532, spec.readOnlyRootFilesystem ?? true),
    }],
  });
  const rendered = deployment.containers[0];
  if (spec.readiness !== undefined) own.attempt(() => checkProbe(owner, 'readiness', spec.readiness!, rendered));
  if (spec.liveness !== undefined) own.attempt(() => checkProbe(owner, 'liveness', spec.liveness!, rendered));
  if (errors === undefined) own.throwIfAny();
  selectPodsByLabels(deployment, { [SELECTOR_LABEL]: spec.labels[SELECTOR_LABEL] });
  probeTheContainerPort(deployment, { readiness: spec.readiness, liveness: spec.liveness }, port);
  applyPodOptions(deployment, spec, { [SELECTOR_LABEL]: spec.labels[SELECTOR_LABEL] });
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
 * derive names from it. Its security is checked by `checkDeploymentSecurity`.
 */
export function checkDeployment(owner: string, deployment: kplus.Deployment, namespace: string, engineDeadline?: Duration): void {
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
  if (engineDeadline !== undefined && deployment.progressDeadline.toSeconds() < engineDeadline.toSeconds()) {
    fail(owner, `'deployment' (${deployment.name}) has 'progressDeadline' ${deployment.progressDeadline.toHumanString()}, shorter than the engine's 'progressDeadline' `
      + `(${engineDeadline.toHumanString()}): the controller fails the release when the Deployment's own deadline passes (and Flagger copies it to the primary), `
      + `so the shorter one would win; give the Deployment 'progressDeadline: Duration.seconds(${engineDeadline.toSeconds()})' or more, or shorten the engine's`);
  }
  const apiObject = ApiObject.of(deployment);
  const deploymentNamespace = apiObject.metadata.namespace ?? apiObject.chart.namespace;
  if (deploymentNamespace !== namespace) {
    fail(owner, `'deployment' (${deployment.name}) is in namespace '${deploymentNamespace ?? '(none)'}' but the service is in '${namespace}': they must match`);
  }
}

/** The probes of a container: the prop that sets it and the field of the container it is rendered into. */
const PROBES = { readiness: 'readinessProbe', liveness: 'livenessProbe', startup: 'startupProbe' } as const;
type ProbeKind = keyof typeof PROBES;

/**
 * The port a probe knocks on (a number, or a port's name), with `containerPort` for a probe that
 * names none; undefined for a command probe. cdk8s-plus resolves a missing port from the
 * container's `portNumber` only (Action.fromHttpGet), so the container is given as just that.
 */
function probedPort(probe: kplus.Probe, containerPort: number): number | string | undefined {
  const kube = probe._toKube({ portNumber: containerPort } as unknown as kplus.Container);
  return (kube.httpGet?.port ?? kube.tcpSocket?.port)?.value;
}

/**
 * A probe of one's own that names no port knocks on the container port, as its documentation says
 * ("defaults to container.port"): cdk8s-plus would render port 80, since the generated container
 * declares its port by name (`ports`), not as `portNumber`.
 */
function probeTheContainerPort(deployment: kplus.Deployment, probes: { [kind in ProbeKind]?: kplus.Probe }, port: number): void {
  for (const [kind, probe] of Object.entries(probes) as [ProbeKind, kplus.Probe | undefined][]) {
    if (probe === undefined || probedPort(probe, -1) !== -1) continue;
    const action = probe._toKube({ portNumber: port } as unknown as kplus.Container).httpGet ? 'httpGet' : 'tcpSocket';
    // Patches apply before cdk8s-plus's generated serializers, which render an IntOrString from its `value`.
    ApiObject.of(deployment).addJsonPatch(JsonPatch.replace(`/spec/template/spec/containers/0/${PROBES[kind]}/${action}/port`, { value: port }));
  }
}

/**
 * A probe of a port the served container does not declare, while no probe checks the port its
 * Services and load tests use: the probe fails (nothing listens there, or another process does),
 * the pods never become Ready, and the controller notices only at its progress deadline. A
 * liveness probe of an admin port beside a readiness probe of the served port is fine.
 * `ownProbes`: the generated Deployment's probes as declared (undefined for a Deployment of one's own,
 * whose container is read as it is rendered).
 */
export function probePortProblems(deployment: kplus.Deployment, servedPort: number, ownProbes?: { [kind in ProbeKind]?: kplus.Probe }): string[] {
  const container = deployment.containers[0];
  if (container === undefined) return [];
  const declared = container.ports;
  const rendered = container._toKube();
  const probed = (Object.keys(PROBES) as ProbeKind[]).flatMap((kind) => {
    // The generated Deployment's default readiness and liveness probes knock on the served port.
    const port = ownProbes
      ? (ownProbes[kind] ? probedPort(ownProbes[kind]!, servedPort) : kind === 'startup' ? undefined : servedPort)
      : (rendered[PROBES[kind]]?.httpGet?.port ?? rendered[PROBES[kind]]?.tcpSocket?.port)?.value;
    return port === undefined ? [] : [{ kind, port, number: typeof port === 'number' ? port : declared.find((p) => p.name === port)?.number }];
  });
  const undeclared = probed.filter((p) => p.number === undefined || !declared.some((d) => d.number === p.number));
  const servedIsReadinessChecked = probed.some((p) => p.kind === 'readiness' && p.number === servedPort);
  return undeclared
    // A readiness probe decides whether the pods are Ready; another probe of an undeclared port is an admin port when readiness checks the served one.
    .filter((p) => p.kind === 'readiness' || !servedIsReadinessChecked)
    .map((p) => {
      const shown = typeof p.port === 'number' ? `port ${p.port}` : `the port named '${p.port}'`;
      return ownProbes
        ? `'${p.kind}' probes ${shown}, but the container listens on 'containerPort' ${servedPort} (the port its Services and load tests use), which no readiness probe checks: `
          + `the probe would fail, the pods never become Ready, and the controller would report it only at its progress deadline; probe port ${servedPort} `
          + `(a probe without 'port' does)${typeof p.port === 'number'
            ? `, or set 'containerPort' to ${p.port} if the application listens there, or list ${p.port} in 'additionalPorts' if it listens there as well (e.g. a management port)`
            : ''}`
        : `'deployment' (${deployment.name}) container '${container.name}' has its ${p.kind} probe on ${shown}, which it does not declare, and no readiness probe checks its port ${servedPort} `
          + '(the port its Services and load tests use): the probe would fail, the pods never become Ready, and the controller would report it only at its progress deadline; '
          + `probe port ${servedPort}, or declare the probed port on the container`;
    });
}

/** Capabilities Pod Security "restricted" lets a container add back after dropping ALL. */
const RESTRICTED_ADDABLE_CAPABILITIES = ['NET_BIND_SERVICE'];
const SECCOMP_TYPES = ['RuntimeDefault', 'Localhost'];

/**
 * Holds a Deployment a team built itself to what a generated one gets (`createDeployment`): every
 * container (init containers too) pinned by a version tag or digest, never by a tag that moves, and
 * under Pod Security "restricted" with a read-only root filesystem: non-root, a non-zero user, not
 * privileged, no privilege escalation, every capability dropped (NET_BIND_SERVICE may be added back),
 * a seccomp profile. Each mistake is reported, all together.
 */
export function checkDeploymentSecurity(owner: string, deployment: kplus.Deployment): void {
  const pod = ApiObject.of(deployment).toJson().spec?.template?.spec ?? {};
  const podContext = pod.securityContext ?? {};
  const errors = new DeclarationErrors();
  const containers: [string, any][] = [
    ...(pod.initContainers ?? []).map((c: any, i: number): [string, any] => [`initContainers[${i}]`, c]),
    ...(pod.containers ?? []).map((c: any, i: number): [string, any] => [`containers[${i}]`, c]),
  ];
  const where = (path: string, container: any) => `'deployment' (${deployment.name}) ${path} ('${container.name}')`;
  const problem = (message: string) => errors.attempt(() => fail(owner, message));
  for (const [path, container] of containers) {
    const context = container.securityContext ?? {};
    const at = where(path, container);
    errors.attempt(() => checkImmutableImage(owner, `deployment.${path}.image`, checkPinnedImage(owner, `deployment.${path}.image`, container.image ?? '')));
    if ((context.runAsNonRoot ?? podContext.runAsNonRoot) !== true) {
      problem(`${at} must run as non-root: set 'securityContext.runAsNonRoot: true' (cdk8s-plus: ensureNonRoot) on the container or the pod`);
    }
    const user = context.runAsUser ?? podContext.runAsUser;
    if (user === 0) problem(`${at} runs as user 0 (root): set a non-zero 'runAsUser', e.g. 65532`);
    if (context.privileged === true) problem(`${at} is privileged: set 'securityContext.privileged: false'`);
    if (context.allowPrivilegeEscalation !== false) {
      problem(`${at} must not allow privilege escalation: set 'securityContext.allowPrivilegeEscalation: false'`);
    }
    if (context.readOnlyRootFilesystem !== true) {
      problem(`${at} must mount its root filesystem read-only: set 'securityContext.readOnlyRootFilesystem: true' and mount an emptyDir where it writes`);
    }
    const seccomp = context.seccompProfile?.type ?? podContext.seccompProfile?.type;
    if (!SECCOMP_TYPES.includes(seccomp)) {
      problem(`${at} has no seccomp profile${seccomp ? ` ('${seccomp}')` : ''}: set 'seccompProfile: { type: RuntimeDefault }' on the container or the pod `
        + '(cdk8s-plus: seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT })');
    }
    const drop: string[] = context.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) problem(`${at} must drop every capability: set 'securityContext.capabilities.drop: [ALL]'`);
    const added = (context.capabilities?.add ?? []).filter((c: string) => !RESTRICTED_ADDABLE_CAPABILITIES.includes(c));
    if (added.length > 0) {
      problem(`${at} adds the capabilities ${added.map((c: string) => `'${c}'`).join(', ')}: only NET_BIND_SERVICE may be added back under Pod Security "restricted"`);
    }
  }
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (pod[field] === true) problem(`'deployment' (${deployment.name}) sets '${field}: true', which Pod Security "restricted" forbids`);
  }
  errors.throwIfAny();
}
