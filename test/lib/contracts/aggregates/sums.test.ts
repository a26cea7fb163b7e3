import { describe, expect, it } from 'vitest';
import {
  INT64_MAX,
  INT64_MIN,
  sumFromJson,
  sumFromState,
  sumToJson,
} from '../../../../lib/contracts/aggregates/sums.js';
import { EtlError } from '../../../../lib/errors.js';

describe('exact sums on the wire (issue 11)', () => {
  it('round-trips sums JS numbers cannot hold, to the ends of the 64-bit range', () => {
    for (const v of [2n ** 53n + 1n, -(2n ** 53n) - 3n, INT64_MAX, INT64_MIN, 0n, -1n]) {
      const wire = JSON.stringify({ revenue_cents: sumToJson(v) });
      expect(sumFromJson((JSON.parse(wire) as { revenue_cents: unknown }).revenue_cents)).toBe(v);
    }
  });

  it('reads safe-integer numbers of older writers, and refuses numbers that may be rounded', () => {
    expect(sumFromJson(-120)).toBe(-120n);
    expect(sumFromJson(Number.MAX_SAFE_INTEGER)).toBe(2n ** 53n - 1n);
    // 2^53 + 2 is a double, but it may stand for 2^53 + 1 rounded: never taken as exact.
    expect(sumFromJson(2 ** 53 + 2)).toBeUndefined();
    expect(sumFromJson(1.5)).toBeUndefined();
  });

  it('refuses anything but a canonical integer within the tables’ 64-bit range', () => {
    for (const v of [
      '9223372036854775808',
      '-9223372036854775809',
      '01',
      '-0',
      '1.0',
      '1e3',
      ' 1',
      '',
      '+1',
      null,
      true,
    ])
      expect(sumFromJson(v), JSON.stringify(v)).toBeUndefined();
  });

  it('state may hold more than a table, but unreadable state throws a DECODE_FAILED error', () => {
    expect(sumFromState('9223372036854775808', 'x')).toBe(2n ** 63n);
    expect(sumFromState(270, 'x')).toBe(270n);
    expect(() => sumFromState('12.5', 'hourly state k')).toThrow(EtlError);
    expect(() => sumFromState(2 ** 60, 'hourly state k')).toThrow(/hourly state k: not an exact integer sum/);
  });
});
