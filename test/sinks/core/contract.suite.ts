/**
 * The shared test suite every sink passes — raw and aggregates, Postgres and ClickHouse (each
 * target's *.int.test.ts calls it): open/close, batches, crash-and-resume, duplicates. Real Kafka
 * and registry; the target is the sink's own. What differs between targets is only how it is
 * started, read and built, and which records it takes (contract-records.ts).
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../../lib/kafka/index.js';
import { createLogger } from '../../../lib/logger.js';
import type { Batch, Sink } from '../../../sinks/core/contract.js';
import { createSinkMetrics } from '../../../sinks/core/metrics.js';
import { createTopic, deleteTopics } from '../../../bench/lib/sale-events.js';
import type { Totals } from '../../../bench/lib/sale-events.js';
import { uniqueName } from '../../helpers/env.js';
import type { RecordKind } from './contract-records.js';

export interface TargetCounts extends Totals {
  /** Distinct identities (event ids, aggregate keys): equal to `count` when nothing is stored twice. */
  distinct: number;
}

/** A counts row as SQL returns it (numbers as strings, sums null on an empty table). */
export function toCounts(
  row: { n?: unknown; d?: unknown; q?: unknown; v?: unknown } | undefined,
): TargetCounts {
  return {
    count: Number(row?.n ?? 0),
    distinct: Number(row?.d ?? 0),
    quantity: Number(row?.q ?? 0),
    value: Number(row?.v ?? 0),
  };
}

/** The loop options the suite sets on every start: small batches, a fast flush, a short session. */
export const CONTRACT_LOOP = { metricsPort: 0, maxBatchRows: 1000, maxWaitMs: 100, sessionTimeoutMs: 6000 };

export interface StartedSink {
  loop: { ready(): Promise<boolean> };
  stop(): Promise<void>;
}

export interface SinkUnderTest<Row> {
  name: string;
  records: RecordKind<Row>;
  /** Topics the sink reads (the suite creates them and produces to the first). */
  topicCount: number;
  /** Start the sink process on `topics` with `group` and CONTRACT_LOOP. */
  start(topics: string[], group: string): Promise<StartedSink>;
  /** A bare sink instance (not started) for direct contract calls. */
  createSink(groupId: string, topics: string[]): Sink<Row>;
  counts(): Promise<TargetCounts>;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const add = (a: Totals, b: Totals): Totals => ({
  count: a.count + b.count,
  quantity: a.quantity + b.quantity,
  value: a.value + b.value,
});

export function sinkContractSuite<Row>(s: SinkUnderTest<Row>): void {
  describe(`sink contract: ${s.name}`, () => {
    const topics = Array.from({ length: s.topicCount }, (_, i) => uniqueName(`contract${i}`));
    const group = uniqueName('grp');
    let produced: Totals = { count: 0, quantity: 0, value: 0 };
    let running: StartedSink | undefined;

    beforeAll(async () => {
      await s.setup?.();
      for (const t of topics) await createTopic(t, 3);
    });
    afterAll(async () => {
      await running?.stop().catch(() => undefined);
      await deleteTopics(topics);
      await s.teardown?.();
    });

    it('opens and closes cleanly on an empty topic, and again', async () => {
      for (let i = 0; i < 2; i++) {
        running = await s.start(topics, group);
        expect(await running.loop.ready()).toBe(true);
        await running.stop();
        running = undefined;
      }
      expect((await s.counts()).count).toBe(0);
    });

    it('writes every record exactly once in many batches, sums exact', async () => {
      produced = await s.records.produce(topics[0] as string, 6000, 1);
      running = await s.start(topics, group);
      await waitUntil(async () => (await s.counts()).count >= produced.count, 60_000, 'all rows');
      await running.stop();
      running = undefined;
      expect(await s.counts()).toEqual({ ...produced, distinct: produced.count });
    });

    it('crash-and-resume: with the Kafka group reset behind the sink, a restart writes nothing twice', async () => {
      // A crash after the write but before the (informational) Kafka commit leaves the group
      // behind the target. Resetting it to the earliest offset is that crash, at its worst.
      const admin = createKafka('test-contract').admin();
      await admin.connect();
      for (const topic of topics) await admin.resetOffsets({ groupId: group, topic, earliest: true });
      await admin.disconnect();
      produced = add(produced, await s.records.produce(topics[0] as string, 1500, 3));
      running = await s.start(topics, group);
      await waitUntil(
        async () => (await s.counts()).count >= produced.count,
        60_000,
        'all rows after resume',
      );
      // Give a duplicate the time to show up if the sink were to write one.
      await new Promise((r) => setTimeout(r, 1500));
      await running.stop();
      running = undefined;
      expect(await s.counts()).toEqual({ ...produced, distinct: produced.count });
    });

    it('duplicates: the same batch written twice is stored once', async () => {
      const sink = s.createSink(uniqueName('dup'), topics);
      await sink.open();
      try {
        const before = await s.counts();
        const rows = s.records.rows(300, 9, 99, 1_000_000);
        const batch: Batch<Row> = {
          segments: [{ topic: topics[0] as string, partition: 99, first: 1_000_000, last: 1_000_299, rows }],
          rowCount: rows.length,
        };
        const first = await sink.writeBatch(batch);
        expect(first.fenced).toEqual([]);
        await sink.writeBatch(batch);
        const after = await s.counts();
        expect(after.count - before.count).toBe(300);
        expect(after.distinct - before.distinct).toBe(300);
      } finally {
        await sink.close();
      }
    });
  });
}

export function bareMetrics() {
  return { metrics: createSinkMetrics(new Registry()), logger: createLogger('test-sink') };
}
