/**
 * Postgres sink: each batch is one transaction — first the stored positions of its partitions
 * are moved with a compare-and-set (fencing a zombie instance after a rebalance), then every row
 * goes in with one COPY, then COMMIT. Rows and positions commit together or not at all, so a
 * crash anywhere replays from exactly the last committed position: exactly once. By default each
 * event_id is stored once (sinks/postgres/raw/dedup.ts): its claim commits in the same transaction.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Logger } from '../../../lib/logger.js';
import type { Batch, ResumePlan, Sink, SinkRow, WriteContext, WriteResult } from '../../core/contract.js';
import type { SinkMetrics } from '../../core/metrics.js';
import { MidWriteFault } from '../../core/faults.js';
import { ident } from '../ident.js';
import { readStoredPosition } from '../offsets.js';
import { openSinkPool, poolReady } from '../pool.js';
import { inBatchTransaction } from '../transaction.js';
import { watchClient } from '../watch-client.js';
import type { PostgresSinkConfig } from './config.js';
import { verdicts } from '../../raw/dedup.js';
import { COPY_COLUMNS, copyChunks } from './copy-format.js';
import { claimIds } from './dedup.js';
import { migrate } from './ddl.js';
import { applyRetention, dayOf, ensurePartitions, partitionDays } from './partitions.js';

export class PostgresSink implements Sink {
  readonly name = 'postgres';
  private pool: pg.Pool | undefined;
  private days = new Set<number>();
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintenanceRunning: Promise<void> | undefined;
  private readonly table: string;
  private readonly offsets: string;
  private readonly fault = new MidWriteFault();

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
    this.pool = await openSinkPool(
      {
        databaseUrl: config.databaseUrl,
        max: 3,
        migrate: config.migrate ? (owner) => migrate(owner, config) : undefined,
        what: 'the Postgres tables',
      },
      this.logger,
    );
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

  async writeBatch(batch: Batch, ctx?: WriteContext): Promise<WriteResult> {
    const sent = this.fault.begin(batch.rowCount);
    const { fenced, written } = await inBatchTransaction(
      this.requirePool(),
      this.logger,
      { offsets: this.offsets, groupId: this.groupId, what: 'COPY batch' },
      batch,
      async (client, live) => {
        if (this.config.dedup === 'off') {
          const rows = live.flatMap((s) => s.rows);
          if (rows.length > 0) await this.copy(client, rows, sent);
          return { rows, identical: 0, conflicting: 0 };
        }
        const stored = await claimIds(client, ident(this.config.schema), live);
        const v = verdicts(live, stored, this.name);
        if (v.conflicting.length > 0) {
          if (!ctx)
            throw new Error('PostgresSink: a conflicting duplicate needs the loop’s dead-letter queue');
          // Before COMMIT: a crash after the ack sends them again on replay, never loses them.
          await ctx.deadLetter(v.conflicting);
        }
        const rows = v.keep.flat();
        if (rows.length > 0) await this.copy(client, rows, sent);
        return { rows, identical: v.identical, conflicting: v.conflicting.length };
      },
    );
    const { rows, identical, conflicting } = written;
    let guard = 0;
    for (const r of rows) if (!this.days.has(dayOf(r.event.event_time))) guard++;
    if (guard > 0) this.metrics.guardRows.inc({ sink: this.name }, guard);
    if (identical > 0) this.metrics.duplicatesDropped.inc({ sink: this.name }, identical);
    if (conflicting > 0) this.metrics.conflictingDuplicates.inc({ sink: this.name }, conflicting);
    return { fenced, dropped: identical + conflicting };
  }

  /** Every row in one COPY; `sent` after each chunk is the crash tests' mid-write point. */
  private async copy(client: pg.PoolClient, rows: SinkRow[], sent: () => void): Promise<void> {
    const copy = client.query(
      copyFrom(
        `COPY ${this.table} (${COPY_COLUMNS.join(', ')}) FROM STDIN` +
          (this.config.copyFormat === 'binary' ? ' (FORMAT binary)' : ''),
      ),
    );
    const chunks = copyChunks(rows, this.config.copyFormat);
    await pipeline(
      Readable.from(
        (function* () {
          for (const chunk of chunks) {
            yield chunk;
            sent();
          }
        })(),
      ),
      copy,
    );
  }

  ready(): Promise<boolean> {
    return poolReady(this.pool);
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
