/**
 * Refuses Istio chart values that contradict what the platform installs: the CNI node agent
 * (with `istio.cni`) and sidecar mode only (no ztunnel, so no ambient mode). Every mistake is
 * reported together. Paths are those of Istio 1.30's charts: istiod copies `pilot.*` over its top
 * level (istio-discovery templates/zzy_descope_legacy.yaml), the cni chart copies `cni.*`
 * (istio-cni templates/zzy_descope_legacy.yaml), and both read `profile` / `global.profile` and
 * `platform` / `global.platform` (templates/zzz_profile.yaml).
 */
import { IstioPlatformOptions } from './platform-options';
import { DeclarationErrors, fail } from '../validation';

const OWNER = 'PlatformPlan';
const AMBIENT = 'ambient';
const OPENSHIFT = 'openshift';
const MULTUS = 'multus';
const NO_ZTUNNEL = 'ambient mode needs ztunnel, which the platform does not install (it runs Istio in sidecar mode)';

/** `values` of a chart, and the property it is given by. */
interface ChartValues {
  readonly property: string;
  readonly values: { [key: string]: any };
}

/**
 * Refuses what contradicts the plan (every mistake together) and returns the plan notes for what
 * the platform cannot check: istiod in CNI mode while the plan installs no agent.
 */
export function checkIstioValues(options: IstioPlatformOptions, cni: boolean): string[] {
  const errors = new DeclarationErrors();
  const notes: string[] = [];
  const istiod: ChartValues = { property: 'istio.istiodValues', values: options.istiodValues ?? {} };
  const cniChart: ChartValues = { property: 'istio.cniValues', values: options.cniValues ?? {} };
  // The injector reads `if .Values.pilot.cni.enabled` (files/injection-template.yaml): Helm's truth, in which
  // every non-empty string is true ('false' included).
  const cniModes: { path: string; value: unknown; on: boolean }[] = [];
  for (const path of ['cni.enabled', 'pilot.cni.enabled']) {
    const value = valueAt(istiod.values, path);
    if (value === undefined) continue;
    if (typeof value === 'string' && value !== '' && value !== 'true') {
      errors.attempt(() => fail(OWNER, `'${istiod.property}.${path}' (${JSON.stringify(value)}) is a string, which Helm's 'if' treats as true `
        + '(every non-empty string is): write the boolean true or false'));
      continue;
    }
    cniModes.push({ path, value, on: helmTrue(value) });
    if (cni && !helmTrue(value)) {
      errors.attempt(() => fail(OWNER, `'${istiod.property}.${path}' (${JSON.stringify(value)}) turns istiod's CNI mode off, which contradicts 'istio.cni' (true): `
        + 'the plan installs the CNI node agent, and sidecars injected without it get istio-init (root, NET_ADMIN, NET_RAW), '
        + "which Pod Security \"restricted\" rejects; remove it, or set 'istio.cni: false' to install no agent"));
    }
  }
  for (const chart of [istiod, cniChart]) {
    for (const path of ['profile', 'global.profile']) {
      const value = valueAt(chart.values, path);
      if (value === AMBIENT) {
        errors.attempt(() => fail(OWNER, `'${chart.property}.${path}' ('${AMBIENT}') is not allowed: ${NO_ZTUNNEL}; `
          + "remove it, or name another of the chart's profiles"));
      }
    }
  }
  for (const path of ['ambient.enabled', 'cni.ambient.enabled']) {
    const value = valueAt(cniChart.values, path);
    if (value !== undefined && value !== false) {
      errors.attempt(() => fail(OWNER, `'${cniChart.property}.${path}' (${JSON.stringify(value)}) is not allowed: ${NO_ZTUNNEL}; remove it`));
    }
  }
  const istiodPlatform = platformOf(istiod.values);
  if (!cni) {
    // `istio.cni: false` is for a cluster whose CNI provides Istio's agent: istiod in CNI mode is then right
    // (and needed under "restricted"), so it is allowed, but only the cluster can make it work.
    // `pilot.*` overwrites the top level (zzy_descope_legacy.yaml), and both override the profile (zzz_profile.yaml).
    const effective = cniModes.find((mode) => mode.path === 'pilot.cni.enabled') ?? cniModes[0];
    const on = effective?.on ? effective : undefined;
    const openshift = effective === undefined && istiodPlatform.value === OPENSHIFT;
    if (on || openshift) {
      const what = on ? `'${istiod.property}.${on.path}' (${JSON.stringify(on.value)})`
        : `'${istiod.property}.${istiodPlatform.path}' ('${OPENSHIFT}', whose profile sets pilot.cni.enabled)`;
      notes.push(`${what} turns on istiod's CNI mode while 'istio.cni' is false, so the plan installs no Istio CNI node agent: `
        + "the cluster must run one on every node, else injected pods' istio-validation init container fails and they never start; "
        + "set 'istio.cni: true' to install it");
    }
  }
  // With `pilot.cni.provider: multus` (istiod's OpenShift profile) injected pods ask Multus for `default/istio-cni`,
  // a NetworkAttachmentDefinition the cni chart creates only with `provider: multus` (its OpenShift profile;
  // templates/network-attachment-definition.yaml); the cni chart's Multus mode, unchained, works only through it.
  if (cni) {
    const cniMultus = multusOf(cniChart, ['provider', 'cni.provider']);
    const istiodMultus = multusOf(istiod, ['cni.provider', 'pilot.cni.provider']);
    if (cniMultus && !istiodMultus) {
      errors.attempt(() => fail(OWNER, `${cniMultus} is not set for istiod: `
        + "injected pods would lack the Multus annotation that runs the agent's plugin; "
        + `set global: { platform: '${OPENSHIFT}' } in '${istiod.property}' too`));
    }
    if (istiodMultus && !cniMultus) {
      errors.attempt(() => fail(OWNER, `${istiodMultus} is not set for the cni chart: `
        + "injected pods would ask Multus for the NetworkAttachmentDefinition 'default/istio-cni', which only the cni chart in Multus mode creates; "
        + `set global: { platform: '${OPENSHIFT}' } in '${cniChart.property}' too`));
    }
  }
  errors.throwIfAny();
  return notes;
}

/** What puts a chart in Multus mode (its OpenShift profile or a `multus` provider), as the property to name. */
function multusOf(chart: ChartValues, providerPaths: string[]): string | undefined {
  const platform = platformOf(chart.values);
  if (platform.value === OPENSHIFT) return `'${chart.property}.${platform.path}' ('${OPENSHIFT}')`;
  const path = providerPaths.find((p) => valueAt(chart.values, p) === MULTUS);
  return path === undefined ? undefined : `'${chart.property}.${path}' ('${MULTUS}')`;
}

/** Helm's (Go template's) truth: false, 0, '', null and empty lists and maps are false. */
function helmTrue(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value as object).length > 0;
  return true;
}

/** The chart's platform profile: `platform` wins over `global.platform`, as the charts' `coalesce` does. */
function platformOf(values: { [key: string]: any }): { path: string; value: unknown } {
  const top = valueAt(values, 'platform');
  return top ? { path: 'platform', value: top } : { path: 'global.platform', value: valueAt(values, 'global.platform') };
}

function valueAt(values: { [key: string]: any }, path: string): unknown {
  let current: unknown = values;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as { [key: string]: unknown })[key];
  }
  return current;
}
