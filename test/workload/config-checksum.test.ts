import { createHash, createHmac } from 'crypto';
import { ApiObject, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, FastSynth, GitOps, IDeliveryEngine, RolloutWorkloadMode, TrafficRouter,
} from '../../src';
import { CONFIG_CHECKSUM_ANNOTATION, configReferences } from '../../src/workload/config-checksum';
import { only, synth } from '../synth';

interface App {
  readonly chart: Chart;
  readonly service: CanaryService;
}

/**
 * A service whose pods read a ConfigMap through envFrom, a Secret through env and another
 * ConfigMap through a volume, all declared in the same app (and one ConfigMap they do not read).
 */
function app(engine: IDeliveryEngine, settings: string, options: { extra?: Partial<CanaryServiceProps>; password?: string } = {}): App {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  const settingsMap = new kplus.ConfigMap(chart, 'Settings', { metadata: { name: 'podinfo-settings' }, data: { PODINFO_UI_MESSAGE: settings } });
  const secret = new kplus.Secret(chart, 'Password', { metadata: { name: 'podinfo-password' }, stringData: { password: options.password ?? 'initial' } });
  const files = new kplus.ConfigMap(chart, 'Files', { metadata: { name: 'podinfo-files' }, data: { 'motd.txt': 'hello' } });
  new kplus.ConfigMap(chart, 'Unread', { metadata: { name: 'unread' }, data: { value: settings } });
  const service = new CanaryService(chart, 'podinfo', {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine,
    router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
    envFrom: [kplus.Env.fromConfigMap(settingsMap)],
    env: { PASSWORD: kplus.EnvValue.fromSecretValue({ secret, key: 'password' }) },
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
    ...options.extra,
  });
  const volume = kplus.Volume.fromConfigMap(chart, 'FilesVolume', files);
  service.deployment.containers[0].mount('/etc/motd', volume, { readOnly: true });
  return { chart, service };
}

function podTemplate(manifests: any[], kind = 'Deployment'): any {
  return only(manifests, kind, 'podinfo').spec.template;
}

function checksumOf(manifests: any[], kind = 'Deployment'): string | undefined {
  return podTemplate(manifests, kind).metadata?.annotations?.[CONFIG_CHECKSUM_ANNOTATION];
}

describe('Argo Rollouts: a checksum of the configuration the pods read, on the pod template', () => {
  const argo = () => DeliveryEngine.argoRollouts();

  const KEY = 'a-key-kept-out-of-the-cluster-0123456789';
  const keyed = () => DeliveryEngine.argoRollouts({ configChecksumKey: KEY });

  /** Recomputed from the synthesized objects: sorted kind/name; a ConfigMap's data, a Secret's only as an HMAC under the key (or nothing). */
  function expectedChecksum(manifests: any[], key?: string): string {
    const data = (kind: string, name: string) => {
      const object = only(manifests, kind, name);
      return { binaryData: object.binaryData, data: object.data, stringData: object.stringData };
    };
    const sorted = (value: any) => JSON.stringify(value, (_key, v) => (v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k] ?? null]))
      : v));
    const secret = data('Secret', 'podinfo-password');
    return createHash('sha256').update(sorted({
      'ConfigMap/podinfo-files': data('ConfigMap', 'podinfo-files'),
      'ConfigMap/podinfo-settings': data('ConfigMap', 'podinfo-settings'),
      'Secret/podinfo-password': key === undefined ? {} : { hmac: createHmac('sha256', key).update(sorted(secret)).digest('hex') },
    })).digest('hex');
  }

  test('the pod template carries the sha256 of the ConfigMaps\' data, and of each Secret only its name without a key', () => {
    const manifests = synth(app(argo(), 'v1').chart);
    expect(checksumOf(manifests)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksumOf(manifests)).toBe(expectedChecksum(manifests));
  });

  test('with configChecksumKey, a Secret\'s data enters as an HMAC-SHA256 under the key', () => {
    const manifests = synth(app(keyed(), 'v1').chart);
    expect(checksumOf(manifests)).toBe(expectedChecksum(manifests, KEY));
    expect(checksumOf(manifests)).not.toBe(expectedChecksum(manifests));
  });

  test('the annotation reveals nothing of a Secret: without the key, trying candidate passwords cannot find which one it holds', () => {
    // What someone who may read pods (not Secrets) would try: the checksum of each candidate, computed as the annotation is.
    const manifests = synth(app(keyed(), 'v1', { password: 'hunter2' }).chart);
    const annotation = checksumOf(manifests);
    const candidates = ['initial', 'hunter2', 'password'].map((password) => {
      const trial = synth(app(argo(), 'v1', { password }).chart);
      return [checksumOf(trial), expectedChecksum(trial), expectedChecksum(trial, 'a-guessed-key-0123456789')];
    }).flat();
    expect(candidates).not.toContain(annotation);
    // And the unkeyed checksum is the same whatever the password: it depends on the Secret's name only.
    expect(new Set(['initial', 'hunter2', 'password'].map((password) => checksumOf(synth(app(argo(), 'v1', { password }).chart)))).size).toBe(1);
  });

  test('changing the data of a ConfigMap the pods read changes the pod template, so Argo Rollouts starts a release', () => {
    const before = checksumOf(synth(app(argo(), 'v1').chart));
    const after = checksumOf(synth(app(argo(), 'v2').chart));
    expect(after).toMatch(/^[0-9a-f]{64}$/);
    expect(after).not.toBe(before);
  });

  test('changing a Secret the pods read changes it too, with a key', () => {
    expect(checksumOf(synth(app(keyed(), 'v1', { password: 'rotated' }).chart)))
      .not.toBe(checksumOf(synth(app(keyed(), 'v1').chart)));
  });

  test('a short key is rejected, without showing it', () => {
    expect(() => DeliveryEngine.argoRollouts({ configChecksumKey: 'short-key' })).toThrow(
      "DeliveryEngine.argoRollouts(): 'configChecksumKey' (9 characters) must be at least 16 characters long, e.g. 32 random bytes in hex");
  });

  test('the same data gives the same checksum (deterministic output)', () => {
    expect(checksumOf(synth(app(argo(), 'v1').chart))).toBe(checksumOf(synth(app(argo(), 'v1').chart)));
  });

  test('a ConfigMap the pods do not read, or one in another namespace, does not count', () => {
    const readOnly = (unread: string, otherNamespace: string) => {
      const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
      const settings = new kplus.ConfigMap(chart, 'Settings', { metadata: { name: 'podinfo-settings' }, data: { value: 'same' } });
      new kplus.ConfigMap(chart, 'Unread', { metadata: { name: 'unread' }, data: { value: unread } });
      const other = new Chart(chart.node.root as any, 'other', { namespace: 'other' });
      new kplus.ConfigMap(other, 'Settings', { metadata: { name: 'podinfo-settings' }, data: { value: otherNamespace } });
      new CanaryService(chart, 'podinfo', {
        gitOps: GitOps.none(),
        image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
        containerPort: 9898,
        engine: argo(),
        router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
        envFrom: [kplus.Env.fromConfigMap(settings)],
        analysis: { webhooks: [CanaryWebhook.loadTest()] },
      });
      return checksumOf(Testing.synth(chart));
    };
    expect(readOnly('a', 'x')).toMatch(/^[0-9a-f]{64}$/);
    expect(readOnly('b', 'y')).toBe(readOnly('a', 'x'));
  });

  test('no annotation when the pods read no configuration declared in the app', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
    new CanaryService(chart, 'podinfo', {
      gitOps: GitOps.none(),
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
      containerPort: 9898,
      engine: argo(),
      router: TrafficRouter.traefik({ hosts: ['app.example.com'] }),
      // Managed elsewhere (e.g. by an operator): nothing to hash at synth.
      envFrom: [kplus.Env.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, 'External', 'external-settings'))],
      analysis: { webhooks: [CanaryWebhook.loadTest()] },
    });
    expect(podTemplate(synth(chart)).metadata.annotations).toBeUndefined();
  });

  test('with the pod template inline in the Rollout, the Rollout carries it', () => {
    const engine = DeliveryEngine.argoRollouts({ workloadMode: RolloutWorkloadMode.INLINE_TEMPLATE });
    const before = checksumOf(synth(app(engine, 'v1').chart), 'Rollout');
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(checksumOf(synth(app(DeliveryEngine.argoRollouts({ workloadMode: RolloutWorkloadMode.INLINE_TEMPLATE }), 'v2').chart), 'Rollout')).not.toBe(before);
  });
});

describe('Flagger: it tracks the configuration itself', () => {
  const manifests = synth(app(DeliveryEngine.flagger(), 'v1').chart);
  const template = podTemplate(manifests);

  test('the Deployment references each ConfigMap and Secret where Flagger\'s config tracker looks (pkg/canary/config_tracker.go)', () => {
    expect(configReferences(template.spec)).toEqual({ configMaps: ['podinfo-files', 'podinfo-settings'], secrets: ['podinfo-password'] });
  });

  test('they are in the Canary\'s namespace, without the annotation that turns tracking off, and the Secret is of a tracked type', () => {
    const canary = only(manifests, 'Canary', 'podinfo');
    for (const [kind, name] of [['ConfigMap', 'podinfo-files'], ['ConfigMap', 'podinfo-settings'], ['Secret', 'podinfo-password']]) {
      const object = only(manifests, kind, name);
      expect(object.metadata.namespace).toBe(canary.metadata.namespace);
      expect(object.metadata.annotations?.['flagger.app/config-tracking']).toBeUndefined();
    }
    expect(only(manifests, 'Secret', 'podinfo-password').type ?? 'Opaque').toBe('Opaque');
  });

  test('no checksum annotation: Flagger copies the configuration as <name>-primary and restarts the analysis on a change', () => {
    expect(template.metadata.annotations?.[CONFIG_CHECKSUM_ANNOTATION]).toBeUndefined();
  });
});

describe('configReferences', () => {
  test('volumes, projected volumes, env and envFrom of containers and init containers', () => {
    expect(configReferences({
      volumes: [
        { name: 'a', configMap: { name: 'cm-volume' } },
        { name: 'b', secret: { secretName: 'secret-volume' } },
        { name: 'c', projected: { sources: [{ configMap: { name: 'cm-projected' } }, { secret: { name: 'secret-projected' } }] } },
      ],
      containers: [{ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'x' } } }], envFrom: [{ secretRef: { name: 'secret-env-from' } }] }],
      initContainers: [{ env: [{ name: 'Y', valueFrom: { secretKeyRef: { name: 'secret-init', key: 'y' } } }], envFrom: [{ configMapRef: { name: 'cm-init' } }] }],
    })).toEqual({
      configMaps: ['cm-env', 'cm-init', 'cm-projected', 'cm-volume'],
      secrets: ['secret-env-from', 'secret-init', 'secret-projected', 'secret-volume'],
    });
  });
});

describe('Argo Rollouts: the configuration is found wherever and whenever it is declared (one index per synthesis)', () => {
  /** A service `svc-<i>` in chart `chart`, whose pods read the ConfigMap `config-<i>` through envFrom. */
  const service = (chart: Chart, i: number, options: Partial<CanaryServiceProps> = {}) => new CanaryService(chart, `svc-${i}`, {
    namespace: 'test',
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: DeliveryEngine.argoRollouts(),
    router: TrafficRouter.traefik({ hosts: [`svc-${i}.example.com`] }),
    envFrom: [kplus.Env.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, `Config${i}`, `config-${i}`))],
    analysis: { webhooks: [CanaryWebhook.loadTest()] },
    gitOps: GitOps.none(),
    ...options,
  });
  const config = (chart: Chart, i: number, value: string) =>
    new kplus.ConfigMap(chart, `ConfigMap${i}`, { metadata: { name: `config-${i}`, namespace: 'test' }, data: { value } });
  /** The checksum of service i alone in an app with its ConfigMap holding `value`. */
  const alone = (i: number, value: string) => {
    const chart = new Chart(Testing.app(), 'alone');
    service(chart, i);
    config(chart, i, value);
    return checksumOfService(Testing.synth(chart), i);
  };
  const checksumOfService = (manifests: any[], i: number): string | undefined =>
    only(manifests, 'Deployment', `svc-${i}`).spec.template.metadata?.annotations?.[CONFIG_CHECKSUM_ANNOTATION];
  const checksumsIn = (manifests: any[], n: number) => [...Array(n).keys()].map((i) => checksumOfService(manifests, i));

  test('services in charts of their own, their ConfigMaps declared after them in another chart: each service hashes its own', () => {
    const testApp = Testing.app();
    const charts = [0, 1, 2].map((i) => new Chart(testApp, `service-${i}`));
    charts.forEach((chart, i) => service(chart, i));
    const configs = new Chart(testApp, 'configs');
    [0, 1, 2].forEach((i) => config(configs, i, `value-${i}`));
    const manifests = testApp.charts.flatMap((chart) => chart.toJson());
    expect(checksumsIn(manifests, 3)).toEqual([0, 1, 2].map((i) => alone(i, `value-${i}`)));
    expect(new Set(checksumsIn(manifests, 3)).size).toBe(3);
  });

  test('a ConfigMap declared after a synthesis counts in the next one, and in a render by hand without one', () => {
    const chart = new Chart(Testing.app(), 'test');
    const first = service(chart, 0);
    expect(checksumOfService(Testing.synth(chart), 0)).toBeUndefined();
    config(chart, 0, 'late');
    // By hand, in the same synchronous run as the synthesis above: the index of that synthesis is not reused.
    const byHand = ApiObject.of(first.deployment).toJson().spec.template.metadata.annotations?.[CONFIG_CHECKSUM_ANNOTATION];
    expect(byHand).toBe(alone(0, 'late'));
    expect(checksumsIn(Testing.synth(chart), 1)).toEqual([alone(0, 'late')]);
    // And a second service declared now, with its ConfigMap, is indexed too.
    service(chart, 1);
    config(chart, 1, 'later');
    expect(checksumsIn(Testing.synth(chart), 2)).toEqual([alone(0, 'late'), alone(1, 'later')]);
  });

  test('rendered by hand before any synthesis, the Deployment hashes what is declared at that moment', () => {
    const chart = new Chart(Testing.app(), 'test');
    const svc = service(chart, 0);
    config(chart, 0, 'now');
    expect(ApiObject.of(svc.deployment).toJson().spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION]).toBe(alone(0, 'now'));
  });

  test('FastSynth and app.synth() write the same checksums, with the pod template inline in the Rollout too', () => {
    const build = () => {
      const testApp = Testing.app();
      [0, 1, 2].forEach((i) => service(new Chart(testApp, `service-${i}`), i, {
        engine: DeliveryEngine.argoRollouts({ workloadMode: i === 1 ? RolloutWorkloadMode.INLINE_TEMPLATE : undefined }),
        gitOps: GitOps.fluxCd(),
      }));
      const configs = new Chart(testApp, 'configs');
      [0, 1, 2].forEach((i) => config(configs, i, `value-${i}`));
      return testApp;
    };
    const viaFast = FastSynth.synthYaml(build());
    expect(viaFast).toBe(build().synthYaml());
    expect(viaFast.match(/checksum\/config: [0-9a-f]{64}/g)).toHaveLength(3);
  });
});
