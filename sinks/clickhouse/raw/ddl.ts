/** `sales_raw` in ClickHouse: the Postgres columns plus the insert's offset range. */
import type { ClickHouseClient } from '@clickhouse/client';
import { quoteIdent } from '../ident.js';
import { applyMergeSettings } from '../merge-settings.js';
import { createIdsTables } from './ids.js';

export function createTableSql(database: string, dedupWindow: number): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(database)}.sales_raw (
    event_id UUID,
    event_time DateTime64(3, 'UTC'),
    store_id LowCardinality(String),
    sku String,
    quantity Int32,
    unit_price_cents Int64,
    currency LowCardinality(String),
    channel LowCardinality(String),
    payment_type LowCardinality(String),
    customer_id Nullable(String),
    basket_id String,
    kafka_topic LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    kafka_timestamp DateTime64(3, 'UTC'),
    batch_first UInt64,
    batch_last UInt64,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX batch_last_minmax batch_last TYPE minmax GRANULARITY 1,
    INDEX event_id_bloom event_id TYPE bloom_filter GRANULARITY 4
  ) ENGINE = MergeTree
  PARTITION BY toYYYYMMDD(event_time)
  ORDER BY (store_id, event_time, sku)
  SETTINGS non_replicated_deduplication_window = ${Math.floor(dedupWindow)}`;
}

/**
 * Create `sales_raw` and its id tables if missing, each MergeTree with the pipeline's merge
 * settings: the one way the owner's migration and a sink allowed to create tables make them.
 */
export async function createRawTables(client: ClickHouseClient, database: string, dedupWindow: number) {
  await client.command({ query: createTableSql(database, dedupWindow) });
  await createIdsTables(client, database, dedupWindow);
  const db = quoteIdent(database);
  await applyMergeSettings(client, [`${db}.sales_raw`, `${db}.sales_raw_ids`]);
}
