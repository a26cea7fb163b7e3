import { describe, expect, it } from 'vitest';
import { combinedToken, partsByPartition } from '../../../sinks/clickhouse/insert.js';

describe('partsByPartition', () => {
  it('keeps rows that fit the limit in one part, in their order', () => {
    expect(partsByPartition([3, 1, 2, 1], (r) => r, 3)).toEqual([[3, 1, 2, 1]]);
  });

  it('splits rows over more partitions than the limit into runs of at most `max` partitions, in key order', () => {
    const parts = partsByPartition([5, 1, 4, 2, 3, 1, 5], (r) => r, 2);
    expect(parts).toEqual([
      [1, 1, 2],
      [3, 4],
      [5, 5],
    ]);
    expect(parts.flat().sort()).toEqual([1, 1, 2, 3, 4, 5, 5]);
  });

  it('is deterministic: the same rows always give the same parts (replays reuse their tokens)', () => {
    const rows = Array.from({ length: 500 }, (_, i) => (i * 37) % 250);
    expect(partsByPartition(rows, (r) => r, 100)).toEqual(partsByPartition([...rows], (r) => r, 100));
    expect(partsByPartition(rows, (r) => r, 100)).toHaveLength(3);
  });
});

describe('combinedToken', () => {
  it('keeps a single segment’s own token (one-partition batches insert as they always did)', () => {
    expect(combinedToken(['t:0:10-20'])).toBe('t:0:10-20');
  });

  it('is the same for the same segments in the same order, different for any other set or order', () => {
    const a = combinedToken(['t:0:10-20', 't:1:5-9']);
    expect(combinedToken(['t:0:10-20', 't:1:5-9'])).toBe(a);
    expect(a).toMatch(/^segments-2-[0-9a-f]{32}$/);
    for (const other of [
      ['t:1:5-9', 't:0:10-20'],
      ['t:0:10-20', 't:1:5-10'],
      ['t:0:10-20', 't:1:5-9', 't:2:0-0'],
      ['t:0:10-20', 't:1:5-9/rest-0123456789abcdef'],
    ])
      expect(combinedToken(other)).not.toBe(a);
  });
});
