import { describe, expect, it } from 'vitest';
import { PendingCommit } from '../../../processors/runtime/pending.js';

const policy = { intervalMs: 100, maxRecords: 50, maxBytes: 1_000 };

describe('commit scheduling', () => {
  it('nothing pending: no transaction is due', () => {
    const p = new PendingCommit(policy);
    expect(p.isEmpty()).toBe(true);
    expect(p.dueIn(1_000)).toBeUndefined();
    expect(p.full()).toBe(false);
  });

  it('is due one interval after the first uncommitted record, not after the last', () => {
    const p = new PendingCommit(policy);
    p.add({ records: 3, bytes: 30, next: 4 }, 1_000);
    expect(p.dueIn(1_000)).toBe(100);
    p.add({ records: 3, bytes: 30, next: 7 }, 1_080);
    expect(p.dueIn(1_080)).toBe(20);
    expect(p.dueIn(1_500)).toBe(0);
    expect(p.next).toBe(7);
  });

  it('is full at the record bound or at the byte bound, whichever comes first', () => {
    const byRecords = new PendingCommit(policy);
    byRecords.add({ records: 49, bytes: 10 }, 0);
    expect(byRecords.full()).toBe(false);
    byRecords.add({ records: 1, bytes: 10 }, 0);
    expect(byRecords.full()).toBe(true);
    const byBytes = new PendingCommit(policy);
    byBytes.add({ records: 2, bytes: 1_000 }, 0);
    expect(byBytes.full()).toBe(true);
  });

  it('keeps outputs, late, dead and changelog entries in the order they were added; one changelog entry per key', () => {
    const p = new PendingCommit(policy);
    p.add({ outputs: [{ topic: 't', key: 'a', value: '1' }], changelog: [{ key: 'm/0', value: 'x' }] }, 0);
    p.add(
      {
        outputs: [{ topic: 't', key: 'a', value: '2' }],
        changelog: [
          { key: 'k/h/1', value: 'v' },
          { key: 'm/0', value: 'y' },
          { key: 'k/h/1', value: null },
        ],
      },
      5,
    );
    p.add({ late: [{ value: 'l' }], dead: [{ value: 'd' }] }, 6);
    expect(p.outputs.map((o) => o.value)).toEqual(['1', '2']);
    // The changelog is read latest-per-key: only the last value of a key is written.
    expect(p.changelog.map((c) => [c.key, c.value])).toEqual([
      ['m/0', 'y'],
      ['k/h/1', null],
    ]);
    expect(p.late).toHaveLength(1);
    expect(p.dead).toHaveLength(1);
    expect(p.dueIn(0)).toBe(100);
  });

  it('writes one update per key and transaction (the latest), in the first update position', () => {
    const p = new PendingCommit(policy);
    p.add(
      {
        outputs: [
          { topic: 'h', key: 'a', value: '1', upsert: true },
          { topic: 'h', key: 'b', value: '1', upsert: true },
          { topic: 'p', key: 'x', value: '1' },
        ],
      },
      0,
    );
    p.add(
      {
        outputs: [
          { topic: 'h', key: 'a', value: '2', upsert: true },
          { topic: 'p', key: 'x', value: '2' },
        ],
      },
      1,
    );
    expect(p.outputs.map((o) => `${o.topic}${o.key}${o.value}`)).toEqual(['ha2', 'hb1', 'px1', 'px2']);
  });
});
