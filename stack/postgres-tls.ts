/**
 * TLS for the native Postgres: a private CA (stack/tls.ts) under `.stack/conf/postgres-tls/` and a
 * server certificate for the loopback names (IP 127.0.0.1, localhost), copied into the data
 * directory as `server.crt`/`server.key` (mode 600, owned by the server's OS user, as Postgres
 * requires of its key). Clients verify it with `sslmode=verify-full&sslrootcert=<ca.crt>` (or
 * PGSSLMODE/PGSSLROOTCERT; `.stack/env` holds PGSSLROOTCERT).
 */
import { chownSync, copyFileSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCa, issueCertificate } from './tls.js';

export const SERVER_CN = 'retail-postgres';

export interface PostgresTlsFiles {
  /** The CA certificate: clients' sslrootcert. */
  ca: string;
  cert: string;
  key: string;
}

export const postgresCaDir = (conf: string): string => join(conf, 'postgres-tls');

/**
 * The CA (made once) and the server's certificate and key in `dataDir` (made once per data
 * directory), owned by `owner` when given (root runs the server as the `postgres` OS user).
 */
export function ensurePostgresTls(
  conf: string,
  dataDir: string,
  owner: { uid: number; gid: number } | undefined,
): PostgresTlsFiles {
  const caDir = postgresCaDir(conf);
  const ca = ensureCa(caDir, 'retail-etl-postgres-ca');
  const cert = join(dataDir, 'server.crt');
  const key = join(dataDir, 'server.key');
  if (!existsSync(cert) || !existsSync(key)) {
    const issued = issueCertificate(caDir, SERVER_CN, { server: true });
    copyFileSync(issued.cert, cert);
    copyFileSync(issued.key, key);
    for (const f of [cert, key]) {
      chmodSync(f, 0o600);
      if (owner) chownSync(f, owner.uid, owner.gid);
    }
  }
  return { ca, cert, key };
}

/** The server settings that turn TLS on with those files (TLS 1.2 at least). */
export function tlsSettings(files: PostgresTlsFiles): Record<string, string> {
  return {
    ssl: 'on',
    ssl_cert_file: files.cert,
    ssl_key_file: files.key,
    ssl_min_protocol_version: 'TLSv1.2',
  };
}
