/**
 * The Postgres sinks' connections: the migration runs once as the DATABASE_URL role (the owner),
 * then every session of the pool runs as the least-privilege sink role, set in the startup packet
 * so no statement ever runs with the owner's rights.
 */
import pg from 'pg';
import type { Logger } from '../../lib/logger.js';
import { pgError } from './errors.js';
import { ident } from './ident.js';

export interface SinkPoolOptions {
  databaseUrl: string;
  sinkRole: string;
  max: number;
  /** Run as the owner before the pool opens; absent = no migration. */
  migrate?: ((owner: pg.Client) => Promise<void>) | undefined;
  /** What the migration prepares, for its error message ("the Postgres tables"). */
  what: string;
}

export async function openSinkPool(o: SinkPoolOptions, logger: Logger): Promise<pg.Pool> {
  if (o.migrate) {
    const owner = new pg.Client({ connectionString: o.databaseUrl });
    try {
      await owner.connect();
      await o.migrate(owner);
    } catch (err) {
      throw pgError(`could not prepare ${o.what}`, err);
    } finally {
      await owner.end().catch(() => undefined);
    }
  }
  const pool = new pg.Pool({
    connectionString: o.databaseUrl,
    max: o.max,
    connectionTimeoutMillis: 5000,
    options: `-c role=${ident(o.sinkRole).slice(1, -1)}`,
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
