import { describe, expect, it } from 'vitest';
import { hourlyKey } from '../../../lib/contracts/aggregates/keys.js';
import { aggregateRows } from '../../../sinks/aggregates/records.js';
import type { KafkaMessage } from '../../../lib/kafka/index.js';
import type { AnomalySerde } from '../../../lib/contracts/anomaly/serde.js';

const topics = { hourlyTopic: 'h', topSkusTopic: 't', rollingTopic: 'r', anomaliesTopic: 'a' };
// Only the JSON topics are decoded here: the Avro anomaly serde is never called.
const noAnomalies = {} as AnomalySerde;
const id = { store_id: 'S0001', sku: 'K1', window_start: Date.UTC(2026, 0, 1) };
const value = Buffer.from(
  JSON.stringify({
    ...id,
    window_start: new Date(id.window_start).toISOString(),
    quantity: 3,
    revenue_cents: 300,
    returns: 0,
    orders: 1,
    final: true,
  }),
);
const message = (v: Buffer | null): KafkaMessage =>
  ({
    key: Buffer.from(hourlyKey(id)),
    value: v,
    timestamp: '1767225600000',
    headers: { trace: 'x' },
    offset: '42',
    attributes: 0,
  }) as KafkaMessage;

describe('aggregateRows', () => {
  it('keeps the partition, offset and original bytes, so a refused record can be dead-lettered', () => {
    const d = aggregateRows(topics, noAnomalies);
    const decoded = d.decode('h', 2, 42, message(value));
    if (!decoded.ok) throw new Error(decoded.detail);
    expect(d.offsetOf?.(decoded.row)).toBe(42);
    const letter = d.deadLetter?.('h', decoded.row, 'refused_by_target', 'aggregates-postgres refused it');
    expect(letter).toEqual({
      topic: 'h',
      partition: 2,
      offset: 42,
      timestamp: 1767225600000,
      key: Buffer.from(hourlyKey(id)),
      value,
      headers: { trace: 'x' },
      reason: 'refused_by_target',
      detail: 'aggregates-postgres refused it',
    });
  });

  it('a row without its original bytes cannot be dead-lettered (the loop stops instead of dropping it)', () => {
    const d = aggregateRows(topics, noAnomalies);
    const decoded = d.decode('h', 0, 1, message(value));
    if (!decoded.ok) throw new Error(decoded.detail);
    const { source: _source, ...bare } = decoded.row;
    expect(d.deadLetter?.('h', bare, 'refused_by_target', 'x')).toBeUndefined();
  });

  it('an invalid record is a dead letter at decode time', () => {
    const decoded = aggregateRows(topics, noAnomalies).decode('h', 0, 1, message(Buffer.from('{')));
    expect(decoded.ok).toBe(false);
  });
});
