import { fail } from '../validation';

/**
 * The grammar of an image reference (github.com/distribution/reference, reference.go):
 * `[domain[:port]/]path[:tag][@digest]`, the name at most 255 characters. The first part is the
 * registry when it has a '.' or a ':' or is `localhost`; the path is lower case.
 */
const DOMAIN = /^(localhost|[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(:[0-9]+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

export const IMAGE_GRAMMAR = "an image reference '[registry/]repository[:tag][@digest]', e.g. 'ghcr.io/org/app:1.2.3'";

/** What is wrong with an image reference, as "must ..." words, or undefined when it is one. */
export function imageReferenceProblem(image: string): string | undefined {
  if (/\s/.test(image) || image === '') return `must be ${IMAGE_GRAMMAR}, without spaces`;
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const named = at >= 0 ? image.slice(0, at) : image;
  if (digest !== undefined && !DIGEST.test(digest)) {
    return `has the digest '${digest}': a digest is '<algorithm>:<hex>', e.g. 'sha256:' and 64 hexadecimal digits`;
  }
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const tag = colon > slash ? named.slice(colon + 1) : undefined;
  const name = colon > slash ? named.slice(0, colon) : named;
  if (tag !== undefined && !TAG.test(tag)) {
    return `has the tag '${tag}': a tag is at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`;
  }
  if (name.length > 255) return `must be ${IMAGE_GRAMMAR}: its name is ${name.length} characters, at most 255 are allowed`;
  const parts = name.split('/');
  const first = parts[0];
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (hasDomain && !DOMAIN.test(first)) return `has the registry '${first}': a registry is a host name, optionally with ':<port>'`;
  const path = hasDomain ? parts.slice(1) : parts;
  const bad = path.find((component) => !PATH_COMPONENT.test(component));
  if (bad !== undefined) {
    const upper = bad !== bad.toLowerCase() ? ' (upper case is not allowed)' : '';
    return `has the repository '${path.join('/')}'${upper}: each part between '/' is lower-case letters and digits, separated by '.', '_', '__' or '-'`;
  }
  return undefined;
}

/**
 * Tags that projects move on purpose (a branch, a channel): an image pinned by one changes under the
 * same manifest. `latest` and untagged references are rejected by `checkPinnedImage` already.
 */
export const MUTABLE_TAGS: readonly string[] = Object.freeze([
  'latest', 'main', 'master', 'develop', 'dev', 'edge', 'nightly', 'stable', 'head', 'trunk', 'canary', 'next', 'snapshot', 'release',
]);

/** A sha256 digest at the end of a reference, as the pins write it. */
const PINNED_DIGEST = /@sha256:[a-f0-9]{64}$/;

/** The `sha256:...` digest of an image reference, if it has one. */
export function imageDigest(image: string): string | undefined {
  return PINNED_DIGEST.test(image) ? image.slice(image.lastIndexOf('@') + 1) : undefined;
}

/** The tag of an image reference (after the last `:` of its last path segment, before any digest). */
export function imageTag(image: string): string | undefined {
  const lastSegment = image.replace(PINNED_DIGEST, '').split('/').pop() ?? '';
  return lastSegment.includes(':') ? lastSegment.slice(lastSegment.lastIndexOf(':') + 1) : undefined;
}

/**
 * Rejects an image pinned by a tag its project moves (`main`, `master`, `nightly`, ...) and no
 * digest. A digest pins whatever the tag says.
 */
export function checkImmutableImage(owner: string, property: string, image: string): string {
  const tag = imageTag(image);
  if (imageDigest(image) === undefined && tag !== undefined && MUTABLE_TAGS.includes(tag.toLowerCase())) {
    fail(owner, `'${property}' ('${image}') is pinned by '${tag}', a tag that moves: the same manifest would run another image after every push. `
      + `Pin it by a version tag and digest, e.g. '${image.replace(/:[^:/]*$/, '')}:1.2.3@sha256:<digest>' (${MUTABLE_TAGS.join(', ')} are not allowed without a digest)`);
  }
  return image;
}
