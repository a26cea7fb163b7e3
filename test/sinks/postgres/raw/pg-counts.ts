/** count, distinct event ids and exact sums of a sales_raw in Postgres. */
import pg from 'pg';

export async function pgCounts(url: string, schemaName: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ n: string; d: string; q: string | null; v: string | null }>(
      `SELECT count(*) n, count(DISTINCT event_id) d, sum(quantity) q, sum(quantity::numeric * unit_price_cents) v
         FROM "${schemaName}".sales_raw`,
    );
    const row = r.rows[0];
    return {
      count: Number(row?.n),
      distinct: Number(row?.d),
      quantity: Number(row?.q ?? 0),
      value: Number(row?.v ?? 0),
    };
  } finally {
    await client.end();
  }
}
