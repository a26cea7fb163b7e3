import { describe, expect, it } from 'vitest';
import { hourlyKey, rollingKey } from '../../../../lib/contracts/aggregates/keys.js';
import { parseRecord } from '../../../../lib/contracts/aggregates/records.js';
import type { AggRecord } from '../../../../lib/contracts/aggregates/records.js';

const b = (s: string) => Buffer.from(s);
const W = '2025-03-03T09:00:00.000Z';
const hourly = (over: Record<string, unknown> = {}) =>
  b(
    JSON.stringify({
      window_start: W,
      window_end: '2025-03-03T10:00:00.000Z',
      store_id: 'S001',
      sku: 'SKU1',
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
    const key = hourlyKey({ window_start: Date.parse(W), store_id: 'S001', sku: 'SKU|1' });
    const r = ok(parseRecord('sales_hourly', b(key), hourly({ sku: 'SKU|1' })));
    expect(r).toMatchObject({
      table: 'sales_hourly',
      row: {
        store_id: 'S001',
        sku: 'SKU|1',
        window_start: Date.parse(W),
        quantity: 5,
        revenue_cents: -120n,
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
    const key = rollingKey({ store_id: 'S|9', window_end: Date.parse(end) });
    expect(ok(parseRecord('store_rolling_1h', b(key), b(JSON.stringify(value))))).toMatchObject({
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
    expect(bad('sales_hourly', `${W}|S001|SKU1`, '{nope')).toMatch(/^sales_hourly: value is not JSON/);
    expect(bad('sales_hourly', `${W}|S001|SKU1`, hourly({ quantity: 1.5 }).toString())).toMatch(
      /quantity must be an integer/,
    );
    expect(bad('sales_hourly', `${W}|S002|SKU1`, hourly().toString())).toMatch(
      /store_id "S001" disagrees with the key/,
    );
    expect(bad('sales_hourly', 'no-separators', null)).toMatch(/is not <window_start>\|<store_id>\|<sku>/);
    expect(bad('top_skus', W, JSON.stringify({ window_start: W, top: 'x' }))).toMatch(/top must be an array/);
    expect(bad('store_rolling_1h', null, '{}')).toMatch(/no key/);
    expect(bad('sales_hourly', `${W}|S001|SKU1`, hourly({ orders: -1 }).toString())).toMatch(
      /orders must be an integer ≥ 0/,
    );
  });

  it('revenue sums are read exactly beyond 2^53, and refused when rounded or beyond 64 bits (issue 11)', () => {
    const key = `${W}|S001|SKU1`;
    const read = (rev: unknown) => {
      const r = parseRecord('sales_hourly', b(key), hourly({ revenue_cents: rev }));
      return r.ok ? (r.record.table === 'sales_hourly' ? r.record.row?.revenue_cents : 'other') : r.detail;
    };
    expect(read('9007199254740993')).toBe(2n ** 53n + 1n);
    expect(read('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(read(-120)).toBe(-120n);
    expect(read(2 ** 53 + 2)).toMatch(
      /^sales_hourly: revenue_cents must be an integer .* got 9007199254740994$/,
    );
    expect(read('9223372036854775808')).toMatch(/revenue_cents must be an integer .*64-bit range/);
    const top = parseRecord(
      'top_skus',
      b(W),
      b(
        `{"window_start":"${W}","top":[{"rank":1,"sku":"A","revenue_cents":"18014398509481985","quantity":3}]}`,
      ),
    );
    expect(top.ok && top.record.table === 'top_skus' && top.record.rows?.[0]?.revenue_cents).toBe(
      2n ** 54n + 1n,
    );
  });
});
