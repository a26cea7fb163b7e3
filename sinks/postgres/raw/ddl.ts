/**
 * `retail-etl pg migrate` (also run by `make up`): schema, the day-partitioned `sales_raw` with
 * its DEFAULT guard partition and indexes, the table of stored event ids (`sales_raw_ids`), the
 * sink's offsets table, three SECURITY DEFINER functions (create a day partition, apply retention,
 * read the first writes of known ids) and the grants of the two runtime roles.
 * It runs as the migrator (DATABASE_URL: the role owning the database, with CREATEROLE to create
 * roles that do not exist yet); the runtime roles log in as themselves and are never members of
 * it. sinks/postgres/migrate.ts makes concurrent runs safe. Identifiers are validated, then quoted.
 */
import type pg from 'pg';
import { ident } from '../ident.js';
import { createRolesSql, runMigration } from '../migrate.js';
import { offsetsTableSql } from '../offsets.js';
import { POSTGRES_SINK_SCHEMA } from './config.js';

export interface MigrateOptions {
  schema: string;
  sinkRole: string;
  readerRole: string;
  /** Days the retention function never removes, today included (default: the config's). */
  retentionMinDays?: number;
}

/** SQLSTATE of a retention call that would remove a partition younger than the minimum age. */
export const RETENTION_REFUSED = '42501';

export function migrationSql(o: MigrateOptions): string[] {
  const s = ident(o.schema, 'schema');
  const sink = ident(o.sinkRole, 'sink role');
  const reader = ident(o.readerRole, 'reader role');
  const lit = `'${o.schema}'`;
  const minDays = o.retentionMinDays ?? POSTGRES_SINK_SCHEMA.retentionMinDays.default;
  if (!Number.isInteger(minDays) || minDays < 1)
    throw new Error(`retentionMinDays must be ≥ 1, got ${minDays}`);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.sales_raw (
       event_id uuid NOT NULL,
       event_time timestamptz NOT NULL,
       store_id text NOT NULL,
       sku text NOT NULL,
       quantity integer NOT NULL,
       unit_price_cents bigint NOT NULL,
       currency text NOT NULL,
       channel text NOT NULL,
       payment_type text NOT NULL,
       customer_id text,
       basket_id text NOT NULL,
       kafka_partition integer NOT NULL,
       kafka_offset bigint NOT NULL,
       kafka_timestamp timestamptz NOT NULL,
       ingested_at timestamptz NOT NULL DEFAULT now()
     ) PARTITION BY RANGE (event_time)`,
    `CREATE TABLE IF NOT EXISTS ${s}.sales_raw_default PARTITION OF ${s}.sales_raw DEFAULT`,
    `CREATE INDEX IF NOT EXISTS sales_raw_store_time_idx ON ${s}.sales_raw (store_id, event_time)`,
    `CREATE INDEX IF NOT EXISTS sales_raw_event_id_idx ON ${s}.sales_raw (event_id)`,
    offsetsTableSql(`${s}.sink_offsets`),
    // One row per event_id ever stored (sinks/postgres/raw/dedup.ts): sales_raw is partitioned by
    // event time, so it cannot have a unique index on event_id alone, and a conflicting duplicate
    // may carry another event time. `day` locates the first write's partition and is what
    // retention prunes by. Created once, filled from the rows already stored.
    `DO $do$ BEGIN
       IF to_regclass(${lit} || '.sales_raw_ids') IS NULL THEN
         CREATE TABLE ${s}.sales_raw_ids (event_id uuid PRIMARY KEY, day date NOT NULL);
         CREATE INDEX sales_raw_ids_day_idx ON ${s}.sales_raw_ids (day);
         INSERT INTO ${s}.sales_raw_ids (event_id, day)
           SELECT DISTINCT ON (event_id) event_id, (event_time AT TIME ZONE 'UTC')::date
             FROM ${s}.sales_raw ORDER BY event_id, kafka_partition, kafka_offset;
       END IF;
     END $do$`,
    // A day partition is created detached, filled with any guard rows of its day, then attached:
    // ATTACH locks the parent far more lightly than CREATE … PARTITION OF, and a DEFAULT partition
    // holding rows of the new range would otherwise make the creation fail.
    `CREATE OR REPLACE FUNCTION ${s}.sales_raw_ensure_partition(day date) RETURNS boolean
     LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
     DECLARE
       part text := 'sales_raw_p' || to_char(day, 'YYYYMMDD');
       lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
       hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
     BEGIN
       PERFORM pg_advisory_xact_lock(hashtext(${lit} || '.sales_raw partitions'));
       IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = ${lit} AND c.relname = part) THEN
         RETURN false;
       END IF;
       EXECUTE format('CREATE TABLE %I.%I (LIKE %I.sales_raw INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', ${lit}, part, ${lit});
       EXECUTE format('WITH moved AS (DELETE FROM %I.sales_raw_default WHERE event_time >= $1 AND event_time < $2 RETURNING *) INSERT INTO %I.%I SELECT * FROM moved', ${lit}, ${lit}, part) USING lo, hi;
       EXECUTE format('ALTER TABLE %I.sales_raw ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)', ${lit}, ${lit}, part, lo, hi);
       RETURN true;
     END $fn$`,
    `CREATE OR REPLACE FUNCTION ${s}.sales_raw_retention(cutoff date, mode text)
     RETURNS TABLE (partition_name text, action text)
     LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
     DECLARE r record;
     BEGIN
       IF mode NOT IN ('drop', 'detach') THEN RAISE EXCEPTION 'mode must be drop or detach, got %', mode; END IF;
       -- The floor is fixed by the migrator: whoever may call this cannot remove recent days.
       IF cutoff IS NULL OR cutoff > (now() AT TIME ZONE 'UTC')::date - ${minDays - 1} THEN
         RAISE EXCEPTION 'retention refused: cutoff % would remove partitions younger than ${minDays} day(s)', cutoff
           USING ERRCODE = '${RETENTION_REFUSED}',
                 HINT = 'the minimum is SINK_POSTGRES_RETENTION_MIN_DAYS when pg migrate ran';
       END IF;
       PERFORM pg_advisory_xact_lock(hashtext(${lit} || '.sales_raw partitions'));
       FOR r IN
         SELECT c.relname FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid
           JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_namespace n ON n.oid = p.relnamespace
          WHERE n.nspname = ${lit} AND p.relname = 'sales_raw' AND c.relname ~ '^sales_raw_p[0-9]{8}$'
            AND to_date(substr(c.relname, 12), 'YYYYMMDD') < cutoff
          ORDER BY c.relname
       LOOP
         EXECUTE format('ALTER TABLE %I.sales_raw DETACH PARTITION %I.%I', ${lit}, ${lit}, r.relname);
         IF mode = 'drop' THEN EXECUTE format('DROP TABLE %I.%I', ${lit}, r.relname); END IF;
         partition_name := r.relname; action := mode; RETURN NEXT;
       END LOOP;
       -- The ids of expired days go with their rows: a re-send older than retention is stored again.
       EXECUTE format('DELETE FROM %I.sales_raw_ids WHERE day < $1', ${lit}) USING cutoff;
     END $fn$`,
    // The sink may not read sales_raw; it sees only the first writes of ids it already holds, to
    // compare a duplicate with (sinks/postgres/raw/dedup.ts).
    `CREATE OR REPLACE FUNCTION ${s}.sales_raw_first_writes(ids uuid[])
     RETURNS TABLE (event_id uuid, event_time_ms bigint, store_id text, sku text, quantity integer,
                    unit_price_cents bigint, currency text, channel text, payment_type text,
                    customer_id text, basket_id text, kafka_partition integer, kafka_offset bigint)
     LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
       SELECT DISTINCT ON (r.event_id) r.event_id, (extract(epoch FROM r.event_time) * 1000)::bigint,
              r.store_id, r.sku, r.quantity, r.unit_price_cents, r.currency, r.channel, r.payment_type,
              r.customer_id, r.basket_id, r.kafka_partition, r.kafka_offset
         FROM ${s}.sales_raw_ids i
         JOIN ${s}.sales_raw r ON r.event_id = i.event_id
          AND r.event_time >= i.day::timestamp AT TIME ZONE 'UTC'
          AND r.event_time < (i.day + 1)::timestamp AT TIME ZONE 'UTC'
        WHERE i.event_id = ANY (ids)
        ORDER BY r.event_id, r.ingested_at, r.kafka_partition, r.kafka_offset
     $fn$`,
    createRolesSql(o.sinkRole, o.readerRole),
    `REVOKE ALL ON ${s}.sales_raw, ${s}.sales_raw_default, ${s}.sink_offsets, ${s}.sales_raw_ids FROM PUBLIC`,
    `GRANT USAGE ON SCHEMA ${s} TO ${sink}, ${reader}`,
    `GRANT INSERT ON ${s}.sales_raw TO ${sink}`,
    // SELECT for INSERT … ON CONFLICT DO NOTHING RETURNING event_id.
    `GRANT SELECT, INSERT ON ${s}.sales_raw_ids TO ${sink}`,
    `GRANT SELECT, INSERT, UPDATE ON ${s}.sink_offsets TO ${sink}`,
    `REVOKE ALL ON FUNCTION ${s}.sales_raw_ensure_partition(date), ${s}.sales_raw_retention(date, text), ${s}.sales_raw_first_writes(uuid[]) FROM PUBLIC`,
    `GRANT EXECUTE ON FUNCTION ${s}.sales_raw_ensure_partition(date), ${s}.sales_raw_retention(date, text), ${s}.sales_raw_first_writes(uuid[]) TO ${sink}`,
    `GRANT SELECT ON ${s}.sales_raw, ${s}.sales_raw_default, ${s}.sink_offsets TO ${reader}`,
    // Day partitions are created later as the owner (the SECURITY DEFINER function): readers see them too.
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT SELECT ON TABLES TO ${reader}`,
  ];
}

export async function migrate(client: pg.ClientBase, o: MigrateOptions): Promise<void> {
  await runMigration(client, migrationSql(o), 'pg migrate');
}
