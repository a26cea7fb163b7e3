/** The shared aggregate rebalance and zombie test (test/sinks/aggregates/rebalance.suite.ts) on the Postgres target. */
import pg from 'pg';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { postgresTables } from '../../aggregates/expected.js';
import { aggregateRebalanceSuite } from '../../aggregates/rebalance.suite.js';

const env = stackEnv();
const schema = uniqueName('rebaggpg');
let db: pg.Client | undefined;

aggregateRebalanceSuite({
  target: 'postgres',
  env: () => ({ SINK_AGGREGATES_SCHEMA: schema }),
  async setup() {
    db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
  },
  async tables(range) {
    if (!db) throw new Error('setup() not run');
    return postgresTables(db, schema, range);
  },
  async teardown() {
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db?.end();
  },
  zombieKeptOut: 'fenced',
});
