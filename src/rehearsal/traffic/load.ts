import { Entry } from './topology';
import { loadCommandDuration } from '../../analysis/load-command';
import { Release } from '../objects/releases';

/** A load test as the rehearsal runs it: where its requests go, how many per second, for how long. */
export interface LoadTest {
  readonly entry: Entry;
  readonly requestsPerSecond: number;
  /** How long one run lasts, in seconds; undefined: until the analysis ends. */
  readonly durationSeconds?: number;
  /** Headers the requests carry (lower-case names). */
  readonly headers: { readonly [name: string]: string };
  /** What the rehearsal assumed, when the command does not say. */
  readonly note?: string;
}

/** The words of a shell command, with single and double quotes honoured. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < command.length) current += command[++i];
      else current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else if (c === '\\' && i + 1 < command.length) {
      current += command[++i];
      inWord = true;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

function option(words: string[], ...names: string[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    for (const name of names) {
      if (words[i] === name) return words[i + 1];
      if (words[i].startsWith(`${name}=`)) return words[i].slice(name.length + 1);
    }
  }
  return undefined;
}

/**
 * A `hey` or `ghz` command (the loadtester's tools) as the load it generates: `hey -q <per worker>
 * -c <workers>` sends q x c requests per second to the URL (with `-host` as the Host header and
 * `-H` headers); `ghz --rps <n>` sends n calls per second to the address (`--authority` as the
 * host). The URL decides where the requests enter: Traefik's Service, a Gateway's `<gateway>-istio`
 * Service, Istio's ingress gateway, or a Service called directly (the loadtester and Argo's Jobs have
 * no sidecar, so Istio's routing does not apply to them). Undefined for other commands.
 */
export function parseLoadCommand(command: string, release: Release): LoadTest | undefined {
  const words = shellWords(command.replace(/^.*?\b(hey|ghz)\b/, '$1'));
  const tool = words[0];
  if (tool !== 'hey' && tool !== 'ghz') return undefined;
  const duration = loadCommandDuration(command)?.toSeconds();
  const headers: { [name: string]: string } = {};
  let rate: number;
  let address: string;
  let host: string | undefined;
  let note: string | undefined;
  if (tool === 'hey') {
    for (let i = 0; i < words.length; i++) {
      if (words[i] === '-H' && words[i + 1]?.includes(':')) {
        const [name, ...value] = words[i + 1].split(':');
        headers[name.trim().toLowerCase()] = value.join(':').trim();
      }
    }
    const perWorker = Number(option(words, '-q') ?? NaN);
    const workers = Number(option(words, '-c') ?? 50);
    if (Number.isFinite(perWorker)) {
      rate = perWorker * workers;
    } else {
      rate = 50 * workers;
      note = `'${command}' sets no rate (-q): assumed 50 requests per second per worker`;
    }
    host = option(words, '-host');
    address = words[words.length - 1];
  } else {
    const rps = Number(option(words, '--rps', '-r') ?? NaN);
    rate = Number.isFinite(rps) ? rps : 50;
    if (!Number.isFinite(rps)) note = `'${command}' sets no rate (--rps): assumed 50 calls per second`;
    host = option(words, '--authority');
    address = words[words.length - 1];
  }
  const url = address.replace(/^[a-z]+:\/\//, '');
  const [authority] = url.split('/');
  const [hostname] = authority.split(':');
  const labels = hostname.split('.');
  const serviceName = labels[0];
  const serviceNamespace = labels.length > 1 && labels[1] !== 'svc' ? labels[1] : release.namespace;
  let entry: Entry;
  if (serviceName === 'traefik' || /traefik/.test(serviceName)) {
    entry = { kind: 'host', host: host ?? hostname, via: 'traefik' };
  } else if (serviceName.endsWith('-istio') && release.index.get('Gateway', serviceNamespace, serviceName.slice(0, -'-istio'.length))) {
    entry = { kind: 'host', host: host ?? hostname, via: 'gateway', gateway: serviceName.slice(0, -'-istio'.length) };
  } else if (serviceName === 'istio-ingressgateway') {
    entry = { kind: 'host', host: host ?? hostname, via: 'istio-ingress' };
  } else if (labels.length <= 2 || labels[2] === 'svc') {
    entry = { kind: 'service', name: serviceName, namespace: serviceNamespace, mesh: false };
  } else {
    entry = { kind: 'host', host: hostname };
  }
  return { entry, requestsPerSecond: rate, durationSeconds: duration, headers, note };
}
