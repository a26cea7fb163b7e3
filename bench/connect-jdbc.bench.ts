/**
 * Benchmark (c), Kafka Connect half: a topic pre-filled with sale events drained by the Debezium
 * JDBC sink (upsert on event_id, the configuration that keeps an at-least-once sink free of
 * duplicates) into a table with sales_raw's columns. Reports events/s from the first row to the
 * last; then our Postgres sink drains the very same topic into sales_raw, measured the same way
 * (first row to last, inside Postgres), so the two stand side by side (issue 7 c: target ≥ 5×).
 * BENCH_CONNECT_EVENTS and BENCH_CONNECT_TASKS override the size and tasks.max.
 */
import { randomUUID } from 'node:crypto';
import { createKafka } from '../lib/kafka/index.js';
import { startConnectWorker, stopConnectWorker } from '../stack/components/kafka-connect.js';
import { stackContext } from '../stack/native.js';
import { stackPaths } from '../stack/paths.js';
import { waitUntil } from '../stack/wait.js';
import pg from 'pg';
import { migrate } from '../sinks/postgres/raw/ddl.js';
import { ensurePartitions } from '../sinks/postgres/raw/partitions.js';
import type { Benchmark, Figure } from './harness.js';
import { startCli } from '../stack/cli-process.js';
import { freePort } from '../stack/net.js';
import { postgresSinkArgs } from './lib/sink-cli.js';
import { drainWithConnect, fillSalesTopic } from './lib/connect-drain.js';
import { benchConfig, environment } from '../lib/config/index.js';
import { cpuSnapshot } from './lib/proc-cpu.js';

const bench: Benchmark = {
  name: 'connect-jdbc',
  title: 'Our Postgres sink vs Kafka Connect + Debezium JDBC sink, draining the same topic',
  async run(ctx) {
    const config = benchConfig({ ...environment(), ...ctx.env });
    const events = config.connectEvents ?? (ctx.quick ? 20_000 : 300_000);
    const tasksList = config.connectTasks.split(',').map(Number);
    const topic = `bench.connect.${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const kafka = createKafka('bench-connect');
    const figures: Figure[] = [];
    // One worker for every drain below (drainWithConnect would start and stop one per call).
    const workerCtx = stackContext(stackPaths(), ctx.log);
    const startedHere = await startConnectWorker(workerCtx);
    try {
      ctx.log(`connect-jdbc: filling ${topic} with ${events} events`);
      const fill = await fillSalesTopic(topic, events, { kafka });
      ctx.log(`connect-jdbc: filled in ${fill.seconds.toFixed(1)} s`);
      // A short drain first, not reported: the worker's JIT warms up on it, so the first measured
      // configuration is not penalised against the later ones.
      const warmup = Math.min(events, 20_000);
      await drainWithConnect({ env: ctx.env, topic, expected: warmup, tasks: 1, log: ctx.log });
      for (const tasks of tasksList) {
        const r = await drainWithConnect({ env: ctx.env, topic, expected: events, tasks, log: ctx.log });
        const exact = r.complete && r.quantity === fill.quantity && r.valueCents === fill.valueCents;
        ctx.log(
          `connect-jdbc: tasks=${tasks}: ${r.rows} rows, ${Math.round(r.eventsPerSecond)} events/s, ${r.applyToLastRowSeconds.toFixed(1)} s from apply to last row, sums ${exact ? 'exact' : 'WRONG'}`,
        );
        if (!exact) {
          throw new Error(
            `the JDBC sink wrote ${r.rows}/${events} rows, Σquantity ${r.quantity} (expected ${fill.quantity}), Σvalue ${r.valueCents} (expected ${fill.valueCents})`,
          );
        }
        figures.push({
          name: `connect_jdbc.tasks_${tasks}.cpu_seconds_per_million_events`,
          value: (r.workerCpuSeconds / r.rows) * 1e6,
          unit: 'CPU-s/M events',
          notes: `worker JVM (/proc utime+stime) from apply to the last row: ${r.workerCpuSeconds.toFixed(1)} CPU-s for ${r.rows} rows`,
        });
        figures.push({
          name: `connect_jdbc.tasks_${tasks}.events_per_s`,
          value: r.eventsPerSecond,
          unit: 'events/s',
          notes: `${events} events, ${tasks} task(s), batch ${r.batchSize}, upsert on event_id; ${r.applyToLastRowSeconds.toFixed(1)} s from apply to last row`,
        });
      }
      // Our sink on the same topic, measured the same way: first row to last row inside Postgres.
      const url = ctx.env['DATABASE_URL'] ?? '';
      const schema = `bench_ours_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      try {
        await migrate(db, { schema, sinkRole: 'retail_sink', readerRole: 'retail_reader' });
        await ensurePartitions(db, { schema, retentionDays: 30, aheadDays: 3 });
        const started = performance.now();
        // A process of its own, as the Connect worker is: its CPU is read from /proc like the JVM's.
        const port = await freePort();
        const sink = startCli(
          postgresSinkArgs({ topic, group: `bench-ours-${schema}`, schema, metricsPort: port }),
          { env: { ...ctx.env }, logLevel: 'warn' },
        );
        const sinkPids = new Map([['sink', sink.child.pid ?? -1]]);
        const cpu0 = cpuSnapshot(sinkPids).get('sink') ?? 0;
        const stats = async () =>
          (
            await db.query<{ n: string; q: string | null; v: string | null; span: number | null }>(
              `SELECT count(*) AS n, sum(quantity) AS q, sum(quantity::bigint * unit_price_cents) AS v,
                      extract(epoch FROM max(ingested_at) - min(ingested_at)) AS span FROM "${schema}".sales_raw`,
            )
          ).rows[0];
        let st = await stats();
        await waitUntil(async () => Number((st = await stats())?.n) >= events, {
          timeoutMs: 300_000,
          intervalMs: 250,
        });
        const wall = (performance.now() - started) / 1000;
        const sinkCpu = (cpuSnapshot(sinkPids).get('sink') ?? 0) - cpu0;
        await sink.stop();
        const rows = Number(st?.n);
        const exact = rows === events && Number(st?.q) === fill.quantity && Number(st?.v) === fill.valueCents;
        if (!exact)
          throw new Error(`our sink wrote ${rows}/${events} rows, Σquantity ${st?.q}, Σvalue ${st?.v}`);
        // ingested_at is the transaction start of each batch: first batch to last batch, as for Connect.
        const span = Math.max(Number(st?.span ?? 0), 0.001);
        const ours = events / span;
        const best = Math.max(...figures.map((f) => f.value));
        ctx.log(
          `connect-jdbc: our Postgres sink on the same topic: ${Math.round(ours)} events/s (${wall.toFixed(1)} s wall, start-up included)`,
        );
        figures.push({
          name: 'sink_vs_connect.ours_events_per_s',
          value: ours,
          unit: 'events/s',
          ceiling: best,
          ceilingName: 'Kafka Connect JDBC, best of the task counts, same topic',
          target: '≥ 5× Kafka Connect',
          notes: `same ${events} events and table shape; COPY + offsets in one transaction; ${wall.toFixed(1)} s wall from sink start (${Math.round(events / wall)} events/s with start-up and group join)`,
        });
        const connectCpu = figures
          .filter((f) => f.name.endsWith('.cpu_seconds_per_million_events'))
          .map((f) => f.value)
          .filter((v) => Number.isFinite(v));
        figures.push({
          name: 'sink_vs_connect.ours_cpu_seconds_per_million_events',
          value: (sinkCpu / events) * 1e6,
          unit: 'CPU-s/M events',
          ...(connectCpu.length > 0
            ? {
                ceiling: Math.min(...connectCpu),
                ceilingName: 'Kafka Connect JDBC worker, cheapest task count, same topic',
              }
            : {}),
          target: '≤ 1/3 of Kafka Connect (ratio ≤ 0.33)',
          notes: `our sink process (/proc utime+stime) from start, Node start-up and migration included, to the last row: ${sinkCpu.toFixed(1)} CPU-s for ${events} rows`,
        });
      } finally {
        await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
        const admin = kafka.admin();
        await admin.connect();
        await admin.deleteGroups([`bench-ours-${schema}`]).catch(() => undefined);
        await admin.disconnect();
        await db.end();
      }
    } finally {
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
      if (startedHere) await stopConnectWorker(workerCtx);
    }
    return figures;
  },
};

export default bench;
