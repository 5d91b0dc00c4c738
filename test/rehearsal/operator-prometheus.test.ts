import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import * as yaml from 'js-yaml';
import { requirePrometheus } from './require-prometheus';
import { podinfo } from '../../examples/shared/podinfo';
import { DeliveryEngine, GitOps, IDeliveryEngine, ITrafficRouter, Prometheus, Rehearsal, RehearsalReport, TrafficRouter } from '../../src';
import { declaredPrometheus } from '../../src/rehearsal/declared-prometheus';
import { ObjectIndex } from '../../src/rehearsal/objects/manifests';
import { EMBEDDED_LABELLING, seriesLabelling } from '../../src/rehearsal/objects/monitoring';
import { findReleases } from '../../src/rehearsal/objects/releases';
import { parseRehearseArguments } from '../../src/rehearsal/rehearse-command';
import { monitoredTargetLabels } from '../../src/rehearsal/traffic/shapes';

/**
 * Review 20op-19r F1: with the Prometheus Operator's Prometheus, the checks read the series of the
 * service's PodMonitors (job `<namespace>/<PodMonitor>`, and under an enforced namespace label the
 * service's namespace on the router's series too): the rehearsal writes them so, and a healthy
 * release is promoted, a bad one stopped, as on the cluster.
 */
requirePrometheus();

const ADDRESS = 'http://kube-prometheus-stack-prometheus.monitoring:9090';
const OPTIONS = { seeds: 1, scenarios: ['healthy', 'error-rate'] };

/**
 * Flagger + Traefik in `flagger-test`, Argo Rollouts + Traefik in `argo-test` (and Flagger + Istio
 * in `istio-test`), on the operator's Prometheus, enforcing a namespace label or not.
 */
function operatorApp(enforcedNamespaceLabel?: string, withIstio = false): App {
  const app = Testing.app();
  const service = (namespace: string, engine: IDeliveryEngine, router: ITrafficRouter) => {
    const chart = new Chart(app, namespace, { namespace });
    podinfo(chart, engine, router, { gitOps: GitOps.none(), prometheus: Prometheus.operator({ address: ADDRESS, enforcedNamespaceLabel }) });
  };
  service('flagger-test', DeliveryEngine.flagger(), TrafficRouter.traefik({ hosts: ['flagger-test.example.com'] }));
  service('argo-test', DeliveryEngine.argoRollouts(), TrafficRouter.traefik({ hosts: ['argo-test.example.com'] }));
  if (withIstio) service('istio-test', DeliveryEngine.flagger(), TrafficRouter.istio({ hosts: ['istio-test.example.com'] }));
  return app;
}

/** Per release: [healthy promoted, error-rate rolled back], and every failure. */
function outcomes(report: RehearsalReport): { [release: string]: any } {
  return Object.fromEntries(report.toJson().map((r: any) => [`${r.namespace}/${r.name}`, {
    healthy: r.scenarios.find((s: any) => s.scenario === 'healthy').promoted,
    errorRateRolledBack: r.scenarios.find((s: any) => s.scenario === 'error-rate').rolledBack,
    failures: r.failures,
  }]));
}

const PASSED = { healthy: 1, errorRateRolledBack: 1, failures: [] };

describe('how the series are labelled, from the manifests', () => {
  const manifests = (label?: string) => operatorApp(label).charts.flatMap((c) => c.toJson());

  test('PodMonitors <name>-pods and <name>-router: their jobs, the router\'s by the namespace it selects; the interval of the pods\' monitor', () => {
    const assumptions: string[] = [];
    const labelling = seriesLabelling(new ObjectIndex(manifests('namespace')), 'flagger-test', 'podinfo', undefined, assumptions);
    expect(labelling.podJob).toBe('flagger-test/podinfo-pods');
    expect(labelling.routerJob('traefik')).toBe('flagger-test/podinfo-router');
    expect(labelling.enforced).toBeUndefined();
    expect(labelling.intervalSeconds).toBe(5);
    expect(assumptions).toEqual(["the series are labelled as the Prometheus Operator's PodMonitors 'flagger-test/podinfo-pods', 'flagger-test/podinfo-router' label them "
      + "(job '<namespace>/<PodMonitor>'), by a Prometheus that enforces no namespace label: whether the platform's does (enforcedNamespaceLabel) is in no manifest "
      + '(--enforced-namespace-label <name>, or RehearsalOptions.enforcedNamespaceLabel, to rehearse with it)']);
  });

  test('an enforced label (any name) is set to the service\'s namespace on the router pods\' series, which keep their own namespace otherwise', () => {
    const index = new ObjectIndex(manifests('namespace'));
    const traefikPod = { name: 'traefik-1', namespace: 'traefik', labels: {}, workload: 'traefik' };
    for (const label of ['namespace', 'tenant']) {
      const labelling = seriesLabelling(index, 'argo-test', 'podinfo', { enforcedNamespaceLabel: label, source: 'the test' }, []);
      const labels = monitoredTargetLabels(labelling, 'router', traefikPod, 9100);
      expect(labels).toMatchObject({ job: 'argo-test/podinfo-router', [label]: 'argo-test', kubernetes_namespace: 'traefik' });
      if (label === 'tenant') expect(labels.namespace).toBe('traefik');
    }
  });

  test('no PodMonitor: the embedded Prometheus\'s jobs, nothing assumed', () => {
    const assumptions: string[] = [];
    expect(seriesLabelling(new ObjectIndex([]), 'test', 'podinfo', undefined, assumptions)).toBe(EMBEDDED_LABELLING);
    expect(assumptions).toEqual([]);
  });

  test('an app says it itself: what Prometheus.operator() enforces, per service', () => {
    for (const label of ['namespace', 'tenant', undefined]) {
      const declared = declaredPrometheus(operatorApp(label).node.findAll());
      expect([...declared.entries()].sort()).toEqual(['argo-test', 'flagger-test'].map((ns) => [`${ns}/podinfo`, { enforcedNamespaceLabel: label, source: "the declaration of CanaryService 'podinfo'" }]));
    }
    const releases = findReleases(manifests('namespace'), undefined, () => ({ enforcedNamespaceLabel: 'namespace', source: "the declaration of CanaryService 'podinfo'" }));
    expect(releases.map((r) => [r.namespace, r.labelling.enforced])).toEqual([
      ['argo-test', { label: 'namespace', value: 'argo-test' }],
      ['flagger-test', { label: 'namespace', value: 'flagger-test' }],
    ]);
    expect(releases[0].labellingAssumptions[0]).toMatch(/by a Prometheus that enforces the label 'namespace' \(set to 'argo-test' on every series of these monitors\), as the declaration of CanaryService 'podinfo' says$/);
  });
});

describe('Flagger + Traefik and Argo Rollouts + Traefik on the operator\'s Prometheus, rehearsed', () => {
  test('namespace label enforced: healthy promoted, error-rate rolled back (was a FALSE ALARM), Flagger + Istio too', async () => {
    const report = await Rehearsal.ofApp(operatorApp('namespace', true), OPTIONS);
    expect(outcomes(report)).toEqual({ 'argo-test/podinfo': PASSED, 'flagger-test/podinfo': PASSED, 'istio-test/podinfo': PASSED });
  }, 600_000);

  test('another label name enforced (tenant): the same', async () => {
    const report = await Rehearsal.ofApp(operatorApp('tenant'), OPTIONS);
    expect(outcomes(report)).toEqual({ 'argo-test/podinfo': PASSED, 'flagger-test/podinfo': PASSED });
  }, 600_000);

  test('no label enforced: the same', async () => {
    const report = await Rehearsal.ofApp(operatorApp(), OPTIONS);
    expect(outcomes(report)).toEqual({ 'argo-test/podinfo': PASSED, 'flagger-test/podinfo': PASSED });
  }, 600_000);

  test('from the manifests: with enforcedNamespaceLabel the checks see the series; without it, a healthy Argo release is a false alarm, and the report says what it assumed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearse-operator-'));
    const objects = operatorApp('namespace').charts.flatMap((c) => c.toJson()).filter((o) => o.metadata?.namespace !== 'flagger-test');
    fs.writeFileSync(path.join(dir, 'app.yaml'), objects.map((o) => yaml.dump(o)).join('---\n'));
    const told = await Rehearsal.ofManifests([dir], { ...OPTIONS, enforcedNamespaceLabel: 'namespace' });
    expect(outcomes(told)).toEqual({ 'argo-test/podinfo': PASSED });
    const untold = await Rehearsal.ofManifests([dir], { ...OPTIONS, scenarios: ['healthy'] });
    expect(untold.failures).toEqual([expect.stringMatching(/^argo-test\/podinfo: 1 of 1 healthy runs were rolled back/)]);
    expect(parseRehearseArguments([dir, '--enforced-namespace-label', 'tenant']).options.enforcedNamespaceLabel).toBe('tenant');
    expect(untold.toText()).toContain('assumed: the series are labelled as the Prometheus Operator\'s PodMonitors \'argo-test/podinfo-pods\', \'argo-test/podinfo-router\' label them');
  }, 600_000);
});
