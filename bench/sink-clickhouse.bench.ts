/**
 * Drain a pre-filled topic of 1M events (BENCH_QUICK: 100k) into ClickHouse through the real sink,
 * two ways, each against a direct `INSERT … FORMAT JSONEachRow` of the same rows in the same run:
 * over HTTP to the stack's ClickHouse (`make up`'s `clickhouse serve`: the production path), and
 * to the chdb engine in this process (no HTTP, no server) — what the HTTP layer costs. Over HTTP
 * the sink runs twice, dedup by event_id on (the default) and off: what idempotent raw tables cost.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { environment } from '../lib/config/index.js';
import type { Benchmark, Figure } from './harness.js';
import { createClickhouseClient } from '../sinks/clickhouse/client.js';
import type { ClickhouseTarget } from '../sinks/clickhouse/client.js';
import { createTableSql } from '../sinks/clickhouse/raw/ddl.js';
import { startSinkProcess } from '../sinks/raw/run.js';
import { projectRoot } from '../stack/paths.js';
import { waitForRowsWritten } from './lib/prom-text.js';
import { deleteTopics, fillTopic } from './lib/sale-events.js';
import type { SaleEvent } from '../lib/contracts/event/schema.js';
import { uniqueName } from './lib/names.js';

/** The same rows (with the sink's metadata columns) inserted directly, 200k per insert: rows/s. */
async function directInsert(
  client: ClickHouseClient,
  database: string,
  topic: string,
  events: SaleEvent[],
): Promise<number> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\`` });
  await client.command({ query: createTableSql(database, 10_000) });
  const values = events.map((e, i) => ({
    ...e,
    kafka_topic: topic,
    kafka_partition: i % 6,
    kafka_offset: i,
    kafka_timestamp: Date.now(),
    batch_first: 0,
    batch_last: 0,
  }));
  const t0 = performance.now();
  for (let i = 0; i < values.length; i += 200_000)
    await client.insert({
      table: `\`${database}\`.sales_raw`,
      values: values.slice(i, i + 200_000),
      format: 'JSONEachRow',
    });
  return values.length / ((performance.now() - t0) / 1000);
}

/** The sink draining `topic` into `target`: events/s including start-up and group join. */
async function sinkRate(
  target: ClickhouseTarget,
  database: string,
  topic: string,
  n: number,
  dedup: 'on' | 'off',
) {
  const started = performance.now();
  const sink = await startSinkProcess('clickhouse', {
    ...(target.url ? { url: target.url } : { chdbPath: target.chdbPath }),
    database,
    topic,
    dedup,
    groupId: uniqueName('bench'),
    metricsPort: 0,
  });
  const written = await waitForRowsWritten(sink.port, n, 240_000);
  const seconds = (performance.now() - started) / 1000;
  await sink.stop();
  return { rate: written / seconds, written, seconds };
}

const bench: Benchmark = {
  name: 'sink-clickhouse',
  title:
    'ClickHouse sink over HTTP (make up’s server) and to chdb in process, each vs a direct JSONEachRow insert',
  async run(ctx) {
    const n = ctx.quick ? 100_000 : 1_000_000;
    const topic = uniqueName('bench_ch');
    const dir = join(projectRoot(), '.stack', 'tmp', uniqueName('bench-chdb'));
    // The effective one: a CLICKHOUSE_URL set in the environment wins over .stack/env's.
    const url = environment()['CLICKHOUSE_URL'] ?? ctx.env['CLICKHOUSE_URL'];
    const figures: Figure[] = [];
    mkdirSync(dir, { recursive: true });
    try {
      ctx.log(`producing ${n} events to ${topic}`);
      const events = await fillTopic(topic, n);
      const targets: [string, ClickhouseTarget, string][] = [];
      if (url)
        targets.push(['http', { url }, 'HTTP to `clickhouse serve` (chdb engine, one query at a time)']);
      else ctx.log('CLICKHOUSE_URL is not set: the HTTP measurement is skipped');
      targets.push(['chdb', { chdbPath: dir }, 'chdb in the sink’s process (no HTTP)']);
      for (const [kind, target, how] of targets) {
        const client = await createClickhouseClient(target);
        const ceilingDb = uniqueName('bench_ceiling');
        const sinkDb = uniqueName('bench_sink');
        try {
          const ceiling = await directInsert(client, ceilingDb, topic, events);
          ctx.log(`${kind}: direct JSONEachRow insert ${Math.round(ceiling)} rows/s`);
          const s = await sinkRate(target, sinkDb, topic, n, 'on');
          ctx.log(
            `${kind}: sink ${Math.round(s.rate)} events/s (${s.written} rows in ${s.seconds.toFixed(1)} s)`,
          );
          if (kind === 'http') {
            const off = await sinkRate(target, `${sinkDb}_nodedup`, topic, n, 'off');
            ctx.log(`http: sink with dedup off ${Math.round(off.rate)} events/s`);
            await client.command({ query: `DROP DATABASE IF EXISTS \`${sinkDb}_nodedup\`` });
            figures.push({
              name: 'sink_clickhouse.nodedup_events_per_s',
              value: off.rate,
              unit: 'events/s',
              ceiling,
              ceilingName: `direct INSERT FORMAT JSONEachRow, same path, 200k rows per insert`,
              notes: `${n} events, 6 partitions; ${how}; SINK_CLICKHOUSE_DEDUP=off (every record as received)${off.written < n ? `; only ${off.written} written within 240 s` : ''}`,
            });
          }
          // The stack's server outlives this run: leave nothing behind in it.
          if (kind === 'http')
            for (const db of [ceilingDb, sinkDb])
              await client.command({ query: `DROP DATABASE IF EXISTS \`${db}\`` });
          figures.push({
            name: kind === 'http' ? 'sink_clickhouse.events_per_s' : 'sink_clickhouse_chdb.events_per_s',
            value: s.rate,
            unit: 'events/s',
            ceiling,
            ceilingName: `direct INSERT FORMAT JSONEachRow, same path, 200k rows per insert`,
            notes: `${n} events, 6 partitions; ${how}; dedup by event_id on (sales_raw_ids); time includes sink start-up and group join${s.written < n ? `; only ${s.written} written within 240 s` : ''}`,
          });
        } finally {
          await client.close();
        }
      }
      return figures;
    } finally {
      await deleteTopics([topic]);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
