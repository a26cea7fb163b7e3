/**
 * The aggregate tables in ClickHouse: ReplacingMergeTree ordered by the topic's key and versioned
 * by the Kafka offset (every key lives in one partition, where offsets only grow), so `FINAL`
 * sees the latest record of each key; each row also stores its insert's range (resume.ts).
 */
import type { AggTable } from '../../../lib/contracts/aggregates/records.js';
import type { ClickHouseClient } from '@clickhouse/client';
import { quoteIdent } from '../ident.js';
import { applyMergeSettings } from '../merge-settings.js';

const META = `kafka_topic LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset UInt64,
    batch_first UInt64,
    batch_last UInt64,
    updated_at DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX batch_last_minmax batch_last TYPE minmax GRANULARITY 1`;

export function aggClickhouseDdl(database: string, dedupWindow: number): Record<AggTable, string> {
  const db = quoteIdent(database);
  const settings = `SETTINGS non_replicated_deduplication_window = ${Math.floor(dedupWindow)}`;
  return {
    sales_hourly: `CREATE TABLE IF NOT EXISTS ${db}.sales_hourly (
    store_id String, sku String, window_start DateTime64(3, 'UTC'),
    quantity Int64, revenue_cents Int64, returns UInt32, orders UInt32, final Bool,
    ${META}
  ) ENGINE = ReplacingMergeTree(kafka_offset)
  PARTITION BY toYYYYMM(window_start) ORDER BY (store_id, sku, window_start) ${settings}`,
    top_skus: `CREATE TABLE IF NOT EXISTS ${db}.top_skus (
    window_start DateTime64(3, 'UTC'), rank UInt32, sku String, revenue_cents Int64, quantity Int64,
    ${META}
  ) ENGINE = ReplacingMergeTree(kafka_offset)
  PARTITION BY toYYYYMM(window_start) ORDER BY (window_start, rank, sku) ${settings}`,
    store_rolling_1h: `CREATE TABLE IF NOT EXISTS ${db}.store_rolling_1h (
    store_id String, window_end DateTime64(3, 'UTC'), quantity Int64, revenue_cents Int64, orders UInt32,
    ${META}
  ) ENGINE = ReplacingMergeTree(kafka_offset)
  PARTITION BY toYYYYMM(window_end) ORDER BY (store_id, window_end) ${settings}`,
    sales_anomalies: `CREATE TABLE IF NOT EXISTS ${db}.sales_anomalies (
    store_id String, window_start DateTime64(3, 'UTC'), metric LowCardinality(String),
    window_end DateTime64(3, 'UTC'), observed Float64, expected Float64, mad Float64, score Float64,
    direction LowCardinality(String), history_points UInt32, threshold Float64,
    ${META}
  ) ENGINE = ReplacingMergeTree(kafka_offset)
  PARTITION BY toYYYYMM(window_start) ORDER BY (store_id, window_start, metric) ${settings}`,
  };
}

/**
 * Create the aggregate tables if missing, with the pipeline's merge settings: the one way the
 * owner's migration and an aggregate sink allowed to migrate make them.
 */
export async function createAggTables(client: ClickHouseClient, database: string, dedupWindow: number) {
  const ddl = aggClickhouseDdl(database, dedupWindow);
  for (const query of Object.values(ddl)) await client.command({ query });
  await applyMergeSettings(
    client,
    Object.keys(ddl).map((t) => `${quoteIdent(database)}.${t}`),
  );
}
