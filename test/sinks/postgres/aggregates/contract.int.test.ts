/** The shared sink contract suite for the aggregate tables in Postgres (`sales_hourly` counted). */
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { pgQuery } from '../../../helpers/postgres.js';
import { hourlyCounts } from './hourly-counts.js';
import { aggregateSink } from '../../core/contract-targets.js';
import { sinkContractSuite } from '../../core/contract.suite.js';

const env = stackEnv();
const schema = uniqueName('aggpg');

sinkContractSuite({
  ...aggregateSink('postgres', () => ({ schema, databaseUrl: env.DATABASE_URL })),
  counts: () => hourlyCounts(env.DATABASE_URL, schema),
  async teardown() {
    await pgQuery(env.DATABASE_URL, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  },
});
