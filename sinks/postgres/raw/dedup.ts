/**
 * Postgres side of the idempotent raw table (sinks/raw/dedup.ts): inside the batch's
 * transaction, the batch's event ids are claimed in `sales_raw_ids` (event_id primary key, not
 * partitioned) before its rows are copied. The claims commit with the rows and the stored
 * positions, or not at all — exactly once keeps holding, and two instances claiming one id wait on
 * each other's transaction instead of both storing it.
 *
 * The usual batch has no stored id: one INSERT … ON CONFLICT DO NOTHING claims them all and its
 * row count proves it. Only when it falls short is the claim redone under a savepoint with
 * RETURNING, to learn which ids were new, and the first writes of the others are read back to
 * tell an exact re-send from a conflicting one.
 */
import type pg from 'pg';
import type { Segment } from '../../core/contract.js';
import type { StoredContent, StoredFirst } from '../../raw/dedup.js';
import { at, firstOccurrences } from '../../raw/dedup.js';
import { dayOf } from './partitions.js';

interface FirstWriteRow {
  event_id: string;
  event_time_ms: string;
  store_id: string;
  sku: string;
  quantity: number;
  unit_price_cents: string;
  currency: string;
  channel: StoredContent['channel'];
  payment_type: StoredContent['payment_type'];
  customer_id: string | null;
  basket_id: string;
  kafka_partition: number;
  kafka_offset: string;
}

/**
 * Claim the first occurrence of every event id of `segments`; returns the ids that were already
 * claimed before, each with its first write (undefined if retention removed the row).
 * `schema` is the quoted schema.
 */
export async function claimIds(
  client: pg.ClientBase,
  schema: string,
  segments: readonly Segment[],
): Promise<Map<string, StoredFirst | undefined>> {
  const firsts = firstOccurrences(segments);
  const stored = new Map<string, StoredFirst | undefined>();
  if (firsts.size === 0) return stored;
  const ids: string[] = [];
  const days: number[] = [];
  for (const [id, f] of firsts) {
    ids.push(id);
    days.push(dayOf(f.row.event.event_time));
  }
  const claim = `INSERT INTO ${schema}.sales_raw_ids (event_id, day)
    SELECT u, date '1970-01-01' + d FROM unnest($1::uuid[], $2::int[]) AS t(u, d)
    ON CONFLICT DO NOTHING`;
  await client.query('SAVEPOINT claim_ids');
  const all = await client.query(claim, [ids, days]);
  if (all.rowCount === ids.length) {
    await client.query('RELEASE SAVEPOINT claim_ids');
    return stored;
  }
  await client.query('ROLLBACK TO SAVEPOINT claim_ids');
  const fresh = await client.query<{ event_id: string }>(`${claim} RETURNING event_id`, [ids, days]);
  const claimed = new Set(fresh.rows.map((r) => r.event_id));
  const taken = ids.filter((id) => !claimed.has(id));
  for (const id of taken) stored.set(id, undefined);
  const res = await client.query<FirstWriteRow>(
    `SELECT * FROM ${schema}.sales_raw_first_writes($1::uuid[])`,
    [taken],
  );
  // The topic is not stored in Postgres: the sink reads one.
  const topic = segments[0]?.topic ?? '';
  for (const r of res.rows)
    stored.set(r.event_id, {
      content: {
        event_id: r.event_id,
        event_time: Number(r.event_time_ms),
        store_id: r.store_id,
        sku: r.sku,
        quantity: r.quantity,
        unit_price_cents: Number(r.unit_price_cents),
        currency: r.currency,
        channel: r.channel,
        payment_type: r.payment_type,
        customer_id: r.customer_id,
        basket_id: r.basket_id,
      },
      where: at(topic, r.kafka_partition, Number(r.kafka_offset)),
    });
  return stored;
}
