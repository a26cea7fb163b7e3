/**
 * The right to erasure for one customer: every raw row with their `customer_id` is deleted from
 * the stores this pipeline writes — Postgres `sales_raw` (every day partition, detached ones
 * included: they are tables of their own once detached), the Kafka Connect JDBC table when it
 * exists, and ClickHouse `sales_raw` (a lightweight DELETE). Aggregates hold no customer_id.
 * Kafka topics cannot delete one record: they drop it at their retention (docs/security.md).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type pg from 'pg';
import { quoteIdent } from './clickhouse/ident.js';
import { ident } from './postgres/ident.js';

export interface ErasedTable {
  table: string;
  rows: number;
}

/** The raw tables of `schema` that may hold the customer: the partitioned table, detached days, Connect's. */
async function rawTables(client: pg.ClientBase, schema: string, connectTable: string): Promise<string[]> {
  const r = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND (c.relname = 'sales_raw' OR c.relname ~ '^sales_raw_p[0-9]{8}$' OR c.relname = $2)
      ORDER BY c.relname`,
    [schema, connectTable],
  );
  return r.rows.map((row) => row.relname);
}

/** Delete the customer's rows in one transaction; `dryRun` only counts them. */
export async function erasePostgres(
  client: pg.ClientBase,
  o: { schema: string; customerId: string; connectTable: string; dryRun: boolean },
): Promise<ErasedTable[]> {
  const s = ident(o.schema, 'schema');
  const out: ErasedTable[] = [];
  await client.query('BEGIN');
  try {
    for (const table of await rawTables(client, o.schema, o.connectTable)) {
      const t = `${s}.${ident(table, 'table')}`;
      const r = o.dryRun
        ? await client.query<{ n: string }>(`SELECT count(*) n FROM ${t} WHERE customer_id = $1`, [
            o.customerId,
          ])
        : await client.query(`DELETE FROM ${t} WHERE customer_id = $1`, [o.customerId]);
      out.push({
        table: `${o.schema}.${table}`,
        rows: o.dryRun ? Number(r.rows[0]?.n ?? 0) : (r.rowCount ?? 0),
      });
    }
    await client.query(o.dryRun ? 'ROLLBACK' : 'COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return out;
}

/** Count, then (unless `dryRun`) delete the customer's rows of ClickHouse `database.sales_raw`. */
export async function eraseClickhouse(
  client: ClickHouseClient,
  o: { database: string; customerId: string; dryRun: boolean },
): Promise<ErasedTable> {
  const table = `${quoteIdent(o.database)}.sales_raw`;
  const params = { query_params: { c: o.customerId } };
  const count = async () => {
    const r = await client.query({
      query: `SELECT count() AS n FROM ${table} WHERE customer_id = {c:String}`,
      format: 'JSONEachRow',
      ...params,
    });
    const rows = await r.json<{ n: string }>();
    return Number(rows[0]?.n ?? 0);
  };
  const rows = await count();
  if (!o.dryRun && rows > 0) {
    // Synchronous: the rows are gone from every query when the call returns.
    await client.command({
      query: `DELETE FROM ${table} WHERE customer_id = {c:String}`,
      clickhouse_settings: { lightweight_deletes_sync: '2' },
      ...params,
    });
  }
  return { table: `clickhouse ${o.database}.sales_raw`, rows };
}
