/**
 * A changelog restore read by assignment survives a broker killed with -9 in the middle of the
 * read: it retries from where it was (no group, nothing to rejoin) and ends with exactly the
 * latest committed value of every key — aborted transactions and tombstones included. On a broker
 * of the test's own (ports 25xxx), never the shared one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../../lib/kafka/index.js';
import type { Kafka } from '../../../lib/kafka/index.js';
import { readChangelog } from '../../../processors/runtime/changelog.js';
import { uniqueName } from '../../helpers/env.js';
import { ThrowawayKafka } from '../../helpers/throwaway-kafka.js';

describe('changelog restore by assignment across a broker kill -9', () => {
  let broker: ThrowawayKafka;
  let kafka: Kafka;
  const topic = uniqueName('restore-changelog');
  const expected = new Map<string, string>();

  beforeAll(async () => {
    broker = await ThrowawayKafka.create();
    kafka = createKafka('restore-reader-test', { brokers: [broker.brokers] });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 2,
          replicationFactor: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    });
    await admin.disconnect();
    // 40 committed transactions of 1,000 keys on partition 1 (later ones overwrite and delete
    // earlier keys), each followed by an aborted one that must stay invisible.
    const producer = kafka.producer({
      transactionalId: uniqueName('restore-writer'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    for (let t = 0; t < 40; t++) {
      const messages = Array.from({ length: 1_000 }, (_, i) => {
        const key = `k/${(t * 500 + i) % 12_000}`;
        const value = (t + i) % 17 === 0 ? null : `v${t}-${i}-${'x'.repeat(200)}`;
        return { key, value, partition: 1 };
      });
      const txn = await producer.transaction();
      await txn.send({ topic, messages });
      await txn.commit();
      for (const m of messages) {
        if (m.value === null) expected.delete(m.key);
        else expected.set(m.key, m.value);
      }
      const aborted = await producer.transaction();
      await aborted.send({ topic, messages: [{ key: 'k/1', value: 'ABORTED', partition: 1 }] });
      await aborted.abort();
    }
    await producer.disconnect();
  }, 180_000);

  afterAll(async () => {
    await broker?.destroy();
  });

  it('retries through the kill and reads exactly the committed latest value per key', async () => {
    const retries: unknown[] = [];
    let progress = 0;
    const read = readChangelog(kafka, topic, 1, {
      stallTimeoutMs: 5_000,
      // ~125 fetches of 64 KB: the kill lands in the middle of the read.
      maxBytes: 64 * 1024,
      onProgress: (ratio) => {
        progress = ratio;
      },
      onRetry: (err) => retries.push(err),
    });
    // Kill the broker as soon as the read has begun but not finished, then bring it back.
    const killed = (async () => {
      while (progress === 0) await sleep(5);
      await broker.kill();
      await sleep(2_000);
      await broker.start();
    })();
    const result = await read;
    await killed;
    expect(progress).toBe(1);
    expect(retries.length).toBeGreaterThan(0);
    const got = new Map([...result.entries].map(([k, v]) => [k, v.toString('utf8')]));
    expect(got.size).toBe(expected.size);
    expect(got).toEqual(expected);
    expect([...got.values()].some((v) => v === 'ABORTED')).toBe(false);
  }, 180_000);

  it('an empty partition reads as empty at once', async () => {
    const result = await readChangelog(kafka, topic, 0, { stallTimeoutMs: 5_000 });
    expect(result.entries.size).toBe(0);
    expect(result.records).toBe(0);
  }, 60_000);
});
