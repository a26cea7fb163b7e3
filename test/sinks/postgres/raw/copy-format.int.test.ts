/**
 * The awkward rows of the COPY-format unit test through the real COPY of the shared Postgres, in
 * both formats: what is read back equals what was written, value by value. And a value COPY cannot
 * store at all — a NUL character in a string field, which Avro accepts and the contract refuses — must be
 * a dead letter, not a batch Postgres refuses forever (the partition would be stuck and the sink
 * would exit on every restart).
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Batch, SinkRow } from '../../../../sinks/core/contract.js';
import { createKafka } from '../../../../lib/kafka/index.js';
import { readDlq } from '../../../../sinks/core/dlq/reader.js';
import { PostgresSink } from '../../../../sinks/postgres/raw/sink.js';
import type { PostgresSinkConfig } from '../../../../sinks/postgres/raw/config.js';
import { resolveSinkConfig, startSinkProcess } from '../../../../sinks/raw/run.js';
import { createTopic, deleteTopics, makeEvents, produce, totals } from '../../../../bench/lib/sale-events.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { bareMetrics, waitUntil } from '../../core/contract.suite.js';
import { AWKWARD_ROWS } from './awkward-rows.js';
import { pgCounts } from './pg-counts.js';
import { dlqSinkOptions } from './process-setup.js';

const env = stackEnv();

function sinkFor(schema: string, copyFormat: 'text' | 'binary'): PostgresSink {
  const { target } = resolveSinkConfig('postgres', { schema, copyFormat, databaseUrl: env.DATABASE_URL });
  const { metrics, logger } = bareMetrics();
  return new PostgresSink(
    target as PostgresSinkConfig & { databaseUrl: string },
    uniqueName('grp'),
    metrics,
    logger,
  );
}

async function owner<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: env.DATABASE_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('COPY round trip of awkward values (shared Postgres)', () => {
  const schemas: string[] = [];
  const topics: string[] = [];
  afterAll(async () => {
    await deleteTopics(topics);
    await owner(async (c) => {
      for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    });
  });

  for (const format of ['text', 'binary'] as const) {
    it(`${format}: every column reads back exactly as written`, async () => {
      const schema = uniqueName(`copy${format}`);
      schemas.push(schema);
      const sink = sinkFor(schema, format);
      await sink.open();
      try {
        // One segment per Kafka partition, as the loop builds them.
        const segments = AWKWARD_ROWS.map((r: SinkRow) => ({
          topic: 'awkward',
          partition: r.partition,
          first: r.offset,
          last: r.offset,
          rows: [r],
        }));
        const batch: Batch = { segments, rowCount: AWKWARD_ROWS.length };
        expect((await sink.writeBatch(batch)).fenced).toEqual([]);
      } finally {
        await sink.close();
      }
      const rows = await owner(async (c) => {
        const res = await c.query<Record<string, string | null>>(
          `SELECT event_id::text, (extract(epoch FROM event_time) * 1000)::bigint::text AS event_time,
                  store_id, sku, quantity::text, unit_price_cents::text, currency, channel, payment_type,
                  customer_id, basket_id, kafka_partition::text, kafka_offset::text,
                  (extract(epoch FROM kafka_timestamp) * 1000)::bigint::text AS kafka_timestamp
             FROM "${schema}".sales_raw ORDER BY kafka_offset DESC`,
        );
        return res.rows;
      });
      expect(rows).toEqual(
        AWKWARD_ROWS.map((r) => ({
          event_id: r.event.event_id,
          event_time: String(r.event.event_time),
          store_id: r.event.store_id,
          sku: r.event.sku,
          quantity: String(r.event.quantity),
          unit_price_cents: String(r.event.unit_price_cents),
          currency: r.event.currency,
          channel: r.event.channel,
          payment_type: r.event.payment_type,
          customer_id: r.event.customer_id,
          basket_id: r.event.basket_id,
          kafka_partition: String(r.partition),
          kafka_offset: String(r.offset),
          kafka_timestamp: String(r.kafkaTimestamp),
        })),
      );
    });
  }

  it('a NUL character (valid Avro, valid event, not storable by Postgres) is a dead letter; the partition moves on', async () => {
    const schema = uniqueName('copynul');
    const topic = uniqueName('nul');
    const dlqTopic = uniqueName('nuldlq');
    schemas.push(schema);
    topics.push(topic, dlqTopic);
    await createTopic(topic, 1);
    await createTopic(dlqTopic, 1);
    const before = makeEvents(200);
    const after = makeEvents(200, { seed: 4 });
    const [nul] = makeEvents(1, { seed: 8 });
    if (!nul) throw new Error('no event');
    // One partition: the NUL record sits between good ones in the same partition.
    await produce(topic, [...before, { ...nul, sku: 'SKU-\u0000-1' }, ...after]);
    const expected = totals([...before, ...after]);
    const sink = await startSinkProcess('postgres', dlqSinkOptions(schema, topic, dlqTopic));
    let fatal: unknown;
    sink.failed.catch((err: unknown) => (fatal = err));
    try {
      await waitUntil(
        async () => fatal !== undefined || (await pgCounts(env.DATABASE_URL, schema)).count >= expected.count,
        60_000,
        'the good rows on both sides of the NUL record',
      );
      expect(fatal).toBeUndefined();
      const metrics = await (await fetch(`http://127.0.0.1:${sink.port}/metrics`)).text();
      expect(metrics).toContain('retail_sink_dlq_records_total{sink="postgres",reason="invalid_event"} 1');
    } finally {
      await sink.stop().catch(() => undefined);
    }
    expect(await pgCounts(env.DATABASE_URL, schema)).toEqual({ ...expected, distinct: expected.count });
    const dead = await readDlq(createKafka('test-nul'), dlqTopic);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.reason).toBe('invalid_event');
    expect(dead[0]?.detail).toMatch(/sku contains a NUL character/);
    expect(dead[0]?.source).toMatchObject({ topic, partition: 0, offset: before.length });
  });
});
