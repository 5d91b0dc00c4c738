import * as fs from 'fs';
import * as path from 'path';

/**
 * The CA certificates Go trusts on Linux when a kubeconfig names no certificate authority
 * (crypto/x509 root_unix.go loadSystemRoots, root_linux.go): the file `SSL_CERT_FILE`, else the
 * first bundle of the distribution's that exists; and every file of the folders in `SSL_CERT_DIR`,
 * else of `/etc/ssl/certs` and `/etc/pki/tls/certs`. kubectl verifies an API server with these;
 * Node would use its own copy of Mozilla's roots instead, and refuse a server that a company CA in
 * the system store signed. Each certificate is kept once (the folders mostly repeat the bundle, and
 * their hash-named links repeat their files, which Go skips: readUniqueDirectoryEntries). Undefined
 * elsewhere (macOS and Windows: Node's roots; NODE_EXTRA_CA_CERTS adds to them) or when none is
 * found.
 */
export function systemRoots(
  env: { readonly [name: string]: string | undefined }, platform: string = process.platform, directories: string[] = CERT_DIRECTORIES,
): Buffer | undefined {
  if (platform !== 'linux') return undefined;
  const files = env.SSL_CERT_FILE ? [env.SSL_CERT_FILE] : BUNDLES;
  const pems: string[] = [];
  for (const file of files) {
    const pem = readIfFile(file);
    if (pem !== undefined) {
      pems.push(pem);
      break;
    }
  }
  const dirs = env.SSL_CERT_DIR ? env.SSL_CERT_DIR.split(':').filter((d) => d !== '') : directories;
  for (const dir of dirs) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const pem = readIfFile(path.join(dir, name));
      if (pem !== undefined) pems.push(pem);
    }
  }
  const certificates = [...new Set(pems.flatMap((pem) => pem.match(CERTIFICATE) ?? []).map((c) => c.replace(/\r/g, '')))];
  return certificates.length > 0 ? Buffer.from(`${certificates.join('\n')}\n`) : undefined;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Go's certFiles for Linux, in its order. */
const BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Gentoo
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL 6
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/pki/tls/cacert.pem', // OpenELEC
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // CentOS, RHEL 7
  '/etc/ssl/cert.pem', // Alpine
];

/** Go's certDirectories for Linux. */
const CERT_DIRECTORIES = ['/etc/ssl/certs', '/etc/pki/tls/certs'];

function readIfFile(file: string): string | undefined {
  try {
    return fs.statSync(file).isFile() ? fs.readFileSync(file, 'latin1') : undefined;
  } catch {
    return undefined;
  }
}
