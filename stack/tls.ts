/**
 * A private CA and the certificates it issues, made with openssl: EC P-256 keys (mode 600) in one
 * mode-700 folder, 825 days. The Kafka broker's certificates (stack/kafka-tls.ts) and the native
 * Postgres server's (stack/postgres-tls.ts) are both made here.
 */
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtlError } from '../lib/errors.js';
import { run, which } from './process.js';
import { mkdirPrivate } from './private-dir.js';

function requireOpenssl(): string {
  const path = which('openssl');
  if (!path) {
    throw new EtlError('DEPENDENCY_MISSING', 'openssl is needed to make the TLS certificates', {
      hint: 'install it (Debian/Ubuntu: apt-get install -y openssl)',
    });
  }
  return path;
}

const DAYS = '825';
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** The loopback names every local server certificate carries. */
export const LOOPBACK_SAN = 'IP:127.0.0.1,DNS:localhost';

export interface IssueOptions {
  /** Server certificate (serverAuth, and clientAuth for a broker talking to itself) or client only. */
  server: boolean;
  /** subjectAltName of a server certificate (default LOOPBACK_SAN). */
  san?: string;
}

/** `dir/ca.crt` and `dir/ca.key`, made once (CN `cn`); returns the certificate's path. */
export function ensureCa(dir: string, cn: string): string {
  mkdirPrivate(dir);
  const ca = join(dir, 'ca.crt');
  if (existsSync(ca)) return ca;
  const caKey = join(dir, 'ca.key');
  run(requireOpenssl(), [
    'req',
    '-x509',
    ...KEY,
    '-keyout',
    caKey,
    '-out',
    ca,
    '-days',
    DAYS,
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  chmodSync(caKey, 0o600);
  return ca;
}

/** A key and a certificate for CN `name`, signed by the CA in `dir` (ensureCa first). */
export function issueCertificate(dir: string, name: string, o: IssueOptions): { cert: string; key: string } {
  const openssl = requireOpenssl();
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  run(openssl, ['req', '-new', ...KEY, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
  chmodSync(key, 0o600);
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      `extendedKeyUsage=${o.server ? 'serverAuth,clientAuth' : 'clientAuth'}`,
      ...(o.server ? [`subjectAltName=${o.san ?? LOOPBACK_SAN}`] : []),
      '',
    ].join('\n'),
  );
  run(openssl, [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    DAYS,
    '-extfile',
    ext,
    '-out',
    cert,
  ]);
  rmSync(csr);
  rmSync(ext);
  return { cert, key };
}
