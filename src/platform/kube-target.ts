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
   * stderr) when the environment sets what the provider reads that a kubeconfig file and a context
   * cannot carry; where no kubeconfig file is named they choose `/dev/null` and no context, as the
   * provider loads none (in a pod: the in-cluster configuration).
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

// strconv.ParseBool's spellings of false.
const FALSE_SPELLINGS = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

/**
 * `command` (shell text) as a local-exec `command`: Terraform reads it as a template, in which `${`
 * and `%{` would start an interpolation or a directive; `$${` and `%%{` stand for them.
 */
export function terraformCommand(command: string): string {
  return command.replace(/([$%])\{/g, (_, sigil: string) => `${sigil}${sigil}{`);
}

/** Where a pod's service account token is mounted, which client-go's in-cluster configuration reads. */
export const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** `value` as one shell word; `~` and `~/` (which the provider expands) become the home folder. */
function pathWord(value: string): string {
  if (value === '~') return '"$HOME"';
  return value.startsWith('~/') ? `"$HOME"/${shellWord(value.slice(2))}` : shellWord(value);
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
 * token, exec, ...); the commands stop when the environment does. When no file is named, kubectl and
 * helm get `--kubeconfig /dev/null` and no context: client-go's in-cluster configuration in a pod,
 * "no configuration has been provided" elsewhere, as for the provider; never ~/.kube/config.
 */
export function kubeTarget(owner: string, provider: HelmProvider, steps: string[]): KubeTarget {
  const kubernetes: { [name: string]: unknown } = (provider.kubernetes ?? {}) as any;
  // `insecure: false` leaves TLS verification on, as without it (helm/kubeconfig.go NewKubeConfig).
  const set = UNSUPPORTED.filter((name) => kubernetes[name] !== undefined && !(name === 'insecure' && kubernetes[name] === false));
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
  const found = UNSUPPORTED_ENVIRONMENT.map((name) => (name === 'KUBE_INSECURE' ? '$insecure' : `\${${name}:+ ${name}}`)).join('');
  const preamble = [
    // The provider parses KUBE_INSECURE with strconv.ParseBool (helm/provider.go Configure): its false
    // spellings leave TLS verification on; anything else turns it off or stops the provider.
    `case "\${KUBE_INSECURE:-}" in ''|${FALSE_SPELLINGS.join('|')}) insecure= ;; *) insecure=' KUBE_INSECURE' ;; esac; `
    + `unsupported=${found}; [ -z "$unsupported" ] || { printf '%s\\n' ${shellWord(`${who}: the Helm provider reads`)}"$unsupported"`
    + `${shellWord(' from the environment, and kubectl and helm get a kubeconfig file and a context only: unset')}"$unsupported"`
    + `${shellWord(', and name the cluster with the provider\'s kubernetes.configPath (or KUBE_CONFIG_PATH) and configContext (or KUBE_CTX)')}`
    + ' >&2; exit 1; }; ',
  ];

  // A Terraform expression (a variable, another resource's attribute) is known only at apply time.
  const { Token } = loadCdktf(owner);
  const environment: { [name: string]: string } = {};
  const flags = (path: string, context: string) => ({
    kubectlFlags: `--kubeconfig ${path} ${context.replace(/%CONTEXT%/g, '--context')}`,
    helmFlags: `--kubeconfig ${path} ${context.replace(/%CONTEXT%/g, '--kube-context')}`,
  });
  if (configContext !== undefined && Token.isUnresolved(configContext)) environment.KUBE_CONTEXT = configContext;
  if (configPath !== undefined && !Token.isUnresolved(configPath)) {
    const context = configContext === undefined ? '${KUBE_CTX:+%CONTEXT% "$KUBE_CTX"}'
      : `%CONTEXT% ${Token.isUnresolved(configContext) ? '"$KUBE_CONTEXT"' : shellWord(configContext)}`;
    return { preamble: preamble.join(''), ...flags(pathWord(configPath), context), environment };
  }

  // The path is known when the step runs: KUBE_CONFIG_PATH, or the expression's value. When it is
  // empty the provider loads no kubeconfig and ignores the context (helm/kubeconfig.go NewKubeConfig):
  // client-go then takes the in-cluster configuration in a pod and fails elsewhere. An explicit empty
  // kubeconfig (/dev/null) and no context does the same for kubectl and helm, where their defaults
  // would read $KUBECONFIG or ~/.kube/config: the machine's current cluster.
  const pathVariable = configPath === undefined ? 'KUBE_CONFIG_PATH' : 'KUBECONFIG_PATH';
  if (configPath !== undefined) environment.KUBECONFIG_PATH = configPath;
  const contextVariable = configContext === undefined ? 'KUBE_CTX' : 'KUBE_CONTEXT';
  if (configContext !== undefined && !Token.isUnresolved(configContext)) preamble.push(`KUBE_CONTEXT=${shellWord(configContext)}; `);
  // Outside a pod, kubectl and helm would not fail on an empty kubeconfig as the provider does: their
  // defaults point it at $KUBERNETES_MASTER or http://localhost:8080 (client-go clientcmd ClusterDefaults).
  // So the step runs only where client-go takes the in-cluster configuration (client_config.go
  // inClusterClientConfig.Possible: both variables and the service account's token).
  const notInCluster = `${who}: the Helm provider names no kubeconfig file (kubernetes.configPath is not set or empty and KUBE_CONFIG_PATH `
    + 'is empty), so it uses the in-cluster configuration, and this is not a pod with one (KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT '
    + `and ${IN_CLUSTER_TOKEN}): set the provider's kubernetes.configPath or export KUBE_CONFIG_PATH`;
  preamble.push(`[ -n "\${${pathVariable}:-}" ] || { [ -n "\${KUBERNETES_SERVICE_HOST:-}" ] && [ -n "\${KUBERNETES_SERVICE_PORT:-}" ] `
    + `&& [ -f ${IN_CLUSTER_TOKEN} ] || { printf '%s\\n' ${shellWord(notInCluster)} >&2; exit 1; }; ${pathVariable}=/dev/null; ${contextVariable}=; }; `,
  expandHome(pathVariable));
  return {
    preamble: preamble.join(''),
    ...flags(`"$${pathVariable}"`, `\${${contextVariable}:+%CONTEXT% "$${contextVariable}"}`),
    environment,
  };
}
