/**
 * Everything the Postgres side of the pipeline needs, migrated in one go as the migrator (the
 * owner): `sales_raw` with its functions, partitions of the window and grants, then the aggregate
 * tables and theirs. `retail-etl pg migrate` and `make up` run it; the long-running processes do
 * not (their roles could not: they hold no CREATE right).
 */
import type pg from 'pg';
import { resolveConfig } from '../../lib/config/index.js';
import { aggregatesConfig } from '../aggregates/config.js';
import { aggMigrate } from './aggregates/ddl.js';
import { POSTGRES_SINK_SCHEMA } from './raw/config.js';
import { migrate } from './raw/ddl.js';
import { ensurePartitions } from './raw/partitions.js';

export interface MigrateAllResult {
  schema: string;
  aggregatesSchema: string;
  sinkRole: string;
  aggregatesSinkRole: string;
  readerRole: string;
  partitionsCreated: string[];
}

/** Migrate with the configuration of `env`; `schema` (when given) holds both raw and aggregate tables. */
export async function migrateAll(
  client: pg.ClientBase,
  env: NodeJS.ProcessEnv,
  schema?: string,
): Promise<MigrateAllResult> {
  const raw = resolveConfig(
    'sink-postgres',
    POSTGRES_SINK_SCHEMA,
    { schema },
    { ...env, DATABASE_URL: 'unused' },
  );
  const agg = aggregatesConfig({ schema }, env);
  await migrate(client, raw);
  const partitionsCreated = await ensurePartitions(client, {
    schema: raw.schema,
    retentionDays: raw.retentionDays,
    aheadDays: raw.partitionsAheadDays,
  });
  await aggMigrate(client, { schema: agg.schema, sinkRole: agg.sinkRole, readerRole: agg.readerRole });
  return {
    schema: raw.schema,
    aggregatesSchema: agg.schema,
    sinkRole: raw.sinkRole,
    aggregatesSinkRole: agg.sinkRole,
    readerRole: raw.readerRole,
    partitionsCreated,
  };
}
