/**
 * ClickHouse side of the idempotent raw table (sinks/raw/dedup.ts). ClickHouse has no unique
 * constraint, so `sales_raw_ids` (event_id → day and the record that wrote it; ordered by
 * event_id for lookups) remembers the ids stored, and the sink checks a batch's ids before its
 * insert. A batch's ids reach the server through `sales_raw_id_probe` (a Memory table, rows keyed by
 * a per-batch token and deleted after): a literal IN list of 200k UUIDs was measured 3–4× slower.
 *
 * Order of writes per batch: rows into sales_raw (token-deduplicated), then their ids (own table).
 * A crash between the two replays the batch: its ids are not claimed yet, so the same rows are
 * chosen, and the replay window's offset look-up (sink.ts) leaves out those already stored. An id
 * entry found with the very record's position (`atStored`) means that record's row is stored —
 * ids are written only after their rows — whoever wrote it: this instance before a crash, or the
 * instance that took the partition over while this one stalled (a zombie's stale batch, which has
 * other segment bounds and so another token than the new owner's writes). Such rows are left out,
 * not inserted again. Check-then-insert is exact because one instance owns a Kafka partition
 * and writes its batches one at a time, and an id's records share a partition when they share a
 * store_id (the topic's key) — always true for a re-send. Two windows remain, both of two
 * instances writing in the same moment (docs/sinks.md says so; the Postgres sink has neither): a
 * conflicting duplicate that changes the store_id, in another partition, and a stalled instance
 * whose look-up ran before the new owner recorded the ids and whose insert lands after.
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Segment } from '../../core/contract.js';
import type { StoredContent, StoredFirst } from '../../raw/dedup.js';
import { at, firstOccurrences } from '../../raw/dedup.js';
import { chError } from '../errors.js';
import { quoteIdent } from '../ident.js';
import { combinedToken, dedupToken, insertRows } from '../insert.js';

const DAY_MS = 86_400_000;

/**
 * Rows per granule (primary-index mark) of sales_raw_ids. A row is ~35 bytes and a batch's probe
 * finds each id with a point lookup by event_id, which reads whole granules: 1,024 rows instead of
 * the default 8,192 reads an eighth as much per id, for a primary index 8× larger (still tiny).
 * Only new tables get it: index_granularity cannot be changed on an existing table, and `CREATE
 * TABLE IF NOT EXISTS` leaves a table made before this setting as it is (lookups there stay
 * correct, only coarser).
 */
export const IDS_INDEX_GRANULARITY = 1024;

export function idsTableSql(database: string, dedupWindow: number): string[] {
  const db = quoteIdent(database);
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.sales_raw_ids (
      event_id UUID,
      day Date,
      kafka_topic LowCardinality(String),
      kafka_partition UInt32,
      kafka_offset UInt64
    ) ENGINE = MergeTree
    PARTITION BY toYYYYMM(day)
    ORDER BY event_id
    SETTINGS index_granularity = ${IDS_INDEX_GRANULARITY},
             non_replicated_deduplication_window = ${Math.floor(dedupWindow)}`,
    `CREATE TABLE IF NOT EXISTS ${db}.sales_raw_id_probe (token String, event_id UUID) ENGINE = Memory`,
  ];
}

/** Create the tables; a new ids table is filled from the rows already in sales_raw. */
export async function createIdsTables(client: ClickHouseClient, database: string, dedupWindow: number) {
  const db = quoteIdent(database);
  const rs = await client.query({ query: `EXISTS TABLE ${db}.sales_raw_ids`, format: 'JSONEachRow' });
  const existed = Object.values((await rs.json<Record<string, number | string>>())[0] ?? {}).some(
    (v) => Number(v) === 1,
  );
  for (const query of idsTableSql(database, dedupWindow)) await client.command({ query });
  if (!existed)
    await client.command({
      query: `INSERT INTO ${db}.sales_raw_ids
        SELECT event_id, toDate(argMin(event_time, t)), argMin(kafka_topic, t),
               argMin(kafka_partition, t), argMin(kafka_offset, t)
          FROM (SELECT *, (ingested_at, kafka_partition, kafka_offset) AS t FROM ${db}.sales_raw)
         GROUP BY event_id`,
    });
}

interface IdEntry {
  id: string;
  first_day: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
}

interface ContentRow extends Omit<StoredContent, 'event_id' | 'event_time' | 'unit_price_cents'> {
  id: string;
  time_ms: string;
  price: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: string;
}

/** What a batch's look-up found (storedIds). */
export interface FoundIds {
  /**
   * Ids sales_raw already holds, each with its first write (undefined if its row is gone) — from
   * another record, or from the very record of the batch's first occurrence (then listed in
   * `atStored` too, with that record as the first write).
   */
  stored: Map<string, StoredFirst | undefined>;
  /** Positions (`at(topic, partition, offset)`) of the batch's records whose rows are stored already. */
  atStored: Set<string>;
}

/**
 * The ids of the batch's first occurrences that sales_raw already holds, each with its first write
 * (undefined if its row is gone), and the batch's own records already stored.
 */
export async function storedIds(
  client: ClickHouseClient,
  database: string,
  segments: readonly Segment[],
): Promise<FoundIds> {
  const db = quoteIdent(database);
  const stored = new Map<string, StoredFirst | undefined>();
  const atStored = new Set<string>();
  const firsts = firstOccurrences(segments);
  if (firsts.size === 0) return { stored, atStored };
  const token = randomUUID();
  try {
    await client.insert({
      table: `${db}.sales_raw_id_probe`,
      values: [...firsts.keys()].map((event_id) => ({ token, event_id })),
      format: 'JSONEachRow',
    });
    const rs = await client.query({
      query: `SELECT toString(event_id) AS id, toString(day) AS first_day, kafka_topic, kafka_partition, kafka_offset
                FROM ${db}.sales_raw_ids
               WHERE event_id IN (SELECT event_id FROM ${db}.sales_raw_id_probe WHERE token = {token:String})`,
      query_params: { token },
      format: 'JSONEachRow',
    });
    const entries = await rs.json<IdEntry>();
    // An entry written by the very record: its row is stored (a replay after a crash, or the
    // stale batch of an instance that lost the partition). The row is left out; later
    // occurrences of the id in the batch compare with it like with any first write.
    const self = new Set<string>();
    for (const e of entries) {
      const f = firsts.get(e.id);
      if (
        f &&
        f.topic === e.kafka_topic &&
        f.row.partition === e.kafka_partition &&
        f.row.offset === Number(e.kafka_offset)
      ) {
        self.add(e.id);
        const where = at(f.topic, f.row.partition, f.row.offset);
        atStored.add(where);
        stored.set(e.id, { content: f.row.event, where });
      }
    }
    const days = new Set<number>();
    for (const e of entries)
      if (!self.has(e.id)) {
        stored.set(e.id, undefined);
        days.add(Number(e.first_day.replace(/-/g, '')));
      }
    if (stored.size > 0) {
      const rows = await client.query({
        query: `SELECT toString(event_id) AS id, toString(toUnixTimestamp64Milli(event_time)) AS time_ms,
                       store_id, sku, quantity, toString(unit_price_cents) AS price, currency,
                       channel, payment_type, customer_id, basket_id, kafka_topic, kafka_partition, kafka_offset
                  FROM ${db}.sales_raw
                 WHERE toYYYYMMDD(event_time) IN {days:Array(UInt32)}
                   AND event_id IN (SELECT event_id FROM ${db}.sales_raw_id_probe WHERE token = {token:String})
                 ORDER BY ingested_at, kafka_partition, kafka_offset
                 LIMIT 1 BY id`,
        query_params: { token, days: [...days] },
        format: 'JSONEachRow',
      });
      for (const r of await rows.json<ContentRow>())
        if (stored.has(r.id))
          stored.set(r.id, {
            content: {
              event_id: r.id,
              event_time: Number(r.time_ms),
              store_id: r.store_id,
              sku: r.sku,
              quantity: Number(r.quantity),
              unit_price_cents: Number(r.price),
              currency: r.currency,
              channel: r.channel,
              payment_type: r.payment_type,
              customer_id: r.customer_id,
              basket_id: r.basket_id,
            },
            where: at(r.kafka_topic, r.kafka_partition, Number(r.kafka_offset)),
          });
    }
  } catch (err) {
    throw chError('could not look up the batch’s event ids', err);
  } finally {
    await client
      .command({
        query: `ALTER TABLE ${db}.sales_raw_id_probe DELETE WHERE token = {token:String}`,
        query_params: { token },
        clickhouse_settings: { mutations_sync: '1' },
      })
      .catch(() => undefined);
  }
  return { stored, atStored };
}

/**
 * Remember the ids of the segments' stored rows (after the rows: see the header), in one insert
 * whose token is the segments' combined token: the same segments sent again are dropped, and a
 * replay grouping them otherwise stores an id's entry twice with the same position, which a probe
 * reads as the very record ("self"), as it reads one entry.
 */
export async function recordIds(
  client: ClickHouseClient,
  database: string,
  segments: readonly Segment[],
): Promise<void> {
  const written = segments.filter((s) => s.rows.length > 0);
  if (written.length === 0) return;
  const values = written.flatMap((seg) =>
    seg.rows.map((r) => ({
      event_id: r.event.event_id,
      day: new Date(Math.floor(r.event.event_time / DAY_MS) * DAY_MS).toISOString().slice(0, 10),
      kafka_topic: seg.topic,
      kafka_partition: r.partition,
      kafka_offset: r.offset,
    })),
  );
  // Partitioned by month: rows spanning more than 100 months are split like sales_raw's days.
  await insertRows(
    client,
    `${quoteIdent(database)}.sales_raw_ids`,
    combinedToken(written.map((s) => dedupToken(s))),
    values,
    (v) => Number(v.day.slice(0, 7).replace('-', '')),
  );
}
