/**
 * The key queries against ClickHouse (`?source=clickhouse`, issue 12): the tables the ClickHouse
 * sinks fill, read as the reader user (QUERY_CLICKHOUSE_URL, readonly=1 — so no setting is sent:
 * the timeout is the client's, compression off). Each query returns rows shaped as the Postgres
 * driver returns them (timestamps as Date, 64-bit figures as strings), so the route's row mappers
 * serve both stores and the JSON is the same for the same data:
 *
 * - the aggregate tables are ReplacingMergeTree: `FINAL` gives the latest row of each key, as the
 *   Postgres upsert holds it;
 * - event ids are compared and ordered as strings (lowercase hex), which is Postgres' uuid order
 *   (ClickHouse orders its UUID type otherwise), so keyset cursors are the same in both.
 */
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { HttpError } from '../http.js';
import type { Cursor } from './params.js';

export type Row = Record<string, unknown>;

export interface ClickhouseQueries {
  hourlyBySku(store: string, sku: string, from: Date, to: Date): Promise<Row[]>;
  hourlyTotals(store: string, from: Date, to: Date): Promise<Row[]>;
  topSkus(hour: Date): Promise<Row[]>;
  rolling(store: string, at: Date | undefined): Promise<Row[]>;
  events(store: string, from: Date, to: Date, after: Cursor | undefined, limit: number): Promise<Row[]>;
  close(): Promise<void>;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** ClickHouse errors become answers: a missing table (60) or database (81) is "not available yet". */
function chAnswer(err: unknown): HttpError {
  const e = err as { code?: string; type?: string; message?: string };
  const serverCode = e.type ?? e.code;
  if (
    e.code === '60' ||
    e.code === '81' ||
    serverCode === 'UNKNOWN_TABLE' ||
    serverCode === 'UNKNOWN_DATABASE'
  )
    return new HttpError(
      503,
      'CLICKHOUSE_ERROR',
      'this data is not available yet: its ClickHouse table does not exist (is its sink running?)',
      { serverCode },
      { 'retry-after': '30' },
      true,
    );
  if (/timeout/i.test(e.message ?? ''))
    return new HttpError(
      503,
      'TIMEOUT',
      'the query took too long and was cancelled',
      { serverCode },
      {},
      true,
    );
  return new HttpError(
    503,
    'CLICKHOUSE_ERROR',
    `ClickHouse could not answer: ${e.message ?? String(err)}`,
    { serverCode },
    { 'retry-after': '5' },
    true,
  );
}

/** `<name>_ms` columns (epoch milliseconds as ClickHouse sends them) back to `<name>` Dates. */
function withDates(rows: Row[]): Row[] {
  return rows.map((r) => {
    const out: Row = {};
    for (const [k, v] of Object.entries(r)) {
      if (k.endsWith('_ms')) out[k.slice(0, -3)] = new Date(Number(v));
      else out[k] = v;
    }
    return out;
  });
}

export function clickhouseQueries(o: {
  url: string;
  database: string;
  timeoutMs: number;
}): ClickhouseQueries {
  if (!IDENT.test(o.database))
    throw new HttpError(500, 'CONFIG_INVALID', `database "${o.database}" is not a plain identifier`);
  const db = `\`${o.database}\``;
  const client: ClickHouseClient = createClient({
    url: o.url,
    request_timeout: o.timeoutMs,
    compression: { request: false, response: false },
  });
  const ms = (d: Date) => d.getTime();
  const query = async (sql: string, params: Record<string, unknown>): Promise<Row[]> => {
    try {
      const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return withDates(await rs.json<Row>());
    } catch (err) {
      throw chAnswer(err);
    }
  };
  const at = (name: string) => `fromUnixTimestamp64Milli({${name}:Int64}, 'UTC')`;

  return {
    hourlyBySku: (store, sku, from, to) =>
      query(
        `SELECT toUnixTimestamp64Milli(window_start) AS window_start_ms, quantity, revenue_cents, returns, orders
           FROM ${db}.sales_hourly FINAL
          WHERE store_id = {store:String} AND sku = {sku:String} AND window_start >= ${at('from')} AND window_start < ${at('to')}
          ORDER BY window_start`,
        { store, sku, from: ms(from), to: ms(to) },
      ),
    hourlyTotals: (store, from, to) =>
      query(
        `SELECT toUnixTimestamp64Milli(window_start) AS window_start_ms, sum(quantity) AS quantity,
                sum(revenue_cents) AS revenue_cents, sum(returns) AS returns, count() AS skus
           FROM ${db}.sales_hourly FINAL
          WHERE store_id = {store:String} AND window_start >= ${at('from')} AND window_start < ${at('to')}
          GROUP BY window_start ORDER BY window_start`,
        { store, from: ms(from), to: ms(to) },
      ),
    topSkus: (hour) =>
      query(
        `SELECT rank, sku, revenue_cents, quantity FROM ${db}.top_skus FINAL
          WHERE window_start = ${at('hour')} ORDER BY rank, sku`,
        { hour: ms(hour) },
      ),
    rolling: (store, until) =>
      query(
        `SELECT toUnixTimestamp64Milli(window_end) AS window_end_ms, quantity, revenue_cents, orders
           FROM ${db}.store_rolling_1h FINAL
          WHERE store_id = {store:String} ${until ? `AND window_end <= ${at('at')}` : ''}
          ORDER BY window_end DESC LIMIT 1`,
        until ? { store, at: ms(until) } : { store },
      ),
    events: (store, from, to, after, limit) =>
      query(
        `SELECT toString(event_id) AS id, toUnixTimestamp64Milli(event_time) AS event_time_ms, sku, quantity,
                unit_price_cents, currency, channel, payment_type, customer_id, basket_id
           FROM ${db}.sales_raw
          WHERE store_id = {store:String} AND event_time >= ${at('from')} AND event_time < ${at('to')}
            ${after ? `AND (toUnixTimestamp64Milli(event_time), id) > ({afterMs:Int64}, {afterId:String})` : ''}
          ORDER BY event_time, id LIMIT {limit:UInt32}`,
        {
          store,
          from: ms(from),
          to: ms(to),
          limit,
          ...(after ? { afterMs: after.eventTimeMs, afterId: after.eventId.toLowerCase() } : {}),
        },
      ).then((rows) => rows.map(({ id, ...r }) => ({ event_id: id, ...r }))),
    close: () => client.close(),
  };
}
