/** The topics a producer needs, created (if missing) before it connects its producers. */
import type { Kafka } from '../lib/kafka/index.js';
import type { TopicSpec } from '../lib/contracts/topics.js';
import { DEFAULT_TOPIC_SPECS } from '../lib/contracts/topics.js';
import { EtlError } from '../lib/errors.js';
import { ensureOwnTopics } from '../lib/kafka/index.js';
import type { ProducerConfig } from './config.js';

/** The topics this producer writes and reads: its topic and its control topic. */
export function ownTopicSpecs(config: Pick<ProducerConfig, 'topic' | 'controlTopic'>): TopicSpec[] {
  const layout = topicSpecs(config);
  return [config.topic, config.controlTopic].map(
    (topic) => layout.find((s) => s.topic === topic) ?? { topic, numPartitions: 1 },
  );
}

/** The pipeline's topics, plus this producer's own topic and control topic when they are others. */
export function topicSpecs(config: Pick<ProducerConfig, 'topic' | 'controlTopic'>): TopicSpec[] {
  const specs = [...DEFAULT_TOPIC_SPECS];
  if (!specs.some((s) => s.topic === config.topic)) specs.push({ topic: config.topic, numPartitions: 6 });
  if (!specs.some((s) => s.topic === config.controlTopic)) {
    specs.push({ topic: config.controlTopic, numPartitions: 1, compacted: true });
  }
  return specs;
}

export async function ensureProducerTopics(kafka: Kafka, config: ProducerConfig): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    // On a secured broker the producer may create only its own topics; the admin lays out the rest.
    await ensureOwnTopics(admin, ownTopicSpecs(config), topicSpecs(config));
  } catch (err) {
    throw err instanceof EtlError
      ? err
      : new EtlError('KAFKA_ERROR', `cannot reach Kafka: ${(err as Error).message}`, {
          retriable: true,
          hint: 'is the stack running (make up)? check KAFKA_BROKERS',
          cause: err,
        });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
