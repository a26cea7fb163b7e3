/**
 * Aggregate records (docs/processors.md#outputs) → table rows: the processors write them, the
 * aggregate sinks read them. The topic says which table; the
 * Kafka key is the table's key (it is what compaction keeps one value of), so a tombstone (null
 * value) deletes by the key alone. Anything that is not a well-formed record of its topic is a
 * dead letter with a one-line reason, never a stalled partition.
 */
import { parseHourlyKey, parseRollingKey, parseTopSkusKey } from './keys.js';
import { sumFromJson } from './sums.js';
import type { SalesAnomaly } from '../anomaly/schema.js';

/** The aggregate tables, one per aggregate topic (the same names in Postgres and ClickHouse). */
export const AGG_TABLES = ['sales_hourly', 'top_skus', 'store_rolling_1h', 'sales_anomalies'] as const;
export type AggTable = (typeof AGG_TABLES)[number];
/** The tables fed by JSON records (parseRecord); `sales_anomalies` is fed by Avro (anomaly/record.ts). */
export type JsonAggTable = Exclude<AggTable, 'sales_anomalies'>;

export interface HourlyRow {
  store_id: string;
  sku: string;
  /** epoch ms */
  window_start: number;
  quantity: number;
  /** exact (lib/contracts/aggregates/sums.ts): a decimal string in the record */
  revenue_cents: bigint;
  returns: number;
  orders: number;
  final: boolean;
}

export interface TopSkuRow {
  window_start: number;
  rank: number;
  sku: string;
  revenue_cents: bigint;
  quantity: number;
}

export interface RollingRow {
  store_id: string;
  window_end: number;
  quantity: number;
  revenue_cents: bigint;
  orders: number;
}

/** One parsed record: the table, the key it replaces (`key`), and the new value or null (delete). */
export type AggRecord =
  | {
      table: 'sales_hourly';
      key: string;
      id: Pick<HourlyRow, 'store_id' | 'sku' | 'window_start'>;
      row: HourlyRow | null;
    }
  | { table: 'top_skus'; key: string; id: { window_start: number }; rows: TopSkuRow[] | null }
  | {
      table: 'store_rolling_1h';
      key: string;
      id: Pick<RollingRow, 'store_id' | 'window_end'>;
      row: RollingRow | null;
    }
  | {
      table: 'sales_anomalies';
      key: string;
      id: Pick<SalesAnomaly, 'store_id' | 'window_start' | 'metric'>;
      row: SalesAnomaly | null;
    };

export type Parsed = { ok: true; record: AggRecord } | { ok: false; detail: string };

class Invalid extends Error {}

function time(v: unknown, what: string): number {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(t)) throw new Invalid(`${what} is not an ISO timestamp: ${JSON.stringify(v)}`);
  return t;
}

function int(o: Record<string, unknown>, field: string, min = -Number.MAX_SAFE_INTEGER): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    throw new Invalid(`${field} must be an integer${min === 0 ? ' ≥ 0' : ''}, got ${JSON.stringify(v)}`);
  return v;
}

function sum(o: Record<string, unknown>, field: string): bigint {
  const v = sumFromJson(o[field]);
  if (v === undefined)
    throw new Invalid(
      `${field} must be an integer (a decimal string, or a JSON number below 2^53) within the 64-bit range, got ${JSON.stringify(o[field])}`,
    );
  return v;
}

function str(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v === '') throw new Invalid(`${field} must be a non-empty string`);
  return v;
}

function same<T>(field: string, fromValue: T, fromKey: T): void {
  if (fromValue !== fromKey)
    throw new Invalid(
      `${field} ${JSON.stringify(fromValue)} disagrees with the key (${JSON.stringify(fromKey)})`,
    );
}

function hourlyId(key: string) {
  const id = parseHourlyKey(key);
  if (!id) throw new Invalid(`key "${key}" is not <window_start>|<store_id>|<sku>`);
  return id;
}

function rollingId(key: string) {
  const id = parseRollingKey(key);
  if (!id) throw new Invalid(`key "${key}" is not <store_id>|<window_end>`);
  return id;
}

function topSkusId(key: string) {
  const id = parseTopSkusKey(key);
  if (!id) throw new Invalid(`key window_start is not an ISO timestamp: ${JSON.stringify(key)}`);
  return id;
}

function object(value: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new Invalid(`value is not JSON: ${(err as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Invalid('value is not a JSON object');
  return v as Record<string, unknown>;
}

/** The sales figures an hourly and a rolling record both carry. */
function figures(o: Record<string, unknown>) {
  return {
    quantity: int(o, 'quantity'),
    revenue_cents: sum(o, 'revenue_cents'),
    orders: int(o, 'orders', 0),
  };
}

export function parseRecord(table: JsonAggTable, keyBuf: Buffer | null, value: Buffer | null): Parsed {
  try {
    if (keyBuf === null || keyBuf.length === 0) throw new Invalid('record has no key');
    const key = keyBuf.toString('utf8');
    switch (table) {
      case 'sales_hourly': {
        const id = hourlyId(key);
        if (value === null) return { ok: true, record: { table, key, id, row: null } };
        const o = object(value);
        const row: HourlyRow = {
          store_id: str(o, 'store_id'),
          sku: str(o, 'sku'),
          window_start: time(o['window_start'], 'window_start'),
          ...figures(o),
          returns: int(o, 'returns', 0),
          final: o['final'] === true,
        };
        if (typeof o['final'] !== 'boolean') throw new Invalid('final must be true or false');
        same('store_id', row.store_id, id.store_id);
        same('sku', row.sku, id.sku);
        same('window_start', row.window_start, id.window_start);
        return { ok: true, record: { table, key, id, row } };
      }
      case 'top_skus': {
        const id = topSkusId(key);
        if (value === null) return { ok: true, record: { table, key, id, rows: null } };
        const o = object(value);
        same('window_start', time(o['window_start'], 'window_start'), id.window_start);
        const top = o['top'];
        if (!Array.isArray(top)) throw new Invalid('top must be an array');
        const rows = top.map((t: unknown, i): TopSkuRow => {
          if (typeof t !== 'object' || t === null) throw new Invalid(`top[${i}] is not an object`);
          const e = t as Record<string, unknown>;
          return {
            window_start: id.window_start,
            rank: int(e, 'rank', 1),
            sku: str(e, 'sku'),
            revenue_cents: sum(e, 'revenue_cents'),
            quantity: int(e, 'quantity'),
          };
        });
        const seen = new Set(rows.map((r) => r.sku));
        if (seen.size !== rows.length) throw new Invalid('top lists a SKU twice');
        return { ok: true, record: { table, key, id, rows } };
      }
      case 'store_rolling_1h': {
        const id = rollingId(key);
        if (value === null) return { ok: true, record: { table, key, id, row: null } };
        const o = object(value);
        const row: RollingRow = {
          store_id: str(o, 'store_id'),
          window_end: time(o['window_end'], 'window_end'),
          ...figures(o),
        };
        same('store_id', row.store_id, id.store_id);
        same('window_end', row.window_end, id.window_end);
        return { ok: true, record: { table, key, id, row } };
      }
    }
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, detail: `${table}: ${err.message}` };
    throw err;
  }
}
