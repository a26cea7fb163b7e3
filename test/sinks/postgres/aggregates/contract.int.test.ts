/** The shared sink contract suite for the aggregate tables in Postgres (`sales_hourly` counted). */
import pg from 'pg';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { aggregateSink } from '../../core/contract-targets.js';
import { sinkContractSuite, toCounts } from '../../core/contract.suite.js';

const env = stackEnv();
const schema = uniqueName('aggpg');

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

sinkContractSuite({
  ...aggregateSink('postgres', () => ({ schema, databaseUrl: env.DATABASE_URL })),
  async counts() {
    const [row] = await query<{ n: string; d: string; q: string | null; v: string | null }>(
      `SELECT count(*) n, count(DISTINCT (store_id, sku, window_start)) d, sum(quantity) q, sum(revenue_cents) v
         FROM "${schema}".sales_hourly`,
    ).catch(() => []);
    return toCounts(row);
  },
  async teardown() {
    await query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  },
});
