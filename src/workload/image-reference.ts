import { fail } from '../validation';

/**
 * Tags that projects move on purpose (a branch, a channel): an image pinned by one changes under the
 * same manifest. `latest` and untagged references are rejected by `checkPinnedImage` already.
 */
export const MUTABLE_TAGS: readonly string[] = Object.freeze([
  'latest', 'main', 'master', 'develop', 'dev', 'edge', 'nightly', 'stable', 'head', 'trunk', 'canary', 'next', 'snapshot', 'release',
]);

const DIGEST = /@sha256:[a-f0-9]{64}$/;

/** The `sha256:...` digest of an image reference, if it has one. */
export function imageDigest(image: string): string | undefined {
  return DIGEST.test(image) ? image.slice(image.lastIndexOf('@') + 1) : undefined;
}

/** The tag of an image reference (after the last `:` of its last path segment, before any digest). */
export function imageTag(image: string): string | undefined {
  const lastSegment = image.replace(DIGEST, '').split('/').pop() ?? '';
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
