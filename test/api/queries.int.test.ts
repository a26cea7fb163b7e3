/**
 * The query API against a real Postgres: each key query answers from the tables, through the
 * read-only role, with keyset pagination, and every bad parameter is a 400 naming it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../sinks/postgres/raw/ddl.js';
import { aggMigrate } from '../../sinks/postgres/aggregates/ddl.js';
import type { CliProcess } from '../../stack/cli-process.js';
import { uuidv7 } from '../../lib/uuid.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { bearer, testTokens } from '../helpers/api-tokens.js';
import { startQueryServe } from '../helpers/serve.js';

const env = stackEnv();
const tokens = testTokens();
const schema = uniqueName('queries');
const db = new pg.Client({ connectionString: env.DATABASE_URL });
let serve: CliProcess;
let base: string;

const H = Date.UTC(2026, 10, 20, 10); // 2026-11-20T10:00Z
const hourly = [
  ['S001', 'SKU-1', H, 3, 900, 0, 2],
  ['S001', 'SKU-2', H, -1, -250, 1, 1],
  ['S001', 'SKU-1', H + 3_600_000, 5, 1500, 0, 4],
  ['S001', 'SKU-1', H + 86_400_000, 7, 2100, 0, 5], // next day: not in the answer
  ['S002', 'SKU-1', H, 9, 2700, 0, 3], // other store
] as const;
const events = Array.from({ length: 25 }, (_, i) => ({
  id: uuidv7(H + i * 1000),
  t: H + i * 1000,
  store: i % 5 === 0 ? 'S002' : 'S001',
}));

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, { headers: bearer(tokens.read) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  await db.connect();
  await migrate(db, { schema, sinkRole: 'retail_sink', readerRole: 'retail_reader' });
  // The aggregate tables exactly as their sink creates them.
  await aggMigrate(db, { schema, sinkRole: 'retail_sink', readerRole: 'retail_reader' });
  for (const [store, sku, start, q, rev, ret, ord] of hourly) {
    await db.query(
      `INSERT INTO "${schema}".sales_hourly (store_id, sku, window_start, quantity, revenue_cents, returns, orders, final) VALUES ($1,$2,$3,$4,$5,$6,$7,true)`,
      [store, sku, new Date(start), q, rev, ret, ord],
    );
  }
  for (const [rank, sku, rev] of [
    [1, 'SKU-9', 5000],
    [2, 'SKU-1', 2400],
    [3, 'SKU-4', 100],
  ] as const) {
    await db.query(
      `INSERT INTO "${schema}".top_skus (window_start, rank, sku, revenue_cents, quantity) VALUES ($1,$2,$3,$4,$5)`,
      [new Date(H), rank, sku, rev, rank * 2],
    );
  }
  for (const minute of [1, 2, 3]) {
    await db.query(
      `INSERT INTO "${schema}".store_rolling_1h (store_id, window_end, quantity, revenue_cents, orders) VALUES ('S001', $1, $2, $3, $4)`,
      [new Date(H + minute * 60_000), minute, minute * 100, minute],
    );
  }
  for (const [i, e] of events.entries()) {
    await db.query(
      `INSERT INTO "${schema}".sales_raw (event_id, event_time, store_id, sku, quantity, unit_price_cents, currency, channel, payment_type,
        customer_id, basket_id, kafka_partition, kafka_offset, kafka_timestamp) VALUES ($1,$2,$3,'SKU-1',1,100,'EUR','store','card',NULL,'B',0,$4,$2)`,
      [e.id, new Date(e.t), e.store, i],
    );
  }
  ({ serve, base } = await startQueryServe(schema, tokens));
});

afterAll(async () => {
  await serve?.stop();
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db.end();
});

describe('query API', () => {
  it('hourly sales of a store for one UTC day: totals per hour, or one SKU with its orders', async () => {
    const { status, body } = await get('/v1/stores/S001/hourly?date=2026-11-20');
    expect(status).toBe(200);
    expect(body).toEqual({
      store_id: 'S001',
      date: '2026-11-20',
      rows: [
        { window_start: '2026-11-20T10:00:00.000Z', quantity: 2, revenue_cents: '650', returns: 1, skus: 2 },
        { window_start: '2026-11-20T11:00:00.000Z', quantity: 5, revenue_cents: '1500', returns: 0, skus: 1 },
      ],
    });
    expect((await get('/v1/stores/S001/hourly?date=2026-11-20&sku=SKU-1')).body).toEqual({
      store_id: 'S001',
      sku: 'SKU-1',
      date: '2026-11-20',
      rows: [
        {
          window_start: '2026-11-20T10:00:00.000Z',
          quantity: 3,
          revenue_cents: '900',
          returns: 0,
          orders: 2,
        },
        {
          window_start: '2026-11-20T11:00:00.000Z',
          quantity: 5,
          revenue_cents: '1500',
          returns: 0,
          orders: 4,
        },
      ],
    });
  });

  it('revenue sums are exact decimal strings, even a store total beyond the 64-bit range (issue 11)', async () => {
    // Two SKUs at the largest revenue a table row holds; their store total needs 65 bits.
    const max = 2n ** 63n - 1n;
    for (const sku of ['BIG-1', 'BIG-2'])
      await db.query(
        `INSERT INTO "${schema}".sales_hourly (store_id, sku, window_start, quantity, revenue_cents, returns, orders, final)
         VALUES ('S-BIG', $1, $2, 1, $3, 0, 1, true)`,
        [sku, new Date(H), max.toString()],
      );
    const sku = await get('/v1/stores/S-BIG/hourly?date=2026-11-20&sku=BIG-1');
    expect((sku.body['rows'] as { revenue_cents: unknown }[])[0]?.revenue_cents).toBe('9223372036854775807');
    const total = await get('/v1/stores/S-BIG/hourly?date=2026-11-20');
    expect((total.body['rows'] as { revenue_cents: unknown }[])[0]?.revenue_cents).toBe(
      (2n * max).toString(),
    );
  });

  it('top SKUs of the hour containing the given instant', async () => {
    const { status, body } = await get(`/v1/top-skus?hour=${encodeURIComponent('2026-11-20T10:42:00Z')}`);
    expect(status).toBe(200);
    expect(body['window_start']).toBe('2026-11-20T10:00:00.000Z');
    expect((body['rows'] as Array<{ sku: string }>).map((r) => r.sku)).toEqual(['SKU-9', 'SKU-1', 'SKU-4']);
  });

  it("a store's latest rolling hour, and the one at an instant; 404 when there is none", async () => {
    expect((await get('/v1/stores/S001/rolling')).body).toMatchObject({
      window_end: '2026-11-20T10:03:00.000Z',
      quantity: 3,
      orders: 3,
    });
    expect((await get(`/v1/stores/S001/rolling?at=${H + 150_000}`)).body).toMatchObject({
      window_end: '2026-11-20T10:02:00.000Z',
    });
    expect((await get('/v1/stores/S404/rolling')).status).toBe(404);
  });

  it('raw events of a store in a range, page by page, each exactly once', async () => {
    const from = new Date(H).toISOString();
    const to = new Date(H + 60_000).toISOString();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { status, body } = await get(
        `/v1/stores/S001/events?from=${from}&to=${to}&limit=7${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(status).toBe(200);
      seen.push(...(body['events'] as Array<{ event_id: string }>).map((e) => e.event_id));
      cursor = body['next_cursor'] as string | null;
      pages++;
    } while (cursor);
    const expected = events.filter((e) => e.store === 'S001').map((e) => e.id);
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 7));
  });

  it.each([
    ['/v1/stores/S001/hourly', 'date'],
    ['/v1/stores/S001/hourly?date=2026-02-30', 'date'],
    ['/v1/top-skus?hour=yesterday', 'hour'],
    ['/v1/top-skus?hour=2026-11-20T10:00:00', 'hour'],
    ['/v1/stores/S001/events?to=2026-11-20T10:00:00Z', 'from'],
    ['/v1/stores/S001/events?from=2026-11-20T10:00:00Z&to=2026-11-20T09:00:00Z', 'to'],
    ['/v1/stores/S001/events?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'to'],
    ['/v1/stores/S001/events?from=0&to=1000&limit=0', 'limit'],
    ['/v1/stores/S001/events?from=0&to=1000&cursor=bm9wZQ', 'cursor'],
    ['/v1/stores/bad%09store/rolling', 'store_id'],
    ['/v1/stores/S%E2%80%AE001/rolling', 'store_id'],
    ['/v1/stores/S001/hourly?date=2026-11-20&sku=%00drop', 'sku'],
  ])('400 for %s, naming %s', async (path, param) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'INVALID_ARGUMENT', param, retriable: false });
  });

  it('every id the event contract accepts can be queried: separators, quotes, spaces and emoji are data, not syntax', async () => {
    for (const id of ["bad store'; drop table x; --", 'S|1', '🛒'.repeat(64)]) {
      const rolling = await get(`/v1/stores/${encodeURIComponent(id)}/rolling`);
      expect(rolling.status).toBe(404);
      expect(String(rolling.body['message'])).toBe(`no rolling hour for store ${id}`);
      const hourly = await get(`/v1/stores/S001/hourly?date=2026-11-20&sku=${encodeURIComponent(id)}`);
      expect(hourly.status).toBe(200);
    }
    const malformed = await get('/v1/stores/%E0%A4%A/rolling');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: 'INVALID_ARGUMENT' });
  });

  it('queries run as the read-only role: a write through the same session settings fails', async () => {
    // The reader's own login, as `make up` gives it to serve (QUERY_DATABASE_URL in .stack/env).
    const url = process.env['QUERY_DATABASE_URL'];
    expect(url, 'QUERY_DATABASE_URL (the reader login) is in .stack/env').toBeDefined();
    const reader = new pg.Client({ connectionString: url, options: '-c default_transaction_read_only=on' });
    await reader.connect();
    try {
      expect((await reader.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u).toBe(
        'retail_reader',
      );
      await expect(reader.query(`DELETE FROM "${schema}".top_skus`)).rejects.toMatchObject({ code: '25006' });
      await reader.query('SET default_transaction_read_only = off');
      await expect(reader.query(`DELETE FROM "${schema}".top_skus`)).rejects.toMatchObject({ code: '42501' });
      // RESET ROLE gives nothing back: the session is the reader's from its login.
      await reader.query('RESET ROLE');
      await expect(reader.query(`DELETE FROM "${schema}".top_skus`)).rejects.toMatchObject({ code: '42501' });
    } finally {
      await reader.end();
    }
  });

  it('a table that does not exist yet is a 503 with Retry-After, not a 500', async () => {
    await db.query(`DROP TABLE "${schema}".top_skus`);
    const res = await fetch(`${base}/v1/top-skus?hour=${H}`, { headers: bearer(tokens.read) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(await res.json()).toMatchObject({ error: 'POSTGRES_ERROR', retriable: true, serverCode: '42P01' });
  });

  it('serves its OpenAPI description', async () => {
    const { status, body } = await get('/v1/openapi.json');
    expect(status).toBe(200);
    expect(Object.keys(body['paths'] as object)).toContain('/v1/stores/{storeId}/events');
  });
});
