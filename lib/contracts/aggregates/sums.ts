/**
 * Exact money sums on the wire (issue 11, "exact arithmetic"). One line is at most
 * 10,000 × 100,000,000 cents = 10^12 (lib/contracts/event/validate.ts), so 9,008 such lines in one
 * key already pass 2^53, where a JS number stops being exact. Revenue sums are therefore BigInt in
 * the processors and written as **decimal strings** in JSON (aggregate topic values, processor
 * changelogs, the query API): `JSON.parse` turns any JSON number into a double, so a bare integer
 * above 2^53 would be rounded silently by every JavaScript reader; a string is read exactly or not at
 * all. The tables hold them as 64-bit integers (Postgres `bigint`, ClickHouse `Int64`), so a sum
 * is exact up to 2^63 − 1 and a record beyond that is a dead letter with a reason, never a wrapped
 * value.
 *
 * Readers accept a safe-integer JSON number too: records and changelog entries written before
 * sums were strings stay readable (a number is only accepted while it is exact).
 *
 * Quantity sums stay JS numbers: at most 10,000 per line, they need 9 × 10^11 lines in one key to
 * reach 2^53.
 */

import { EtlError } from '../../errors.js';

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

const DECIMAL = /^-?(0|[1-9][0-9]*)$/;

/** A sum as it is written in JSON: its decimal digits, exact. */
export function sumToJson(v: bigint): string {
  return v.toString();
}

function parse(v: unknown): bigint | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : undefined;
  if (typeof v !== 'string' || v.length > 40 || !DECIMAL.test(v) || v === '-0') return undefined;
  return BigInt(v);
}

/**
 * A sum read from an aggregate record: a canonical decimal string within the 64-bit range of the
 * tables, or a safe-integer number (older writers). Undefined for anything else — a rounded or
 * out-of-range sum is refused, never stored wrong.
 */
export function sumFromJson(v: unknown): bigint | undefined {
  const n = parse(v);
  return n !== undefined && n >= INT64_MIN && n <= INT64_MAX ? n : undefined;
}

/**
 * A sum read back from a processor's own state (changelog, snapshot): any exact integer, no range
 * limit (the state may hold what a table cannot). Unreadable state is not skipped: it throws.
 */
export function sumFromState(v: unknown, what: string): bigint {
  const n = parse(v);
  if (n === undefined)
    throw new EtlError('DECODE_FAILED', `${what}: not an exact integer sum: ${JSON.stringify(v)}`);
  return n;
}
