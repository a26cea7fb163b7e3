import { describe, expect, it } from 'vitest';
import { BatchBuffer, tpKey } from '../../../sinks/core/batch-buffer.js';
import { deadLetter } from './dead-letter.js';

describe('BatchBuffer (generic, keyed by topic-partition)', () => {
  it('never mixes two topics with the same partition number', () => {
    const buf = new BatchBuffer<{ o: number }>();
    const a = { next: 0, cuts: [] as number[] };
    const b = { next: 5, cuts: [] as number[] };
    buf.append('b', 0, b, 5, { o: 5 });
    buf.append('a', 0, a, 0, { o: 0 });
    buf.append('a', 0, a, 1, { o: 1 });
    buf.drop('b', 0);
    expect(buf.rows).toBe(2);
    const { batch } = buf.take();
    expect(
      batch.segments.map((s) => [s.topic, s.partition, s.first, s.last, s.rows.map((r) => r.o)]),
    ).toEqual([['a', 0, 0, 1, [0, 1]]]);
    expect(buf.isEmpty()).toBe(true);
    expect(buf.age()).toBe(0);
  });

  it('keeps the dead letters of a pinned open segment for the batch that takes that segment', () => {
    const buf = new BatchBuffer<{ o: number }>();
    const c = { next: 0, cuts: [9] };
    const d = { next: 0, cuts: [] as number[] };
    buf.append('t', 1, c, 0, { o: 0 });
    buf.append('t', 1, c, 1, undefined, deadLetter('t', 1, 1));
    buf.append('t', 2, d, 0, undefined, deadLetter('t', 2, 0));
    const pinned = new Set([tpKey('t', 1)]);
    expect(buf.isEmptyExcept(pinned)).toBe(false);
    const first = buf.take(pinned);
    expect(first.batch.segments.map((s) => [s.partition, s.first, s.last])).toEqual([[2, 0, 0]]);
    expect(first.dead.map((x) => [x.partition, x.offset])).toEqual([[2, 0]]);
    expect(buf.isEmptyExcept(pinned)).toBe(true);
    expect(buf.takeableRows(pinned)).toBe(0);
    buf.append('t', 1, c, 9, { o: 9 });
    const second = buf.take(pinned);
    expect(second.batch.segments.map((s) => [s.partition, s.first, s.last, s.rows.map((r) => r.o)])).toEqual([
      [1, 0, 9, [0, 9]],
    ]);
    expect(second.dead.map((x) => [x.partition, x.offset])).toEqual([[1, 1]]);
  });
});
