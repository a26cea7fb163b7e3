import { describe, expect, it } from 'vitest';
import { collapse } from '../../../sinks/aggregates/collapse.js';
import type { AggSegment } from '../../../sinks/aggregates/contract.js';
import { parseRecord } from '../../../sinks/aggregates/records.js';
import type { AggRecord } from '../../../sinks/aggregates/records.js';

const b = (s: string) => Buffer.from(s);
const W = '2025-03-03T09:00:00.000Z';
const hourly = (over: Record<string, unknown> = {}) =>
  b(
    JSON.stringify({
      window_start: W,
      window_end: '2025-03-03T10:00:00.000Z',
      store_id: 'S001',
      sku: 'SKU|1',
      quantity: 5,
      revenue_cents: -120,
      returns: 1,
      orders: 2,
      events: 3,
      final: false,
      ...over,
    }),
  );
const ok = (r: ReturnType<typeof parseRecord>): AggRecord => {
  if (!r.ok) throw new Error(r.detail);
  return r.record;
};

describe('parseRecord', () => {
  it('reads an hourly record; a SKU may contain the key separator', () => {
    const r = ok(parseRecord('sales_hourly', b(`${W}|S001|SKU|1`), hourly()));
    expect(r).toMatchObject({
      table: 'sales_hourly',
      row: {
        store_id: 'S001',
        sku: 'SKU|1',
        window_start: Date.parse(W),
        quantity: 5,
        revenue_cents: -120,
        final: false,
      },
    });
  });

  it('explodes a top-SKUs record into its ranked rows, ties included', () => {
    const value = {
      window_start: W,
      final: true,
      revision: 1,
      skus_seen: 9,
      top: [
        { rank: 1, sku: 'A', revenue_cents: 900, quantity: 3 },
        { rank: 2, sku: 'B', revenue_cents: 500, quantity: 1 },
        { rank: 2, sku: 'C', revenue_cents: 500, quantity: 5 },
      ],
    };
    const r = ok(parseRecord('top_skus', b(W), b(JSON.stringify(value))));
    expect(r.table === 'top_skus' && r.rows?.map((x) => [x.rank, x.sku])).toEqual([
      [1, 'A'],
      [2, 'B'],
      [2, 'C'],
    ]);
  });

  it('reads a rolling record keyed <store>|<window_end>', () => {
    const end = '2025-03-03T09:07:00.000Z';
    const value = {
      store_id: 'S|9',
      window_start: '2025-03-03T08:07:00.000Z',
      window_end: end,
      quantity: 1,
      revenue_cents: 2,
      orders: 1,
      events: 1,
    };
    expect(ok(parseRecord('store_rolling_1h', b(`S|9|${end}`), b(JSON.stringify(value))))).toMatchObject({
      id: { store_id: 'S|9', window_end: Date.parse(end) },
      row: { orders: 1 },
    });
  });

  it('a tombstone deletes by the key alone', () => {
    expect(ok(parseRecord('sales_hourly', b(`${W}|S001|X`), null))).toMatchObject({
      row: null,
      id: { sku: 'X' },
    });
    expect(ok(parseRecord('top_skus', b(W), null))).toMatchObject({ rows: null });
  });

  it('bad records are dead letters with one line that names the problem', () => {
    const bad = (t: Parameters<typeof parseRecord>[0], k: string | null, v: string | null) => {
      const r = parseRecord(t, k === null ? null : b(k), v === null ? null : b(v));
      return r.ok ? 'ok' : r.detail;
    };
    expect(bad('sales_hourly', `${W}|S001|SKU|1`, '{nope')).toMatch(/^sales_hourly: value is not JSON/);
    expect(bad('sales_hourly', `${W}|S001|SKU|1`, hourly({ quantity: 1.5 }).toString())).toMatch(
      /quantity must be an integer/,
    );
    expect(bad('sales_hourly', `${W}|S002|SKU|1`, hourly().toString())).toMatch(
      /store_id "S001" disagrees with the key/,
    );
    expect(bad('sales_hourly', 'no-separators', null)).toMatch(/is not <window_start>\|<store_id>\|<sku>/);
    expect(bad('top_skus', W, JSON.stringify({ window_start: W, top: 'x' }))).toMatch(/top must be an array/);
    expect(bad('store_rolling_1h', null, '{}')).toMatch(/no key/);
    expect(bad('sales_hourly', `${W}|S001|SKU|1`, hourly({ orders: -1 }).toString())).toMatch(
      /orders must be an integer ≥ 0/,
    );
  });
});

describe('collapse', () => {
  it('keeps the last record of each key, in offset order, and counts the replaced ones', () => {
    const rec = (key: string, q: number): AggRecord => ({
      table: 'store_rolling_1h',
      key,
      id: { store_id: key, window_end: 0 },
      row: { store_id: key, window_end: 0, quantity: q, revenue_cents: 0, orders: 0 },
    });
    const seg: AggSegment = {
      topic: 't',
      partition: 0,
      first: 0,
      last: 3,
      rows: [rec('a', 1), rec('b', 1), rec('a', 2), rec('c', 1)].map((record, offset) => ({
        record,
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
