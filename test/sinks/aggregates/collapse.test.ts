import { describe, expect, it } from 'vitest';
import type { AggRecord } from '../../../lib/contracts/aggregates/records.js';
import { collapse } from '../../../sinks/aggregates/collapse.js';
import type { AggSegment } from '../../../sinks/aggregates/contract.js';

describe('collapse', () => {
  it('keeps the last record of each key, in offset order, and counts the replaced ones', () => {
    const rec = (key: string, q: number): AggRecord => ({
      table: 'store_rolling_1h',
      key,
      id: { store_id: key, window_end: 0 },
      row: { store_id: key, window_end: 0, quantity: q, revenue_cents: 0n, orders: 0 },
    });
    const seg: AggSegment = {
      topic: 't',
      partition: 0,
      first: 0,
      last: 3,
      rows: [rec('a', 1), rec('b', 1), rec('a', 2), rec('c', 1)].map((record, offset) => ({
        record,
        partition: 0,
        offset,
        kafkaTimestamp: 0,
      })),
    };
    const { latest, replaced } = collapse([seg]);
    const m = latest.get('store_rolling_1h');
    expect([...(m?.keys() ?? [])]).toEqual(['b', 'a', 'c']);
    expect(m?.get('a')?.offset).toBe(2);
    expect(replaced.get('store_rolling_1h')).toBe(1);
  });
});
