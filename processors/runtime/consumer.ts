/**
 * The consumer of a stage (runner.ts, top-skus/merge-runner.ts). Both stages need the same
 * exactly-once settings, the same lifecycle (assignment, crash, subscribe, manual resolve and
 * commit) and the same readiness rule, so they live here once and the stages cannot drift apart.
 */
import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka } from '../../lib/kafka/index.js';
import { kafkaError, withCoordinatorAnswer } from '../../lib/kafka/index.js';
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
  /** Called on every group join, after the stage has been marked as joined. */
  onJoin(assignment: Record<string, number[]>): void;
  eachBatch(payload: EachBatchPayload): Promise<void>;
  /**
   * A fetch whose records were all filtered out (aborted transactions, commit markers): kafkajs
   * moves its position past them without calling eachBatch; `next` is the offset after them.
   */
  onFiltered?(topic: string, partition: number, next: number): void;
}

export class StageConsumer {
  /** Set before connecting, so that a stop during the start still disconnects it. */
  consumer: Consumer | undefined;
  private joined = false;
  private crashed: Error | undefined;
  private failFatal!: (err: unknown) => void;
  /**
   * Rejects when kafkajs gives the consumer up (a crash it does not restart: a final broker answer
   * such as GROUP_AUTHORIZATION_FAILED), as KAFKA_ERROR with the broker's type: the process exits.
   */
  readonly failed: Promise<never>;

  constructor(
    private readonly kafka: Kafka,
    private readonly cfg: ProcessorConfig,
    private readonly logger: Logger,
  ) {
    this.failed = new Promise<never>((_, reject) => (this.failFatal = reject));
    this.failed.catch(() => undefined);
  }

  /** Joined its group once and not crashed for good (kafkajs restarts clear a crash). */
  ready(): boolean {
    return this.joined && this.crashed === undefined;
  }

  async start(spec: StageConsumerSpec): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: spec.groupId,
      // Only committed transactions: aborted output of a fenced task must not be read.
      readUncommitted: false,
      ...spec.fetch,
      // An empty fetch waits this long at the broker: an idle consumer polls rarely, data still
      // returns at once (minBytes 1).
      maxWaitTimeInMs: this.cfg.fetchMaxWaitMs,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.joined = true;
      spec.onJoin(e.payload.memberAssignment);
    });
    const onFiltered = spec.onFiltered;
    if (onFiltered)
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        const p = e.payload;
        if (p.batchSize === 0 && p.firstOffset !== null)
          onFiltered(p.topic, p.partition, Number(p.lastOffset) + 1);
      });
    consumer.on(consumer.events.CRASH, (e) => {
      this.crashed = e.payload.error;
      this.logger.error(spec.crashMessage, { err: e.payload.error, restart: e.payload.restart });
      if (e.payload.restart) this.crashed = undefined;
      else
        // kafkajs hides a denied group behind "Failed to find group coordinator": ask the broker why.
        void withCoordinatorAnswer(this.kafka, spec.groupId, e.payload.error).then((err) =>
          this.failFatal(
            kafkaError(`${spec.crashMessage} (group ${spec.groupId}, topic ${spec.topic})`, err),
          ),
        );
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

  async disconnect(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/**
 * Wait for `work` (a task being restored) inside a batch handler, heartbeating the group every
 * `everyMs` meanwhile: a restore that takes longer than the session timeout must not cost the
 * member its assignment.
 */
export async function awaitWithHeartbeat<T>(
  work: Promise<T>,
  heartbeat: () => Promise<void>,
  everyMs = 3_000,
): Promise<T> {
  const pending = Symbol('pending');
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<typeof pending>((r) => (timer = setTimeout(r, everyMs, pending)));
    const result = await Promise.race([work, tick]).finally(() => clearTimeout(timer));
    if (result !== pending) return result as T;
    await heartbeat();
  }
}
