import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TLS_DIR } from './fakes/fake-api-server';
import { systemRoots } from '../../src/cli/kube/system-roots';

/*
 * The roots kubectl (Go's crypto/x509 on Linux, root_unix.go loadSystemRoots) trusts when a
 * kubeconfig names no certificate authority: SSL_CERT_FILE or the first distribution bundle, plus
 * the files of SSL_CERT_DIR or, when it is unset, of /etc/ssl/certs and /etc/pki/tls/certs
 * (passed here as folders of the test's own).
 */

const pem = (name: string) => fs.readFileSync(path.join(TLS_DIR, name), 'utf-8').trim();
const CA = pem('ca.crt');
const ALICE = pem('alice.crt');
const BOT = pem('bot.crt');

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'system-roots-')); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function folder(name: string, files: { [name: string]: string }, links: { [name: string]: string } = {}): string {
  const at = path.join(dir, name);
  fs.mkdirSync(at);
  Object.entries(files).forEach(([file, text]) => fs.writeFileSync(path.join(at, file), text));
  Object.entries(links).forEach(([link, target]) => fs.symlinkSync(target, path.join(at, link)));
  return at;
}

test('the bundle, then every file of the default folders (links too; not what is no certificate); each certificate once', () => {
  const bundle = path.join(dir, 'bundle.crt');
  fs.writeFileSync(bundle, `${CA}\n`);
  const outside = path.join(dir, 'outside.pem');
  fs.writeFileSync(outside, `${BOT}\n`);
  const certs = folder('certs', { 'alice.pem': `${ALICE}\n`, 'ca.pem': `${CA}\r\n`, 'README': 'not a certificate' }, { '5a1b2c3d.0': 'alice.pem', 'bot.pem': outside });
  const roots = systemRoots({ SSL_CERT_FILE: bundle }, 'linux', [certs, path.join(dir, 'missing')]);
  expect(roots?.toString()).toBe(`${CA}\n${ALICE}\n${BOT}\n`);
});

test('SSL_CERT_DIR replaces the default folders (a list, ":"-separated)', () => {
  const defaults = folder('defaults', { 'alice.pem': ALICE });
  const one = folder('one', { 'bot.pem': BOT });
  const two = folder('two', { 'ca.pem': CA });
  expect(systemRoots({ SSL_CERT_FILE: path.join(dir, 'none'), SSL_CERT_DIR: `${one}:${two}` }, 'linux', [defaults])?.toString()).toBe(`${BOT}\n${CA}\n`);
  expect(systemRoots({ SSL_CERT_FILE: path.join(dir, 'none') }, 'linux', [defaults])?.toString()).toBe(`${ALICE}\n`);
});

test('nothing found, or not Linux: undefined (Node\'s own roots)', () => {
  expect(systemRoots({ SSL_CERT_FILE: path.join(dir, 'none') }, 'linux', [path.join(dir, 'missing')])).toBeUndefined();
  expect(systemRoots({ SSL_CERT_FILE: path.join(TLS_DIR, 'ca.crt') }, 'darwin')).toBeUndefined();
});
