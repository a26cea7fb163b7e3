/**
 * Poison records never stop a partition: bad framing, bad Avro, an unknown schema id and invalid
 * values land in retail.sales.dlq-style topic with the reason and the original bytes, the good
 * events around them are written; events older than retention or far ahead land in the guard
 * partition and are counted. `dlq replay` re-sends only what now validates.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../../../lib/kafka/index.js';
import { createRegistry, SaleEventSerde } from '../../../../lib/contracts/event/serde.js';
import type { SaleEvent } from '../../../../lib/contracts/event/schema.js';
import { startSinkProcess } from '../../../../sinks/raw/run.js';
import { readDlq, replayDlq } from '../../../../sinks/core/dlq/reader.js';
import { createTopic, makeEvents, produce, totals } from '../../../../bench/lib/sale-events.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { waitUntil } from '../contract.suite.js';
import { pgCounts } from '../../postgres/raw/pg-counts.js';
import { dlqSinkOptions, dropTopicsAndSchema } from '../../postgres/raw/process-setup.js';

const env = stackEnv();
const DAY = 86_400_000;

describe('dead letters and the guard partition (postgres sink)', () => {
  const topic = uniqueName('poison');
  const dlqTopic = uniqueName('dlq');
  const schema = uniqueName('poisonpg');
  afterAll(async () => {
    await dropTopicsAndSchema(env.DATABASE_URL, [topic, dlqTopic], schema);
  });

  it('routes each poison record to the DLQ with its reason, counts guard rows, keeps going', async () => {
    await createTopic(topic, 2);
    await createTopic(dlqTopic, 1);
    const good = makeEvents(2000);
    const now = Date.now();
    // Retention 7 days, 3 ahead: 20 days old and 40 days ahead have no partition.
    const guard = makeEvents(10, { time: (i) => (i % 2 === 0 ? now - 20 * DAY : now + 40 * DAY), seed: 5 });
    const serde = new SaleEventSerde(createRegistry());
    await serde.register();
    const valid = good[0] as SaleEvent;
    const badAvro = Buffer.concat([serde.encode(valid).subarray(0, 5), Buffer.from([0xff, 0xff, 0xff])]);
    const unknownId = Buffer.concat([
      Buffer.from([0, 0x7f, 0xff, 0xff, 0x01]),
      serde.encode(valid).subarray(5),
    ]);
    const invalid = serde.encode({ ...valid, quantity: 0, currency: 'euro' });
    await produce(
      topic,
      [...good, ...guard],
      [
        { key: 'S000', value: Buffer.from('{"not":"avro"}') },
        { key: 'S000', value: badAvro },
        { key: 'S001', value: unknownId },
        { key: 'S002', value: invalid },
      ],
    );
    await produce(topic, makeEvents(500, { seed: 7 }));
    const all = [...good, ...guard];
    const expected = totals(all);
    const sink = await startSinkProcess('postgres', {
      ...dlqSinkOptions(schema, topic, dlqTopic),
      retentionDays: 7,
      partitionsAheadDays: 3,
      // Far-future events are valid only where EVENT_MAX_FUTURE_MS allows them (default 5 min).
      maxFutureMs: 366 * DAY,
    });
    try {
      await waitUntil(
        async () => (await pgCounts(env.DATABASE_URL, schema)).count >= expected.count + 500,
        60_000,
        'good rows',
      );
      const c = new pg.Client({ connectionString: env.DATABASE_URL });
      await c.connect();
      const g = await c.query<{ n: string }>(`SELECT count(*) n FROM "${schema}".sales_raw_default`);
      await c.end();
      expect(Number(g.rows[0]?.n)).toBe(10);
      const metrics = await (await fetch(`http://127.0.0.1:${sink.port}/metrics`)).text();
      expect(metrics).toMatch(/retail_sink_guard_rows_total\{sink="postgres"\} 10/);
      for (const reason of ['bad_framing', 'bad_avro', 'unknown_schema', 'invalid_event'])
        expect(metrics).toContain(`retail_sink_dlq_records_total{sink="postgres",reason="${reason}"} 1`);
    } finally {
      await sink.stop();
    }
    const kafka = createKafka('test-dlq');
    const entries = await readDlq(kafka, dlqTopic);
    expect(entries.map((e) => e.reason).sort()).toEqual([
      'bad_avro',
      'bad_framing',
      'invalid_event',
      'unknown_schema',
    ]);
    const inv = entries.find((e) => e.reason === 'invalid_event');
    expect(inv?.detail).toMatch(/quantity must not be 0/);
    expect(inv?.detail).toMatch(/currency/);
    expect(inv?.value?.equals(invalid)).toBe(true);
    expect(inv?.source.topic).toBe(topic);
    // Replay without --force: none of them validates now, so nothing is sent.
    const report = await replayDlq(kafka, serde, entries, { dryRun: true });
    expect(report.stillInvalid).toHaveLength(4);
  });
});
