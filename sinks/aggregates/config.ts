/**
 * Options of `retail-etl sink aggregates` (docs/configuration.md renders this table with
 * describeSchema): option > environment variable > default, unknown keys rejected at start-up.
 */
import type { ConfigOf, Schema } from '../../lib/config/index.js';
import { CLICKHOUSE_URL, DATABASE_URL, environment, resolveConfig } from '../../lib/config/index.js';
import { loopSchema } from '../core/config.js';
import { PORTS } from '../../lib/ports.js';
import { TOPICS } from '../../lib/contracts/topics.js';
import type { AggTable } from '../../lib/contracts/aggregates/records.js';

export const AGG_TARGETS = ['postgres', 'clickhouse'] as const;
export type AggTargetKind = (typeof AGG_TARGETS)[number];

/**
 * Default of `maxWaitMs` per target. ClickHouse makes one part per insert and merges the parts in
 * the background. At 100 events/s the processors commit often enough that 250 ms made ~3 flushes
 * (~18 inserts) a second and most of the native server's CPU went to them and their merges; 1 s
 * (as the raw ClickHouse sink waits) made a third of the inserts and under half the server's CPU
 * (docs/aggregates.md#options has the figures), for at most 750 ms more latency. Postgres upserts
 * rows in place, so it keeps the short wait.
 */
export const AGG_MAX_WAIT_MS: Readonly<Record<AggTargetKind, number>> = { postgres: 250, clickhouse: 1000 };

/**
 * The consumer loop's options, as every sink declares them, under SINK_AGGREGATES_*: all but the
 * single input topic (this sink reads three) and maxFutureMs (aggregate records carry no event time
 * to check); the metrics port's and the maximum wait's defaults depend on the target.
 */
const LOOP_FIELDS = loopSchema({
  envPrefix: 'SINK_AGGREGATES_',
  maxBatchRows: 20_000,
  maxWaitMs: AGG_MAX_WAIT_MS.postgres,
  metricsPort: 0,
});
const {
  topic: _topic,
  maxFutureMs: _maxFutureMs,
  metricsPort: _metricsPort,
  ...AGG_LOOP_FIELDS
} = LOOP_FIELDS;
const { default: _maxWaitMs, ...MAX_WAIT_FIELD } = LOOP_FIELDS.maxWaitMs;

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
  anomaliesTopic: {
    type: 'string',
    env: 'SINK_AGGREGATES_ANOMALIES_TOPIC',
    default: TOPICS.salesAnomalies,
    doc: 'sales anomaly records (Avro) → `sales_anomalies`',
  },
  ...AGG_LOOP_FIELDS,
  maxWaitMs: {
    ...MAX_WAIT_FIELD,
    doc: `flush when the oldest buffered record has waited this long (default ${AGG_MAX_WAIT_MS.postgres} for postgres, ${AGG_MAX_WAIT_MS.clickhouse} for clickhouse: ClickHouse makes one part per insert and merges the parts in the background, so fewer, larger inserts cost its server less CPU)`,
  },
  dlqTopic: { ...AGG_LOOP_FIELDS.dlqTopic, doc: 'records that are not valid aggregate records' },
  groupId: {
    ...AGG_LOOP_FIELDS.groupId,
    doc: 'Kafka consumer group (default `retail-sink-aggregates-<target>`); also the key of the stored positions',
  },
  metricsPort: {
    type: 'int',
    env: 'SINK_AGGREGATES_METRICS_PORT',
    min: 0,
    max: 65535,
    doc: `/metrics, /healthz, /readyz port (default ${PORTS.sinkAggregatesMetrics} for postgres, ${PORTS.sinkAggregatesClickhouseMetrics} for clickhouse; 0 = any free port)`,
  },
  databaseUrl: {
    ...DATABASE_URL,
    doc: 'Postgres URL (target postgres): the login of `sinkRole` (`make up` gives the sink its own)',
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
    default: 'retail_agg_sink',
    doc: 'role the migration grants write access to the three tables and the offsets (only); the sink logs in as it',
  },
  readerRole: {
    type: 'string',
    env: 'SINK_AGGREGATES_READER_ROLE',
    default: 'retail_reader',
    doc: 'read-only role granted SELECT (the query API logs in as it)',
  },
  migrate: {
    type: 'bool',
    env: 'SINK_AGGREGATES_MIGRATE',
    doc: 'at start, create what is missing (idempotent). Default: true for clickhouse (database and tables); false for postgres, whose tables `make up`/`pg migrate` create as the migrator (true needs the owner’s URL)',
  },
  clickhouseUrl: { ...CLICKHOUSE_URL, doc: 'ClickHouse HTTP URL (target clickhouse, production)' },
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
  'target' | 'groupId' | 'metricsPort' | 'migrate' | 'maxWaitMs'
> & {
  target: AggTargetKind;
  maxWaitMs: number;
  migrate: boolean;
  groupId: string;
  metricsPort: number;
};

export function aggregatesConfig(
  explicit: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = environment(),
): AggregatesConfig {
  const c = resolveConfig('sink-aggregates', AGGREGATES_SCHEMA, explicit, env);
  const target = c.target as AggTargetKind;
  return {
    ...c,
    target,
    groupId: c.groupId ?? `retail-sink-aggregates-${target}`,
    migrate: c.migrate ?? target === 'clickhouse',
    maxWaitMs: c.maxWaitMs ?? AGG_MAX_WAIT_MS[target],
    metricsPort:
      c.metricsPort ??
      (target === 'postgres' ? PORTS.sinkAggregatesMetrics : PORTS.sinkAggregatesClickhouseMetrics),
  };
}

/** The four topics and the table each one feeds. */
export function topicTables(
  c: Pick<AggregatesConfig, 'hourlyTopic' | 'topSkusTopic' | 'rollingTopic' | 'anomaliesTopic'>,
) {
  return new Map<string, AggTable>([
    [c.hourlyTopic, 'sales_hourly'],
    [c.topSkusTopic, 'top_skus'],
    [c.rollingTopic, 'store_rolling_1h'],
    [c.anomaliesTopic, 'sales_anomalies'],
  ]);
}
