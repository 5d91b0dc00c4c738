import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXPECTATION_ANNOTATIONS } from '../../src/rehearsal/expectation-keys';
import { readManifests } from '../../src/rehearsal/objects/manifests';
import { expectationsOf, findReleases } from '../../src/rehearsal/objects/releases';

const examples = path.join(__dirname, '..', '..', 'examples');

test('reads the synthesized objects of an example folder: the Canary with its target, autoscaler and scrape interval', () => {
  const releases = findReleases(readManifests([path.join(examples, 'flagger-traefik', 'manifests')]));
  expect(releases.map((r) => [r.engine, r.namespace, r.name])).toEqual([['flagger', 'test', 'podinfo']]);
  const [release] = releases;
  expect(release.workload?.kind).toBe('Deployment');
  expect(release.autoscaler?.spec.minReplicas).toBe(2);
  expect(release.podTemplate?.spec.containers[0].image).toBe('ghcr.io/stefanprodan/podinfo:6.7.0');
  expect([release.scrapeIntervalSeconds, release.scrapeIntervalKnown]).toEqual([5, true]);
  expect(release.problems).toEqual([]);
});

test('an Argo Rollout with its workload, autoscaler and templates', () => {
  const [release] = findReleases(readManifests([path.join(examples, 'argo-traefik', 'manifests')]));
  expect([release.engine, release.name, release.workload?.kind, release.autoscaler?.metadata.name]).toEqual(['argo-rollouts', 'podinfo', 'Deployment', 'podinfo']);
  expect(release.problems).toEqual([]);
});

test('hand-written YAML: lists are split, missing templates are named, the scrape interval is assumed', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'objects-'));
  fs.writeFileSync(path.join(dir, 'rollout.yaml'), [
    'apiVersion: v1',
    'kind: List',
    'items:',
    '  - apiVersion: argoproj.io/v1alpha1',
    '    kind: Rollout',
    '    metadata: { name: web, namespace: shop }',
    '    spec:',
    '      strategy:',
    '        canary:',
    '          analysis: { templates: [{ templateName: success }] }',
    '          steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: errors, clusterScope: true }] } }]',
  ].join('\n'));
  const [release] = findReleases(readManifests([dir]));
  expect(release.problems).toEqual([
    "the AnalysisTemplate 'success' is not in the manifests",
    "the ClusterAnalysisTemplate 'errors' is not in the manifests",
  ]);
  expect([release.scrapeIntervalSeconds, release.scrapeIntervalKnown]).toEqual([15, false]);
});

test('expectations are read from the annotations', () => {
  expect(expectationsOf({
    metadata: {
      annotations: {
        [EXPECTATION_ANNOTATIONS.usersPerSecond]: '20',
        [EXPECTATION_ANNOTATIONS.stopsBadWithin]: '5m30s',
        [EXPECTATION_ANNOTATIONS.maxBadWeight]: '10',
        [EXPECTATION_ANNOTATIONS.maxFalseAlarms]: '5%',
        [EXPECTATION_ANNOTATIONS.maxMisses]: '0',
      },
    },
  })).toEqual({ usersPerSecond: 20, stopsBadWithinSeconds: 330, maxBadWeight: 10, maxFalseAlarmRate: 0.05, maxMissRate: 0, errors: [] });
});

test('a hand-written expectation the rehearsal cannot read is an error, each one named with what is allowed', () => {
  expect(expectationsOf({
    metadata: {
      annotations: {
        [EXPECTATION_ANNOTATIONS.usersPerSecond]: 'many',
        [EXPECTATION_ANNOTATIONS.stopsBadWithin]: '5 minutes',
        [EXPECTATION_ANNOTATIONS.maxBadWeight]: '120',
        [EXPECTATION_ANNOTATIONS.maxFalseAlarms]: '5',
        [EXPECTATION_ANNOTATIONS.maxMisses]: '-1%',
        [EXPECTATION_ANNOTATIONS.requiresUserTraffic]: 'yes',
      },
    },
  })).toEqual({
    maxFalseAlarmRate: 0.05,
    errors: [
      "the annotation 'rehearsal.cdk8s-canary.dev/users-per-second' (many) must be a number of requests per second, 0 or more",
      "the annotation 'rehearsal.cdk8s-canary.dev/stops-bad-within' (5 minutes) must be a duration longer than 0 such as 90s or 5m",
      "the annotation 'rehearsal.cdk8s-canary.dev/max-bad-weight' (120) must be a percentage from 0 to 100",
      "the annotation 'rehearsal.cdk8s-canary.dev/max-misses' (-1%) must be a percentage from 0 to 100, such as 5%",
      "the annotation 'rehearsal.cdk8s-canary.dev/requires-user-traffic' (yes) must be 'true' or 'false'",
    ],
  });
});

test('two different objects of the same kind and name cannot be applied together: every release says so', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'objects-'));
  const service = (port: number) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ port }] } });
  const rollout = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'web', namespace: 'shop' }, spec: { strategy: { canary: {} } } };
  fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ kind: 'List', items: [service(80), rollout] }));
  fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ kind: 'List', items: [service(8080), service(8080), rollout] }));
  const releases = findReleases(readManifests([dir]));
  expect(releases.length).toBe(1);
  expect(releases[0].problems).toEqual(['the manifests hold two different objects Service shop/web, which cannot be applied together: the rehearsal reads the first']);
});

test('a path that does not exist is an error', () => {
  expect(() => readManifests(['/no/such/folder'])).toThrow("no manifest file or folder at '/no/such/folder'");
});
