/**
 * The batch transaction both Postgres targets share: fencing is decided per topic-partition, so a
 * fenced partition of one topic never drops the same partition number of another topic (the
 * aggregate sink reads three topics), and a failed write rolls the positions back.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/logger.js';
import type { Batch } from '../../../sinks/core/contract.js';
import { offsetsTableSql } from '../../../sinks/postgres/offsets.js';
import { inBatchTransaction } from '../../../sinks/postgres/transaction.js';
import { stackEnv, uniqueName } from '../../helpers/env.js';

const env = stackEnv();
const schema = uniqueName('pgtx');
const offsets = `"${schema}".offsets`;
const logger = createLogger('test', { write: () => undefined });

describe('inBatchTransaction (Postgres batch = one transaction, fenced per topic-partition)', () => {
  let pool: pg.Pool;
  const positions = async () =>
    (
      await pool.query<{ topic: string; partition: number; next_offset: string }>(
        `SELECT topic, partition, next_offset FROM ${offsets} ORDER BY topic, partition`,
      )
    ).rows.map((r) => [r.topic, r.partition, Number(r.next_offset)]);
  const batch: Batch<{ o: number }> = {
    segments: [
      { topic: 'a', partition: 0, first: 0, last: 1, rows: [{ o: 0 }, { o: 1 }] },
      { topic: 'b', partition: 0, first: 0, last: 0, rows: [{ o: 0 }] },
    ],
    rowCount: 3,
  };

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(offsetsTableSql(offsets));
    // Another instance already moved b[0] past where this batch starts.
    await pool.query(
      `INSERT INTO ${offsets} (group_id, topic, partition, next_offset) VALUES ('g', 'b', 0, 5)`,
    );
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('writes the live segments only and reports the fenced topic-partition', async () => {
    const { fenced, written } = await inBatchTransaction(
      pool,
      logger,
      { offsets, groupId: 'g', what: 'test batch' },
      batch,
      (_client, live) => Promise.resolve(live.map((s) => `${s.topic}/${s.partition}`)),
    );
    expect(fenced).toEqual([{ topic: 'b', partition: 0 }]);
    expect(written).toEqual(['a/0']);
    expect(await positions()).toEqual([
      ['a', 0, 2],
      ['b', 0, 5],
    ]);
  });

  it('a failed write rolls the positions back and surfaces as a POSTGRES_ERROR', async () => {
    const next: Batch<{ o: number }> = {
      segments: [{ topic: 'a', partition: 0, first: 2, last: 3, rows: [{ o: 2 }] }],
      rowCount: 1,
    };
    await expect(
      inBatchTransaction(
        pool,
        logger,
        { offsets, groupId: 'g', what: 'test batch' },
        next,
        async (client) => {
          await client.query('SELECT 1/0');
        },
      ),
    ).rejects.toMatchObject({
      code: 'POSTGRES_ERROR',
      message: expect.stringContaining('test batch failed'),
    });
    expect(await positions()).toEqual([
      ['a', 0, 2],
      ['b', 0, 5],
    ]);
  });
});
