/** The aggregate sink's row decoding: aggregate records (lib/contracts/aggregates) of the three topics. */
import type { KafkaMessage } from '../../lib/kafka/index.js';
import { parseRecord } from '../../lib/contracts/aggregates/records.js';
import type { RowDecoder } from '../core/contract.js';
import { topicTables } from './config.js';
import type { AggregatesConfig } from './config.js';
import type { AggRow } from './contract.js';

/**
 * The aggregate sink's records for the sink loop (sinks/core/loop/): JSON aggregate records of the three
 * topics; anything else is a dead letter (`invalid_event`) with a one-line detail.
 */
export function aggregateRows(
  config: Pick<AggregatesConfig, 'hourlyTopic' | 'topSkusTopic' | 'rollingTopic'>,
): RowDecoder<AggRow> {
  const tables = topicTables(config);
  return {
    decode: (topic: string, _partition: number, offset: number, message: KafkaMessage) => {
      const table = tables.get(topic);
      const parsed = table
        ? parseRecord(table, message.key ?? null, message.value ?? null)
        : { ok: false as const, detail: `no aggregate table for topic ${topic}` };
      if (!parsed.ok) return { ok: false, reason: 'invalid_event', detail: parsed.detail };
      return { ok: true, row: { record: parsed.record, offset, kafkaTimestamp: Number(message.timestamp) } };
    },
  };
}
