/**
 * Where a ClickHouse sink resumes a topic-partition — the raw sink (sales_raw) and the aggregate
 * sink (its three tables) alike. ClickHouse has no offsets table in the insert's transaction, so
 * every row stores the range of its insert (batch_first, batch_last); on assignment the ranges at
 * or above the group's committed offset become forced cuts, the replay re-creates exactly those
 * inserts, and their dedup tokens (`topic:partition:first-last`) match.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../../lib/logger.js';
import type { ResumePlan } from '../core/contract.js';
import { chError } from './errors.js';

/** Segment ends that reproduce the stored ranges at or above `committed`. */
export function cutsFor(
  ranges: { first: number; last: number }[],
  committed: number | undefined,
): ResumePlan {
  // End a segment just before each stored range and at its end: the replay reproduces it.
  const cuts: number[] = [];
  let next = committed;
  for (const r of ranges) {
    if (next === undefined) next = r.first;
    if (r.first > next) cuts.push(r.first - 1);
    cuts.push(r.last);
    next = r.last + 1;
  }
  return { next: committed ?? ranges[0]?.first, cuts: cuts.filter((c) => c >= (committed ?? 0)) };
}

/**
 * Read the insert ranges of `topic`/`partition` stored in `table` (a quoted, database-qualified
 * name) at or above `committed`, and turn them into the resume plan. `client` is asked inside the
 * error handling, so a missing client fails like an unreachable one.
 */
export async function resumeFromStoredRanges(
  client: () => ClickHouseClient,
  table: string,
  topic: string,
  partition: number,
  committed: number | undefined,
  logger: Logger,
): Promise<ResumePlan> {
  try {
    const rs = await client().query({
      query: `SELECT batch_first, batch_last FROM ${table}
               WHERE kafka_topic = {topic:String} AND kafka_partition = {partition:UInt32}
                 AND batch_last >= {from:UInt64}
               GROUP BY batch_first, batch_last ORDER BY batch_first`,
      query_params: { topic, partition, from: committed ?? 0 },
      format: 'JSONEachRow',
    });
    const ranges = (await rs.json<{ batch_first: string | number; batch_last: string | number }>()).map(
      (r) => ({ first: Number(r.batch_first), last: Number(r.batch_last) }),
    );
    if (ranges.length > 0)
      logger.info('replaying inserted ranges with their dedup tokens', {
        topic,
        partition,
        ranges: ranges.length,
      });
    return cutsFor(ranges, committed);
  } catch (err) {
    throw chError('could not read the inserted ranges', err);
  }
}
