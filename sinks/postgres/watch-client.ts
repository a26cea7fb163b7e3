/**
 * pg emits a lost connection as an 'error' event on the client as well as rejecting its query;
 * on a checked-out client (the pool only listens to idle ones) an unlistened 'error' crashes the
 * process — Postgres stopped in the middle of a batch would kill a sink instead of being retried
 * (found by test/sinks/postgres/raw/restart.int.test.ts). Listen while the client is held.
 */
import type pg from 'pg';
import type { Logger } from '../../lib/logger.js';

export function watchClient(client: pg.PoolClient, logger: Logger, what: string): () => void {
  const onError = (err: Error) => logger.warn(`Postgres connection lost during ${what}`, { err });
  client.on('error', onError);
  return () => client.removeListener('error', onError);
}
