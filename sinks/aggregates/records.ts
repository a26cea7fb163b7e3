/** The aggregate sink's row decoding: aggregate records (lib/contracts/aggregates) of the three topics. */
import type { KafkaMessage } from '../../lib/kafka/index.js';
import { parseRecord } from '../../lib/contracts/aggregates/records.js';
import type { RowDecoder } from '../core/contract.js';
import { originalOf, rowDeadLetter } from '../core/dlq/row-letter.js';
import { topicTables } from './config.js';
import type { AggregatesConfig } from './config.js';
import type { AggRow } from './contract.js';

/**
 * The aggregate sink's records for the sink loop (sinks/core/loop/): JSON aggregate records of the three
 * topics; anything else is a dead letter (`invalid_event`) with a one-line detail. A record the
 * target refuses (a constraint, a value its column rejects) is split off and dead-lettered with
 * reason `refused_by_target` exactly as in the raw sinks (sinks/core/split.ts): the rows keep
 * their offset and original bytes for that.
 */
export function aggregateRows(
  config: Pick<AggregatesConfig, 'hourlyTopic' | 'topSkusTopic' | 'rollingTopic'>,
): RowDecoder<AggRow> {
  const tables = topicTables(config);
  return {
    decode: (topic: string, partition: number, offset: number, message: KafkaMessage) => {
      const table = tables.get(topic);
      const parsed = table
        ? parseRecord(table, message.key ?? null, message.value ?? null)
        : { ok: false as const, detail: `no aggregate table for topic ${topic}` };
      if (!parsed.ok) return { ok: false, reason: 'invalid_event', detail: parsed.detail };
      const row: AggRow = {
        record: parsed.record,
        partition,
        offset,
        kafkaTimestamp: Number(message.timestamp),
        source: originalOf(message),
      };
      return { ok: true, row };
    },
    offsetOf: (row) => row.offset,
    deadLetter: (topic, row, reason, detail) => rowDeadLetter(topic, row, row.source, reason, detail),
  };
}
