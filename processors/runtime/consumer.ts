/**
 * The consumer of a stage (runner.ts, top-skus/merge-runner.ts). Both stages need the same
 * exactly-once settings and the same lifecycle (assignment, crash, subscribe, manual resolve and
 * commit), so they live here once and the two stages cannot drift apart.
 */
import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka } from '../../lib/kafka/index.js';
import type { Logger } from '../../lib/logger.js';
import type { ProcessorConfig } from './config.js';

export interface StageConsumerSpec {
  groupId: string;
  topic: string;
  /** Partitions processed at once. */
  concurrency: number;
  /** Fetch bounds beyond the shared settings; unset ones keep kafkajs' defaults. */
  fetch?: Pick<ConsumerConfig, 'maxBytesPerPartition' | 'maxBytes'>;
  /** Logged when the consumer crashes. */
  crashMessage: string;
  onJoin(assignment: Record<string, number[]>): void;
  /** The error that stopped the consumer, or undefined when kafkajs restarts it itself. */
  onCrash(err: Error | undefined): void;
  eachBatch(payload: EachBatchPayload): Promise<void>;
}

/**
 * Creates the consumer without connecting it: the caller keeps it before `runStageConsumer` so that
 * a stop during the start still disconnects it.
 */
export function createStageConsumer(kafka: Kafka, cfg: ProcessorConfig, spec: StageConsumerSpec): Consumer {
  return kafka.consumer({
    groupId: spec.groupId,
    // Only committed transactions: aborted output of a fenced task must not be read.
    readUncommitted: false,
    ...spec.fetch,
    // An empty fetch waits this long at the broker: an idle consumer polls rarely, data still
    // returns at once (minBytes 1).
    maxWaitTimeInMs: cfg.fetchMaxWaitMs,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
  });
}

/** Wires the events, connects, subscribes from the beginning and runs with manual offsets. */
export async function runStageConsumer(
  consumer: Consumer,
  spec: StageConsumerSpec,
  logger: Logger,
): Promise<void> {
  consumer.on(consumer.events.GROUP_JOIN, (e) => spec.onJoin(e.payload.memberAssignment));
  consumer.on(consumer.events.CRASH, (e) => {
    logger.error(spec.crashMessage, { err: e.payload.error, restart: e.payload.restart });
    spec.onCrash(e.payload.restart ? undefined : e.payload.error);
  });
  await consumer.connect();
  await consumer.subscribe({ topic: spec.topic, fromBeginning: true });
  await consumer.run({
    // Offsets are committed by `sendOffsets` inside each task's transaction, nowhere else.
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: spec.concurrency,
    eachBatch: (payload) => spec.eachBatch(payload),
  });
}
