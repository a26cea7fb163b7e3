/**
 * The producer's rate promise: the rate is held within ±5 % over 30 s at 1k and 10k events/s, measured by
 * counting the records that land in the topic during the window (not the producer's own counter).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/index.js';
import { resolveProducerConfig } from '../../producer/config.js';
import { startProducer } from '../../producer/run.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { deleteTopics, topicSize } from '../helpers/kafka.js';

const WINDOW_S = 30;

describe('producer rate control', () => {
  stackEnv();
  const kafka = createKafka('producer-rate-test');
  const topics: string[] = [];

  afterAll(async () => {
    await deleteTopics(kafka, topics);
  });

  for (const rate of [1000, 10_000]) {
    it(`holds ${rate} events/s within ±5 % over ${WINDOW_S} s`, async () => {
      const topic = uniqueName('rate');
      const controlTopic = uniqueName('rate-control');
      topics.push(topic, controlTopic);
      const producer = await startProducer(
        resolveProducerConfig({ rate, topic, controlTopic, metricsPort: 0, seed: rate }, {}),
      );
      try {
        await sleep(2000);
        const t0 = performance.now();
        const n0 = await topicSize(kafka, topic);
        await sleep(WINDOW_S * 1000);
        const n1 = await topicSize(kafka, topic);
        const t1 = performance.now();
        const measured = (n1 - n0) / ((t1 - t0) / 1000);
        console.log(
          `target ${rate}/s: ${n1 - n0} records in ${((t1 - t0) / 1000).toFixed(2)} s = ${measured.toFixed(1)}/s`,
        );
        expect(measured).toBeGreaterThanOrEqual(rate * 0.95);
        expect(measured).toBeLessThanOrEqual(rate * 1.05);
      } finally {
        await producer.stop();
      }
    });
  }
});
