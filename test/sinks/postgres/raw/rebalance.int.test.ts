/** The shared rebalance and zombie test (test/sinks/raw/rebalance.suite.ts) on the Postgres raw sink. */
import pg from 'pg';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { rebalanceSuite } from '../../raw/rebalance.suite.js';
import { pgCounts } from './pg-counts.js';

const env = stackEnv();
const schema = uniqueName('rebalancepg');

rebalanceSuite({
  kind: 'postgres',
  envPrefix: 'SINK_POSTGRES_',
  env: () => ({ SINK_POSTGRES_SCHEMA: schema }),
  setup: async () => undefined,
  counts: () => pgCounts(env.DATABASE_URL, schema),
  async teardown() {
    const c = new pg.Client({ connectionString: env.DATABASE_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  },
  zombieKeptOut: 'fenced',
});
