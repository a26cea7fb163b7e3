/**
 * The one place a Postgres connection is configured: every client and pool the project opens
 * (sinks, query API, stack set-up, `pg` commands, `connect apply`) gets its options here, so TLS
 * means the same everywhere. The URL's `sslmode`, `sslrootcert`, `sslcert` and `sslkey` follow
 * libpq (PGSSLMODE/PGSSLROOTCERT for a URL without them, lib/config/postgres-tls.ts):
 *
 *   disable      no TLS
 *   prefer       node-postgres cannot fall back to plain text: treated as require
 *   require      TLS, certificate not checked (checked against sslrootcert when one is given, as libpq)
 *   verify-ca    TLS, certificate signed by sslrootcert (host name not checked)
 *   verify-full  TLS, certificate signed by sslrootcert (else Node's CA list) and issued for the host
 *
 * node-postgres reads the same parameters itself but treats every mode as verify-full, and a
 * connection string's parameters override explicit options; so they are taken out of the URL and
 * turned into an explicit `ssl` option here. A named file that cannot be read is CONFIG_INVALID
 * naming the parameter, never its contents.
 */
import pg from 'pg';
import type { ConnectionOptions } from 'node:tls';
import { postgresTlsConfig, PG_SSL_MODES, readSettingFile } from '../config/index.js';
import type { PgSslMode } from '../config/index.js';
import { EtlError } from '../errors.js';

const SSL_PARAMS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'ssl', 'uselibpqcompat'] as const;

export interface PgTls {
  mode: PgSslMode;
  /** What node-postgres gets as `ssl`: false, or the TLS options. */
  ssl: false | ConnectionOptions;
}

function invalid(message: string): EtlError {
  return new EtlError('CONFIG_INVALID', `postgres-tls: ${message}`, {
    hint: 'see docs/configuration.md#postgres-tls and docs/security.md#postgres-tls',
  });
}

/** The URL's TLS settings (or the environment's), as libpq reads them. */
export function pgTls(url: URL, env?: NodeJS.ProcessEnv): PgTls {
  const config = postgresTlsConfig(env);
  const rawMode = url.searchParams.get('sslmode') ?? config.sslMode ?? 'disable';
  if (!(PG_SSL_MODES as readonly string[]).includes(rawMode)) {
    throw invalid(`sslmode=${rawMode} is not one of ${PG_SSL_MODES.join(', ')}`);
  }
  const mode = rawMode as PgSslMode;
  if (mode === 'disable') return { mode, ssl: false };
  const rootCert = url.searchParams.get('sslrootcert') ?? config.sslRootCert;
  const certFile = url.searchParams.get('sslcert');
  const keyFile = url.searchParams.get('sslkey');
  const ssl: ConnectionOptions = {};
  if (rootCert) ssl.ca = readSettingFile('postgres-tls', 'sslrootcert', rootCert);
  if (certFile) ssl.cert = readSettingFile('postgres-tls', 'sslcert', certFile);
  if (keyFile) ssl.key = readSettingFile('postgres-tls', 'sslkey', keyFile);
  if (mode === 'verify-ca' && !rootCert) {
    // libpq refuses this too: any certificate a public CA issued to anyone would pass.
    throw invalid('sslmode=verify-ca needs sslrootcert (or PGSSLROOTCERT)');
  }
  if (mode === 'verify-ca' || ((mode === 'require' || mode === 'prefer') && rootCert)) {
    ssl.checkServerIdentity = () => undefined;
  } else if (mode === 'require' || mode === 'prefer') {
    ssl.rejectUnauthorized = false;
  }
  return { mode, ssl };
}

/** The URL without its TLS parameters (node-postgres would otherwise apply its own reading). */
function stripped(url: URL): string {
  const copy = new URL(url.toString());
  for (const p of SSL_PARAMS) copy.searchParams.delete(p);
  return copy.toString();
}

function parse(connectionString: string): URL {
  try {
    return new URL(connectionString);
  } catch {
    // Never echo it: it holds the password.
    throw invalid('a Postgres URL is not a valid postgres://user:password@host:port/db URL');
  }
}

/** Options for `new pg.Client` / `new pg.Pool`: the URL, TLS settled, then `extra`. */
export function pgConfig<T extends pg.ClientConfig>(
  connectionString: string,
  extra: Omit<T, 'connectionString' | 'ssl'> = {} as T,
  env?: NodeJS.ProcessEnv,
): T {
  const url = parse(connectionString);
  const tls = pgTls(url, env);
  return { ...extra, connectionString: stripped(url), ssl: tls.ssl } as T;
}

export function pgClient(
  connectionString: string,
  extra: Omit<pg.ClientConfig, 'connectionString' | 'ssl'> = {},
) {
  return new pg.Client(pgConfig<pg.ClientConfig>(connectionString, extra));
}

export function pgPool(
  connectionString: string,
  extra: Omit<pg.PoolConfig, 'connectionString' | 'ssl'> = {},
) {
  return new pg.Pool(pgConfig<pg.PoolConfig>(connectionString, extra));
}

/**
 * A connected client, or a retriable POSTGRES_ERROR with the server's code: the one way the
 * short-lived commands (`pg`, `backup`) open a connection.
 */
export async function connectPgClient(connectionString: string): Promise<pg.Client> {
  const client = pgClient(connectionString);
  try {
    await client.connect();
  } catch (err) {
    throw new EtlError('POSTGRES_ERROR', `cannot connect to Postgres: ${(err as Error).message}`, {
      retriable: true,
      serverCode: (err as { code?: string }).code,
    });
  }
  return client;
}

/** Run `fn` on a connected client, closing it afterwards whatever happens. */
export async function withPgClient<T>(
  connectionString: string,
  fn: (c: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connectPgClient(connectionString);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
