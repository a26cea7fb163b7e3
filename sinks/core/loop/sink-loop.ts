/**
 * The one batching consumer loop every sink runs on — the raw sinks (Avro sale events of one
 * topic) and the aggregate sink (JSON aggregate records of three topics) alike: a kafkajs
 * consumer group, `read_committed`, eachBatch with manual offset resolution, a graceful stop that
 * flushes before leaving the group. It wires the parts that each do one job:
 *   positions.ts  assignment and resume: the sink's stored position is the truth, seek there;
 *   fetch.ts      fetched records → skip / seek back / decode → buffer, backpressure when full;
 *   flush.ts      one flush at a time: dead letters, the sink's write, fencing, metrics, commit;
 *   ../retry.ts   retriable failures retried with capped back-off (../refusal.ts: what is retried);
 *   ../split.ts   a batch the target refuses split until the refused records are dead-lettered.
 * Backpressure: when the next batch is full too, eachBatch waits for the flush (kafkajs fetches no
 * more meanwhile) and keeps heartbeating, so a slow target pauses fetching instead of growing
 * memory or starving the group.
 */
import type { Consumer, EachBatchPayload, Kafka } from '../../../lib/kafka/index.js';
import type { Logger } from '../../../lib/logger.js';
import { BatchBuffer } from '../batch-buffer.js';
import type { LoopConfig } from '../config.js';
import type { RowDecoder, Sink, SinkRow } from '../contract.js';
import { DlqWriter } from '../dlq/writer.js';
import type { Faults } from '../faults.js';
import type { SinkMetrics } from '../metrics.js';
import { retryRetriable } from '../retry.js';
import { coverFiltered, intake } from './fetch.js';
import { Flusher } from './flush.js';
import { PartitionPositions } from './positions.js';

export type LoopSettings = Pick<
  LoopConfig,
  | 'dlqTopic'
  | 'maxBatchRows'
  | 'maxWaitMs'
  | 'fromBeginning'
  | 'sessionTimeoutMs'
  | 'writeRetryMaxMs'
  | 'refusedRetryAttempts'
  | 'stuckAfterMs'
  | 'fetchMaxWaitMs'
> & { groupId: string };

export interface LoopDeps<Row extends { kafkaTimestamp: number } = SinkRow> {
  sink: Sink<Row>;
  kafka: Kafka;
  /** The topics to consume (one for the raw sinks, three for the aggregate sink). */
  topics: string[];
  decoder: RowDecoder<Row>;
  config: LoopSettings;
  metrics: SinkMetrics;
  logger: Logger;
  /** Fault injection for the crash tests (sinks/core/faults.ts); never set in production. */
  faults?: Partial<Faults>;
}

export class SinkLoop<Row extends { kafkaTimestamp: number } = SinkRow> {
  private consumer: Consumer | undefined;
  private readonly dlq: DlqWriter;
  private readonly buffer = new BatchBuffer<Row>();
  private readonly positions: PartitionPositions;
  private readonly flusher: Flusher<Row>;
  /** The flush timer: armed only while rows are buffered (an idle sink does not wake for it). */
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private healthy = false;
  /** Between connecting and the first assignment: what /readyz says meanwhile. */
  private joining = false;
  private heartbeat: (() => Promise<void>) | undefined;
  private failFatal!: (err: unknown) => void;
  /** Retry calls (by a per-call token) failing for longer than stuckAfterMs. */
  private readonly stuck = new Set<symbol>();
  /** Rejects when the loop hits an error it must not survive (non-retriable write error). */
  readonly failed: Promise<never>;

  constructor(private readonly deps: LoopDeps<Row>) {
    const { kafka, config, sink, metrics, logger, decoder } = deps;
    this.dlq = new DlqWriter(kafka, config.dlqTopic, sink.name);
    this.failed = new Promise<never>((_, reject) => (this.failFatal = reject));
    this.failed.catch(() => undefined);
    this.positions = new PartitionPositions(
      {
        committed: (topic, partition) => this.committedOffset(topic, partition),
        resume: (topic, partition, committed) =>
          this.retry(`resume position of ${topic}[${partition}]`, () =>
            sink.resume(topic, partition, committed),
          ),
        seek: (topic, partition, offset) => this.consumer?.seek({ topic, partition, offset: String(offset) }),
        settled: () => this.flusher.settled(),
      },
      logger,
    );
    this.flusher = new Flusher<Row>({
      sink,
      buffer: this.buffer,
      dlq: this.dlq,
      decoder,
      metrics,
      logger,
      retry: (what, fn, bounded) => this.retry(what, fn, bounded),
      pinned: () => this.positions.pinned(),
      fenced: (tp) => this.positions.forget(tp.topic, tp.partition),
      commit: async (offsets) => {
        await this.consumer?.commitOffsets(offsets);
      },
      fatal: (err) => this.failFatal(err),
      heartbeat: () => this.beat(),
      killAfterWrites: deps.faults?.killAfterWrites,
    });
  }

  get topics(): string[] {
    return [...this.deps.topics];
  }

  async start(): Promise<void> {
    const { config, kafka, sink, logger, topics } = this.deps;
    await sink.open();
    await this.dlq.open();
    const consumer = kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: Math.max(1000, Math.floor(config.sessionTimeoutMs / 10)),
      rebalanceTimeout: Math.max(60_000, config.sessionTimeoutMs * 2),
      maxBytesPerPartition: 4 * 1024 * 1024,
      // kafkajs heartbeats between fetches: an empty fetch must end well within the session.
      maxWaitTimeInMs: Math.min(config.fetchMaxWaitMs, Math.floor(config.sessionTimeoutMs / 3)),
      // Only committed transactions: an aborted update (a killed or fenced processor) never reaches a table.
      readUncommitted: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.onJoin(e.payload.memberAssignment));
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) this.failFatal(e.payload.error);
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => this.onBatchEnd(e.payload));
    this.joining = true;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...topics], fromBeginning: config.fromBeginning });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    } finally {
      this.joining = false;
    }
    this.healthy = true;
    logger.info('sink loop started', { group: config.groupId, topics });
  }

  async ready(): Promise<boolean> {
    return this.healthy && !this.stopping && (await this.deps.sink.ready());
  }

  /**
   * Why it is not ready: `joining consumer group <group>` until the first assignment (which waits
   * for a member that died without leaving: stack/start-progress.ts), else `not ready`.
   */
  status(): string {
    return this.joining ? `joining consumer group ${this.deps.config.groupId}` : 'not ready';
  }

  /** Graceful stop: no new records, flush what is buffered, commit, leave the group. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flusher.settled();
    await this.flusher.drain().catch((err: unknown) => this.deps.logger.error('final flush failed', { err }));
    await this.consumer?.disconnect().catch(() => undefined);
    await this.dlq.close().catch(() => undefined);
    await this.deps.sink.close();
    this.deps.logger.info('sink loop stopped');
  }

  private onJoin(assignment: Record<string, number[]>): void {
    const generation = this.positions.nextGeneration();
    if (this.stopping) return;
    // Whatever is buffered may be fetched again from other positions: forget it and ask the sink.
    this.buffer.dropAll();
    this.deps.logger.info('partitions assigned', { assignment, generation });
    this.positions.assign(assignment, this.deps.topics, () => this.stopping);
  }

  private async committedOffset(topic: string, partition: number): Promise<number | undefined> {
    const admin = this.deps.kafka.admin();
    try {
      await admin.connect();
      const offsets = await admin.fetchOffsets({ groupId: this.deps.config.groupId, topics: [topic] });
      const c = Number(offsets[0]?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
      return c >= 0 ? c : undefined;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { metrics, sink, config, decoder, logger } = this.deps;
    this.heartbeat = heartbeat;
    if (this.stopping || batch.messages.length === 0) return;
    const { topic, partition } = batch;
    if (!this.deps.topics.includes(topic)) return;
    const state = await this.positions.get(topic, partition);
    if (!this.positions.isCurrent(state)) return;
    if (decoder.prepare) {
      const prepare = decoder.prepare.bind(decoder);
      await this.retry('prepare batch (fetch writer schemas)', () => prepare(batch.messages));
    }
    const assigned = () => this.positions.isCurrent(state) && !this.stopping;
    const completed = await intake(
      { topic, partition, messages: batch.messages, lastOffset: Number(batch.lastOffset()) },
      state,
      { buffer: this.buffer, decoder, maxBatchRows: config.maxBatchRows, logger },
      {
        live: () => isRunning() && !isStale() && assigned(),
        assigned,
        seek: (offset) => this.consumer?.seek({ topic, partition, offset: String(offset) }),
        resolve: (offset) => resolveOffset(offset),
        skipped: () => metrics.skipped.inc({ sink: sink.name }),
        full: () => this.flusher.whenFull(),
      },
    );
    this.armTimer();
    if (!completed) return;
    metrics.bufferedRows.set({ sink: sink.name }, this.buffer.rows);
    await heartbeat();
  }

  /** A fetch kafkajs filtered out entirely (fetch.ts coverFiltered). */
  private onBatchEnd(p: {
    topic: string;
    partition: number;
    batchSize: number;
    firstOffset: string | null;
    lastOffset: string;
  }): void {
    if (p.batchSize !== 0 || p.firstOffset === null || this.stopping) return;
    const state = this.positions.current(p.topic, p.partition);
    if (state) {
      coverFiltered(this.buffer, p.topic, p.partition, state, Number(p.firstOffset), Number(p.lastOffset));
      this.armTimer();
    }
  }

  private tick(): void {
    if (this.stopping || this.flusher.busy || this.buffer.isEmpty()) return;
    if (this.buffer.age() >= this.deps.config.maxWaitMs) this.flusher.start();
  }

  /**
   * Arm the flush timer for when the oldest buffered row is due (maxWaitMs), if rows are buffered
   * and it is not armed. It re-arms itself while rows stay buffered (a flush in flight, rows of a
   * pinned partition), checking at most every `tickMs`; with nothing buffered it stays off, so an
   * idle sink is not woken 10 times a second for nothing (it used to tick every 100 ms regardless).
   */
  private armTimer(): void {
    if (this.timer !== undefined || this.stopping || this.buffer.isEmpty()) return;
    const { maxWaitMs } = this.deps.config;
    const tickMs = Math.max(10, Math.min(100, Math.floor(maxWaitMs / 4)));
    const dueMs = Math.max(tickMs, maxWaitMs - this.buffer.age());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
      this.armTimer();
    }, dueMs);
  }

  private beat(): void {
    this.heartbeat?.().catch(() => undefined);
  }

  private retry<T>(what: string, fn: () => Promise<T>, bounded = false): Promise<T> {
    const { metrics, sink, logger, config } = this.deps;
    const call = Symbol(what);
    const unstick = () => {
      if (this.stuck.delete(call)) metrics.stuck.set({ sink: sink.name }, this.stuck.size > 0 ? 1 : 0);
    };
    return retryRetriable(what, fn, {
      maxDelayMs: config.writeRetryMaxMs,
      maxTransientAttempts: bounded ? config.refusedRetryAttempts : undefined,
      stopping: () => this.stopping,
      onSuccess: (w, attempts) => {
        if (attempts > 1) logger.info('recovered', { what: w, attempts });
        this.healthy = true;
      },
      onRetry: (w, attempt, delayMs, err, failingForMs) => {
        this.healthy = false;
        metrics.writeRetries.inc({ sink: sink.name });
        logger.warn('retrying', { what: w, attempt, delayMs, err });
        if (failingForMs >= config.stuckAfterMs && !this.stuck.has(call)) {
          // A refusal that is not transient after all, or a target down for long: alert, keep trying.
          this.stuck.add(call);
          metrics.stuck.set({ sink: sink.name }, 1);
          logger.error('sink stuck: one call has been retried without success', {
            what: w,
            attempts: attempt,
            failingForMs,
            err,
          });
        }
      },
      onEnd: unstick,
      afterWait: () => this.beat(),
    });
  }
}
