/**
 * The key queries answered from ClickHouse as from Postgres (issue 12): the same rows written to
 * both stores — Postgres through the test's schema on the stack's server, ClickHouse on a
 * `clickhouse serve` of this test's own, read as its read-only user — and every key query, page and
 * edge (a SKU's hours, an instant's rolling hour, a 404, cursors through events that share a
 * timestamp) answers with identical JSON from `?source=postgres` and `?source=clickhouse`.
 * ClickHouse also holds superseded versions of aggregate rows (ReplacingMergeTree), which must not show.
 */
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../sinks/postgres/raw/ddl.js';
import { aggMigrate } from '../../sinks/postgres/aggregates/ddl.js';
import { migrateClickhouse } from '../../sinks/clickhouse/migrate-all.js';
import type { CliProcess } from '../../stack/cli-process.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { bearer, testTokens } from '../helpers/api-tokens.js';
import { startQueryServe } from '../helpers/serve.js';
import { ThrowawayClickhouse } from '../helpers/throwaway-clickhouse.js';

const env = stackEnv();
const tokens = testTokens();
const schema = uniqueName('qsrc');
const chDb = `qsrc_${randomUUID().replace(/-/g, '')}`;
const db = new pg.Client({ connectionString: env.DATABASE_URL });
let ch: ThrowawayClickhouse;
let owner: ClickHouseClient;
let serve: CliProcess;
let base: string;

const H = Date.UTC(2026, 10, 20, 10);
const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const meta = (offset: number) => ({
  kafka_topic: 't',
  kafka_partition: 0,
  kafka_offset: offset,
  batch_first: offset,
  batch_last: offset,
});

const hourly = [
  ['S001', 'SKU-1', H, 3, 900, 0, 2],
  ['S001', 'SKU-2', H, -1, -250, 1, 1],
  ['S001', 'SKU-1', H + 3_600_000, 5, 1500, 0, 4],
  ['S001', 'SKU-1', H + 86_400_000, 7, 2100, 0, 5],
  ['S002', 'SKU-1', H, 9, 2_000_000_000_000, 0, 3],
] as const;
const top = [
  [1, 'SKU-9', 5000],
  [2, 'SKU-1', 2400],
  [3, 'SKU-4', 100],
] as const;
// Events sharing timestamps in threes, random v4 ids: the tie-break is by event id, whose order
// differs between ClickHouse's UUID type and Postgres' uuid unless compared as text.
const events = Array.from({ length: 30 }, (_, i) => ({
  id: randomUUID(),
  t: H + Math.floor(i / 3) * 1000,
  store: i % 5 === 0 ? 'S002' : 'S001',
  customer: i % 2 === 0 ? null : `C${i}`,
  price: 100 + i,
}));

beforeAll(async () => {
  await db.connect();
  await migrate(db, { schema, sinkRole: 'retail_sink', readerRole: 'retail_reader' });
  await aggMigrate(db, { schema, sinkRole: 'retail_sink', readerRole: 'retail_reader' });
  ch = await ThrowawayClickhouse.create();
  await ch.start();
  owner = createClient({ url: ch.url });
  await migrateClickhouse(owner, {}, chDb);
  // Superseded versions stay in their own parts until the queries run: only FINAL hides them.
  await owner.command({ query: `SYSTEM STOP MERGES ${chDb}.sales_hourly` });

  for (const [i, [store, sku, start, q, rev, ret, ord]] of hourly.entries()) {
    await db.query(
      `INSERT INTO "${schema}".sales_hourly (store_id, sku, window_start, quantity, revenue_cents, returns, orders, final) VALUES ($1,$2,$3,$4,$5,$6,$7,true)`,
      [store, sku, new Date(start), q, rev, ret, ord],
    );
    const row = {
      store_id: store,
      sku,
      window_start: chTime(start),
      quantity: q,
      revenue_cents: rev,
      returns: ret,
      orders: ord,
      final: true,
    };
    // An older version first (lower offset): FINAL must keep only the latest.
    await owner.insert({
      table: `${chDb}.sales_hourly`,
      values: [{ ...row, quantity: 999, ...meta(i) }],
      format: 'JSONEachRow',
    });
    await owner.insert({
      table: `${chDb}.sales_hourly`,
      values: [{ ...row, ...meta(100 + i) }],
      format: 'JSONEachRow',
    });
  }
  for (const [rank, sku, rev] of top) {
    await db.query(
      `INSERT INTO "${schema}".top_skus (window_start, rank, sku, revenue_cents, quantity) VALUES ($1,$2,$3,$4,$5)`,
      [new Date(H), rank, sku, rev, rank * 2],
    );
    await owner.insert({
      table: `${chDb}.top_skus`,
      values: [{ window_start: chTime(H), rank, sku, revenue_cents: rev, quantity: rank * 2, ...meta(rank) }],
      format: 'JSONEachRow',
    });
  }
  for (const minute of [1, 2, 3]) {
    await db.query(
      `INSERT INTO "${schema}".store_rolling_1h (store_id, window_end, quantity, revenue_cents, orders) VALUES ('S001', $1, $2, $3, $4)`,
      [new Date(H + minute * 60_000), minute, minute * 100, minute],
    );
    await owner.insert({
      table: `${chDb}.store_rolling_1h`,
      values: [
        {
          store_id: 'S001',
          window_end: chTime(H + minute * 60_000),
          quantity: minute,
          revenue_cents: minute * 100,
          orders: minute,
          ...meta(minute),
        },
      ],
      format: 'JSONEachRow',
    });
  }
  for (const [i, e] of events.entries()) {
    await db.query(
      `INSERT INTO "${schema}".sales_raw (event_id, event_time, store_id, sku, quantity, unit_price_cents, currency, channel, payment_type,
        customer_id, basket_id, kafka_partition, kafka_offset, kafka_timestamp) VALUES ($1,$2,$3,'SKU-1',2,$5,'EUR','store','card',$6,'B7',0,$4,$2)`,
      [e.id, new Date(e.t), e.store, i, e.price, e.customer],
    );
  }
  await owner.insert({
    table: `${chDb}.sales_raw`,
    values: events.map((e, i) => ({
      event_id: e.id,
      event_time: chTime(e.t),
      store_id: e.store,
      sku: 'SKU-1',
      quantity: 2,
      unit_price_cents: e.price,
      currency: 'EUR',
      channel: 'store',
      payment_type: 'card',
      customer_id: e.customer,
      basket_id: 'B7',
      kafka_timestamp: chTime(e.t),
      ...meta(i),
    })),
    format: 'JSONEachRow',
  });

  ({ serve, base } = await startQueryServe(schema, tokens, {
    QUERY_CLICKHOUSE_URL: ch.runtimeUrl('QUERY_CLICKHOUSE_URL'),
    QUERY_CLICKHOUSE_DATABASE: chDb,
  }));
}, 120_000);

afterAll(async () => {
  await serve?.stop();
  await owner?.close();
  await ch?.remove();
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db.end();
});

async function get(path: string, source: string) {
  const sep = path.includes('?') ? '&' : '?';
  const res = await fetch(`${base}${path}${sep}source=${source}`, { headers: bearer(tokens.read) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The answer from both stores: identical, and returned for further checks. */
async function same(path: string) {
  const pgAnswer = await get(path, 'postgres');
  const chAnswer = await get(path, 'clickhouse');
  expect(chAnswer, path).toEqual(pgAnswer);
  return pgAnswer;
}

describe('the key queries from ClickHouse and from Postgres', () => {
  it('hourly: totals per hour and one SKU’s hours are identical (superseded versions hidden)', async () => {
    const totals = await same('/v1/stores/S001/hourly?date=2026-11-20');
    expect(totals.status).toBe(200);
    expect((totals.body['rows'] as unknown[]).length).toBe(2);
    const sku = await same('/v1/stores/S001/hourly?date=2026-11-20&sku=SKU-1');
    expect(sku.body['rows']).toEqual([
      { window_start: '2026-11-20T10:00:00.000Z', quantity: 3, revenue_cents: '900', returns: 0, orders: 2 },
      { window_start: '2026-11-20T11:00:00.000Z', quantity: 5, revenue_cents: '1500', returns: 0, orders: 4 },
    ]);
    await same('/v1/stores/S002/hourly?date=2026-11-20');
    await same('/v1/stores/S003/hourly?date=2026-11-20');
  });

  it('top SKUs and rolling hours are identical, 404 included', async () => {
    const t = await same(`/v1/top-skus?hour=${encodeURIComponent('2026-11-20T10:42:00Z')}`);
    expect((t.body['rows'] as Array<{ sku: string }>).map((r) => r.sku)).toEqual(['SKU-9', 'SKU-1', 'SKU-4']);
    await same(`/v1/top-skus?hour=${H + 7_200_000}`);
    expect((await same('/v1/stores/S001/rolling')).body['window_end']).toBe('2026-11-20T10:03:00.000Z');
    await same(`/v1/stores/S001/rolling?at=${H + 150_000}`);
    expect((await same('/v1/stores/S404/rolling')).status).toBe(404);
  });

  it('raw events: every page and cursor identical, through timestamps shared by several events', async () => {
    const from = new Date(H).toISOString();
    const to = new Date(H + 60_000).toISOString();
    let cursor: string | null = null;
    const seen: string[] = [];
    do {
      const page = await same(
        `/v1/stores/S001/events?from=${from}&to=${to}&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...(page.body['events'] as Array<{ event_id: string }>).map((e) => e.event_id));
      cursor = page.body['next_cursor'] as string | null;
    } while (cursor);
    expect(seen.sort()).toEqual(
      events
        .filter((e) => e.store === 'S001')
        .map((e) => e.id)
        .sort(),
    );
  });

  it('an unknown source is a 400 naming the choices', async () => {
    const res = await get('/v1/top-skus?hour=0', 'mysql');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'INVALID_ARGUMENT', param: 'source' });
  });
});
