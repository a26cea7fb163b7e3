/**
 * Processor throughput (events/s, one process, transactions on) from a pre-filled topic: the whole
 * topology (`processor all`: every event decoded and deduplicated once, all three operators fed
 * in the same task and transaction) and each operator alone (a topology of one). The restore is
 * measured by processor-restore.bench.ts.
 * Reference: Flink Nexmark per core — sliding-window hot items ≈ 22k/s, per-category average ≈ 34k/s.
 */
import { randomUUID } from 'node:crypto';
import { Partitioners, createKafka } from '../lib/kafka/index.js';
import { createRegistry, SaleEventSerde } from '../lib/contracts/event/serde.js';
import type { SaleEvent } from '../lib/contracts/event/schema.js';
import { uuidv7 } from '../lib/uuid.js';
import { runProcessors } from '../processors/app.js';
import type { Benchmark, Figure } from './harness.js';
import { deletePrefixed } from './lib/kafka-cleanup.js';
import { environment } from '../lib/config/index.js';

const PARTITIONS = 6;

const bench: Benchmark = {
  name: 'processors',
  title: 'Stream processors: events/s per processor (exactly-once)',
  async run(ctx) {
    // kafkajs reads this itself: silence its one-time partitioner notice in the bench's output.
    environment()['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
    const events = ctx.quick ? 50_000 : 300_000;
    const kafka = createKafka('bench-processors');
    const admin = kafka.admin();
    await admin.connect();
    const base = `bench-proc-${randomUUID().slice(0, 8)}`;
    const input = `${base}.sales`;
    const figures: Figure[] = [];
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: input, numPartitions: PARTITIONS, replicationFactor: 1 }],
      });
      const serde = new SaleEventSerde(createRegistry(ctx.env['SCHEMA_REGISTRY_URL']));
      await serde.register();
      const producer = kafka.producer({
        idempotent: true,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      ctx.log(`pre-filling ${events} events`);
      const t0 = Date.UTC(2025, 0, 6, 0, 0, 0);
      const stores = 60;
      const skus = 2_000;
      for (let i = 0; i < events; i += 5_000) {
        const messages = [];
        for (let j = i; j < Math.min(events, i + 5_000); j++) {
          const store = j % stores;
          const e: SaleEvent = {
            event_id: uuidv7(),
            // ~ 24 h of event time regardless of size, in order with a little jitter
            event_time: t0 + Math.floor((j / events) * 86_400_000) - (j % 7) * 300,
            store_id: `S${store}`,
            sku: `SKU-${(j * 7919) % skus}`,
            quantity: j % 13 === 0 ? -1 : 1 + (j % 3),
            unit_price_cents: 100 + (j % 5_000),
            currency: 'EUR',
            channel: 'store',
            payment_type: 'card',
            customer_id: null,
            basket_id: `B${Math.floor(j / 3)}`,
          };
          messages.push({ key: e.store_id, value: serde.encode(e), partition: store % PARTITIONS });
        }
        await producer.send({ topic: input, acks: -1, messages });
      }
      await producer.disconnect();

      const runs = [
        ['all', ['hourly', 'top-skus', 'rolling']],
        ['hourly', ['hourly']],
        ['top-skus', ['top-skus']],
        ['rolling', ['rolling']],
      ] as const;
      for (const [name, operators] of runs) {
        const prefix = `${base}-${name}`;
        const started = performance.now();
        const running = await runProcessors([...operators], {
          inputTopic: input,
          hourlyTopic: `${base}.hourly`,
          topSkusTopic: `${base}.top`,
          rollingTopic: `${base}.rolling`,
          lateTopic: `${base}.late`,
          dlqTopic: `${base}.dlq`,
          groupPrefix: prefix,
          metricsPort: 0,
        });
        const end = await admin.fetchTopicOffsets(input);
        for (;;) {
          const [c] = await admin.fetchOffsets({ groupId: running.topology.groupId, topics: [input] });
          if (end.every((e) => c?.partitions.find((p) => p.partition === e.partition)?.offset === e.high))
            break;
          await new Promise((r) => setTimeout(r, 200));
        }
        const seconds = (performance.now() - started) / 1000;
        const commit = await running.registry
          .getSingleMetric('retail_processor_transaction_commit_seconds')
          ?.get();
        const count =
          commit?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value ??
          0;
        const sum =
          commit?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_sum'))?.value ?? 0;
        await running.stop();
        const rate = events / seconds;
        ctx.log(
          `${name}: ${Math.round(rate)} events/s (${count} transactions, mean commit ${((sum / Math.max(1, count)) * 1000).toFixed(1)} ms)`,
        );
        const slowest = name === 'all' || name === 'rolling';
        figures.push({
          name: `processors.${name}.events_per_s`,
          value: Math.round(rate),
          unit: 'events/s',
          ceiling: slowest ? 22_000 : 34_000,
          ceilingName: slowest
            ? 'Flink Nexmark sliding hot items / core'
            : 'Flink Nexmark per-category avg / core',
          target: name === 'all' ? '≥ 2× reference (every operator, in the topology)' : '≥ 1× reference',
          notes: `${events} events, 6 partitions, one process, startup + restore included; ${name === 'all' ? 'hourly + top-skus + rolling in one topology (each operator sees every event); ' : 'a topology of this operator alone; '}${count} transactions, mean commit ${((sum / Math.max(1, count)) * 1000).toFixed(1)} ms`,
        });
      }
    } finally {
      await deletePrefixed(admin, base);
      await admin.disconnect();
    }
    return figures;
  },
};

export default bench;
