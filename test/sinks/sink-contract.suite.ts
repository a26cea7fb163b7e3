/**
 * The shared test suite every sink passes (each sink's *.int.test.ts calls it): open/close,
 * batches, crash-and-resume, duplicates. Real Kafka and registry; the target is the sink's own.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/index.js';
import { createLogger } from '../../lib/logger.js';
import type { Batch, Sink } from '../../sinks/contract.js';
import { createSinkMetrics } from '../../sinks/metrics.js';
import { startSinkProcess } from '../../sinks/run.js';
import type { SinkKind, SinkProcess } from '../../sinks/run.js';
import { createTopic, deleteTopics, makeEvents, produce, totals } from '../../bench/lib/sale-events.js';
import type { Totals } from '../../bench/lib/sale-events.js';
import { uniqueName } from '../helpers/env.js';

export interface TargetCounts extends Totals {
  distinct: number;
}

export interface SinkUnderTest {
  kind: SinkKind;
  /** Target options (schema, chdbPath…) for startSinkProcess and createSink. */
  targetOptions(): Record<string, unknown>;
  /** A bare sink instance (not started) for direct contract calls. */
  createSink(groupId: string): Sink;
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

export function sinkContractSuite(s: SinkUnderTest): void {
  describe(`sink contract: ${s.kind}`, () => {
    const topic = uniqueName('contract');
    const group = uniqueName('grp');
    const events = makeEvents(6000);
    const expected = totals(events);
    let running: SinkProcess | undefined;

    const start = (extra: Record<string, unknown> = {}) =>
      startSinkProcess(s.kind, {
        ...s.targetOptions(),
        topic,
        groupId: group,
        metricsPort: 0,
        maxBatchRows: 1000,
        maxWaitMs: 100,
        sessionTimeoutMs: 6000,
        ...extra,
      });

    beforeAll(async () => {
      await s.setup?.();
      await createTopic(topic, 3);
    });
    afterAll(async () => {
      await running?.stop().catch(() => undefined);
      await deleteTopics([topic]);
      await s.teardown?.();
    });

    it('opens and closes cleanly on an empty topic, and again', async () => {
      for (let i = 0; i < 2; i++) {
        running = await start();
        expect(await running.loop.ready()).toBe(true);
        await running.stop();
        running = undefined;
      }
      expect((await s.counts()).count).toBe(0);
    });

    it('writes every event exactly once in many batches, sums exact', async () => {
      await produce(topic, events);
      running = await start();
      await waitUntil(async () => (await s.counts()).count >= expected.count, 60_000, 'all rows');
      await running.stop();
      running = undefined;
      const c = await s.counts();
      expect(c).toEqual({ ...expected, distinct: expected.count });
    });

    it('crash-and-resume: with the Kafka group reset behind the sink, a restart writes nothing twice', async () => {
      // A crash after the write but before the (informational) Kafka commit leaves the group
      // behind the target. Resetting it to the earliest offset is that crash, at its worst.
      const admin = createKafka('test-contract').admin();
      await admin.connect();
      await admin.resetOffsets({ groupId: group, topic, earliest: true });
      await admin.disconnect();
      const more = makeEvents(1500, { seed: 3 });
      await produce(topic, more);
      const all = totals([...events, ...more]);
      running = await start();
      await waitUntil(async () => (await s.counts()).count >= all.count, 60_000, 'all rows after resume');
      // Give a duplicate the time to show up if the sink were to write one.
      await new Promise((r) => setTimeout(r, 1500));
      await running.stop();
      running = undefined;
      expect(await s.counts()).toEqual({ ...all, distinct: all.count });
    });

    it('duplicates: the same batch written twice is stored once', async () => {
      const dupGroup = uniqueName('dup');
      const sink = s.createSink(dupGroup);
      await sink.open();
      try {
        const before = await s.counts();
        const rows = makeEvents(300, { seed: 9 }).map((event, i) => ({
          event,
          partition: 99,
          offset: 1_000_000 + i,
          kafkaTimestamp: Date.now(),
        }));
        const batch: Batch = {
          segments: [
            { topic: uniqueName('dup-topic'), partition: 99, first: 1_000_000, last: 1_000_299, rows },
          ],
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
