/**
 * Daily partitions of `sales_raw`: which exist, creating the window [today − (retention − 1),
 * today + ahead] and retention. Days are UTC. Called by the sink's maintenance job (as the sink
 * role, through the SECURITY DEFINER functions) and by `retail-etl pg retention`.
 */
import type pg from 'pg';
import { ident } from '../ident.js';
import { pgError } from '../errors.js';

export const DAY_MS = 86_400_000;

export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);
export const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** UTC days (epoch-day numbers) that have a partition. */
export async function partitionDays(client: pg.ClientBase, schema: string): Promise<Set<number>> {
  try {
    const res = await client.query<{ relname: string }>(
      `SELECT c.relname FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = $1 AND p.relname = 'sales_raw' AND c.relname ~ '^sales_raw_p[0-9]{8}$'`,
      [schema],
    );
    const days = new Set<number>();
    for (const { relname } of res.rows) {
      const d = relname.slice('sales_raw_p'.length);
      days.add(dayOf(Date.UTC(Number(d.slice(0, 4)), Number(d.slice(4, 6)) - 1, Number(d.slice(6, 8)))));
    }
    return days;
  } catch (err) {
    throw pgError('could not list the partitions of sales_raw', err);
  }
}

export interface WindowOptions {
  schema: string;
  retentionDays: number;
  aheadDays: number;
  now?: number;
}

/** Create the missing partitions of the window; returns the days created. */
export async function ensurePartitions(client: pg.ClientBase, o: WindowOptions): Promise<string[]> {
  const today = dayOf(o.now ?? Date.now());
  const existing = await partitionDays(client, o.schema);
  const created: string[] = [];
  for (let d = today - (o.retentionDays - 1); d <= today + o.aheadDays; d++) {
    if (existing.has(d)) continue;
    try {
      const res = await client.query<{ created: boolean }>(
        `SELECT ${ident(o.schema)}.sales_raw_ensure_partition($1::date) AS created`,
        [isoDay(d)],
      );
      if (res.rows[0]?.created) created.push(isoDay(d));
    } catch (err) {
      throw pgError(`could not create the partition for ${isoDay(d)}`, err);
    }
  }
  return created;
}

export interface RetentionResult {
  cutoff: string;
  partitions: { name: string; action: 'drop' | 'detach' }[];
}

/** Detach or drop the partitions of days before today − (retentionDays − 1). */
export async function applyRetention(
  client: pg.ClientBase,
  o: { schema: string; retentionDays: number; mode: 'drop' | 'detach'; now?: number; dryRun?: boolean },
): Promise<RetentionResult> {
  const cutoffDay = dayOf(o.now ?? Date.now()) - (o.retentionDays - 1);
  const cutoff = isoDay(cutoffDay);
  if (o.dryRun) {
    const days = [...(await partitionDays(client, o.schema))].filter((d) => d < cutoffDay).sort();
    return {
      cutoff,
      partitions: days.map((d) => ({ name: `sales_raw_p${isoDay(d).replace(/-/g, '')}`, action: o.mode })),
    };
  }
  try {
    const res = await client.query<{ partition_name: string; action: 'drop' | 'detach' }>(
      `SELECT partition_name, action FROM ${ident(o.schema)}.sales_raw_retention($1::date, $2)`,
      [cutoff, o.mode],
    );
    return { cutoff, partitions: res.rows.map((r) => ({ name: r.partition_name, action: r.action })) };
  } catch (err) {
    throw pgError('retention failed', err);
  }
}
