/**
 * The shared test both aggregate targets pass (issue 11, "never retry the non-transient", for the
 * aggregate sinks as for the raw ones): an hourly record the target itself refuses — a CHECK
 * constraint each target's test adds to its own `sales_hourly` — among good ones on several
 * partitions, through the running `sink aggregates` process on real Kafka. The refused record ends
 * in the DLQ with reason `refused_by_target`, the server's code and its original bytes; every other
 * record is stored exactly once with exact sums; no partition stalls (the committed position
 * reaches the end of every partition of the three topics).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../../lib/kafka/index.js';
import { DLQ_HEADERS, headerString } from '../../../lib/contracts/dlq.js';
import { readDlq } from '../../../sinks/core/dlq/reader.js';
import { startAggregatesProcess } from '../../../sinks/aggregates/run.js';
import { createTopic, deleteTopics } from '../../../bench/lib/sale-events.js';
import { uniqueName } from '../../helpers/env.js';
import { waitCommittedAtEnd } from '../core/committed.js';
import { hourly, sum } from '../core/contract-records.js';
import { CONTRACT_LOOP, waitUntil } from '../core/contract.suite.js';
import type { TargetCounts } from '../core/contract.suite.js';

/** The quantity the test's constraint refuses (a valid aggregate record otherwise). */
export const REFUSED_QUANTITY = 7777;

export interface RefusingAggTarget {
  target: 'postgres' | 'clickhouse';
  /** The target options of a sink writing this test's own tables. */
  options(): Record<string, unknown>;
  /** Create the tables and add a constraint refusing `sales_hourly.quantity = REFUSED_QUANTITY`. */
  setup(): Promise<void>;
  /** Rows, distinct keys and sums of `sales_hourly`. */
  counts(): Promise<TargetCounts>;
  /** The server code the refusal carries (SQLSTATE, ClickHouse exception name). */
  serverCode: string;
  teardown(): Promise<void>;
}

export function refusedAggregateSuite(t: RefusingAggTarget): void {
  describe(`aggregates ${t.target}: a record the target refuses`, () => {
    const topics = [uniqueName('refhourly'), uniqueName('reftop'), uniqueName('refrolling')];
    const dlqTopic = uniqueName('refaggdlq');
    const group = uniqueName('grp');
    const sink = `aggregates-${t.target}`;

    beforeAll(async () => {
      await t.setup();
      for (const topic of topics) await createTopic(topic, 3);
      await createTopic(dlqTopic, 1);
    });
    afterAll(async () => {
      await deleteTopics([...topics, dlqTopic]);
      const admin = createKafka('test-refused-agg').admin();
      await admin.connect();
      await admin.deleteGroups([group]).catch(() => undefined);
      await admin.disconnect();
      await t.teardown();
    });

    it('is dead-lettered with the server’s reason; the others stored once, sums exact, no stall', async () => {
      // Good records before and after the poison one, on every partition (keyed by the hour key).
      const before = hourly(1500, 21);
      const after = hourly(1500, 22);
      const [poisonBase] = hourly(1, 23);
      if (!poisonBase) throw new Error('no record');
      const poison = {
        key: poisonBase.key,
        value: Buffer.from(
          JSON.stringify({ ...JSON.parse(poisonBase.value.toString('utf8')), quantity: REFUSED_QUANTITY }),
        ),
      };
      const expected = sum([...before, ...after]);
      const kafka = createKafka('test-refused-agg');
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        await producer.send({ topic: topics[0] as string, acks: -1, messages: before });
        await producer.send({ topic: topics[0] as string, acks: -1, messages: [poison] });
        await producer.send({ topic: topics[0] as string, acks: -1, messages: after });
      } finally {
        await producer.disconnect();
      }
      const running = await startAggregatesProcess({
        ...t.options(),
        target: t.target,
        hourlyTopic: topics[0],
        topSkusTopic: topics[1],
        rollingTopic: topics[2],
        dlqTopic,
        groupId: group,
        ...CONTRACT_LOOP,
      });
      try {
        await waitUntil(async () => (await t.counts()).count >= expected.count, 90_000, 'the good rows');
        await waitUntil(
          async () => (await readDlq(kafka, dlqTopic)).length >= 1,
          60_000,
          'the refused record in the DLQ',
        );
        // The partition moved on past the poison record: the commit reaches every partition's end.
        await waitCommittedAtEnd(kafka, group, topics, 30_000);
        // The sink is still running (a refusal did not stop it).
        expect(await running.loop.ready()).toBe(true);
      } finally {
        await running.stop();
      }
      expect(await t.counts()).toEqual({ ...expected, distinct: expected.count });
      const dead = await readDlq(kafka, dlqTopic);
      expect(dead).toHaveLength(1);
      const [d] = dead;
      expect(d?.reason).toBe('refused_by_target');
      expect(d?.sinks).toEqual([sink]);
      expect(d?.source.topic).toBe(topics[0]);
      expect(d?.key?.toString('utf8')).toBe(poison.key);
      expect(d?.value).toEqual(poison.value);
      expect(headerString(d?.headers, DLQ_HEADERS.detail)).toContain(
        `${sink} refused the record [${t.serverCode}]`,
      );
    });
  });
}
