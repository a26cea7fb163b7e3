/**
 * The one migration runner of the Postgres sinks (raw and aggregate tables): statements in one
 * transaction under one advisory lock shared by every sink's migration, so sinks starting side by
 * side never race on roles or grants.
 */
import type pg from 'pg';
import { pgError } from './errors.js';

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
