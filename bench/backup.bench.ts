/**
 * The restore drill's cost for 1M events (BENCH_QUICK: 100k): `backup create` of a schema whose
 * sales_raw holds them (with their ids and stored offsets, as the sink leaves them), then `backup
 * restore` into a new database with its verification, against bare `pg_dump -Fc` and
 * `pg_restore --single-transaction` of the same schema in the same run. The rows are generated in
 * SQL with the sink's value ranges, so the run stays within the machine's two-minute budget; the
 * sink's own throughput is the sink-postgres benchmark's.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark, Figure } from './harness.js';
import { migrate } from '../sinks/postgres/raw/ddl.js';
import { ensurePartitions } from '../sinks/postgres/raw/partitions.js';
import { createBackup } from '../stack/backup/create.js';
import { runPgTool, withDatabase } from '../stack/backup/pg-tools.js';
import { restoreBackup } from '../stack/backup/restore.js';
import { projectRoot } from '../stack/paths.js';
import { uniqueName } from './lib/names.js';
import { withPgClient } from '../lib/postgres/connection.js';
import { DATABASE_URL, readSetting } from '../lib/config/index.js';

/** sales_raw, its ids and the offsets of a sink that stored `n` events from 6 partitions. */
async function fill(url: string, schema: string, n: number): Promise<void> {
  await withPgClient(url, async (c) => {
    await migrate(c, { schema, sinkRole: 'retail_sink', readerRole: 'retail_reader' });
    await ensurePartitions(c, { schema, retentionDays: 30, aheadDays: 3 });
    const s = `"${schema}"`;
    await c.query(
      `INSERT INTO ${s}.sales_raw (event_id, event_time, store_id, sku, quantity, unit_price_cents, currency,
         channel, payment_type, customer_id, basket_id, kafka_partition, kafka_offset, kafka_timestamp)
       SELECT gen_random_uuid(), now() - (i % 86400000) * interval '1 ms', 'S' || lpad((i % 60)::text, 3, '0'),
              'SKU-' || (i * 13) % 500, CASE WHEN i % 10 = 0 THEN -1 ELSE 1 END * ((i * 7) % 9 + 1),
              100 + (i * 37) % 9900, 'EUR', (ARRAY['store','web','app'])[i % 3 + 1],
              (ARRAY['card','cash','wallet'])[i % 3 + 1], CASE WHEN i % 3 = 0 THEN NULL ELSE 'C' || i % 997 END,
              'B' || i / 3, i % 6, i / 6, now()
         FROM generate_series(0, $1 - 1) AS i`,
      [n],
    );
    await c.query(
      `INSERT INTO ${s}.sales_raw_ids SELECT event_id, (event_time AT TIME ZONE 'UTC')::date FROM ${s}.sales_raw`,
    );
    await c.query(
      `INSERT INTO ${s}.sink_offsets (group_id, topic, partition, next_offset)
       SELECT 'bench', 'bench', kafka_partition, max(kafka_offset) + 1 FROM ${s}.sales_raw GROUP BY kafka_partition`,
    );
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = process.hrtime.bigint();
  const out = await fn();
  return [out, Number(process.hrtime.bigint() - started) / 1e9];
}

const bench: Benchmark = {
  name: 'backup',
  title: 'Backup and restore (the drill) of 1M events vs bare pg_dump / pg_restore',
  async run(ctx) {
    const url = ctx.env['DATABASE_URL'] ?? readSetting('bench', DATABASE_URL) ?? '';
    const adminUrl = ctx.env['DATABASE_ADMIN_URL'];
    const n = ctx.quick ? 100_000 : 1_000_000;
    const schema = uniqueName('bench_backup');
    const plainDb = uniqueName('bench_plain');
    const restoredDb = uniqueName('bench_restored');
    const tmp = join(projectRoot(), '.stack', 'tmp', uniqueName('bench-backup'));
    mkdirSync(tmp, { recursive: true });
    const dropDb = (name: string) =>
      withPgClient(withDatabase(adminUrl ?? url, 'postgres'), (c) =>
        c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      );
    try {
      ctx.log(`filling ${schema}.sales_raw with ${n} rows`);
      await fill(url, schema, n);

      const dumpFile = join(tmp, 'plain.dump');
      const [, dumpS] = await timed(() =>
        runPgTool('pg_dump', ['--format=custom', `--file=${dumpFile}`, `--schema=${schema}`], url),
      );
      const dumpMb = statSync(dumpFile).size / 1e6;
      ctx.log(`pg_dump -Fc: ${dumpS.toFixed(1)} s, ${dumpMb.toFixed(1)} MB`);
      const [created, createS] = await timed(() =>
        createBackup({
          databaseUrl: url,
          output: join(tmp, 'backup.tar'),
          schemas: [schema],
          registryUrl: undefined,
          admin: undefined,
          topics: [],
          toolVersion: 'bench',
          progress: ctx.log,
        }),
      );
      const archiveMb = created.bytes / 1e6;

      await withPgClient(withDatabase(adminUrl ?? url, 'postgres'), (c) =>
        c.query(`CREATE DATABASE "${plainDb}" OWNER "${new URL(url).username}" TEMPLATE template0`),
      );
      const [, plainRestoreS] = await timed(() =>
        runPgTool(
          'pg_restore',
          ['--no-owner', '--exit-on-error', '--single-transaction', `--dbname=${plainDb}`, dumpFile],
          withDatabase(url, plainDb),
        ),
      );
      const [, restoreS] = await timed(() =>
        restoreBackup({
          archive: created.file,
          databaseUrl: url,
          adminUrl,
          database: restoredDb,
          force: false,
          registryUrl: undefined,
          admin: undefined,
          progress: ctx.log,
        }),
      );
      const figures: Figure[] = [
        {
          name: 'backup.create_s',
          value: createS,
          unit: 's',
          ceiling: dumpS,
          ceilingName: 'pg_dump -Fc',
          notes: `${n.toLocaleString('en-US')} events; dump + manifest measured on its snapshot + checksum + tar`,
        },
        {
          name: 'backup.archive_mb',
          value: archiveMb,
          unit: 'MB',
          ceiling: dumpMb,
          ceilingName: 'pg_dump -Fc file',
          notes: `${((archiveMb * 1e6) / n).toFixed(0)} bytes per event`,
        },
        {
          name: 'backup.restore_s',
          value: restoreS,
          unit: 's',
          ceiling: plainRestoreS,
          ceilingName: 'pg_restore --single-transaction',
          notes: 'unpack + checksums + restore in one transaction + verification against the manifest',
        },
        {
          name: 'backup.drill_s',
          value: createS + restoreS,
          unit: 's',
          notes: 'create + restore, end to end',
        },
      ];
      return figures;
    } finally {
      await dropDb(plainDb).catch(() => undefined);
      await dropDb(restoredDb).catch(() => undefined);
      await withPgClient(url, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)).catch(
        () => undefined,
      );
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};

export default bench;
