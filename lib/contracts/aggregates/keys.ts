/**
 * The Kafka keys of the aggregate topics — also the primary keys of the aggregate tables, and what
 * compaction keeps one value of. One codec builds and parses them, so processors and sinks cannot
 * disagree.
 *
 *   sales-hourly      <window_start ISO>|<store_id>|<sku>
 *   store-rolling-1h  <store_id>|<window_end ISO>
 *   top-skus          <window_start ISO>
 *
 * Parts are joined with `|`; a `|` or `\` inside an id is escaped with `\`, so two different
 * (store, sku) pairs can never make the same key. Ids without `|` and `\` — everything the
 * generator makes — give exactly the plain join.
 */

const SEP = '|';

function escapePart(part: string): string {
  return part.includes('|') || part.includes('\\') ? part.replace(/[\\|]/g, (c) => `\\${c}`) : part;
}

/** Join parts into one key, escaping separators inside the parts. */
export function encodeKey(parts: readonly string[]): string {
  return parts.map(escapePart).join(SEP);
}

/** Split a key made by encodeKey back into its parts; undefined if it is not well-formed. */
export function decodeKey(key: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < key.length; i++) {
    const c = key[i] as string;
    if (c === '\\') {
      const next = key[i + 1];
      if (next !== '\\' && next !== SEP) return undefined;
      current += next;
      i++;
    } else if (c === SEP) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

const iso = (ms: number) => new Date(ms).toISOString();

function time(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

export interface HourlyKey {
  /** epoch ms */
  window_start: number;
  store_id: string;
  sku: string;
}

export interface RollingKey {
  store_id: string;
  /** epoch ms */
  window_end: number;
}

export interface TopSkusKey {
  /** epoch ms */
  window_start: number;
}

export const hourlyKey = (k: HourlyKey): string => encodeKey([iso(k.window_start), k.store_id, k.sku]);
export const rollingKey = (k: RollingKey): string => encodeKey([k.store_id, iso(k.window_end)]);
export const topSkusKey = (k: TopSkusKey): string => iso(k.window_start);

export function parseHourlyKey(key: string): HourlyKey | undefined {
  const parts = decodeKey(key);
  if (parts?.length !== 3) return undefined;
  const [start, store_id, sku] = parts as [string, string, string];
  const window_start = time(start);
  return window_start === undefined ? undefined : { window_start, store_id, sku };
}

export function parseRollingKey(key: string): RollingKey | undefined {
  const parts = decodeKey(key);
  if (parts?.length !== 2) return undefined;
  const [store_id, end] = parts as [string, string];
  const window_end = time(end);
  return window_end === undefined ? undefined : { store_id, window_end };
}

export function parseTopSkusKey(key: string): TopSkusKey | undefined {
  const window_start = time(key);
  return window_start === undefined ? undefined : { window_start };
}
