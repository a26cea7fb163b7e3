/**
 * The Postgres sinks' stored positions (`sink_offsets` of the raw sink, `agg_sink_offsets` of the
 * aggregate sink; same columns): read on every assignment, and moved inside each batch's
 * transaction with a compare-and-set, so rows and positions commit together and a zombie instance
 * (it lost the partition in a rebalance but still flushes) finds the position moved and is fenced.
 */
import type pg from 'pg';
import { tpKey } from '../core/batch-buffer.js';
import type { ResumePlan, Segment, TopicPartition } from '../core/contract.js';
import { pgError } from './errors.js';

/** The offsets table (`qualified`: quoted, schema-qualified name); the same columns for every sink. */
export function offsetsTableSql(qualified: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified} (
       group_id text NOT NULL,
       topic text NOT NULL,
       partition integer NOT NULL,
       next_offset bigint NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (group_id, topic, partition)
     )`;
}

/**
 * The stored position of topic-partition (no cuts: Postgres needs none). `table` is the quoted,
 * schema-qualified offsets table; `pool` is asked inside the error handling.
 */
export async function readStoredPosition(
  pool: () => pg.Pool,
  table: string,
  groupId: string,
  topic: string,
  partition: number,
): Promise<ResumePlan> {
  try {
    const res = await pool().query<{ next_offset: string }>(
      `SELECT next_offset FROM ${table} WHERE group_id = $1 AND topic = $2 AND partition = $3`,
      [groupId, topic, partition],
    );
    const row = res.rows[0];
    return { next: row ? Number(row.next_offset) : undefined, cuts: [] };
  } catch (err) {
    throw pgError('could not read the stored position', err);
  }
}

/**
 * Inside the batch's transaction, move the stored position of every topic-partition of the batch
 * from its first offset to its last + 1 — only from where the batch starts (compare-and-set), or
 * by creating it if the group has none. Returns the topic-partitions that were NOT moved because
 * another instance moved them first: their segments must not be written.
 */
export async function moveStoredPositions(
  client: pg.PoolClient,
  table: string,
  groupId: string,
  segments: readonly Pick<Segment<unknown>, 'topic' | 'partition' | 'first' | 'last'>[],
): Promise<TopicPartition[]> {
  const ranges = new Map<string, { topic: string; partition: number; first: number; last: number }>();
  for (const seg of segments) {
    const k = tpKey(seg.topic, seg.partition);
    const r = ranges.get(k);
    if (!r) ranges.set(k, { topic: seg.topic, partition: seg.partition, first: seg.first, last: seg.last });
    else r.last = Math.max(r.last, seg.last);
  }
  const fenced: TopicPartition[] = [];
  for (const r of ranges.values()) {
    const moved = await client.query(
      `UPDATE ${table} SET next_offset = $4, updated_at = now()
        WHERE group_id = $1 AND topic = $2 AND partition = $3 AND next_offset = $5`,
      [groupId, r.topic, r.partition, r.last + 1, r.first],
    );
    if (moved.rowCount === 1) continue;
    const inserted = await client.query(
      `INSERT INTO ${table} (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [groupId, r.topic, r.partition, r.last + 1],
    );
    if (inserted.rowCount !== 1) fenced.push({ topic: r.topic, partition: r.partition });
  }
  return fenced;
}
