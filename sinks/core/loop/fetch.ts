/**
 * From a fetched batch to the buffer: records below the stored position are skipped (already
 * written), a fetch that starts above it seeks back once, each record is decoded into a row or a
 * dead letter and appended, and a full buffer waits for room (backpressure). Records a
 * `read_committed` consumer never sees (transaction markers, aborted records) still move the
 * position, so a caught-up sink stores each partition's high watermark.
 */
import type { KafkaMessage } from '../../../lib/kafka/index.js';
import type { Logger } from '../../../lib/logger.js';
import type { BatchBuffer } from '../batch-buffer.js';
import type { RowDecoder } from '../contract.js';
import type { DeadLetter } from '../../../lib/contracts/dlq.js';
import type { PartitionState } from './positions.js';

export interface FetchedBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  /** The fetch's last offset, including records filtered out before `messages`. */
  lastOffset: number;
}

export interface IntakeHooks {
  /** Still worth going on: the consumer runs, the batch is not stale, the position is current. */
  live(): boolean;
  /** The position is of the current generation and the loop is not stopping. */
  assigned(): boolean;
  seek(offset: number): void;
  /** The record is in the buffer (or skipped): kafkajs may move past it. */
  resolve(offset: string): void;
  skipped(): void;
  /** The buffer reached maxBatchRows: hand it to a flush, waiting for room first. */
  full(): Promise<void>;
}

export interface IntakeOptions<Row extends { kafkaTimestamp: number }> {
  buffer: BatchBuffer<Row>;
  decoder: RowDecoder<Row>;
  maxBatchRows: number;
  logger: Logger;
}

/** Returns false when it stopped early (no longer live, or sought back): the batch is abandoned. */
export async function intake<Row extends { kafkaTimestamp: number }>(
  batch: FetchedBatch,
  state: PartitionState,
  o: IntakeOptions<Row>,
  hooks: IntakeHooks,
): Promise<boolean> {
  const { topic, partition } = batch;
  for (const message of batch.messages) {
    if (!hooks.live()) return false;
    const offset = Number(message.offset);
    if (state.next < 0) state.next = offset;
    if (offset < state.next) {
      hooks.skipped();
      hooks.resolve(message.offset);
      continue;
    }
    if (offset > state.next && !state.checked) {
      // Fetched from a position other than the stored one (kafkajs' own position, or the
      // group's committed offset): go back once. A second gap is real (transaction markers,
      // compaction, retention).
      state.checked = true;
      o.logger.info('seeking back to the stored position', {
        topic,
        partition,
        from: offset,
        to: state.next,
      });
      hooks.seek(state.next);
      return false;
    }
    state.checked = true;
    const decoded = o.decoder.decode(topic, partition, offset, message);
    if (decoded.ok) {
      o.buffer.append(topic, partition, state, offset, decoded.row);
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
      o.buffer.append(topic, partition, state, offset, undefined, dead);
    }
    hooks.resolve(message.offset);
    if (o.buffer.rows >= o.maxBatchRows) await hooks.full();
  }
  // Trailing records the consumer filtered out (a transaction's commit marker) are covered too.
  if (batch.lastOffset >= state.next && hooks.assigned())
    o.buffer.append(topic, partition, state, batch.lastOffset, undefined);
  return true;
}

/**
 * kafkajs does not call eachBatch for a fetch whose records were all filtered out (only a
 * transaction marker, or aborted records) but reports its offsets at the batch end. Advance over
 * them only when the fetch provably starts at or before the stored position (a contiguous slice
 * of the log). Returns whether the position moved.
 */
export function coverFiltered<Row>(
  buffer: BatchBuffer<Row>,
  topic: string,
  partition: number,
  state: PartitionState,
  first: number,
  last: number,
): boolean {
  if (state.next < 0 || first > state.next || last < state.next) return false;
  state.checked = true;
  buffer.append(topic, partition, state, last, undefined);
  return true;
}
