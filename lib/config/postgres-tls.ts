/**
 * TLS to Postgres for every process that opens a connection (lib/pg-connection.ts). The URL's
 * own `sslmode`/`sslrootcert`/`sslcert`/`sslkey` parameters win; these variables, libpq's own
 * names (so `psql` agrees), apply to a URL without them.
 */
import { environment } from './environment.js';
import type { ConfigOf, Schema } from './schema.js';
import { resolveConfig } from './schema.js';

/** libpq's modes; `verify-full` checks the CA and the host name, `verify-ca` only the CA. */
export const PG_SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type PgSslMode = (typeof PG_SSL_MODES)[number];

export const POSTGRES_TLS_SCHEMA = {
  sslMode: {
    type: 'enum',
    env: 'PGSSLMODE',
    values: PG_SSL_MODES,
    doc: 'TLS mode of a Postgres URL without `sslmode` (libpq semantics; default: no TLS). verify-full for anything beyond the loopback',
  },
  sslRootCert: {
    type: 'string',
    env: 'PGSSLROOTCERT',
    doc: 'PEM file of the CA that signed the server certificate, for a URL without `sslrootcert` (the native stack: .stack/conf/postgres-tls/ca.crt)',
  },
} as const satisfies Schema;

export type PostgresTlsConfig = ConfigOf<typeof POSTGRES_TLS_SCHEMA>;

export function postgresTlsConfig(env: NodeJS.ProcessEnv = environment()): PostgresTlsConfig {
  return resolveConfig('postgres-tls', POSTGRES_TLS_SCHEMA, {}, env);
}
