import { describe, expect, it } from 'vitest';
import type { Batch, Segment, WriteResult } from '../../../sinks/core/contract.js';
import { TargetRefusal } from '../../../sinks/core/refusal.js';
import { splitBatch, writeSplitting } from '../../../sinks/core/split.js';
import { EtlError } from '../../../lib/errors.js';

interface Row {
  offset: number;
  bad?: boolean;
}
const offsetOf = (r: Row) => r.offset;

function segment(partition: number, first: number, offsets: number[], bad: number[] = []): Segment<Row> {
  const last = offsets.length > 0 ? Math.max(...offsets) : first;
  return {
    topic: 't',
    partition,
    first,
    last,
    rows: offsets.map((offset) => ({ offset, bad: bad.includes(offset) })),
  };
}
const batchOf = (...segments: Segment<Row>[]): Batch<Row> => ({
  segments,
  rowCount: segments.reduce((n, s) => n + s.rows.length, 0),
});

/** A target that refuses any batch holding a bad row, and stores the rest once per offset. */
function target(kind: 'refused' | 'transient' = 'refused') {
  const stored = new Map<string, number>();
  const positions = new Map<number, number>();
  const writes: string[] = [];
  const write = (b: Batch<Row>, _bounded: boolean): Promise<WriteResult> => {
    writes.push(b.segments.map((s) => `${s.partition}:${s.first}-${s.last}/${s.rows.length}`).join(' '));
    if (b.segments.some((s) => s.rows.some((r) => r.bad)))
      return Promise.reject(
        new TargetRefusal('POSTGRES_ERROR', 'new row violates check constraint', kind, {
          serverCode: '23514',
        }),
      );
    for (const s of b.segments) {
      // Positions only move forward, contiguously: each segment starts where the last one ended.
      const at = positions.get(s.partition);
      if (at !== undefined && at !== s.first)
        throw new Error(`gap or overlap at ${s.partition}:${s.first}, position ${at}`);
      positions.set(s.partition, s.last + 1);
      for (const r of s.rows) {
        const k = `${s.partition}:${r.offset}`;
        stored.set(k, (stored.get(k) ?? 0) + 1);
      }
    }
    return Promise.resolve({ fenced: [] });
  };
  return { stored, positions, writes, write };
}

describe('splitBatch', () => {
  it('cuts between segments, balancing rows, keeping each segment whole (its range, its ClickHouse token)', () => {
    const b = batchOf(segment(0, 0, [0, 1, 2]), segment(1, 10, [10]), segment(2, 20, [20, 21]));
    const [a, c] = splitBatch(b, offsetOf);
    expect(a.segments.map((s) => s.partition)).toEqual([0]);
    expect(c.segments.map((s) => s.partition)).toEqual([1, 2]);
    expect([a.rowCount, c.rowCount]).toEqual([3, 3]);
    expect(c.segments[0]).toBe(b.segments[1]);
  });

  it('cuts one segment after its middle row: the two ranges meet, covering the gaps of dead-lettered records', () => {
    const [a, c] = splitBatch(batchOf(segment(0, 5, [5, 7, 8, 12])), offsetOf);
    expect(a.segments[0]).toMatchObject({ first: 5, last: 7, rows: [{ offset: 5 }, { offset: 7 }] });
    expect(c.segments[0]).toMatchObject({ first: 8, last: 12, rows: [{ offset: 8 }, { offset: 12 }] });
  });

  it('refuses to split a single row', () => {
    expect(() => splitBatch(batchOf(segment(0, 0, [0])), offsetOf)).toThrow(/fewer than two rows/);
  });
});

describe('writeSplitting (never retry the non-transient)', () => {
  it('isolates every refused record, dead-letters it with its error, and writes all the others exactly once', async () => {
    const t = target();
    const refused: { offset: number; code: string | undefined }[] = [];
    const offsets = Array.from({ length: 100 }, (_, i) => i);
    const bad = [0, 37, 38, 99];
    const b = batchOf(segment(0, 0, offsets, bad), segment(1, 0, [0, 1, 2], [1]));
    const result = await writeSplitting(b, {
      write: t.write,
      offsetOf,
      refuse: (_topic, row, err) => {
        refused.push({ offset: row.offset, code: err.serverCode });
        return Promise.resolve();
      },
    });
    expect(result.fenced).toEqual([]);
    expect(refused.map((r) => r.offset).sort((x, y) => x - y)).toEqual([0, 1, 37, 38, 99]);
    expect(new Set(refused.map((r) => r.code))).toEqual(new Set(['23514']));
    expect(t.stored.size).toBe(103 - 5);
    expect([...t.stored.values()].every((n) => n === 1)).toBe(true);
    expect(t.stored.has('0:37')).toBe(false);
    // Both partitions end past their last record: nothing stalls.
    expect(t.positions.get(0)).toBe(100);
    expect(t.positions.get(1)).toBe(3);
  });

  it('an oversize batch (a limit or memory refusal) passes in smaller parts, nothing dead-lettered', async () => {
    for (const [kind, code] of [
      ['refused', '54000'],
      ['transient', 'MEMORY_LIMIT_EXCEEDED'],
    ] as const) {
      const t = target();
      const refused: number[] = [];
      const b = batchOf(
        segment(
          0,
          0,
          Array.from({ length: 100 }, (_, i) => i),
        ),
      );
      await writeSplitting(b, {
        write: (x, bounded) =>
          x.rowCount > 16
            ? Promise.reject(new TargetRefusal('POSTGRES_ERROR', 'too large', kind, { serverCode: code }))
            : t.write(x, bounded),
        offsetOf,
        refuse: (_t, row) => {
          refused.push(row.offset);
          return Promise.resolve();
        },
      });
      expect(refused).toEqual([]);
      expect(t.stored.size).toBe(100);
      expect(t.positions.get(0)).toBe(100);
    }
  });

  it('a batch the target accepts is one write', async () => {
    const t = target();
    await writeSplitting(batchOf(segment(0, 0, [0, 1, 2])), {
      write: t.write,
      offsetOf,
      refuse: () => Promise.resolve(),
    });
    expect(t.writes).toEqual(['0:0-2/3']);
  });

  it('a transient refusal splits a batch but a single row is never dead-lettered for it', async () => {
    const t = target('transient');
    const refused: number[] = [];
    await expect(
      writeSplitting(batchOf(segment(0, 0, [0, 1, 2, 3], [2])), {
        write: t.write,
        offsetOf,
        refuse: (_t, row) => {
          refused.push(row.offset);
          return Promise.resolve();
        },
      }),
    ).rejects.toMatchObject({ kind: 'transient' });
    expect(refused).toEqual([]);
    expect(t.stored.has('0:0')).toBe(true);
    expect(t.stored.has('0:3')).toBe(false);
  });

  it('without a way to dead-letter rows, a refusal is rethrown unsplit; other errors always are', async () => {
    const t = target();
    await expect(
      writeSplitting(batchOf(segment(0, 0, [0, 1], [1])), { write: t.write, offsetOf }),
    ).rejects.toBeInstanceOf(TargetRefusal);
    expect(t.writes).toHaveLength(1);
    const fatal = new EtlError('POSTGRES_ERROR', 'relation does not exist', { serverCode: '42P01' });
    let calls = 0;
    await expect(
      writeSplitting(batchOf(segment(0, 0, [0, 1])), {
        write: () => {
          calls++;
          return Promise.reject(fatal);
        },
        offsetOf,
        refuse: () => Promise.resolve(),
      }),
    ).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });

  it('a partition fenced in the first half is not written in the second', async () => {
    const written: number[] = [];
    let first = true;
    const b = batchOf(segment(0, 0, [0, 1]), segment(1, 0, [0]), segment(0, 2, [2, 3]));
    const result = await writeSplitting(b, {
      write: (x) => {
        if (first) {
          first = false;
          return Promise.reject(new TargetRefusal('CLICKHOUSE_ERROR', 'x', 'refused'));
        }
        written.push(...x.segments.map((s) => s.partition));
        return Promise.resolve({
          fenced: x.segments.some((s) => s.partition === 0) ? [{ topic: 't', partition: 0 }] : [],
        });
      },
      offsetOf,
      refuse: () => Promise.resolve(),
    });
    expect(result.fenced).toEqual([{ topic: 't', partition: 0 }]);
    expect(written).toEqual([0, 1]);
  });
});
