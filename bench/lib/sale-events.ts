/**
 * Fills a topic with known sale events (and chosen poison records) for the sink tests and
 * benchmarks, with SaleEventSerde + kafkajs directly — independent of the real producer in producer/.
 */
import type { Kafka } from '../../lib/kafka/index.js';
import { createKafka, ensureTopics } from '../../lib/kafka/index.js';
import { createRegistry, SaleEventSerde } from '../../lib/contracts/event/serde.js';
import type { SaleEvent } from '../../lib/contracts/event/schema.js';
import { CHANNELS, PAYMENT_TYPES } from '../../lib/contracts/event/schema.js';
import { uuidv7 } from '../../lib/uuid.js';

export interface Totals {
  count: number;
  quantity: number;
  value: number;
}

export function totals(events: SaleEvent[]): Totals {
  let quantity = 0;
  let value = 0;
  for (const e of events) {
    quantity += e.quantity;
    value += e.quantity * e.unit_price_cents;
  }
  return { count: events.length, quantity, value };
}

/** Deterministic-looking events spread over `stores` stores; `time(i)` sets each event time. */
export function makeEvents(
  n: number,
  options: { stores?: number; time?: (i: number) => number; seed?: number } = {},
): SaleEvent[] {
  const stores = options.stores ?? 12;
  const now = Date.now();
  const out: SaleEvent[] = [];
  for (let i = 0; i < n; i++) {
    const qty = ((i * 7 + (options.seed ?? 0)) % 9) + 1;
    out.push({
      event_id: uuidv7(),
      event_time: options.time ? options.time(i) : now - (i % 1000),
      store_id: `S${String(i % stores).padStart(3, '0')}`,
      sku: `SKU-${(i * 13) % 500}`,
      quantity: i % 10 === 0 ? -qty : qty,
      unit_price_cents: 100 + ((i * 37) % 9900),
      currency: 'EUR',
      channel: CHANNELS[i % CHANNELS.length] ?? 'store',
      payment_type: PAYMENT_TYPES[i % PAYMENT_TYPES.length] ?? 'card',
      customer_id: i % 3 === 0 ? null : `C${i % 997}`,
      basket_id: `B${Math.floor(i / 3)}`,
    });
  }
  return out;
}

export async function createTopic(
  name: string,
  partitions: number,
  kafka: Kafka = createKafka('test-fixture'),
) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ topic: name, numPartitions: partitions }]);
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(names: string[], kafka: Kafka = createKafka('test-fixture')) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: names }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

export type RawRecord = { key: string; value: Buffer | null };

/** Encode and send `events` (keyed by store, as the real producer does) plus raw `extra` records. */
export async function produce(
  topic: string,
  events: SaleEvent[],
  extra: RawRecord[] = [],
  kafka: Kafka = createKafka('test-fixture'),
): Promise<SaleEventSerde> {
  const serde = new SaleEventSerde(createRegistry());
  await serde.register();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const messages = events.map((e) => ({ key: e.store_id, value: serde.encode(e) }));
    for (let i = 0; i < messages.length; i += 5000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 5000) });
    }
    if (extra.length > 0) await producer.send({ topic, acks: -1, messages: extra });
  } finally {
    await producer.disconnect();
  }
  return serde;
}

/** A new 6-partition topic holding `n` fixture events over 60 stores (what the sink benchmarks drain). */
export async function fillTopic(topic: string, n: number): Promise<SaleEvent[]> {
  await createTopic(topic, 6);
  const events = makeEvents(n, { stores: 60 });
  for (let i = 0; i < n; i += 100_000) await produce(topic, events.slice(i, i + 100_000));
  return events;
}
