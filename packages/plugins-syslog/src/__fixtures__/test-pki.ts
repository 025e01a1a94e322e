import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A key and certificate as PEM text, with the files they were written to. */
export interface TestCredential {
  key: string;
  cert: string;
  keyPath: string;
  certPath: string;
}

/** A throwaway PKI: a CA, a server certificate for localhost/127.0.0.1, a client certificate, and an unrelated CA. */
export interface TestPki {
  dir: string;
  ca: TestCredential;
  server: TestCredential;
  client: TestCredential;
  otherCa: TestCredential;
  remove(): void;
}

/** Whether the `openssl` command line tool can be run. */
export function hasOpenssl(): boolean {
  const result = spawnSync('openssl', ['version'], { stdio: 'ignore' });
  return result.status === 0;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function read(dir: string, name: string): TestCredential {
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.crt`);
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), keyPath, certPath };
}

function selfSignedCa(dir: string, name: string, subject: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', subject,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function issued(dir: string, name: string, subject: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject,
  ]);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`,
  ]);
}

/** Generates the PKI with `openssl` in a new temporary directory (about a tenth of a second). */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'ce-syslog-pki-'));
  selfSignedCa(dir, 'ca', '/CN=CE Syslog Test CA');
  selfSignedCa(dir, 'other-ca', '/CN=Unrelated Test CA');
  issued(
    dir,
    'server',
    '/CN=localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n',
  );
  issued(dir, 'client', '/CN=ce-syslog-client', 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  return {
    dir,
    ca: read(dir, 'ca'),
    server: read(dir, 'server'),
    client: read(dir, 'client'),
    otherCa: read(dir, 'other-ca'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
