/**
 * The shared test both raw sinks pass (issue 11, "never retry the non-transient"): records the
 * target itself refuses — a CHECK constraint each target's test adds to its own sales_raw — among
 * good ones, in batches of many rows and several partitions, through the running sink process on
 * real Kafka. The refused records end in the DLQ with reason `refused_by_target` and the server's
 * code; every other record is stored exactly once with exact sums; no partition stalls (the sink's
 * committed position reaches the end of every partition). A kill -9 between the halves of a split
 * batch replays like any crash: the half already written is not written twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../../lib/kafka/index.js';
import { DLQ_HEADERS, headerString } from '../../../lib/contracts/dlq.js';
import { readDlq } from '../../../sinks/core/dlq/reader.js';
import { startSinkProcess } from '../../../sinks/raw/run.js';
import type { SinkKind } from '../../../sinks/raw/run.js';
import { createTopic, deleteTopics, makeEvents, produce, totals } from '../../../bench/lib/sale-events.js';
import { uniqueName } from '../../helpers/env.js';
import { CONTRACT_LOOP, waitUntil } from '../core/contract.suite.js';
import type { TargetCounts } from '../core/contract.suite.js';
import { waitCommittedAtEnd } from '../core/committed.js';
import { spawnSink } from '../../helpers/sink-process.js';

/** The quantity the test's constraint refuses (valid for the event contract: within ±10,000). */
export const REFUSED_QUANTITY = 7777;

export interface RefusingTarget {
  kind: SinkKind;
  /** The target options of a sink writing this test's own table. */
  options(): Record<string, unknown>;
  /** Create sales_raw and add a constraint refusing `quantity = REFUSED_QUANTITY`. */
  setup(): Promise<void>;
  counts(): Promise<TargetCounts>;
  /** The environment of a `retail-etl sink <kind>` process writing this test's own table. */
  env(): Record<string, string>;
  /** The server code the refusal carries (SQLSTATE, ClickHouse exception name). */
  serverCode: string;
  teardown(): Promise<void>;
}

export function refusedRecordSuite(t: RefusingTarget): void {
  describe(`raw ${t.kind}: records the target refuses`, () => {
    const topic = uniqueName('refused');
    const dlqTopic = uniqueName('refuseddlq');
    const group = uniqueName('grp');
    const crashTopic = uniqueName('refusedcrash');
    const crashGroup = uniqueName('grp');

    beforeAll(async () => {
      await t.setup();
      await createTopic(topic, 3);
      await createTopic(dlqTopic, 1);
      await createTopic(crashTopic, 1);
    });
    afterAll(async () => {
      await deleteTopics([topic, dlqTopic, crashTopic]);
      const admin = createKafka('test-refused').admin();
      await admin.connect();
      await admin.deleteGroups([group, crashGroup]).catch(() => undefined);
      await admin.disconnect();
      await t.teardown();
    });

    it('are dead-lettered with the server’s reason; all others stored exactly once, sums exact, no stall', async () => {
      // Refused records at the start, middle and end of the stream, two of them adjacent.
      const badAt = new Set([0, 1, 777, 1500, 2999]);
      const events = makeEvents(3000, { seed: 11 }).map((e, i) =>
        badAt.has(i) ? { ...e, quantity: REFUSED_QUANTITY } : e,
      );
      const good = events.filter((_, i) => !badAt.has(i));
      const expected = totals(good);
      const serde = await produce(topic, events);
      const running = await startSinkProcess(t.kind, {
        ...t.options(),
        topic,
        groupId: group,
        dlqTopic,
        ...CONTRACT_LOOP,
      });
      const kafka = createKafka('test-refused');
      try {
        await waitUntil(async () => (await t.counts()).count >= good.length, 90_000, 'the good rows');
        await waitUntil(
          async () => (await readDlq(kafka, dlqTopic)).length >= badAt.size,
          60_000,
          'the refused records in the DLQ',
        );
        // The sink's position passes every record: its Kafka commit reaches each partition's end.
        await waitCommittedAtEnd(kafka, group, [topic], 30_000);
      } finally {
        await running.stop();
      }
      expect(await t.counts()).toEqual({ ...expected, distinct: good.length });
      const dead = await readDlq(kafka, dlqTopic);
      expect(dead).toHaveLength(badAt.size);
      const deadIds = await Promise.all(
        dead.map(async (d) => (await serde.decode(d.value as Buffer)).event_id),
      );
      expect(new Set(deadIds)).toEqual(new Set(events.filter((_, i) => badAt.has(i)).map((e) => e.event_id)));
      for (const d of dead) {
        expect(d.reason).toBe('refused_by_target');
        expect(d.sinks).toEqual([t.kind]);
        expect(d.source.topic).toBe(topic);
        expect(headerString(d.headers, DLQ_HEADERS.detail)).toContain(
          `${t.kind} refused the record [${t.serverCode}]`,
        );
      }
    });

    it('a kill -9 between the halves of a split batch: the restart stores each good record once', async () => {
      // One partition and a long linger: the 2,000 records form one batch, split in halves around
      // the record at 1,234 the target refuses: write 1 [0, 2000) refused, write 2 [0, 1000)
      // stored, writes 3-5 ([1000, 2000), [1000, 1500), [1000, 1250)) refused, write 6
      // [1000, 1125) is good — the sink is killed inside it, after its first piece of data
      // reached the target (a COPY chunk in Postgres, a whole insert in ClickHouse: a refused
      // write never gets that far there).
      const events = makeEvents(2000, { seed: 12 }).map((e, i) =>
        i === 1234 ? { ...e, quantity: REFUSED_QUANTITY } : e,
      );
      const good = events.filter((_, i) => i !== 1234);
      // The first stream's rows are in the table already: count only this stream's.
      const before = await t.counts();
      await produce(crashTopic, events);
      const p = t.kind === 'postgres' ? 'SINK_POSTGRES' : 'SINK_CLICKHOUSE';
      const env = {
        ...t.env(),
        [`${p}_TOPIC`]: crashTopic,
        [`${p}_GROUP_ID`]: crashGroup,
        [`${p}_DLQ_TOPIC`]: dlqTopic,
        [`${p}_MAX_BATCH_ROWS`]: '5000',
        [`${p}_MAX_WAIT_MS`]: '3000',
        [`${p}_METRICS_PORT`]: '0',
        [`${p}_SESSION_TIMEOUT_MS`]: '6000',
      };
      const killed = spawnSink([t.kind], { ...env, RETAIL_ETL_FAULT_KILL_MID_WRITE: '6' });
      // Bounded: a sink that never reaches the fault point is a failure with its log, not a hang.
      const exit = await Promise.race([killed.exited, sleep(90_000).then(() => 'still running' as const)]);
      if (exit === 'still running') await killed.stop(10_000);
      expect(exit, killed.tail(40)).toBeNull();
      const log = killed.log.join('\n');
      expect(log).toContain('target refused a batch: splitting it');
      expect(log).toContain('in the middle of write 6');
      const between = await t.counts();
      expect(between.count - before.count).toBeGreaterThan(0);
      expect(between.count - before.count).toBeLessThan(good.length);

      const restarted = spawnSink([t.kind], env);
      const kafka = createKafka('test-refused-crash');
      try {
        await waitUntil(
          async () => (await t.counts()).count >= before.count + good.length,
          90_000,
          'the good rows after the restart',
        );
        await waitCommittedAtEnd(kafka, crashGroup, [crashTopic], 30_000);
      } finally {
        await restarted.stop();
      }
      const after = await t.counts();
      const expected = totals(good);
      expect({
        count: after.count - before.count,
        distinct: after.distinct - before.distinct,
        quantity: after.quantity - before.quantity,
        value: after.value - before.value,
      }).toEqual({ ...expected, distinct: good.length });
      const dead = (await readDlq(kafka, dlqTopic)).filter((d) => d.source.topic === crashTopic);
      expect(dead).toHaveLength(1);
    });
  });
}
