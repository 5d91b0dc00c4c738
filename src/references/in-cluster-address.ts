/** A host name a command or URL addresses, read as a Service's in-cluster DNS name. */
export interface InClusterAddress {
  /** The host as written. */
  readonly host: string;
  /** The Service's name. */
  readonly name: string;
  /** Its namespace: written, or the caller's. */
  readonly namespace: string;
  /** Whether the host says it is a Service (`<name>.<namespace>.svc[.<cluster domain>]`). */
  readonly qualified: boolean;
  /** Whether a namespace was written (`<name>.<namespace>`); else the caller's is assumed. */
  readonly namespaced: boolean;
}

/** Host names in URLs (`http://svc.ns:80/`), `host:port` arguments (ghz, grpc_health_probe) and scheme-less `name.ns[.svc...][/path]` arguments (curl, wget). */
export function addressedHosts(text: string): string[] {
  const hosts: string[] = [];
  for (const match of text.matchAll(/\b(?:https?|grpc|h2c):\/\/([A-Za-z0-9.-]+)/gi)) hosts.push(match[1]);
  for (const match of text.matchAll(/(?:^|[\s=])['"]?([A-Za-z][A-Za-z0-9.-]*):\d+(?=[\s'"/]|$)/g)) hosts.push(match[1]);
  // curl and wget default to http://: `curl name.ns/path`, `wget name.ns.svc` (only in their commands: `flagger.app/v1beta1` is no host).
  const schemeless = /(?:^|[\s;&|(])(?:curl|wget)\s/.test(text) ? text : '';
  for (const match of schemeless.matchAll(/(?:^|[\s=])['"]?([A-Za-z][A-Za-z0-9-]*\.[A-Za-z][A-Za-z0-9-]*(?:\.svc(?:\.[A-Za-z0-9.-]+)?)?)(?=\/|['"]?(?:\s|$))/g)) hosts.push(match[1]);
  return [...new Set(hosts.map((host) => host.toLowerCase().replace(/\.$/, '')))];
}

/**
 * The hosts of `text` that can be a Service's DNS name, as name and namespace: `name`, `name.ns`,
 * `name.ns.svc` and `name.ns.svc.<cluster domain>`. Other hosts (`api.example.com`, addresses) are
 * not the cluster's, and left out.
 */
export function inClusterAddresses(text: string, callerNamespace: string): InClusterAddress[] {
  const addresses: InClusterAddress[] = [];
  for (const host of addressedHosts(text)) {
    if (/^[0-9.]+$/.test(host) || host === 'localhost') continue;
    const labels = host.split('.');
    if (labels.length === 1) {
      addresses.push({ host, name: labels[0], namespace: callerNamespace, qualified: false, namespaced: false });
    } else if (labels.length === 2) {
      addresses.push({ host, name: labels[0], namespace: labels[1], qualified: false, namespaced: true });
    } else if (labels[2] === 'svc') {
      addresses.push({ host, name: labels[0], namespace: labels[1], qualified: true, namespaced: true });
    }
  }
  return addresses;
}
