/**
 * Restore of one processor task with realistic state: 10 minutes of input at 12,000 events/s on
 * one partition (7.2M events; quick: 1 minute), all three operators, a catalogue of 200 stores ×
 * 5,000 SKUs, baskets of 1–5 lines sharing one event time, UUID event ids. The events go through
 * the task runtime in batches of 100 ms (1,200 events, the commit interval) and the changelog it
 * writes is stored the way the compacted topic holds it: the live entries (what the log cleaner
 * keeps) followed by the last minute of updates unchanged (the active segment the cleaner does not
 * touch: segment.ms = 60 s). Then the partition is read back by assignment (read_committed) into a
 * fresh task — the runtime's own restore path — and timed. Target: ≤ 10 s.
 */
import { randomUUID } from 'node:crypto';
import { Partitioners, createKafka } from '../lib/kafka/index.js';
import type { Message } from '../lib/kafka/index.js';
import { uuidv7 } from '../lib/uuid.js';
import { CHANGELOG_TOPIC_CONFIG } from '../processors/app.js';
import { HourlyLogic } from '../processors/hourly/logic.js';
import { RollingLogic } from '../processors/rolling/logic.js';
import { readChangelog } from '../processors/runtime/changelog.js';
import { TaskState } from '../processors/runtime/task.js';
import type { ChangelogEntry, Operator, TaskRecord } from '../processors/runtime/task.js';
import type { CompactEvent } from '../processors/runtime/types.js';
import { TopSkusPartialLogic } from '../processors/top-skus/partial.js';
import type { Benchmark, Figure } from './harness.js';
import { deletePrefixed } from './lib/kafka-cleanup.js';
import { environment } from '../lib/config/index.js';
import { seededRandom } from './lib/random.js';

const RATE = 12_000;
const BATCH_MS = 100;
const HORIZON_MS = 5 * 60_000;
const LATENESS_MS = 120_000;
const STORES = 200;
const SKUS = 5_000;

function operators(): Operator[] {
  const hourly = new HourlyLogic('h', LATENESS_MS);
  const top = new TopSkusPartialLogic('p', 3, 0, LATENESS_MS);
  top.deriveFrom(hourly); // as processors/definitions.ts createOperators wires them
  return [
    { name: 'hourly', logic: hourly },
    { name: 'top-skus', logic: top },
    { name: 'rolling', logic: new RollingLogic('r', LATENESS_MS) },
  ];
}

function newTask(): TaskState {
  return new TaskState(operators(), { partitions: [0], outOfOrderMs: 5_000, dedupHorizonMs: HORIZON_MS });
}

const bench: Benchmark = {
  name: 'processor-restore',
  title: 'Processor restore: one task with 10 minutes of state at 12,000 events/s',
  async run(ctx) {
    environment()['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
    const seconds = ctx.quick ? 60 : 600;
    const events = seconds * RATE;
    const kafka = createKafka('bench-processor-restore');
    const admin = kafka.admin();
    await admin.connect();
    const base = `bench-restore-${randomUUID().slice(0, 8)}`;
    const topic = `${base}-changelog`;
    const figures: Figure[] = [];
    try {
      // ---- the state: the runtime over `events` events ----
      const rnd = seededRandom(42);
      // Seeded random bits for the UUIDs: crypto's would dominate building the state.
      const fill = (bytes: Uint8Array) => {
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rnd() * 256);
      };
      const t0 = Date.UTC(2025, 0, 6, 10, 0, 0);
      const live = new Map<string, string | Buffer>();
      const tail: ChangelogEntry[] = [];
      const tailFrom = t0 + (seconds - 60) * 1000;
      const writer = newTask();
      const perBatch = (RATE * BATCH_MS) / 1000;
      let offset = 0;
      const pending: CompactEvent[] = [];
      const t1 = performance.now();
      for (let b = 0; b * perBatch < events; b++) {
        const now = t0 + b * BATCH_MS;
        const records: TaskRecord[] = [];
        while (records.length < perBatch) {
          if (pending.length === 0) {
            const store = `S${String(Math.floor(rnd() * rnd() * STORES)).padStart(4, '0')}`;
            const basket = uuidv7(now, fill);
            const lines = 1 + Math.floor(rnd() * 5);
            const t = now + Math.floor(rnd() * BATCH_MS) - Math.floor(rnd() * 2_000);
            for (let l = 0; l < lines; l++) {
              pending.push({
                id: uuidv7(now, fill),
                t,
                store,
                sku: `SKU-${Math.floor(rnd() * rnd() * SKUS)}`,
                qty: rnd() < 0.05 ? -1 : 1 + Math.floor(rnd() * 3),
                price: 99 + Math.floor(rnd() * 9_900),
                basket,
              });
            }
          }
          records.push({ offset: offset++, event: pending.shift() as CompactEvent });
        }
        const out = writer.processBatch(0, records, offset - 1);
        for (const c of out.changelog) {
          if (c.value === null) live.delete(c.key);
          else live.set(c.key, c.value);
          if (now >= tailFrom) tail.push(c);
        }
      }
      const buildSeconds = (performance.now() - t1) / 1000;
      const liveBytes = [...live.values()].reduce((s, v) => s + v.length, 0);
      ctx.log(
        `${events} events through the task in ${buildSeconds.toFixed(1)} s: ${live.size} live changelog keys (${(liveBytes / 1e6).toFixed(0)} MB), ${tail.length} tail updates, ${writer.dedupSize()} dedup fingerprints (${(writer.dedupBytes() / 1e6).toFixed(0)} MB)`,
      );

      // ---- the changelog topic as compaction leaves it ----
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: 1,
            replicationFactor: 1,
            configEntries: Object.entries({ 'cleanup.policy': 'compact', ...CHANGELOG_TOPIC_CONFIG }).map(
              ([name, value]) => ({ name, value }),
            ),
          },
        ],
      });
      const producer = kafka.producer({
        idempotent: true,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      const entries: ChangelogEntry[] = [...[...live].map(([key, value]) => ({ key, value })), ...tail];
      let batch: Message[] = [];
      let batchBytes = 0;
      const flush = async () => {
        if (batch.length > 0) await producer.send({ topic, acks: -1, messages: batch });
        batch = [];
        batchBytes = 0;
      };
      for (const c of entries) {
        batch.push({ key: c.key, value: c.value, partition: 0 });
        batchBytes += c.key.length + (c.value?.length ?? 0);
        if (batch.length >= 2_000 || batchBytes >= 512 * 1024) await flush();
      }
      await flush();
      await producer.disconnect();

      // ---- the restore, timed: read by assignment + rebuild ----
      const heapBefore = process.memoryUsage().heapUsed;
      const started = performance.now();
      const read = await readChangelog(kafka, topic, 0, { stallTimeoutMs: 30_000 });
      const readSeconds = (performance.now() - started) / 1000;
      const fresh = newTask();
      const loaded = fresh.restore(read.entries);
      const restoreSeconds = (performance.now() - started) / 1000;
      const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
      const ok = fresh.next.get(0) === offset && fresh.dedupSize() === writer.dedupSize();
      ctx.log(
        `restore: ${restoreSeconds.toFixed(2)} s (read ${readSeconds.toFixed(2)} s: ${read.records} records, ${(read.bytes / 1e6).toFixed(0)} MB; ${loaded} entries, ${fresh.dedupSize()} dedup fingerprints)${ok ? '' : ' — STATE DIFFERS'}`,
      );
      const shape = `${seconds / 60} min at ${RATE}/s on one task (${events} events; 200 stores × 5,000 SKUs, baskets of 1–5 lines; dedup horizon ${HORIZON_MS / 60_000} min), hourly + top-skus + rolling`;
      figures.push(
        {
          name: 'processors.restore_seconds',
          value: Number(restoreSeconds.toFixed(2)),
          unit: 's',
          target: '≤ 10 s (10 min at 12,000/s)',
          notes: `${shape}; ${read.records} changelog records (${live.size} live keys + ${tail.length} updates of the last minute), ${(read.bytes / 1e6).toFixed(0)} MB; read by assignment ${readSeconds.toFixed(2)} s${ok ? '' : '; restored state differs (next offset or dedup size)'}`,
        },
        {
          name: 'processors.restore_changelog_mb',
          value: Number((read.bytes / 1e6).toFixed(1)),
          unit: 'MB',
          notes: `what the restore read: ${shape}`,
        },
        {
          name: 'processors.task_dedup_memory_mb',
          value: Number((fresh.dedupBytes() / 1e6).toFixed(1)),
          unit: 'MB',
          notes: `dedup horizon tables of the restored task: ${fresh.dedupSize()} fingerprints (event ids and basket pairs); heap growth over the restore ${heapMb.toFixed(0)} MB`,
        },
      );
    } finally {
      await deletePrefixed(admin, base);
      await admin.disconnect();
    }
    return figures;
  },
};

export default bench;
