/**
 * The aggregate sink's target contract: the shape of sinks/core/contract.ts (`open / resume /
 * writeBatch / ready / close`, the same ResumePlan and fencing result), over parsed aggregate
 * records of several topics instead of sale events of one.
 */
import type { TakenBatch } from '../core/batch-buffer.js';
import type { Batch, ResumePlan, Segment, Sink, WriteResult } from '../core/contract.js';
import type { AggRecord } from '../../lib/contracts/aggregates/records.js';
import type { OriginalRecord } from '../core/dlq/row-letter.js';

export type { ResumePlan, WriteResult };

export interface AggRow {
  record: AggRecord;
  partition: number;
  offset: number;
  /** Kafka record timestamp (ms): when the processor committed the update. */
  kafkaTimestamp: number;
  /**
   * The record's original bytes, so a record the target refuses can be dead-lettered like a raw
   * sink's (sinks/core/split.ts); absent in rows built for a direct writeBatch.
   */
  source?: OriginalRecord;
}

/** A contiguous offset range of one topic-partition (sinks/core/contract.ts Segment); rows in offset order. */
export type AggSegment = Segment<AggRow>;

export type AggBatch = Batch<AggRow>;

export type TakenAggBatch = TakenBatch<AggRow>;

/** `aggregates-postgres`, `aggregates-clickhouse` (the `sink` label of every metric). */
export type AggTarget = Sink<AggRow>;
