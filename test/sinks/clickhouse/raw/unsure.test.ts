import { describe, expect, it } from 'vitest';
import { restToken, UnsureRanges } from '../../../../sinks/clickhouse/raw/unsure.js';

describe('UnsureRanges', () => {
  it('covers a partition’s segments up to the noted offset until a write passes it', () => {
    const u = new UnsureRanges();
    expect(u.covers('t', 0, 0)).toBe(false);
    u.note('t', 0, 199);
    expect(u.covers('t', 0, 100)).toBe(true);
    expect(u.covers('t', 0, 200)).toBe(false);
    expect(u.covers('t', 1, 100)).toBe(false);
    u.passed('t', 0, 149); // the first split half: the rest is still unsure
    expect(u.covers('t', 0, 150)).toBe(true);
    u.passed('t', 0, 199);
    expect(u.covers('t', 0, 150)).toBe(false);
  });

  it('keeps the furthest offset noted', () => {
    const u = new UnsureRanges();
    u.note('t', 0, 500);
    u.note('t', 0, 300);
    u.passed('t', 0, 300);
    expect(u.covers('t', 0, 400)).toBe(true);
  });
});

describe('restToken', () => {
  const seg = { topic: 't', partition: 2, first: 10, last: 19 };
  it('is the segment’s token plus a digest of the offsets: the same rows, the same token', () => {
    const a = restToken(seg, [{ offset: 15 }, { offset: 16 }]);
    expect(a).toMatch(/^t:2:10-19\/rest-[0-9a-f]{16}$/);
    expect(restToken(seg, [{ offset: 15 }, { offset: 16 }])).toBe(a);
  });
  it('differs for other rows of the same range, and from the segment’s own token', () => {
    expect(restToken(seg, [{ offset: 15 }])).not.toBe(restToken(seg, [{ offset: 16 }]));
    expect(restToken(seg, [{ offset: 15 }])).not.toBe('t:2:10-19');
  });
});
