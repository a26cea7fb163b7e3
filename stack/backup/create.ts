/**
 * `retail-etl backup create`: one archive holding the database (pg_dump custom format), the
 * registry's schemas, the topics' layouts and a manifest. The dump runs on a snapshot exported by
 * a REPEATABLE READ transaction that also measures the tables and reads the sinks' offsets, so the
 * manifest describes exactly the rows the dump holds, while the sinks keep writing.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Admin } from '../../lib/kafka/index.js';
import { connectPgClient } from '../../lib/postgres/connection.js';
import { fileEntry, pack } from './archive.js';
import type { Manifest } from './manifest.js';
import { ENTRIES, MANIFEST_FORMAT, MANIFEST_VERSION } from './manifest.js';
import { measureTables, readStoredOffsets, schemasToMeasure } from './measure.js';
import { libpqEnv, runPgTool } from './pg-tools.js';
import { exportSchemas } from './registry.js';
import { describeTopics } from '../../lib/kafka/index.js';

export interface CreateOptions {
  /** The database to back up, as its owner. */
  databaseUrl: string;
  /** The archive to write. */
  output: string;
  /** Only these schemas (pg_dump -n); empty: the whole database. */
  schemas: readonly string[];
  /** The registry's base URL (…/apis/ccompat/v7), or undefined to leave the schemas out. */
  registryUrl: string | undefined;
  /** A connected Kafka admin for the topics' layouts, or undefined to leave them out. */
  admin: Admin | undefined;
  /** Only these topics; empty: every non-internal topic. */
  topics: readonly string[];
  toolVersion: string;
  progress: (message: string) => void;
}

export interface CreateResult {
  file: string;
  bytes: number;
  manifest: Manifest;
  durationMs: number;
}

/** `retail-etl-<UTC timestamp>.tar`, sortable by name. */
export function defaultArchiveName(now = new Date()): string {
  return `retail-etl-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}.tar`;
}

/** Dump and measure on one snapshot; returns what the manifest records about the database. */
async function dumpDatabase(
  o: CreateOptions,
  dir: string,
): Promise<Pick<Manifest, 'postgres' | 'tables' | 'offsets'>> {
  const { label, database } = libpqEnv(o.databaseUrl);
  const client = await connectPgClient(o.databaseUrl);
  const dumpFile = join(dir, ENTRIES.database);
  const ticker = setInterval(() => {
    const bytes = (() => {
      try {
        return statSync(dumpFile).size;
      } catch {
        return 0;
      }
    })();
    o.progress(`dumping ${label}: ${(bytes / 1e6).toFixed(1)} MB so far`);
  }, 5000);
  ticker.unref();
  const abort = new AbortController();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]?.s ?? '';
    const serverVersion =
      (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '';
    let tables = 0;
    const dumped = runPgTool(
      'pg_dump',
      [
        '--format=custom',
        `--snapshot=${snapshot}`,
        `--file=${dumpFile}`,
        '--verbose',
        ...o.schemas.map((s) => `--schema=${s}`),
      ],
      o.databaseUrl,
      {
        signal: abort.signal,
        onLine: (line) => {
          if (/dumping contents of table/.test(line) && ++tables % 50 === 0)
            o.progress(`dumping ${label}: ${tables} tables`);
        },
      },
    );
    dumped.catch(() => undefined);
    // Measured while pg_dump reads: the same snapshot, so the same rows.
    const measuredSchemas = await schemasToMeasure(client, o.schemas);
    o.progress(`measuring ${measuredSchemas.length} schema(s) at the dump's snapshot`);
    const measured = await measureTables(client, measuredSchemas);
    const offsets = await readStoredOffsets(client, measuredSchemas);
    await dumped;
    await client.query('COMMIT');
    o.progress(`dumped ${label}: ${tables} tables, ${(statSync(dumpFile).size / 1e6).toFixed(1)} MB`);
    return {
      postgres: { source: label, database, serverVersion, schemas: [...o.schemas], measuredSchemas },
      tables: measured,
      offsets,
    };
  } finally {
    abort.abort(); // a no-op once pg_dump has exited; else it must not outlive the snapshot
    clearInterval(ticker);
    await client.end().catch(() => undefined);
  }
}

export async function createBackup(o: CreateOptions): Promise<CreateResult> {
  const started = Date.now();
  const file = resolve(o.output);
  mkdirSync(dirname(file), { recursive: true });
  // Staged beside the archive (same file system, so no second copy elsewhere), removed afterwards.
  const dir = mkdtempSync(join(dirname(file), '.backup-'));
  try {
    mkdirSync(join(dir, dirname(ENTRIES.registry)), { recursive: true });
    mkdirSync(join(dir, dirname(ENTRIES.topics)), { recursive: true });
    const db = await dumpDatabase(o, dir);
    const entries: string[] = [ENTRIES.database];
    let registry: Manifest['registry'] = { skipped: 'not requested' };
    if (o.registryUrl) {
      o.progress('exporting the registry’s schemas');
      const versions = await exportSchemas(o.registryUrl);
      writeFileSync(join(dir, ENTRIES.registry), JSON.stringify(versions, null, 1));
      entries.push(ENTRIES.registry);
      registry = { subjects: new Set(versions.map((v) => v.subject)).size, versions: versions.length };
    }
    let kafka: Manifest['kafka'] = { skipped: 'not requested' };
    if (o.admin) {
      o.progress('describing the topics');
      const layouts = await describeTopics(o.admin, o.topics);
      writeFileSync(join(dir, ENTRIES.topics), JSON.stringify(layouts, null, 1));
      entries.push(ENTRIES.topics);
      kafka = { topics: layouts.length };
    }
    o.progress('checksumming and packing the archive');
    const files = await Promise.all(entries.map((e) => fileEntry(dir, e)));
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      createdAt: new Date().toISOString(),
      tool: { name: 'retail-etl', version: o.toolVersion },
      postgres: db.postgres,
      files,
      tables: db.tables,
      offsets: db.offsets,
      registry,
      kafka,
    };
    writeFileSync(join(dir, ENTRIES.manifest), JSON.stringify(manifest, null, 1));
    const bytes = await pack(dir, entries, file);
    return { file, bytes, manifest, durationMs: Date.now() - started };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
