import { describe, expect, it } from 'vitest';
import { BatchBuffer, tpKey } from '../../../sinks/core/batch-buffer.js';
import { cutsFor } from '../../../sinks/clickhouse/resume.js';
import type { AggRow } from '../../../sinks/aggregates/contract.js';

const row = (offset: number): AggRow => ({
  partition: 0,
  offset,
  kafkaTimestamp: 0,
  record: { table: 'top_skus', key: String(offset), id: { window_start: 0 }, rows: [] },
});

describe('BatchBuffer over aggregate rows', () => {
  it('keeps one segment per topic-partition and moves over filtered records (markers) without rows', () => {
    const buf = new BatchBuffer<AggRow>();
    const a = { next: 10, cuts: [] as number[] };
    const b = { next: 0, cuts: [] as number[] };
    buf.append('h', 0, a, 10, row(10));
    buf.append('t', 0, b, 0, row(0));
    buf.append('h', 0, a, 12, row(12));
    buf.append('h', 0, a, 13, undefined); // the transaction's commit marker
    expect(a.next).toBe(14);
    const { batch } = buf.take();
    expect(batch.rowCount).toBe(3);
    expect(batch.segments.map((s) => [s.topic, s.first, s.last, s.rows.length])).toEqual([
      ['h', 10, 13, 2],
      ['t', 0, 0, 1],
    ]);
    expect(buf.isEmpty()).toBe(true);
  });

  it('ends segments at forced cuts and never hands out an open segment whose cut is still ahead', () => {
    const buf = new BatchBuffer<AggRow>();
    const c = { next: 0, cuts: [4, 9] };
    for (const o of [0, 2, 4, 5, 7]) buf.append('r', 1, c, o, row(o));
    const pinned = new Set([tpKey('r', 1)]);
    expect(buf.takeableRows(pinned)).toBe(3);
    const first = buf.take(pinned);
    expect(first.batch.segments.map((s) => [s.first, s.last])).toEqual([[0, 4]]);
    // A record past the next cut seals the pending range exactly at the cut.
    buf.append('r', 1, c, 11, row(11));
    const second = buf.take(new Set());
    expect(second.batch.segments.map((s) => [s.first, s.last, s.rows.length])).toEqual([
      [5, 9, 2],
      [10, 11, 1],
    ]);
  });
});

describe('cutsFor (ClickHouse replay)', () => {
  it('reproduces the stored ranges above the committed offset', () => {
    expect(
      cutsFor(
        [
          { first: 10, last: 19 },
          { first: 25, last: 30 },
        ],
        10,
      ),
    ).toEqual({ next: 10, cuts: [19, 24, 30] });
    expect(cutsFor([], undefined)).toEqual({ next: undefined, cuts: [] });
  });
});
