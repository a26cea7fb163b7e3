/**
 * The aggregate sink's row decoding: JSON aggregate records (lib/contracts/aggregates) of the
 * hourly, top-SKUs and rolling topics, and Avro anomaly records (lib/contracts/anomaly) whose
 * writer schemas are fetched from the registry once per batch (`prepare`).
 */
import { isEtlError } from '../../lib/errors.js';
import type { KafkaMessage } from '../../lib/kafka/index.js';
import { parseRecord } from '../../lib/contracts/aggregates/records.js';
import type { Parsed } from '../../lib/contracts/aggregates/records.js';
import { anomalyRecord } from '../../lib/contracts/anomaly/record.js';
import type { AnomalySerde } from '../../lib/contracts/anomaly/serde.js';
import { schemaIdOf } from '../../lib/contracts/event/serde.js';
import type { RowDecoder } from '../core/contract.js';
import { originalOf, rowDeadLetter } from '../core/dlq/row-letter.js';
import { topicTables } from './config.js';
import type { AggregatesConfig } from './config.js';
import type { AggRow } from './contract.js';

type TopicsOf = Pick<AggregatesConfig, 'hourlyTopic' | 'topSkusTopic' | 'rollingTopic' | 'anomaliesTopic'>;

/**
 * Rows for the sink loop (sinks/core/loop/); anything that is not a valid record of its topic is a
 * dead letter (`invalid_event`) with a one-line detail. A record the target refuses (a constraint,
 * a value its column rejects) is split off and dead-lettered with reason `refused_by_target`
 * exactly as in the raw sinks (sinks/core/split.ts): the rows keep their offset and original
 * bytes for that.
 */
export function aggregateRows(config: TopicsOf, anomalies: AnomalySerde): RowDecoder<AggRow> {
  const tables = topicTables(config);
  const decodeAnomaly = (message: KafkaMessage): Parsed => {
    if (message.value === null || message.value === undefined)
      return anomalyRecord(message.key ?? null, null);
    try {
      return anomalyRecord(message.key ?? null, anomalies.decodeSync(message.value));
    } catch (err) {
      return { ok: false, detail: `sales_anomalies: ${(err as Error).message}` };
    }
  };
  return {
    prepare: async (messages) => {
      const ids = new Set<number>();
      for (const m of messages) {
        const id = m.value ? schemaIdOf(m.value) : undefined;
        if (id !== undefined) ids.add(id);
      }
      for (const id of ids) {
        try {
          await anomalies.prepare(id);
        } catch (err) {
          // An id the registry does not know: its records are dead letters (decode says why). A
          // registry that does not answer is retried by the loop.
          if (!(isEtlError(err) && err.code === 'DECODE_FAILED' && !err.retriable)) throw err;
        }
      }
    },
    decode: (topic: string, partition: number, offset: number, message: KafkaMessage) => {
      const table = tables.get(topic);
      const parsed: Parsed = !table
        ? { ok: false, detail: `no aggregate table for topic ${topic}` }
        : table === 'sales_anomalies'
          ? decodeAnomaly(message)
          : parseRecord(table, message.key ?? null, message.value ?? null);
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
