/**
 * Ingest through Kafka transactions against the real broker: a request too large for one record
 * batch is split inside its transaction and written whole while other requests share the flush;
 * under overload requests are refused with 429 and exactly the accepted ones are visible to a
 * read_committed consumer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveApiConfig } from '../../../api/config.js';
import { ingestModule } from '../../../api/routes/ingest.js';
import type { ApiServer } from '../../../api/server.js';
import { startApiServer } from '../../../api/server.js';
import { createKafka } from '../../../lib/kafka/index.js';
import { uuidv7 } from '../../../lib/uuid.js';
import { uniqueName } from '../../helpers/env.js';
import { bearer, testTokens, tokenConfig } from '../../helpers/api-tokens.js';

const tokens = testTokens();

const kafka = createKafka('ingest-txn-test');

const event = (store: string, sku = 'SKU-000042') => ({
  event_id: uuidv7(),
  event_time: Date.now() - 1000,
  store_id: store,
  sku,
  quantity: 1,
  unit_price_cents: 100,
  currency: 'EUR',
  channel: 'store',
  payment_type: 'card',
  customer_id: null,
  basket_id: 'B-1',
});

async function start(topic: string, over: Record<string, unknown>): Promise<ApiServer> {
  const api = await startApiServer(resolveApiConfig({ port: 0, topic, ...over }, {}), {
    modules: [ingestModule()],
    http: tokenConfig(tokens),
  });
  for (let i = 0; i < 200 && (await fetch(`${api.url}/readyz`)).status !== 200; i++)
    await new Promise((r) => setTimeout(r, 100));
  return api;
}

async function post(
  api: ApiServer,
  events: unknown[],
): Promise<{ status: number; retryAfter: string | null }> {
  const res = await fetch(`${api.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(tokens.ingest) },
    body: JSON.stringify(events),
  });
  await res.arrayBuffer();
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
}

/** Event ids a read_committed consumer sees, read until `expected` arrive and 2 s pass with no more. */
async function committedIds(topic: string, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('ingest-txn'), maxWaitTimeInMs: 200 });
  const ids: string[] = [];
  let last = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      // Confluent framing + Avro: the event_id is the first field, a length-prefixed string.
      if (message.value) ids.push(message.value.subarray(6, 6 + 36).toString('utf8'));
      last = Date.now();
    },
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && (ids.length < expected || Date.now() - last < 2000))
    await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  return ids;
}

describe('ingest writes each request in a Kafka transaction', () => {
  const topics: string[] = [];
  let big: ApiServer;
  let small: ApiServer;

  beforeAll(async () => {
    topics.push(uniqueName('ingest-txn'), uniqueName('ingest-load'));
    big = await start(topics[0] as string, { maxBodyBytes: 16 * 1024 * 1024, maxEvents: 20_000 });
    small = await start(topics[1] as string, { maxQueuedEvents: 100 });
  });

  afterAll(async () => {
    await big.close();
    await small.close();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  it('a request larger than one record batch is written whole while other requests share its flush', async () => {
    // 15,000 events of one store go to one partition: ~2 MB, twice the broker's 1 MiB batch limit.
    const huge = Array.from({ length: 15_000 }, () => event('S0001', 'SKU-'.padEnd(60, 'x')));
    const others = Array.from({ length: 20 }, (_, i) => Array.from({ length: 50 }, () => event(`S${i}`)));
    const answers = await Promise.all([post(big, huge), ...others.map((b) => post(big, b))]);
    expect(answers.map((a) => a.status)).toEqual(Array(21).fill(202));
    const sent = [...huge, ...others.flat()].map((e) => e.event_id).sort();
    const seen = await committedIds(topics[0] as string, sent.length);
    expect(seen.length).toBe(sent.length);
    expect(seen.sort()).toEqual(sent);
  });

  it('under overload a request gets 429 + Retry-After and nothing of it is written; every 202 is written exactly once', async () => {
    const requests = Array.from({ length: 40 }, (_, i) =>
      Array.from({ length: 100 }, () => event(`S${i % 7}`)),
    );
    const answers = await Promise.all(requests.map((b) => post(small, b)));
    const accepted = requests.filter((_, i) => answers[i]?.status === 202);
    const refused = answers.filter((a) => a.status === 429);
    expect(accepted.length + refused.length).toBe(requests.length);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((a) => a.retryAfter === '1')).toBe(true);
    const sent = accepted
      .flat()
      .map((e) => e.event_id)
      .sort();
    const seen = await committedIds(topics[1] as string, sent.length);
    expect(seen.sort()).toEqual(sent);
  });
});
