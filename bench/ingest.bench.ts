/**
 * HTTP ingest: requests/s and latency of POST /v1/events with 100-event JSON batches, against a
 * `retail-etl serve` process, from 16 concurrent keep-alive clients in this process (the load
 * generator shares the 2 cores with the server and Kafka, so this is a floor).
 */
import { randomUUID } from 'node:crypto';
import { createKafka } from '../lib/kafka/index.js';
import { uuidv7 } from '../lib/uuid.js';
import type { Benchmark } from './harness.js';
import { percentile } from './harness.js';
import { startCli, waitReady } from '../stack/cli-process.js';
import { freePort } from '../stack/net.js';
import { generateToken } from '../lib/http/tokens.js';

const BATCH = 100;
const CONCURRENCY = 16;

function body(now: number): string {
  const events = Array.from({ length: BATCH }, (_, i) => ({
    event_id: uuidv7(),
    event_time: now - i,
    store_id: `S${String(1 + (i % 50)).padStart(4, '0')}`,
    sku: `SKU-${String(1 + ((i * 37) % 2000)).padStart(6, '0')}`,
    quantity: 1 + (i % 3),
    unit_price_cents: 199 + i,
    currency: 'EUR',
    channel: 'online',
    payment_type: 'card',
    customer_id: `C${i}`,
    basket_id: `B-${now}-${Math.floor(i / 4)}`,
  }));
  return JSON.stringify(events);
}

const bench: Benchmark = {
  name: 'ingest',
  title: 'HTTP ingest: POST /v1/events with 100-event batches',
  async run(ctx) {
    const seconds = ctx.quick ? 5 : 20;
    const topic = `bench-ingest-${randomUUID().slice(0, 8)}`;
    const port = await freePort();
    // A token of its own: the server under test accepts it, and so does nothing else.
    const token = generateToken();
    const proc = startCli(['serve', '--port', String(port), '--topic', topic], {
      logLevel: 'warn',
      env: { RETAIL_TOKEN_INGEST: token },
    });
    try {
      await waitReady(port, proc);
      const url = `http://127.0.0.1:${port}/v1/events`;
      // Bodies prepared up front so the clients measure the server, not JSON.stringify.
      const bodies = Array.from({ length: 64 }, (_, i) => body(Date.now() - i * 1000));
      const latencies: number[] = [];
      let failures = 0;
      const post = async (i: number) => {
        const t = performance.now();
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: bodies[i % bodies.length],
        });
        await res.arrayBuffer();
        if (res.status === 202) latencies.push(performance.now() - t);
        else failures++;
      };
      // Warm-up (connections, JIT), not counted.
      for (let i = 0; i < 50; i++) await post(i);
      latencies.length = 0;
      const start = performance.now();
      const end = start + seconds * 1000;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, w) => {
          for (let i = w; performance.now() < end; i += CONCURRENCY) await post(i);
        }),
      );
      const elapsed = (performance.now() - start) / 1000;
      const sorted = [...latencies].sort((a, b) => a - b);
      const rps = latencies.length / elapsed;
      ctx.log(`${latencies.length} requests in ${elapsed.toFixed(1)} s, ${failures} failed`);
      return [
        {
          name: 'ingest.requests_per_s',
          value: rps,
          unit: 'requests/s',
          p50: percentile(sorted, 50),
          p95: percentile(sorted, 95),
          p99: percentile(sorted, 99),
          notes: `latency percentiles in ms; ${BATCH} events per request, ${CONCURRENCY} concurrent clients, ${failures} non-202 answers`,
        },
        {
          name: 'ingest.events_per_s',
          value: rps * BATCH,
          unit: 'events/s',
          notes: 'validated, Avro-encoded and acknowledged by Kafka (acks=all, idempotent)',
        },
        {
          name: 'ingest.latency_p95_ms',
          value: percentile(sorted, 95),
          unit: 'ms',
          notes: 'request to 202 answer',
        },
      ];
    } finally {
      await proc.stop();
      const admin = createKafka('bench-ingest').admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  },
};

export default bench;
