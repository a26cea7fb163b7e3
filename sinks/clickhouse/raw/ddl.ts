/** `sales_raw` in ClickHouse: the Postgres columns plus the insert's offset range. */
import { quoteIdent } from '../ident.js';

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
