/**
 * Kafka clients for every process: one place that reads KAFKA_BROKERS, maps kafkajs' logs onto
 * ours and creates topics (the broker has auto-creation off: topics are made on purpose).
 */
import type { Admin, KafkaConfig, logCreator } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import { EtlError } from './errors.js';
import type { Logger } from './logger.js';
import { createLogger } from './logger.js';
import type { TopicSpec } from './topics.js';

export const DEFAULT_BROKERS = '127.0.0.1:9092';

export function brokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env['KAFKA_BROKERS'] ?? DEFAULT_BROKERS)
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
}

function kafkajsLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...rest } = log;
      // kafkajs logs every retry at ERROR; they are warnings until the retries run out.
      if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(message, rest);
      else if (level === logLevel.INFO) logger.debug(message, rest);
    };
}

export function createKafka(clientId: string, options: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: brokersFromEnv(),
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator(createLogger(`kafkajs:${clientId}`)),
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    ...options,
  });
}

/** Create the topics that do not exist yet; existing topics are left as they are. */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        replicationFactor: 1,
        configEntries: Object.entries({
          ...(s.compacted ? { 'cleanup.policy': 'compact' } : {}),
          ...(s.configEntries ?? {}),
        }).map(([name, value]) => ({ name, value })),
      })),
    });
  } catch (err) {
    // Another process may have created the same topic a moment ago.
    if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') {
      throw new EtlError(
        'KAFKA_ERROR',
        `could not create topics ${missing.map((s) => s.topic).join(', ')}: ${(err as Error).message}`,
        {
          retriable: true,
          serverCode: (err as { type?: string }).type,
          cause: err,
        },
      );
    }
  }
  return missing.map((s) => s.topic);
}
