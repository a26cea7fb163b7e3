/**
 * Postgres sink: each batch is one transaction — first the stored positions of its partitions
 * are moved with a compare-and-set (fencing a zombie instance after a rebalance), then every row
 * goes in with one COPY, then COMMIT. Rows and positions commit together or not at all, so a
 * crash anywhere replays from exactly the last committed position: exactly once.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Logger } from '../../../lib/logger.js';
import { watchClient } from '../watch-client.js';
import type { Batch, ResumePlan, Sink, WriteResult } from '../../core/contract.js';
import type { SinkMetrics } from '../../core/metrics.js';
import { faultsFromEnv, killNow } from '../../core/faults.js';
import type { PostgresSinkConfig } from './config.js';
import { COPY_COLUMNS, copyChunks } from './copy-format.js';
import { ident, migrate } from './ddl.js';
import { pgError } from '../errors.js';
import { moveStoredPositions, readStoredPosition } from '../offsets.js';
import { applyRetention, dayOf, ensurePartitions, partitionDays } from './partitions.js';

export class PostgresSink implements Sink {
  readonly name = 'postgres';
  private pool: pg.Pool | undefined;
  private days = new Set<number>();
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintenanceRunning: Promise<void> | undefined;
  private readonly table: string;
  private readonly offsets: string;
  private readonly faults = faultsFromEnv();
  private copies = 0;

  constructor(
    private readonly config: PostgresSinkConfig & { databaseUrl: string },
    private readonly groupId: string,
    private readonly metrics: SinkMetrics,
    private readonly logger: Logger,
  ) {
    this.table = `${ident(config.schema)}.sales_raw`;
    this.offsets = `${ident(config.schema)}.sink_offsets`;
  }

  async open(): Promise<void> {
    const { config } = this;
    if (config.migrate) {
      const owner = new pg.Client({ connectionString: config.databaseUrl });
      try {
        await owner.connect();
        await migrate(owner, config);
      } catch (err) {
        throw pgError('could not prepare the Postgres tables', err);
      } finally {
        await owner.end().catch(() => undefined);
      }
    }
    // Every session runs as the least-privilege sink role (INSERT on sales_raw, its offsets),
    // set in the startup packet so no statement ever runs with the owner's rights.
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: 3,
      connectionTimeoutMillis: 5000,
      options: `-c role=${ident(config.sinkRole).slice(1, -1)}`,
    });
    // An idle client losing its server (Postgres restart) must not crash the process.
    pool.on('error', (err) => this.logger.warn('idle Postgres connection lost', { err }));
    this.pool = pool;
    await this.maintain();
    this.maintenanceTimer = setInterval(() => void this.maintain(), config.maintenanceIntervalMs);
    this.maintenanceTimer.unref();
  }

  /** Create partitions ahead, apply retention, refresh the set of partitioned days. Never throws. */
  maintain(): Promise<void> {
    this.maintenanceRunning ??= this.runMaintenance().finally(() => (this.maintenanceRunning = undefined));
    return this.maintenanceRunning;
  }

  private async runMaintenance(): Promise<void> {
    const { config } = this;
    const client = await this.pool?.connect().catch((err: unknown) => {
      this.logger.warn('partition maintenance skipped: no connection', { err });
      return undefined;
    });
    if (!client) return;
    const unwatch = watchClient(client, this.logger, 'partition maintenance');
    try {
      const created = await ensurePartitions(client, {
        schema: config.schema,
        retentionDays: config.retentionDays,
        aheadDays: config.partitionsAheadDays,
      });
      if (created.length > 0) {
        this.metrics.partitionsCreated.inc({ sink: this.name }, created.length);
        this.logger.info('partitions created', { days: created });
      }
      if (config.retentionMode !== 'off') {
        const res = await applyRetention(client, {
          schema: config.schema,
          retentionDays: config.retentionDays,
          mode: config.retentionMode,
        });
        for (const p of res.partitions)
          this.metrics.partitionsDropped.inc({ sink: this.name, mode: p.action });
        if (res.partitions.length > 0) this.logger.info('retention applied', { ...res });
      }
      this.days = await partitionDays(client, config.schema);
    } catch (err) {
      this.logger.warn('partition maintenance failed; retried at the next interval', { err });
    } finally {
      unwatch();
      client.release();
    }
  }

  resume(topic: string, partition: number): Promise<ResumePlan> {
    return readStoredPosition(() => this.requirePool(), this.offsets, this.groupId, topic, partition);
  }

  async writeBatch(batch: Batch): Promise<WriteResult> {
    let client: pg.PoolClient;
    try {
      client = await this.requirePool().connect();
    } catch (err) {
      throw pgError('could not connect to Postgres', err);
    }
    const unwatch = watchClient(client, this.logger, 'COPY batch');
    let broken = false;
    try {
      await client.query('BEGIN');
      // Compare-and-set: move each position only from where this batch starts.
      const fenced = await moveStoredPositions(client, this.offsets, this.groupId, batch.segments);
      const fencedSet = new Set(fenced.map((f) => f.partition));
      const rows = batch.segments.filter((s) => !fencedSet.has(s.partition)).flatMap((s) => s.rows);
      if (rows.length > 0) {
        const copy = client.query(
          copyFrom(
            `COPY ${this.table} (${COPY_COLUMNS.join(', ')}) FROM STDIN` +
              (this.config.copyFormat === 'binary' ? ' (FORMAT binary)' : ''),
          ),
        );
        await pipeline(Readable.from(this.withFault(copyChunks(rows, this.config.copyFormat))), copy);
      }
      await client.query('COMMIT');
      let guard = 0;
      for (const r of rows) if (!this.days.has(dayOf(r.event.event_time))) guard++;
      if (guard > 0) this.metrics.guardRows.inc({ sink: this.name }, guard);
      return { fenced };
    } catch (err) {
      broken = true;
      await client.query('ROLLBACK').catch(() => undefined);
      throw pgError('COPY batch failed', err);
    } finally {
      unwatch();
      // A client that failed mid-COPY may be in an unknown state: do not return it to the pool.
      client.release(broken);
    }
  }

  /** Crash tests: SIGKILL halfway through the Nth COPY (sinks/faults.ts). */
  private *withFault(chunks: Generator<Buffer>): Generator<Buffer> {
    this.copies++;
    const kill = this.faults.killMidWrite === this.copies;
    let n = 0;
    for (const chunk of chunks) {
      yield chunk;
      if (kill && ++n === 3) killNow(`in the middle of COPY ${this.copies}`);
    }
  }

  async ready(): Promise<boolean> {
    try {
      await this.pool?.query('SELECT 1');
      return this.pool !== undefined;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
    await this.maintenanceRunning;
    await this.pool?.end();
    this.pool = undefined;
  }

  private requirePool(): pg.Pool {
    if (!this.pool) throw new Error('PostgresSink used before open()');
    return this.pool;
  }
}
