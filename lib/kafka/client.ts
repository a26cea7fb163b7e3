/**
 * Kafka clients for every process: one place that applies KAFKA_BROKERS, the transport security
 * settings (KAFKA_SECURITY_*: TLS, SCRAM, mutual TLS) and maps kafkajs' logs onto ours, so the
 * client library can be measured or swapped without touching the stages.
 */
import type { KafkaConfig, logCreator } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBrokers, kafkaSecurityConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import { createLogger } from '../logger.js';
import { applyRequestQueueFix } from './request-queue-fix.js';
import { describeKafkaSecurity, kafkaSecurityOptions } from './security.js';

applyRequestQueueFix();

function kafkajsLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...rest } = log;
      // kafkajs logs every retry at ERROR; they are warnings until the retries run out.
      if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(message, rest);
      else if (level === logLevel.INFO) logger.debug(message, rest);
    };
}

/**
 * The client every stage uses: brokers from KAFKA_BROKERS, TLS/SASL from KAFKA_SECURITY_*, logs
 * through our logger, patient retries. `options` win (a test's own broker and credentials).
 */
export function createKafka(clientId: string, options: Partial<KafkaConfig> = {}): Kafka {
  const logger = createLogger(`kafkajs:${clientId}`);
  const security = kafkaSecurityConfig();
  logger.debug('kafka client', { security: describeKafkaSecurity(security) });
  return new Kafka({
    clientId,
    brokers: kafkaBrokers(),
    ...kafkaSecurityOptions(security),
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator(logger),
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    ...options,
  });
}

/**
 * A client for probes (health checks, tests of a broker of their own): given brokers, silent, and
 * with the caller's retries — a probe wants a quick answer, not kafkajs' retry warnings. No
 * security settings from the environment: a probe of a secured broker passes `ssl`/`sasl` itself.
 */
export function createQuietKafka(brokers: string[], options: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({ brokers, logLevel: logLevel.NOTHING, ...options });
}
