import { Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { checkPort, fail } from '../validation';

/** The largest user id Kubernetes accepts (an int64 in the API, but a uid is 32 bits on Linux). */
const MAX_USER_ID = 2147483647;

/** A user id that is not root: Pod Security "restricted" requires `runAsNonRoot`, which rejects uid 0 at start. */
export function checkNonRootUser(owner: string, property: string, user: number): number {
  if (!Number.isInteger(user) || user < 1 || user > MAX_USER_ID) {
    fail(owner, `'${property}' (${user}) must be an integer between 1 and ${MAX_USER_ID}: the containers run as a non-root user (Pod Security "restricted"; 0 is root)`);
  }
  return user;
}

/** Millicores of a CPU quantity as cdk8s-plus writes it (`Cpu.millis(100)` is '100m', `Cpu.units(1)` is '1'). */
function millicores(cpu: kplus.Cpu): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(String(cpu?.amount));
  if (!match) return undefined;
  const value = Number(match[1]) * (match[2] ? 1 : 1000);
  return value > 0 && Number.isFinite(value) ? value : undefined;
}

/** A size in whole units of `unit` (cdk8s-plus writes memory in Mi, ephemeral storage in Gi), in bytes. */
function bytes(size: Size, unit: 'Mi' | 'Gi'): number | undefined {
  try {
    const whole = unit === 'Mi' ? size.toMebibytes() : size.toGibibytes();
    return whole > 0 ? size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU, memory and ephemeral storage as cdk8s-plus renders them, each request at most its limit
 * (the API server rejects a request above its limit).
 */
export function checkResources(owner: string, property: string, resources: kplus.ContainerResources): void {
  const kinds = [
    { key: 'cpu', amount: (v: any) => millicores(v), rule: 'a CPU quantity, e.g. Cpu.millis(100) or Cpu.units(1), above zero', show: (v: any) => String(v?.amount) },
    { key: 'memory', amount: (v: any) => bytes(v, 'Mi'), rule: 'a Size of a whole number of mebibytes above zero, e.g. Size.mebibytes(128)', show: showSize },
    { key: 'ephemeralStorage', amount: (v: any) => bytes(v, 'Gi'), rule: 'a Size of a whole number of gibibytes above zero, e.g. Size.gibibytes(1)', show: showSize },
  ] as const;
  for (const kind of kinds) {
    const pair = (resources as any)[kind.key];
    if (pair === undefined) continue;
    const amounts: { [end: string]: number | undefined } = {};
    for (const end of ['request', 'limit']) {
      const value = pair?.[end];
      if (value === undefined) continue;
      amounts[end] = kind.amount(value);
      if (amounts[end] === undefined) fail(owner, `'${property}.${kind.key}.${end}' (${kind.show(value)}) must be ${kind.rule}`);
    }
    if (amounts.request !== undefined && amounts.limit !== undefined && amounts.request > amounts.limit) {
      fail(owner, `'${property}.${kind.key}.request' (${kind.show(pair.request)}) must be at most '${property}.${kind.key}.limit' (${kind.show(pair.limit)}): the API server rejects a request above its limit`);
    }
  }
}

function showSize(size: any): string {
  try {
    return `${size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) / 1024}Mi`;
  } catch {
    return String(size);
  }
}

/**
 * A probe as it will be rendered for `container`: its timings whole seconds, its port (an HTTP
 * or TCP probe's, the container's by default) a port number.
 */
export function checkProbe(owner: string, property: string, probe: kplus.Probe, container: kplus.Container): void {
  let rendered: any;
  try {
    rendered = (probe as any)._toKube(container);
  } catch (error) {
    fail(owner, `'${property}' cannot be rendered: ${(error as Error).message}; give its durations in whole seconds, e.g. periodSeconds: Duration.seconds(10)`);
  }
  for (const handler of ['httpGet', 'tcpSocket']) {
    const port = rendered?.[handler]?.port?.value;
    if (typeof port === 'number') checkPort(owner, `${property}.port`, port);
  }
}
