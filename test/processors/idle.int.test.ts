import type { Admin, Kafka, Producer } from '../../lib/kafka/index.js';
import { Partitioners } from '../../lib/kafka/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, SaleEventSerde } from '../../lib/contracts/event/serde.js';
import type { SaleEvent } from '../../lib/contracts/event/schema.js';
import { createKafka, removePrefixed } from '../../lib/kafka/index.js';
import { uuidv7 } from '../../lib/uuid.js';
import { runProcessors } from '../../processors/app.js';
import type { RunningProcessors } from '../../processors/app.js';
import { rankTop } from '../../processors/top-skus/logic.js';
import type { TopSkusValue } from '../../processors/top-skus/logic.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { HOUR, seededRandom } from './helpers/expected.js';
import { readAll } from './helpers/fixture.js';
import type { Fixture, ReadRecord } from './helpers/fixture.js';

const PARTITIONS = 4;
const T0 = Date.UTC(2025, 4, 5, 9, 0, 0);

function event(t: number, store: string, sku: string, qty: number, price: number): SaleEvent {
  return {
    event_id: uuidv7(t),
    event_time: t,
    store_id: store,
    sku,
    quantity: qty,
    unit_price_cents: price,
    currency: 'EUR',
    channel: 'store',
    payment_type: 'card',
    customer_id: null,
    basket_id: `B-${uuidv7(t).slice(-12)}`,
  };
}

async function until<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('a partition that goes idle while the others advance', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let serde: SaleEventSerde;
  let running: RunningProcessors | undefined;
  const base = uniqueName('proc-idle');
  const topics = { input: `${base}.sales`, top: `${base}.top`, late: `${base}.late` };
  const sent: SaleEvent[] = [];
  const reader = () => ({ kafka, admin }) as unknown as Fixture;
  const send = async (p: number, events: SaleEvent[]) => {
    sent.push(...events);
    await producer.send({
      topic: topics.input,
      acks: -1,
      messages: events.map((e) => ({ key: e.store_id, value: serde.encode(e), partition: p })),
    });
  };
  let firstRead: ReadRecord[] = [];

  beforeAll(async () => {
    process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
    const env = stackEnv();
    kafka = createKafka(uniqueName('proc-idle'));
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: topics.input, numPartitions: PARTITIONS, replicationFactor: 1 }],
    });
    serde = new SaleEventSerde(createRegistry(env['SCHEMA_REGISTRY_URL']));
    await serde.register();
    producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const rnd = seededRandom(11);
    const sku = () => `SKU-${1 + Math.floor(rnd() * 12)}`;
    // Partition 0: half an hour of sales, then nothing. Its own watermark never closes 09:00.
    await send(
      0,
      Array.from({ length: 300 }, (_, i) => event(T0 + i * 6_000, 'S000', sku(), 1 + (i % 3), 500 + i)),
    );
    // The others: three hours, then a record two hours later that closes them on each partition.
    for (let p = 1; p < PARTITIONS; p++) {
      const list = Array.from({ length: 900 }, (_, i) =>
        event(T0 + i * 12_000, `S00${p}`, sku(), 1 + (i % 2), 100 + Math.floor(rnd() * 900)),
      );
      list.push(event(T0 + 5 * HOUR, `S00${p}`, 'SKU-SENTINEL', 1, 1));
      await send(p, list);
    }
    running = await runProcessors(['top-skus'], {
      inputTopic: topics.input,
      topSkusTopic: topics.top,
      lateTopic: topics.late,
      dlqTopic: `${base}.dlq`,
      groupPrefix: `${base}-g`,
      outOfOrderMs: 5_000,
      allowedLatenessMs: 60_000,
      topN: 5,
      idleTimeoutMs: 2_000,
      metricsPort: 0,
    });
    firstRead = await until('the three hours', async () => {
      const r = await readAll(reader(), topics.top);
      return r.length >= 3 ? r : undefined;
    });
  });

  afterAll(async () => {
    await running?.stop();
    await producer?.disconnect();
    await removePrefixed(admin, base);
    await admin?.disconnect();
  });

  it('closes the hours the idle partition held open, with its sales in them', () => {
    const expected = new Map<string, string>();
    for (let h = T0; h < T0 + 3 * HOUR; h += HOUR) {
      const sums = new Map<string, { revenue: bigint; quantity: number }>();
      for (const e of sent) {
        if (e.event_time < h || e.event_time >= h + HOUR) continue;
        const s = sums.get(e.sku) ?? { revenue: 0n, quantity: 0 };
        s.revenue += BigInt(e.quantity * e.unit_price_cents);
        s.quantity += e.quantity;
        sums.set(e.sku, s);
      }
      expected.set(new Date(h).toISOString(), JSON.stringify(rankTop(sums, 5)));
    }
    const got = new Map(
      firstRead.map((r) => [r.key, JSON.stringify((JSON.parse(String(r.value)) as TopSkusValue).top)]),
    );
    expect(got).toEqual(expected);
    // The idle partition's sales are in the first hour: without them its ranking differs.
    expect(sent.filter((e) => e.store_id === 'S000').length).toBe(300);
  });

  it('a late resume of the idle partition goes to the late topic, and the hour is not revised', async () => {
    // Partition 0 resumes with a sale of 09:40 (on time for itself) and then moves on.
    await send(0, [event(T0 + 40 * 60_000, 'S000', 'SKU-RESUMED', 7, 1000)]);
    await send(0, [event(T0 + 5 * HOUR, 'S000', 'SKU-SENTINEL', 1, 1)]);
    const late = await until('the late partial', async () => {
      const r = (await readAll(reader(), topics.late)).filter((x) => x.headers['late.stage'] === 'merge');
      return r.length > 0 ? r : undefined;
    });
    const partial = JSON.parse(String(late[0]?.value)) as { h: number; s: [string, string, number][] };
    expect(partial.h).toBe(T0);
    // Revenue as an exact decimal string, like every sum the processors write.
    expect(partial.s).toEqual([['SKU-RESUMED', '7000', 7]]);
    const top = await readAll(reader(), topics.top);
    expect(top.filter((r) => r.key === new Date(T0).toISOString())).toHaveLength(1);
  });
});
