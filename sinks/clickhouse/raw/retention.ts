/**
 * Retention of `sales_raw` in ClickHouse, the counterpart of the Postgres day partitions
 * (sinks/postgres/raw/partitions.ts): the table is partitioned by UTC day of event_time
 * (`toYYYYMMDD`), and the partitions of days before today − (retentionDays − 1) are detached
 * (kept on disk under the table's `detached/` directory, back with `ALTER TABLE … ATTACH PARTITION
 * ID '…'`) or dropped. The id claims of `sales_raw_ids` (monthly partitions) are dropped once their
 * whole month is past the cutoff. Events older than retention are still written (ClickHouse has
 * no DEFAULT partition to guard them): their day partition is removed again by the next run, so
 * old data never accumulates — the Postgres guard partition's role, pruned.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { chError } from '../errors.js';
import { quoteIdent } from '../ident.js';

const DAY_MS = 86_400_000;

export type ClickhouseRetentionMode = 'detach' | 'drop';

export interface ClickhouseRetentionResult {
  /** First day kept (UTC, YYYY-MM-DD). */
  cutoff: string;
  partitions: { partition: string; rows: number; action: ClickhouseRetentionMode }[];
  /** Months of `sales_raw_ids` dropped (YYYYMM). */
  idMonths: string[];
}

/** YYYYMMDD of the first day kept: today − (retentionDays − 1), UTC. */
export function cutoffDay(retentionDays: number, now: number): number {
  const d = new Date(Math.floor(now / DAY_MS) * DAY_MS - (retentionDays - 1) * DAY_MS);
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/** Day partitions (`YYYYMMDD` ids) before the cutoff, ascending. */
export function expiredDays(partitionIds: readonly string[], cutoff: number): string[] {
  return partitionIds.filter((p) => /^\d{8}$/.test(p) && Number(p) < cutoff).sort();
}

/** Month partitions (`YYYYMM` ids) whose every day is before the cutoff, ascending. */
export function expiredMonths(partitionIds: readonly string[], cutoff: number): string[] {
  const cutoffMonth = Math.floor(cutoff / 100);
  return partitionIds.filter((p) => /^\d{6}$/.test(p) && Number(p) < cutoffMonth).sort();
}

const iso = (day: number) =>
  `${Math.floor(day / 10_000)}-${String(Math.floor(day / 100) % 100).padStart(2, '0')}-${String(day % 100).padStart(2, '0')}`;

async function activePartitions(
  client: ClickHouseClient,
  database: string,
  table: string,
): Promise<Map<string, number>> {
  const rs = await client.query({
    query: `SELECT partition_id, sum(rows) AS rows FROM system.parts
             WHERE database = {db:String} AND table = {table:String} AND active
             GROUP BY partition_id`,
    query_params: { db: database, table },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ partition_id: string; rows: string }>();
  return new Map(rows.map((r) => [r.partition_id, Number(r.rows)]));
}

/** Detach or drop the expired day partitions of sales_raw, drop the expired months of sales_raw_ids. */
export async function applyClickhouseRetention(
  client: ClickHouseClient,
  o: {
    database: string;
    retentionDays: number;
    mode: ClickhouseRetentionMode;
    now?: number;
    dryRun?: boolean;
  },
): Promise<ClickhouseRetentionResult> {
  const cutoff = cutoffDay(o.retentionDays, o.now ?? Date.now());
  const db = quoteIdent(o.database);
  try {
    const days = await activePartitions(client, o.database, 'sales_raw');
    const expired = expiredDays([...days.keys()], cutoff);
    const months = expiredMonths(
      [...(await activePartitions(client, o.database, 'sales_raw_ids')).keys()],
      cutoff,
    );
    if (!o.dryRun) {
      const verb = o.mode === 'drop' ? 'DROP' : 'DETACH';
      for (const p of expired)
        await client.command({ query: `ALTER TABLE ${db}.sales_raw ${verb} PARTITION ID '${p}'` });
      for (const m of months)
        await client.command({ query: `ALTER TABLE ${db}.sales_raw_ids DROP PARTITION ID '${m}'` });
    }
    return {
      cutoff: iso(cutoff),
      partitions: expired.map((p) => ({ partition: p, rows: days.get(p) ?? 0, action: o.mode })),
      idMonths: months,
    };
  } catch (err) {
    throw chError('ClickHouse retention failed', err);
  }
}
