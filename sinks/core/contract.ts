/**
 * The one contract every sink implements — `open() / writeBatch(batch) / close()` — plus the
 * resume hook the shared consumer loop (sinks/core/loop/) asks on every partition
 * assignment. The loop owns Kafka, decoding, validation, dead letters, batching and metrics; a
 * sink only turns a batch of validated rows into durable rows and says where to resume. What the
 * records are is the RowDecoder's business (sale events for the raw sinks, aggregate records).
 */
import type { KafkaMessage } from '../../lib/kafka/index.js';
import type { OriginalRecord } from './dlq/row-letter.js';
import type { DeadLetter, DlqReason } from '../../lib/contracts/dlq.js';
import type { SaleEvent } from '../../lib/contracts/event/schema.js';

/** One validated event plus where it came from. */
export interface SinkRow {
  event: SaleEvent;
  partition: number;
  offset: number;
  /** Kafka record timestamp (ms): the ingest time of the event. */
  kafkaTimestamp: number;
  /**
   * The record's original bytes, kept so a sink can still dead-letter the row after decoding (a
   * conflicting duplicate, sinks/raw/dedup.ts): dead letters carry the bytes untouched.
   */
  record?: OriginalRecord;
}

/**
 * A contiguous offset range of one topic-partition: `first` is the position the range starts at
 * (the offset after the previous range), `last` the offset of its last record. Records inside the
 * range that were dead-lettered have no row, so `rows.length <= last - first + 1`; a range may hold
 * no rows at all and must still move the sink's stored position to `last + 1`.
 */
export interface Segment<Row = SinkRow> {
  topic: string;
  partition: number;
  first: number;
  last: number;
  /** In offset order. */
  rows: Row[];
}

export interface Batch<Row = SinkRow> {
  /**
   * In topic, partition order; one partition may have several segments (forced cuts, see
   * ResumePlan).
   */
  segments: Segment<Row>[];
  rowCount: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface WriteResult {
  /**
   * Partitions whose segments were NOT written because another instance moved the stored position
   * first (a zombie after a rebalance). The loop drops them and re-reads their position.
   */
  fenced: TopicPartition[];
  /**
   * Rows of the written (not fenced) segments that were deliberately not stored — duplicates of
   * an event id already stored (sinks/raw/dedup.ts); their offsets still count as written.
   */
  dropped?: number;
}

/** What the loop lends a sink during one write. */
export interface WriteContext {
  /**
   * Send dead letters for rows the sink refuses after decoding (a conflicting duplicate) and wait
   * for the DLQ's ack. Call it before the write becomes durable: a crash in between replays the
   * batch and sends them again (at-least-once, like every dead letter), never loses them.
   */
  deadLetter(letters: DeadLetter[]): Promise<void>;
}

/** Where to resume a partition, decided by the sink (its own durable state is the truth). */
export interface ResumePlan {
  /** Next offset to write; undefined = the sink knows nothing, start where Kafka says. */
  next: number | undefined;
  /**
   * Offsets at which a segment must end (ascending). ClickHouse uses this to replay exactly the
   * ranges it may already have inserted, so their dedup tokens match.
   */
  cuts: number[];
}

export interface Sink<Row = SinkRow> {
  /** `postgres`, `clickhouse`: the `sink` label of every metric. */
  readonly name: string;
  open(): Promise<void>;
  /**
   * Where to resume `partition`; `committed` is the consumer group's committed offset in Kafka
   * (informational for Postgres, the lower bound of the replay window for ClickHouse).
   */
  resume(topic: string, partition: number, committed: number | undefined): Promise<ResumePlan>;
  /**
   * Write the batch durably. Resolves only when the target confirmed it; throws an EtlError
   * (retriable or not) otherwise — the loop retries retriable errors with the same batch.
   */
  writeBatch(batch: Batch<Row>, ctx?: WriteContext): Promise<WriteResult>;
  /** Ready for /readyz: connected to the target. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

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
  /** The row's Kafka offset: where a batch refused by the target is split (sinks/core/split.ts). */
  offsetOf?(row: Row): number;
  /**
   * The dead letter of a row the target refused (its original bytes and the reason). Absent: the
   * rows cannot be dead-lettered after decoding, so a refusal stops the loop instead.
   */
  deadLetter?(topic: string, row: Row, reason: DlqReason, detail: string): DeadLetter | undefined;
}
