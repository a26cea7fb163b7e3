/**
 * ClickHouse sink: one insert per partition segment, carrying `insert_deduplication_token` =
 * `topic:partition:first-last`, into a MergeTree with a non-replicated dedup window — so an insert
 * sent twice (client retry, crash before the Kafka commit) is stored once.
 *
 * Deterministic cuts without extra state: every row records the range of its insert
 * (batch_first, batch_last). On assignment the sink reads the ranges at or above the group's
 * committed offset and hands them to the loop as forced cuts, so the replay re-creates exactly
 * those inserts and their tokens match; later segments are new ranges with new tokens.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../../../lib/logger.js';
import type { Batch, ResumePlan, Segment, Sink, WriteResult } from '../../core/contract.js';
import type { SinkMetrics } from '../../core/metrics.js';
import { faultsFromEnv, killNow } from '../../core/faults.js';
import { chError, createClickhouseClient } from '../client.js';
import type { ClickhouseSinkConfig } from './config.js';
import { createTableSql, quoteIdent } from './ddl.js';
import { resumeFromStoredRanges } from '../resume.js';

export const dedupToken = (s: Pick<Segment, 'topic' | 'partition' | 'first' | 'last'>) =>
  `${s.topic}:${s.partition}:${s.first}-${s.last}`;

export class ClickhouseSink implements Sink {
  readonly name = 'clickhouse';
  private client: ClickHouseClient | undefined;
  private readonly table: string;
  private readonly faults = faultsFromEnv();
  private writes = 0;

  constructor(
    private readonly config: ClickhouseSinkConfig,
    private readonly metrics: SinkMetrics,
    private readonly logger: Logger,
    private readonly clientFactory: () => Promise<ClickHouseClient> = () =>
      createClickhouseClient({ url: config.url, chdbPath: config.chdbPath }),
  ) {
    this.table = `${quoteIdent(config.database)}.sales_raw`;
  }

  async open(): Promise<void> {
    this.client = await this.clientFactory();
    if (this.config.createTable) {
      try {
        await this.client.command({
          query: `CREATE DATABASE IF NOT EXISTS ${quoteIdent(this.config.database)}`,
        });
        await this.client.command({ query: createTableSql(this.config.database, this.config.dedupWindow) });
      } catch (err) {
        throw chError('could not create sales_raw', err);
      }
    }
    void this.metrics;
  }

  async resume(topic: string, partition: number, committed: number | undefined): Promise<ResumePlan> {
    return resumeFromStoredRanges(
      () => this.requireClient(),
      this.table,
      topic,
      partition,
      committed,
      this.logger,
    );
  }

  async writeBatch(batch: Batch): Promise<WriteResult> {
    const client = this.requireClient();
    this.writes++;
    let inserted = 0;
    for (const seg of batch.segments) {
      if (seg.rows.length === 0) continue;
      const values = seg.rows.map((r) => ({
        ...r.event,
        kafka_topic: seg.topic,
        kafka_partition: r.partition,
        kafka_offset: r.offset,
        kafka_timestamp: r.kafkaTimestamp,
        batch_first: seg.first,
        batch_last: seg.last,
      }));
      try {
        await client.insert({
          table: this.table,
          values,
          format: 'JSONEachRow',
          clickhouse_settings: {
            insert_deduplicate: 1,
            insert_deduplication_token: dedupToken(seg),
            // One insert = one block = one all-or-nothing dedup decision.
            max_insert_block_size: String(Math.max(1_048_576, seg.rows.length + 1)),
          },
        });
      } catch (err) {
        throw chError(`insert of ${dedupToken(seg)} failed`, err);
      }
      // Crash tests: SIGKILL after the first insert of batch N (its other ranges not inserted).
      if (this.faults.killMidWrite === this.writes && ++inserted === 1)
        killNow(`in the middle of batch ${this.writes}`);
    }
    return { fenced: [] };
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
    if (!this.client) throw new Error('ClickhouseSink used before open()');
    return this.client;
  }
}
