/**
 * The one batching consumer loop every sink runs on — the raw sinks (Avro sale events of one
 * topic) and the aggregate sink (JSON aggregate records of three topics) alike. kafkajs consumer
 * group, `read_committed`, eachBatch with manual offset resolution, decoding through the sink's
 * RowDecoder, dead letters, flush on size or time, backpressure, and a graceful stop that flushes
 * before leaving the group.
 *
 * Positions: the sink's durable state is the truth (ResumePlan). On every assignment the loop
 * asks the sink where each topic-partition resumes and seeks there; records below that position
 * are skipped, and if the first fetched record is above it the loop seeks back once. The group's
 * committed offsets in Kafka are written after each batch (for lag monitoring; ClickHouse targets
 * resume from them). Records a `read_committed` consumer never sees (transaction markers, aborted
 * records) still move the stored position, so a caught-up sink stores each partition's high
 * watermark (on a topic without transactions there are none and this does nothing).
 *
 * Backpressure: one flush runs at a time while the next batch fills; when the next batch is full
 * too, eachBatch waits for the flush (kafkajs fetches no more meanwhile) and keeps heartbeating,
 * so a slow target pauses fetching instead of growing memory or starving the group.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from '../../../lib/kafka/index.js';
import { EtlError, isEtlError } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/logger.js';
import { BatchBuffer, tpKey } from '../batch-buffer.js';
import type { PartitionCursor, TakenBatch } from '../batch-buffer.js';
import type { LoopConfig } from '../config.js';
import type { Sink, SinkRow } from '../contract.js';
import type { DlqReason } from '../../../lib/contracts/dlq.js';
import { DLQ_HEADERS, headerString } from '../../../lib/contracts/dlq.js';
import type { DeadLetter } from '../../../lib/contracts/dlq.js';
import { DlqWriter } from '../dlq/writer.js';
import type { SinkMetrics } from '../metrics.js';
import { killNow } from '../faults.js';
import type { Faults } from '../faults.js';

/** A Kafka record turned into a row, or the reason it is a dead letter. */
export type DecodedRow<Row> = { ok: true; row: Row } | { ok: false; reason: DlqReason; detail: string };

/** What a sink's records are: the one thing the loop's users differ in. */
export interface RowDecoder<Row extends { kafkaTimestamp: number }> {
  /**
   * Async work once per fetched batch, before `decode` (Avro: fetch writer schemas not seen yet).
   * A retriable error is retried like a failed write.
   */
  prepare?(messages: KafkaMessage[]): Promise<void>;
  /** Synchronous: the row of the record at `offset`, or why it is a dead letter. */
  decode(topic: string, partition: number, offset: number, message: KafkaMessage): DecodedRow<Row>;
  /** The row's event time (ms) for `event_to_row_seconds{from="event"}`; absent = not observed. */
  eventTime?(row: Row): number;
}

export type LoopSettings = Pick<
  LoopConfig,
  'dlqTopic' | 'maxBatchRows' | 'maxWaitMs' | 'fromBeginning' | 'sessionTimeoutMs' | 'writeRetryMaxMs'
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
  /** Fault injection for the crash tests (sinks/faults.ts); never set in production. */
  faults?: Partial<Faults>;
}

interface PartitionState extends PartitionCursor {
  generation: number;
  /** The first fetched record was checked against the position (seek back at most once). */
  checked: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class SinkLoop<Row extends { kafkaTimestamp: number } = SinkRow> {
  private consumer: Consumer | undefined;
  private readonly dlq: DlqWriter;
  private readonly buffer = new BatchBuffer<Row>();
  private readonly states = new Map<string, Promise<PartitionState>>();
  /** The same states once loaded, for synchronous reads (pinned partitions, the batch-end hook). */
  private readonly loaded = new Map<string, PartitionState>();
  private generation = 0;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private healthy = false;
  private writes = 0;
  private heartbeat: (() => Promise<void>) | undefined;
  private failFatal!: (err: unknown) => void;
  /** Rejects when the loop hits an error it must not survive (non-retriable write error). */
  readonly failed: Promise<never>;

  constructor(private readonly deps: LoopDeps<Row>) {
    this.dlq = new DlqWriter(deps.kafka, deps.config.dlqTopic, deps.sink.name);
    this.failed = new Promise<never>((_, reject) => (this.failFatal = reject));
    this.failed.catch(() => undefined);
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
      maxWaitTimeInMs: Math.min(500, config.maxWaitMs),
      // Only committed transactions: an aborted update (a killed or fenced processor) never reaches a table.
      readUncommitted: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.onJoin(e.payload.memberAssignment));
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) this.failFatal(e.payload.error);
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => this.onBatchEnd(e.payload));
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: config.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    this.healthy = true;
    this.timer = setInterval(
      () => this.tick(),
      Math.max(10, Math.min(100, Math.floor(config.maxWaitMs / 4))),
    );
    logger.info('sink loop started', { group: config.groupId, topics });
  }

  async ready(): Promise<boolean> {
    return this.healthy && !this.stopping && (await this.deps.sink.ready());
  }

  /** Graceful stop: no new records, flush what is buffered, commit, leave the group. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.inFlight?.catch(() => undefined);
    await this.flushNow().catch((err: unknown) => this.deps.logger.error('final flush failed', { err }));
    await this.consumer?.disconnect().catch(() => undefined);
    await this.dlq.close().catch(() => undefined);
    await this.deps.sink.close();
    this.deps.logger.info('sink loop stopped');
  }

  private onJoin(assignment: Record<string, number[]>): void {
    this.generation++;
    if (this.stopping) return;
    // Whatever is buffered may be fetched again from other positions: forget it and ask the sink.
    this.buffer.dropAll();
    this.states.clear();
    this.loaded.clear();
    this.deps.logger.info('partitions assigned', { assignment, generation: this.generation });
    for (const topic of this.deps.topics) {
      for (const p of assignment[topic] ?? []) {
        this.partitionState(topic, p).catch((err: unknown) => {
          if (!this.stopping)
            this.deps.logger.warn('could not load the stored position', { topic, partition: p, err });
        });
      }
    }
  }

  /** The topic-partition's position for the current generation, read from the sink once. */
  private partitionState(topic: string, partition: number): Promise<PartitionState> {
    const k = tpKey(topic, partition);
    let state = this.states.get(k);
    if (!state) {
      state = this.loadPartition(topic, partition);
      this.states.set(k, state);
      state.then(
        (s) => {
          if (this.states.get(k) === state) this.loaded.set(k, s);
        },
        () => this.states.delete(k),
      );
    }
    return state;
  }

  private async loadPartition(topic: string, partition: number): Promise<PartitionState> {
    const { config, sink, kafka } = this.deps;
    const generation = this.generation;
    // A flush in flight may be moving this partition's stored position right now.
    await this.inFlight?.catch(() => undefined);
    const admin = kafka.admin();
    let committed: number | undefined;
    try {
      await admin.connect();
      const offsets = await admin.fetchOffsets({ groupId: config.groupId, topics: [topic] });
      const c = Number(offsets[0]?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
      committed = c >= 0 ? c : undefined;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const plan = await this.retry(`resume position of ${topic}[${partition}]`, () =>
      sink.resume(topic, partition, committed),
    );
    const next = plan.next ?? committed;
    if (next !== undefined && generation === this.generation) {
      this.consumer?.seek({ topic, partition, offset: String(next) });
    }
    this.deps.logger.info('partition position', {
      topic,
      partition,
      next,
      committed,
      cuts: plan.cuts.length,
    });
    return { next: next ?? -1, cuts: [...plan.cuts], generation, checked: next === undefined };
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { metrics, sink, config, decoder } = this.deps;
    this.heartbeat = heartbeat;
    if (this.stopping || batch.messages.length === 0) return;
    const { topic, partition } = batch;
    if (!this.deps.topics.includes(topic)) return;
    const state = await this.partitionState(topic, partition);
    if (state.generation !== this.generation) return;
    if (decoder.prepare) {
      const prepare = decoder.prepare.bind(decoder);
      await this.retry('prepare batch (fetch writer schemas)', () => prepare(batch.messages));
    }
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.stopping || state.generation !== this.generation) return;
      const offset = Number(message.offset);
      if (state.next < 0) state.next = offset;
      if (offset < state.next) {
        metrics.skipped.inc({ sink: sink.name });
        resolveOffset(message.offset);
        continue;
      }
      if (offset > state.next && !state.checked) {
        // Fetched from a position other than the stored one (kafkajs' own position, or the
        // group's committed offset): go back once. A second gap is real (transaction markers,
        // compaction, retention).
        state.checked = true;
        this.deps.logger.info('seeking back to the stored position', {
          topic,
          partition,
          from: offset,
          to: state.next,
        });
        this.consumer?.seek({ topic, partition, offset: String(state.next) });
        return;
      }
      state.checked = true;
      const decoded = decoder.decode(topic, partition, offset, message);
      if (decoded.ok) {
        this.buffer.append(topic, partition, state, offset, decoded.row);
      } else {
        const dead: DeadLetter = {
          topic,
          partition,
          offset,
          timestamp: Number(message.timestamp),
          key: message.key ?? null,
          value: message.value,
          headers: message.headers ?? {},
          reason: decoded.reason,
          detail: decoded.detail,
        };
        this.buffer.append(topic, partition, state, offset, undefined, dead);
      }
      resolveOffset(message.offset);
      if (this.buffer.rows >= config.maxBatchRows) {
        // Full: hand it to the flush, waiting for the previous one first (backpressure).
        const waited = Date.now();
        while (this.inFlight) await this.inFlight;
        this.startFlush();
        metrics.backpressureSeconds.inc({ sink: sink.name }, (Date.now() - waited) / 1000);
      }
    }
    // Trailing records the consumer filtered out (a transaction's commit marker) are covered too.
    const last = Number(batch.lastOffset());
    if (last >= state.next && state.generation === this.generation && !this.stopping)
      this.buffer.append(topic, partition, state, last, undefined);
    metrics.bufferedRows.set({ sink: sink.name }, this.buffer.rows);
    await heartbeat();
  }

  /**
   * kafkajs does not call eachBatch for a fetch whose records were all filtered out (only a
   * transaction marker, or aborted records) but reports its offsets here. Advance over them only
   * when the fetch provably starts at or before the stored position (a contiguous slice of the log).
   */
  private onBatchEnd(p: {
    topic: string;
    partition: number;
    batchSize: number;
    firstOffset: string | null;
    lastOffset: string;
  }): void {
    if (p.batchSize !== 0 || p.firstOffset === null || this.stopping) return;
    const state = this.loaded.get(tpKey(p.topic, p.partition));
    if (!state || state.generation !== this.generation || state.next < 0) return;
    const first = Number(p.firstOffset);
    const last = Number(p.lastOffset);
    if (first <= state.next && last >= state.next) {
      state.checked = true;
      this.buffer.append(p.topic, p.partition, state, last, undefined);
    }
  }

  private tick(): void {
    if (this.stopping || this.inFlight || this.buffer.isEmpty()) return;
    if (this.buffer.age() >= this.deps.config.maxWaitMs) this.startFlush();
  }

  /**
   * Hand the buffer to a flush unless one is running (one at a time); the next batch fills
   * meanwhile. Returns the flush in flight, if any.
   */
  private startFlush(): Promise<void> | undefined {
    if (this.inFlight || this.buffer.isEmpty()) return this.inFlight;
    const pinned = this.pinned();
    if (this.buffer.takeableRows(pinned) === 0 && this.buffer.isEmptyExcept(pinned)) return undefined;
    const taken = this.buffer.take(pinned);
    this.deps.metrics.bufferedRows.set({ sink: this.deps.sink.name }, 0);
    // Keep the group membership alive while a slow flush blocks eachBatch.
    const beat = setInterval(() => {
      this.heartbeat?.().catch(() => undefined);
    }, 2000);
    const flight = this.write(taken)
      .catch((err: unknown) => {
        this.failFatal(err);
        throw err;
      })
      .finally(() => {
        clearInterval(beat);
        this.inFlight = undefined;
      });
    flight.catch(() => undefined);
    this.inFlight = flight;
    return flight;
  }

  /** Topic-partitions with a forced cut still ahead (their open segment must not be cut early). */
  private pinned(): Set<string> {
    const out = new Set<string>();
    for (const [k, s] of this.loaded) if (s.cuts.length > 0) out.add(k);
    return out;
  }

  /** Wait for the flush in flight, then flush what is buffered and wait for that too. */
  private async flushNow(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    await this.startFlush();
  }

  private async write(taken: TakenBatch<Row>): Promise<void> {
    const { sink, metrics, logger, decoder } = this.deps;
    const started = Date.now();
    const dead = dedupeDead(taken.dead);
    await this.retry('write dead letters', () => this.dlq.send(dead));
    for (const d of dead) {
      metrics.dlq.inc({ sink: sink.name, reason: d.reason });
      logger.warn('dead letter', {
        reason: d.reason,
        detail: d.detail,
        topic: d.topic,
        partition: d.partition,
        offset: d.offset,
        replayed: headerString(d.headers, DLQ_HEADERS.replayCount),
      });
    }
    const result = await this.retry('write batch', () => sink.writeBatch(taken.batch));
    this.writes++;
    const kill = this.deps.faults?.killAfterWrites;
    if (kill !== undefined && this.writes >= kill)
      killNow(`after write ${this.writes}, before its Kafka commit`);
    const fenced = new Set(result.fenced.map((f) => tpKey(f.topic, f.partition)));
    for (const f of result.fenced) {
      metrics.fenced.inc({ sink: sink.name });
      this.buffer.drop(f.topic, f.partition);
      this.states.delete(tpKey(f.topic, f.partition));
      this.loaded.delete(tpKey(f.topic, f.partition));
      logger.warn('partition fenced: another instance wrote it first; reloading its position', {
        topic: f.topic,
        partition: f.partition,
      });
    }
    const now = Date.now();
    const commits = new Map<string, { topic: string; partition: number; offset: string }>();
    let rows = 0;
    for (const seg of taken.batch.segments) {
      const k = tpKey(seg.topic, seg.partition);
      if (fenced.has(k)) continue;
      commits.set(k, { topic: seg.topic, partition: seg.partition, offset: String(seg.last + 1) });
      rows += seg.rows.length;
      for (const r of seg.rows) {
        if (decoder.eventTime)
          metrics.eventToRow.observe(
            { sink: sink.name, from: 'event' },
            Math.max(0, now - decoder.eventTime(r)) / 1000,
          );
        metrics.eventToRow.observe(
          { sink: sink.name, from: 'ingest' },
          Math.max(0, now - r.kafkaTimestamp) / 1000,
        );
      }
    }
    metrics.rowsWritten.inc({ sink: sink.name }, rows);
    metrics.batchRows.observe({ sink: sink.name }, rows);
    metrics.flushSeconds.observe({ sink: sink.name }, (now - started) / 1000);
    if (commits.size > 0) {
      // Lag and tooling; Postgres resumes from its own stored positions, ClickHouse from these.
      await this.consumer
        ?.commitOffsets([...commits.values()])
        .catch((err: unknown) => logger.warn('Kafka offset commit failed', { err }));
    }
  }

  /** Retry retriable errors forever with capped exponential back-off; rethrow the others. */
  private async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const { metrics, sink, logger, config } = this.deps;
    let delay = 100;
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await fn();
        if (attempt > 1) logger.info('recovered', { what, attempts: attempt });
        this.healthy = true;
        return out;
      } catch (err) {
        const retriable = isEtlError(err) ? err.retriable : false;
        if (!retriable || this.stopping) {
          throw isEtlError(err)
            ? err
            : new EtlError('INVALID_ARGUMENT', `${what} failed: ${(err as Error).message}`, { cause: err });
        }
        this.healthy = false;
        metrics.writeRetries.inc({ sink: sink.name });
        logger.warn('retrying', { what, attempt, delayMs: delay, err });
        await sleep(delay);
        this.heartbeat?.().catch(() => undefined);
        delay = Math.min(config.writeRetryMaxMs, delay * 2);
      }
    }
  }
}

/** A record fetched twice in one batch (seek back) is dead-lettered once. */
function dedupeDead(dead: DeadLetter[]): DeadLetter[] {
  const seen = new Set<string>();
  return dead.filter((d) => {
    const k = `${tpKey(d.topic, d.partition)}:${d.offset}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
