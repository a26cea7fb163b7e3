/**
 * ClickHouse's stores of the chaos pipeline, copied into a Postgres schema of their own
 * (`<schema>_ch`) so that they are reconciled by the very SQL that checks the Postgres stores
 * (reconcile.ts, aggregate-recompute.ts) — one definition of "right", and a comparison of millions
 * of rows that stays inside one database. What is copied:
 * - `sales_raw`: every row as stored (no dedup on the way: a row stored twice arrives twice), with
 *   the columns the checks read;
 * - the aggregate tables as a reader sees them: `FINAL`, the latest record of each key (the
 *   ReplacingMergeTree's versions and the sink's tombstones applied).
 * The rows stream from ClickHouse's TabSeparated output straight into `COPY … FROM STDIN` (both
 * escape tabs, newlines and backslashes the same way, and write NULL as \N); times travel with an
 * explicit +00 so the session's time zone cannot move them. ClickHouse's own count, distinct ids
 * and sum of amounts are taken on the server too, and a copy that does not match them fails.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { quoteIdent } from '../../../sinks/clickhouse/ident.js';

/** ClickHouse's DateTime64 as text Postgres reads as that instant whatever its TimeZone. */
const ts = (column: string) => `concat(toString(${column}), '+00')`;

interface MirrorTable {
  name: string;
  /** Postgres columns (name and type), in copy order. */
  columns: [string, string][];
  /** The ClickHouse expressions, in the same order. */
  select: string[];
  final: boolean;
}

const TABLES: MirrorTable[] = [
  {
    name: 'sales_raw',
    columns: [
      ['event_id', 'uuid'],
      ['event_time', 'timestamptz'],
      ['store_id', 'text'],
      ['sku', 'text'],
      ['quantity', 'int'],
      ['unit_price_cents', 'bigint'],
      ['basket_id', 'text'],
      ['kafka_partition', 'int'],
      ['kafka_offset', 'bigint'],
    ],
    select: [
      'event_id',
      ts('event_time'),
      'store_id',
      'sku',
      'quantity',
      'unit_price_cents',
      'basket_id',
      'kafka_partition',
      'kafka_offset',
    ],
    final: false,
  },
  {
    name: 'sales_hourly',
    columns: [
      ['window_start', 'timestamptz'],
      ['store_id', 'text'],
      ['sku', 'text'],
      ['quantity', 'bigint'],
      ['revenue_cents', 'bigint'],
      ['returns', 'bigint'],
      ['orders', 'bigint'],
    ],
    select: [ts('window_start'), 'store_id', 'sku', 'quantity', 'revenue_cents', 'returns', 'orders'],
    final: true,
  },
  {
    name: 'top_skus',
    columns: [
      ['window_start', 'timestamptz'],
      ['rank', 'int'],
      ['sku', 'text'],
      ['revenue_cents', 'bigint'],
      ['quantity', 'bigint'],
    ],
    select: [ts('window_start'), 'rank', 'sku', 'revenue_cents', 'quantity'],
    final: true,
  },
  {
    name: 'store_rolling_1h',
    columns: [
      ['store_id', 'text'],
      ['window_end', 'timestamptz'],
      ['quantity', 'bigint'],
      ['revenue_cents', 'bigint'],
      ['orders', 'bigint'],
    ],
    select: ['store_id', ts('window_end'), 'quantity', 'revenue_cents', 'orders'],
    final: true,
  },
];

/** What ClickHouse itself says of its sales_raw (the copy is checked against it). */
export interface ClickhouseRawTotals {
  rows: number;
  distinctIds: number;
  amountCents: number;
}

export const mirrorSchemaOf = (schema: string) => `${schema}_ch`;

async function totals(ch: ClickHouseClient, database: string): Promise<ClickhouseRawTotals> {
  const rs = await ch.query({
    query: `SELECT count() AS rows, uniqExact(event_id) AS ids,
                   toString(sum(toInt64(quantity) * unit_price_cents)) AS amount
              FROM ${quoteIdent(database)}.sales_raw`,
    format: 'JSONEachRow',
  });
  const row = (await rs.json<{ rows: string | number; ids: string | number; amount: string }>())[0];
  return {
    rows: Number(row?.rows ?? 0),
    distinctIds: Number(row?.ids ?? 0),
    amountCents: Number(row?.amount ?? 0),
  };
}

/**
 * Copy `database`'s sales_raw and aggregate tables from ClickHouse into Postgres schema
 * `mirrorSchemaOf(schema)` (created afresh; the caller drops it). Returns ClickHouse's totals.
 */
export async function mirrorClickhouse(
  ch: ClickHouseClient,
  db: pg.Client,
  database: string,
  schema: string,
): Promise<ClickhouseRawTotals> {
  const target = `"${mirrorSchemaOf(schema)}"`;
  await db.query(`DROP SCHEMA IF EXISTS ${target} CASCADE`);
  await db.query(`CREATE SCHEMA ${target}`);
  for (const t of TABLES) {
    await db.query(
      `CREATE TABLE ${target}.${t.name} (${t.columns.map(([n, type]) => `${n} ${type}`).join(', ')})`,
    );
    const rs = await ch.query({
      query: `SELECT ${t.select.join(', ')} FROM ${quoteIdent(database)}.${t.name}${t.final ? ' FINAL' : ''}`,
      format: 'TabSeparated',
    });
    async function* lines(): AsyncGenerator<string> {
      for await (const rows of rs.stream()) yield rows.map((r) => `${r.text}\n`).join('');
    }
    await pipeline(
      Readable.from(lines()),
      db.query(copyFrom(`COPY ${target}.${t.name} (${t.columns.map(([n]) => n).join(', ')}) FROM STDIN`)),
    );
  }
  await db.query(`CREATE INDEX ON ${target}.sales_raw (kafka_partition, kafka_offset)`);
  await db.query(`CREATE INDEX ON ${target}.sales_raw (event_id)`);
  await db.query(`ANALYZE ${target}.sales_raw`);
  const server = await totals(ch, database);
  const copied = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${target}.sales_raw`);
  if (Number(copied.rows[0]?.n ?? 0) !== server.rows)
    throw new Error(
      `copying ClickHouse's sales_raw into Postgres: ${copied.rows[0]?.n} rows arrived of ${server.rows}`,
    );
  return server;
}
