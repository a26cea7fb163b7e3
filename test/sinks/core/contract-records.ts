/**
 * The two kinds of records the shared sink contract suite feeds a sink: Avro sale events (the raw
 * sinks) and hourly aggregate records (the aggregate sinks). Each produced record has its own
 * identity (event id, hourly key), so a target holding a record twice shows it in its counts.
 */
import { hourlyKey } from '../../../lib/contracts/aggregates/keys.js';
import { parseRecord } from '../../../lib/contracts/aggregates/records.js';
import { createKafka } from '../../../lib/kafka/index.js';
import type { SinkRow } from '../../../sinks/core/contract.js';
import type { AggRow } from '../../../sinks/aggregates/contract.js';
import { makeEvents, produce, totals } from '../../../bench/lib/sale-events.js';
import type { Totals } from '../../../bench/lib/sale-events.js';

export interface RecordKind<Row> {
  /** Produce `n` records with distinct identities to `topic`; returns what the target must hold for them. */
  produce(topic: string, n: number, seed: number): Promise<Totals>;
  /** `n` rows with distinct identities at offsets `first`…, for a direct writeBatch. */
  rows(n: number, seed: number, partition: number, first: number): Row[];
}

export const saleEventRecords: RecordKind<SinkRow> = {
  async produce(topic, n, seed) {
    const events = makeEvents(n, { seed });
    await produce(topic, events);
    return totals(events);
  },
  rows: (n, seed, partition, first) =>
    makeEvents(n, { seed }).map((event, i) => ({
      event,
      partition,
      offset: first + i,
      kafkaTimestamp: Date.now(),
    })),
};

const HOUR = 3_600_000;

/** Hourly records, one key each: quantity and revenue_cents sum like a sale event's quantity and value. */
export function hourly(n: number, seed: number): { key: string; value: Buffer }[] {
  const base = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, (_, i) => {
    const id = {
      store_id: `S${String(i % 7).padStart(4, '0')}`,
      sku: `K${seed}-${i}`,
      window_start: base + (i % 48) * HOUR,
    };
    const value = {
      ...id,
      window_start: new Date(id.window_start).toISOString(),
      quantity: (i % 5) + 1,
      revenue_cents: 100 + ((i * 37) % 1000),
      returns: 0,
      orders: 1,
      final: true,
    };
    return { key: hourlyKey(id), value: Buffer.from(JSON.stringify(value)) };
  });
}

export function sum(records: { value: Buffer }[]): Totals {
  let quantity = 0;
  let value = 0;
  for (const r of records) {
    const o = JSON.parse(r.value.toString('utf8')) as { quantity: number; revenue_cents: number };
    quantity += o.quantity;
    value += o.revenue_cents;
  }
  return { count: records.length, quantity, value };
}

export const hourlyRecords: RecordKind<AggRow> = {
  async produce(topic, n, seed) {
    const records = hourly(n, seed);
    const producer = createKafka('test-contract').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < records.length; i += 2000)
        await producer.send({ topic, acks: -1, messages: records.slice(i, i + 2000) });
    } finally {
      await producer.disconnect();
    }
    return sum(records);
  },
  rows: (n, seed, partition, first) =>
    hourly(n, seed).map((r, i) => {
      const parsed = parseRecord('sales_hourly', Buffer.from(r.key), r.value);
      if (!parsed.ok) throw new Error(parsed.detail);
      return { record: parsed.record, partition, offset: first + i, kafkaTimestamp: Date.now() };
    }),
};
