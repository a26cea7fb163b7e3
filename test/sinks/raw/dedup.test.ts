import { describe, expect, it } from 'vitest';
import type { Segment, SinkRow } from '../../../sinks/core/contract.js';
import { differingFields, firstOccurrences, verdicts } from '../../../sinks/raw/dedup.js';
import { makeEvents } from '../../../bench/lib/sale-events.js';

const row = (event: SinkRow['event'], partition: number, offset: number): SinkRow => ({
  event,
  partition,
  offset,
  kafkaTimestamp: 1,
  record: { key: Buffer.from(event.store_id), value: Buffer.from(`v${offset}`), headers: { h: 'x' } },
});

describe('idempotent raw tables: verdicts', () => {
  const [a, b, c] = makeEvents(3) as [SinkRow['event'], SinkRow['event'], SinkRow['event']];

  it('keeps the first occurrence in the batch, drops an exact re-send, dead-letters a different one', () => {
    const segs: Segment[] = [
      {
        topic: 't',
        partition: 0,
        first: 0,
        last: 3,
        rows: [row(a, 0, 0), row(b, 0, 1), row({ ...a }, 0, 2)],
      },
      {
        topic: 't',
        partition: 1,
        first: 0,
        last: 1,
        rows: [row({ ...b, quantity: b.quantity + 1 }, 1, 0), row(c, 1, 1)],
      },
    ];
    const v = verdicts(segs, new Map(), 'postgres');
    expect(v.keep.map((k) => k.map((r) => r.offset))).toEqual([[0, 1], [1]]);
    expect(v.identical).toBe(1);
    expect(v.conflicting).toHaveLength(1);
    const letter = v.conflicting[0];
    expect(letter).toMatchObject({ topic: 't', partition: 1, offset: 0, reason: 'conflicting_duplicate' });
    expect(letter?.value?.toString()).toBe('v0');
    expect(letter?.headers).toEqual({ h: 'x' });
    expect(letter?.detail).toContain(`event_id ${b.event_id} is already stored in postgres from t[0]@1`);
    expect(letter?.detail).toContain('differs in quantity');
  });

  it('an id stored before the batch wins over every occurrence in it', () => {
    const segs: Segment[] = [
      {
        topic: 't',
        partition: 0,
        first: 5,
        last: 6,
        rows: [row({ ...a }, 0, 5), row({ ...a, sku: 'other' }, 0, 6)],
      },
    ];
    const v = verdicts(segs, new Map([[a.event_id, { content: a, where: 't[0]@1' }]]), 'clickhouse');
    expect(v.keep).toEqual([[]]);
    expect(v.identical).toBe(1);
    expect(v.conflicting.map((l) => l.offset)).toEqual([6]);
  });

  it('an id whose first row is gone is dropped, not stored again', () => {
    const segs: Segment[] = [{ topic: 't', partition: 0, first: 0, last: 0, rows: [row(a, 0, 0)] }];
    const v = verdicts(segs, new Map([[a.event_id, undefined]]), 'postgres');
    expect(v).toMatchObject({ keep: [[]], identical: 1, conflicting: [] });
  });

  it('event ids compare case-insensitively (UUIDs), and only stored fields count', () => {
    const upper = { ...a, event_id: a.event_id.toUpperCase() };
    expect(differingFields(a, upper)).toEqual([]);
    expect(differingFields(a, { ...a, customer_id: null, event_time: a.event_time + 1 })).toEqual(
      a.customer_id === null ? ['event_time'] : ['event_time', 'customer_id'],
    );
    const segs: Segment[] = [
      { topic: 't', partition: 0, first: 0, last: 1, rows: [row(a, 0, 0), row(upper, 0, 1)] },
    ];
    expect([...firstOccurrences(segs).keys()]).toEqual([a.event_id.toLowerCase()]);
    expect(verdicts(segs, new Map(), 'postgres').identical).toBe(1);
  });
});
