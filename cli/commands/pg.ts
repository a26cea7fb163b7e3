/**
 * `retail-etl pg migrate|retention|partitions` — the Postgres side of the sinks (docs/sinks.md).
 * They run as DATABASE_URL: the migrator (the owner), never a runtime role.
 */
import type { Command } from 'commander';
import type pg from 'pg';
import { environment, resolveConfig } from '../../lib/config/index.js';
import { EtlError } from '../../lib/errors.js';
import { POSTGRES_SINK_SCHEMA } from '../../sinks/postgres/raw/config.js';
import { ident } from '../../sinks/postgres/ident.js';
import { migrateAll } from '../../sinks/postgres/migrate-all.js';
import { applyRetention, isoDay, partitionDays } from '../../sinks/postgres/raw/partitions.js';
import { withPgClient } from '../../lib/postgres/connection.js';

function config(o: { schema?: string }) {
  return resolveConfig('sink-postgres', POSTGRES_SINK_SCHEMA, { schema: o.schema });
}

type PgConfig = ReturnType<typeof config>;

/** A `pg` subcommand: every one takes `--schema`. */
function schemaCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .option('--schema <name>', 'Postgres schema (default public)');
}

/** Resolve the config for `--schema` and run `fn` on a connected client as the DATABASE_URL role. */
function inSchema<T>(o: { schema?: string }, fn: (client: pg.Client, c: PgConfig) => Promise<T>): Promise<T> {
  const c = config(o);
  return withPgClient(c.databaseUrl, (client) => fn(client, c));
}

export function registerPg(program: Command): void {
  const cmd = program
    .command('pg')
    .description('Postgres tables of the sink: migrate, partitions, retention');

  schemaCommand(
    cmd,
    'migrate',
    'create or update sales_raw, its partitions, sink_offsets, the aggregate tables and the grants (idempotent)',
  ).action(async (o: { schema?: string }) => {
    await inSchema(o, async (client) => {
      const r = await migrateAll(client, environment(), o.schema);
      console.log(
        `migrated schema ${r.schema}; roles ${r.sinkRole} (writer), ${r.readerRole} (read-only); ${r.partitionsCreated.length} partition(s) created`,
      );
      console.log(`aggregate tables in schema ${r.aggregatesSchema}; role ${r.aggregatesSinkRole} (writer)`);
    });
  });

  schemaCommand(cmd, 'retention', 'detach or drop the daily partitions older than the retention period')
    .option('--days <n>', 'days kept, today included (default SINK_POSTGRES_RETENTION_DAYS or 30)')
    .option('--mode <mode>', 'detach (keep the table outside sales_raw) | drop', 'detach')
    .option('--dry-run', 'list what would be removed')
    .action(async (o: { schema?: string; days?: string; mode: string; dryRun?: boolean }) => {
      const c = config(o);
      if (o.mode !== 'detach' && o.mode !== 'drop')
        throw new EtlError('INVALID_ARGUMENT', `--mode must be detach or drop, got "${o.mode}"`);
      const days = o.days === undefined ? c.retentionDays : Number(o.days);
      if (!Number.isInteger(days) || days < 1)
        throw new EtlError('INVALID_ARGUMENT', `--days must be a whole number ≥ 1, got "${o.days}"`);
      await withPgClient(c.databaseUrl, async (client) => {
        const guard = await client
          .query<{ n: string }>(`SELECT count(*) AS n FROM ${ident(c.schema)}.sales_raw_default`)
          .catch(() => undefined);
        // Through the retention function, which refuses days younger than the migrated minimum.
        const res = await applyRetention(client, {
          schema: c.schema,
          retentionDays: days,
          mode: o.mode as 'drop' | 'detach',
          dryRun: o.dryRun ?? false,
        });
        for (const p of res.partitions) console.log(`${o.dryRun ? 'would ' : ''}${p.action} ${p.name}`);
        console.log(
          `${res.partitions.length} partition(s) before ${res.cutoff} ${o.dryRun ? 'would be' : ''} ${o.mode === 'drop' ? 'dropped' : 'detached'}` +
            (guard ? `; guard partition holds ${guard.rows[0]?.n ?? '?'} row(s)` : ''),
        );
      });
    });

  schemaCommand(cmd, 'partitions', 'list the daily partitions of sales_raw').action(
    async (o: { schema?: string }) => {
      await inSchema(o, async (client, c) => {
        const days = [...(await partitionDays(client, c.schema))].sort((a, b) => a - b);
        console.log(
          days.length === 0
            ? 'no daily partitions'
            : `${days.length} daily partitions: ${isoDay(days[0] ?? 0)} … ${isoDay(days[days.length - 1] ?? 0)}`,
        );
      });
    },
  );
}
