import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { removeSandbox, runUnderShell, sandbox } from './shell-run';
import {
  CanaryMetric, CanaryService, CanaryWebhook, DeliveryEngine, FlaggerMetricTemplate, PlatformEngine, PlatformPlan,
  PlatformRouter, Prometheus, TrafficRouter, WebhookType,
} from '../../src';
import { checkNoCredentialsInUrl, maskCredentials } from '../../src/analysis/url-credentials';

/**
 * No secret in plain text: a URL with credentials is rejected where it is declared (the manifests,
 * and Git, would hold it), with a message that masks it and names the Secret-based way; the
 * examples' acceptance tests print nothing of what they check (their output lands in the
 * controller's events).
 */

describe('credentials in URLs are rejected, masked, with the Secret-based alternative', () => {
  test('Prometheus.external(\'https://user:pass@...\')', () => {
    expect(() => Prometheus.external('https://admin:s3cr3t@prometheus.example.com')).toThrow(
      "Prometheus.external: 'address' ('https://***@prometheus.example.com') carries credentials, which would be written in plain text into the manifests: "
      + 'give the address without them and point it at an authenticating proxy in front of Prometheus inside the cluster: the checks the library '
      + "generates send no credentials to Prometheus (Flagger's MetricTemplates have no 'secretRef', Argo Rollouts' Prometheus provider no "
      + "'authentication' or 'headers')");
  });

  test.each([
    'https://token@prometheus.example.com',
    'https://prometheus.example.com/?token=s3cr3t',
    'http://prometheus.example.com/api?api_key=s3cr3t&x=1',
  ])('Prometheus.external(%j), never printing the secret', (address) => {
    let message = '';
    try {
      Prometheus.external(address);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("'address' (");
    expect(message).toContain('carries credentials');
    expect(message).not.toMatch(/s3cr3t|token@/);
  });

  test('a FlaggerMetricTemplate address names secretName', () => {
    expect(() => new FlaggerMetricTemplate(new Chart(Testing.app(), 'c'), 't', {
      metadata: { name: 'errors' }, query: 'sum(up)', address: 'https://u:p@prometheus.example.com',
    })).toThrow("FlaggerMetricTemplate 'errors': 'address' ('https://***@prometheus.example.com') carries credentials, which would be written in plain text "
      + "into the manifests: give the address without them and name a Secret with them in 'secretName' (Flagger's provider 'secretRef')");
  });

  test('a metric backend\'s address names its secretName', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    new CanaryService(chart, 'web', {
      image: 'ghcr.io/acme/web:1.0.0',
      engine: DeliveryEngine.flagger(),
      router: TrafficRouter.traefik({ hosts: ['web.example.com'] }),
      analysis: {
        webhooks: [CanaryWebhook.loadTest()],
        metrics: [CanaryMetric.graphite({ name: 'errors', address: 'https://user:pw@graphite.example.com', query: 'target=sumSeries(errors)', max: 1 })],
      },
    });
    expect(() => Testing.synth(chart)).toThrow("'analysis.metrics[0].address' ('https://***@graphite.example.com') carries credentials");
  });

  test('a webhook URL', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'shop' });
    new CanaryService(chart, 'web', {
      image: 'ghcr.io/acme/web:1.0.0',
      engine: DeliveryEngine.flagger(),
      router: TrafficRouter.traefik({ hosts: ['web.example.com'] }),
      analysis: {
        webhooks: [CanaryWebhook.loadTest(), CanaryWebhook.http({ name: 'notify', type: WebhookType.EVENT, url: 'https://bot:pw@hooks.example.com/notify' })],
      },
    });
    expect(() => Testing.synth(chart)).toThrow("'analysis.webhooks[1].url' ('https://***@hooks.example.com/notify') carries credentials, which would be written in plain text "
      + 'into the manifests: give the address without them and have the receiver authenticate Flagger another way');
  });

  test('a chart repository of the platform', () => {
    expect(() => new PlatformPlan({ engines: [PlatformEngine.FLAGGER], routers: [PlatformRouter.TRAEFIK], traefik: { repository: 'https://u:p@charts.example.com' } }))
      .toThrow("PlatformPlan: 'traefik.repository' ('https://***@charts.example.com') carries credentials, which would be written in plain text into the manifests: "
        + "give the address without them and keep them in a Secret: a Flux HelmRepository's 'secretRef' (keys 'username' and 'password'), "
        + "or the Terraform Helm provider's 'repository_username'/'repository_password' from a variable");
  });

  test.each([
    ['https://gitlab.example.com/api/v4/metrics?private_token=s3cr3t', 'https://gitlab.example.com/api/v4/metrics?private_token=***'],
    ['https://api.example.com/query?api-key=s3cr3t&q=up', 'https://api.example.com/query?api-key=***&q=up'],
    ['https://monitoring.googleapis.com/v1/query?key=s3cr3t', 'https://monitoring.googleapis.com/v1/query?key=***'],
    ['https://metrics.blob.core.windows.net/q?sv=2022-11-02&sig=s3cr3t', 'https://metrics.blob.core.windows.net/q?sv=2022-11-02&sig=***'],
    ['https://b.s3.amazonaws.com/q?X-Amz-Credential=AKIA%2Fs3cr3t&X-Amz-Signature=s3cr3t&X-Amz-Expires=60',
      'https://b.s3.amazonaws.com/q?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=60'],
    ['https://prometheus.example.com/?access-token=s3cr3t', 'https://prometheus.example.com/?access-token=***'],
    ['https://auth.example.com/?client_id=canary&client_secret=s3cr3t', 'https://auth.example.com/?client_id=canary&client_secret=***'],
    ['https://prometheus.example.com/?apiKey=s3cr3t', 'https://prometheus.example.com/?apiKey=***'],
    ['https://prometheus.example.com/?X-Amz-Security-Token=s3cr3t#top', 'https://prometheus.example.com/?X-Amz-Security-Token=***#top'],
    ['https://prometheus.example.com/?password=s3cr3t', 'https://prometheus.example.com/?password=***'],
  ])('a query parameter named for a credential: %s', (url, masked) => {
    expect(maskCredentials(url)).toBe(masked);
    expect(() => checkNoCredentialsInUrl('Test', 'address', url, 'use a Secret')).toThrow(
      `Test: 'address' ('${masked}') carries credentials, which would be written in plain text into the manifests: give the address without them and use a Secret`);
  });

  test('Prometheus.external with a presigned-style query', () => {
    expect(() => Prometheus.external('https://prometheus.example.com/api?sig=s3cr3t')).toThrow(
      "Prometheus.external: 'address' ('https://prometheus.example.com/api?sig=***') carries credentials");
  });

  test.each([
    'https://search.example.com/q?keyword=canary&monkey=1',
    'https://prometheus.example.com/?tokenizer=ws&signed=1&authors=x&secretary=y&passage=2',
    'https://graphite.example.com/render?format=json&target=sumSeries(errors)&from=-5min',
    'https://api.newrelic.example.com/query?nrql=SELECT%20count(*)&x=1',
  ])('names that only contain a credential word\'s letters pass: %s', (url) => {
    expect(checkNoCredentialsInUrl('Test', 'address', url, 'use a Secret')).toBe(url);
    expect(maskCredentials(url)).toBe(url);
  });

  test('addresses without credentials pass', () => {
    expect(Prometheus.external('https://prometheus.example.com:9090/prom').address).toBe('https://prometheus.example.com:9090/prom');
  });
});

describe('the examples\' acceptance tests print nothing of what they check', () => {
  const examplesDir = path.resolve(__dirname, '..', '..', 'examples');
  const examples = fs.readdirSync(examplesDir)
    .filter((name) => fs.existsSync(path.join(examplesDir, name, 'main.ts')) && !fs.existsSync(path.join(examplesDir, name, 'package.json'))).sort();

  /** The acceptance commands of an example, as the controller runs them (Flagger's bash webhook, Argo's Job). */
  function acceptanceCommands(name: string): string[] {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `example-${name}-`));
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const app = require(path.join(examplesDir, name, 'main.ts')).build(outdir);
      // The platform example renders Helm releases, which run no acceptance test.
      const manifests: any[] = (app.charts ?? []).flatMap((chart: Chart) => chart.toJson());
      const flagger = manifests.filter((m) => m.kind === 'Canary').flatMap((c) => c.spec.analysis.webhooks ?? [])
        .filter((w: any) => w.type === 'pre-rollout' && w.metadata?.type === 'bash').map((w: any) => w.metadata.cmd);
      const argo = manifests.filter((m) => m.kind === 'AnalysisTemplate' || m.kind === 'ClusterAnalysisTemplate').flatMap((t) => t.spec.metrics)
        .filter((m: any) => m.name === 'acceptance-test' && m.provider?.job).map((m: any) => m.provider.job.spec.template.spec.containers[0].command[2]);
      return [...flagger, ...argo];
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }

  const SECRET = 's3cr3t-token-value';
  // curl answering with a token, to stdout or to the file of -o, as curl does.
  const answers = sandbox({
    curl: 'out=/dev/stdout; while [ $# -gt 0 ]; do if [ "$1" = -o ]; then out=$2; shift; fi; shift; done\n'
      + `printf '{"token": "${SECRET}", "expires_at": "2030-01-01"}\\n' > "$out"`,
  });
  // curl -f's answer to an HTTP error: nothing printed, exit 22.
  const failing = sandbox({ curl: 'exit 22' });
  afterAll(() => [answers, failing].forEach(removeSandbox));

  test('the examples have acceptance tests', () => {
    expect(examples.filter((name) => acceptanceCommands(name).length > 0).length).toBeGreaterThanOrEqual(10);
  });

  test.each(examples)('examples/%s', (name) => {
    for (const command of acceptanceCommands(name)) {
      const run = runUnderShell(answers, command);
      expect({ command, status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({ command, status: 0, stdout: '', stderr: '' });
      // The check still fails when the answer lacks what it looks for.
      expect(runUnderShell(failing, command).status).not.toBe(0);
    }
  });
});
