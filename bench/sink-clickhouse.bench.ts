/**
 * Drain a pre-filled topic of 1M events (BENCH_QUICK: 100k) into ClickHouse through the real sink
 * (dedup by event_id on, then off),
 * against a direct `INSERT … FORMAT JSONEachRow` of the same rows, in the same run. The engine is
 * chdb (ClickHouse in process, this machine has no ClickHouse server), for both sides.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark, Figure } from './harness.js';
import { createClickhouseClient } from '../sinks/clickhouse/client.js';
import { createTableSql } from '../sinks/clickhouse/raw/ddl.js';
import { startSinkProcess } from '../sinks/raw/run.js';
import { projectRoot } from '../stack/paths.js';
import { waitForRowsWritten } from './lib/prom-text.js';
import { deleteTopics, fillTopic } from './lib/sale-events.js';
import { uniqueName } from './lib/names.js';

const bench: Benchmark = {
  name: 'sink-clickhouse',
  title: 'ClickHouse sink (chdb engine): drain a pre-filled topic vs direct JSONEachRow insert',
  async run(ctx) {
    const n = ctx.quick ? 100_000 : 1_000_000;
    const topic = uniqueName('bench_ch');
    const dir = join(projectRoot(), '.stack', 'tmp', uniqueName('bench-chdb'));
    mkdirSync(dir, { recursive: true });
    try {
      ctx.log(`producing ${n} events to ${topic}`);
      const events = await fillTopic(topic, n);

      // Ceiling: the same rows (with the sink's metadata columns) inserted directly, 200k per insert.
      const client = await createClickhouseClient({ chdbPath: dir });
      await client.command({ query: 'CREATE DATABASE IF NOT EXISTS ceiling' });
      await client.command({ query: createTableSql('ceiling', 10_000) });
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
      for (let i = 0; i < n; i += 200_000)
        await client.insert({
          table: 'ceiling.sales_raw',
          values: values.slice(i, i + 200_000),
          format: 'JSONEachRow',
        });
      const ceiling = n / ((performance.now() - t0) / 1000);
      ctx.log(`direct JSONEachRow insert: ${Math.round(ceiling)} rows/s`);

      const figures: Figure[] = [];
      // Dedup by event_id is on by default; measured without it too: its cost.
      for (const dedup of ['on', 'off'] as const) {
        const started = performance.now();
        // Same process, same chdb directory: allowed (one process may open a directory many times).
        const sink = await startSinkProcess('clickhouse', {
          chdbPath: dir,
          database: `sink_${dedup}`,
          topic,
          dedup,
          groupId: uniqueName('bench'),
          metricsPort: 0,
        });
        const written = await waitForRowsWritten(sink.port, n, 240_000);
        const seconds = (performance.now() - started) / 1000;
        await sink.stop();
        const rate = written / seconds;
        ctx.log(
          `sink (dedup ${dedup}): ${Math.round(rate)} events/s (${written} rows in ${seconds.toFixed(1)} s)`,
        );
        figures.push({
          name: `sink_clickhouse.${dedup === 'off' ? 'nodedup_' : ''}events_per_s`,
          value: rate,
          unit: 'events/s',
          ceiling,
          ceilingName: 'direct INSERT FORMAT JSONEachRow (chdb), 200k rows per insert',
          notes: `${n} events, 6 partitions; ${dedup === 'on' ? 'event ids checked and recorded (sales_raw_ids)' : 'SINK_CLICKHOUSE_DEDUP=off'}; engine is chdb in process, not a ClickHouse server over HTTP; time includes sink start-up and group join${written < n ? `; only ${written} written within 240 s` : ''}`,
        });
      }
      await client.close();
      return figures;
    } finally {
      await deleteTopics([topic]);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
