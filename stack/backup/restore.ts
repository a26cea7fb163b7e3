/**
 * `retail-etl backup restore`: the archive's database into a named database — a new one by
 * default, an existing one (the live one included) only with `force` — in one transaction, then
 * measured and compared with the manifest. The sinks' stored offsets come back with the rows, so
 * sinks pointed at the restored database resume from the positions of exactly those rows.
 * Optionally the registry's schemas and the topics a cluster lacks come back too.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin } from '../../lib/kafka/index.js';
import { withPgClient } from '../../lib/postgres/connection.js';
import { EtlError } from '../../lib/errors.js';
import { readManifestText, unpack } from './archive.js';
import type { Manifest, TableMeasure } from './manifest.js';
import { compareMeasures, ENTRIES, parseManifest } from './manifest.js';
import { measureTables, readStoredOffsets } from './measure.js';
import { libpqEnv, runPgTool, withDatabase } from './pg-tools.js';
import type { ImportResult, SchemaVersion } from './registry.js';
import { importSchemas } from './registry.js';
import type { TopicLayout, TopicsRestored } from '../../lib/kafka/index.js';
import { recreateTopics } from '../../lib/kafka/index.js';

export interface RestoreOptions {
  archive: string;
  /** The owner's login; its database is the live one. */
  databaseUrl: string;
  /** A login allowed to CREATE DATABASE (default: `databaseUrl`'s). */
  adminUrl: string | undefined;
  /** Target database; default `<live>_restore_<UTC timestamp>`. */
  database: string | undefined;
  /** Restore into an existing database, replacing the objects the archive holds. */
  force: boolean;
  /** Register the archived schemas in this registry. */
  registryUrl: string | undefined;
  /** Create the archived topics this cluster lacks. */
  admin: Admin | undefined;
  progress: (message: string) => void;
}

export interface RestoreResult {
  database: string;
  /** host:port/database, no credentials. */
  target: string;
  /** The owner's URL with the restored database (carries the password: never print it). */
  url: string;
  created: boolean;
  manifest: Manifest;
  tables: TableMeasure[];
  offsets: number;
  registry: ImportResult | undefined;
  topics: TopicsRestored | undefined;
  durationMs: number;
}

const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function defaultDatabaseName(live: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${live.slice(0, 40)}_restore_${stamp}`;
}

/** Whether the target exists; refuses an existing one without `force`. */
async function targetExists(o: RestoreOptions, database: string, live: string): Promise<boolean> {
  const exists = await withPgClient(o.databaseUrl, async (c) => {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    return (r.rowCount ?? 0) > 0;
  });
  if (exists && !o.force)
    throw new EtlError(
      'RESTORE_TARGET_EXISTS',
      database === live ? `database ${database} is the live database` : `database ${database} already exists`,
      {
        hint: 'restore into a new --database, or pass --force to replace the objects the archive holds (stop the sinks first)',
      },
    );
  return exists;
}

/** A new, empty database owned by the restoring login (created by the admin login when one is set). */
async function createDatabase(o: RestoreOptions, database: string): Promise<void> {
  const owner = decodeURIComponent(new URL(o.databaseUrl).username);
  await withPgClient(withDatabase(o.adminUrl ?? o.databaseUrl, 'postgres'), async (c) => {
    // Names checked against DATABASE_NAME; template0: nothing of template1's extras to collide with.
    const ownerClause = DATABASE_NAME.test(owner) ? ` OWNER "${owner}"` : '';
    await c.query(`CREATE DATABASE "${database}"${ownerClause} TEMPLATE template0`).catch((err: unknown) => {
      throw new EtlError('POSTGRES_ERROR', `cannot create database ${database}: ${(err as Error).message}`, {
        serverCode: (err as { code?: string }).code,
        hint: 'set DATABASE_ADMIN_URL to a login allowed to CREATE DATABASE, or create it and pass --force',
      });
    });
  });
}

export async function restoreBackup(o: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const manifest = parseManifest(await readManifestText(o.archive));
  const live = libpqEnv(o.databaseUrl).database;
  const database = o.database ?? defaultDatabaseName(live);
  if (!DATABASE_NAME.test(database))
    throw new EtlError(
      'INVALID_ARGUMENT',
      `--database must match ${DATABASE_NAME.source}, got "${database}"`,
    );
  const url = withDatabase(o.databaseUrl, database);
  const target = libpqEnv(url).label;
  const created = !(await targetExists(o, database, live));
  const dir = mkdtempSync(join(tmpdir(), 'retail-restore-'));
  try {
    o.progress(`unpacking ${o.archive} and checking its checksums`);
    await unpack(o.archive, dir, manifest.files);
    if (created) await createDatabase(o, database);
    o.progress(`${created ? 'created' : 'replacing objects in'} ${target}; restoring (one transaction)`);
    let tables = 0;
    await runPgTool(
      'pg_restore',
      [
        '--no-owner',
        '--exit-on-error',
        '--single-transaction',
        '--verbose',
        // Also into a new database: a dump of `--schema public` creates the schema template0 already has.
        '--clean',
        '--if-exists',
        `--dbname=${database}`,
        join(dir, ENTRIES.database),
      ],
      url,
      {
        onLine: (line) => {
          if (/processing data for table/.test(line) && ++tables % 50 === 0)
            o.progress(`restored ${tables} tables`);
        },
      },
    ).catch((err: unknown) => {
      throw created && err instanceof EtlError
        ? new EtlError(err.code, `${err.message} (database ${database} was created and is left empty)`)
        : err;
    });
    o.progress('verifying the restored rows, sums and offsets against the manifest');
    const measured = await withPgClient(url, async (c) => ({
      tables: await measureTables(c, manifest.postgres.measuredSchemas),
      offsets: await readStoredOffsets(c, manifest.postgres.measuredSchemas),
    }));
    const diffs = compareMeasures(manifest, measured);
    if (diffs.length > 0)
      throw new EtlError(
        'BACKUP_VERIFY_FAILED',
        `${target} differs from the manifest in ${diffs.length} place(s): ${diffs.slice(0, 5).join('; ')}`,
        { hint: `the database is left as restored for inspection; drop it with DROP DATABASE ${database}` },
      );
    let registry: ImportResult | undefined;
    if (o.registryUrl && manifest.files.some((f) => f.path === ENTRIES.registry)) {
      o.progress('registering the archived schemas');
      const versions = JSON.parse(readFileSync(join(dir, ENTRIES.registry), 'utf8')) as SchemaVersion[];
      registry = await importSchemas(o.registryUrl, versions);
    }
    let topics: TopicsRestored | undefined;
    if (o.admin && manifest.files.some((f) => f.path === ENTRIES.topics)) {
      o.progress('creating the archived topics this cluster lacks');
      const layouts = JSON.parse(readFileSync(join(dir, ENTRIES.topics), 'utf8')) as TopicLayout[];
      topics = await recreateTopics(o.admin, layouts);
    }
    return {
      database,
      target,
      url,
      created,
      manifest,
      tables: measured.tables.filter((t) =>
        manifest.tables.some((m) => m.schema === t.schema && m.table === t.table),
      ),
      offsets: measured.offsets.length,
      registry,
      topics,
      durationMs: Date.now() - started,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
