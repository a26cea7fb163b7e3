import pg from 'pg';
import { PostgresSink } from '../../../../sinks/postgres/raw/sink.js';
import { resolveSinkConfig } from '../../../../sinks/raw/run.js';
import type { PostgresSinkConfig } from '../../../../sinks/postgres/raw/config.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { bareMetrics, sinkContractSuite } from '../../core/contract.suite.js';
import { rawSink } from '../../core/contract-targets.js';
import { pgCounts } from './pg-counts.js';

const env = stackEnv();
const schema = uniqueName('sinkpg');

sinkContractSuite({
  ...rawSink('postgres', () => ({ schema, databaseUrl: env.DATABASE_URL })),
  counts: () => pgCounts(env.DATABASE_URL, schema),
  async setup() {
    const { target } = resolveSinkConfig('postgres', { schema, databaseUrl: env.DATABASE_URL });
    const sink = new PostgresSink(
      target as PostgresSinkConfig & { databaseUrl: string },
      'setup',
      bareMetrics().metrics,
      bareMetrics().logger,
    );
    await sink.open();
    await sink.close();
  },
  async teardown() {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  },
});
