/**
 * The one way both ClickHouse targets insert (raw `sales_raw` and the aggregate tables): one
 * insert per offset-range segment carrying `insert_deduplication_token = topic:partition:first-last`,
 * into a MergeTree with a non-replicated dedup window — so an insert sent twice (client retry,
 * crash before the Kafka commit, a replay recreating the same ranges) is stored once. Every row
 * also stores the range (`batch_first`, `batch_last`) that sinks/clickhouse/resume.ts reads back.
 */
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

export async function insertSegment(
  client: ClickHouseClient,
  table: string,
  seg: Pick<Segment<unknown>, 'topic' | 'partition' | 'first' | 'last'>,
  values: Record<string, unknown>[],
): Promise<void> {
  const token = dedupToken(seg);
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
