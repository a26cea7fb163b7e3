/**
 * The native stack's Postgres roles, one login per process that talks to Postgres, each with its
 * own generated password (stack/secrets.ts) and its own URL in `.stack/env`:
 *
 *   postgres         superuser           DATABASE_ADMIN_URL            stack set-up only
 *   retail           owner + migrator    DATABASE_URL                  `make up`, `pg migrate`, tests, psql
 *   retail_sink      raw sink            SINK_POSTGRES_DATABASE_URL    the sink-postgres process
 *   retail_agg_sink  aggregate sink      SINK_AGGREGATES_DATABASE_URL  the sink-aggregates process
 *   retail_reader    query API           QUERY_DATABASE_URL            the serve process
 *   retail_connect   Kafka Connect       CONNECT_DATABASE_URL          the JDBC sink connector
 *   retail_monitor   metrics             (none: its launch environment) prometheus-postgres-exporter
 *
 * The runtime roles get their rights from the migrations' grants only: none is a member of the
 * owner (any such membership is revoked here), none can create roles, databases or schemas.
 * Role names follow the config (SINK_POSTGRES_ROLE, SINK_AGGREGATES_ROLE, SINK_POSTGRES_READER_ROLE).
 */
import { HOST, PORTS } from '../lib/ports.js';
import { aggregatesConfig } from '../sinks/aggregates/config.js';
import { ident } from '../sinks/postgres/ident.js';
import { resolveConfig } from '../lib/config/index.js';
import { POSTGRES_SINK_SCHEMA } from '../sinks/postgres/raw/config.js';
import type { StackContext } from './component.js';
import { pgClient } from '../lib/postgres/connection.js';

export const OWNER_ROLE = 'retail';
export const APP_DATABASE = 'retail';
export const CONNECT_ROLE = 'retail_connect';
/** prometheus-postgres-exporter's login: a member of pg_monitor (read the statistics views), nothing else. */
export const MONITOR_ROLE = 'retail_monitor';
export const MONITOR_SECRET = 'POSTGRES_MONITOR_PASSWORD';

export interface RuntimeRole {
  role: string;
  /** Key of its password in .stack/secrets.env. */
  secret: string;
  /** Key of its URL in .stack/env. */
  envKey: string;
}

/** The runtime login roles, named as the configuration names them. */
export function runtimeRoles(env: NodeJS.ProcessEnv = process.env): RuntimeRole[] {
  const raw = resolveConfig('sink-postgres', POSTGRES_SINK_SCHEMA, {}, { ...env, DATABASE_URL: 'unused' });
  const agg = aggregatesConfig({}, env);
  return [
    { role: raw.sinkRole, secret: 'POSTGRES_SINK_PASSWORD', envKey: 'SINK_POSTGRES_DATABASE_URL' },
    { role: agg.sinkRole, secret: 'POSTGRES_AGG_SINK_PASSWORD', envKey: 'SINK_AGGREGATES_DATABASE_URL' },
    { role: raw.readerRole, secret: 'POSTGRES_READER_PASSWORD', envKey: 'QUERY_DATABASE_URL' },
    { role: CONNECT_ROLE, secret: 'POSTGRES_CONNECT_PASSWORD', envKey: 'CONNECT_DATABASE_URL' },
  ];
}

function secret(ctx: StackContext, key: string): string {
  const value = ctx.secrets[key];
  if (!value) throw new Error(`${key} is missing from the stack's secrets`);
  return value;
}

/** postgres://role:password@127.0.0.1:port/db (the generated passwords are hex: no escaping). */
function url(role: string, password: string, port: number, db: string): string {
  return `postgres://${role}:${password}@${HOST}:${port}/${db}`;
}

export function adminUrl(ctx: StackContext, port: number = PORTS.postgres): string {
  return url('postgres', secret(ctx, 'POSTGRES_SUPERUSER_PASSWORD'), port, 'postgres');
}

/** The owner's (migrator's) URL: DATABASE_URL. */
export function ownerUrl(ctx: StackContext, port: number = PORTS.postgres): string {
  return url(OWNER_ROLE, secret(ctx, 'POSTGRES_APP_PASSWORD'), port, APP_DATABASE);
}

/** Every runtime role's URL, keyed by its `.stack/env` name. */
export function runtimeUrls(ctx: StackContext, port: number = PORTS.postgres): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of runtimeRoles()) out[r.envKey] = url(r.role, secret(ctx, r.secret), port, APP_DATABASE);
  return out;
}

/**
 * As the superuser: the owner (LOGIN CREATEROLE, owns the `retail` database) and every runtime
 * role (LOGIN, nothing else), passwords set to the generated ones, memberships in the owner revoked.
 * Idempotent; a role an earlier migration created NOLOGIN is turned into a login.
 */
export async function ensureRoles(ctx: StackContext, port: number = PORTS.postgres): Promise<void> {
  const client = pgClient(adminUrl(ctx, port));
  await client.connect();
  try {
    const upsert = async (role: string, attrs: string, password: string) => {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      const verb = exists.rowCount === 0 ? 'CREATE' : 'ALTER';
      // Identifiers are validated by ident(); the passwords are generated hex.
      await client.query(`${verb} ROLE ${ident(role, 'role')} ${attrs} PASSWORD '${password}'`);
    };
    await upsert(OWNER_ROLE, 'LOGIN CREATEROLE NOSUPERUSER', secret(ctx, 'POSTGRES_APP_PASSWORD'));
    const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [APP_DATABASE]);
    if (db.rowCount === 0) await client.query(`CREATE DATABASE ${APP_DATABASE} OWNER ${OWNER_ROLE}`);
    for (const r of runtimeRoles()) {
      await upsert(
        r.role,
        'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS',
        secret(ctx, r.secret),
      );
      const member = await client.query(
        `SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
          WHERE g.rolname = $1 AND u.rolname = $2`,
        [OWNER_ROLE, r.role],
      );
      if ((member.rowCount ?? 0) > 0)
        await client.query(`REVOKE ${OWNER_ROLE} FROM ${ident(r.role, 'role')}`);
    }
    // pg_monitor: read every statistics view and pg_settings, no table data, no writes.
    await upsert(
      MONITOR_ROLE,
      'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 3',
      secret(ctx, MONITOR_SECRET),
    );
    await client.query(`GRANT pg_monitor TO ${MONITOR_ROLE}`);
  } finally {
    await client.end();
  }
}
