/**
 * Benchmark (c), Kafka Connect half: a topic pre-filled with sale events drained by the Debezium
 * JDBC sink (upsert on event_id, the configuration that keeps an at-least-once sink free of
 * duplicates) into a table with sales_raw's columns. Reports events/s from the first row to the
 * last; the end-to-end benchmark puts it next to our Postgres sink on the same topic.
 * BENCH_CONNECT_EVENTS and BENCH_CONNECT_TASKS override the size and tasks.max.
 */
import { randomUUID } from 'node:crypto';
import { createKafka } from '../lib/kafka.js';
import { startConnectWorker, stopConnectWorker } from '../stack/components/kafka-connect.js';
import { stackContext } from '../stack/native.js';
import { stackPaths } from '../stack/paths.js';
import type { Benchmark, Figure } from './harness.js';
import { drainWithConnect, fillSalesTopic } from './lib/connect-drain.js';

const bench: Benchmark = {
  name: 'connect-jdbc',
  title: 'Kafka Connect + Debezium JDBC sink: draining a full topic into Postgres',
  async run(ctx) {
    const events = Number(
      ctx.env['BENCH_CONNECT_EVENTS'] ??
        process.env['BENCH_CONNECT_EVENTS'] ??
        (ctx.quick ? 20_000 : 300_000),
    );
    const tasksList = (ctx.env['BENCH_CONNECT_TASKS'] ?? process.env['BENCH_CONNECT_TASKS'] ?? '1,2')
      .split(',')
      .map(Number);
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
          name: `connect_jdbc.tasks_${tasks}.events_per_s`,
          value: r.eventsPerSecond,
          unit: 'events/s',
          notes: `${events} events, ${tasks} task(s), batch ${r.batchSize}, upsert on event_id; ${r.applyToLastRowSeconds.toFixed(1)} s from apply to last row`,
        });
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
