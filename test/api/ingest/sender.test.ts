import { describe, expect, it } from 'vitest';
import { chunkByBytes } from '../../../api/ingest/sender.js';

describe('chunkByBytes', () => {
  const msgs = (n: number) => Array.from({ length: n }, (_, i) => ({ key: String(i), value: null }));

  it('keeps order and puts at most maxBytes in a chunk', () => {
    const chunks = chunkByBytes(msgs(10), Array(10).fill(100) as number[], 250);
    expect(chunks.map((c) => c.map((m) => m.key))).toEqual([
      ['0', '1'],
      ['2', '3'],
      ['4', '5'],
      ['6', '7'],
      ['8', '9'],
    ]);
  });

  it('a message larger than the limit is a chunk of its own; nothing is dropped', () => {
    const chunks = chunkByBytes(msgs(3), [10, 999, 10], 100);
    expect(chunks.map((c) => c.map((m) => m.key))).toEqual([['0'], ['1'], ['2']]);
    expect(chunkByBytes([], [], 100)).toEqual([]);
  });
});
