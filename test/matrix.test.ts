import { Chart, Testing } from 'cdk8s';
import { all, only, synth } from './synth';
import { podinfo } from '../examples/shared/podinfo';
import { DeliveryEngine, GitOps, IDeliveryEngine, ITrafficRouter, IstioRoutingMode, TrafficRouter } from '../src';

// One declaration (examples/shared/podinfo.ts); only the engine and the router change.
const engines: [string, () => IDeliveryEngine][] = [
  ['flagger', () => DeliveryEngine.flagger()],
  ['argo-rollouts', () => DeliveryEngine.argoRollouts()],
];
const routers: [string, () => ITrafficRouter][] = [
  ['traefik', () => TrafficRouter.traefik({ hosts: ['app.example.com'] })],
  ['istio', () => TrafficRouter.istio({ hosts: ['app.example.com'] })],
];

function stack(engine: IDeliveryEngine, router: ITrafficRouter): any[] {
  const chart = new Chart(Testing.app(), 'podinfo', { namespace: 'test' });
  podinfo(chart, engine, router, { gitOps: GitOps.none() });
  return synth(chart);
}

function names(manifests: any[], kind: string): string[] {
  return all(manifests, kind).map((m) => m.metadata.name);
}

describe.each(engines)('%s', (engineName, engine) => {
  describe.each(routers)('with %s', (routerName, router) => {
    const manifests = stack(engine(), router());

    test('the autoscaler targets the workload the controller rolls out, which has no replicas in Git', () => {
      const target = only(manifests, 'HorizontalPodAutoscaler', 'podinfo').spec.scaleTargetRef;
      expect(target.kind).toBe(engineName === 'flagger' ? 'Deployment' : 'Rollout');
      expect(only(manifests, target.kind, target.name).spec.replicas).toBeUndefined();
    });

    test('the Prometheus the checks query exists', () => {
      expect(names(manifests, 'Service')).toContain('canary-prometheus');
    });

    if (engineName === 'flagger') {
      test('the Canary names the router as its provider, and we emit none of the objects Flagger owns', () => {
        expect(only(manifests, 'Canary', 'podinfo').spec.provider).toBe(routerName);
        expect(names(manifests, 'Service')).not.toEqual(expect.arrayContaining(['podinfo-canary']));
        expect(all(manifests, 'TraefikService')).toEqual([]);
        expect(all(manifests, 'VirtualService')).toEqual([]);
        expect(all(manifests, 'DestinationRule')).toEqual([]);
      });
    } else {
      const rollout = only(manifests, 'Rollout', 'podinfo');
      const canary = rollout.spec.strategy.canary;

      test('every AnalysisTemplate the Rollout names exists and declares exactly the args it passes', () => {
        const references = [canary.analysis, ...canary.steps.filter((s: any) => s.analysis).map((s: any) => s.analysis)];
        expect(references.length).toBeGreaterThan(0);
        for (const reference of references) {
          for (const { templateName } of reference.templates) {
            const template = only(manifests, 'AnalysisTemplate', templateName);
            expect(template.spec.args.map((a: any) => a.name)).toEqual(reference.args.map((a: any) => a.name));
            // Strings, or the canary's pod-template hash that Argo Rollouts resolves.
            expect(reference.args.every((a: any) => typeof a.value === 'string' || a.valueFrom?.podTemplateHashValue === 'Latest')).toBe(true);
          }
        }
      });

      test('the checks query the canary of this service', () => {
        const template = only(manifests, 'AnalysisTemplate', 'podinfo');
        const query = template.spec.metrics.find((m: any) => m.name === 'request-success-rate').provider.prometheus.query;
        const args = Object.fromEntries(canary.analysis.args.map((a: any) => [a.name, a.value ?? `<${a.valueFrom.podTemplateHashValue} hash>`]));
        const resolved = query.replace(/\{\{args\.([a-z-]+)\}\}/g, (_: string, name: string) => args[name]);
        if (routerName === 'traefik') {
          expect(resolved).toContain('service="test-podinfo-canary-80@kubernetescrd"');
        } else {
          // The canary pods of this rollout: their pod-template hash changes with every rollout,
          // image-only updates included, unlike the version label.
          expect(resolved).toContain('destination_workload="podinfo"');
          expect(resolved).toContain('rollouts_pod_template_hash="<Latest hash>"');
        }
      });

      if (routerName === 'traefik') {
        test('the TraefikService splits between the stable and canary Services that exist, without weights', () => {
          const traefikService = only(manifests, 'TraefikService', canary.trafficRouting.traefik.weightedTraefikServiceName);
          const entries = traefikService.spec.weighted.services;
          expect(entries.map((e: any) => e.name)).toEqual([canary.stableService, canary.canaryService]);
          expect(entries.every((e: any) => e.weight === undefined)).toBe(true);
          expect(names(manifests, 'Service')).toEqual(expect.arrayContaining([canary.stableService, canary.canaryService]));
          expect(only(manifests, 'IngressRoute', 'podinfo').spec.routes[0].services[0].name).toBe(traefikService.metadata.name);
        });
      } else {
        test('the Rollout names the VirtualService route and the DestinationRule subsets that exist', () => {
          const { virtualService, destinationRule } = canary.trafficRouting.istio;
          const vs = only(manifests, 'VirtualService', virtualService.name);
          expect(virtualService.routes.every((route: string) => vs.spec.http.some((h: any) => h.name === route))).toBe(true);
          const dr = only(manifests, 'DestinationRule', destinationRule.name);
          expect(dr.spec.subsets.map((s: any) => s.name)).toEqual([destinationRule.stableSubsetName, destinationRule.canarySubsetName]);
          const route = vs.spec.http.find((h: any) => h.name === virtualService.routes[0]).route;
          expect(route.map((r: any) => [r.destination.host, r.destination.subset, r.weight])).toEqual([['podinfo', 'stable', 100], ['podinfo', 'canary', 0]]);
          expect(names(manifests, 'Service')).toContain(dr.spec.host);
          expect(vs.spec.gateways).toEqual(['test/podinfo', 'mesh']);
          expect(names(manifests, 'Gateway')).toEqual(['podinfo']);
        });
      }
    }
  });
});

test('Istio host-level routing with Argo Rollouts routes between stable and canary Services', () => {
  const manifests = stack(DeliveryEngine.argoRollouts(), TrafficRouter.istio({ hosts: ['app.example.com'], routingMode: IstioRoutingMode.HOST }));
  const canary = only(manifests, 'Rollout', 'podinfo').spec.strategy.canary;
  const route = only(manifests, 'VirtualService', 'podinfo').spec.http[0].route;
  expect(route.map((r: any) => r.destination.host)).toEqual([canary.stableService, canary.canaryService]);
  expect(names(manifests, 'Service')).toEqual(expect.arrayContaining([canary.stableService, canary.canaryService]));
  expect(canary.trafficRouting.istio.destinationRule).toBeUndefined();
});
