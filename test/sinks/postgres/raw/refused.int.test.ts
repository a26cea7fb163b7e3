import { PostgresSink } from '../../../../sinks/postgres/raw/sink.js';
import type { PostgresSinkConfig } from '../../../../sinks/postgres/raw/config.js';
import { resolveSinkConfig } from '../../../../sinks/raw/run.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { pgQuery } from '../../../helpers/postgres.js';
import { bareMetrics } from '../../core/contract.suite.js';
import { REFUSED_QUANTITY, refusedRecordSuite } from '../../raw/refused.suite.js';
import { pgCounts } from './pg-counts.js';

const env = stackEnv();
const schema = uniqueName('refusedpg');

async function sql(query: string): Promise<void> {
  await pgQuery(env.DATABASE_URL, query);
}

refusedRecordSuite({
  kind: 'postgres',
  options: () => ({ schema, databaseUrl: env.DATABASE_URL }),
  env: () => ({ SINK_POSTGRES_SCHEMA: schema, DATABASE_URL: env.DATABASE_URL }),
  serverCode: '23514',
  async setup() {
    const { target } = resolveSinkConfig('postgres', { schema, databaseUrl: env.DATABASE_URL });
    const { metrics, logger } = bareMetrics();
    const sink = new PostgresSink(
      target as PostgresSinkConfig & { databaseUrl: string },
      'setup',
      metrics,
      logger,
    );
    await sink.open();
    await sink.close();
    await sql(
      `ALTER TABLE "${schema}".sales_raw ADD CONSTRAINT refused_qty CHECK (quantity <> ${REFUSED_QUANTITY})`,
    );
  },
  counts: () => pgCounts(env.DATABASE_URL, schema),
  teardown: () => sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`),
});
