/** A hourly record Postgres refuses (CHECK constraint, SQLSTATE 23514) is dead-lettered; the rest stored once. */
import { aggregatesConfig } from '../../../../sinks/aggregates/config.js';
import { createAggMetrics } from '../../../../sinks/aggregates/metrics.js';
import { createAggTarget } from '../../../../sinks/aggregates/run.js';
import { Registry } from 'prom-client';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { pgQuery } from '../../../helpers/postgres.js';
import { hourlyCounts } from './hourly-counts.js';
import { REFUSED_QUANTITY, refusedAggregateSuite } from '../../aggregates/refused.suite.js';

const env = stackEnv();
const schema = uniqueName('refaggpg');

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
    await pgQuery(
      env.DATABASE_URL,
      `ALTER TABLE "${schema}".sales_hourly ADD CONSTRAINT refused_qty CHECK (quantity <> ${REFUSED_QUANTITY})`,
    );
  },
  counts: () => hourlyCounts(env.DATABASE_URL, schema),
  async teardown() {
    await pgQuery(env.DATABASE_URL, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  },
});
