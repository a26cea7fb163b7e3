import pg from 'pg';
import { PostgresSink } from '../../../sinks/postgres/sink.js';
import { resolveSinkConfig } from '../../../sinks/run.js';
import type { PostgresSinkConfig } from '../../../sinks/postgres/config.js';
import { stackEnv, uniqueName } from '../../helpers/env.js';
import { bareMetrics, sinkContractSuite } from '../sink-contract.suite.js';

const env = stackEnv();
const schema = uniqueName('sinkpg');

export async function pgCounts(url: string, schemaName: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ n: string; d: string; q: string | null; v: string | null }>(
      `SELECT count(*) n, count(DISTINCT event_id) d, sum(quantity) q, sum(quantity::numeric * unit_price_cents) v
         FROM "${schemaName}".sales_raw`,
    );
    const row = r.rows[0];
    return {
      count: Number(row?.n),
      distinct: Number(row?.d),
      quantity: Number(row?.q ?? 0),
      value: Number(row?.v ?? 0),
    };
  } finally {
    await client.end();
  }
}

sinkContractSuite({
  kind: 'postgres',
  targetOptions: () => ({ schema, databaseUrl: env.DATABASE_URL }),
  createSink(groupId) {
    const { target } = resolveSinkConfig('postgres', { schema, databaseUrl: env.DATABASE_URL });
    const { metrics, logger } = bareMetrics();
    return new PostgresSink(target as PostgresSinkConfig & { databaseUrl: string }, groupId, metrics, logger);
  },
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
