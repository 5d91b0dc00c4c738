/**
 * Reads the digest of every image in src/versions.ts (PINNED_IMAGES) from its registry and says
 * where the table differs: a digest missing, or another than the registry's. With `--write` it
 * writes the registry's digests into src/versions.ts (and marks their source).
 *
 * For maintainers, when a version changes: CI has no registry access, so it never runs there. It
 * asks each registry for the tag's manifest (list) with an anonymous pull token, as `crane digest`
 * does, and reads `Docker-Content-Digest`.
 *
 *   npx ts-node scripts/refresh-digests.ts [--write]
 */
import * as fs from 'fs';
import * as path from 'path';
import { PINNED_IMAGES, PinnedImage } from '../src/versions';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** `docker.io/prom/prometheus` as registry host and repository path (Docker Hub's API host differs from its name). */
function locate(repository: string): { host: string; name: string } {
  const [first, ...rest] = repository.split('/');
  const host = first === 'docker.io' ? 'registry-1.docker.io' : first;
  return { host, name: rest.join('/') };
}

/** An anonymous pull token, from the realm the registry names in its 401 challenge. */
async function token(host: string, name: string): Promise<string | undefined> {
  const probe = await fetch(`https://${host}/v2/`);
  const challenge = probe.headers.get('www-authenticate');
  if (probe.status !== 401 || !challenge) return undefined;
  const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.set('scope', `repository:${name}:pull`);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${host}: token request failed (${response.status})`);
  const body = await response.json() as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}

async function registryDigest(image: PinnedImage): Promise<string> {
  const { host, name } = locate(image.repository);
  const bearer = await token(host, name);
  const response = await fetch(`https://${host}/v2/${name}/manifests/${image.tag}`, {
    method: 'HEAD',
    headers: { Accept: MANIFEST_TYPES, ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
  });
  const digest = response.headers.get('docker-content-digest');
  if (!response.ok || !digest) throw new Error(`${image.repository}:${image.tag}: no digest (HTTP ${response.status})`);
  return digest;
}

/** versions.ts with the digest and source of one role's entry replaced. */
export function rewriteDigest(source: string, role: string, digest: string, digestSource: string): string {
  const entry = new RegExp(`(  ${role}: \\{[\\s\\S]*?digest: )(undefined|'sha256:[a-f0-9]{64}')(,\\n    digestSource: )([\\s\\S]*?)(,\\n  \\} as PinnedImage)`);
  if (!entry.test(source)) throw new Error(`src/versions.ts has no entry '${role}' in PINNED_IMAGES`);
  return source.replace(entry, (_all, head: string, _old: string, middle: string, _source: string, tail: string) =>
    `${head}'${digest}'${middle}'${digestSource.replace(/'/g, "\\'")}'${tail}`);
}

async function main(): Promise<void> {
  const write = process.argv.includes('--write');
  const file = path.join(__dirname, '..', 'src', 'versions.ts');
  let source = fs.readFileSync(file, 'utf-8');
  let differences = 0;
  for (const [role, image] of Object.entries(PINNED_IMAGES)) {
    const digest = await registryDigest(image);
    const ref = `${image.repository}:${image.tag}`;
    if (image.digest === digest) {
      console.log(`${role}: ${ref}@${digest} (as recorded)`);
      continue;
    }
    differences++;
    console.log(`${role}: ${ref} is ${digest} in the registry; recorded: ${image.digest ?? 'none'}`);
    if (write) source = rewriteDigest(source, role, digest, `read from ${locate(image.repository).host} by scripts/refresh-digests.ts on ${new Date().toISOString().slice(0, 10)}`);
  }
  if (write && differences > 0) fs.writeFileSync(file, source);
  if (!write && differences > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  });
}
