/**
 * Aggregate tables in ClickHouse: ReplacingMergeTree tables ordered by the topic's key, versioned
 * by the Kafka offset (every key lives in one partition, where offsets only grow), so a query with
 * `FINAL` sees the latest record of each key. Inserts are made exactly as the raw ClickHouse sink
 * makes them (sinks/clickhouse/sink.ts): one insert per offset-range segment with
 * `insert_deduplication_token = topic:partition:first-last`, the range stored in every row, and on
 * assignment the stored ranges above the group's committed offset become forced cuts so a replay
 * recreates the same inserts and tokens. The token keeps replays from storing rows twice; the
 * version keeps `FINAL` exact even when a replay's ranges differ (merges may have removed a range).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../../../lib/logger.js';
import { chError, createClickhouseClient } from '../client.js';
import { quoteIdent } from '../raw/ddl.js';
import { resumeFromStoredRanges } from '../resume.js';
import { dedupToken } from '../raw/sink.js';
import { faultsFromEnv, killNow } from '../../core/faults.js';
import { collapse } from '../../aggregates/collapse.js';
import { topicTables } from '../../aggregates/config.js';
import type { AggTable } from '../../../lib/contracts/aggregates/records.js';
import type { AggregatesConfig } from '../../aggregates/config.js';
import type { AggBatch, AggSegment, AggTarget, ResumePlan, WriteResult } from '../../aggregates/contract.js';
import type { AggMetrics } from '../../aggregates/metrics.js';

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
  };
}

const sqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** DateTime64(3) as JSONEachRow text: seconds with three decimals (a JSON float is refused). */
const secs = (ms: number) => (ms / 1000).toFixed(3);
const dt = (ms: number) => `toDateTime64('${secs(ms)}', 3, 'UTC')`;

export class ClickhouseAggTarget implements AggTarget {
  readonly name = 'aggregates-clickhouse';
  private client: ClickHouseClient | undefined;
  private readonly tables: Map<string, AggTable>;
  private readonly db: string;
  private readonly faults = faultsFromEnv();
  private writes = 0;

  constructor(
    private readonly config: Pick<
      AggregatesConfig,
      | 'clickhouseUrl'
      | 'chdbPath'
      | 'database'
      | 'dedupWindow'
      | 'migrate'
      | 'hourlyTopic'
      | 'topSkusTopic'
      | 'rollingTopic'
    >,
    private readonly metrics: AggMetrics,
    private readonly logger: Logger,
  ) {
    this.tables = topicTables(config);
    this.db = quoteIdent(config.database);
  }

  async open(): Promise<void> {
    this.client = await createClickhouseClient({
      url: this.config.clickhouseUrl,
      chdbPath: this.config.chdbPath,
    });
    if (!this.config.migrate) return;
    try {
      await this.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${this.db}` });
      for (const sql of Object.values(aggClickhouseDdl(this.config.database, this.config.dedupWindow)))
        await this.client.command({ query: sql });
    } catch (err) {
      throw chError('could not create the aggregate tables', err);
    }
  }

  async resume(topic: string, partition: number, committed: number | undefined): Promise<ResumePlan> {
    const table = this.tables.get(topic);
    if (!table) return { next: committed, cuts: [] };
    return resumeFromStoredRanges(
      () => this.requireClient(),
      `${this.db}.${table}`,
      topic,
      partition,
      committed,
      this.logger,
    );
  }

  async writeBatch(batch: AggBatch): Promise<WriteResult> {
    this.writes++;
    let inserted = 0;
    for (const seg of batch.segments) {
      if (seg.rows.length === 0) continue;
      // Crash tests: SIGKILL between the inserts of one batch (some ranges in, others not).
      if (this.faults.killMidWrite === this.writes && inserted === 1)
        killNow(`in the middle of batch ${this.writes}`);
      inserted++;
      await this.writeSegment(seg);
    }
    return { fenced: [] };
  }

  private async writeSegment(seg: AggSegment): Promise<void> {
    const client = this.requireClient();
    const table = this.tables.get(seg.topic);
    if (!table) return;
    const latest = collapse([seg]).latest.get(table) ?? new Map();
    const meta = (offset: number) => ({
      kafka_topic: seg.topic,
      kafka_partition: seg.partition,
      kafka_offset: offset,
      batch_first: seg.first,
      batch_last: seg.last,
    });
    const values: Record<string, unknown>[] = [];
    const deletes: string[] = [];
    for (const { record: r, offset } of latest.values()) {
      if (r.table === 'sales_hourly') {
        if (r.row) values.push({ ...r.row, window_start: secs(r.row.window_start), ...meta(offset) });
        else
          deletes.push(
            `(store_id = ${sqlString(r.id.store_id)} AND sku = ${sqlString(r.id.sku)} AND window_start = ${dt(r.id.window_start)})`,
          );
      } else if (r.table === 'top_skus') {
        // The hour's ranking is replaced: rows of an older record of the hour go.
        deletes.push(`(window_start = ${dt(r.id.window_start)} AND kafka_offset < ${offset})`);
        for (const t of r.rows ?? [])
          values.push({ ...t, window_start: secs(t.window_start), ...meta(offset) });
      } else {
        if (r.row) values.push({ ...r.row, window_end: secs(r.row.window_end), ...meta(offset) });
        else deletes.push(`(store_id = ${sqlString(r.id.store_id)} AND window_end = ${dt(r.id.window_end)})`);
      }
    }
    const token = dedupToken(seg);
    try {
      if (values.length > 0)
        await client.insert({
          table: `${this.db}.${table}`,
          values,
          format: 'JSONEachRow',
          clickhouse_settings: {
            insert_deduplicate: 1,
            insert_deduplication_token: token,
            // One insert = one block = one all-or-nothing dedup decision.
            max_insert_block_size: String(Math.max(1_048_576, values.length + 1)),
          },
        });
      if (deletes.length > 0)
        await client.command({ query: `DELETE FROM ${this.db}.${table} WHERE ${deletes.join(' OR ')}` });
    } catch (err) {
      throw chError(`write of ${token} failed`, err);
    }
    this.metrics.rowsUpserted.inc({ sink: this.name, table }, values.length);
    const tombstones = [...latest.values()].filter((r) =>
      r.record.table === 'top_skus' ? r.record.rows === null : r.record.row === null,
    ).length;
    if (tombstones > 0) this.metrics.rowsDeleted.inc({ sink: this.name, table }, tombstones);
    const collapsed = seg.rows.length - latest.size;
    if (collapsed > 0) this.metrics.recordsCollapsed.inc({ sink: this.name, table }, collapsed);
  }

  async ready(): Promise<boolean> {
    try {
      return (await this.client?.ping())?.success ?? false;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = undefined;
  }

  private requireClient(): ClickHouseClient {
    if (!this.client) throw new Error('ClickhouseAggTarget used before open()');
    return this.client;
  }
}
