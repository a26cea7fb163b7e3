/**
 * The state rows of the changelog, read back fast. Operators write their state keys as JSON arrays
 * of integers and decimal strings (hourly `[quantity, revenue, returns, events, orders]`, rolling
 * `[quantity, revenue, events, orders]`, top SKUs `[revenue, quantity]`; types.ts StateChange).
 * A restore reads hundreds of thousands of them: decoding each value to a string and handing it
 * to JSON.parse was a large share of a restore (issue 16). parseRow reads that shape straight from
 * the record's bytes; anything else (a fraction, an exponent, an escape, a nested value, spaces,
 * an integer beyond 15 digits) goes to JSON.parse, so the result is always what JSON.parse gives.
 */

const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const COMMA = 0x2c;
const QUOTE = 0x22;
const MINUS = 0x2d;
const BACKSLASH = 0x5c;
const ZERO = 0x30;
const NINE = 0x39;

/** A row value as JSON.parse would give it (a state row, or anything else its bytes hold). */
export function parseRow(value: Buffer | string): unknown {
  if (typeof value === 'string') return JSON.parse(value) as unknown;
  return parseFlatArray(value) ?? (JSON.parse(value.toString('utf8')) as unknown);
}

/** `[int|"text", …]` without spaces or escapes; undefined for anything else. */
function parseFlatArray(b: Buffer): (number | string)[] | undefined {
  const n = b.length;
  if (n < 2 || b[0] !== OPEN || b[n - 1] !== CLOSE) return undefined;
  const out: (number | string)[] = [];
  if (n === 2) return out;
  let i = 1;
  for (;;) {
    let c = b[i] as number;
    if (c === QUOTE) {
      const start = ++i;
      for (;;) {
        if (i >= n) return undefined;
        c = b[i] as number;
        if (c === QUOTE) break;
        if (c === BACKSLASH || c < 0x20) return undefined;
        i++;
      }
      out.push(b.toString('utf8', start, i));
      i++;
    } else {
      const negative = c === MINUS;
      if (negative) c = b[++i] as number;
      const start = i;
      let v = 0;
      while (c >= ZERO && c <= NINE) {
        v = v * 10 + (c - ZERO);
        c = b[++i] as number;
      }
      const digits = i - start;
      // No digits, a leading zero (JSON forbids it), or more digits than a double holds exactly.
      if (digits === 0 || digits > 15 || (digits > 1 && b[start] === ZERO)) return undefined;
      out.push(negative ? -v : v);
    }
    c = b[i] as number;
    if (c === CLOSE) return i === n - 1 ? out : undefined;
    if (c !== COMMA) return undefined;
    i++;
  }
}
