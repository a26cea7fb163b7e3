/** A hourly record Postgres refuses (CHECK constraint, SQLSTATE 23514) is dead-lettered; the rest stored once. */
import pg from 'pg';
import { aggregatesConfig } from '../../../../sinks/aggregates/config.js';
import { createAggMetrics } from '../../../../sinks/aggregates/metrics.js';
import { createAggTarget } from '../../../../sinks/aggregates/run.js';
import { Registry } from 'prom-client';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { toCounts } from '../../core/contract.suite.js';
import { REFUSED_QUANTITY, refusedAggregateSuite } from '../../aggregates/refused.suite.js';

const env = stackEnv();
const schema = uniqueName('refaggpg');

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

refusedAggregateSuite({
  target: 'postgres',
  options: () => ({ schema, databaseUrl: env.DATABASE_URL }),
  serverCode: '23514',
  async setup() {
    // The tables as `pg migrate` makes them, then the refusing constraint.
    const target = createAggTarget(
      aggregatesConfig({ target: 'postgres', schema, databaseUrl: env.DATABASE_URL, migrate: true }),
      createAggMetrics(new Registry()),
    );
    await target.open();
    await target.close();
    await query(
      `ALTER TABLE "${schema}".sales_hourly ADD CONSTRAINT refused_qty CHECK (quantity <> ${REFUSED_QUANTITY})`,
    );
  },
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
