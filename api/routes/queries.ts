/**
 * The key queries (issue 7), served from the read-only role: the API logs in as the reader role
 * (QUERY_DATABASE_URL, its own login in the stack), which holds SELECT grants only, and every
 * session is read-only besides, so the API cannot write even if it tried.
 *
 *   GET /v1/stores/:storeId/hourly?date=YYYY-MM-DD     hourly sales of a store for a UTC day
 *   GET /v1/top-skus?hour=ISO                          top SKUs of the hour containing `hour`
 *   GET /v1/stores/:storeId/rolling[?at=ISO]           the store's latest rolling hour (≤ at)
 *   GET /v1/stores/:storeId/events?from&to[&limit&cursor]   raw events, keyset-paginated
 *   GET /v1/openapi.json                               the OpenAPI description
 *
 * Every key query takes `source=postgres` (default) or `source=clickhouse`: the same answer from
 * the tables the ClickHouse sinks fill, read as ClickHouse's read-only user (QUERY_CLICKHOUSE_URL;
 * api/queries/clickhouse.ts). Both stores' rows go through the same mappers below.
 */
import type pg from 'pg';
import type { Schema } from '../../lib/config/index.js';
import { DATABASE_URL, readSetting, resolveConfig } from '../../lib/config/index.js';
import { HttpError, sendJson } from '../http.js';
import { OPENAPI } from '../openapi.js';
import type { ClickhouseQueries } from '../queries/clickhouse.js';
import { clickhouseQueries } from '../queries/clickhouse.js';
import * as p from '../queries/params.js';
import type { ApiContext, RequestContext, RouteModule } from '../router.js';
import { pgPool } from '../../lib/postgres/connection.js';

export const QUERY_SCHEMA = {
  databaseUrl: {
    type: 'string',
    env: 'QUERY_DATABASE_URL',
    secret: true,
    doc: 'Postgres URL of the query API: the read-only role’s login (`make up` writes it; default: DATABASE_URL)',
  },
  schema: { type: 'string', env: 'QUERY_SCHEMA', default: 'public', doc: 'schema holding the tables' },
  poolSize: {
    type: 'int',
    env: 'QUERY_POOL_SIZE',
    default: 10,
    min: 1,
    max: 200,
    doc: 'Postgres connections',
  },
  statementTimeoutMs: {
    type: 'int',
    env: 'QUERY_STATEMENT_TIMEOUT_MS',
    default: 5000,
    min: 100,
    doc: 'a query running longer is cancelled (503); for ClickHouse, the request’s timeout',
  },
  clickhouseUrl: {
    type: 'string',
    env: 'QUERY_CLICKHOUSE_URL',
    secret: true,
    doc: 'ClickHouse HTTP URL of `?source=clickhouse`: the read-only user’s (`make up` writes it); without it that source answers 503',
  },
  clickhouseDatabase: {
    type: 'string',
    env: 'QUERY_CLICKHOUSE_DATABASE',
    default: 'default',
    doc: 'ClickHouse database holding the tables',
  },
} satisfies Schema;

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

function quoteIdent(name: string, what: string): string {
  if (!IDENT.test(name))
    throw new HttpError(500, 'CONFIG_INVALID', `${what} "${name}" is not a plain identifier`);
  return `"${name}"`;
}

/** Postgres errors become answers: a missing table is "not available yet", not a 500. */
function dbError(err: unknown): HttpError {
  const code = (err as { code?: string }).code;
  if (code === '42P01') {
    return new HttpError(
      503,
      'POSTGRES_ERROR',
      'this data is not available yet: its table does not exist (is its sink running?)',
      { serverCode: code },
      { 'retry-after': '30' },
      true,
    );
  }
  if (code === '57014')
    return new HttpError(
      503,
      'TIMEOUT',
      'the query took too long and was cancelled',
      { serverCode: code },
      {},
      true,
    );
  return new HttpError(
    503,
    'POSTGRES_ERROR',
    `the database could not answer: ${(err as Error).message}`,
    { serverCode: code },
    { 'retry-after': '5' },
    true,
  );
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * A revenue sum as the API answers it: a decimal string, exact at any size (pg hands `bigint` and
 * `numeric` over as text; a JSON number would be rounded above 2^53 by JavaScript clients).
 * Quantities and counts stay JSON numbers: they cannot reach 2^53 within the event contract.
 */
const exact = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** The figures every hourly row has, whether per SKU or summed over a store's SKUs. */
const hourlyFigures = (r: Record<string, unknown>) => ({
  window_start: (r['window_start'] as Date).toISOString(),
  quantity: num(r['quantity']),
  revenue_cents: exact(r['revenue_cents']),
  returns: num(r['returns']),
});

export function queriesModule(explicit: Record<string, unknown> = {}): RouteModule {
  return {
    name: 'queries',
    create({ logger }: ApiContext) {
      const config = resolveConfig('queries', QUERY_SCHEMA, explicit);
      const url = config.databaseUrl ?? readSetting('queries', DATABASE_URL);
      const s = quoteIdent(config.schema, 'schema');
      const pool = url
        ? pgPool(url, {
            max: config.poolSize,
            options: `-c statement_timeout=${config.statementTimeoutMs} -c default_transaction_read_only=on`,
          })
        : undefined;
      pool?.on('error', (err) => logger.warn('query pool error', { err }));
      if (!pool) logger.warn('no DATABASE_URL: the query routes answer 503');
      const clickhouse = config.clickhouseUrl
        ? clickhouseQueries({
            url: config.clickhouseUrl,
            database: config.clickhouseDatabase,
            timeoutMs: config.statementTimeoutMs,
          })
        : undefined;
      /** The ClickHouse queries when `?source=clickhouse`, else undefined (Postgres). */
      const fromClickhouse = (url: URL): ClickhouseQueries | undefined => {
        if (p.source(url) === 'postgres') return undefined;
        if (!clickhouse)
          throw new HttpError(
            503,
            'STACK_NOT_RUNNING',
            'no ClickHouse configured for the query API (QUERY_CLICKHOUSE_URL)',
            { param: 'source' },
            {},
            true,
          );
        return clickhouse;
      };

      const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> => {
        if (!pool)
          throw new HttpError(
            503,
            'STACK_NOT_RUNNING',
            'no database configured (DATABASE_URL)',
            {},
            {},
            true,
          );
        try {
          return (await pool.query<R>(text, values)).rows;
        } catch (err) {
          throw dbError(err);
        }
      };

      /**
       * Without `sku`: the store's totals per hour (quantity, revenue, returns, SKUs sold). Orders
       * (distinct baskets) do not add up across SKUs, so they are only given per SKU — the store's
       * rolling hour has store-level orders. With `sku`: that SKU's hours, orders included.
       */
      const hourly = async ({ res, url, params }: RequestContext) => {
        const store = p.storeId(params['storeId']);
        const from = p.day(url);
        const to = new Date(from.getTime() + 86_400_000);
        const sku = url.searchParams.get('sku');
        const date = from.toISOString().slice(0, 10);
        const ch = fromClickhouse(url);
        if (sku !== null) {
          const rows = ch
            ? await ch.hourlyBySku(store, p.sku(sku), from, to)
            : await query(
                `SELECT window_start, quantity, revenue_cents, returns, orders FROM ${s}.sales_hourly
              WHERE store_id = $1 AND sku = $2 AND window_start >= $3 AND window_start < $4 ORDER BY window_start`,
                [store, p.sku(sku), from, to],
              );
          sendJson(res, 200, {
            store_id: store,
            sku,
            date,
            rows: rows.map((r) => ({ ...hourlyFigures(r), orders: num(r['orders']) })),
          });
          return;
        }
        const rows = ch
          ? await ch.hourlyTotals(store, from, to)
          : await query(
              `SELECT window_start, sum(quantity) AS quantity, sum(revenue_cents) AS revenue_cents, sum(returns) AS returns,
                  count(*) AS skus
             FROM ${s}.sales_hourly
            WHERE store_id = $1 AND window_start >= $2 AND window_start < $3 GROUP BY window_start ORDER BY window_start`,
              [store, from, to],
            );
        sendJson(res, 200, {
          store_id: store,
          date,
          rows: rows.map((r) => ({ ...hourlyFigures(r), skus: num(r['skus']) })),
        });
      };

      const topSkus = async ({ res, url }: RequestContext) => {
        const at = p.instant(url, 'hour', true)!;
        const hour = new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000);
        const ch = fromClickhouse(url);
        const rows = ch
          ? await ch.topSkus(hour)
          : await query(
              `SELECT rank, sku, revenue_cents, quantity FROM ${s}.top_skus WHERE window_start = $1 ORDER BY rank, sku`,
              [hour],
            );
        sendJson(res, 200, {
          window_start: hour.toISOString(),
          rows: rows.map((r) => ({
            rank: num(r['rank']),
            sku: r['sku'],
            revenue_cents: exact(r['revenue_cents']),
            quantity: num(r['quantity']),
          })),
        });
      };

      const rolling = async ({ res, url, params }: RequestContext) => {
        const store = p.storeId(params['storeId']);
        const at = p.instant(url, 'at', false);
        const ch = fromClickhouse(url);
        const rows = ch
          ? await ch.rolling(store, at)
          : await query(
              `SELECT window_end, quantity, revenue_cents, orders FROM ${s}.store_rolling_1h
            WHERE store_id = $1 AND ($2::timestamptz IS NULL OR window_end <= $2) ORDER BY window_end DESC LIMIT 1`,
              [store, at ?? null],
            );
        const r = rows[0];
        if (!r)
          throw new HttpError(
            404,
            'INVALID_ARGUMENT',
            `no rolling hour for store ${store}${at ? ` at or before ${at.toISOString()}` : ''}`,
          );
        sendJson(res, 200, {
          store_id: store,
          window_end: (r['window_end'] as Date).toISOString(),
          quantity: num(r['quantity']),
          revenue_cents: exact(r['revenue_cents']),
          orders: num(r['orders']),
        });
      };

      const events = async ({ res, url, params }: RequestContext) => {
        const store = p.storeId(params['storeId']);
        const { from, to } = p.range(url);
        const lim = p.limit(url);
        const after = p.cursor(url);
        const ch = fromClickhouse(url);
        const rows = ch
          ? await ch.events(store, from, to, after, lim + 1)
          : await query(
              `SELECT event_id, event_time, sku, quantity, unit_price_cents, currency, channel, payment_type, customer_id, basket_id
             FROM ${s}.sales_raw
            WHERE store_id = $1 AND event_time >= $2 AND event_time < $3
              AND ($4::timestamptz IS NULL OR (event_time, event_id) > ($4, $5::uuid))
            ORDER BY event_time, event_id LIMIT $6`,
              [store, from, to, after ? new Date(after.eventTimeMs) : null, after?.eventId ?? null, lim + 1],
            );
        const page = rows.slice(0, lim);
        const last = page[page.length - 1];
        sendJson(res, 200, {
          store_id: store,
          from: from.toISOString(),
          to: to.toISOString(),
          events: page.map((r) => ({
            event_id: r['event_id'],
            event_time: (r['event_time'] as Date).getTime(),
            store_id: store,
            sku: r['sku'],
            quantity: num(r['quantity']),
            unit_price_cents: num(r['unit_price_cents']),
            currency: r['currency'],
            channel: r['channel'],
            payment_type: r['payment_type'],
            customer_id: r['customer_id'],
            basket_id: r['basket_id'],
          })),
          next_cursor:
            rows.length > lim && last
              ? p.encodeCursor({
                  eventTimeMs: (last['event_time'] as Date).getTime(),
                  eventId: String(last['event_id']),
                })
              : null,
        });
      };

      return {
        routes: [
          { method: 'GET', path: '/v1/stores/:storeId/hourly', access: 'read', handler: hourly },
          { method: 'GET', path: '/v1/top-skus', access: 'read', handler: topSkus },
          { method: 'GET', path: '/v1/stores/:storeId/rolling', access: 'read', handler: rolling },
          { method: 'GET', path: '/v1/stores/:storeId/events', access: 'read', handler: events },
          {
            method: 'GET',
            path: '/v1/openapi.json',
            access: 'read',
            handler: ({ res }) => sendJson(res, 200, OPENAPI),
          },
        ],
        ready: async () => {
          if (!pool) return false;
          try {
            await pool.query('SELECT 1');
            return true;
          } catch {
            return false;
          }
        },
        close: async () => {
          await pool?.end();
          await clickhouse?.close();
        },
      };
    },
  };
}
