/**
 * The shared test both raw sinks pass (docs/sinks.md#one-row-per-event_id, sinks/raw/dedup.ts):
 * one row per event_id. A batch written again after a crash at any point of its write is stored
 * once; client retries and the generator's re-sends are stored once and counted; a conflicting
 * duplicate is dead-lettered with its reason and the first write kept; kill -9 mid-stream with
 * duplicates leaves counts, distinct ids and sums exact; `dedup: off` keeps every record. Real
 * Kafka, registry and target server (each target's own: Postgres, the stack's ClickHouse over
 * HTTP); what differs between targets is only how a table is named, started and read.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../../lib/contracts/dlq.js';
import { createKafka } from '../../../lib/kafka/index.js';
import type { Batch, Sink, SinkRow, WriteResult } from '../../../sinks/core/contract.js';
import { readDlq } from '../../../sinks/core/dlq/reader.js';
import { createSink, resolveSinkConfig, startSinkProcess } from '../../../sinks/raw/run.js';
import type { SinkKind } from '../../../sinks/raw/run.js';
import { createTopic, deleteTopics, makeEvents, produce, totals } from '../../../bench/lib/sale-events.js';
import { spawnSink } from '../../helpers/sink-process.js';
import { uniqueName } from '../../helpers/env.js';
import { bareMetrics, waitUntil } from '../core/contract.suite.js';
import type { TargetCounts } from '../core/contract.suite.js';
import { metricValue } from './stream.js';
import { conflicting, dupStream } from './dup-stream.js';

export interface DedupTarget {
  kind: SinkKind;
  /** The target options of a sink writing the table of `name` (a schema, a database). */
  options(name: string): Record<string, unknown>;
  /** The same, as the environment of a `retail-etl sink <kind>` process. */
  env(name: string): Record<string, string>;
  counts(name: string): Promise<TargetCounts>;
  /**
   * Leave `batch` half-written, as a crash inside a write can (ClickHouse: its rows in, their ids
   * not). Absent: the target writes a batch atomically (Postgres: one transaction).
   */
  interruptedWrite?(sink: Sink, name: string, batch: Batch): Promise<void>;
  /**
   * What writing a batch again after it was fully written returns: Postgres fences it (its stored
   * position is past it), ClickHouse writes it again and its tokens and ids drop it.
   */
  replay: (topic: string, partition: number) => WriteResult;
  /** Checks of the target's own id bookkeeping after `n` distinct ids were stored in `name`. */
  checkIds?(name: string, n: number): Promise<void>;
  drop(name: string): Promise<void>;
  teardown?(): Promise<void>;
}

export function rawDedupSuite(t: DedupTarget): void {
  const kind = t.kind;
  const prefix = `SINK_${kind.toUpperCase()}_`;
  const names: string[] = [];
  const table = (what: string) => {
    const name = uniqueName(`${what}${kind === 'postgres' ? 'pg' : 'ch'}`);
    names.push(name);
    return name;
  };
  afterAll(async () => {
    for (const n of names) await t.drop(n);
    await t.teardown?.();
  });

  describe(`raw ${kind}: a batch written again is stored once, whatever the crash point`, () => {
    const name = table('dedupdirect');

    it('replayed after an interrupted or a complete write: nothing stored twice; a later conflict is a dead letter', async () => {
      const { target } = resolveSinkConfig(kind, t.options(name));
      const { metrics, logger } = bareMetrics();
      const sink = createSink(kind, target, uniqueName('grp'), metrics, logger);
      await sink.open();
      const letters: DeadLetter[] = [];
      const ctx = { deadLetter: (l: DeadLetter[]) => Promise.resolve(void letters.push(...l)) };
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
        await t.interruptedWrite?.(sink, name, batch);
        expect(await sink.writeBatch(batch, ctx)).toEqual({ fenced: [], dropped: 1 });
        expect(await t.counts(name)).toEqual({ ...totals(events), distinct: 500 });
        // Written, Kafka commit not: the replay after a crash there.
        expect(await sink.writeBatch(batch, ctx)).toEqual(t.replay('t', 0));
        expect(await t.counts(name)).toEqual({ ...totals(events), distinct: 500 });
        // Later records with the first ones' ids, another day and store: dead-lettered.
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
        expect(letters[2]?.detail).toMatch(
          new RegExp(
            `already stored in ${kind} from t\\[0\\]@2; this record differs in event_time, store_id`,
          ),
        );
        expect(await t.counts(name)).toEqual({ ...totals(events), distinct: 500 });
      } finally {
        await sink.close();
      }
    });
  });

  describe(`raw ${kind} process: re-sends and conflicting duplicates`, () => {
    const topic = uniqueName('dedup');
    const dlqTopic = uniqueName('dlq');
    const on = table('dedup');
    const off = table('dedupoff');
    afterAll(() => deleteTopics([topic, dlqTopic]));
    const s = dupStream(6000, 1);
    const late = conflicting(s.originals.filter((_, i) => i % 400 === 11));
    const options = (name: string, dedup: string) => ({
      ...t.options(name),
      topic,
      dlqTopic,
      dedup,
      groupId: uniqueName('grp'),
      metricsPort: 0,
      maxWaitMs: 100,
    });

    it('re-sends stored once and counted; conflicting duplicates dead-lettered, the first write kept', async () => {
      await createTopic(topic, 3);
      await createTopic(dlqTopic, 1);
      await produce(topic, s.stream);
      const sink = await startSinkProcess(kind, options(on, 'on'));
      try {
        await waitUntil(
          async () => (await metricValue(sink.port, 'retail_sink_duplicates_dropped_total')) >= s.identical,
          60_000,
          'every re-send seen',
        );
        expect(await t.counts(on)).toEqual({ ...s.expected, distinct: s.originals.length });
        // Later records with the same ids and other content (one in three on another partition and day).
        await produce(topic, late);
        await waitUntil(
          async () =>
            (await metricValue(sink.port, 'retail_sink_conflicting_duplicates_total')) >= late.length,
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
      expect(await t.counts(on)).toEqual({ ...s.expected, distinct: s.originals.length });
      const letters = await readDlq(createKafka('test-dedup'), dlqTopic);
      expect(letters.map((l) => l.reason)).toEqual(late.map(() => 'conflicting_duplicate'));
      expect(letters.every((l) => (l.value?.length ?? 0) > 5 && l.source.topic === topic)).toBe(true);
      const first = letters.find((l) => l.detail.includes(late[0]?.event_id ?? '?'));
      expect(first?.detail).toMatch(
        new RegExp(
          `already stored in ${kind} from .*\\[\\d+\\]@\\d+; this record differs in quantity, unit_price_cents`,
        ),
      );
      await t.checkIds?.(on, s.originals.length);
    });

    it(`${prefix}DEDUP=off keeps every record, the log as received`, async () => {
      const all = [...s.stream, ...late];
      const sink = await startSinkProcess(kind, options(off, 'off'));
      try {
        await waitUntil(async () => (await t.counts(off)).count >= all.length, 60_000, 'every record');
        expect(await metricValue(sink.port, 'retail_sink_duplicates_dropped_total')).toBe(0);
      } finally {
        await sink.stop();
      }
      expect(await t.counts(off)).toEqual({ ...totals(all), distinct: s.originals.length });
    });
  });

  describe(`raw ${kind}: kill -9 mid-stream with duplicates in the stream`, () => {
    const topic = uniqueName('dedupcrash');
    const dlqTopic = uniqueName('dlq');
    const group = uniqueName('grp');
    const name = table('dedupcrash');
    afterAll(() => deleteTopics([topic, dlqTopic]));

    it('mid-write, after the write, from outside: count, distinct ids and sums exact', async () => {
      await createTopic(topic, 3);
      await createTopic(dlqTopic, 1);
      const s = dupStream(30_000, 3);
      // Conflicting duplicates on the same key: they follow their original in its partition.
      const sameKey = s.originals
        .filter((_, i) => i % 1000 === 5)
        .map((e) => ({ ...e, quantity: e.quantity + 1 }));
      await produce(topic, [...s.stream, ...sameKey]);
      const base = {
        ...t.env(name),
        [`${prefix}TOPIC`]: topic,
        [`${prefix}DLQ_TOPIC`]: dlqTopic,
        [`${prefix}GROUP_ID`]: group,
        [`${prefix}METRICS_PORT`]: '0',
        [`${prefix}MAX_BATCH_ROWS`]: '5000',
        [`${prefix}SESSION_TIMEOUT_MS`]: '6000',
      };
      const counts = () => t.counts(name);
      const a = spawnSink([kind], { ...base, RETAIL_ETL_FAULT_KILL_MID_WRITE: '2' });
      expect(await a.exited).toBeNull();
      const b = spawnSink([kind], { ...base, RETAIL_ETL_FAULT_KILL_AFTER_WRITES: '2' });
      expect(await b.exited).toBeNull();
      const afterB = await counts();
      expect(afterB.distinct).toBe(afterB.count);
      const c = spawnSink([kind], base);
      await waitUntil(async () => (await counts()).count > afterB.count, 60_000, 'progress after restart');
      c.child.kill('SIGKILL');
      await c.exited;
      const d = spawnSink([kind], base);
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
}
