/**
 * Kafka restarted while producing: the producer retries the same records (kafkajs keeps their
 * idempotent sequence numbers, the broker drops what it already has) and resumes. With a simulated
 * clock the generator's sequence is a function of the config, so the test regenerates it and
 * demands that the topic holds exactly the first N generated events, in order per partition —
 * the intentional duplicates and nothing else.
 */
import { waitUntil } from '../../stack/wait.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/index.js';
import { resolveProducerConfig } from '../../producer/config.js';
import { startProducer } from '../../producer/run.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { ThrowawayKafka } from '../helpers/throwaway-kafka.js';
import { topicSize } from '../helpers/kafka.js';
import { expectTopicMatchesSummary } from './sequence.js';

describe('producer across a Kafka restart', () => {
  const env = stackEnv();
  let broker: ThrowawayKafka;

  beforeAll(async () => {
    broker = await ThrowawayKafka.create();
  });

  afterAll(async () => {
    await broker?.destroy();
  });

  it('retries without duplicates and resumes after the broker restarts', async () => {
    const kafka = createKafka('producer-restart-test', { brokers: [broker.brokers] });
    const topic = uniqueName('restart');
    const config = resolveProducerConfig(
      {
        rate: 2000,
        topic,
        controlTopic: uniqueName('restart-control'),
        metricsPort: 0,
        seed: 4242,
        startTime: String(Date.now() - 3_600_000),
        duplicateShare: 0.01,
        control: false,
      },
      {},
    );
    const producer = await startProducer(config, { kafka });
    try {
      expect(
        await waitUntil(async () => (await topicSize(kafka, topic)) > 4000, {
          timeoutMs: 15_000,
          intervalMs: 200,
        }),
      ).toBe(true);
      // Down for longer than kafkajs' own retries last (~20 s), so the producer's own retry of the
      // same records is exercised too, not only kafkajs' internal one.
      await broker.stop();
      await sleep(25_000);
      await broker.start();
      // The broker answers metadata before it has taken leadership of the topic's partitions again
      // (listOffsets then says NOT_LEADER), so the first size is read when it can be.
      let afterRestart = -1;
      expect(
        await waitUntil(
          async () => {
            afterRestart = await topicSize(kafka, topic);
            return true;
          },
          { timeoutMs: 30_000, intervalMs: 200 },
        ),
      ).toBe(true);
      // It resumes: the topic keeps growing after the broker is back.
      expect(
        await waitUntil(async () => (await topicSize(kafka, topic)) > afterRestart + 4000, {
          timeoutMs: 30_000,
          intervalMs: 200,
        }),
      ).toBe(true);
      const errors = await producer.metrics.errors.get();
      expect(errors.values.find((v) => v.labels['kind'] === 'send')?.value ?? 0).toBeGreaterThan(0);
    } finally {
      await producer.stop();
    }
    const summary = await producer.finished;
    expect(summary.unacknowledged).toBe(0);
    await expectTopicMatchesSummary(kafka, topic, config, env.SCHEMA_REGISTRY_URL, summary);
  });
});
