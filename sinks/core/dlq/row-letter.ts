/**
 * The dead letter of a row the sink already decoded — the one way every sink (raw and aggregate)
 * turns a row back into its original record when the target refuses it (sinks/core/split.ts,
 * reason `refused_by_target`): the original key, value and headers untouched, where it came from,
 * the reason and the detail.
 */
import type { IHeaders } from '../../../lib/kafka/index.js';
import type { DeadLetter, DlqReason } from '../../../lib/contracts/dlq.js';

/** A record's original bytes, kept on a decoded row so it can still be dead-lettered. */
export interface OriginalRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

/** Where a decoded row came from. */
export interface RowPosition {
  partition: number;
  offset: number;
  kafkaTimestamp: number;
}

/** The dead letter of `row`; undefined when its original bytes were not kept (it cannot be dead-lettered). */
export function rowDeadLetter(
  topic: string,
  row: RowPosition,
  original: OriginalRecord | undefined,
  reason: DlqReason,
  detail: string,
): DeadLetter | undefined {
  if (!original) return undefined;
  return {
    topic,
    partition: row.partition,
    offset: row.offset,
    timestamp: row.kafkaTimestamp,
    ...original,
    reason,
    detail,
  };
}

/** The original bytes of a fetched Kafka message. */
export function originalOf(message: {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}): OriginalRecord {
  return { key: message.key ?? null, value: message.value, headers: message.headers ?? {} };
}
