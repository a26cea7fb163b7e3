/**
 * The Postgres sinks' connections. Every session logs in as the URL's role: in the stack that is
 * the sink's own login role, which holds only the grants `pg migrate` gave it and is not a member
 * of the owner — no session setting to undo. The optional migration (off unless configured) runs
 * first on a separate connection and needs an owner's URL.
 */
import type pg from 'pg';
import type { Logger } from '../../lib/logger.js';
import { pgError } from './errors.js';
import { pgClient, pgPool } from '../../lib/postgres/connection.js';

export interface SinkPoolOptions {
  databaseUrl: string;
  max: number;
  /** Run as the owner before the pool opens; absent = no migration. */
  migrate?: ((owner: pg.Client) => Promise<void>) | undefined;
  /** What the migration prepares, for its error message ("the Postgres tables"). */
  what: string;
}

export async function openSinkPool(o: SinkPoolOptions, logger: Logger): Promise<pg.Pool> {
  if (o.migrate) {
    const owner = pgClient(o.databaseUrl);
    try {
      await owner.connect();
      await o.migrate(owner);
    } catch (err) {
      throw pgError(`could not prepare ${o.what}`, err);
    } finally {
      await owner.end().catch(() => undefined);
    }
  }
  const pool = pgPool(o.databaseUrl, {
    max: o.max,
    connectionTimeoutMillis: 5000,
  });
  // An idle client losing its server (Postgres restart) must not crash the process.
  pool.on('error', (err) => logger.warn('idle Postgres connection lost', { err }));
  return pool;
}

/** Ready for /readyz: the pool exists and answers. */
export async function poolReady(pool: pg.Pool | undefined): Promise<boolean> {
  try {
    await pool?.query('SELECT 1');
    return pool !== undefined;
  } catch {
    return false;
  }
}
