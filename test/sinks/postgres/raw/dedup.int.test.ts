/**
 * One row per event_id in Postgres' sales_raw (sinks/postgres/raw/dedup.ts): client retries and
 * the generator's re-sends are stored once and counted; a conflicting duplicate is dead-lettered
 * with its reason and the first write kept; kill -9 mid-stream with duplicates in the stream
 * leaves counts, distinct ids and sums exact; SINK_POSTGRES_DEDUP=off keeps every record.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../../../lib/kafka/index.js';
import { readDlq } from '../../../../sinks/core/dlq/reader.js';
import { startSinkProcess } from '../../../../sinks/raw/run.js';
import { createTopic, produce, totals } from '../../../../bench/lib/sale-events.js';
import { spawnSink } from '../../../helpers/sink-process.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { waitUntil } from '../../core/contract.suite.js';
import { conflicting, dupStream } from '../../raw/dup-stream.js';
import { pgCounts } from './pg-counts.js';
import { dlqSinkOptions, dropTopicsAndSchema } from './process-setup.js';
import { metricValue } from './stream.js';

const env = stackEnv();

describe('postgres raw sink: each event_id stored once', () => {
  const topic = uniqueName('dedup');
  const dlqTopic = uniqueName('dlq');
  const schema = uniqueName('deduppg');
  const rawSchema = uniqueName('dedupoffpg');
  afterAll(async () => {
    await dropTopicsAndSchema(env.DATABASE_URL, [topic, dlqTopic], schema);
    await dropTopicsAndSchema(env.DATABASE_URL, [], rawSchema);
  });

  const s = dupStream(6000);
  const late = conflicting(s.originals.filter((_, i) => i % 400 === 11));

  it('re-sends stored once and counted; conflicting duplicates dead-lettered, the first write kept', async () => {
    await createTopic(topic, 3);
    await createTopic(dlqTopic, 1);
    await produce(topic, s.stream);
    const sink = await startSinkProcess('postgres', dlqSinkOptions(schema, topic, dlqTopic));
    try {
      await waitUntil(
        async () => (await metricValue(sink.port, 'retail_sink_duplicates_dropped_total')) >= s.identical,
        60_000,
        'every re-send seen',
      );
      expect(await pgCounts(env.DATABASE_URL, schema)).toEqual({
        ...s.expected,
        distinct: s.originals.length,
      });
      // Later records with the same ids and other content (one in three on another partition and day).
      await produce(topic, late);
      await waitUntil(
        async () => (await metricValue(sink.port, 'retail_sink_conflicting_duplicates_total')) >= late.length,
        60_000,
        'every conflicting duplicate seen',
      );
      expect(await metricValue(sink.port, 'retail_sink_duplicates_dropped_total')).toBe(s.identical);
      expect(
        await metricValue(sink.port, 'retail_sink_dlq_records_total', { reason: 'conflicting_duplicate' }),
      ).toBe(late.length);
      expect(await metricValue(sink.port, 'retail_sink_rows_written_total')).toBe(s.originals.length);
    } finally {
      await sink.stop();
    }
    expect(await pgCounts(env.DATABASE_URL, schema)).toEqual({ ...s.expected, distinct: s.originals.length });
    const letters = await readDlq(createKafka('test-dedup'), dlqTopic);
    expect(letters.map((l) => l.reason)).toEqual(late.map(() => 'conflicting_duplicate'));
    expect(letters.every((l) => (l.value?.length ?? 0) > 5 && l.source.topic === topic)).toBe(true);
    const first = letters.find((l) => l.detail.includes(late[0]?.event_id ?? '?'));
    expect(first?.detail).toMatch(
      /already stored in postgres from .*\[\d+\]@\d+; this record differs in quantity, unit_price_cents/,
    );
    // The ids table holds each id once, on the first write's day.
    const c = new pg.Client({ connectionString: env.DATABASE_URL });
    await c.connect();
    try {
      const ids = await c.query<{ n: string; bad: string }>(
        `SELECT count(*) n, count(*) FILTER (WHERE i.day <> (r.event_time AT TIME ZONE 'UTC')::date) bad
           FROM "${schema}".sales_raw_ids i JOIN "${schema}".sales_raw r USING (event_id)`,
      );
      expect(ids.rows[0]).toEqual({ n: String(s.originals.length), bad: '0' });
    } finally {
      await c.end();
    }
  });

  it('SINK_POSTGRES_DEDUP=off keeps every record, the log as received', async () => {
    const sink = await startSinkProcess('postgres', {
      ...dlqSinkOptions(rawSchema, topic, dlqTopic),
      dedup: 'off',
    });
    const all = [...s.stream, ...late];
    try {
      await waitUntil(
        async () => (await pgCounts(env.DATABASE_URL, rawSchema)).count >= all.length,
        60_000,
        'every record',
      );
      expect(await metricValue(sink.port, 'retail_sink_duplicates_dropped_total')).toBe(0);
    } finally {
      await sink.stop();
    }
    expect(await pgCounts(env.DATABASE_URL, rawSchema)).toEqual({
      ...totals(all),
      distinct: s.originals.length,
    });
  });
});

describe('postgres raw sink: kill -9 mid-stream with duplicates in the stream', () => {
  const topic = uniqueName('dedupcrash');
  const dlqTopic = uniqueName('dlq');
  const schema = uniqueName('dedupcrashpg');
  const group = uniqueName('grp');
  afterAll(async () => {
    await dropTopicsAndSchema(env.DATABASE_URL, [topic, dlqTopic], schema);
  });

  it('mid-COPY, after commit, from outside: count, distinct ids and sums exact', async () => {
    await createTopic(topic, 3);
    await createTopic(dlqTopic, 1);
    const s = dupStream(40_000, 3);
    // Conflicting duplicates on the same key: they follow their original in its partition.
    const sameKey = s.originals
      .filter((_, i) => i % 1000 === 5)
      .map((e) => ({ ...e, quantity: e.quantity + 1 }));
    await produce(topic, [...s.stream, ...sameKey]);
    const base = {
      SINK_POSTGRES_SCHEMA: schema,
      SINK_POSTGRES_TOPIC: topic,
      SINK_POSTGRES_DLQ_TOPIC: dlqTopic,
      SINK_POSTGRES_GROUP_ID: group,
      SINK_POSTGRES_METRICS_PORT: '0',
      SINK_POSTGRES_MAX_BATCH_ROWS: '5000',
      SINK_POSTGRES_SESSION_TIMEOUT_MS: '6000',
    };
    const counts = () => pgCounts(env.DATABASE_URL, schema);
    const a = spawnSink(['postgres'], { ...base, RETAIL_ETL_FAULT_KILL_MID_WRITE: '2' });
    expect(await a.exited).toBeNull();
    const b = spawnSink(['postgres'], { ...base, RETAIL_ETL_FAULT_KILL_AFTER_WRITES: '2' });
    expect(await b.exited).toBeNull();
    const afterB = await counts();
    expect(afterB.distinct).toBe(afterB.count);
    const c = spawnSink(['postgres'], base);
    await waitUntil(async () => (await counts()).count > afterB.count, 60_000, 'progress after restart');
    c.child.kill('SIGKILL');
    await c.exited;
    const d = spawnSink(['postgres'], base);
    await waitUntil(async () => (await counts()).count >= s.originals.length, 90_000, 'all rows');
    await new Promise((r) => setTimeout(r, 1000));
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(await counts()).toEqual({ ...s.expected, distinct: s.originals.length });
    // Each conflicting duplicate dead-lettered (copies from replays collapse by source offset).
    const letters = await readDlq(createKafka('test-dedup'), dlqTopic);
    expect(letters.length).toBe(sameKey.length);
    expect(new Set(letters.map((l) => l.reason))).toEqual(new Set(['conflicting_duplicate']));
  });
});
