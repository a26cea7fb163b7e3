/**
 * One row per event_id in ClickHouse's sales_raw (sinks/clickhouse/raw/ids.ts), chdb engine:
 * a batch written again after a crash at either point between its two inserts is stored once;
 * client retries and the generator's re-sends are stored once and counted; a conflicting duplicate
 * is dead-lettered with its reason and the first write kept; kill -9 mid-stream with duplicates
 * leaves counts, distinct ids and sums exact; SINK_CLICKHOUSE_DEDUP=off keeps every record.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../../../lib/contracts/dlq.js';
import { createKafka } from '../../../../lib/kafka/index.js';
import { createClickhouseClient } from '../../../../sinks/clickhouse/client.js';
import type { ClickhouseSinkConfig } from '../../../../sinks/clickhouse/raw/config.js';
import { ClickhouseSink } from '../../../../sinks/clickhouse/raw/sink.js';
import { insertSegment, rangeColumns } from '../../../../sinks/clickhouse/insert.js';
import type { Batch, SinkRow } from '../../../../sinks/core/contract.js';
import { readDlq } from '../../../../sinks/core/dlq/reader.js';
import { resolveSinkConfig, startSinkProcess } from '../../../../sinks/raw/run.js';
import { projectRoot } from '../../../../stack/paths.js';
import { createTopic, deleteTopics, makeEvents, produce, totals } from '../../../../bench/lib/sale-events.js';
import { spawnSink } from '../../../helpers/sink-process.js';
import { uniqueName } from '../../../helpers/env.js';
import { bareMetrics, waitUntil } from '../../core/contract.suite.js';
import { conflicting, dupStream } from '../../raw/dup-stream.js';
import { metricValue, metricsPort } from '../../postgres/raw/stream.js';
import { chCounts } from './ch-counts.js';

const tmpDir = (what: string) => join(projectRoot(), '.stack', 'tmp', uniqueName(what));

describe('clickhouse raw sink: a batch written again is stored once, whatever the crash point', () => {
  const dir = tmpDir('chdb-dedup');
  const database = uniqueName('dedupch');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rows in and ids not, or both in: the replay stores nothing twice; a later conflict is a dead letter', async () => {
    mkdirSync(dir, { recursive: true });
    const { target } = resolveSinkConfig('clickhouse', { chdbPath: dir, database });
    const { metrics, logger } = bareMetrics();
    const sink = new ClickhouseSink(target as ClickhouseSinkConfig, metrics, logger);
    await sink.open();
    const letters: DeadLetter[] = [];
    const ctx = { deadLetter: (l: DeadLetter[]) => Promise.resolve(void letters.push(...l)) };
    const reader = (sink as unknown as { client: ClickHouseClient }).client;
    try {
      const events = makeEvents(500);
      const rows: SinkRow[] = events.map((event, i) => ({
        event,
        partition: 0,
        offset: i,
        kafkaTimestamp: 1,
      }));
      // A re-send of event 7 right behind it, in the same segment.
      rows.push({
        event: { ...(events[7] as SinkRow['event']) },
        partition: 0,
        offset: 500,
        kafkaTimestamp: 1,
      });
      const batch: Batch = {
        segments: [{ topic: 't', partition: 0, first: 0, last: 500, rows }],
        rowCount: 501,
      };
      // A crash between the two inserts: the rows are in (exactly the insert the sink makes first,
      // same token), their ids are not. The write finds no id, chooses the same rows, the token
      // drops the insert, and the ids go in.
      const seg = batch.segments[0] as Batch['segments'][number];
      await insertSegment(
        reader,
        `\`${database}\`.sales_raw`,
        seg,
        rows
          .slice(0, 500)
          .map((r) => ({ ...r.event, ...rangeColumns(seg), kafka_offset: r.offset, kafka_timestamp: 1 })),
      );
      expect(await sink.writeBatch(batch, ctx)).toEqual({ fenced: [], dropped: 1 });
      expect(await chCounts(reader, database)).toEqual({ ...totals(events), distinct: 500 });
      // Both inserts done, Kafka commit not: the replay finds ids written by the very same records.
      expect(await sink.writeBatch(batch, ctx)).toEqual({ fenced: [], dropped: 1 });
      expect(await chCounts(reader, database)).toEqual({ ...totals(events), distinct: 500 });
      // A later record with the first one's id and another day and store: dead-lettered.
      const clash = conflicting([events[0], events[1], events[2]] as SinkRow['event'][]);
      const later: Batch = {
        segments: [
          {
            topic: 't',
            partition: 1,
            first: 0,
            last: 2,
            rows: clash.map((event, i) => ({ event, partition: 1, offset: i, kafkaTimestamp: 2 })),
          },
        ],
        rowCount: 3,
      };
      expect(await sink.writeBatch(later, ctx)).toEqual({ fenced: [], dropped: 3 });
      expect(letters.map((l) => [l.reason, l.partition, l.offset])).toEqual([
        ['conflicting_duplicate', 1, 0],
        ['conflicting_duplicate', 1, 1],
        ['conflicting_duplicate', 1, 2],
      ]);
      expect(letters[2]?.detail).toMatch(/from t\[0\]@2; this record differs in event_time, store_id/);
      expect(await chCounts(reader, database)).toEqual({ ...totals(events), distinct: 500 });
    } finally {
      await sink.close();
    }
  });
});

describe('clickhouse raw sink process: re-sends and conflicting duplicates', () => {
  const topic = uniqueName('chdedup');
  const dlqTopic = uniqueName('dlq');
  const dir = tmpDir('chdb-dedup-proc');
  let reader: ClickHouseClient | undefined;
  afterAll(async () => {
    await reader?.close();
    await deleteTopics([topic, dlqTopic]);
    rmSync(dir, { recursive: true, force: true });
  });
  const s = dupStream(6000, 1);
  const late = conflicting(s.originals.filter((_, i) => i % 400 === 11));
  const options = (database: string, dedup: string) => ({
    chdbPath: dir,
    database,
    topic,
    dlqTopic,
    dedup,
    groupId: uniqueName('grp'),
    metricsPort: 0,
    maxWaitMs: 100,
  });

  it('re-sends stored once and counted; conflicting duplicates dead-lettered, the first write kept', async () => {
    mkdirSync(dir, { recursive: true });
    await createTopic(topic, 3);
    await createTopic(dlqTopic, 1);
    await produce(topic, s.stream);
    reader = await createClickhouseClient({ chdbPath: dir });
    const sink = await startSinkProcess('clickhouse', options('dedup', 'on'));
    try {
      await waitUntil(
        async () => (await metricValue(sink.port, 'retail_sink_duplicates_dropped_total')) >= s.identical,
        60_000,
        'every re-send seen',
      );
      expect(await chCounts(reader, 'dedup')).toEqual({ ...s.expected, distinct: s.originals.length });
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
    expect(await chCounts(reader, 'dedup')).toEqual({ ...s.expected, distinct: s.originals.length });
    const letters = await readDlq(createKafka('test-dedup'), dlqTopic);
    expect(letters.map((l) => l.reason)).toEqual(late.map(() => 'conflicting_duplicate'));
    expect(letters.every((l) => (l.value?.length ?? 0) > 5 && l.source.topic === topic)).toBe(true);
  });

  it('SINK_CLICKHOUSE_DEDUP=off keeps every record, the log as received', async () => {
    const all = [...s.stream, ...late];
    const sink = await startSinkProcess('clickhouse', options('dedupoff', 'off'));
    try {
      await waitUntil(
        async () => (await chCounts(reader as ClickHouseClient, 'dedupoff')).count >= all.length,
        60_000,
        'every record',
      );
    } finally {
      await sink.stop();
    }
    expect(await chCounts(reader as ClickHouseClient, 'dedupoff')).toEqual({
      ...totals(all),
      distinct: s.originals.length,
    });
  });
});

describe('clickhouse raw sink: kill -9 mid-stream with duplicates in the stream (file-backed chdb)', () => {
  const topic = uniqueName('chdedupcrash');
  const dlqTopic = uniqueName('dlq');
  const group = uniqueName('grp');
  const dir = tmpDir('chdb-dedup-crash');
  afterAll(async () => {
    await deleteTopics([topic, dlqTopic]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('after-insert and mid-batch kills, then restart: count, distinct ids and sums exact', async () => {
    mkdirSync(dir, { recursive: true });
    await createTopic(topic, 3);
    await createTopic(dlqTopic, 1);
    const s = dupStream(30_000, 4);
    const sameKey = s.originals
      .filter((_, i) => i % 1000 === 5)
      .map((e) => ({ ...e, quantity: e.quantity + 1 }));
    await produce(topic, [...s.stream, ...sameKey]);
    const base = {
      SINK_CLICKHOUSE_CHDB_PATH: dir,
      SINK_CLICKHOUSE_DATABASE: 'crash',
      SINK_CLICKHOUSE_TOPIC: topic,
      SINK_CLICKHOUSE_DLQ_TOPIC: dlqTopic,
      SINK_CLICKHOUSE_GROUP_ID: group,
      SINK_CLICKHOUSE_METRICS_PORT: '0',
      SINK_CLICKHOUSE_MAX_BATCH_ROWS: '5000',
      SINK_CLICKHOUSE_SESSION_TIMEOUT_MS: '6000',
      CLICKHOUSE_URL: '',
    };
    const a = spawnSink(['clickhouse'], { ...base, RETAIL_ETL_FAULT_KILL_AFTER_WRITES: '2' });
    expect(await a.exit()).toBeNull();
    const b = spawnSink(['clickhouse'], { ...base, RETAIL_ETL_FAULT_KILL_MID_WRITE: '2' });
    expect(await b.exit()).toBeNull();
    const c = spawnSink(['clickhouse'], base);
    const port = await metricsPort(c);
    // The lag exporter's gauges are the only view of progress while the directory is locked.
    await waitUntil(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const lags = [...text.matchAll(/retail_sink_consumer_lag_messages\{[^}]*\} (\d+)/g)].map((m) =>
          Number(m[1]),
        );
        return (
          lags.length === 3 &&
          lags.every((l) => l === 0) &&
          /retail_sink_rows_written_total\{[^}]*\} [1-9]/.test(text)
        );
      },
      90_000,
      'drained',
    );
    c.child.kill('SIGTERM');
    expect(await c.exit()).toBe(0);
    const client = await createClickhouseClient({ chdbPath: dir });
    try {
      expect(await chCounts(client, 'crash')).toEqual({ ...s.expected, distinct: s.originals.length });
    } finally {
      await client.close();
    }
    const letters = await readDlq(createKafka('test-dedup'), dlqTopic);
    expect(letters.length).toBe(sameKey.length);
    expect(new Set(letters.map((l) => l.reason))).toEqual(new Set(['conflicting_duplicate']));
  });
});
