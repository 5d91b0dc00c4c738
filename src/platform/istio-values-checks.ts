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

export function checkIstioValues(options: IstioPlatformOptions, cni: boolean): void {
  const errors = new DeclarationErrors();
  const istiod: ChartValues = { property: 'istio.istiodValues', values: options.istiodValues ?? {} };
  const cniChart: ChartValues = { property: 'istio.cniValues', values: options.cniValues ?? {} };
  if (cni) {
    for (const path of ['cni.enabled', 'pilot.cni.enabled']) {
      const value = valueAt(istiod.values, path);
      if (value !== undefined && value !== true) {
        errors.attempt(() => fail(OWNER, `'${istiod.property}.${path}' (${JSON.stringify(value)}) contradicts 'istio.cni' (true): `
          + 'the plan installs the CNI node agent, and sidecars injected without it get istio-init (root, NET_ADMIN, NET_RAW), '
          + "which Pod Security \"restricted\" rejects; remove it, or set 'istio.cni: false' to install no agent"));
      }
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
  // The cni chart's OpenShift profile runs the plugin unchained, through Multus; only istiod's
  // profile (`pilot.cni.provider: multus`) makes injected pods ask Multus for it.
  const cniPlatform = platformOf(cniChart.values);
  const istiodMultus = platformOf(istiod.values).value === OPENSHIFT
    || ['cni.provider', 'pilot.cni.provider'].some((path) => valueAt(istiod.values, path) === MULTUS);
  if (cni && cniPlatform.value === OPENSHIFT && !istiodMultus) {
    errors.attempt(() => fail(OWNER, `'${cniChart.property}.${cniPlatform.path}' ('${OPENSHIFT}') is not set for istiod: `
      + "injected pods would lack the Multus annotation that runs the agent's plugin; "
      + `set global: { platform: '${OPENSHIFT}' } in '${istiod.property}' too`));
  }
  errors.throwIfAny();
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
