/**
 * Flush and commit: one flush at a time takes the buffer (the next batch fills meanwhile), sends
 * its dead letters and waits for the DLQ's ack, writes the rows through the sink (transient
 * failures retried, refused batches split and their refused records dead-lettered), drops
 * what the sink reports fenced, records the metrics, and only then commits the written offsets to
 * Kafka (for lag and tooling; Postgres resumes from its own stored positions, ClickHouse from these).
 */
import type { Logger } from '../../../lib/logger.js';
import { tpKey } from '../batch-buffer.js';
import type { BatchBuffer, TakenBatch } from '../batch-buffer.js';
import type { RowDecoder, Sink, TopicPartition } from '../contract.js';
import { DLQ_HEADERS, headerString } from '../../../lib/contracts/dlq.js';
import type { DeadLetter } from '../../../lib/contracts/dlq.js';
import { killNow } from '../faults.js';
import type { SinkMetrics } from '../metrics.js';
import { refusalDetail } from '../refusal.js';
import type { TargetRefusal } from '../refusal.js';
import { writeSplitting } from '../split.js';

export interface FlushDeps<Row extends { kafkaTimestamp: number }> {
  sink: Sink<Row>;
  buffer: BatchBuffer<Row>;
  dlq: { send(letters: DeadLetter[]): Promise<void> };
  decoder: Pick<RowDecoder<Row>, 'eventTime' | 'offsetOf' | 'deadLetter'>;
  metrics: Pick<
    SinkMetrics,
    | 'dlq'
    | 'fenced'
    | 'rowsWritten'
    | 'batchRows'
    | 'flushSeconds'
    | 'eventToRow'
    | 'bufferedRows'
    | 'backpressureSeconds'
    | 'batchSplits'
  >;
  logger: Logger;
  /** `bounded`: a transient refusal is rethrown after the retry limit (the batch can be split). */
  retry<T>(what: string, fn: () => Promise<T>, bounded?: boolean): Promise<T>;
  /** Topic-partitions whose open segment must not be taken yet (a forced cut is ahead). */
  pinned(): ReadonlySet<string>;
  /** Another instance moved this position first: forget its position (its buffer is dropped here). */
  fenced(tp: TopicPartition): void;
  commit(offsets: { topic: string; partition: number; offset: string }[]): Promise<void>;
  /** A flush failed for good: the loop must stop. */
  fatal(err: unknown): void;
  /** Keep the group membership alive while a slow flush runs. */
  heartbeat(): void;
  /** Crash tests: SIGKILL after this many writes, before their Kafka commit. */
  killAfterWrites?: number | undefined;
  kill?: (reason: string) => void;
}

export class Flusher<Row extends { kafkaTimestamp: number }> {
  private inFlight: Promise<void> | undefined;
  private writes = 0;

  constructor(private readonly d: FlushDeps<Row>) {}

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** Resolves when no flush runs (a failed one included). */
  async settled(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
  }

  /**
   * Hand the buffer to a flush unless one is running (one at a time). Returns the flush in
   * flight, if any.
   */
  start(): Promise<void> | undefined {
    const { buffer, sink, metrics } = this.d;
    if (this.inFlight || buffer.isEmpty()) return this.inFlight;
    const pinned = this.d.pinned();
    if (buffer.takeableRows(pinned) === 0 && buffer.isEmptyExcept(pinned)) return undefined;
    const taken = buffer.take(pinned);
    metrics.bufferedRows.set({ sink: sink.name }, 0);
    const beat = setInterval(() => this.d.heartbeat(), 2000);
    const flight = this.write(taken)
      .catch((err: unknown) => {
        this.d.fatal(err);
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

  /** The buffer is full: wait for the flush in flight (backpressure), then start the next. */
  async whenFull(): Promise<void> {
    const waited = Date.now();
    while (this.inFlight) await this.inFlight;
    this.start();
    this.d.metrics.backpressureSeconds.inc({ sink: this.d.sink.name }, (Date.now() - waited) / 1000);
  }

  /** Wait for the flush in flight, then flush what is buffered and wait for that too. */
  async drain(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    await this.start();
  }

  private async write(taken: TakenBatch<Row>): Promise<void> {
    const { sink, metrics, logger, decoder } = this.d;
    const started = Date.now();
    await this.deadLetter(dedupeDead(taken.dead));
    // Dead letters the sink finds while writing (conflicting duplicates) go out inside its write;
    // a failed send fails the write, which is retried as a whole.
    const ctx = { deadLetter: (letters: DeadLetter[]) => this.deadLetter(letters, false) };
    const result = await writeSplitting(taken.batch, {
      write: (batch, bounded) => this.d.retry('write batch', () => sink.writeBatch(batch, ctx), bounded),
      offsetOf: (row) => (decoder.offsetOf as (row: Row) => number)(row),
      refuse:
        decoder.offsetOf && decoder.deadLetter
          ? (topic, row, err) => this.refuse(topic, row, err)
          : undefined,
      onSplit: (rows, err) => {
        metrics.batchSplits.inc({ sink: sink.name, server_code: err.serverCode ?? 'none' });
        logger.warn('target refused a batch: splitting it', {
          rows,
          serverCode: err.serverCode,
          error: err.message,
        });
      },
    });
    this.writes++;
    const kill = this.d.killAfterWrites;
    if (kill !== undefined && this.writes >= kill)
      (this.d.kill ?? killNow)(`after write ${this.writes}, before its Kafka commit`);
    const fenced = new Set(result.fenced.map((f) => tpKey(f.topic, f.partition)));
    for (const f of result.fenced) {
      metrics.fenced.inc({ sink: sink.name });
      this.d.buffer.drop(f.topic, f.partition);
      this.d.fenced(f);
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
    rows -= result.dropped ?? 0;
    metrics.rowsWritten.inc({ sink: sink.name }, rows);
    metrics.batchRows.observe({ sink: sink.name }, rows);
    metrics.flushSeconds.observe({ sink: sink.name }, (now - started) / 1000);
    if (commits.size > 0)
      await this.d
        .commit([...commits.values()])
        .catch((err: unknown) => logger.warn('Kafka offset commit failed', { err }));
  }

  /** A row the target refused on its own: dead-lettered with the server's reason (sinks/core/split.ts). */
  private async refuse(topic: string, row: Row, err: TargetRefusal): Promise<void> {
    const letter = this.d.decoder.deadLetter?.(
      topic,
      row,
      'refused_by_target',
      refusalDetail(this.d.sink.name, err),
    );
    // A row without its original bytes cannot be dead-lettered: stop rather than drop it.
    if (!letter) throw err;
    await this.deadLetter([letter]);
  }

  /** Send dead letters and wait for the ack (retried here unless the caller retries), then count and log them. */
  private async deadLetter(letters: DeadLetter[], retried = true): Promise<void> {
    const { sink, metrics, logger } = this.d;
    if (letters.length === 0) return;
    if (retried) await this.d.retry('write dead letters', () => this.d.dlq.send(letters));
    else await this.d.dlq.send(letters);
    for (const l of letters) {
      metrics.dlq.inc({ sink: sink.name, reason: l.reason });
      logger.warn('dead letter', {
        reason: l.reason,
        detail: l.detail,
        topic: l.topic,
        partition: l.partition,
        offset: l.offset,
        replayed: headerString(l.headers, DLQ_HEADERS.replayCount),
      });
    }
  }
}

/** A record fetched twice in one batch (seek back) is dead-lettered once. */
export function dedupeDead(dead: DeadLetter[]): DeadLetter[] {
  const seen = new Set<string>();
  return dead.filter((d) => {
    const k = `${tpKey(d.topic, d.partition)}:${d.offset}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
