/**
 * Everything the ClickHouse side of the pipeline needs, created in one go by the owner:
 * `sales_raw` with its id tables, then the aggregate tables, in the configured databases, each
 * with the pipeline's merge settings (raw/ddl.ts createRawTables, aggregates/ddl.ts createAggTables).
 * `retail-etl clickhouse migrate` and `make up` run it; the sinks' users could not (they hold no
 * CREATE right: stack/clickhouse/access.ts, stack/assets/clickhouse/users.xml).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { resolveConfig } from '../../lib/config/index.js';
import { aggregatesConfig } from '../aggregates/config.js';
import { createAggTables } from './aggregates/ddl.js';
import { quoteIdent } from './ident.js';
import { CLICKHOUSE_SINK_SCHEMA } from './raw/config.js';
import { createRawTables } from './raw/ddl.js';

export interface ClickhouseMigrateResult {
  database: string;
  aggregatesDatabase: string;
}

/** Create what is missing (idempotent) with the configuration of `env`; `database` overrides both. */
export async function migrateClickhouse(
  client: ClickHouseClient,
  env: NodeJS.ProcessEnv,
  database?: string,
): Promise<ClickhouseMigrateResult> {
  const raw = resolveConfig('sink-clickhouse', CLICKHOUSE_SINK_SCHEMA, { database }, env);
  const agg = aggregatesConfig({ target: 'clickhouse', database }, env);
  for (const db of new Set([raw.database, agg.database]))
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdent(db)}` });
  await createRawTables(client, raw.database, raw.dedupWindow);
  await createAggTables(client, agg.database, agg.dedupWindow);
  return { database: raw.database, aggregatesDatabase: agg.database };
}
