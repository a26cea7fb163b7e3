/**
 * Aggregate tables in Postgres, exactly once: each batch is one transaction that first moves the
 * stored position of every topic-partition in it with a compare-and-set (fencing a zombie
 * instance, sinks/postgres/transaction.ts), then applies the latest record of each key — upserts,
 * a whole hour's ranking replaced for top SKUs, deletes for tombstones — then COMMITs. Rows and
 * positions commit together or not at all; a crash replays from exactly the committed position,
 * and replaying an upsert of the same value is a no-op anyway.
 */
import type pg from 'pg';
import type { Logger } from '../../../lib/logger.js';
import { MidWriteFault } from '../../core/faults.js';
import { ident } from '../ident.js';
import { readStoredPosition } from '../offsets.js';
import { openSinkPool, poolReady } from '../pool.js';
import { inBatchTransaction } from '../transaction.js';
import { collapse } from '../../aggregates/collapse.js';
import type { AggBatch, AggRow, AggTarget, ResumePlan, WriteResult } from '../../aggregates/contract.js';
import type { AggMetrics } from '../../aggregates/metrics.js';
import { OFFSETS_TABLE, aggMigrate } from './ddl.js';
import type { HourlyRow, RollingRow, TopSkuRow } from '../../../lib/contracts/aggregates/records.js';
import type { SalesAnomaly } from '../../../lib/contracts/anomaly/schema.js';

type AnomalyId = Pick<SalesAnomaly, 'store_id' | 'window_start' | 'metric'>;

export interface AggPostgresOptions {
  databaseUrl: string;
  schema: string;
  sinkRole: string;
  readerRole: string;
  migrate: boolean;
  groupId: string;
}

const CHUNK = 5000;
const iso = (ms: number) => new Date(ms).toISOString();

export class PostgresAggTarget implements AggTarget {
  readonly name = 'aggregates-postgres';
  private pool: pg.Pool | undefined;
  private readonly s: string;
  private readonly fault = new MidWriteFault();

  constructor(
    private readonly o: AggPostgresOptions,
    private readonly metrics: AggMetrics,
    private readonly logger: Logger,
  ) {
    this.s = ident(o.schema, 'schema');
  }

  async open(): Promise<void> {
    this.pool = await openSinkPool(
      {
        databaseUrl: this.o.databaseUrl,
        max: 2,
        migrate: this.o.migrate ? (owner) => aggMigrate(owner, this.o) : undefined,
        what: 'the aggregate tables',
      },
      this.logger,
    );
  }

  resume(topic: string, partition: number): Promise<ResumePlan> {
    return readStoredPosition(
      () => this.requirePool(),
      `${this.s}.${OFFSETS_TABLE}`,
      this.o.groupId,
      topic,
      partition,
    );
  }

  async writeBatch(batch: AggBatch): Promise<WriteResult> {
    const sent = this.fault.begin(batch.rowCount);
    const step = (client: pg.PoolClient) => async (sql: string, values: unknown[]) => {
      await client.query(sql, values);
      sent();
    };
    const { fenced, written } = await inBatchTransaction(
      this.requirePool(),
      this.logger,
      { offsets: `${this.s}.${OFFSETS_TABLE}`, groupId: this.o.groupId, what: 'aggregate batch' },
      batch,
      async (client, live) => {
        const { latest, replaced } = collapse(live);
        const counts = { upserted: new Map<string, number>(), deleted: new Map<string, number>(), replaced };
        for (const [table, rows] of latest) {
          const { upserted, deleted } = await this.apply(table, [...rows.values()], step(client));
          counts.upserted.set(table, upserted);
          counts.deleted.set(table, deleted);
        }
        return counts;
      },
    );
    for (const [table, n] of written.upserted)
      if (n > 0) this.metrics.rowsUpserted.inc({ sink: this.name, table }, n);
    for (const [table, n] of written.deleted)
      if (n > 0) this.metrics.rowsDeleted.inc({ sink: this.name, table }, n);
    for (const [table, n] of written.replaced)
      this.metrics.recordsCollapsed.inc({ sink: this.name, table }, n);
    return { fenced };
  }

  /** Apply the latest row of each key of one table; returns the rows written and keys deleted. */
  private async apply(
    table: string,
    rows: AggRow[],
    step: (sql: string, values: unknown[]) => Promise<void>,
  ): Promise<{ upserted: number; deleted: number }> {
    const s = this.s;
    let upserted = 0;
    let deleted = 0;
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK).map((r) => r.record);
      if (table === 'sales_hourly') {
        const live: HourlyRow[] = [];
        const gone: { store_id: string; sku: string; window_start: number }[] = [];
        for (const r of chunk) {
          if (r.table !== 'sales_hourly') continue;
          if (r.row) live.push(r.row);
          else gone.push(r.id);
        }
        if (gone.length > 0)
          await step(
            `DELETE FROM ${s}.sales_hourly h USING unnest($1::text[], $2::text[], $3::timestamptz[]) AS d(store_id, sku, window_start)
              WHERE h.store_id = d.store_id AND h.sku = d.sku AND h.window_start = d.window_start`,
            [gone.map((g) => g.store_id), gone.map((g) => g.sku), gone.map((g) => iso(g.window_start))],
          );
        if (live.length > 0)
          await step(
            `INSERT INTO ${s}.sales_hourly (store_id, sku, window_start, quantity, revenue_cents, returns, orders, final, updated_at)
             SELECT u.*, now() FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bigint[], $5::bigint[], $6::int[], $7::int[], $8::bool[]) AS u
             ON CONFLICT (store_id, sku, window_start) DO UPDATE SET quantity = EXCLUDED.quantity,
               revenue_cents = EXCLUDED.revenue_cents, returns = EXCLUDED.returns, orders = EXCLUDED.orders,
               final = EXCLUDED.final, updated_at = EXCLUDED.updated_at`,
            [
              live.map((r) => r.store_id),
              live.map((r) => r.sku),
              live.map((r) => iso(r.window_start)),
              live.map((r) => r.quantity),
              live.map((r) => r.revenue_cents.toString()), // exact: a bigint → decimal text
              live.map((r) => r.returns),
              live.map((r) => r.orders),
              live.map((r) => r.final),
            ],
          );
        upserted += live.length;
        deleted += gone.length;
      } else if (table === 'top_skus') {
        // The topic's key is the hour: a record replaces the hour's whole ranking.
        const hours: number[] = [];
        const live: TopSkuRow[] = [];
        for (const r of chunk) {
          if (r.table !== 'top_skus') continue;
          hours.push(r.id.window_start);
          if (r.rows) live.push(...r.rows);
          else deleted++;
        }
        await step(`DELETE FROM ${s}.top_skus WHERE window_start = ANY($1::timestamptz[])`, [hours.map(iso)]);
        if (live.length > 0)
          await step(
            `INSERT INTO ${s}.top_skus (window_start, rank, sku, revenue_cents, quantity, updated_at)
             SELECT u.*, now() FROM unnest($1::timestamptz[], $2::int[], $3::text[], $4::bigint[], $5::bigint[]) AS u`,
            [
              live.map((r) => iso(r.window_start)),
              live.map((r) => r.rank),
              live.map((r) => r.sku),
              live.map((r) => r.revenue_cents.toString()), // exact: a bigint → decimal text
              live.map((r) => r.quantity),
            ],
          );
        upserted += live.length;
      } else if (table === 'sales_anomalies') {
        const n = await this.applyAnomalies(chunk, step);
        upserted += n.upserted;
        deleted += n.deleted;
      } else {
        const live: RollingRow[] = [];
        const gone: { store_id: string; window_end: number }[] = [];
        for (const r of chunk) {
          if (r.table !== 'store_rolling_1h') continue;
          if (r.row) live.push(r.row);
          else gone.push(r.id);
        }
        if (gone.length > 0)
          await step(
            `DELETE FROM ${s}.store_rolling_1h w USING unnest($1::text[], $2::timestamptz[]) AS d(store_id, window_end)
              WHERE w.store_id = d.store_id AND w.window_end = d.window_end`,
            [gone.map((g) => g.store_id), gone.map((g) => iso(g.window_end))],
          );
        if (live.length > 0)
          await step(
            `INSERT INTO ${s}.store_rolling_1h (store_id, window_end, quantity, revenue_cents, orders, updated_at)
             SELECT u.*, now() FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::int[]) AS u
             ON CONFLICT (store_id, window_end) DO UPDATE SET quantity = EXCLUDED.quantity,
               revenue_cents = EXCLUDED.revenue_cents, orders = EXCLUDED.orders, updated_at = EXCLUDED.updated_at`,
            [
              live.map((r) => r.store_id),
              live.map((r) => iso(r.window_end)),
              live.map((r) => r.quantity),
              live.map((r) => r.revenue_cents.toString()), // exact: a bigint → decimal text
              live.map((r) => r.orders),
            ],
          );
        upserted += live.length;
        deleted += gone.length;
      }
    }
    return { upserted, deleted };
  }

  private async applyAnomalies(
    chunk: AggRow['record'][],
    step: (sql: string, values: unknown[]) => Promise<void>,
  ): Promise<{ upserted: number; deleted: number }> {
    const s = this.s;
    const live: SalesAnomaly[] = [];
    const gone: AnomalyId[] = [];
    for (const r of chunk) {
      if (r.table !== 'sales_anomalies') continue;
      if (r.row) live.push(r.row);
      else gone.push(r.id);
    }
    if (gone.length > 0)
      await step(
        `DELETE FROM ${s}.sales_anomalies a USING unnest($1::text[], $2::timestamptz[], $3::text[]) AS d(store_id, window_start, metric)
          WHERE a.store_id = d.store_id AND a.window_start = d.window_start AND a.metric = d.metric`,
        [gone.map((g) => g.store_id), gone.map((g) => iso(g.window_start)), gone.map((g) => g.metric)],
      );
    if (live.length > 0)
      await step(
        `INSERT INTO ${s}.sales_anomalies (store_id, window_start, metric, window_end, observed, expected, mad, score, direction, history_points, threshold, updated_at)
         SELECT u.*, now() FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::timestamptz[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::text[], $10::int[], $11::float8[]) AS u
         ON CONFLICT (store_id, window_start, metric) DO UPDATE SET window_end = EXCLUDED.window_end,
           observed = EXCLUDED.observed, expected = EXCLUDED.expected, mad = EXCLUDED.mad, score = EXCLUDED.score,
           direction = EXCLUDED.direction, history_points = EXCLUDED.history_points,
           threshold = EXCLUDED.threshold, updated_at = EXCLUDED.updated_at`,
        [
          live.map((r) => r.store_id),
          live.map((r) => iso(r.window_start)),
          live.map((r) => r.metric),
          live.map((r) => iso(r.window_end)),
          live.map((r) => r.observed),
          live.map((r) => r.expected),
          live.map((r) => r.mad),
          live.map((r) => r.score),
          live.map((r) => r.direction),
          live.map((r) => r.history_points),
          live.map((r) => r.threshold),
        ],
      );
    return { upserted: live.length, deleted: gone.length };
  }

  ready(): Promise<boolean> {
    return poolReady(this.pool);
  }

  async close(): Promise<void> {
    await this.pool?.end();
    this.pool = undefined;
  }

  private requirePool(): pg.Pool {
    if (!this.pool) throw new Error('PostgresAggTarget used before open()');
    return this.pool;
  }
}
