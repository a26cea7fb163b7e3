/**
 * The three events the demo sends on purpose, each the way a real client would make it:
 * - poison: bytes that are not a sale event, written straight to the raw topic with a Kafka
 *   producer (no validator in between) — every stage that reads the raw topic dead-letters it;
 * - late: a valid event dated hours back through `POST /v1/events` — accepted and stored raw, but
 *   every windowed operator finds its window long closed and writes it to the late topic;
 * - duplicate: one request sent twice, as a client retrying after a lost answer does — the raw
 *   topic holds it twice, sales_raw (idempotent by event id) once.
 */
import type { SaleEvent } from '../../../lib/contracts/event/schema.js';
import type { Kafka } from '../../../lib/kafka/index.js';
import { makeEvents } from '../sale-events.js';

export interface Position {
  partition: number;
  offset: number;
}

export const POISON_VALUE = 'make demo: this is not an Avro sale event';

/** Write one poison record to `topic`; returns where Kafka put it. */
export async function sendPoison(kafka: Kafka, topic: string): Promise<Position> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    const [meta] = await producer.send({
      topic,
      acks: -1,
      messages: [{ key: 'S000', value: Buffer.from(POISON_VALUE) }],
    });
    if (meta === undefined) throw new Error(`no acknowledgement for the poison record on ${topic}`);
    return { partition: meta.partition, offset: Number(meta.baseOffset ?? meta.offset) };
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** POST the events; the HTTP status (202 = every event committed to Kafka). */
export async function postEvents(port: number, token: string, events: SaleEvent[]): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(events),
    signal: AbortSignal.timeout(30_000),
  });
  await res.arrayBuffer();
  return res.status;
}

/** POST until Kafka takes it (serve may be restarting): the answer must be 202 within the time. */
async function postAccepted(port: number, token: string, events: SaleEvent[], timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until) {
    try {
      const status = await postEvents(port, token, events);
      if (status === 202) return;
      last = `HTTP ${status}`;
      if (status < 500 && status !== 429) break;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`POST /v1/events was not accepted: ${last}`);
}

/** One valid event dated `hoursBack` hours ago, accepted by the ingest. */
export async function sendLate(port: number, token: string, hoursBack = 3): Promise<SaleEvent> {
  const at = Date.now() - hoursBack * 3_600_000;
  // The second of makeEvents' events is a sale (its first is a return), so the late one adds revenue.
  const event = makeEvents(2, { time: () => at, seed: 5 })[1];
  if (event === undefined) throw new Error('makeEvents returned nothing');
  await postAccepted(port, token, [event]);
  return event;
}

/** The same request (same event ids) accepted twice. */
export async function sendDuplicate(port: number, token: string): Promise<SaleEvent[]> {
  const events = makeEvents(2, { seed: 3 });
  await postAccepted(port, token, events);
  await postAccepted(port, token, events);
  return events;
}
