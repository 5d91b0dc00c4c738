import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { TerraformStack, TerraformVariable, Testing as TfTesting } from 'cdktf';
import { CanaryPlatform, PlatformEngine, PlatformPlan, PlatformRouter } from '../../src';

/**
 * The CRD steps of CanaryPlatform (terraform_data + local-exec) run kubectl and helm against the
 * Helm provider's cluster: its kubeconfig file and context, never the machine's current context.
 */
const PLAN = new PlatformPlan({ engines: [PlatformEngine.FLAGGER], routers: [PlatformRouter.TRAEFIK, PlatformRouter.GATEWAY_API] });
const SHOW = 'helm show crds "$CHART" --repo "$CHART_REPOSITORY" --version "$CHART_VERSION"';
const APPLY_URL = '--server-side --force-conflicts -f "$MANIFESTS_URL"';

function commands(kubernetes: any): { [step: string]: { command: string; environment: { [name: string]: string } } } {
  const stack = new TerraformStack(TfTesting.app(), 'cluster');
  const provider = kubernetes === undefined ? undefined : new HelmProvider(stack, 'Helm', { kubernetes: kubernetes(stack) });
  const platform = new CanaryPlatform(stack, 'platform', { plan: PLAN, provider });
  const json = JSON.parse(TfTesting.synth(stack));
  return Object.fromEntries(platform.prerequisites.map((resource) => {
    const exec = json.resource.terraform_data[stack.getLogicalId(resource)].provisioner[0]['local-exec'];
    return [resource.node.id, { command: exec.command, environment: exec.environment }];
  }));
}

describe('the CRD steps use the Helm provider\'s kubeconfig and context', () => {
  test('literal configPath and configContext: quoted words on kubectl and helm', () => {
    const steps = commands(() => ({ configPath: '/etc/kube/prod config', configContext: "prod's cluster" }));
    expect(Object.keys(steps)).toEqual(['gateway-api-crds', 'traefik-crds', 'flagger-crds']);
    const kubectl = "--kubeconfig '/etc/kube/prod config' --context 'prod'\\''s cluster'";
    const helm = "--kubeconfig '/etc/kube/prod config' --kube-context 'prod'\\''s cluster'";
    expect(steps['gateway-api-crds']).toEqual({
      command: `kubectl apply ${kubectl} ${APPLY_URL}`,
      environment: { MANIFESTS_URL: 'https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml' },
    });
    expect(steps['flagger-crds']).toEqual({
      command: `${SHOW} ${helm} | kubectl apply ${kubectl} --server-side --force-conflicts -f -`,
      environment: { CHART: 'flagger', CHART_REPOSITORY: 'https://flagger.app', CHART_VERSION: '1.44.0' },
    });
  });

  test('a configPath under ~/ is read from the home folder, as the provider expands it', () => {
    const steps = commands(() => ({ configPath: '~/.kube/config', configContext: 'kind-a' }));
    expect(steps['traefik-crds'].command).toBe(`${SHOW} --kubeconfig "$HOME"/.kube/config --kube-context kind-a`
      + ' | kubectl apply --kubeconfig "$HOME"/.kube/config --context kind-a --server-side --force-conflicts -f -');
  });

  test('Terraform expressions reach the shell through the environment, resolved by Terraform', () => {
    const steps = commands((stack: TerraformStack) => ({
      configPath: new TerraformVariable(stack, 'kubeconfig', {}).stringValue,
      configContext: new TerraformVariable(stack, 'context', {}).stringValue,
    }));
    expect(steps['gateway-api-crds']).toEqual({
      command: `kubectl apply --kubeconfig "$KUBECONFIG_PATH" --context "$KUBE_CONTEXT" ${APPLY_URL}`,
      environment: {
        KUBECONFIG_PATH: '${var.kubeconfig}',
        KUBE_CONTEXT: '${var.context}',
        MANIFESTS_URL: 'https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml',
      },
    });
  });

  test('without a configPath (the default provider), both read the file KUBE_CONFIG_PATH names, as the provider does', () => {
    const steps = commands(undefined);
    // `$${` is Terraform's escape of `${`: the shell sees ${KUBE_CONFIG_PATH:+...}.
    expect(steps['gateway-api-crds'].command).toBe(`kubectl apply $\${KUBE_CONFIG_PATH:+--kubeconfig "$KUBE_CONFIG_PATH"} ${APPLY_URL}`);
    const withContext = commands(() => ({ configContext: 'b' }));
    expect(withContext['gateway-api-crds'].command)
      .toBe(`kubectl apply $\${KUBE_CONFIG_PATH:+--kubeconfig "$KUBE_CONFIG_PATH"} --context b ${APPLY_URL}`);
  });

  test('a provider that reaches the cluster otherwise fails at synth, naming the settings and the steps', () => {
    expect(() => commands(() => ({ host: 'https://10.0.0.1', token: 't' }))).toThrow(
      "CanaryPlatform 'cluster/platform': the provider's kubernetes block sets host, token, but the CRD steps "
      + '(gateway-api-crds, traefik-crds, flagger-crds) give kubectl a kubeconfig file and a context only: '
      + "set kubernetes.configPath and configContext on the provider (the cluster's entry of a kubeconfig file) instead");
  });

  test('a plan without CRD steps accepts any provider', () => {
    const stack = new TerraformStack(TfTesting.app(), 'cluster');
    const provider = new HelmProvider(stack, 'Helm', { kubernetes: { host: 'https://10.0.0.1', token: 't' } });
    const platform = new CanaryPlatform(stack, 'platform', { plan: new PlatformPlan({ engines: [PlatformEngine.ARGO_ROLLOUTS], routers: [PlatformRouter.ISTIO] }), provider });
    expect(platform.prerequisites).toEqual([]);
  });

  test('run by sh, the commands give kubectl and helm exactly the provider\'s file and context', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-target-'));
    const log = path.join(dir, 'argv');
    for (const tool of ['kubectl', 'helm']) {
      fs.writeFileSync(path.join(dir, tool), `#!/bin/sh\nfor a in "$@"; do printf '${tool}:[%s]\\n' "$a" >> "${log}"; done\n`, { mode: 0o755 });
    }
    const steps = commands(() => ({ configPath: '/k/a b; rm -rf x', configContext: '$(whoami)' }));
    const step = steps['flagger-crds'];
    const result = spawnSync('/bin/sh', ['-c', step.command], { env: { ...step.environment, PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf-8' });
    expect(result.status).toBe(0);
    const argv = fs.readFileSync(log, 'utf-8').trim().split('\n');
    fs.rmSync(dir, { recursive: true, force: true });
    // helm and kubectl run side by side in a pipe: their lines interleave in any order, each in its own order.
    const of = (tool: string) => argv.filter((line) => line.startsWith(`${tool}:`));
    expect([...of('helm'), ...of('kubectl')]).toEqual([
      'helm:[show]', 'helm:[crds]', 'helm:[flagger]', 'helm:[--repo]', 'helm:[https://flagger.app]', 'helm:[--version]', 'helm:[1.44.0]',
      'helm:[--kubeconfig]', 'helm:[/k/a b; rm -rf x]', 'helm:[--kube-context]', 'helm:[$(whoami)]',
      'kubectl:[apply]', 'kubectl:[--kubeconfig]', 'kubectl:[/k/a b; rm -rf x]', 'kubectl:[--context]', 'kubectl:[$(whoami)]',
      'kubectl:[--server-side]', 'kubectl:[--force-conflicts]', 'kubectl:[-f]', 'kubectl:[-]',
    ]);
  });
});

describe('the committed platform example: every stack\'s CRD steps target its own cluster', () => {
  const dir = path.join(__dirname, '..', '..', 'examples', 'platform', 'manifests');
  const stacks = fs.readdirSync(dir).filter((file) => file.endsWith('.cdk.tf.json')).sort();

  test('three stacks, one provider each, with the cluster\'s context', () => {
    expect(stacks).toEqual(['argo-rollouts-istio.cdk.tf.json', 'flagger-traefik.cdk.tf.json', 'gateway-api.cdk.tf.json']);
    for (const file of stacks) {
      const json = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf-8'));
      expect(json.provider.helm).toEqual([{ kubernetes: { config_context: file.replace('.cdk.tf.json', ''), config_path: '~/.kube/config' } }]);
    }
  });

  test.each([
    ['argo-rollouts-istio', []],
    ['flagger-traefik', ['flagger-crds', 'traefik-crds']],
    ['gateway-api', ['flagger-crds', 'gateway-api-crds']],
  ])('%s: every kubectl and helm of its terraform_data names ~/.kube/config and the context', (cluster, steps) => {
    const json = JSON.parse(fs.readFileSync(path.join(dir, `${cluster}.cdk.tf.json`), 'utf-8'));
    const data = Object.entries(json.resource.terraform_data ?? {});
    expect(data.map(([id]) => id.replace(/^platform_/, '').replace(/_[0-9A-F]{8}$/, '')).sort()).toEqual(steps);
    const kubectl = `kubectl apply --kubeconfig "$HOME"/.kube/config --context ${cluster} --server-side --force-conflicts`;
    for (const [id, resource] of data as [string, any][]) {
      const command: string = resource.provisioner[0]['local-exec'].command;
      if (id.includes('gateway-api-crds')) {
        expect(command).toBe(`${kubectl} -f "$MANIFESTS_URL"`);
      } else {
        expect(command).toBe(`${SHOW} --kubeconfig "$HOME"/.kube/config --kube-context ${cluster} | ${kubectl} -f -`);
      }
    }
  });
});
