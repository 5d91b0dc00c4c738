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
const EXAMPLES = fs.readdirSync(path.join(__dirname, '..', 'examples'))
  .filter((name) => /^(flagger|argo)-(traefik|istio|gateway-api|replica-ratio)/.test(name) && fs.existsSync(path.join(__dirname, '..', 'examples', name, 'main.ts')))
  .sort();

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
  return yaml.load(only(manifests, 'ConfigMap', 'canary-prometheus').data['prometheus.yml']);
}

/** The egress peers of a NetworkPolicy as `namespace/label=value:port`. */
function egressOf(policy: any): string[] {
  return policy.spec.egress.flatMap((rule: any) => rule.to.flatMap((peer: any) => rule.ports.map((port: any) => {
    const namespace = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] ?? '*';
    const labels = Object.entries(peer.podSelector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    return `${namespace}/${labels}:${port.port}`;
  })));
}

/** Every analysis a Rollout runs: the background one, its steps', and blue/green's before and after the switch. */
function analysisReferences(rollout: any): any[] {
  const { canary, blueGreen } = rollout.spec.strategy;
  return [
    canary?.analysis,
    ...(canary?.steps ?? []).map((step: any) => step.analysis),
    blueGreen?.prePromotionAnalysis,
    blueGreen?.postPromotionAnalysis,
  ].filter((reference) => reference !== undefined);
}

test('every engine x router pair has examples', () => {
  for (const pair of ['flagger-traefik', 'flagger-istio', 'argo-traefik', 'argo-istio']) expect(EXAMPLES).toContain(pair);
  expect(EXAMPLES.length).toBeGreaterThan(4);
});

describe.each(EXAMPLES)('examples/%s', (example) => {
  const manifests = manifestsOf(example);
  const engine = example.split('-')[0];
  const router = ['gateway-api', 'replica-ratio'].find((r) => example.includes(`-${r}`)) ?? example.split('-')[1];
  const canary = all(manifests, 'Canary')[0];
  const rollout = all(manifests, 'Rollout')[0];
  const name = (canary ?? rollout).metadata.name;
  const namespace = (canary ?? rollout).metadata.namespace;
  // The Service in front of the new version that the checks measure: Flagger's <name>-canary, the
  // Rollout's canary Service, or before a blue/green switch its preview Service.
  const measured: string = canary ? `${name}-canary` : rollout.spec.strategy.canary?.canaryService ?? rollout.spec.strategy.blueGreen.previewService;
  const commands = loadCommands(manifests);
  const fence = engine === 'flagger' ? only(manifests, 'NetworkPolicy', 'flagger-loadtester') : only(manifests, 'NetworkPolicy', `${name}-analysis-jobs`);

  test('there is load, and with Flagger it also starts before the first check (a pre-rollout warm-up)', () => {
    expect(commands.length).toBeGreaterThan(0);
    if (canary) {
      const types = canary.spec.analysis.webhooks.filter((w: any) => w.metadata?.type === 'cmd').map((w: any) => w.type);
      expect(types).toEqual(['rollout', 'pre-rollout']);
    }
  });

  if (router === 'replica-ratio') {
    test('traffic: the load goes to the Service of the new version alone, whose pods count what they answer', () => {
      for (const command of commands) expect(command).toMatch(new RegExp(` http://${measured}\\.${namespace}:80/$`));
      only(manifests, 'Service', measured);
    });

    test('telemetry: the pods are annotated for scraping, and every query reads the new version\'s own metrics by its pod-template hash', () => {
      const template = only(manifests, 'Deployment', name).spec.template;
      expect(template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9898', 'prometheus.io/path': '/metrics' });
      const job = prometheusConfig(manifests).scrape_configs.find((j: any) => j.job_name === 'kubernetes-pods');
      expect(job.kubernetes_sd_configs[0].namespaces.names).toContain(namespace);
      for (const reference of analysisReferences(rollout)) {
        for (const { templateName } of reference.templates) {
          for (const metric of only(manifests, 'AnalysisTemplate', templateName).spec.metrics.filter((m: any) => m.provider.prometheus)) {
            expect(metric.provider.prometheus.query).toContain('http_request_duration_seconds');
            expect(metric.provider.prometheus.query).toContain('rollouts_pod_template_hash="{{args.canary-hash}}"');
          }
        }
      }
    });

    test('traffic: the Ingress sends the hosts to every pod and the preview host to the new version', () => {
      const rules = only(manifests, 'Ingress', name).spec.rules.map((r: any) => [r.host, r.http.paths[0].backend.service.name]);
      expect(rules).toEqual([['app.example.com', name], ['canary.example.com', measured]]);
      expect(rollout.spec.strategy.canary.trafficRouting).toBeUndefined();
    });
  } else if (router === 'gateway-api') {
    test('traffic: the load goes through the gateway\'s Service with a host an HTTPRoute routes to the measured Service', () => {
      for (const command of commands) {
        const match = / -host (\S+) .*http:\/\/(\S+)-istio\.(\S+):80\/$/.exec(command);
        expect({ command, through: match !== null }).toEqual({ command, through: true });
        const [, host, gateway, gatewayNamespace] = match!;
        only(manifests, 'Gateway', gateway);
        expect(only(manifests, 'Gateway', gateway).metadata.namespace).toBe(gatewayNamespace);
        if (canary) {
          // Flagger generates the HTTPRoute <name> from these, with <name>-canary as a backend.
          expect(canary.spec.service.hosts).toContain(host);
          expect(canary.spec.service.gatewayRefs).toContainEqual(expect.objectContaining({ name: gateway, namespace: gatewayNamespace }));
        } else {
          const routes = all(manifests, 'HTTPRoute').filter((r) => r.spec.hostnames.includes(host));
          expect(routes).toHaveLength(1);
          expect(routes[0].spec.parentRefs).toContainEqual(expect.objectContaining({ name: gateway, namespace: gatewayNamespace }));
          expect(routes[0].spec.rules[0].backendRefs.map((b: any) => b.name)).toContain(measured);
        }
      }
    });

    test('traffic: the command runner may reach the gateway\'s pods on the listener port', () => {
      expect(egressOf(fence)).toContain(`${namespace}/gateway.networking.k8s.io/gateway-name=gateway:80`);
    });

    test('telemetry: Prometheus scrapes the gateway\'s pods and keeps what it forwards to this service\'s Services', () => {
      const gatewayNamespace = all(manifests, 'Gateway')[0].metadata.namespace;
      const jobs = prometheusConfig(manifests).scrape_configs;
      const routerJob = jobs.find((j: any) => j.job_name === `router-${gatewayNamespace}`);
      if (routerJob) {
        const keep = new RegExp(`^(?:${routerJob.metric_relabel_configs[0].regex})$`);
        expect(`istio_requests_total;${measured}.${namespace}.svc.cluster.local`).toMatch(keep);
        expect(`istio_requests_total;${measured}.other.svc.cluster.local`).not.toMatch(keep);
      } else {
        // A Gateway in the service's namespace: its annotated pods are scraped with the rest of the namespace.
        expect(jobs.find((j: any) => j.job_name === 'kubernetes-pods').kubernetes_sd_configs[0].namespaces.names).toContain(gatewayNamespace);
      }
      const queries = canary
        ? all(manifests, 'MetricTemplate').map((t) => t.spec.query)
        : all(manifests, 'AnalysisTemplate').flatMap((t) => t.spec.metrics).filter((m: any) => m.provider.prometheus).map((m: any) => m.provider.prometheus.query);
      expect(queries.length).toBeGreaterThan(0);
      for (const query of queries) expect(query).toContain('reporter="source"');
    });
  } else if (router === 'traefik') {
    test('traffic: the load goes through Traefik\'s Service with a host an IngressRoute routes to the measured Service', () => {
      for (const command of commands) {
        // The public entryPoint, or (a blue/green preview host) the internal one, on its ClusterIP Service.
        const host = / -host (\S+) http:\/\/traefik(?:-internal)?\.traefik:(?:80|8001)\//.exec(command)?.[1];
        const routes = all(manifests, 'IngressRoute').filter((route) => route.spec.routes.some((r: any) => r.match.includes(`Host(\`${host}\`)`)));
        expect({ command, routes: routes.length }).toEqual({ command, routes: 1 });
        const backend = routes[0].spec.routes[0].services[0];
        expect(backend.kind).toBe('TraefikService');
        const ours = all(manifests, 'TraefikService').find((t) => t.metadata.name === backend.name);
        if (ours) {
          expect(ours.spec.weighted.services.map((s: any) => s.name)).toContain(measured);
        } else {
          // Flagger generates the TraefikService <target> with <target>-canary in it.
          expect(backend.name).toBe(canary.spec.targetRef.name);
        }
      }
    });

    test('traffic: the command runner may reach Traefik\'s pods (on the web entryPoint\'s container port, or the internal one\'s for a preview)', () => {
      expect(egressOf(fence)).toContain(`traefik/app.kubernetes.io/name=traefik:${example.includes('blue-green') ? 8001 : 8000}`);
    });

    test('telemetry: Prometheus scrapes Traefik\'s pods and keeps the canary\'s series, and no other namespace\'s', () => {
      const job = prometheusConfig(manifests).scrape_configs.find((j: any) => j.job_name === 'router-traefik');
      expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['traefik'] } }]);
      const keep = new RegExp(`^(?:${job.metric_relabel_configs[0].regex})$`);
      expect(`traefik_service_requests_total;${namespace}-${measured}-80@kubernetescrd`).toMatch(keep);
      expect(`traefik_service_requests_total;other-${measured}-80@kubernetescrd`).not.toMatch(keep);
    });
  } else {
    test('traffic: the load goes to the Service of the new version, whose pods\' sidecars report it', () => {
      const port = canary ? canary.spec.service.port : 80;
      for (const command of commands) {
        // A comparison also loads the compared version's own Service (its sidecars report it): `<load> & <baseline load> && wait $!`.
        const [load, baseline] = command.split(' & ');
        // hey takes a URL; ghz (gRPC) takes host:port.
        expect(load).toMatch(new RegExp(load.startsWith('ghz ') ? ` ${measured}\\.${namespace}:${port}$` : ` http://${measured}\\.${namespace}:${port}/$`));
        if (baseline !== undefined) {
          expect(baseline).toMatch(new RegExp(` http://${name}(-primary|-stable)?\\.${namespace}:${port}/ && wait \\$!$`));
        }
      }
      if (rollout) {
        // Argo keeps the canary (or preview) Service's selector on the new pod-template hash.
        only(manifests, 'Service', measured);
      }
    });

    test('traffic: the command runner may reach the canary pods on their container port', () => {
      const deployment = only(manifests, 'Deployment', name);
      const port = deployment.spec.template.spec.containers[0].ports[0].containerPort;
      expect(egressOf(fence)).toContain(`${namespace}/app.kubernetes.io/name=${name}:${port}`);
    });

    test('telemetry: the pods ask for a sidecar, and the command runners and Prometheus stay out of the mesh', () => {
      expect(only(manifests, 'Deployment', name).spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('true');
      expect(only(manifests, 'Deployment', 'canary-prometheus').spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('false');
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
      test('telemetry: every analysis reads the new version of this rollout by its pod-template hash, which every rollout changes', () => {
        let queries = 0;
        for (const reference of analysisReferences(rollout)) {
          for (const { templateName } of reference.templates) {
            for (const metric of only(manifests, 'AnalysisTemplate', templateName).spec.metrics.filter((m: any) => m.provider.prometheus)) {
              expect(reference.args).toContainEqual({ name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } });
              expect(metric.provider.prometheus.query).toContain('rollouts_pod_template_hash="{{args.canary-hash}}"');
              expect(metric.provider.prometheus.query).not.toContain('canonical_revision');
              queries++;
            }
          }
        }
        expect(queries).toBeGreaterThan(0);
      });
    }
  }
});
