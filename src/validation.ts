import * as path from 'path';
import { Duration } from 'cdk8s';
import { imageReferenceProblem } from './workload/image-reference';

/**
 * Input checks shared by every construct. Each throws with a message that names the owner, the
 * property, the bad value and what is allowed, e.g.
 * `podinfo: 'port' (70000) must be an integer between 1 and 65535`.
 */

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

// The package's own folders (src/ when run from source, lib/ when installed): their stack frames
// point into code the user did not write (and, through source maps, into src/, which is not shipped).
const PACKAGE_ROOT = path.resolve(__dirname, '..');
const OWN_FRAMES = [path.join(PACKAGE_ROOT, 'src') + path.sep, path.join(PACKAGE_ROOT, 'lib') + path.sep];

/**
 * A mistake in a declaration: what is wrong and how to fix it. Its stack holds only the caller's
 * frames, so it points at the user's line rather than into this package.
 */
export class DeclarationError extends Error {
  /** Every message, when several mistakes were found at once. */
  public readonly messages: string[];

  constructor(messages: string[]) {
    super(messages.join('\n'));
    this.name = 'DeclarationError';
    this.messages = messages;
    this.stack = [`${this.name}: ${this.message}`, ...callerFrames(this.stack)].join('\n');
  }
}

function callerFrames(stack: string | undefined): string[] {
  return (stack ?? '').split('\n').filter((line) => /^\s+at /.test(line) && !OWN_FRAMES.some((dir) => line.includes(dir)));
}

export function fail(owner: string, message: string): never {
  throw new DeclarationError([`${owner}: ${message}`]);
}

/**
 * Collects the mistakes of a declaration, so that all of them are reported together instead of
 * the first one only. Anything other than a DeclarationError (a bug) is not collected: it throws.
 */
export class DeclarationErrors {
  private readonly found: string[] = [];

  /** The messages collected so far. */
  public get messages(): string[] {
    return [...this.found];
  }

  /** Runs `check`; a DeclarationError is recorded and gives `undefined`. */
  public attempt<T>(check: () => T): T | undefined {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof DeclarationError)) throw error;
      this.found.push(...error.messages);
      return undefined;
    }
  }

  /** Throws one DeclarationError with every message collected, if there is any. */
  public throwIfAny(): void {
    if (this.found.length > 0) throw new DeclarationError(this.found);
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

/** A DNS-1035 label (what a Service name must be), at most `maxLength` characters. */
export function checkDnsLabel(owner: string, property: string, value: string, maxLength = 63, why = ''): string {
  if (!DNS_LABEL.test(value) || value.length > maxLength) {
    fail(owner, `'${property}' (${show(value)}) must be a DNS label of at most ${maxLength} characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit${why}`);
  }
  return value;
}

/**
 * A host name: each label (between dots, a leading `*` wildcard aside) at most 63 characters, as
 * DNS allows (RFC 1035), which a subdomain's pattern alone does not say.
 */
export function checkHostLabels(owner: string, property: string, value: string): string {
  const long = value.split('.').find((label) => label.length > 63);
  if (long !== undefined) {
    fail(owner, `'${property}' ('${value}') has a label of ${long.length} characters ('${long}'): each label of a host name, between dots, is at most 63 characters`);
  }
  return value;
}

/** A DNS-1123 subdomain (what most object names must be). */
export function checkDnsSubdomain(owner: string, property: string, value: string): string {
  if (!DNS_SUBDOMAIN.test(value) || value.length > 253) {
    fail(owner, `'${property}' (${show(value)}) must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'`);
  }
  return value;
}

export function checkInteger(owner: string, property: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(owner, `'${property}' (${value}) must be an integer between ${min} and ${max}`);
  }
  return value;
}

export function checkPort(owner: string, property: string, value: number): number {
  return checkInteger(owner, property, value, 1, 65535);
}

export function checkNumber(owner: string, property: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(owner, `'${property}' (${value}) must be a number between ${min} and ${max}`);
  }
  return value;
}

/** A duration of whole seconds, at least `minSeconds`. */
export function checkWholeSeconds(owner: string, property: string, value: Duration, minSeconds: number): number {
  const millis = value.toMilliseconds();
  if (millis % 1000 !== 0 || millis < minSeconds * 1000) {
    fail(owner, `'${property}' (${value.toHumanString()}) must be a whole number of seconds, at least ${minSeconds}s`);
  }
  return millis / 1000;
}

/** Images must be valid references (distribution/reference), pinned by a tag other than `latest`, or by a digest. */
export function checkPinnedImage(owner: string, property: string, image: string): string {
  const problem = imageReferenceProblem(image);
  if (problem !== undefined) {
    fail(owner, `'${property}' (${show(image)}) ${problem}`);
  }
  const digest = /@sha256:[a-f0-9]{64}$/.test(image);
  const lastSegment = image.split('/').pop() ?? '';
  const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
  if (!digest && (!tag || tag === 'latest')) {
    fail(owner, `'${property}' (${show(image)}) must be pinned by a version tag or a sha256 digest, e.g. 'ghcr.io/org/app:1.2.3'; 'latest' and untagged images are not allowed`);
  }
  return image;
}

export function checkUniqueNames(owner: string, property: string, names: string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      fail(owner, `'${property}' has two entries named ${show(name)}; names must be unique`);
    }
    seen.add(name);
  }
}

/** Renders a duration the way Flagger and Argo Rollouts read it: `90s`, `5m`. */
export function toGoDuration(value: Duration): string {
  const seconds = value.toSeconds();
  return seconds % 60 === 0 && seconds > 0 ? `${seconds / 60}m` : `${seconds}s`;
}

/** Renders whole seconds in the largest whole unit, hours included (`2h`, `90m`, `15s`), as Go and Prometheus read them. */
export function toLongDuration(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  return seconds > 0 && seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
}
