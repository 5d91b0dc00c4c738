import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { TerraformStack, TerraformVariable, Testing as TfTesting } from 'cdktf';
import { CanaryPlatform, PlatformEngine, PlatformPlan, PlatformRouter } from '../../src';
import { IN_CLUSTER_TOKEN } from '../../src/platform/kube-target';

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

/** The command after its preamble (the checks before the first kubectl or helm). */
function main(command: string): string {
  return command.replace(/^.*(?:esac|exit 1; \}); /s, '');
}

// Terraform-escaped (`$${` stands for `${`): the provider's environment settings a kubeconfig file and
// a context cannot carry stop every step.
const ENV_CHECK = 'case "$${KUBE_INSECURE:-}" in \'\'|0|f|F|false|FALSE|False) insecure= ;; *) insecure=\' KUBE_INSECURE\' ;; esac; '
  + 'unsupported=$${KUBE_CONFIG_PATHS:+ KUBE_CONFIG_PATHS}$${KUBE_CTX_CLUSTER:+ KUBE_CTX_CLUSTER}'
  + '$${KUBE_CTX_AUTH_INFO:+ KUBE_CTX_AUTH_INFO}$${KUBE_HOST:+ KUBE_HOST}$${KUBE_TOKEN:+ KUBE_TOKEN}$${KUBE_USER:+ KUBE_USER}'
  + '$${KUBE_PASSWORD:+ KUBE_PASSWORD}$${KUBE_CLIENT_CERT_DATA:+ KUBE_CLIENT_CERT_DATA}$${KUBE_CLIENT_KEY_DATA:+ KUBE_CLIENT_KEY_DATA}'
  + '$${KUBE_CLUSTER_CA_CERT_DATA:+ KUBE_CLUSTER_CA_CERT_DATA}$insecure'
  + '$${KUBE_TLS_SERVER_NAME:+ KUBE_TLS_SERVER_NAME}$${KUBE_PROXY_URL:+ KUBE_PROXY_URL}; [ -z "$unsupported" ] || '
  + "{ printf '%s\\n' 'CanaryPlatform '\\''cluster/platform'\\'', CRD steps gateway-api-crds, traefik-crds, flagger-crds: "
  + "the Helm provider reads'\"$unsupported\"' from the environment, and kubectl and helm get a kubeconfig file and a context only: "
  + "unset'\"$unsupported\"', and name the cluster with the provider'\\''s kubernetes.configPath (or KUBE_CONFIG_PATH) and "
  + "configContext (or KUBE_CTX)' >&2; exit 1; }; ";
const WHO = "CanaryPlatform 'cluster/platform', CRD steps gateway-api-crds, traefik-crds, flagger-crds";

/** What Terraform hands /bin/sh: the command with its template escapes (`$${`, `%%{`) undone. */
function unescape(command: string): string {
  return command.replace(/([$%])\1\{/g, '$1{');
}

interface Run { readonly status: number | null; readonly stderr: string; readonly argv: string[] }

/**
 * Runs `step` as local-exec does (`/bin/sh -c`, its environment, here nothing else of this process's
 * but `env`), with a kubectl and a helm on PATH that record their arguments, one per line.
 */
function run(step: { command: string; environment: { [name: string]: string } }, env: { [name: string]: string } = {}): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-target-'));
  const log = path.join(dir, 'argv');
  for (const tool of ['kubectl', 'helm']) {
    fs.writeFileSync(path.join(dir, tool), `#!/bin/sh\nfor a in "$@"; do printf '${tool}:[%s]\\n' "$a" >> "${log}"; done\n`, { mode: 0o755 });
  }
  try {
    const result = spawnSync('/bin/sh', ['-c', unescape(step.command)], {
      env: { HOME: '/home/ops', ...step.environment, ...env, PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf-8',
    });
    const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf-8').trim().split('\n') : [];
    // helm and kubectl run side by side in a pipe: their lines interleave in any order, each in its own order.
    const of = (tool: string) => lines.filter((line) => line.startsWith(`${tool}:`));
    return { status: result.status, stderr: result.stderr, argv: [...of('helm'), ...of('kubectl')] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const HELM_SHOW = ['helm:[show]', 'helm:[crds]', 'helm:[flagger]', 'helm:[--repo]', 'helm:[https://flagger.app]', 'helm:[--version]', 'helm:[1.44.0]'];
/** `--kubeconfig /dev/null` and no context: what the commands get when no kubeconfig file is named. */
const NO_FILE = (tool: string) => [`${tool}:[--kubeconfig]`, `${tool}:[/dev/null]`];

/** The step's message where no kubeconfig file is named outside a pod. */
const NOT_IN_CLUSTER = `${WHO}: the Helm provider names no kubeconfig file (kubernetes.configPath is not set or empty and KUBE_CONFIG_PATH `
  + 'is empty), so it uses the in-cluster configuration, and this is not a pod with one (KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT '
  + `and ${IN_CLUSTER_TOKEN}): set the provider's kubernetes.configPath or export KUBE_CONFIG_PATH\n`;

/** The preamble's branch for no file named: in a pod, an empty kubeconfig and no context; else stop. */
function noFile(pathVariable: string, contextVariable: string): string {
  return `[ -n "$\${${pathVariable}:-}" ] || { [ -n "$\${KUBERNETES_SERVICE_HOST:-}" ] && [ -n "$\${KUBERNETES_SERVICE_PORT:-}" ] `
    + `&& [ -f ${IN_CLUSTER_TOKEN} ] || { printf '%s\\n' '${NOT_IN_CLUSTER.slice(0, -1).replace(/'/g, "'\\''")}' >&2; exit 1; }; `
    + `${pathVariable}=/dev/null; ${contextVariable}=; }; `;
}

/** `run` as in a pod: the two variables set and the token file (a file of the test's, in place of the mounted one). */
function runInPod(step: { command: string; environment: { [name: string]: string } }, env: { [name: string]: string } = {}): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-target-pod-'));
  const token = path.join(dir, 'token');
  fs.writeFileSync(token, 'x');
  try {
    return run({ ...step, command: step.command.split(IN_CLUSTER_TOKEN).join(token) },
      { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', ...env });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const APPLY_STDIN = ['kubectl:[--server-side]', 'kubectl:[--force-conflicts]', 'kubectl:[-f]', 'kubectl:[-]'];

describe('the CRD steps use the Helm provider\'s kubeconfig and context', () => {
  test('literal configPath and configContext: quoted words on kubectl and helm', () => {
    const steps = commands(() => ({ configPath: '/etc/kube/prod config', configContext: "prod's cluster" }));
    expect(Object.keys(steps)).toEqual(['gateway-api-crds', 'traefik-crds', 'flagger-crds']);
    const kubectl = "--kubeconfig '/etc/kube/prod config' --context 'prod'\\''s cluster'";
    const helm = "--kubeconfig '/etc/kube/prod config' --kube-context 'prod'\\''s cluster'";
    expect(steps['gateway-api-crds']).toEqual({
      command: `${ENV_CHECK}kubectl apply ${kubectl} ${APPLY_URL}`,
      environment: { MANIFESTS_URL: 'https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml' },
    });
    expect(steps['flagger-crds']).toEqual({
      command: `${ENV_CHECK}${SHOW} ${helm} | kubectl apply ${kubectl} --server-side --force-conflicts -f -`,
      environment: { CHART: 'flagger', CHART_REPOSITORY: 'https://flagger.app', CHART_VERSION: '1.44.0' },
    });
  });

  test('a configPath under ~/ is read from the home folder, as the provider expands it', () => {
    const steps = commands(() => ({ configPath: '~/.kube/config', configContext: 'kind-a' }));
    expect(steps['traefik-crds'].command).toBe(`${ENV_CHECK}${SHOW} --kubeconfig "$HOME"/.kube/config --kube-context kind-a`
      + ' | kubectl apply --kubeconfig "$HOME"/.kube/config --context kind-a --server-side --force-conflicts -f -');
    expect(main(commands(() => ({ configPath: '~', configContext: 'kind-a' }))['gateway-api-crds'].command))
      .toBe(`kubectl apply --kubeconfig "$HOME" --context kind-a ${APPLY_URL}`);
  });

  test('Terraform expressions reach the shell through the environment, resolved by Terraform', () => {
    const steps = commands((stack: TerraformStack) => ({
      configPath: new TerraformVariable(stack, 'kubeconfig', {}).stringValue,
      configContext: new TerraformVariable(stack, 'context', {}).stringValue,
    }));
    expect(steps['gateway-api-crds']).toEqual({
      command: `${ENV_CHECK}${noFile('KUBECONFIG_PATH', 'KUBE_CONTEXT')}`
        + 'case "$KUBECONFIG_PATH" in \'~\') KUBECONFIG_PATH=$HOME ;; \'~/\'*) KUBECONFIG_PATH=$HOME/$${KUBECONFIG_PATH#\'~/\'} ;; esac; '
        + `kubectl apply --kubeconfig "$KUBECONFIG_PATH" $\${KUBE_CONTEXT:+--context "$KUBE_CONTEXT"} ${APPLY_URL}`,
      environment: {
        KUBECONFIG_PATH: '${var.kubeconfig}',
        KUBE_CONTEXT: '${var.context}',
        MANIFESTS_URL: 'https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml',
      },
    });
    const flagger = steps['flagger-crds'];
    expect(run(flagger, { KUBECONFIG_PATH: '~/kube config', KUBE_CONTEXT: 'b c', KUBE_CTX: 'ignored' })).toEqual({
      status: 0,
      stderr: '',
      argv: [...HELM_SHOW, 'helm:[--kubeconfig]', 'helm:[/home/ops/kube config]', 'helm:[--kube-context]', 'helm:[b c]',
        'kubectl:[apply]', 'kubectl:[--kubeconfig]', 'kubectl:[/home/ops/kube config]', 'kubectl:[--context]', 'kubectl:[b c]', ...APPLY_STDIN],
    });
    // An expression that resolves to '' names no file: the provider then loads none and ignores the
    // context; the commands get an empty kubeconfig and no context (in-cluster in a pod).
    expect(runInPod(flagger, { KUBECONFIG_PATH: '', KUBE_CONTEXT: 'b', KUBE_CONFIG_PATH: '/k' })).toEqual({
      status: 0, stderr: '', argv: [...HELM_SHOW, ...NO_FILE('helm'), 'kubectl:[apply]', ...NO_FILE('kubectl'), ...APPLY_STDIN],
    });
    expect(run(flagger, { KUBECONFIG_PATH: '', KUBE_CONTEXT: 'b', KUBE_CONFIG_PATH: '/k' })).toEqual({ status: 1, stderr: NOT_IN_CLUSTER, argv: [] });
  });

  test('without a configPath or configContext (the default provider), both read KUBE_CONFIG_PATH and KUBE_CTX, as the provider does', () => {
    const steps = commands(undefined);
    expect(steps['gateway-api-crds'].command).toBe(`${ENV_CHECK}${noFile('KUBE_CONFIG_PATH', 'KUBE_CTX')}`
      + 'case "$KUBE_CONFIG_PATH" in \'~\') KUBE_CONFIG_PATH=$HOME ;; \'~/\'*) KUBE_CONFIG_PATH=$HOME/$${KUBE_CONFIG_PATH#\'~/\'} ;; esac; '
      // `$${` is Terraform's escape of `${`: the shell sees ${KUBE_CTX:+...}.
      + `kubectl apply --kubeconfig "$KUBE_CONFIG_PATH" $\${KUBE_CTX:+--context "$KUBE_CTX"} ${APPLY_URL}`);
    expect(main(steps['flagger-crds'].command)).toBe(`${SHOW} --kubeconfig "$KUBE_CONFIG_PATH" $\${KUBE_CTX:+--kube-context "$KUBE_CTX"}`
      + ' | kubectl apply --kubeconfig "$KUBE_CONFIG_PATH" $${KUBE_CTX:+--context "$KUBE_CTX"} --server-side --force-conflicts -f -');
    const withContext = commands(() => ({ configContext: 'b' }));
    expect(main(withContext['gateway-api-crds'].command)).toBe(`kubectl apply --kubeconfig "$KUBE_CONFIG_PATH" $\${KUBE_CONTEXT:+--context "$KUBE_CONTEXT"} ${APPLY_URL}`);
    expect(withContext['gateway-api-crds'].command).toContain(`KUBE_CONTEXT=b; ${noFile('KUBE_CONFIG_PATH', 'KUBE_CONTEXT')}`);
  });

  test('run by sh without a configContext: KUBE_CTX, when set and not empty, is the context of kubectl and helm', () => {
    const flagger = commands(undefined)['flagger-crds'];
    const file = (tool: string) => [`${tool}:[--kubeconfig]`, `${tool}:[/k/a b; rm -rf x]`];
    expect(run(flagger, { KUBE_CONFIG_PATH: '/k/a b; rm -rf x', KUBE_CTX: "prod's $(whoami)" })).toEqual({
      status: 0,
      stderr: '',
      argv: [...HELM_SHOW, ...file('helm'), 'helm:[--kube-context]', "helm:[prod's $(whoami)]",
        'kubectl:[apply]', ...file('kubectl'), 'kubectl:[--context]', "kubectl:[prod's $(whoami)]", ...APPLY_STDIN],
    });
    // Unset or empty, the provider uses the kubeconfig's current-context, and so do the commands.
    for (const env of [{}, { KUBE_CTX: '' }] as Array<{ [name: string]: string }>) {
      expect(run(flagger, { KUBE_CONFIG_PATH: '/k/a b; rm -rf x', ...env })).toEqual({
        status: 0, stderr: '', argv: [...HELM_SHOW, ...file('helm'), 'kubectl:[apply]', ...file('kubectl'), ...APPLY_STDIN],
      });
    }
    // KUBE_CONFIG_PATH under ~/ is expanded, as the provider expands it.
    expect(run(flagger, { KUBE_CONFIG_PATH: '~/.kube/prod' }).argv).toEqual([...HELM_SHOW, 'helm:[--kubeconfig]', 'helm:[/home/ops/.kube/prod]',
      'kubectl:[apply]', 'kubectl:[--kubeconfig]', 'kubectl:[/home/ops/.kube/prod]', ...APPLY_STDIN]);
  });

  test('run by sh with a configContext: the block\'s context wins over KUBE_CTX, as in the provider', () => {
    const gateway = commands(() => ({ configContext: 'dev' }))['gateway-api-crds'];
    expect(run(gateway, { KUBE_CONFIG_PATH: '/k', KUBE_CTX: 'prod', MANIFESTS_URL: 'https://x' })).toEqual({
      status: 0,
      stderr: '',
      argv: ['kubectl:[apply]', 'kubectl:[--kubeconfig]', 'kubectl:[/k]', 'kubectl:[--context]', 'kubectl:[dev]',
        'kubectl:[--server-side]', 'kubectl:[--force-conflicts]', 'kubectl:[-f]', 'kubectl:[https://x]'],
    });
  });

  test('run by sh with no kubeconfig file named: in a pod an empty kubeconfig and no context, so client-go loads the in-cluster configuration as the provider does; elsewhere the step stops', () => {
    // The provider loads no file and ignores configContext and KUBE_CTX without a path
    // (helm/kubeconfig.go NewKubeConfig); /dev/null keeps kubectl and helm off $KUBECONFIG and ~/.kube/config.
    for (const flagger of [commands(undefined)['flagger-crds'], commands(() => ({ configContext: 'dev' }))['flagger-crds']]) {
      for (const env of [{}, { KUBE_CONFIG_PATH: '' }, { KUBECONFIG: '/home/ops/.kube/config', KUBE_CTX: 'prod', KUBERNETES_SERVICE_HOST: '10.0.0.1' }] as Array<{ [name: string]: string }>) {
        expect(runInPod(flagger, env)).toEqual({
          status: 0, stderr: '', argv: [...HELM_SHOW, ...NO_FILE('helm'), 'kubectl:[apply]', ...NO_FILE('kubectl'), ...APPLY_STDIN],
        });
        // Outside a pod kubectl would take $KUBERNETES_MASTER or http://localhost:8080 (client-go's
        // ClusterDefaults), not fail as the provider does: the step stops, and so it does without the token.
        expect(run(flagger, env)).toEqual({ status: 1, stderr: NOT_IN_CLUSTER, argv: [] });
        expect(run(flagger, { ...env, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' })).toEqual({ status: 1, stderr: NOT_IN_CLUSTER, argv: [] });
      }
    }
  });

  test('KUBE_INSECURE with a false spelling of strconv.ParseBool leaves TLS verified and passes; any other value stops the step', () => {
    const flagger = commands(() => ({ configPath: '/k', insecure: false }))['flagger-crds'];
    const file = (tool: string) => [`${tool}:[--kubeconfig]`, `${tool}:[/k]`];
    for (const value of ['', '0', 'f', 'F', 'false', 'FALSE', 'False']) {
      expect(run(flagger, { KUBE_INSECURE: value })).toEqual({
        status: 0, stderr: '', argv: [...HELM_SHOW, ...file('helm'), 'kubectl:[apply]', ...file('kubectl'), ...APPLY_STDIN],
      });
    }
    for (const value of ['true', '1', 'no']) {
      expect(run(flagger, { KUBE_INSECURE: value })).toMatchObject({ status: 1, argv: [] });
    }
  });

  test('run by sh with a provider setting in the environment that kubectl is not given: the step stops, naming it', () => {
    const message = (names: string) => `${WHO}: the Helm provider reads ${names} from the environment, and kubectl and helm get a `
      + `kubeconfig file and a context only: unset ${names}, and name the cluster with the provider's kubernetes.configPath `
      + '(or KUBE_CONFIG_PATH) and configContext (or KUBE_CTX)\n';
    const literal = commands(() => ({ configPath: '/k', configContext: 'dev' }))['flagger-crds'];
    expect(run(literal, { KUBE_HOST: 'https://10.0.0.1' })).toEqual({ status: 1, stderr: message('KUBE_HOST'), argv: [] });
    expect(run(literal, { KUBE_HOST: 'https://10.0.0.1', KUBE_TOKEN: 't' })).toEqual({ status: 1, stderr: message('KUBE_HOST KUBE_TOKEN'), argv: [] });
    // KUBE_CONFIG_PATHS replaces even the block's configPath in the provider.
    expect(run(literal, { KUBE_CONFIG_PATHS: '/a:/b' })).toEqual({ status: 1, stderr: message('KUBE_CONFIG_PATHS'), argv: [] });
    const fallback = commands(undefined)['gateway-api-crds'];
    for (const name of ['KUBE_CONFIG_PATHS', 'KUBE_CTX_CLUSTER', 'KUBE_CTX_AUTH_INFO', 'KUBE_HOST', 'KUBE_TOKEN', 'KUBE_USER',
      'KUBE_PASSWORD', 'KUBE_CLIENT_CERT_DATA', 'KUBE_CLIENT_KEY_DATA', 'KUBE_CLUSTER_CA_CERT_DATA', 'KUBE_INSECURE',
      'KUBE_TLS_SERVER_NAME', 'KUBE_PROXY_URL']) {
      expect(run(fallback, { KUBE_CONFIG_PATH: '/k', [name]: 'x' })).toEqual({ status: 1, stderr: message(name), argv: [] });
    }
  });

  test('literal text Terraform would read as a template (${, %{) is escaped, and the shell gets it as it is', () => {
    const steps = commands(() => ({ configPath: '/k/${x}', configContext: '%{ if a }' }));
    expect(main(steps['gateway-api-crds'].command)).toBe(`kubectl apply --kubeconfig '/k/$\${x}' --context '%%{ if a }' ${APPLY_URL}`);
    expect(run(steps['gateway-api-crds'], { MANIFESTS_URL: 'u' }).argv).toEqual(['kubectl:[apply]', 'kubectl:[--kubeconfig]', 'kubectl:[/k/${x}]',
      'kubectl:[--context]', 'kubectl:[%{ if a }]', 'kubectl:[--server-side]', 'kubectl:[--force-conflicts]', 'kubectl:[-f]', 'kubectl:[u]']);
  });

  test('a provider that reaches the cluster otherwise fails at synth, naming the settings and the steps', () => {
    expect(() => commands(() => ({ host: 'https://10.0.0.1', token: 't' }))).toThrow(
      "CanaryPlatform 'cluster/platform': the provider's kubernetes block sets host, token, but the CRD steps "
      + '(gateway-api-crds, traefik-crds, flagger-crds) give kubectl a kubeconfig file and a context only: '
      + "set kubernetes.configPath and configContext on the provider (the cluster's entry of a kubeconfig file) instead");
    expect(() => commands(() => ({ configPath: '/k', insecure: true, tlsServerName: 'api', proxyUrl: 'http://proxy:3128' }))).toThrow(
      "CanaryPlatform 'cluster/platform': the provider's kubernetes block sets insecure, tlsServerName, proxyUrl, but the CRD steps "
      + '(gateway-api-crds, traefik-crds, flagger-crds) give kubectl a kubeconfig file and a context only: '
      + "set kubernetes.configPath and configContext on the provider (the cluster's entry of a kubeconfig file) instead");
  });

  test('an empty literal configPath names no file and fails at synth', () => {
    expect(() => commands(() => ({ configPath: '', configContext: 'a' }))).toThrow(
      "CanaryPlatform 'cluster/platform': the provider's kubernetes.configPath is '', which names no kubeconfig file for the CRD steps "
      + '(gateway-api-crds, traefik-crds, flagger-crds): set it to the path of a kubeconfig file, or leave it unset to use KUBE_CONFIG_PATH');
  });

  test('a plan without CRD steps accepts any provider', () => {
    const stack = new TerraformStack(TfTesting.app(), 'cluster');
    const provider = new HelmProvider(stack, 'Helm', { kubernetes: { host: 'https://10.0.0.1', token: 't' } });
    const platform = new CanaryPlatform(stack, 'platform', { plan: new PlatformPlan({ engines: [PlatformEngine.ARGO_ROLLOUTS], routers: [PlatformRouter.ISTIO] }), provider });
    expect(platform.prerequisites).toEqual([]);
  });

  test('run by sh, the commands give kubectl and helm exactly the provider\'s file and context', () => {
    const steps = commands(() => ({ configPath: '/k/a b; rm -rf x', configContext: '$(whoami)' }));
    expect(run(steps['flagger-crds'], { KUBE_CTX: 'other', KUBE_CONFIG_PATH: '/other' })).toEqual({
      status: 0,
      stderr: '',
      argv: [...HELM_SHOW, 'helm:[--kubeconfig]', 'helm:[/k/a b; rm -rf x]', 'helm:[--kube-context]', 'helm:[$(whoami)]',
        'kubectl:[apply]', 'kubectl:[--kubeconfig]', 'kubectl:[/k/a b; rm -rf x]', 'kubectl:[--context]', 'kubectl:[$(whoami)]', ...APPLY_STDIN],
    });
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
      const full: string = resource.provisioner[0]['local-exec'].command;
      expect(full.startsWith(ENV_CHECK.slice(0, ENV_CHECK.indexOf("{ printf '%s\\n' '") + 19))).toBe(true);
      const command = main(full);
      if (id.includes('gateway-api-crds')) {
        expect(command).toBe(`${kubectl} -f "$MANIFESTS_URL"`);
      } else {
        expect(command).toBe(`${SHOW} --kubeconfig "$HOME"/.kube/config --kube-context ${cluster} | ${kubectl} -f -`);
      }
    }
  });
});
