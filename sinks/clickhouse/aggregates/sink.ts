/**
 * Aggregate tables in ClickHouse: ReplacingMergeTree tables ordered by the topic's key, versioned
 * by the Kafka offset (every key lives in one partition, where offsets only grow), so a query with
 * `FINAL` sees the latest record of each key. Inserts are made exactly as the raw ClickHouse sink
 * makes them (sinks/clickhouse/insert.ts): one insert per offset-range segment with
 * `insert_deduplication_token = topic:partition:first-last`, the range stored in every row, and on
 * assignment the stored ranges above the group's committed offset become forced cuts so a replay
 * recreates the same inserts and tokens. The token keeps replays from storing rows twice; the
 * version keeps `FINAL` exact even when a replay's ranges differ (merges may have removed a range),
 * and when a stalled instance inserts a stale record after the new owner stored a newer one. A
 * top-SKUs record's rows have keys of their own, so the version alone cannot replace an older
 * ranking: see rankings.ts.
 */
import type { Logger } from '../../../lib/logger.js';
import { MidWriteFault } from '../../core/faults.js';
import { createClickhouseClient } from '../client.js';
import { chError } from '../errors.js';
import { quoteIdent } from '../ident.js';
import { dedupToken, insertSegment, rangeColumns } from '../insert.js';
import { ClickhouseClientOwner } from '../owner.js';
import { resumeFromStoredRanges } from '../resume.js';
import { collapse } from '../../aggregates/collapse.js';
import { topicTables } from '../../aggregates/config.js';
import type { AggTable } from '../../../lib/contracts/aggregates/records.js';
import type { AggregatesConfig } from '../../aggregates/config.js';
import type { AggBatch, AggSegment, AggTarget, ResumePlan, WriteResult } from '../../aggregates/contract.js';
import type { AggMetrics } from '../../aggregates/metrics.js';
import { createAggTables } from './ddl.js';
import { rankingCutoffs } from './rankings.js';

const sqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** DateTime64(3) as JSONEachRow text: seconds with three decimals (a JSON float is refused). */
const secs = (ms: number) => (ms / 1000).toFixed(3);
const dt = (ms: number) => `toDateTime64('${secs(ms)}', 3, 'UTC')`;
/** JSONEachRow has no bigint: the exact sum goes as a quoted integer, which ClickHouse reads into Int64. */
const exact = <R extends { revenue_cents: bigint }>(r: R) => ({
  ...r,
  revenue_cents: r.revenue_cents.toString(),
});

export class ClickhouseAggTarget extends ClickhouseClientOwner implements AggTarget {
  protected readonly ownerName = 'ClickhouseAggTarget';
  readonly name = 'aggregates-clickhouse';
  private readonly tables: Map<string, AggTable>;
  private readonly db: string;
  private readonly fault = new MidWriteFault();

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
      | 'anomaliesTopic'
    >,
    private readonly metrics: AggMetrics,
    private readonly logger: Logger,
  ) {
    super();
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
      await createAggTables(this.client, this.config.database, this.config.dedupWindow);
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
    const sent = this.fault.begin(batch.rowCount);
    for (const seg of batch.segments) {
      if (seg.rows.length === 0) continue;
      await this.writeSegment(seg);
      sent();
    }
    return { fenced: [] };
  }

  private async writeSegment(seg: AggSegment): Promise<void> {
    const client = this.requireClient();
    const table = this.tables.get(seg.topic);
    if (!table) return;
    const latest = collapse([seg]).latest.get(table) ?? new Map();
    const range = rangeColumns(seg);
    const meta = (offset: number) => ({ ...range, kafka_offset: offset });
    const values: Record<string, unknown>[] = [];
    const deletes: string[] = [];
    const rankings = new Map<number, number>();
    for (const { record: r, offset } of latest.values()) {
      if (r.table === 'sales_hourly') {
        if (r.row) values.push({ ...exact(r.row), window_start: secs(r.row.window_start), ...meta(offset) });
        else
          deletes.push(
            `(store_id = ${sqlString(r.id.store_id)} AND sku = ${sqlString(r.id.sku)} AND window_start = ${dt(r.id.window_start)})`,
          );
      } else if (r.table === 'top_skus') {
        // The hour's ranking is replaced: rows of older records of the hour go (after the insert).
        rankings.set(r.id.window_start, offset);
        for (const t of r.rows ?? [])
          values.push({ ...exact(t), window_start: secs(t.window_start), ...meta(offset) });
      } else if (r.table === 'sales_anomalies') {
        if (r.row)
          values.push({
            ...r.row,
            window_start: secs(r.row.window_start),
            window_end: secs(r.row.window_end),
            ...meta(offset),
          });
        else
          deletes.push(
            `(store_id = ${sqlString(r.id.store_id)} AND window_start = ${dt(r.id.window_start)} AND metric = ${sqlString(r.id.metric)})`,
          );
      } else {
        if (r.row) values.push({ ...exact(r.row), window_end: secs(r.row.window_end), ...meta(offset) });
        else deletes.push(`(store_id = ${sqlString(r.id.store_id)} AND window_end = ${dt(r.id.window_end)})`);
      }
    }
    const target = `${this.db}.${table}`;
    if (values.length > 0) await insertSegment(client, target, seg, values);
    try {
      const superseded: string[] = [];
      for (const [hour, cutoff] of await rankingCutoffs(client, target, rankings)) {
        deletes.push(`(window_start = ${dt(hour)} AND kafka_offset < ${cutoff})`);
        if (cutoff > (rankings.get(hour) ?? cutoff)) superseded.push(new Date(hour).toISOString());
      }
      if (superseded.length > 0)
        this.logger.info('top SKUs superseded: a newer ranking of the hour is stored, this one is deleted', {
          token: dedupToken(seg),
          hours: superseded,
        });
      if (deletes.length > 0)
        await client.command({ query: `DELETE FROM ${target} WHERE ${deletes.join(' OR ')}` });
    } catch (err) {
      throw chError(`deletes of ${dedupToken(seg)} failed`, err);
    }
    this.metrics.rowsUpserted.inc({ sink: this.name, table }, values.length);
    const tombstones = [...latest.values()].filter((r) =>
      r.record.table === 'top_skus' ? r.record.rows === null : r.record.row === null,
    ).length;
    if (tombstones > 0) this.metrics.rowsDeleted.inc({ sink: this.name, table }, tombstones);
    const collapsed = seg.rows.length - latest.size;
    if (collapsed > 0) this.metrics.recordsCollapsed.inc({ sink: this.name, table }, collapsed);
  }
}
