/**
 * Options of `retail-etl sink aggregates` (docs/aggregates.md renders this table with
 * describeSchema): option > environment variable > default, unknown keys rejected at start-up.
 */
import type { ConfigOf, Schema } from '../../lib/config.js';
import { resolveConfig } from '../../lib/config.js';
import { PORTS } from '../../lib/ports.js';
import { TOPICS } from '../../lib/contracts/topics.js';
import type { AggTable } from '../../lib/contracts/aggregates/records.js';

export const AGG_TARGETS = ['postgres', 'clickhouse'] as const;
export type AggTargetKind = (typeof AGG_TARGETS)[number];

export const AGGREGATES_SCHEMA = {
  target: {
    type: 'enum',
    values: AGG_TARGETS,
    env: 'SINK_AGGREGATES_TARGET',
    default: 'postgres',
    doc: 'where the aggregate tables live',
  },
  hourlyTopic: {
    type: 'string',
    env: 'SINK_AGGREGATES_HOURLY_TOPIC',
    default: TOPICS.salesHourly,
    doc: 'hourly sales records → `sales_hourly`',
  },
  topSkusTopic: {
    type: 'string',
    env: 'SINK_AGGREGATES_TOP_SKUS_TOPIC',
    default: TOPICS.topSkus,
    doc: 'top SKUs per hour records → `top_skus`',
  },
  rollingTopic: {
    type: 'string',
    env: 'SINK_AGGREGATES_ROLLING_TOPIC',
    default: TOPICS.storeRolling,
    doc: 'store rolling hour records → `store_rolling_1h`',
  },
  dlqTopic: {
    type: 'string',
    env: 'SINK_AGGREGATES_DLQ_TOPIC',
    default: TOPICS.dlq,
    doc: 'records that are not valid aggregate records',
  },
  groupId: {
    type: 'string',
    env: 'SINK_AGGREGATES_GROUP_ID',
    doc: 'Kafka consumer group (default `retail-sink-aggregates-<target>`); also the key of the stored positions',
  },
  maxBatchRows: {
    type: 'int',
    env: 'SINK_AGGREGATES_MAX_BATCH_ROWS',
    default: 20_000,
    min: 1,
    max: 1_000_000,
    doc: 'flush when this many records are buffered',
  },
  maxWaitMs: {
    type: 'int',
    env: 'SINK_AGGREGATES_MAX_WAIT_MS',
    default: 250,
    min: 10,
    max: 600_000,
    doc: 'flush when the oldest buffered record has waited this long',
  },
  fromBeginning: {
    type: 'bool',
    env: 'SINK_AGGREGATES_FROM_BEGINNING',
    default: true,
    doc: 'a group with no stored position starts at the earliest offset (else the latest)',
  },
  sessionTimeoutMs: {
    type: 'int',
    env: 'SINK_AGGREGATES_SESSION_TIMEOUT_MS',
    default: 30_000,
    min: 6000,
    max: 300_000,
    doc: 'Kafka group session timeout: how long a dead instance holds its partitions',
  },
  writeRetryMaxMs: {
    type: 'int',
    env: 'SINK_AGGREGATES_WRITE_RETRY_MAX_MS',
    default: 5000,
    min: 100,
    doc: 'cap of the exponential back-off between retries of a failed write (retries never give up)',
  },
  lagIntervalMs: {
    type: 'int',
    env: 'SINK_AGGREGATES_LAG_INTERVAL_MS',
    default: 5000,
    min: 500,
    doc: 'how often consumer lag is measured',
  },
  metricsPort: {
    type: 'int',
    env: 'SINK_AGGREGATES_METRICS_PORT',
    min: 0,
    max: 65535,
    doc: `/metrics, /healthz, /readyz port (default ${PORTS.sinkAggregatesMetrics} for postgres, ${PORTS.sinkAggregatesClickhouseMetrics} for clickhouse; 0 = any free port)`,
  },
  databaseUrl: {
    type: 'string',
    env: 'DATABASE_URL',
    secret: true,
    doc: 'Postgres URL (target postgres); its role owns the tables and is a member of `sinkRole`',
  },
  schema: {
    type: 'string',
    env: 'SINK_AGGREGATES_SCHEMA',
    default: 'public',
    doc: 'Postgres schema of the three tables and `agg_sink_offsets`',
  },
  sinkRole: {
    type: 'string',
    env: 'SINK_AGGREGATES_ROLE',
    default: 'retail_sink',
    doc: 'NOLOGIN role the sessions SET ROLE to: write access to the three tables and the offsets only',
  },
  readerRole: {
    type: 'string',
    env: 'SINK_AGGREGATES_READER_ROLE',
    default: 'retail_reader',
    doc: 'NOLOGIN read-only role granted SELECT (the query API runs as it)',
  },
  migrate: {
    type: 'bool',
    env: 'SINK_AGGREGATES_MIGRATE',
    default: true,
    doc: 'at start, create what is missing (idempotent): Postgres tables, indexes, grants; ClickHouse database and tables',
  },
  clickhouseUrl: {
    type: 'string',
    env: 'CLICKHOUSE_URL',
    secret: true,
    doc: 'ClickHouse HTTP URL (target clickhouse, production)',
  },
  chdbPath: {
    type: 'string',
    env: 'SINK_AGGREGATES_CHDB_PATH',
    doc: 'use the in-process chdb engine with this data directory instead of a server (tests)',
  },
  database: {
    type: 'string',
    env: 'SINK_AGGREGATES_CLICKHOUSE_DATABASE',
    default: 'default',
    doc: 'ClickHouse database of the three tables',
  },
  dedupWindow: {
    type: 'int',
    env: 'SINK_AGGREGATES_DEDUP_WINDOW',
    default: 10_000,
    min: 100,
    doc: 'ClickHouse `non_replicated_deduplication_window`: how many recent inserts’ tokens each table remembers',
  },
} satisfies Schema;

export type AggregatesConfig = Omit<
  ConfigOf<typeof AGGREGATES_SCHEMA>,
  'target' | 'groupId' | 'metricsPort'
> & {
  target: AggTargetKind;
  groupId: string;
  metricsPort: number;
};

export function aggregatesConfig(
  explicit: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = process.env,
): AggregatesConfig {
  const c = resolveConfig('sink-aggregates', AGGREGATES_SCHEMA, explicit, env);
  const target = c.target as AggTargetKind;
  return {
    ...c,
    target,
    groupId: c.groupId ?? `retail-sink-aggregates-${target}`,
    metricsPort:
      c.metricsPort ??
      (target === 'postgres' ? PORTS.sinkAggregatesMetrics : PORTS.sinkAggregatesClickhouseMetrics),
  };
}

/** The three topics and the table each one feeds. */
export function topicTables(c: Pick<AggregatesConfig, 'hourlyTopic' | 'topSkusTopic' | 'rollingTopic'>) {
  return new Map<string, AggTable>([
    [c.hourlyTopic, 'sales_hourly'],
    [c.topSkusTopic, 'top_skus'],
    [c.rollingTopic, 'store_rolling_1h'],
  ]);
}
