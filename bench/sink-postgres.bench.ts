/**
 * Drain a pre-filled topic of 1M events (BENCH_QUICK: 100k) into Postgres through the real sink
 * (binary COPY, then text COPY, then text COPY without dedup by event_id), against `psql \copy` of the same rows from a file into an
 * identical table, in the same run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark, Figure } from './harness.js';
import { migrate } from '../sinks/postgres/raw/ddl.js';
import { ensurePartitions } from '../sinks/postgres/raw/partitions.js';
import { COPY_COLUMNS, textRows } from '../sinks/postgres/raw/copy-format.js';
import type { SinkRow } from '../sinks/core/contract.js';
import { startSinkProcess } from '../sinks/raw/run.js';
import { projectRoot } from '../stack/paths.js';
import { waitForRowsWritten } from './lib/prom-text.js';
import { deleteTopics, fillTopic } from './lib/sale-events.js';
import { uniqueName } from './lib/names.js';
import { withPgClient } from '../lib/postgres/connection.js';
import { DATABASE_URL, readSetting } from '../lib/config/index.js';

async function prepareSchema(url: string, schema: string): Promise<void> {
  await withPgClient(url, async (c) => {
    await migrate(c, { schema, sinkRole: 'retail_sink', readerRole: 'retail_reader' });
    await ensurePartitions(c, { schema, retentionDays: 30, aheadDays: 3 });
  });
}

const bench: Benchmark = {
  name: 'sink-postgres',
  title: 'Postgres sink: drain a pre-filled topic vs psql \\copy',
  async run(ctx) {
    const url = ctx.env['DATABASE_URL'] ?? readSetting('bench', DATABASE_URL) ?? '';
    const n = ctx.quick ? 100_000 : 1_000_000;
    const topic = uniqueName('bench_pg');
    const schemas: string[] = [];
    const figures: Figure[] = [];
    const tmp = join(projectRoot(), '.stack', 'tmp', uniqueName('bench-pg'));
    mkdirSync(tmp, { recursive: true });
    try {
      ctx.log(`producing ${n} events to ${topic}`);
      const events = await fillTopic(topic, n);

      // Ceiling: psql \copy of the same rows (text format) into an identical partitioned table.
      const ceilingSchema = uniqueName('bench_psql');
      schemas.push(ceilingSchema);
      await prepareSchema(url, ceilingSchema);
      const file = join(tmp, 'rows.tsv');
      const rows: SinkRow[] = events.map((event, i) => ({
        event,
        partition: i % 6,
        offset: i,
        kafkaTimestamp: Date.now(),
      }));
      writeFileSync(file, textRows(rows, 0, rows.length));
      const t0 = performance.now();
      const res = spawnSync(
        'psql',
        [
          url,
          '-v',
          'ON_ERROR_STOP=1',
          '-c',
          `\\copy "${ceilingSchema}".sales_raw (${COPY_COLUMNS.join(', ')}) FROM '${file}'`,
        ],
        { encoding: 'utf8' },
      );
      const psqlSeconds = (performance.now() - t0) / 1000;
      if (res.status !== 0) throw new Error(`psql \\copy failed: ${res.stderr}`);
      const ceiling = n / psqlSeconds;
      ctx.log(`psql \\copy: ${Math.round(ceiling)} rows/s`);

      // Dedup by event_id is on by default; text COPY is measured without it too: its cost.
      const variants = [
        ['binary', 'on'],
        ['text', 'on'],
        ['text', 'off'],
      ] as const;
      for (const [format, dedup] of variants) {
        const schema = uniqueName(`bench_${format}`);
        schemas.push(schema);
        await prepareSchema(url, schema);
        const started = performance.now();
        const sink = await startSinkProcess('postgres', {
          schema,
          topic,
          groupId: uniqueName('bench'),
          metricsPort: 0,
          copyFormat: format,
          dedup,
          databaseUrl: url,
        });
        const written = await waitForRowsWritten(sink.port, n, 240_000);
        const seconds = (performance.now() - started) / 1000;
        await sink.stop();
        const rate = written / seconds;
        const label = `${format} COPY${dedup === 'off' ? ', dedup off' : ''}`;
        ctx.log(`sink (${label}): ${Math.round(rate)} events/s (${written} rows in ${seconds.toFixed(1)} s)`);
        figures.push({
          name: `sink_postgres.${format}${dedup === 'off' ? '_nodedup' : ''}_events_per_s`,
          value: rate,
          unit: 'events/s',
          ceiling,
          ceilingName: 'psql \\copy (text) of the same rows',
          target: format === 'binary' ? '≥ 0.5× ceiling' : undefined,
          notes: `${n} events, 6 partitions, Kafka→decode→validate→${dedup === 'on' ? 'claim event ids→' : ''}COPY (${format}) + offsets in one transaction${dedup === 'off' ? ' (SINK_POSTGRES_DEDUP=off)' : ''}; time includes sink start-up and group join${written < n ? `; only ${written} written within 240 s` : ''}`,
        });
      }
      return figures;
    } finally {
      await deleteTopics([topic]);
      await withPgClient(url, async (c) => {
        for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      });
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};

export default bench;
