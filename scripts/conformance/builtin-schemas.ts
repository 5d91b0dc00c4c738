/**
 * Built-in kinds (Deployment, Service, HPA, RBAC, NetworkPolicy, ...) checked against the Kubernetes
 * 1.27 OpenAPI schemas that the npm package kubernetes-models ships, one module per
 * `<group>/<version>/<Kind>` (the core group is `v1/<Kind>`). It checks types, required fields and
 * enums; it does not reject unknown fields.
 */
type Check = (object: unknown) => string[];

const checks = new Map<string, Check | undefined>();

/** The check of a built-in apiVersion and kind, or undefined when kubernetes-models has no schema for it. */
export function builtinCheck(apiVersion: string, kind: string): Check | undefined {
  const key = `${apiVersion}|${kind}`;
  if (!checks.has(key)) checks.set(key, load(apiVersion, kind));
  return checks.get(key);
}

function load(apiVersion: string, kind: string): Check | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!/^[a-z0-9.]*$/.test(group) || !/^v\d+((alpha|beta)\d+)?$/.test(version) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
  let model: any;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(`kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`);
    model = module[kind] ?? module.default;
  } catch {
    return undefined;
  }
  if (typeof model !== 'function') return undefined;
  return (object: unknown) => {
    try {
      new model(object).validate();
      return [];
    } catch (e: any) {
      return [String(e?.message ?? e).split('\n').slice(0, 5).join('; ')];
    }
  };
}
