/**
 * Which records of a segment `sales_raw` already holds, by their Kafka position — asked only when
 * an earlier write of the same offsets may have stored part of them (sinks/clickhouse/raw/sink.ts):
 * a segment spanning more than 100 days is inserted in parts (sinks/clickhouse/insert.ts), and when a
 * later part fails, the earlier parts are stored. A retry of the same segment would find them by
 * their dedup tokens, but a refusal splits the batch into new ranges with new tokens; without this
 * look-up the halves would store those events a second time.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Segment, SinkRow } from '../../core/contract.js';
import { chError } from '../errors.js';

const DAY_MS = 86_400_000;

/** The offsets of `seg`'s rows already stored in `table` (a quoted, database-qualified name). */
export async function storedOffsets(
  client: ClickHouseClient,
  table: string,
  seg: Segment<SinkRow>,
): Promise<Set<number>> {
  if (seg.rows.length === 0) return new Set();
  // The rows' days prune the day partitions read; batch_last's minmax index the granules.
  const days = [
    ...new Set(
      seg.rows.map((r) =>
        Number(
          new Date(Math.floor(r.event.event_time / DAY_MS) * DAY_MS)
            .toISOString()
            .slice(0, 10)
            .replace(/-/g, ''),
        ),
      ),
    ),
  ];
  try {
    const rs = await client.query({
      query: `SELECT DISTINCT kafka_offset FROM ${table}
               WHERE toYYYYMMDD(event_time) IN {days:Array(UInt32)}
                 AND kafka_topic = {topic:String} AND kafka_partition = {partition:UInt32}
                 AND batch_last >= {first:UInt64} AND kafka_offset BETWEEN {first:UInt64} AND {last:UInt64}`,
      query_params: { days, topic: seg.topic, partition: seg.partition, first: seg.first, last: seg.last },
      format: 'JSONEachRow',
    });
    return new Set((await rs.json<{ kafka_offset: string | number }>()).map((r) => Number(r.kafka_offset)));
  } catch (err) {
    throw chError('could not look up the rows already stored', err);
  }
}
