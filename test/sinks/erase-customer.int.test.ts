/**
 * `retail-etl customer erase` on the shared stack: a customer's raw rows go from Postgres
 * `sales_raw` (attached and detached day partitions) and ClickHouse `sales_raw`; other customers'
 * and anonymous rows stay; `--dry-run` counts and deletes nothing.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../../stack/cli-process.js';
import { createTableSql } from '../../sinks/clickhouse/raw/ddl.js';
import { migrate } from '../../sinks/postgres/raw/ddl.js';
import { clickhouseClient } from '../helpers/clickhouse.js';
import { stackEnv, uniqueName } from '../helpers/env.js';

const env = stackEnv();
const schema = uniqueName('erase');
const database = uniqueName('erase');
const ERASED = `cust-${randomUUID()}`;
const KEPT = `cust-${randomUUID()}`;
const today = new Date();
const old = new Date(Date.now() - 3 * 86_400_000);

function row(customer: string | null, at: Date, offset: number): unknown[] {
  return [randomUUID(), at, 'S0001', 'SKU1', 2, 150, 'EUR', 'store', 'card', customer, 'b1', 0, offset, at];
}

describe('customer erase', () => {
  const db = new pg.Client({ connectionString: env.DATABASE_URL });
  const ch = clickhouseClient();
  const count = async (table: string, customer: string) =>
    Number(
      (
        await db.query<{ n: string }>(`SELECT count(*) n FROM "${schema}".${table} WHERE customer_id = $1`, [
          customer,
        ])
      ).rows[0]?.n,
    );
  const chCount = async (customer: string) => {
    const r = await ch.query({
      query: `SELECT count() n FROM \`${database}\`.sales_raw WHERE customer_id = {c:String}`,
      query_params: { c: customer },
      format: 'JSONEachRow',
    });
    return Number((await r.json<{ n: string }>())[0]?.n);
  };

  beforeAll(async () => {
    await db.connect();
    await migrate(db, { schema, sinkRole: 'retail_sink', readerRole: 'retail_reader' });
    const insert = `INSERT INTO "${schema}".sales_raw (event_id, event_time, store_id, sku, quantity, unit_price_cents,
      currency, channel, payment_type, customer_id, basket_id, kafka_partition, kafka_offset, kafka_timestamp)
      VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`;
    let offset = 0;
    for (const customer of [ERASED, ERASED, KEPT, null])
      await db.query(insert, row(customer, today, offset++));
    // A detached day: a table of its own that still holds the customer's rows.
    await db.query(
      `CREATE TABLE "${schema}".sales_raw_p20200101 (LIKE "${schema}".sales_raw INCLUDING DEFAULTS)`,
    );
    await db.query(insert.replace('.sales_raw (', '.sales_raw_p20200101 ('), row(ERASED, old, offset++));
    {
      await ch.command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\`` });
      await ch.command({ query: createTableSql(database, 100) });
      await ch.insert({
        table: `\`${database}\`.sales_raw`,
        format: 'JSONEachRow',
        values: [ERASED, ERASED, ERASED, KEPT].map((c, i) => ({
          event_id: randomUUID(),
          event_time: Date.now(),
          store_id: 'S0001',
          sku: 'SKU1',
          quantity: 1,
          unit_price_cents: 100,
          currency: 'EUR',
          channel: 'store',
          payment_type: 'card',
          customer_id: c,
          basket_id: 'b',
          kafka_topic: 't',
          kafka_partition: 0,
          kafka_offset: i,
          kafka_timestamp: Date.now(),
          batch_first: 0,
          batch_last: 3,
        })),
      });
    }
  });

  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await db.end();
    await ch.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` }).catch(() => undefined);
    await ch.close();
  });

  const erase = async (...flags: string[]) => {
    const p = startCli(['customer', 'erase', ERASED, '--schema', schema, ...flags], {
      env: { SINK_CLICKHOUSE_DATABASE: database },
    });
    expect(await p.exit(60_000), p.tail()).toBe(0);
    return p.output();
  };

  it('--dry-run counts every store and deletes nothing', async () => {
    const out = await erase('--dry-run');
    expect(out).toContain(`would delete 2 rows from ${schema}.sales_raw`);
    expect(out).toContain(`would delete 1 rows from ${schema}.sales_raw_p20200101`);
    expect(out).toContain(`would delete 3 rows from clickhouse ${database}.sales_raw`);
    expect(await count('sales_raw', ERASED)).toBe(2);
  });

  it('deletes the customer’s rows everywhere and nobody else’s', async () => {
    const out = await erase();
    expect(out).toContain(`deleted 2 rows from ${schema}.sales_raw`);
    expect(await count('sales_raw', ERASED)).toBe(0);
    expect(await count('sales_raw_p20200101', ERASED)).toBe(0);
    expect(await count('sales_raw', KEPT)).toBe(1);
    const all = await db.query<{ n: string }>(`SELECT count(*) n FROM "${schema}".sales_raw`);
    expect(Number(all.rows[0]?.n)).toBe(2); // the other customer and the anonymous sale
    expect(await chCount(ERASED)).toBe(0);
    expect(await chCount(KEPT)).toBe(1);
  });
});
