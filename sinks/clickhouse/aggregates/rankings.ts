/**
 * Which top-SKUs rows a record may delete. A record replaces its hour's whole ranking, but the
 * rows of a ranking have their own keys (rank, SKU), so `FINAL` cannot replace an older ranking by
 * itself: the writer deletes the hour's older rows. ClickHouse has no transaction to fence a
 * stalled instance with, so a writer's stale ranking may be inserted after a newer one was stored
 * and its older rows deleted (the new owner wrote it while the stale writer was frozen). Each writer
 * therefore deletes, after its own insert, every row of the hour older than the newest ranking
 * stored by then — not only rows older than its own record. Whichever writer deletes last has seen
 * both inserts, so the newest ranking stays alone in either order.
 */
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * For each hour (epoch ms → the record's offset): the offset below which the hour's rows go — the
 * larger of the record's offset and the newest one stored. Read after the record's own insert.
 */
export async function rankingCutoffs(
  client: ClickHouseClient,
  table: string,
  offsets: ReadonlyMap<number, number>,
): Promise<Map<number, number>> {
  const cutoffs = new Map(offsets);
  if (offsets.size === 0) return cutoffs;
  const hours = [...offsets.keys()].map((ms) => `fromUnixTimestamp64Milli(toInt64(${ms}), 'UTC')`);
  const rs = await client.query({
    query: `SELECT toUnixTimestamp64Milli(window_start) AS ms, max(kafka_offset) AS newest
              FROM ${table} WHERE window_start IN (${hours.join(', ')}) GROUP BY window_start`,
    format: 'JSONEachRow',
  });
  for (const r of await rs.json<{ ms: string | number; newest: string | number }>()) {
    const ms = Number(r.ms);
    const own = offsets.get(ms);
    if (own !== undefined) cutoffs.set(ms, Math.max(own, Number(r.newest)));
  }
  return cutoffs;
}
