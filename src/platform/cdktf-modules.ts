/**
 * Loads cdktf and the Helm provider when the CDK for Terraform renderer is used, never when the
 * library is imported: both are optional peer dependencies, and cdk8s users need neither. Only
 * `import type` may name them at the top of a module in src/platform.
 */
import type * as helmProvider from '@cdktf/provider-helm/lib/provider';
import type * as helmRelease from '@cdktf/provider-helm/lib/release';
import type * as cdktf from 'cdktf';
import { fail } from '../validation';

const INSTALL = "they are optional peer dependencies of cdk8s-canary: run 'npm install cdktf@^0.21.0 @cdktf/provider-helm@^12.1.2'";

function load<T>(owner: string, name: string, loader: () => T): T {
  try {
    return loader();
  } catch (error: any) {
    if (error?.code === 'MODULE_NOT_FOUND' && String(error.message).includes(`'${name}`)) {
      fail(owner, `needs the packages 'cdktf' and '@cdktf/provider-helm', and '${name}' is not installed; ${INSTALL}`);
    }
    throw error;
  }
}

export function loadCdktf(owner: string): typeof cdktf {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return load(owner, 'cdktf', () => require('cdktf'));
}

export function loadHelmProvider(owner: string): typeof helmProvider {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return load(owner, '@cdktf/provider-helm', () => require('@cdktf/provider-helm/lib/provider'));
}

export function loadHelmRelease(owner: string): typeof helmRelease {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return load(owner, '@cdktf/provider-helm', () => require('@cdktf/provider-helm/lib/release'));
}
