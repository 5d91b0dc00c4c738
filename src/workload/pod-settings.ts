import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { PodOptions, TopologySpreadOptions, UnsatisfiableSpread } from './pod-options';
import { checkDnsSubdomain, checkInteger, DeclarationErrors, fail } from '../validation';

/** The props of `PodOptions`, which a Deployment of the team's own carries itself. */
export const POD_OPTION_KEYS: readonly (keyof PodOptions)[] = [
  'serviceAccount', 'automountServiceAccountToken', 'volumeMounts', 'nodeSelector', 'tolerations', 'nodeAffinity',
  'podAffinity', 'podAntiAffinity', 'topologySpread', 'imagePullSecrets', 'priorityClassName',
];

/**
 * The labels that tell one revision's pods from another's: Deployments' ReplicaSets carry
 * `pod-template-hash` (Flagger's canary and primary), Argo Rollouts' `rollouts-pod-template-hash`.
 * A topology spread constraint matches both keys; a key the pod lacks is ignored (Kubernetes
 * `matchLabelKeys`), so each version's pods are spread on their own.
 */
const REVISION_LABELS = ['pod-template-hash', 'rollouts-pod-template-hash'];

/** Volume types Pod Security "restricted" allows (k8s.io/pod-security-admission, restrictedVolumes). */
const RESTRICTED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Every mistake of the pod options, together. */
export function checkPodOptions(owner: string, options: PodOptions): void {
  const errors = new DeclarationErrors();
  const weights = (property: 'nodeAffinity' | 'podAffinity' | 'podAntiAffinity') => (options[property] ?? []).forEach((term, i) => {
    if (term.weight !== undefined) errors.attempt(() => checkInteger(owner, `${property}[${i}].weight`, term.weight!, 1, 100));
  });
  weights('nodeAffinity');
  weights('podAffinity');
  weights('podAntiAffinity');
  const spreads = new Set<string>();
  (options.topologySpread ?? []).forEach((spread, i) => {
    errors.attempt(() => checkSpread(owner, `topologySpread[${i}]`, spread));
    // The API server rejects two constraints with the same topology key and action.
    const key = `${spread.topology.key}/${spread.whenUnsatisfiable ?? UnsatisfiableSpread.SCHEDULE_ANYWAY}`;
    if (spreads.has(key)) {
      errors.attempt(() => fail(owner, `'topologySpread[${i}]' spreads over '${spread.topology.key}' with ${spread.whenUnsatisfiable ?? UnsatisfiableSpread.SCHEDULE_ANYWAY} a second time; the API server accepts one constraint per topology key and action`));
    }
    spreads.add(key);
  });
  for (const [key, value] of Object.entries(options.nodeSelector ?? {})) {
    if (!QUALIFIED_NAME.test(key)) {
      errors.attempt(() => fail(owner, `'nodeSelector' key '${key}' must be a label key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`));
    }
    if (!LABEL_VALUE.test(value)) {
      errors.attempt(() => fail(owner, `'nodeSelector.${key}' ('${value}') must be a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`));
    }
  }
  const pullSecrets = options.imagePullSecrets ?? [];
  pullSecrets.forEach((name, i) => errors.attempt(() => checkDnsSubdomain(owner, `imagePullSecrets[${i}]`, name)));
  if (new Set(pullSecrets).size !== pullSecrets.length) {
    errors.attempt(() => fail(owner, `'imagePullSecrets' (${pullSecrets.map((n) => `'${n}'`).join(', ')}) names a Secret twice`));
  }
  if (options.priorityClassName !== undefined) errors.attempt(() => checkDnsSubdomain(owner, 'priorityClassName', options.priorityClassName!));
  if (options.serviceAccount !== undefined) errors.attempt(() => checkDnsSubdomain(owner, 'serviceAccount', options.serviceAccount!.name));
  const mounts = options.volumeMounts ?? [];
  mounts.forEach((mount, i) => errors.attempt(() => checkVolume(owner, `volumeMounts[${i}]`, mount)));
  mounts.forEach((mount, i) => {
    const earlier = mounts.findIndex((other) => other.path === mount.path);
    if (earlier < i) {
      errors.attempt(() => fail(owner, `'volumeMounts[${i}].path' ('${mount.path}') is also 'volumeMounts[${earlier}].path': the API server accepts one mount per path`));
    }
    const sameName = mounts.findIndex((other) => other.volume.name === mount.volume.name);
    if (sameName < i && mounts[sameName].volume !== mount.volume) {
      errors.attempt(() => fail(owner, `'volumeMounts[${i}].volume' is named '${mount.volume.name}' like the different volume of 'volumeMounts[${sameName}]': give each volume a name of its own, or mount the same Volume object twice`));
    }
  });
  errors.throwIfAny();
}

function checkSpread(owner: string, property: string, spread: TopologySpreadOptions): void {
  const errors = new DeclarationErrors();
  if (spread.maxSkew !== undefined) errors.attempt(() => checkInteger(owner, `${property}.maxSkew`, spread.maxSkew!, 1, 1000));
  if (spread.minDomains !== undefined) {
    errors.attempt(() => checkInteger(owner, `${property}.minDomains`, spread.minDomains!, 1, 1000));
    if (spread.whenUnsatisfiable !== UnsatisfiableSpread.DO_NOT_SCHEDULE) {
      errors.attempt(() => fail(owner, `'${property}.minDomains' (${spread.minDomains}) needs 'whenUnsatisfiable: UnsatisfiableSpread.DO_NOT_SCHEDULE': the API server rejects it with ScheduleAnyway`));
    }
  }
  errors.throwIfAny();
}

function checkVolume(owner: string, property: string, mount: kplus.VolumeMount): void {
  // cdk8s-plus renders a Volume only through its (internal) _toKube(); its public API has the name alone.
  const rendered = (mount.volume as any)._toKube?.() ?? {};
  const type = Object.keys(rendered).find((key) => key !== 'name');
  if (type !== undefined && !RESTRICTED_VOLUME_TYPES.includes(type)) {
    fail(owner, `'${property}.volume' ('${mount.volume.name}') is a ${type} volume, which Pod Security "restricted" forbids: use one of ${RESTRICTED_VOLUME_TYPES.join(', ')}`);
  }
}

/**
 * Applies the pod options to a generated Deployment's pod template (its container is the first).
 * `selectorLabels` select the service's pods, for the topology spread constraints.
 */
export function applyPodOptions(deployment: kplus.Deployment, options: PodOptions, selectorLabels: { [key: string]: string }): void {
  for (const taint of options.tolerations ?? []) deployment.scheduling.tolerate(kplus.Node.tainted(taint));
  for (const term of options.nodeAffinity ?? []) deployment.scheduling.attract(term.node, { weight: term.weight });
  for (const term of options.podAffinity ?? []) deployment.scheduling.colocate(term.pods, { topology: term.topology, weight: term.weight });
  for (const term of options.podAntiAffinity ?? []) deployment.scheduling.separate(term.pods, { topology: term.topology, weight: term.weight });
  // cdk8s-plus-28 has no props for these pod fields: they are patched onto the rendered template.
  const object = ApiObject.of(deployment);
  const set = (field: string, value: unknown) => object.addJsonPatch(JsonPatch.add(`/spec/template/spec/${field}`, value));
  if (options.nodeSelector && Object.keys(options.nodeSelector).length > 0) set('nodeSelector', { ...options.nodeSelector });
  if (options.priorityClassName !== undefined) set('priorityClassName', options.priorityClassName);
  if (options.imagePullSecrets?.length) set('imagePullSecrets', options.imagePullSecrets.map((name) => ({ name })));
  if (options.topologySpread?.length) {
    set('topologySpreadConstraints', options.topologySpread.map((spread) => ({
      maxSkew: spread.maxSkew ?? 1,
      topologyKey: spread.topology.key,
      whenUnsatisfiable: spread.whenUnsatisfiable ?? UnsatisfiableSpread.SCHEDULE_ANYWAY,
      minDomains: spread.minDomains,
      labelSelector: { matchLabels: { ...selectorLabels } },
      matchLabelKeys: REVISION_LABELS,
    })));
  }
}

/** The pod options set on a CanaryService that brings its own Deployment, which must carry them itself. */
export function podOptionsGiven(options: PodOptions): string[] {
  return POD_OPTION_KEYS.filter((key) => options[key] !== undefined);
}
