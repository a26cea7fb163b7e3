/**
 * The one migration runner of the Postgres sinks (raw and aggregate tables): statements in one
 * transaction under one advisory lock shared by every sink's migration, so sinks starting side by
 * side never race on roles or grants.
 */
import type pg from 'pg';
import { pgError } from './errors.js';
import { ident } from './ident.js';

export async function runMigration(client: pg.ClientBase, statements: string[], what: string): Promise<void> {
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('retail-etl pg migrate'))`);
    for (const sql of statements) await client.query(sql);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw pgError(`${what} failed`, err);
  }
}

/**
 * The two runtime roles (the sink writes, the reader reads), created NOLOGIN when missing. The
 * native stack creates them beforehand as LOGIN roles with their own passwords
 * (stack/postgres-roles.ts); elsewhere an administrator gives them LOGIN and a password.
 */
export function createRolesSql(sinkRole: string, readerRole: string): string {
  const sink = ident(sinkRole, 'sink role');
  const reader = ident(readerRole, 'reader role');
  return `DO $do$ BEGIN
       IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${sinkRole}') THEN CREATE ROLE ${sink} NOLOGIN; END IF;
       IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${readerRole}') THEN CREATE ROLE ${reader} NOLOGIN; END IF;
     END $do$`;
}
