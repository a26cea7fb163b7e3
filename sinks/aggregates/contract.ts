/**
 * The aggregate sink's target contract: the shape of sinks/contract.ts (`open / resume /
 * writeBatch / ready / close`, the same ResumePlan and fencing result), over parsed aggregate
 * records of several topics instead of sale events of one.
 */
import type { ResumePlan, WriteResult } from '../contract.js';
import type { DeadLetter } from '../dlq/headers.js';
import type { AggRecord } from './records.js';

export type { ResumePlan, WriteResult };

export interface AggRow {
  record: AggRecord;
  offset: number;
  /** Kafka record timestamp (ms): when the processor committed the update. */
  kafkaTimestamp: number;
}

/** A contiguous offset range of one topic-partition (see sinks/contract.ts Segment). */
export interface AggSegment {
  topic: string;
  partition: number;
  first: number;
  last: number;
  /** In offset order: a later record of a key replaces an earlier one. */
  rows: AggRow[];
}

export interface AggBatch {
  segments: AggSegment[];
  rowCount: number;
}

export interface TakenAggBatch {
  batch: AggBatch;
  dead: DeadLetter[];
}

export interface AggTarget {
  /** `aggregates-postgres`, `aggregates-clickhouse`: the `sink` label of every metric. */
  readonly name: string;
  open(): Promise<void>;
  resume(topic: string, partition: number, committed: number | undefined): Promise<ResumePlan>;
  writeBatch(batch: AggBatch): Promise<WriteResult>;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
