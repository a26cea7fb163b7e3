/**
 * The aggregate tables in Postgres (DESIGN.md contract names and columns), their offsets table,
 * indexes for the query API's key queries, and grants: the sink role writes, the reader role
 * (`retail_reader`, the query API's login) only reads. Run by the migrator, like raw/ddl.ts. Idempotent; an advisory lock
 * makes concurrent starts safe. Identifiers are validated, then quoted (sinks/postgres/ident.ts).
 */
import type pg from 'pg';
import { ident } from '../ident.js';
import { createRolesSql, runMigration } from '../migrate.js';
import { offsetsTableSql } from '../offsets.js';

export interface AggMigrateOptions {
  schema: string;
  sinkRole: string;
  readerRole: string;
}

export const OFFSETS_TABLE = 'agg_sink_offsets';

export function aggMigrationSql(o: AggMigrateOptions): string[] {
  const s = ident(o.schema, 'schema');
  const sink = ident(o.sinkRole, 'sink role');
  const reader = ident(o.readerRole, 'reader role');
  const tables = `${s}.sales_hourly, ${s}.top_skus, ${s}.store_rolling_1h, ${s}.sales_anomalies, ${s}.${OFFSETS_TABLE}`;
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.sales_hourly (
       store_id text NOT NULL,
       sku text NOT NULL,
       window_start timestamptz NOT NULL,
       quantity bigint NOT NULL,
       revenue_cents bigint NOT NULL,
       returns integer NOT NULL,
       orders integer NOT NULL,
       final boolean NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (store_id, sku, window_start)
     )`,
    // "a store's hours of a day": the primary key leads with sku after store_id, so it cannot serve it.
    `CREATE INDEX IF NOT EXISTS sales_hourly_store_window_idx ON ${s}.sales_hourly (store_id, window_start)`,
    // Ties share a rank (SQL rank()), so the rank alone is not unique within an hour.
    `CREATE TABLE IF NOT EXISTS ${s}.top_skus (
       window_start timestamptz NOT NULL,
       rank integer NOT NULL,
       sku text NOT NULL,
       revenue_cents bigint NOT NULL,
       quantity bigint NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (window_start, rank, sku)
     )`,
    // "the latest window of a store at or before t" is a backward scan of this primary key.
    `CREATE TABLE IF NOT EXISTS ${s}.store_rolling_1h (
       store_id text NOT NULL,
       window_end timestamptz NOT NULL,
       quantity bigint NOT NULL,
       revenue_cents bigint NOT NULL,
       orders integer NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (store_id, window_end)
     )`,
    // Added with the anomalies operator (issue 15): created on the next migration of an existing database.
    `CREATE TABLE IF NOT EXISTS ${s}.sales_anomalies (
       store_id text NOT NULL,
       window_start timestamptz NOT NULL,
       metric text NOT NULL CHECK (metric IN ('revenue', 'units')),
       window_end timestamptz NOT NULL,
       observed double precision NOT NULL,
       expected double precision NOT NULL,
       mad double precision NOT NULL,
       score double precision NOT NULL,
       direction text NOT NULL CHECK (direction IN ('up', 'down')),
       history_points integer NOT NULL,
       threshold double precision NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (store_id, window_start, metric)
     )`,
    // "the latest anomalies", over all stores.
    `CREATE INDEX IF NOT EXISTS sales_anomalies_window_idx ON ${s}.sales_anomalies (window_start)`,
    offsetsTableSql(`${s}.${OFFSETS_TABLE}`),
    createRolesSql(o.sinkRole, o.readerRole),
    `REVOKE ALL ON ${tables} FROM PUBLIC`,
    `GRANT USAGE ON SCHEMA ${s} TO ${sink}, ${reader}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ${tables} TO ${sink}`,
    `GRANT SELECT ON ${tables} TO ${reader}`,
  ];
}

export async function aggMigrate(client: pg.ClientBase, o: AggMigrateOptions): Promise<void> {
  await runMigration(client, aggMigrationSql(o), 'aggregate tables migration');
}
