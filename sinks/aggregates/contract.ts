/**
 * The aggregate sink's target contract: the shape of sinks/core/contract.ts (`open / resume /
 * writeBatch / ready / close`, the same ResumePlan and fencing result), over parsed aggregate
 * records of several topics instead of sale events of one.
 */
import type { TakenBatch } from '../core/batch-buffer.js';
import type { Batch, ResumePlan, Segment, Sink, WriteResult } from '../core/contract.js';
import type { AggRecord } from '../../lib/contracts/aggregates/records.js';

export type { ResumePlan, WriteResult };

export interface AggRow {
  record: AggRecord;
  offset: number;
  /** Kafka record timestamp (ms): when the processor committed the update. */
  kafkaTimestamp: number;
}

/** A contiguous offset range of one topic-partition (sinks/core/contract.ts Segment); rows in offset order. */
export type AggSegment = Segment<AggRow>;

export type AggBatch = Batch<AggRow>;

export type TakenAggBatch = TakenBatch<AggRow>;

/** `aggregates-postgres`, `aggregates-clickhouse` (the `sink` label of every metric). */
export type AggTarget = Sink<AggRow>;
