import * as net from 'net';

/**
 * The proxy Go's net/http uses for a URL when the kubeconfig names no `proxy-url`
 * (http.ProxyFromEnvironment, golang.org/x/net/http/httpproxy): `HTTPS_PROXY` for https, `HTTP_PROXY`
 * for http (upper case first, then lower case), none for a host `NO_PROXY` matches, and none for
 * `localhost` or a loopback address.
 */
export function proxyFromEnvironment(target: URL, env: { readonly [name: string]: string | undefined }): string | undefined {
  const proxy = target.protocol === 'https:' ? env.HTTPS_PROXY || env.https_proxy : env.HTTP_PROXY || env.http_proxy;
  if (!proxy) return undefined;
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || isLoopback(host)) return undefined;
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  if (noProxyMatches(host, port, env.NO_PROXY ?? env.no_proxy ?? '')) return undefined;
  // A proxy given without a scheme is an http proxy (httpproxy.parseProxy).
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address. */
function splitHostPort(entry: string): [string, string | undefined] {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return [bracketed[1], bracketed[2]];
  if (net.isIPv6(entry)) return [entry, undefined];
  const withPort = /^(.*):(\d+)$/.exec(entry);
  return withPort ? [withPort[1], withPort[2]] : [entry, undefined];
}

function isLoopback(host: string): boolean {
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1';
  return false;
}

/**
 * NO_PROXY entries: `*` for all; an IP or a CIDR range; a domain, which matches itself and its
 * subdomains (a leading dot: its subdomains only); each optionally with `:port`.
 */
function noProxyMatches(host: string, port: string, noProxy: string): boolean {
  for (const raw of noProxy.split(',').map((entry) => entry.trim().toLowerCase()).filter((entry) => entry !== '')) {
    if (raw === '*') return true;
    if (raw.includes('/')) {
      if (inCidr(host, raw)) return true;
      continue;
    }
    const [entryHost, entryPort] = splitHostPort(raw);
    let entry = entryHost;
    if (entryPort !== undefined && entryPort !== port) continue;
    if (net.isIP(entry)) {
      if (entry === host) return true;
      continue;
    }
    if (entry.startsWith('*.')) entry = entry.slice(1);
    if (entry.startsWith('.') ? host.endsWith(entry) : host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

function inCidr(host: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  if (!net.isIPv4(host) || !net.isIPv4(base)) return false;
  const toNumber = (ip: string) => ip.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toNumber(host) / size) === Math.floor(toNumber(base) / size);
}
