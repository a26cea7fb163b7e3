/**
 * A seeded run for the processor integration tests: unique topics, Avro events produced with
 * kafkajs (duplicates, out-of-order jitter, far-late events, poison records), the same input in a
 * unique Postgres table for the SQL recomputation, and readers of the outputs (read_committed).
 */
import type { Admin, Kafka } from '../../../lib/kafka/index.js';
import { Partitioners, createKafka, readToEnd } from '../../../lib/kafka/index.js';
import pg from 'pg';
import { createRegistry, SaleEventSerde } from '../../../lib/contracts/event/serde.js';
import type { SaleEvent } from '../../../lib/contracts/event/schema.js';
import { uuidv7 } from '../../../lib/uuid.js';
import { deletePrefixed } from '../../../bench/lib/kafka-cleanup.js';
import { stackEnv, uniqueName } from '../../helpers/env.js';
import { HOUR, seededRandom } from './expected.js';

export const PARTITIONS = 6;
export const T0 = Date.UTC(2025, 2, 3, 9, 0, 0);

export interface Fixture {
  kafka: Kafka;
  admin: Admin;
  db: pg.Client;
  table: string;
  topics: { input: string; hourly: string; topSkus: string; rolling: string; late: string; dlq: string };
  groupPrefix: string;
  /** processor options for runProcessors / env for the CLI */
  options: Record<string, string | number>;
  env: Record<string, string>;
  /** Events produced (including duplicates and late ones), not the poison records. */
  produced: number;
  poison: number;
  /** `writer`: the serde the rest is encoded with (a newer schema version, for the evolution test). */
  produceRest(writer?: Pick<SaleEventSerde, 'encode'>): Promise<void>;
  /** ids of events produced far beyond the allowed lateness */
  farLateIds: Set<string>;
  /** last closed hour start is before this (the sentinel hour) */
  sentinelHour: number;
  cleanup(): Promise<void>;
}

export const OUT_OF_ORDER_MS = 5_000;
export const LATENESS_MS = 60_000;

export async function createFixture(opts: {
  events: number;
  seed: number;
  maxBatchBytes?: number;
  /** Produce only this fraction of each partition now; `produceRest()` sends the remainder. */
  firstFraction?: number;
  /**
   * Events put first in `partition` (before the seeded ones, in this order): give them event times
   * before T0 and store ids of their own, and they are on time and alone in their windows.
   */
  extra?: { partition: number; events: SaleEvent[] };
}): Promise<Fixture> {
  const env = stackEnv();
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
  const kafka = createKafka(uniqueName('proc-test'));
  const admin = kafka.admin();
  await admin.connect();
  const base = uniqueName('proc');
  const topics = {
    input: `${base}.sales`,
    hourly: `${base}.hourly`,
    topSkus: `${base}.top`,
    rolling: `${base}.rolling`,
    late: `${base}.late`,
    dlq: `${base}.dlq`,
  };
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: topics.input, numPartitions: PARTITIONS, replicationFactor: 1 }],
  });
  const groupPrefix = `${base}-g`;
  const options = {
    inputTopic: topics.input,
    hourlyTopic: topics.hourly,
    topSkusTopic: topics.topSkus,
    rollingTopic: topics.rolling,
    lateTopic: topics.late,
    dlqTopic: topics.dlq,
    groupPrefix,
    outOfOrderMs: OUT_OF_ORDER_MS,
    allowedLatenessMs: LATENESS_MS,
    topN: 5,
    metricsPort: 0,
    maxBatchBytes: opts.maxBatchBytes ?? 64 * 1024,
  };
  const procEnv: Record<string, string> = {
    PROCESSOR_INPUT_TOPIC: topics.input,
    PROCESSOR_HOURLY_TOPIC: topics.hourly,
    PROCESSOR_TOP_SKUS_TOPIC: topics.topSkus,
    PROCESSOR_ROLLING_TOPIC: topics.rolling,
    PROCESSOR_LATE_TOPIC: topics.late,
    PROCESSOR_DLQ_TOPIC: topics.dlq,
    PROCESSOR_GROUP_PREFIX: groupPrefix,
    PROCESSOR_OUT_OF_ORDER_MS: String(OUT_OF_ORDER_MS),
    PROCESSOR_ALLOWED_LATENESS_MS: String(LATENESS_MS),
    PROCESSOR_TOP_N: '5',
    PROCESSOR_MAX_BATCH_BYTES: String(options.maxBatchBytes),
  };

  // ---- the seeded input ----
  const rnd = seededRandom(opts.seed);
  const stores = Array.from({ length: 12 }, (_, i) => `S${String(i + 1).padStart(3, '0')}`);
  const skus = Array.from({ length: 30 }, (_, i) => `SKU-${i + 1}`);
  const perPartition: SaleEvent[][] = Array.from({ length: PARTITIONS }, () => []);
  const farLateIds = new Set<string>();
  const span = 4 * HOUR;
  let produced = 0;
  for (let i = 0; i < opts.events;) {
    const storeIdx = Math.floor(rnd() * stores.length);
    const store = stores[storeIdx] as string;
    const basket = `B-${uuidv7().slice(-12)}`;
    const lines = 1 + Math.floor(rnd() * 3);
    const t = T0 + Math.floor((i / opts.events) * span) - Math.floor(rnd() * 3_000);
    for (let l = 0; l < lines && i < opts.events; l++, i++) {
      const e: SaleEvent = {
        event_id: uuidv7(t),
        event_time: t + l,
        store_id: store,
        sku: skus[Math.floor(Math.pow(rnd(), 2) * skus.length)] as string,
        quantity: rnd() < 0.08 ? -1 : 1 + Math.floor(rnd() * 4),
        unit_price_cents: 99 + Math.floor(rnd() * 5_000),
        currency: 'EUR',
        channel: 'store',
        payment_type: 'card',
        customer_id: null,
        basket_id: basket,
      };
      const part = perPartition[storeIdx % PARTITIONS] as SaleEvent[];
      part.push(e);
      if (rnd() < 0.05) part.push({ ...e }); // duplicate, right after
      // a copy a few positions earlier: the first copy counts, it arrives ~30 s before its neighbours
      if (rnd() < 0.01) part.splice(Math.max(0, part.length - 8), 0, { ...e });
      if (i > 100 && rnd() < 0.002) {
        const late = { ...e, event_id: uuidv7(t), event_time: t - 2 * HOUR };
        part.push(late);
        farLateIds.add(late.event_id);
      }
    }
  }
  if (opts.extra) perPartition[opts.extra.partition]?.unshift(...opts.extra.events);
  // One sentinel per partition two hours after the span pushes every watermark past the data.
  const sentinelTime = T0 + span + 2 * HOUR;
  for (let p = 0; p < PARTITIONS; p++) {
    (perPartition[p] as SaleEvent[]).push({
      event_id: uuidv7(sentinelTime),
      event_time: sentinelTime,
      store_id: stores[p] as string,
      sku: 'SKU-SENTINEL',
      quantity: 1,
      unit_price_cents: 1,
      currency: 'EUR',
      channel: 'store',
      payment_type: 'card',
      customer_id: null,
      basket_id: `B-SENTINEL-${p}`,
    });
  }

  const serde = new SaleEventSerde(createRegistry(env['SCHEMA_REGISTRY_URL']));
  await serde.register();
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const poison = [Buffer.from('not avro at all'), Buffer.from([0, 0x7f, 0xff, 0xff, 0x01, 1, 2])];
  const send = async (
    fromFraction: number,
    toFraction: number,
    writer: Pick<SaleEventSerde, 'encode'> = serde,
  ) => {
    for (let p = 0; p < PARTITIONS; p++) {
      const all = perPartition[p] as SaleEvent[];
      const list = all.slice(Math.floor(all.length * fromFraction), Math.floor(all.length * toFraction));
      produced += list.length;
      for (let i = 0; i < list.length; i += 2_000) {
        const chunk = list
          .slice(i, i + 2_000)
          .map((e) => ({ key: e.store_id, value: writer.encode(e), partition: p }));
        if (p === 1 && i === 0 && fromFraction === 0)
          chunk.splice(10, 0, ...poison.map((value) => ({ key: 'S002', value, partition: p })));
        await producer.send({ topic: topics.input, acks: -1, messages: chunk });
      }
    }
  };
  const first = opts.firstFraction ?? 1;
  await send(0, first);

  // ---- the same input in Postgres ----
  const db = new pg.Client({ connectionString: env['DATABASE_URL'] });
  await db.connect();
  await db.query(`SET TIME ZONE 'UTC'`);
  const table = uniqueName('proc_input');
  await db.query(
    `CREATE TABLE ${table} (event_id text, event_time timestamptz, store_id text, sku text, quantity int,
       unit_price_cents bigint, basket_id text)`,
  );
  const all = perPartition.flat();
  for (let i = 0; i < all.length; i += 5_000) {
    const chunk = all.slice(i, i + 5_000);
    await db.query(
      `INSERT INTO ${table} SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::text[])
         AS u(event_id, ms, store_id, sku, quantity, price, basket_id)`.replace(
        'SELECT *',
        `SELECT event_id, to_timestamp(ms / 1000.0), store_id, sku, quantity, price, basket_id`,
      ),
      [
        chunk.map((e) => e.event_id),
        chunk.map((e) => e.event_time),
        chunk.map((e) => e.store_id),
        chunk.map((e) => e.sku),
        chunk.map((e) => e.quantity),
        chunk.map((e) => e.unit_price_cents),
        chunk.map((e) => e.basket_id),
      ],
    );
  }

  return {
    kafka,
    admin,
    db,
    table,
    topics,
    groupPrefix,
    options,
    env: procEnv,
    produced,
    poison: poison.length,
    async produceRest(writer?: Pick<SaleEventSerde, 'encode'>) {
      if (first < 1) await send(first, 1, writer);
    },
    farLateIds,
    sentinelHour: Math.floor(sentinelTime / HOUR) * HOUR,
    async cleanup() {
      await producer.disconnect();
      await db.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await db.end();
      await deletePrefixed(admin, base);
      await admin.disconnect();
    },
  };
}

/** Consumer group of a topology (processors/definitions.ts). */
export const groupOf = (f: Fixture, topology = 'all'): string => `${f.groupPrefix}-topology-${topology}`;

/** Input records committed by the topology's group so far (crash and rebalance tests poll it). */
export async function committed(f: Fixture): Promise<number> {
  const [c] = await f.admin.fetchOffsets({ groupId: groupOf(f), topics: [f.topics.input] });
  return (c?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
}

/** Wait until `groupId` committed at least `target` (next offset per partition). */
async function waitCommitted(
  f: Fixture,
  groupId: string,
  topic: string,
  target: Map<number, number>,
  deadline: number,
): Promise<void> {
  for (;;) {
    const [committed] = await f.admin.fetchOffsets({ groupId, topics: [topic] });
    const done = [...target].every(
      ([p, next]) => Number(committed?.partitions.find((c) => c.partition === p)?.offset ?? -1) >= next,
    );
    if (done) return;
    if (Date.now() > deadline) throw new Error(`${groupId} did not catch up: ${JSON.stringify(committed)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Wait until the topology's group committed the end of every input partition and, with top SKUs,
 * its merge group every partial written by then. The partials topic is transactional: its end is
 * a commit or abort marker no consumer position passes, so the target there is the offset after
 * the last record a read_committed reader sees.
 */
export async function waitCaughtUp(f: Fixture, topology = 'all', timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const group = groupOf(f, topology);
  const end = await f.admin.fetchTopicOffsets(f.topics.input);
  await waitCommitted(
    f,
    group,
    f.topics.input,
    new Map(end.map((e) => [e.partition, Number(e.high)])),
    deadline,
  );
  if (topology === 'all' || topology.includes('top-skus')) {
    const partials = `${group}-top-skus-partials`;
    const target = new Map<number, number>();
    for (const r of await readAll(f, partials))
      target.set(r.partition, Math.max(target.get(r.partition) ?? 0, r.offset + 1));
    await waitCommitted(f, `${group}-top-skus-merge`, partials, target, deadline);
  }
}

export interface ReadRecord {
  partition: number;
  offset: number;
  key: string;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Every record of a topic, read_committed, in offset order per partition. */
export async function readAll(f: Pick<Fixture, 'kafka'>, topic: string): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  await readToEnd(f.kafka, {
    topic,
    groupPrefix: 'proc-reader',
    consumer: { readUncommitted: false, maxWaitTimeInMs: 100 },
    timeoutMs: 30_000,
    onBatch: (partition, messages) => {
      for (const message of messages) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        out.push({
          partition,
          offset: Number(message.offset),
          key: message.key?.toString() ?? '',
          value: message.value,
          headers,
        });
      }
    },
  });
  return out;
}
