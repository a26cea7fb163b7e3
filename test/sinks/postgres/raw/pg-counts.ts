/** count, distinct event ids and exact sums of a sales_raw in Postgres. */
import { pgQuery } from '../../../helpers/postgres.js';

export async function pgCounts(url: string, schemaName: string) {
  const [row] = await pgQuery<{ n: string; d: string; q: string | null; v: string | null }>(
    url,
    `SELECT count(*) n, count(DISTINCT event_id) d, sum(quantity) q, sum(quantity::numeric * unit_price_cents) v
       FROM "${schemaName}".sales_raw`,
  );
  return {
    count: Number(row?.n),
    distinct: Number(row?.d),
    quantity: Number(row?.q ?? 0),
    value: Number(row?.v ?? 0),
  };
}
