/**
 * ClickHouse sink: one insert per batch into a MergeTree with a non-replicated dedup window,
 * carrying `insert_deduplication_token` = the combined token of its partition segments
 * (`topic:partition:first-last` each; sinks/clickhouse/insert.ts) — so an insert sent twice (client
 * retry, crash before the Kafka commit) is stored once.
 *
 * Deterministic cuts without extra state: every row records the range of its segment
 * (batch_first, batch_last). On assignment the sink reads the ranges at or above the group's
 * committed offset and hands them to the loop as forced cuts, so the replay re-creates exactly
 * those segments; their rows already stored are found by their offsets over that replay window
 * (UnsureRanges) and left out, whichever batches the replay groups them in; later segments are
 * new ranges with new tokens.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../../../lib/logger.js';
import type {
  Batch,
  ResumePlan,
  Segment,
  Sink,
  SinkRow,
  WriteContext,
  WriteResult,
} from '../../core/contract.js';
import type { SinkMetrics } from '../../core/metrics.js';
import type { SaleEvent } from '../../../lib/contracts/event/schema.js';
import { MidWriteFault } from '../../core/faults.js';
import { createClickhouseClient } from '../client.js';
import { chError } from '../errors.js';
import { quoteIdent } from '../ident.js';
import { combinedToken, dedupToken, insertRows, rangeColumns } from '../insert.js';
import { ClickhouseClientOwner } from '../owner.js';
import { resumeFromStoredRanges } from '../resume.js';
import type { ClickhouseSinkConfig } from './config.js';
import { at, verdicts } from '../../raw/dedup.js';
import { createRawTables } from './ddl.js';
import { recordIds, storedIds } from './ids.js';
import { applyClickhouseRetention } from './retention.js';
import { restToken, UnsureRanges } from './unsure.js';
import { storedOffsets } from './stored-offsets.js';

const DAY_MS = 86_400_000;

export class ClickhouseSink extends ClickhouseClientOwner implements Sink {
  protected readonly ownerName = 'ClickhouseSink';
  readonly name = 'clickhouse';
  private readonly table: string;
  private readonly fault = new MidWriteFault();
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintenanceRunning: Promise<void> | undefined;
  private readonly unsure = new UnsureRanges();

  constructor(
    private readonly config: ClickhouseSinkConfig,
    private readonly metrics: SinkMetrics,
    private readonly logger: Logger,
    private readonly clientFactory: () => Promise<ClickHouseClient> = () =>
      createClickhouseClient({ url: config.url, chdbPath: config.chdbPath }),
  ) {
    super();
    this.table = `${quoteIdent(config.database)}.sales_raw`;
  }

  async open(): Promise<void> {
    this.client = await this.clientFactory();
    if (this.config.createTable) {
      try {
        await this.client.command({
          query: `CREATE DATABASE IF NOT EXISTS ${quoteIdent(this.config.database)}`,
        });
        await createRawTables(this.client, this.config.database, this.config.dedupWindow);
      } catch (err) {
        throw chError('could not create sales_raw', err);
      }
    }
    if (this.config.retentionMode !== 'off') {
      await this.maintain();
      this.maintenanceTimer = setInterval(() => void this.maintain(), this.config.maintenanceIntervalMs);
      this.maintenanceTimer.unref();
    }
  }

  /** Apply retention (sinks/clickhouse/raw/retention.ts). Never throws: a failure is retried at the next interval. */
  maintain(): Promise<void> {
    this.maintenanceRunning ??= this.runMaintenance().finally(() => (this.maintenanceRunning = undefined));
    return this.maintenanceRunning;
  }

  private async runMaintenance(): Promise<void> {
    const { retentionMode: mode, retentionDays, database } = this.config;
    if (mode === 'off' || !this.client) return;
    try {
      const res = await applyClickhouseRetention(this.client, { database, retentionDays, mode });
      for (const p of res.partitions) this.metrics.partitionsDropped.inc({ sink: this.name, mode: p.action });
      if (res.partitions.length > 0 || res.idMonths.length > 0)
        this.logger.info('retention applied', { ...res });
    } catch (err) {
      this.logger.warn('retention failed; retried at the next interval', { err });
    }
  }

  override async close(): Promise<void> {
    if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
    await this.maintenanceRunning;
    await super.close();
  }

  async resume(topic: string, partition: number, committed: number | undefined): Promise<ResumePlan> {
    const plan = await resumeFromStoredRanges(
      () => this.requireClient(),
      this.table,
      topic,
      partition,
      committed,
      this.logger,
    );
    // The replay window may hold a write that stopped halfway (a crash between the parts of a wide
    // segment, or between the split halves of a refused one): look its rows up too.
    const last = plan.cuts.at(-1);
    if (last !== undefined) this.unsure.note(topic, partition, last);
    return plan;
  }

  /**
   * The rows of `seg` still to insert and the token to insert them with: all of them and the
   * segment's own token, unless an earlier write of these offsets may have stored some (see
   * UnsureRanges) — then the stored ones are left out and the rest carries a token of its own
   * content, so it can neither be mistaken for the segment's first insert nor stored twice.
   */
  private async unstored(
    client: ClickHouseClient,
    seg: Segment,
  ): Promise<{ rows: SinkRow[]; token?: string }> {
    if (!this.unsure.covers(seg.topic, seg.partition, seg.first)) return { rows: seg.rows };
    const stored = await storedOffsets(client, this.table, seg);
    if (stored.size === 0) return { rows: seg.rows };
    const rows = seg.rows.filter((r) => !stored.has(r.offset));
    this.logger.info('left out rows an earlier, unfinished write stored', {
      topic: seg.topic,
      partition: seg.partition,
      first: seg.first,
      last: seg.last,
      stored: seg.rows.length - rows.length,
    });
    return { rows, token: restToken(seg, rows) };
  }

  /**
   * The segments without the records whose rows are stored already (ids.ts `atStored`): a replay
   * of this instance's own write, or a stale batch of partitions another instance has taken over
   * and written meanwhile (a zombie: stalled past its session timeout). Counted as skipped, like
   * records fetched again below the stored position. A segment that lost rows is inserted with a
   * token of its own remainder (restToken), as in `unstored`.
   */
  private leaveOutStored(
    segments: readonly Segment[],
    atStored: ReadonlySet<string>,
  ): { segments: Segment[]; tokens: (string | undefined)[] } {
    let left = 0;
    const tokens: (string | undefined)[] = [];
    const out = segments.map((seg) => {
      const rows = seg.rows.filter((r) => !atStored.has(at(seg.topic, seg.partition, r.offset)));
      left += seg.rows.length - rows.length;
      tokens.push(rows.length === seg.rows.length ? undefined : restToken(seg, rows));
      return rows.length === seg.rows.length ? seg : { ...seg, rows };
    });
    this.metrics.skipped.inc({ sink: this.name }, left);
    this.logger.info('left out rows already stored by an earlier write of the same records', {
      rows: left,
      partitions: [...new Set(segments.map((s) => `${s.topic}[${s.partition}]`))],
    });
    return { segments: out, tokens };
  }

  async writeBatch(batch: Batch, ctx?: WriteContext): Promise<WriteResult> {
    const client = this.requireClient();
    const sent = this.fault.begin(batch.rowCount);
    const dedup = this.config.dedup !== 'off';
    let segments = batch.segments;
    let identical = 0;
    let conflicting = 0;
    // Per segment (same index): the token of a remainder, when stored rows were left out.
    let restTokens: (string | undefined)[] = [];
    if (dedup) {
      const found = await storedIds(client, this.config.database, segments);
      if (found.atStored.size > 0)
        ({ segments, tokens: restTokens } = this.leaveOutStored(segments, found.atStored));
      const v = verdicts(segments, found.stored, this.name);
      if (v.conflicting.length > 0) {
        if (!ctx)
          throw new Error('ClickhouseSink: a conflicting duplicate needs the loop’s dead-letter queue');
        // Before the insert: a crash after the ack sends them again on replay, never loses them.
        await ctx.deadLetter(v.conflicting);
      }
      segments = segments.map((s, i) => ({ ...s, rows: v.keep[i] ?? [] }));
      identical = v.identical;
      conflicting = v.conflicting.length;
    }
    // One insert per table for the whole batch (not one per partition's segment): each insert is
    // a part to write and later merge, and a fixed cost on the server (merge-settings.ts has the
    // numbers). Every row still carries its segment's range, so a resume cuts the replay where the
    // segments were; a replay after a crash is exact by the offsets look-up of its window
    // (UnsureRanges, noted at resume), and the combined token drops the same insert sent twice.
    const values: (SaleEvent & Record<string, unknown>)[] = [];
    const tokens: string[] = [];
    try {
      for (const [i, seg] of segments.entries()) {
        if (seg.rows.length === 0) continue;
        const { rows, token } = await this.unstored(client, seg);
        if (rows.length === 0) continue;
        const range = rangeColumns(seg);
        for (const r of rows)
          values.push({ ...r.event, ...range, kafka_offset: r.offset, kafka_timestamp: r.kafkaTimestamp });
        tokens.push(token ?? restTokens[i] ?? dedupToken(seg));
      }
      if (values.length > 0) {
        // sales_raw is partitioned by UTC day of event_time.
        await insertRows(client, this.table, combinedToken(tokens), values, (v) =>
          Math.floor(v.event_time / DAY_MS),
        );
        sent();
      }
    } catch (err) {
      // Some of these rows may be stored now (the earlier parts of a wide batch, an insert whose
      // answer was lost): until a write passes them, look them up before inserting again.
      for (const seg of batch.segments) this.unsure.note(seg.topic, seg.partition, seg.last);
      throw err;
    }
    for (const seg of batch.segments) this.unsure.passed(seg.topic, seg.partition, seg.last);
    if (dedup) await recordIds(client, this.config.database, segments);
    if (identical > 0) this.metrics.duplicatesDropped.inc({ sink: this.name }, identical);
    if (conflicting > 0) this.metrics.conflictingDuplicates.inc({ sink: this.name }, conflicting);
    return { fenced: [], dropped: identical + conflicting };
  }
}
