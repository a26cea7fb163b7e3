/**
 * The manifest of a backup archive (`manifest.json`, its first entry): what the archive holds, the
 * checksum of each file, and what the database held at the dump's snapshot — rows, exact sums and
 * distinct counts per table, and the sinks' stored Kafka offsets. `backup restore` measures the
 * restored database the same way and compares: equal, or BACKUP_VERIFY_FAILED.
 */
import { EtlError } from '../../lib/errors.js';

export const MANIFEST_FORMAT = 'retail-etl-backup';
export const MANIFEST_VERSION = 1;

/** Archive entries, by role. */
export const ENTRIES = {
  manifest: 'manifest.json',
  database: 'database.dump',
  registry: 'registry/schemas.json',
  topics: 'kafka/topics.json',
} as const;

/** One table (a partitioned table counts once, with its partitions' rows). Numbers as decimal strings: exact. */
export interface TableMeasure {
  schema: string;
  table: string;
  rows: string;
  /** Sum of each integer/numeric column, and derived sums such as `revenue_cents`. */
  sums: Record<string, string>;
  /** Distinct values of identifying columns (`event_id`). */
  distinct: Record<string, string>;
}

/** One stored position of a sink (`sink_offsets`, `agg_sink_offsets`, …). */
export interface StoredOffset {
  schema: string;
  table: string;
  groupId: string;
  topic: string;
  partition: number;
  nextOffset: string;
}

export interface FileEntry {
  path: string;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  createdAt: string;
  tool: { name: 'retail-etl'; version: string };
  postgres: {
    /** host:port/database of the source — never its credentials. */
    source: string;
    database: string;
    serverVersion: string;
    /** Schemas dumped; empty: the whole database. */
    schemas: string[];
    /** Schemas measured (the dumped ones, or every non-system schema). */
    measuredSchemas: string[];
  };
  files: FileEntry[];
  tables: TableMeasure[];
  offsets: StoredOffset[];
  registry: { subjects: number; versions: number } | { skipped: string };
  kafka: { topics: number } | { skipped: string };
}

function invalid(message: string): never {
  throw new EtlError('BACKUP_INVALID', message, {
    hint: 'pass an archive written by `retail-etl backup create`',
  });
}

/** Parse and check the shape of a manifest read from an archive. */
export function parseManifest(text: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid('manifest.json is not JSON');
  }
  const m = value as Partial<Manifest> | null;
  if (!m || typeof m !== 'object' || m.format !== MANIFEST_FORMAT)
    return invalid(`manifest.json is not a ${MANIFEST_FORMAT} manifest`);
  if (m.version !== MANIFEST_VERSION)
    return invalid(
      `manifest version ${String(m.version)} is not supported (this tool reads ${MANIFEST_VERSION})`,
    );
  if (!Array.isArray(m.files) || !Array.isArray(m.tables) || !Array.isArray(m.offsets) || !m.postgres)
    return invalid('manifest.json lacks files, tables, offsets or postgres');
  if (!m.files.some((f) => f.path === ENTRIES.database))
    return invalid(`the manifest lists no ${ENTRIES.database}`);
  return m as Manifest;
}

const tableKey = (t: { schema: string; table: string }) => `${t.schema}.${t.table}`;
const offsetKey = (o: StoredOffset) => `${o.schema}.${o.table} ${o.groupId} ${o.topic}[${o.partition}]`;

/** Every difference between what the manifest recorded and what was measured, one line each. */
export function compareMeasures(
  expected: Pick<Manifest, 'tables' | 'offsets'>,
  actual: Pick<Manifest, 'tables' | 'offsets'>,
): string[] {
  const out: string[] = [];
  const got = new Map(actual.tables.map((t) => [tableKey(t), t]));
  for (const e of expected.tables) {
    const a = got.get(tableKey(e));
    if (!a) {
      out.push(`${tableKey(e)}: missing after restore`);
      continue;
    }
    if (a.rows !== e.rows) out.push(`${tableKey(e)}: ${a.rows} rows, manifest ${e.rows}`);
    for (const kind of ['sums', 'distinct'] as const) {
      for (const [col, v] of Object.entries(e[kind])) {
        const av = a[kind][col];
        if (av !== v) out.push(`${tableKey(e)}: ${kind}.${col} = ${av ?? 'absent'}, manifest ${v}`);
      }
    }
  }
  const offsets = new Map(actual.offsets.map((o) => [offsetKey(o), o.nextOffset]));
  for (const e of expected.offsets) {
    const a = offsets.get(offsetKey(e));
    if (a !== e.nextOffset) out.push(`offset ${offsetKey(e)}: ${a ?? 'absent'}, manifest ${e.nextOffset}`);
  }
  const known = new Set(expected.offsets.map(offsetKey));
  for (const a of actual.offsets)
    if (!known.has(offsetKey(a))) out.push(`offset ${offsetKey(a)}: ${a.nextOffset}, not in the manifest`);
  return out;
}
