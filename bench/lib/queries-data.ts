/**
 * The query benchmark's data, the same in both stores: raw events from one formula over i = 1…n
 * (store, SKU, quantity, price and time are functions of i; only the event ids are random), the
 * aggregate tables' rows for 50 stores, and two small dimensions — each store's region, each SKU's
 * category — for the heavy analytical query (a day's revenue by region and category over every raw
 * row), which the API does not serve and which both stores must answer identically.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type pg from 'pg';

export const STORES = 50;
const SKUS = 2000;

/** The raw rows of the Postgres schema `s` (quoted), ending at `baseMs`. */
export async function fillPostgresRaw(db: pg.Client, s: string, n: number, baseMs: number): Promise<void> {
  await db.query(
    `INSERT INTO ${s}.sales_raw (event_id, event_time, store_id, sku, quantity, unit_price_cents, currency, channel, payment_type,
       customer_id, basket_id, kafka_partition, kafka_offset, kafka_timestamp)
     SELECT gen_random_uuid(), to_timestamp($2::bigint / 1000.0) - (i % 86400000) * interval '1 millisecond',
       'S' || lpad((1 + i % ${STORES})::text, 3, '0'), 'SKU-' || (i % ${SKUS}), 1 + i % 3, 100 + i % 5000, 'EUR', 'store', 'card',
       NULL, 'B' || (i / 3), 0, i, now()
     FROM generate_series(1, $1::int) AS i`,
    [n, baseMs],
  );
  await db.query(`CREATE TABLE ${s}.bench_stores (store_id text PRIMARY KEY, region text NOT NULL)`);
  await db.query(`CREATE TABLE ${s}.bench_skus (sku text PRIMARY KEY, category text NOT NULL)`);
  await db.query(
    `INSERT INTO ${s}.bench_stores SELECT 'S' || lpad(n::text, 3, '0'), 'region-' || (n % 5) FROM generate_series(1, ${STORES}) n`,
  );
  await db.query(
    `INSERT INTO ${s}.bench_skus SELECT 'SKU-' || n, 'category-' || (n % 8) FROM generate_series(0, ${SKUS - 1}) n`,
  );
}

/** The same raw rows, dimensions and aggregate rows in ClickHouse database `db` (backquoted). */
export async function fillClickhouse(
  ch: ClickHouseClient,
  db: string,
  n: number,
  baseMs: number,
): Promise<void> {
  const meta = `'bench', 0, i, i, i`;
  await ch.command({
    query: `INSERT INTO ${db}.sales_raw (event_id, event_time, store_id, sku, quantity, unit_price_cents, currency, channel,
              payment_type, customer_id, basket_id, kafka_topic, kafka_partition, kafka_offset, batch_first, batch_last, kafka_timestamp)
            SELECT generateUUIDv4(), fromUnixTimestamp64Milli(toInt64({base:Int64} - (i % 86400000)), 'UTC'),
              concat('S', leftPad(toString(1 + i % ${STORES}), 3, '0')), concat('SKU-', toString(i % ${SKUS})), 1 + i % 3,
              100 + i % 5000, 'EUR', 'store', 'card', NULL, concat('B', toString(intDiv(i, 3))), ${meta}, now64(3)
              FROM (SELECT number + 1 AS i FROM numbers({n:UInt64}))`,
    query_params: { base: baseMs, n },
    clickhouse_settings: { max_partitions_per_insert_block: '1000' },
  });
  await ch.command({
    query: `CREATE TABLE ${db}.bench_stores (store_id String, region String) ENGINE = MergeTree ORDER BY store_id`,
  });
  await ch.command({
    query: `CREATE TABLE ${db}.bench_skus (sku String, category String) ENGINE = MergeTree ORDER BY sku`,
  });
  await ch.command({
    query: `INSERT INTO ${db}.bench_stores SELECT concat('S', leftPad(toString(number + 1), 3, '0')), concat('region-', toString((number + 1) % 5)) FROM numbers(${STORES})`,
  });
  await ch.command({
    query: `INSERT INTO ${db}.bench_skus SELECT concat('SKU-', toString(number)), concat('category-', toString(number % 8)) FROM numbers(${SKUS})`,
  });
  const hour = `toStartOfHour(fromUnixTimestamp64Milli({base:Int64}, 'UTC'))`;
  // The aggregate rows as the Postgres fill writes them (bench/queries.bench.ts).
  await ch.command({
    query: `INSERT INTO ${db}.sales_hourly (store_id, sku, window_start, quantity, revenue_cents, returns, orders, final,
              kafka_topic, kafka_partition, kafka_offset, batch_first, batch_last)
            SELECT concat('S', leftPad(toString(1 + intDiv(i, 200 * 48)), 3, '0')), concat('SKU-', toString(intDiv(i, 48) % 200)),
              ${hour} - toIntervalHour(i % 48), 3, 900, 0, 2, true, ${meta}
              FROM (SELECT number AS i FROM numbers(${STORES} * 200 * 48))`,
    query_params: { base: baseMs },
  });
  await ch.command({
    query: `INSERT INTO ${db}.top_skus (window_start, rank, sku, revenue_cents, quantity, kafka_topic, kafka_partition, kafka_offset, batch_first, batch_last)
            SELECT ${hour} - toIntervalHour(intDiv(i, 10)), 1 + i % 10, concat('SKU-', toString(1 + i % 10)), 10000 - (1 + i % 10), 1 + i % 10, ${meta}
              FROM (SELECT number AS i FROM numbers(48 * 10))`,
    query_params: { base: baseMs },
  });
  await ch.command({
    query: `INSERT INTO ${db}.store_rolling_1h (store_id, window_end, quantity, revenue_cents, orders, kafka_topic, kafka_partition, kafka_offset, batch_first, batch_last)
            SELECT concat('S', leftPad(toString(1 + intDiv(i, 1440)), 3, '0')),
              toStartOfMinute(fromUnixTimestamp64Milli({base:Int64}, 'UTC')) - toIntervalMinute(i % 1440), 10, 1000, 5, ${meta}
              FROM (SELECT number AS i FROM numbers(${STORES} * 1440))`,
    query_params: { base: baseMs },
  });
}

export interface RegionCategory {
  region: string;
  category: string;
  revenue_cents: string;
  events: string;
}

/** The heavy query in Postgres: a day's revenue by region and category over every raw row. */
export async function heavyPostgres(
  db: pg.Client,
  s: string,
  from: Date,
  to: Date,
): Promise<RegionCategory[]> {
  const r = await db.query<RegionCategory>(
    `SELECT st.region, sk.category, sum(r.quantity::bigint * r.unit_price_cents)::text AS revenue_cents, count(*)::text AS events
       FROM ${s}.sales_raw r JOIN ${s}.bench_stores st ON st.store_id = r.store_id JOIN ${s}.bench_skus sk ON sk.sku = r.sku
      WHERE r.event_time >= $1 AND r.event_time < $2
      GROUP BY st.region, sk.category ORDER BY st.region, sk.category`,
    [from, to],
  );
  return r.rows;
}

/** The same query in ClickHouse. */
export async function heavyClickhouse(
  ch: ClickHouseClient,
  db: string,
  from: Date,
  to: Date,
): Promise<RegionCategory[]> {
  const rs = await ch.query({
    query: `SELECT st.region AS region, sk.category AS category, toString(sum(toInt64(r.quantity) * r.unit_price_cents)) AS revenue_cents,
                   toString(count()) AS events
              FROM ${db}.sales_raw AS r JOIN ${db}.bench_stores AS st ON st.store_id = r.store_id
                   JOIN ${db}.bench_skus AS sk ON sk.sku = r.sku
             WHERE r.event_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND r.event_time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
             GROUP BY region, category ORDER BY region, category`,
    query_params: { from: from.getTime(), to: to.getTime() },
    format: 'JSONEachRow',
  });
  return rs.json<RegionCategory>();
}
