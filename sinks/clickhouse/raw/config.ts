/** Options of the ClickHouse sink (target side); the loop's options are in sinks/core/config.ts. */
import type { ConfigOf, Schema } from '../../../lib/config/index.js';
import { PORTS } from '../../../lib/ports.js';
import { loopSchema } from '../../core/config.js';

export const CLICKHOUSE_SINK_SCHEMA = {
  url: {
    type: 'string',
    env: 'CLICKHOUSE_URL',
    secret: true,
    doc: 'ClickHouse HTTP URL (production); user and password may be in the URL',
  },
  chdbPath: {
    type: 'string',
    env: 'SINK_CLICKHOUSE_CHDB_PATH',
    doc: 'use the in-process chdb engine with this data directory instead of a server (tests, benchmarks)',
  },
  database: {
    type: 'string',
    env: 'SINK_CLICKHOUSE_DATABASE',
    default: 'default',
    doc: 'database holding `sales_raw`',
  },
  dedupWindow: {
    type: 'int',
    env: 'SINK_CLICKHOUSE_DEDUP_WINDOW',
    default: 10_000,
    min: 100,
    doc: '`non_replicated_deduplication_window` of the table: how many recent inserts’ tokens are remembered',
  },
  dedup: {
    type: 'enum',
    values: ['on', 'off'] as const,
    env: 'SINK_CLICKHOUSE_DEDUP',
    default: 'on',
    doc: '`on`: each event_id stored once in `sales_raw` (first write wins; an exact re-send is dropped, a different one dead-lettered as `conflicting_duplicate`); `off`: every record stored, the log as received',
  },
  retentionDays: {
    type: 'int',
    env: 'SINK_CLICKHOUSE_RETENTION_DAYS',
    // ClickHouse keeps the long history (docs/deploy.md#sizing): a year, where Postgres keeps 30 days.
    default: 365,
    min: 1,
    max: 36_500,
    doc: 'days of `sales_raw` kept, today included (UTC days of event_time); older day partitions are detached or dropped, as in Postgres (which keeps 30 by default: ClickHouse holds the long history)',
  },
  retentionMinDays: {
    type: 'int',
    env: 'SINK_CLICKHOUSE_RETENTION_MIN_DAYS',
    default: 7,
    min: 1,
    max: 36_500,
    doc: 'days no retention may remove, today included: the native server (`clickhouse serve`, which reads this variable at start) refuses the sink’s user a DETACH/DROP PARTITION of them with 497 ACCESS_DENIED; the sink refuses to start with a lower `SINK_CLICKHOUSE_RETENTION_DAYS`',
  },
  retentionMode: {
    type: 'enum',
    values: ['detach', 'drop', 'off'] as const,
    env: 'SINK_CLICKHOUSE_RETENTION_MODE',
    default: 'detach',
    doc: 'what retention does with expired day partitions: `detach` (kept in the table’s detached/ directory, `ATTACH PARTITION ID` brings one back), `drop`, or `off`',
  },
  maintenanceIntervalMs: {
    type: 'int',
    env: 'SINK_CLICKHOUSE_MAINTENANCE_INTERVAL_MS',
    default: 3_600_000,
    min: 1000,
    doc: 'how often retention runs (also once at start)',
  },
  createTable: {
    type: 'bool',
    env: 'SINK_CLICKHOUSE_CREATE_TABLE',
    default: true,
    doc: 'create the database and `sales_raw` if missing, at start',
  },
} satisfies Schema;

// One insert a second at most at low rates: ClickHouse makes a part per insert and merges them in
// the background, and its own guidance is batches of 1,000+ rows or one insert a second.
export const CLICKHOUSE_LOOP_SCHEMA = loopSchema({
  envPrefix: 'SINK_CLICKHOUSE_',
  maxBatchRows: 200_000,
  maxWaitMs: 1000,
  metricsPort: PORTS.sinkClickhouseMetrics,
});

export type ClickhouseSinkConfig = Omit<ConfigOf<typeof CLICKHOUSE_SINK_SCHEMA>, 'retentionMode'> & {
  retentionMode: 'detach' | 'drop' | 'off';
};
