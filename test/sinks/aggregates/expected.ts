/**
 * What the aggregate tables must hold for a processor fixture run, computed by SQL in Postgres
 * over the fixture's input table (deduplicated by event_id, each processor's late records left
 * out), in the same shape the table readers below return — so a test compares two Maps.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type pg from 'pg';
import { lateIds } from '../../processors/helpers/checks.js';
import { HOUR, MINUTE } from '../../processors/helpers/expected.js';
import { readAll, T0 } from '../../processors/helpers/fixture.js';
import type { Fixture } from '../../processors/helpers/fixture.js';
import type { Kafka } from '../../../lib/kafka/index.js';
import { parseRecord } from '../../../lib/contracts/aggregates/records.js';
import type { HourlyRow, RollingRow, TopSkuRow } from '../../../lib/contracts/aggregates/records.js';

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const dedup = (table: string) =>
  `SELECT DISTINCT ON (event_id) * FROM ${table} WHERE NOT (event_id = ANY($1::text[])) ORDER BY event_id`;

export interface Expected {
  /** `window_start|store|sku` → [quantity, revenue, returns, orders, final]; revenue as exact decimal text */
  hourly: Map<string, (number | string | boolean)[]>;
  /** `window_start` → JSON of [[rank, sku, revenue, quantity], …] ordered by rank, sku */
  top: Map<string, string>;
  /** `store|window_end` → [quantity, revenue, orders], at every minute of [rollingFrom, rollingTo] */
  rolling: Map<string, (number | string)[]>;
  rollingFrom: number;
  rollingTo: number;
}

export async function expectedTables(f: Fixture, topN: number): Promise<Expected> {
  const late = (await lateIds(f)).ids;
  const hourly = await f.db.query<{
    k: string;
    q: string;
    rev: string;
    ret: string;
    o: string;
    fin: boolean;
  }>(
    `WITH d AS (${dedup(f.table)})
     SELECT to_char(date_trunc('hour', event_time), ${ISO}) || '|' || store_id || '|' || sku AS k,
            sum(quantity) AS q, sum(quantity * unit_price_cents) AS rev,
            count(*) FILTER (WHERE quantity < 0) AS ret, count(DISTINCT basket_id) AS o,
            date_trunc('hour', event_time) < to_timestamp($2 / 1000.0) AS fin
       FROM d GROUP BY 1, date_trunc('hour', event_time)`,
    [late['hourly'] ?? [], f.sentinelHour],
  );
  const top = await f.db.query<{ h: string; list: string }>(
    `WITH d AS (${dedup(f.table)}),
          s AS (SELECT date_trunc('hour', event_time) AS h, sku, sum(quantity * unit_price_cents) AS rev,
                       sum(quantity) AS qty FROM d WHERE event_time < to_timestamp($2 / 1000.0) GROUP BY 1, 2),
          r AS (SELECT *, rank() OVER (PARTITION BY h ORDER BY rev DESC) AS rk FROM s)
     SELECT to_char(h, ${ISO}) AS h, json_agg(json_build_array(rk, sku, rev::text, qty) ORDER BY rk, sku)::text AS list
       FROM r WHERE rk <= $3 GROUP BY h`,
    [late['top-skus'] ?? [], f.sentinelHour, topN],
  );
  // Every minute from before the data to the last window the sentinels close: their watermark
  // (sentinel − out-of-order bound) minus the allowed lateness, floored to the minute.
  const rollingFrom = T0 - 2 * HOUR;
  const rollingTo = f.sentinelHour - 2 * MINUTE;
  const rolling = await f.db.query<{ k: string; q: string; rev: string; o: string }>(
    `WITH d AS (${dedup(f.table)})
     SELECT d.store_id || '|' || to_char(ts.t, ${ISO}) AS k,
            sum(quantity) AS q, sum(quantity * unit_price_cents) AS rev, count(DISTINCT basket_id) AS o
       FROM generate_series(to_timestamp($2 / 1000.0), to_timestamp($3 / 1000.0), interval '1 minute') AS ts(t)
       JOIN d ON d.event_time >= ts.t - interval '1 hour' AND d.event_time < ts.t
      GROUP BY 1`,
    [late['rolling'] ?? [], rollingFrom, rollingTo],
  );
  return {
    hourly: new Map(hourly.rows.map((r) => [r.k, [Number(r.q), r.rev, Number(r.ret), Number(r.o), r.fin]])),
    top: new Map(top.rows.map((r) => [r.h, JSON.stringify(JSON.parse(r.list))])),
    rolling: new Map(rolling.rows.map((r) => [r.k, [Number(r.q), r.rev, Number(r.o)]])),
    rollingFrom,
    rollingTo,
  };
}

const iso = (v: Date | string) => (v instanceof Date ? v : new Date(v)).toISOString();

/** The three Postgres tables in the shape of Expected (rolling: only rows inside the checked range, plus a count of the others). */
export async function postgresTables(
  db: pg.Client,
  schema: string,
  e: Pick<Expected, 'rollingFrom' | 'rollingTo'>,
) {
  const s = `"${schema}"`;
  const h = await db.query<{
    store_id: string;
    sku: string;
    window_start: Date;
    quantity: string;
    revenue_cents: string;
    returns: number;
    orders: number;
    final: boolean;
  }>(`SELECT * FROM ${s}.sales_hourly`);
  const t = await db.query<{
    window_start: Date;
    rank: number;
    sku: string;
    revenue_cents: string;
    quantity: string;
  }>(`SELECT * FROM ${s}.top_skus ORDER BY window_start, rank, sku`);
  const r = await db.query<{
    store_id: string;
    window_end: Date;
    quantity: string;
    revenue_cents: string;
    orders: number;
  }>(`SELECT * FROM ${s}.store_rolling_1h`);
  return shape(
    h.rows.map((x) => ({ ...x, window_start: iso(x.window_start) })),
    t.rows.map((x) => ({ ...x, window_start: iso(x.window_start) })),
    r.rows.map((x) => ({ ...x, window_end: iso(x.window_end) })),
    e,
  );
}

/** The same from ClickHouse, deduplicated by `FINAL`. */
export async function clickhouseTables(
  ch: ClickHouseClient,
  database: string,
  e: Pick<Expected, 'rollingFrom' | 'rollingTo'>,
) {
  const q = async <T>(query: string) => (await ch.query({ query, format: 'JSONEachRow' })).json<T>();
  const fmt = (col: string) => `formatDateTime(${col}, '%Y-%m-%dT%H:%i:%S.000Z', 'UTC') AS ${col}`;
  const db = `\`${database}\``;
  const h = await q<{
    store_id: string;
    sku: string;
    window_start: string;
    quantity: string;
    revenue_cents: string;
    returns: number;
    orders: number;
    final: boolean;
  }>(
    `SELECT store_id, sku, ${fmt('window_start')}, quantity, revenue_cents, returns, orders, final FROM ${db}.sales_hourly FINAL`,
  );
  const t = await q<{
    window_start: string;
    rank: number;
    sku: string;
    revenue_cents: string;
    quantity: string;
  }>(
    `SELECT ${fmt('window_start')}, rank, sku, revenue_cents, quantity FROM ${db}.top_skus FINAL ORDER BY window_start, rank, sku`,
  );
  const r = await q<{
    store_id: string;
    window_end: string;
    quantity: string;
    revenue_cents: string;
    orders: number;
  }>(
    `SELECT store_id, ${fmt('window_end')}, quantity, revenue_cents, orders FROM ${db}.store_rolling_1h FINAL`,
  );
  return shape(h, t, r, e);
}

/**
 * The same from the three JSON aggregate topics themselves, read_committed and compacted by hand
 * (the last record of each key wins, a tombstone removes it): what the processors emitted, for a
 * test that compares a sink's tables with its input rather than with a recomputation.
 */
export async function topicTables(
  kafka: Kafka,
  topics: { hourly: string; topSkus: string; rolling: string },
  e: Pick<Expected, 'rollingFrom' | 'rollingTo'>,
) {
  const latest = async <T>(topic: string, table: 'sales_hourly' | 'top_skus' | 'store_rolling_1h') => {
    const m = new Map<string, T>();
    for (const r of await readAll({ kafka }, topic)) {
      const parsed = parseRecord(table, Buffer.from(r.key), r.value);
      if (!parsed.ok) throw new Error(`${topic} ${r.partition}@${r.offset}: ${parsed.detail}`);
      const rec = parsed.record;
      const value = rec.table === 'top_skus' ? rec.rows : rec.table === 'sales_anomalies' ? null : rec.row;
      if (value === null) m.delete(rec.key);
      else m.set(rec.key, value as T);
    }
    return [...m.values()];
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  const h = (await latest<HourlyRow>(topics.hourly, 'sales_hourly')).map((x) => ({
    ...x,
    window_start: iso(x.window_start),
    revenue_cents: String(x.revenue_cents),
  }));
  const t = (await latest<TopSkuRow[]>(topics.topSkus, 'top_skus'))
    .flat()
    .sort((a, b) => a.window_start - b.window_start || a.rank - b.rank || (a.sku < b.sku ? -1 : 1))
    .map((x) => ({ ...x, window_start: iso(x.window_start), revenue_cents: String(x.revenue_cents) }));
  const r = (await latest<RollingRow>(topics.rolling, 'store_rolling_1h')).map((x) => ({
    ...x,
    window_end: iso(x.window_end),
    revenue_cents: String(x.revenue_cents),
  }));
  return shape(h, t, r, e);
}

function shape(
  h: {
    store_id: string;
    sku: string;
    window_start: string;
    quantity: string | number;
    revenue_cents: string | number;
    returns: number;
    orders: number;
    final: boolean;
  }[],
  t: {
    window_start: string;
    rank: number;
    sku: string;
    revenue_cents: string | number;
    quantity: string | number;
  }[],
  r: {
    store_id: string;
    window_end: string;
    quantity: string | number;
    revenue_cents: string | number;
    orders: number;
  }[],
  e: Pick<Expected, 'rollingFrom' | 'rollingTo'>,
) {
  const hourly = new Map(
    h.map((x) => [
      `${x.window_start}|${x.store_id}|${x.sku}`,
      [Number(x.quantity), String(x.revenue_cents), Number(x.returns), Number(x.orders), Boolean(x.final)],
    ]),
  );
  const lists = new Map<string, [number, string, string, number][]>();
  for (const x of t) {
    const l = lists.get(x.window_start) ?? [];
    l.push([Number(x.rank), x.sku, String(x.revenue_cents), Number(x.quantity)]);
    lists.set(x.window_start, l);
  }
  const top = new Map([...lists].map(([k, l]) => [k, JSON.stringify(l)]));
  const rolling = new Map<string, (number | string)[]>();
  let rollingOutside = 0;
  for (const x of r) {
    const end = Date.parse(x.window_end);
    if (end < e.rollingFrom || end > e.rollingTo) rollingOutside++;
    else
      rolling.set(`${x.store_id}|${x.window_end}`, [
        Number(x.quantity),
        String(x.revenue_cents),
        Number(x.orders),
      ]);
  }
  return { hourly, top, rolling, rollingOutside, rollingRows: r.length };
}

export const sorted = <K, V>(m: Map<K, V>) =>
  new Map([...m].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)));
