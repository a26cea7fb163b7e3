/**
 * What a database holds, measured the same way at backup (inside the dump's snapshot) and after a
 * restore: per table the rows, the exact sum of every integer/numeric column, the revenue
 * (quantity × unit price) where a table has both, and the distinct event ids; and every sink's
 * stored Kafka position (any table with the offsets columns of sinks/postgres/offsets.ts).
 */
import type pg from 'pg';
import type { StoredOffset, TableMeasure } from './manifest.js';

const SYSTEM_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;
const SUMMED_TYPES = ['smallint', 'integer', 'bigint', 'numeric'];
const OFFSET_COLUMNS = ['group_id', 'topic', 'partition', 'next_offset'];

/** Any catalog name, quoted (names read from the catalog may hold capitals or quotes). */
const q = (name: string) => `"${name.replaceAll('"', '""')}"`;

interface Column {
  name: string;
  type: string;
}

/** The schemas to measure: `schemas` when given, else every non-system schema holding a table. */
export async function schemasToMeasure(client: pg.ClientBase, schemas: readonly string[]): Promise<string[]> {
  if (schemas.length > 0) return [...schemas].sort();
  const r = await client.query<{ nspname: string }>(
    `SELECT DISTINCT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND ${SYSTEM_SCHEMAS} ORDER BY 1`,
  );
  return r.rows.map((row) => row.nspname);
}

/** Tables of `schemas` (partitions excluded: their parent counts them) with their columns. */
async function tables(
  client: pg.ClientBase,
  schemas: readonly string[],
): Promise<{ schema: string; table: string; columns: Column[] }[]> {
  const r = await client.query<{ schema: string; table: string; column: string; type: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, format_type(a.atttypid, NULL) AS type
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1)
      ORDER BY n.nspname, c.relname, a.attnum`,
    [schemas],
  );
  const out = new Map<string, { schema: string; table: string; columns: Column[] }>();
  for (const row of r.rows) {
    const key = `${row.schema}.${row.table}`;
    let t = out.get(key);
    if (!t) out.set(key, (t = { schema: row.schema, table: row.table, columns: [] }));
    t.columns.push({ name: row.column, type: row.type });
  }
  return [...out.values()];
}

/** Rows, sums and distinct ids of every table of `schemas`, one scan per table. */
export async function measureTables(
  client: pg.ClientBase,
  schemas: readonly string[],
): Promise<TableMeasure[]> {
  const out: TableMeasure[] = [];
  for (const t of await tables(client, schemas)) {
    const names = new Set(t.columns.map((c) => c.name));
    const exprs: [kind: 'sums' | 'distinct', name: string, sql: string][] = [];
    for (const c of t.columns)
      if (SUMMED_TYPES.includes(c.type)) exprs.push(['sums', c.name, `sum(${q(c.name)})`]);
    if (names.has('quantity') && names.has('unit_price_cents'))
      exprs.push(['sums', 'revenue_cents', 'sum(quantity::numeric * unit_price_cents)']);
    if (names.has('event_id')) exprs.push(['distinct', 'event_id', 'count(DISTINCT event_id)']);
    const select = [
      'count(*)::text AS rows',
      ...exprs.map(([, , sql], i) => `coalesce(${sql}, 0)::text AS m${i}`),
    ];
    const r = await client.query<Record<string, string>>(
      `SELECT ${select.join(', ')} FROM ${q(t.schema)}.${q(t.table)}`,
    );
    const row = r.rows[0] ?? {};
    const m: TableMeasure = {
      schema: t.schema,
      table: t.table,
      rows: row['rows'] ?? '0',
      sums: {},
      distinct: {},
    };
    exprs.forEach(([kind, name], i) => (m[kind][name] = row[`m${i}`] ?? '0'));
    out.push(m);
  }
  return out;
}

/** Every stored sink position in `schemas`: the rows of each table shaped like a sink's offsets table. */
export async function readStoredOffsets(
  client: pg.ClientBase,
  schemas: readonly string[],
): Promise<StoredOffset[]> {
  const out: StoredOffset[] = [];
  for (const t of await tables(client, schemas)) {
    const names = t.columns.map((c) => c.name);
    if (!OFFSET_COLUMNS.every((c) => names.includes(c))) continue;
    const r = await client.query<{ group_id: string; topic: string; partition: number; next_offset: string }>(
      `SELECT group_id, topic, partition, next_offset::text AS next_offset
         FROM ${q(t.schema)}.${q(t.table)} ORDER BY group_id, topic, partition`,
    );
    for (const row of r.rows)
      out.push({
        schema: t.schema,
        table: t.table,
        groupId: row.group_id,
        topic: row.topic,
        partition: row.partition,
        nextOffset: row.next_offset,
      });
  }
  return out;
}
