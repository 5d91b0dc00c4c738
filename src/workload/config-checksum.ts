import { createHash, createHmac } from 'crypto';
import { ApiObject, Chart, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { perPass, trackSynthesisPasses } from '../synth/synthesis-pass';

/** The annotation on the pod template that changes with the data of the configuration it reads. */
export const CONFIG_CHECKSUM_ANNOTATION = 'checksum/config';

/** The ConfigMaps and Secrets a pod spec reads, by name. */
export interface ConfigReferences {
  readonly configMaps: string[];
  readonly secrets: string[];
}

/**
 * The ConfigMaps and Secrets a pod spec reads, found where Flagger's config tracker looks
 * (pkg/canary/config_tracker.go, GetTargetConfigs): volumes (also projected), and the `env` and
 * `envFrom` of containers and init containers.
 */
export function configReferences(podSpec: any): ConfigReferences {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const volume of podSpec?.volumes ?? []) {
    if (volume.configMap?.name) configMaps.add(volume.configMap.name);
    if (volume.secret?.secretName) secrets.add(volume.secret.secretName);
    for (const source of volume.projected?.sources ?? []) {
      if (source.configMap?.name) configMaps.add(source.configMap.name);
      if (source.secret?.name) secrets.add(source.secret.name);
    }
  }
  for (const container of [...(podSpec?.containers ?? []), ...(podSpec?.initContainers ?? [])]) {
    for (const env of container.env ?? []) {
      if (env.valueFrom?.configMapKeyRef?.name) configMaps.add(env.valueFrom.configMapKeyRef.name);
      if (env.valueFrom?.secretKeyRef?.name) secrets.add(env.valueFrom.secretKeyRef.name);
    }
    for (const source of container.envFrom ?? []) {
      if (source.configMapRef?.name) configMaps.add(source.configMapRef.name);
      if (source.secretRef?.name) secrets.add(source.secretRef.name);
    }
  }
  return { configMaps: [...configMaps].sort(), secrets: [...secrets].sort() };
}

/** JSON with sorted keys, so that the checksum does not depend on the order data was added in. */
function stableJson(value: any): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${stableJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The ConfigMaps and Secrets of an app, by namespace, then by `<kind>/<name>`. */
type ConfigIndex = Map<string | undefined, Map<string, ApiObject>>;

/**
 * The ConfigMaps and Secrets declared anywhere in the app of `scope`, by namespace and by kind and
 * name (the last declared wins, as the app walked in preorder): one walk of the app.
 */
function indexConfigs(scope: IConstruct): ConfigIndex {
  const index: ConfigIndex = new Map();
  for (const child of scope.node.root.node.findAll()) {
    if (!(child instanceof ApiObject) || (child.kind !== 'ConfigMap' && child.kind !== 'Secret')) continue;
    const namespace = child.metadata.namespace ?? Chart.of(child).namespace;
    let objects = index.get(namespace);
    if (objects === undefined) {
      objects = new Map();
      index.set(namespace, objects);
    }
    objects.set(`${child.kind}/${child.name}`, child);
  }
  return index;
}

const INDEX_KEY = 'config-checksum/configs';

/**
 * The checksum of the configuration the pod spec reads, of the ConfigMaps and Secrets declared in
 * the same app; undefined when it reads none of them (configuration managed elsewhere cannot be
 * seen at synth). The app is indexed once per synthesis pass (synth/synthesis-pass.ts), not walked
 * per service; `consumer` is who asks (one per Deployment).
 *
 * Anyone who may read pods reads the annotation, so it must reveal nothing of a Secret: an unkeyed
 * hash of a short password is undone by trying candidates. A Secret's data therefore enters only as
 * an HMAC-SHA256 under `key`, which never reaches the cluster; without a key only the Secret's name
 * does (a change of its data then starts no release). ConfigMap data is not secret and is hashed as is.
 */
export function configChecksum(scope: IConstruct, namespace: string, podSpec: any, key?: string, consumer: object = {}): string | undefined {
  const references = configReferences(podSpec);
  if (references.configMaps.length === 0 && references.secrets.length === 0) return undefined;
  const declared = perPass(scope, consumer, INDEX_KEY, () => indexConfigs(scope)).get(namespace);
  if (declared === undefined) return undefined;
  const data: { [key: string]: any } = {};
  const contents = (object: ApiObject) => {
    const json = object.toJson();
    return { data: json.data, binaryData: json.binaryData, stringData: json.stringData };
  };
  for (const name of references.configMaps) {
    const object = declared.get(`ConfigMap/${name}`);
    if (object !== undefined) data[`ConfigMap/${name}`] = contents(object);
  }
  for (const name of references.secrets) {
    const object = declared.get(`Secret/${name}`);
    if (object === undefined) continue;
    data[`Secret/${name}`] = key === undefined ? {} : { hmac: createHmac('sha256', key).update(stableJson(contents(object))).digest('hex') };
  }
  if (Object.keys(data).length === 0) return undefined;
  return createHash('sha256').update(stableJson(data)).digest('hex');
}

/**
 * Puts the checksum of the configuration the Deployment's pods read on its pod template, so that
 * a change of that data changes the template and starts a release (Argo Rollouts, unlike Flagger,
 * does not track ConfigMaps and Secrets). Computed at synth, after every change to the app.
 */
export function annotateConfigChecksum(deployment: kplus.Deployment, namespace: string, key?: string): void {
  trackSynthesisPasses(deployment);
  const consumer = {};
  let computing = false;
  const checksum = Lazy.any({
    produce: () => {
      // Reading the pod spec resolves this annotation too: that inner read sees none.
      if (computing) return undefined;
      computing = true;
      try {
        return configChecksum(deployment, namespace, ApiObject.of(deployment).toJson().spec?.template?.spec, key, consumer);
      } finally {
        computing = false;
      }
    },
  });
  deployment.podMetadata.addAnnotation(CONFIG_CHECKSUM_ANNOTATION, checksum as unknown as string);
}
