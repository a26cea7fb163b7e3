import { request } from 'node:http';
import type { Kafka } from '../../lib/kafka/index.js';
import { createKafka } from '../../lib/kafka/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveApiConfig } from '../../api/config.js';
import type { ApiServer } from '../../api/server.js';
import { ingestModule } from '../../api/routes/ingest.js';
import { startApiServer } from '../../api/server.js';
import type { SaleEvent } from '../../lib/contracts/event/schema.js';
import { createRegistry, SaleEventSerde } from '../../lib/contracts/event/serde.js';
import { uuidv7 } from '../../lib/uuid.js';
import { freePort } from '../../stack/net.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { topicSize } from '../helpers/kafka.js';
import { bearer, testTokens, tokenConfig } from '../helpers/api-tokens.js';

const tokens = testTokens();
const http = tokenConfig(tokens);

const event = (over: Partial<Record<keyof SaleEvent, unknown>> = {}): Record<string, unknown> => ({
  event_id: uuidv7(),
  event_time: Date.now() - 1000,
  store_id: 'S0001',
  sku: 'SKU-000042',
  quantity: 2,
  unit_price_cents: 1999,
  currency: 'EUR',
  channel: 'store',
  payment_type: 'card',
  customer_id: null,
  basket_id: 'B-1',
  ...over,
});

async function post(
  url: string,
  body: string,
  contentType = 'application/json',
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...bearer(tokens.ingest) },
    body,
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

async function readAll(kafka: Kafka, topic: string, expected: number): Promise<Buffer[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('ingest-test'), maxWaitTimeInMs: 200 });
  const out: Buffer[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) out.push(message.value);
        if (out.length >= expected) resolve();
      },
    });
  });
  await consumer.disconnect();
  return out;
}

describe('POST /v1/events against real Kafka and the registry', () => {
  const env = stackEnv();
  const topic = uniqueName('ingest');
  const kafka = createKafka('ingest-test');
  let api: ApiServer;

  beforeAll(async () => {
    // Only the ingest module: other modules' readiness (queries, panel…) is their tests' business.
    api = await startApiServer(resolveApiConfig({ port: 0, topic, maxBodyBytes: 1024 * 1024 }, {}), {
      modules: [ingestModule()],
      http,
    });
    // Ready once connected to Kafka and the schema is registered.
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${api.url}/readyz`)).status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    await api.close();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('answers /healthz, /readyz and /metrics', async () => {
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toContain('retail_ingest_requests_total');
  });

  it('accepts a JSON array and an NDJSON body with 202 and the count; a consumer decodes them through the registry', async () => {
    const batch = Array.from({ length: 100 }, (_, i) =>
      event({ basket_id: `B-${i}`, store_id: `S${i % 7}` }),
    );
    const a = await post(api.url, JSON.stringify(batch));
    expect(a.status).toBe(202);
    expect(a.json).toEqual({ accepted: 100 });
    const lines = Array.from({ length: 20 }, () => event({ channel: 'online', customer_id: 'C1' }));
    const b = await post(
      api.url,
      lines.map((l) => JSON.stringify(l)).join('\n') + '\n',
      'application/x-ndjson',
    );
    expect(b.status).toBe(202);
    expect(b.json).toEqual({ accepted: 20 });

    const values = await readAll(kafka, topic, 120);
    const serde = new SaleEventSerde(createRegistry(env.SCHEMA_REGISTRY_URL));
    const decoded = await Promise.all(values.map((v) => serde.decode(v)));
    const byId = new Map(decoded.map((e) => [e.event_id, e]));
    expect(byId.size).toBe(120);
    for (const sent of [...batch, ...lines]) expect(byId.get(sent.event_id as string)).toEqual(sent);
  });

  it('400 lists every invalid event by index with its reasons, and writes nothing', async () => {
    const before = await topicSize(kafka, topic);
    const batch = [
      event(),
      event({ unit_price_cents: -5 }),
      event(),
      { ...event(), colour: 'red' },
      event({ quantity: '2' }),
      event({ event_time: Date.now() + 86_400_000 }),
    ];
    const res = await post(api.url, JSON.stringify(batch));
    expect(res.status).toBe(400);
    expect(res.json['error']).toBe('EVENT_INVALID');
    expect(res.json['accepted']).toBe(0);
    expect(res.json['invalid']).toEqual([
      { index: 1, problems: [{ field: 'unit_price_cents', reason: 'must be ≥ 0' }] },
      { index: 3, problems: [{ field: 'colour', reason: 'unknown field' }] },
      { index: 4, problems: [{ field: 'quantity', reason: 'must be an integer, got string' }] },
      { index: 5, problems: [{ field: 'event_time', reason: 'is more than 300 s in the future' }] },
    ]);
    expect(await topicSize(kafka, topic)).toBe(before);
  });

  it('hostile strings: controls, bidi and lone surrogates are a 400 naming index, field and character; separators, quotes and emoji are accepted', async () => {
    const before = await topicSize(kafka, topic);
    const hostile = [
      event({ sku: 'SKU-\u0000-1' }),
      event({ store_id: 'S\u202e1' }),
      event({ basket_id: 'B\tB' }),
      event({ customer_id: 'C\ud83d' }),
      event({ store_id: 'S|1', sku: 'a"b\\c|d', basket_id: '🛒'.repeat(64) }),
    ];
    const res = await post(api.url, JSON.stringify(hostile));
    expect(res.status).toBe(400);
    expect(res.json['accepted']).toBe(0);
    expect(res.json['invalid']).toEqual([
      { index: 0, problems: [{ field: 'sku', reason: 'contains a NUL character (U+0000) at position 4' }] },
      {
        index: 1,
        problems: [{ field: 'store_id', reason: 'contains the control character U+202E at position 1' }],
      },
      {
        index: 2,
        problems: [{ field: 'basket_id', reason: 'contains the control character U+0009 at position 1' }],
      },
      {
        index: 3,
        problems: [
          {
            field: 'customer_id',
            reason: 'contains a lone surrogate (U+D83D) at position 1: not valid Unicode',
          },
        ],
      },
    ]);
    expect(await topicSize(kafka, topic)).toBe(before);
    const fine = await post(api.url, JSON.stringify(hostile.slice(4)));
    expect(fine.status).toBe(202);
    // One event and its transaction's commit marker.
    expect(await topicSize(kafka, topic)).toBe(before + 2);
  });

  it('400 MALFORMED_BODY for a body that is not valid UTF-8, and nothing is written', async () => {
    const before = await topicSize(kafka, topic);
    const good = Buffer.from(JSON.stringify([event()]));
    const broken = Buffer.concat([good.subarray(0, 20), Buffer.from([0xc3, 0x28]), good.subarray(20)]);
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(tokens.ingest) },
      body: broken,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'MALFORMED_BODY',
      message: 'the body is not valid UTF-8 (first invalid byte at offset 20)',
    });
    expect(await topicSize(kafka, topic)).toBe(before);
  });

  it('400 for malformed JSON (with the parser’s position) and for a bad NDJSON line (with its index and line)', async () => {
    const before = await topicSize(kafka, topic);
    const res = await post(api.url, '[{"event_id": "x",]');
    expect(res.status).toBe(400);
    expect(res.json['error']).toBe('MALFORMED_BODY');
    expect(String(res.json['message'])).toMatch(/not valid JSON.*position/);
    const nd = await post(
      api.url,
      `${JSON.stringify(event())}\n{oops\n${JSON.stringify(event())}\n`,
      'application/x-ndjson',
    );
    expect(nd.status).toBe(400);
    expect(nd.json['invalid']).toEqual([
      {
        index: 1,
        line: 2,
        problems: [
          { field: '(event)', reason: expect.stringMatching(/^line 2 is not valid JSON/) as string },
        ],
      },
    ]);
    expect((await post(api.url, '   ')).json['error']).toBe('MALFORMED_BODY');
    expect((await post(api.url, '42')).status).toBe(400);
    expect(await topicSize(kafka, topic)).toBe(before);
  });

  it('415 for a content type that is not JSON, 405 for GET', async () => {
    const res = await post(api.url, '<events/>', 'application/xml');
    expect(res.status).toBe(415);
    expect(res.json['error']).toBe('UNSUPPORTED_MEDIA_TYPE');
    const get = await fetch(`${api.url}/v1/events`, { headers: bearer(tokens.ingest) });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('413 for a declared oversized body, at once', async () => {
    const res = await post(api.url, JSON.stringify(Array.from({ length: 6000 }, () => event())));
    expect(res.status).toBe(413);
    expect(res.json['error']).toBe('BODY_TOO_LARGE');
  });

  it('413 for a 50 MB chunked upload, refused while streaming: the server does not buffer it', async () => {
    const before = await topicSize(kafka, topic);
    const rssBefore = process.memoryUsage().rss;
    const { port } = new URL(api.url);
    const result = await new Promise<{ status: number; body: string; sentMb: number }>((resolve, reject) => {
      let sent = 0;
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/v1/events',
          method: 'POST',
          headers: { 'content-type': 'application/json', ...bearer(tokens.ingest) },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, sentMb: sent / 1e6 }));
        },
      );
      req.on('error', (err) => {
        // The server closes the connection after its 413; a write may race with that close.
        if (
          (err as NodeJS.ErrnoException).code !== 'EPIPE' &&
          (err as NodeJS.ErrnoException).code !== 'ECONNRESET'
        )
          reject(err);
      });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const pump = () => {
        while (sent < 50 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      req.write('[');
      pump();
    });
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'BODY_TOO_LARGE', limit: 1024 * 1024 });
    // The upload stopped well before 50 MB, and memory did not grow by anything like 50 MB.
    expect(result.sentMb).toBeLessThan(50);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(40 * 1024 * 1024);
    expect(await topicSize(kafka, topic)).toBe(before);
  });

  it('503 with Retry-After when Kafka is unreachable (a server pointed at a dead broker)', async () => {
    const dead = await freePort();
    const down = await startApiServer(resolveApiConfig({ port: 0, topic, kafkaTimeoutMs: 500 }, {}), {
      modules: [ingestModule({ brokers: [`127.0.0.1:${dead}`] })],
      http,
    });
    try {
      expect((await fetch(`${down.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${down.url}/readyz`)).status).toBe(503);
      const res = await post(down.url, JSON.stringify([event()]));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.json).toMatchObject({ error: 'KAFKA_UNAVAILABLE', retriable: true, accepted: 0 });
      // Invalid input is still a 400: validation does not need Kafka.
      expect((await post(down.url, JSON.stringify([event({ currency: 'euro' })]))).status).toBe(400);
    } finally {
      await down.close();
    }
  });
});
