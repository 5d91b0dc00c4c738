import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { all, only } from './synth';

/**
 * What no schema sees, asserted on the committed output of every example: the load reaches the
 * place where the router measures (traffic), the pods and the scrape config produce the series the
 * queries read, for the canary alone (telemetry). Whether each analysis can fail in time is in
 * test/plan/plan-checks.test.ts.
 */
const EXAMPLES = ['flagger-traefik', 'flagger-istio', 'argo-traefik', 'argo-istio'];

function manifestsOf(example: string): any[] {
  const dir = path.join(__dirname, '..', 'examples', example, 'manifests');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => yaml.loadAll(fs.readFileSync(path.join(dir, f), 'utf-8')) as any[]);
}

/** The commands that generate load: Flagger's `cmd` webhooks, or Argo's load Jobs. */
function loadCommands(manifests: any[]): string[] {
  const canary = all(manifests, 'Canary')[0];
  if (canary) {
    return canary.spec.analysis.webhooks.filter((w: any) => w.metadata?.type === 'cmd').map((w: any) => w.metadata.cmd);
  }
  return all(manifests, 'AnalysisTemplate')
    .flatMap((t) => t.spec.metrics)
    .filter((m: any) => m.provider.job && m.name.startsWith('load'))
    .map((m: any) => m.provider.job.spec.template.spec.containers[0].command[2]);
}

function prometheusConfig(manifests: any[]): any {
  return yaml.load(only(manifests, 'ConfigMap', 'flagger-prometheus').data['prometheus.yml']);
}

/** The egress peers of a NetworkPolicy as `namespace/label=value:port`. */
function egressOf(policy: any): string[] {
  return policy.spec.egress.flatMap((rule: any) => rule.to.flatMap((peer: any) => rule.ports.map((port: any) => {
    const namespace = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] ?? '*';
    const labels = Object.entries(peer.podSelector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    return `${namespace}/${labels}:${port.port}`;
  })));
}

describe.each(EXAMPLES)('examples/%s', (example) => {
  const manifests = manifestsOf(example);
  const [engine, router] = example.split('-');
  const canary = all(manifests, 'Canary')[0];
  const rollout = all(manifests, 'Rollout')[0];
  const name = (canary ?? rollout).metadata.name;
  const namespace = (canary ?? rollout).metadata.namespace;
  const commands = loadCommands(manifests);
  const fence = engine === 'flagger' ? only(manifests, 'NetworkPolicy', 'flagger-loadtester') : only(manifests, 'NetworkPolicy', `${name}-analysis-jobs`);

  test('there is load, and with Flagger it also starts before the first check (a pre-rollout warm-up)', () => {
    expect(commands.length).toBeGreaterThan(0);
    if (canary) {
      const types = canary.spec.analysis.webhooks.filter((w: any) => w.metadata?.type === 'cmd').map((w: any) => w.type);
      expect(types).toEqual(['rollout', 'pre-rollout']);
    }
  });

  if (router === 'traefik') {
    test('traffic: the load goes through Traefik\'s Service with a host the IngressRoute routes to the canary', () => {
      const route = only(manifests, 'IngressRoute', name);
      const hosts = route.spec.routes.map((r: any) => /Host\(`([^`]+)`\)/.exec(r.match)![1]);
      for (const command of commands) {
        const match = / -host (\S+) http:\/\/traefik\.traefik:80\//.exec(command);
        expect({ command, routed: match !== null && hosts.includes(match[1]) }).toEqual({ command, routed: true });
      }
      const backend = route.spec.routes[0].services[0];
      expect(backend.kind).toBe('TraefikService');
      if (canary) {
        // Flagger generates the TraefikService <target> with <target>-canary in it.
        expect(backend.name).toBe(canary.spec.targetRef.name);
      } else {
        const weighted = only(manifests, 'TraefikService', backend.name).spec.weighted.services.map((s: any) => s.name);
        expect(weighted).toContain(rollout.spec.strategy.canary.canaryService);
      }
    });

    test('traffic: the command runner may reach Traefik\'s pods (on the web entryPoint\'s container port)', () => {
      expect(egressOf(fence)).toContain('traefik/app.kubernetes.io/name=traefik:8000');
    });

    test('telemetry: Prometheus scrapes Traefik\'s pods and keeps the canary\'s series, and no other namespace\'s', () => {
      const job = prometheusConfig(manifests).scrape_configs.find((j: any) => j.job_name === 'router-traefik');
      expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['traefik'] } }]);
      const keep = new RegExp(`^(?:${job.metric_relabel_configs[0].regex})$`);
      const canaryService = canary ? `${name}-canary` : rollout.spec.strategy.canary.canaryService;
      expect(`traefik_service_requests_total;${namespace}-${canaryService}-80@kubernetescrd`).toMatch(keep);
      expect(`traefik_service_requests_total;other-${canaryService}-80@kubernetescrd`).not.toMatch(keep);
    });
  } else {
    test('traffic: the load goes to the canary Service, whose pods\' sidecars report it', () => {
      const port = canary ? canary.spec.service.port : 80;
      for (const command of commands) {
        expect(command).toMatch(new RegExp(` http://${name}-canary\\.${namespace}:${port}/$`));
      }
      if (rollout) {
        // Argo keeps the canary Service's selector on the canary's pod-template hash.
        expect(rollout.spec.strategy.canary.canaryService).toBe(`${name}-canary`);
        only(manifests, 'Service', `${name}-canary`);
      }
    });

    test('traffic: the command runner may reach the canary pods on their container port', () => {
      const deployment = only(manifests, 'Deployment', name);
      const port = deployment.spec.template.spec.containers[0].ports[0].containerPort;
      expect(egressOf(fence)).toContain(`${namespace}/app.kubernetes.io/name=${name}:${port}`);
    });

    test('telemetry: the pods ask for a sidecar, and the command runners and Prometheus stay out of the mesh', () => {
      expect(only(manifests, 'Deployment', name).spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('true');
      expect(only(manifests, 'Deployment', 'flagger-prometheus').spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('false');
      if (canary) {
        expect(only(manifests, 'Deployment', 'flagger-loadtester').spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('false');
      } else {
        for (const template of all(manifests, 'AnalysisTemplate')) {
          for (const metric of template.spec.metrics.filter((m: any) => m.provider.job)) {
            expect(metric.provider.job.spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('false');
          }
        }
      }
    });

    test('telemetry: Prometheus scrapes the service\'s namespace and copies pod labels onto the series', () => {
      const job = prometheusConfig(manifests).scrape_configs.find((j: any) => j.job_name === 'kubernetes-pods');
      expect(job.kubernetes_sd_configs[0].namespaces.names).toContain(namespace);
      expect(job.relabel_configs).toContainEqual({ action: 'labelmap', regex: '__meta_kubernetes_pod_label_(.+)' });
    });

    if (rollout) {
      test('telemetry: the checks read the canary of this rollout by its pod-template hash, which every rollout changes', () => {
        const args = rollout.spec.strategy.canary.analysis.args;
        expect(args).toContainEqual({ name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } });
        const query = only(manifests, 'AnalysisTemplate', name).spec.metrics.find((m: any) => m.provider.prometheus).provider.prometheus.query;
        expect(query).toContain('rollouts_pod_template_hash="{{args.canary-hash}}"');
        expect(query).not.toContain('canonical_revision');
      });
    }
  }
});
