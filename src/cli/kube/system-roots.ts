import * as fs from 'fs';
import * as path from 'path';

/**
 * The CA certificates Go trusts on Linux when a kubeconfig names no certificate authority
 * (crypto/x509 root_unix.go and root_linux.go): the file `SSL_CERT_FILE`, else the first bundle of
 * the distribution's that exists, plus every file of the folders in `SSL_CERT_DIR`. kubectl
 * verifies an API server with these; Node would use its own copy of Mozilla's roots instead, and
 * refuse a server that a company CA in the system store signed. Undefined elsewhere (macOS and
 * Windows: Node's roots; NODE_EXTRA_CA_CERTS adds to them) or when none is found.
 */
export function systemRoots(env: { readonly [name: string]: string | undefined }, platform: string = process.platform): Buffer | undefined {
  if (platform !== 'linux') return undefined;
  const files = env.SSL_CERT_FILE ? [env.SSL_CERT_FILE] : BUNDLES;
  const pems: Buffer[] = [];
  for (const file of files) {
    const pem = readIfFile(file);
    if (pem) {
      pems.push(pem);
      break;
    }
  }
  for (const dir of (env.SSL_CERT_DIR ?? '').split(':').filter((d) => d !== '')) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const pem = readIfFile(path.join(dir, name));
      if (pem) pems.push(pem);
    }
  }
  return pems.length > 0 ? Buffer.concat(pems.flatMap((pem) => [pem, Buffer.from('\n')])) : undefined;
}

/** Go's certFiles for Linux, in its order. */
const BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Gentoo
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL 6
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/pki/tls/cacert.pem', // OpenELEC
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // CentOS, RHEL 7
  '/etc/ssl/cert.pem', // Alpine
];

function readIfFile(file: string): Buffer | undefined {
  try {
    return fs.statSync(file).isFile() ? fs.readFileSync(file) : undefined;
  } catch {
    return undefined;
  }
}
