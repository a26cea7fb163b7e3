/** The raw sinks' records: Avro sale events decoded and validated by the shared RecordDecoder. */
import type { KafkaMessage } from '../../lib/kafka/index.js';
import { RecordDecoder } from '../../lib/contracts/event/decode.js';
import type { SaleEventSerde } from '../../lib/contracts/event/serde.js';
import type { ValidationOptions } from '../../lib/contracts/event/validate.js';
import type { RowDecoder, SinkRow } from '../core/contract.js';
import { originalOf, rowDeadLetter } from '../core/dlq/row-letter.js';

/** The raw sinks' records: Avro sale events, validated, as SinkRows (for the sink loop, sinks/core/loop/). */
export function saleEventRows(
  serde: SaleEventSerde,
  validation: () => ValidationOptions,
): RowDecoder<SinkRow> {
  const decoder = new RecordDecoder(serde, validation);
  return {
    prepare: (messages: KafkaMessage[]) => decoder.prepareBatch(messages.map((m) => m.value)),
    decode: (_topic, partition, offset, message) => {
      const decoded = decoder.decode(message.value, Number(message.timestamp));
      if (!decoded.ok) return decoded;
      const row: SinkRow = {
        event: decoded.event,
        partition,
        offset,
        kafkaTimestamp: Number(message.timestamp),
        record: originalOf(message),
      };
      return { ok: true, row };
    },
    eventTime: (row) => row.event.event_time,
    offsetOf: (row) => row.offset,
    deadLetter: (topic, row, reason, detail) => rowDeadLetter(topic, row, row.record, reason, detail),
  };
}
