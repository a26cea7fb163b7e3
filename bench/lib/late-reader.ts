/**
 * The event ids each processor sent to a late topic (header `late.processor`), read from the
 * beginning to the end with a throwaway group. The late topic is written in transactions, so its
 * end offset sits one past a commit marker no consumer ever sees: reading stops once every
 * partition is within one record of its end, or after two quiet seconds.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from '../../lib/kafka/index.js';
import { createRegistry, SaleEventSerde } from '../../lib/contracts/event/serde.js';
import { LATE_HEADERS } from '../../lib/contracts/late.js';

export async function lateIdsByProcessor(
  kafka: Kafka,
  topic: string,
  schemaRegistryUrl: string | undefined,
): Promise<Map<string, string[]>> {
  const serde = new SaleEventSerde(createRegistry(schemaRegistryUrl));
  const out = new Map<string, string[]>();
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `bench-late-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, readUncommitted: false });
  try {
    const ends = new Map(
      (await admin.fetchTopicOffsets(topic)).map((p) => [
        p.partition,
        { low: Number(p.low), high: Number(p.high) },
      ]),
    );
    const next = new Map<number, number>([...ends].map(([p, e]) => [p, e.low]));
    const done = () => [...ends].every(([p, e]) => (next.get(p) ?? 0) >= e.high - 1);
    if (done()) return out;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let lastRecordAt = Date.now();
    let seen = false;
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        lastRecordAt = Date.now();
        seen = true;
        next.set(partition, Number(message.offset) + 1);
        const processor = message.headers?.[LATE_HEADERS.processor]?.toString() ?? '';
        if (message.value === null) return;
        const event = await serde.decode(message.value);
        const list = out.get(processor) ?? [];
        list.push(event.event_id);
        out.set(processor, list);
      },
    });
    const deadline = Date.now() + 120_000;
    // Joining the group takes seconds: quiet counts only once the first record arrived.
    while (!done() && Date.now() - lastRecordAt < (seen ? 2_000 : 30_000)) {
      if (Date.now() > deadline) throw new Error(`reading ${topic} did not finish within 120 s`);
      await sleep(200);
    }
    return out;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
