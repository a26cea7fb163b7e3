/**
 * `retail-etl backup create|restore|show` — one archive per backup: the Postgres database (custom
 * format), the registry's schemas, the topics' layouts, and a manifest of row counts, sums and the
 * sinks' stored offsets that a restore is checked against (docs/runbook.md#backups).
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import type { Admin } from '../../lib/kafka/index.js';
import { resolveConfig, sharedSetting } from '../../lib/config/index.js';
import { createKafka } from '../../lib/kafka/index.js';
import { kafkaError } from '../../lib/kafka/index.js';
import { readManifestText } from '../../stack/backup/archive.js';
import { BACKUP_SCHEMA } from '../../stack/backup/config.js';
import { createBackup, defaultArchiveName } from '../../stack/backup/create.js';
import { parseManifest } from '../../stack/backup/manifest.js';
import type { Manifest } from '../../stack/backup/manifest.js';
import { restoreBackup } from '../../stack/backup/restore.js';
import { stackPaths } from '../../stack/paths.js';
import { progress } from '../output.js';
import { version } from '../program.js';

const config = () => resolveConfig('backup', BACKUP_SCHEMA);
const collect = (v: string, prev: string[]) => [...prev, v];
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Run `fn` with a connected Kafka admin when `wanted`, else with none. */
async function withAdmin<T>(wanted: boolean, fn: (admin: Admin | undefined) => Promise<T>): Promise<T> {
  if (!wanted) return fn(undefined);
  const admin = createKafka('retail-etl-backup').admin();
  await admin.connect().catch((err: unknown) => {
    throw kafkaError('cannot connect to Kafka', err, { hint: 'or pass --no-topics' });
  });
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

function printTables(m: Pick<Manifest, 'tables'>): void {
  for (const t of m.tables) {
    const extra = [
      t.sums['quantity'] !== undefined ? `quantity ${t.sums['quantity']}` : '',
      t.sums['revenue_cents'] !== undefined ? `revenue_cents ${t.sums['revenue_cents']}` : '',
      t.distinct['event_id'] !== undefined ? `distinct event_id ${t.distinct['event_id']}` : '',
    ].filter((s) => s !== '');
    console.log(`  ${t.schema}.${t.table}: ${t.rows} rows${extra.length > 0 ? `, ${extra.join(', ')}` : ''}`);
  }
}

export function registerBackup(program: Command): void {
  const cmd = program
    .command('backup')
    .description(
      'back up and restore the database, the registry’s schemas and the topics’ layouts (docs/runbook.md#backups)',
    );

  cmd
    .command('create')
    .description(
      'write one archive (tar): the database as pg_dump custom format, the registry’s schemas, the topics’ layouts,\n' +
        'and manifest.json with row counts, exact sums and distinct ids per table and the sinks’ stored Kafka offsets —\n' +
        'measured on the dump’s own snapshot, so the sinks may keep writing. Runs as DATABASE_URL (the owner);\n' +
        'the password reaches pg_dump through its environment, never its command line.',
    )
    .option(
      '-o, --output <file>',
      'archive to write (default RETAIL_BACKUP_DIR or .stack/backups/, retail-etl-<UTC time>.tar)',
    )
    .option(
      '--schema <name>',
      'only this Postgres schema (repeatable; default the whole database)',
      collect,
      [],
    )
    .option(
      '--topic <name>',
      'only this topic’s layout (repeatable; default every non-internal topic)',
      collect,
      [],
    )
    .option('--no-registry', 'leave the registry’s schemas out')
    .option('--no-topics', 'leave the topics’ layouts out')
    .action(
      async (o: {
        output?: string;
        schema: string[];
        topic: string[];
        registry: boolean;
        topics: boolean;
      }) => {
        const c = config();
        const output = o.output ?? join(c.dir ?? join(stackPaths().stack, 'backups'), defaultArchiveName());
        const r = await withAdmin(o.topics, (admin) =>
          createBackup({
            databaseUrl: c.databaseUrl,
            output,
            schemas: o.schema,
            registryUrl: o.registry ? sharedSetting('schemaRegistryUrl') : undefined,
            admin,
            topics: o.topic,
            toolVersion: version(),
            progress,
          }),
        );
        const m = r.manifest;
        console.log(`backup ${r.file} (${mb(r.bytes)}) in ${(r.durationMs / 1000).toFixed(1)} s`);
        console.log(
          `database ${m.postgres.source} (Postgres ${m.postgres.serverVersion}), ${m.tables.length} table(s):`,
        );
        printTables(m);
        console.log(`${m.offsets.length} stored sink offset(s)`);
        if ('versions' in m.registry)
          console.log(`${m.registry.versions} schema version(s) of ${m.registry.subjects} subject(s)`);
        if ('topics' in m.kafka) console.log(`${m.kafka.topics} topic layout(s)`);
      },
    );

  cmd
    .command('restore <archive>')
    .description(
      'restore an archive’s database into --database (default: a NEW database <live>_restore_<UTC time>; an existing\n' +
        'one, the live one included, only with --force), in one transaction, then check every table’s rows, sums and\n' +
        'distinct ids and the sinks’ offsets against the manifest (BACKUP_VERIFY_FAILED and exit 1 on any difference).\n' +
        'Sinks pointed at the restored database resume from its stored offsets: nothing lost or doubled while Kafka\n' +
        'still holds the records. Creating the database uses DATABASE_ADMIN_URL when set.',
    )
    .option('--database <name>', 'target database (default a new one)')
    .option(
      '--force',
      'restore into an existing database, replacing the objects the archive holds (stop the sinks first)',
    )
    .option('--registry', 'also register the archived schemas in SCHEMA_REGISTRY_URL')
    .option(
      '--topics',
      'also create the archived topics this cluster lacks, with their partitions and settings',
    )
    .action(
      async (
        archive: string,
        o: { database?: string; force?: boolean; registry?: boolean; topics?: boolean },
      ) => {
        const c = config();
        const r = await withAdmin(o.topics ?? false, (admin) =>
          restoreBackup({
            archive,
            databaseUrl: c.databaseUrl,
            adminUrl: c.adminUrl,
            database: o.database,
            force: o.force ?? false,
            registryUrl: o.registry ? sharedSetting('schemaRegistryUrl') : undefined,
            admin,
            progress,
          }),
        );
        console.log(
          `restored ${archive} (taken ${r.manifest.createdAt}) into ${r.target}${r.created ? ' (new database)' : ''} in ${(r.durationMs / 1000).toFixed(1)} s`,
        );
        console.log(
          `verified against the manifest: ${r.tables.length} table(s), ${r.offsets} stored sink offset(s)`,
        );
        printTables(r);
        if (r.registry)
          console.log(
            `registry: ${r.registry.registered} version(s) registered, ${r.registry.present} already present` +
              (r.registry.idChanged.length > 0
                ? `; ${r.registry.idChanged.length} got a new id (records framed with the old id need the old registry)`
                : ''),
          );
        if (r.topics)
          console.log(
            `topics: ${r.topics.created.length} created, ${r.topics.present.length} already present` +
              (r.topics.differing.length > 0
                ? `; partition counts differ: ${r.topics.differing.map((d) => `${d.topic} ${d.now} (archived ${d.archived})`).join(', ')}`
                : ''),
          );
        console.log(
          `point the sinks at database ${r.database} (their DATABASE_URL) to resume from its stored offsets`,
        );
      },
    );

  cmd
    .command('show <archive>')
    .description('print an archive’s manifest: when, from where, what it holds (reads manifest.json only)')
    .option('--json', 'the manifest as JSON')
    .action(async (archive: string, o: { json?: boolean }) => {
      const m = parseManifest(await readManifestText(archive));
      if (o.json) return void console.log(JSON.stringify(m, null, 2));
      console.log(
        `taken ${m.createdAt} by retail-etl ${m.tool.version} from ${m.postgres.source} (Postgres ${m.postgres.serverVersion})`,
      );
      console.log(
        `schemas: ${m.postgres.schemas.length > 0 ? m.postgres.schemas.join(', ') : 'the whole database'}`,
      );
      for (const f of m.files) console.log(`  ${f.path}: ${mb(f.bytes)} sha256 ${f.sha256.slice(0, 16)}…`);
      printTables(m);
      console.log(`${m.offsets.length} stored sink offset(s)`);
    });
}
