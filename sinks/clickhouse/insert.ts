/**
 * The one way both ClickHouse targets insert (raw `sales_raw` and the aggregate tables): one
 * insert per offset-range segment carrying `insert_deduplication_token = topic:partition:first-last`,
 * into a MergeTree with a non-replicated dedup window — so an insert sent twice (client retry,
 * crash before the Kafka commit, a replay recreating the same ranges) is stored once. Every row
 * also stores the range (`batch_first`, `batch_last`) that sinks/clickhouse/resume.ts reads back.
 *
 * ClickHouse refuses an insert block that touches more than `max_partitions_per_insert_block`
 * (100) partitions with TOO_MANY_PARTS, on every retry: a segment of late and early events could
 * stall its partition for good. A segment whose rows span more partitions than that is inserted in
 * parts of at most 100 partitions, in partition order, each with the token `…/<part>`; the split
 * depends only on the segment's rows, so a replay recreates the same parts and tokens. Segments
 * within the limit keep the one insert and the plain token they always had. A later part failing
 * leaves the earlier ones stored; the raw sink then looks them up before any other write of those
 * offsets (sinks/clickhouse/raw/unsure.ts).
 */
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Segment } from '../core/contract.js';
import { chError } from './errors.js';

export const dedupToken = (s: Pick<Segment<unknown>, 'topic' | 'partition' | 'first' | 'last'>) =>
  `${s.topic}:${s.partition}:${s.first}-${s.last}`;

/** The columns every row of a segment carries: its topic, partition and the segment's range. */
export const rangeColumns = (seg: Pick<Segment<unknown>, 'topic' | 'partition' | 'first' | 'last'>) => ({
  kafka_topic: seg.topic,
  kafka_partition: seg.partition,
  batch_first: seg.first,
  batch_last: seg.last,
});

/** ClickHouse's default max_partitions_per_insert_block. */
export const MAX_PARTITIONS_PER_INSERT = 100;

/**
 * Rows grouped into runs of at most `max` distinct partition keys, in ascending key order (one run
 * when they fit): the parts a segment is inserted in.
 */
export function partsByPartition<R>(rows: R[], partitionOf: (row: R) => number, max: number): R[][] {
  const byKey = new Map<number, R[]>();
  for (const r of rows) {
    const k = partitionOf(r);
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(r);
  }
  if (byKey.size <= max) return [rows];
  const keys = [...byKey.keys()].sort((a, b) => a - b);
  const parts: R[][] = [];
  for (let i = 0; i < keys.length; i += max)
    parts.push(keys.slice(i, i + max).flatMap((k) => byKey.get(k) as R[]));
  return parts;
}

/**
 * Insert a segment's rows; `partitionOf` maps a row to the table's partition key so that a segment
 * spanning more than MAX_PARTITIONS_PER_INSERT partitions is split (see above). `token` replaces
 * the segment's token when the rows are not all of the segment's (sinks/clickhouse/raw/sink.ts).
 */
export async function insertSegment<R extends Record<string, unknown>>(
  client: ClickHouseClient,
  table: string,
  seg: Pick<Segment<unknown>, 'topic' | 'partition' | 'first' | 'last'>,
  values: R[],
  partitionOf?: (row: R) => number,
  token?: string,
): Promise<void> {
  await insertRows(client, table, token ?? dedupToken(seg), values, partitionOf);
}

/**
 * Insert rows under one dedup token (`token`, or `token/<part>` for each part of a block spanning
 * more than MAX_PARTITIONS_PER_INSERT partitions: see above).
 */
export async function insertRows<R extends Record<string, unknown>>(
  client: ClickHouseClient,
  table: string,
  token: string,
  values: R[],
  partitionOf?: (row: R) => number,
): Promise<void> {
  const parts = partitionOf ? partsByPartition(values, partitionOf, MAX_PARTITIONS_PER_INSERT) : [values];
  for (let i = 0; i < parts.length; i++)
    await insertBlock(client, table, parts.length === 1 ? token : `${token}/${i}`, parts[i] as R[]);
}

/**
 * The token of one insert carrying several segments' rows: a single segment keeps its own token;
 * several get a digest of theirs, in order, so the same segments sent again carry the same token
 * and any other set of segments (or of rows: a rest token) another one.
 */
export function combinedToken(tokens: readonly string[]): string {
  if (tokens.length === 1) return tokens[0] as string;
  const digest = createHash('sha256').update(tokens.join('\n')).digest('hex').slice(0, 32);
  return `segments-${tokens.length}-${digest}`;
}

async function insertBlock(
  client: ClickHouseClient,
  table: string,
  token: string,
  values: Record<string, unknown>[],
): Promise<void> {
  try {
    await client.insert({
      table,
      values,
      format: 'JSONEachRow',
      clickhouse_settings: {
        insert_deduplicate: 1,
        insert_deduplication_token: token,
        // One insert = one block = one all-or-nothing dedup decision.
        max_insert_block_size: String(Math.max(1_048_576, values.length + 1)),
      },
    });
  } catch (err) {
    throw chError(`insert of ${token} failed`, err);
  }
}
