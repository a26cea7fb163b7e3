/** count, distinct keys and exact sums of a sales_hourly in Postgres, as the shared suites compare them. */
import { pgQuery } from '../../../helpers/postgres.js';
import { toCounts } from '../../core/contract.suite.js';

export async function hourlyCounts(url: string, schema: string) {
  const [row] = await pgQuery<{ n: string; d: string; q: string | null; v: string | null }>(
    url,
    `SELECT count(*) n, count(DISTINCT (store_id, sku, window_start)) d, sum(quantity) q, sum(revenue_cents) v
       FROM "${schema}".sales_hourly`,
  ).catch(() => []);
  return toCounts(row);
}
