import type { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { loadCdktf } from './cdktf-modules';
import { shellWord } from '../analysis/shell';
import { fail } from '../validation';

/**
 * The cluster of a Helm provider, as flags of the kubectl and helm commands that `CanaryPlatform`
 * runs with local-exec (the CRD steps). Without them kubectl would use the current context of the
 * machine's kubeconfig, which need not be the provider's cluster. Shell text: the command goes
 * through `terraformCommand` before it reaches Terraform.
 */
export interface KubeTarget {
  /**
   * Shell commands to run first, each ending in `; `: they stop the step (exit 1, with a message on
   * stderr) when the commands cannot reach the provider's cluster: environment variables the provider
   * reads that a kubeconfig file and a context cannot carry, or no kubeconfig file at all.
   */
  readonly preamble: string;
  /** Words to put after `kubectl`: `--kubeconfig <path> --context <context>`, as the provider names them. */
  readonly kubectlFlags: string;
  /** The same for helm: `--kubeconfig <path> --kube-context <context>`. */
  readonly helmFlags: string;
  /** Values that reach the shell as environment variables (those Terraform resolves at apply time). */
  readonly environment: { [name: string]: string };
}

// The settings of the provider's `kubernetes` block that do not go through a kubeconfig file and
// context, which is all kubectl is given here.
const UNSUPPORTED = [
  'configPaths', 'configContextCluster', 'configContextAuthInfo', 'host', 'token', 'exec', 'username',
  'password', 'clientCertificate', 'clientKey', 'clusterCaCertificate', 'insecure', 'tlsServerName', 'proxyUrl',
] as const;

// What terraform-provider-helm 3.1.1 reads from the environment for the settings above when the
// block leaves them unset (helm/provider.go Configure); KUBE_CONFIG_PATHS even replaces a
// `configPath` (helm/kubeconfig.go NewKubeConfig). KUBE_CONFIG_PATH and KUBE_CTX are mirrored.
export const UNSUPPORTED_ENVIRONMENT = [
  'KUBE_CONFIG_PATHS', 'KUBE_CTX_CLUSTER', 'KUBE_CTX_AUTH_INFO', 'KUBE_HOST', 'KUBE_TOKEN', 'KUBE_USER',
  'KUBE_PASSWORD', 'KUBE_CLIENT_CERT_DATA', 'KUBE_CLIENT_KEY_DATA', 'KUBE_CLUSTER_CA_CERT_DATA', 'KUBE_INSECURE',
  'KUBE_TLS_SERVER_NAME', 'KUBE_PROXY_URL',
] as const;

/**
 * `command` (shell text) as a local-exec `command`: Terraform reads it as a template, in which `${`
 * and `%{` would start an interpolation or a directive; `$${` and `%%{` stand for them.
 */
export function terraformCommand(command: string): string {
  return command.replace(/([$%])\{/g, (_, sigil: string) => `${sigil}${sigil}{`);
}

/** `value` as one shell word; `~` and `~/` (which the provider expands) become the home folder. */
function pathWord(value: string): string {
  if (value === '~') return '"$HOME"';
  return value.startsWith('~/') ? `"$HOME"/${shellWord(value.slice(2))}` : shellWord(value);
}

/** `[ -n "$<name>" ]`, else stop the step with `message` on stderr. */
function requireSet(name: string, message: string): string {
  return `[ -n "\${${name}:-}" ] || { printf '%s\\n' ${shellWord(message)} >&2; exit 1; }; `;
}

/** A leading `~` or `~/` of the variable `name` becomes $HOME, as the provider expands it (homedir.Expand). */
function expandHome(name: string): string {
  return `case "$${name}" in '~') ${name}=$HOME ;; '~/'*) ${name}=$HOME/\${${name}#'~/'} ;; esac; `;
}

/**
 * Reads `provider`'s `kubernetes.configPath` and `configContext`. Literal values become quoted words
 * (`shellWord`); Terraform expressions go into the environment (`KUBECONFIG_PATH`, `KUBE_CONTEXT`).
 * Without a `configPath`, the provider reads `KUBE_CONFIG_PATH`, and without a `configContext`,
 * `KUBE_CTX`, and so do the commands. Fails when the block reaches the cluster otherwise (host,
 * token, exec, ...); the commands stop when the environment does, or when no kubeconfig file is named.
 */
export function kubeTarget(owner: string, provider: HelmProvider, steps: string[]): KubeTarget {
  const kubernetes: { [name: string]: unknown } = (provider.kubernetes ?? {}) as any;
  const set = UNSUPPORTED.filter((name) => kubernetes[name] !== undefined);
  if (set.length > 0) {
    fail(owner, `the provider's kubernetes block sets ${set.join(', ')}, but the CRD steps (${steps.join(', ')}) `
      + 'give kubectl a kubeconfig file and a context only: set kubernetes.configPath and configContext on the provider '
      + '(the cluster\'s entry of a kubeconfig file) instead');
  }
  const configPath = kubernetes.configPath as string | undefined;
  const configContext = kubernetes.configContext as string | undefined;
  if (configPath === '') {
    fail(owner, `the provider's kubernetes.configPath is '', which names no kubeconfig file for the CRD steps (${steps.join(', ')}): `
      + 'set it to the path of a kubeconfig file, or leave it unset to use KUBE_CONFIG_PATH');
  }
  const who = `${owner}, CRD steps ${steps.join(', ')}`;
  const found = UNSUPPORTED_ENVIRONMENT.map((name) => `\${${name}:+ ${name}}`).join('');
  const preamble = [
    `unsupported=${found}; [ -z "$unsupported" ] || { printf '%s\\n' ${shellWord(`${who}: the Helm provider reads`)}"$unsupported"`
    + `${shellWord(' from the environment, and kubectl and helm get a kubeconfig file and a context only: unset')}"$unsupported"`
    + `${shellWord(', and name the cluster with the provider\'s kubernetes.configPath (or KUBE_CONFIG_PATH) and configContext (or KUBE_CTX)')}`
    + ' >&2; exit 1; }; ',
  ];

  // A Terraform expression (a variable, another resource's attribute) is known only at apply time.
  const { Token } = loadCdktf(owner);
  const environment: { [name: string]: string } = {};
  let kubeconfig: string;
  if (configPath === undefined) {
    // Without a path the provider loads no kubeconfig (in-cluster configuration only), while kubectl
    // would fall back to $KUBECONFIG or ~/.kube/config: the machine's current cluster.
    preamble.push(requireSet('KUBE_CONFIG_PATH', `${who}: the Helm provider names no kubeconfig file (kubernetes.configPath is `
      + 'not set and KUBE_CONFIG_PATH is empty), and kubectl would use this machine\'s current context instead: set the '
      + 'provider\'s kubernetes.configPath or export KUBE_CONFIG_PATH'), expandHome('KUBE_CONFIG_PATH'));
    kubeconfig = '"$KUBE_CONFIG_PATH"';
  } else if (Token.isUnresolved(configPath)) {
    environment.KUBECONFIG_PATH = configPath;
    preamble.push(requireSet('KUBECONFIG_PATH', `${who}: the Helm provider's kubernetes.configPath is empty, so it names no `
      + 'kubeconfig file, and kubectl would use this machine\'s current context instead: give it the path of a kubeconfig file'),
    expandHome('KUBECONFIG_PATH'));
    kubeconfig = '"$KUBECONFIG_PATH"';
  } else {
    kubeconfig = pathWord(configPath);
  }

  const word = configContext === undefined ? undefined
    : Token.isUnresolved(configContext) ? '"$KUBE_CONTEXT"' : shellWord(configContext);
  if (configContext !== undefined && Token.isUnresolved(configContext)) environment.KUBE_CONTEXT = configContext;
  return {
    preamble: preamble.join(''),
    kubectlFlags: `--kubeconfig ${kubeconfig} ${word === undefined ? '${KUBE_CTX:+--context "$KUBE_CTX"}' : `--context ${word}`}`,
    helmFlags: `--kubeconfig ${kubeconfig} ${word === undefined ? '${KUBE_CTX:+--kube-context "$KUBE_CTX"}' : `--kube-context ${word}`}`,
    environment,
  };
}
