import type { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { loadCdktf } from './cdktf-modules';
import { shellWord } from '../analysis/shell';
import { fail } from '../validation';

/**
 * The cluster of a Helm provider, as flags of the kubectl and helm commands that `CanaryPlatform`
 * runs with local-exec (the CRD steps). Without them kubectl would use the current context of the
 * machine's kubeconfig, which need not be the provider's cluster.
 */
export interface KubeTarget {
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
  'password', 'clientCertificate', 'clientKey', 'clusterCaCertificate',
] as const;

/** `value` as one shell word; `~/` (which the provider expands) becomes the home folder. */
function pathWord(value: string): string {
  return value.startsWith('~/') ? `"$HOME"/${shellWord(value.slice(2))}` : shellWord(value);
}

/**
 * Reads `provider`'s `kubernetes.configPath` and `configContext`. Literal values become quoted words
 * (`shellWord`); Terraform expressions go into the environment (`KUBECONFIG_PATH`, `KUBE_CONTEXT`).
 * Without a `configPath`, the provider reads `KUBE_CONFIG_PATH`, and so do the commands.
 * Fails when the block reaches the cluster otherwise (host, token, exec, ...).
 */
export function kubeTarget(owner: string, provider: HelmProvider, steps: string[]): KubeTarget {
  const kubernetes: { [name: string]: unknown } = (provider.kubernetes ?? {}) as any;
  const set = UNSUPPORTED.filter((name) => kubernetes[name] !== undefined);
  if (set.length > 0) {
    fail(owner, `the provider's kubernetes block sets ${set.join(', ')}, but the CRD steps (${steps.join(', ')}) `
      + 'give kubectl a kubeconfig file and a context only: set kubernetes.configPath and configContext on the provider '
      + '(the cluster\'s entry of a kubeconfig file) instead');
  }
  // A Terraform expression (a variable, another resource's attribute) is known only at apply time.
  const { Token } = loadCdktf(owner);
  const environment: { [name: string]: string } = {};
  const word = (value: string, variable: string, asPath: boolean): string => {
    if (!Token.isUnresolved(value)) return asPath ? pathWord(value) : shellWord(value);
    environment[variable] = value;
    return `"$${variable}"`;
  };
  const configPath = kubernetes.configPath as string | undefined;
  const configContext = kubernetes.configContext as string | undefined;
  const kubeconfig = configPath === undefined
    ? '$${KUBE_CONFIG_PATH:+--kubeconfig "$KUBE_CONFIG_PATH"}'
    : `--kubeconfig ${word(configPath, 'KUBECONFIG_PATH', true)}`;
  const context = configContext === undefined ? undefined : word(configContext, 'KUBE_CONTEXT', false);
  return {
    kubectlFlags: [kubeconfig, ...(context ? [`--context ${context}`] : [])].join(' '),
    helmFlags: [kubeconfig, ...(context ? [`--kube-context ${context}`] : [])].join(' '),
    environment,
  };
}
