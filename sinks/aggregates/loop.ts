/**
 * The aggregate sink's consumer loop: one kafkajs consumer over the three aggregate topics,
 * `read_committed`, batching on size or time, one write at a time while the next batch fills.
 * It follows sinks/consumer-loop.ts step for step — the target's stored positions are the truth,
 * asked on every assignment and sought to; records below them are skipped; the group's Kafka
 * offsets are committed after each write for lag monitoring only — but parses aggregate records
 * (JSON) instead of decoding Avro sale events, and keeps positions per topic-partition.
 *
 * Records a `read_committed` consumer never sees (transaction markers, aborted records) still
 * move the stored position, so a caught-up sink stores each partition's high watermark.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { EtlError, isEtlError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { DlqWriter } from '../dlq/writer.js';
import type { DeadLetter } from '../dlq/headers.js';
import { killNow } from '../faults.js';
import type { Faults } from '../faults.js';
import { BatchBuffer, tpKey } from '../batch-buffer.js';
import type { PartitionCursor } from '../batch-buffer.js';
import { topicTables } from './config.js';
import type { AggregatesConfig, AggTable } from './config.js';
import type { AggRow, AggTarget, TakenAggBatch } from './contract.js';
import type { AggMetrics } from './metrics.js';
import { parseRecord } from './records.js';

export interface AggLoopDeps {
  target: AggTarget;
  kafka: Kafka;
  config: AggregatesConfig;
  metrics: AggMetrics;
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

export class AggregateLoop {
  private consumer: Consumer | undefined;
  private readonly dlq: DlqWriter;
  private readonly buffer = new BatchBuffer<AggRow>();
  private readonly tables: Map<string, AggTable>;
  private readonly states = new Map<string, Promise<PartitionState>>();
  /** The same states once loaded, for the synchronous batch-end hook. */
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

  constructor(private readonly deps: AggLoopDeps) {
    this.tables = topicTables(deps.config);
    this.dlq = new DlqWriter(deps.kafka, deps.config.dlqTopic, deps.target.name);
    this.failed = new Promise<never>((_, reject) => (this.failFatal = reject));
    this.failed.catch(() => undefined);
  }

  get topics(): string[] {
    return [...this.tables.keys()];
  }

  async start(): Promise<void> {
    const { config, kafka, target, logger } = this.deps;
    await target.open();
    await this.dlq.open();
    const consumer = kafka.consumer({
      groupId: config.groupId,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: Math.max(1000, Math.floor(config.sessionTimeoutMs / 10)),
      rebalanceTimeout: Math.max(60_000, config.sessionTimeoutMs * 2),
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxWaitTimeInMs: Math.min(500, config.maxWaitMs),
      // Only committed processor transactions: an aborted update never reaches a table.
      readUncommitted: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => this.onJoin(e.payload.memberAssignment));
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => this.onBatchEnd(e.payload));
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) this.failFatal(e.payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: config.fromBeginning });
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
    logger.info('aggregate sink loop started', { group: config.groupId, topics: this.topics });
  }

  async ready(): Promise<boolean> {
    return this.healthy && !this.stopping && (await this.deps.target.ready());
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
    await this.deps.target.close();
    this.deps.logger.info('aggregate sink loop stopped');
  }

  private onJoin(assignment: Record<string, number[]>): void {
    this.generation++;
    if (this.stopping) return;
    // Whatever is buffered may be fetched again from other positions: forget it, ask the target.
    this.buffer.dropAll();
    this.states.clear();
    this.loaded.clear();
    this.deps.logger.info('partitions assigned', { assignment, generation: this.generation });
    for (const topic of this.topics) {
      for (const p of assignment[topic] ?? []) {
        this.partitionState(topic, p).catch((err: unknown) => {
          if (!this.stopping)
            this.deps.logger.warn('could not load the stored position', { topic, partition: p, err });
        });
      }
    }
  }

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
    const { config, target, kafka } = this.deps;
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
      target.resume(topic, partition, committed),
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
    const { metrics, target, config } = this.deps;
    this.heartbeat = heartbeat;
    if (this.stopping || batch.messages.length === 0) return;
    const { topic, partition } = batch;
    const table = this.tables.get(topic);
    if (!table) return;
    const state = await this.partitionState(topic, partition);
    if (state.generation !== this.generation) return;
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.stopping || state.generation !== this.generation) return;
      const offset = Number(message.offset);
      if (state.next < 0) state.next = offset;
      if (offset < state.next) {
        metrics.skipped.inc({ sink: target.name });
        resolveOffset(message.offset);
        continue;
      }
      if (offset > state.next && !state.checked) {
        // Fetched from a position other than the stored one: go back once. A second gap is real
        // (transaction markers, compaction, retention).
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
      const timestamp = Number(message.timestamp);
      const parsed = parseRecord(table, message.key ?? null, message.value ?? null);
      if (parsed.ok) {
        this.buffer.append(topic, partition, state, offset, {
          record: parsed.record,
          offset,
          kafkaTimestamp: timestamp,
        });
      } else {
        const dead: DeadLetter = {
          topic,
          partition,
          offset,
          timestamp,
          key: message.key ?? null,
          value: message.value,
          headers: message.headers ?? {},
          reason: 'invalid_event',
          detail: parsed.detail,
        };
        this.buffer.append(topic, partition, state, offset, undefined, dead);
      }
      resolveOffset(message.offset);
      if (this.buffer.rows >= config.maxBatchRows) {
        const waited = Date.now();
        while (this.inFlight) await this.inFlight;
        this.startFlush();
        metrics.backpressureSeconds.inc({ sink: target.name }, (Date.now() - waited) / 1000);
      }
    }
    // Trailing records the consumer filtered out (the transaction's commit marker) are covered too.
    const last = Number(batch.lastOffset());
    if (last >= state.next && state.generation === this.generation && !this.stopping)
      this.buffer.append(topic, partition, state, last, undefined);
    metrics.bufferedRows.set({ sink: target.name }, this.buffer.rows);
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

  private startFlush(): Promise<void> | undefined {
    if (this.inFlight || this.buffer.isEmpty()) return this.inFlight;
    const pinned = this.pinned();
    if (this.buffer.takeableRows(pinned) === 0 && this.buffer.isEmptyExcept(pinned)) return undefined;
    const taken = this.buffer.take(pinned);
    this.deps.metrics.bufferedRows.set({ sink: this.deps.target.name }, 0);
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

  private async flushNow(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    await this.startFlush();
  }

  private async write(taken: TakenAggBatch): Promise<void> {
    const { target, metrics, logger } = this.deps;
    const started = Date.now();
    const dead = taken.dead;
    await this.retry('write dead letters', () => this.dlq.send(dead));
    for (const d of dead) {
      metrics.dlq.inc({ sink: target.name, reason: d.reason });
      logger.warn('dead letter', {
        reason: d.reason,
        detail: d.detail,
        topic: d.topic,
        partition: d.partition,
        offset: d.offset,
      });
    }
    const result = await this.retry('write batch', () => target.writeBatch(taken.batch));
    this.writes++;
    const kill = this.deps.faults?.killAfterWrites;
    if (kill !== undefined && this.writes >= kill)
      killNow(`after write ${this.writes}, before its Kafka commit`);
    const fenced = new Set(result.fenced.map((f) => tpKey(f.topic, f.partition)));
    for (const f of result.fenced) {
      metrics.fenced.inc({ sink: target.name });
      this.buffer.drop(f.topic, f.partition);
      this.states.delete(tpKey(f.topic, f.partition));
      this.loaded.delete(tpKey(f.topic, f.partition));
      logger.warn('partition fenced: another instance wrote it first; reloading its position', { ...f });
    }
    const now = Date.now();
    const commits = new Map<string, { topic: string; partition: number; offset: string }>();
    let rows = 0;
    for (const seg of taken.batch.segments) {
      const k = tpKey(seg.topic, seg.partition);
      if (fenced.has(k)) continue;
      commits.set(k, { topic: seg.topic, partition: seg.partition, offset: String(seg.last + 1) });
      rows += seg.rows.length;
      for (const r of seg.rows)
        metrics.eventToRow.observe(
          { sink: target.name, from: 'ingest' },
          Math.max(0, now - r.kafkaTimestamp) / 1000,
        );
    }
    metrics.rowsWritten.inc({ sink: target.name }, rows);
    metrics.batchRows.observe({ sink: target.name }, rows);
    metrics.flushSeconds.observe({ sink: target.name }, (now - started) / 1000);
    if (commits.size > 0) {
      // Informational (lag, tooling) for Postgres; ClickHouse resumes from it (see its target).
      await this.consumer
        ?.commitOffsets([...commits.values()])
        .catch((err: unknown) => logger.debug('Kafka offset commit skipped', { err }));
    }
  }

  /** Retry retriable errors forever with capped exponential back-off; rethrow the others. */
  private async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const { metrics, target, logger, config } = this.deps;
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
        metrics.writeRetries.inc({ sink: target.name });
        logger.warn('retrying', { what, attempt, delayMs: delay, err });
        await sleep(delay);
        this.heartbeat?.().catch(() => undefined);
        delay = Math.min(config.writeRetryMaxMs, delay * 2);
      }
    }
  }
}
