/**
 * One batch = one Postgres transaction, for the raw and the aggregate tables alike: first the
 * stored position of every topic-partition in the batch moves with a compare-and-set (fencing a
 * zombie instance after a rebalance), then the target writes the rows of the segments that were
 * not fenced, then COMMIT. Rows and positions commit together or not at all, so a crash anywhere
 * replays from exactly the last committed position.
 */
import type pg from 'pg';
import type { Logger } from '../../lib/logger.js';
import { tpKey } from '../core/batch-buffer.js';
import type { Batch, Segment, TopicPartition } from '../core/contract.js';
import { pgError } from './errors.js';
import { moveStoredPositions } from './offsets.js';
import { watchClient } from './watch-client.js';

export interface BatchTransactionOptions {
  /** Quoted, schema-qualified offsets table. */
  offsets: string;
  groupId: string;
  /** For log lines and error messages ("COPY batch"). */
  what: string;
}

export async function inBatchTransaction<Row, T>(
  pool: pg.Pool,
  logger: Logger,
  o: BatchTransactionOptions,
  batch: Batch<Row>,
  write: (client: pg.PoolClient, live: Segment<Row>[]) => Promise<T>,
): Promise<{ fenced: TopicPartition[]; written: T }> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw pgError('could not connect to Postgres', err);
  }
  const unwatch = watchClient(client, logger, o.what);
  let broken = false;
  try {
    await client.query('BEGIN');
    const fenced = await moveStoredPositions(client, o.offsets, o.groupId, batch.segments);
    const isFenced = new Set(fenced.map((f) => tpKey(f.topic, f.partition)));
    const live = batch.segments.filter((s) => !isFenced.has(tpKey(s.topic, s.partition)));
    const written = await write(client, live);
    await client.query('COMMIT');
    return { fenced, written };
  } catch (err) {
    broken = true;
    await client.query('ROLLBACK').catch(() => undefined);
    throw pgError(`${o.what} failed`, err);
  } finally {
    unwatch();
    // A client that failed mid-statement may be in an unknown state: do not return it to the pool.
    client.release(broken);
  }
}
