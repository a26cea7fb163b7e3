/**
 * Issue 11, "a fast-clock client": ingest accepts events up to EVENT_MAX_FUTURE_MS (5 min) ahead of
 * its own clock, and the processors' windows close 5 s + the allowed lateness after the watermark.
 * One client whose clock runs 4 minutes fast must not make another client's on-time events late.
 * End to end on the real path — the ingest endpoint (its Kafka timestamps are the acceptance
 * time), Kafka, the rolling-hour processor (one-minute hops, so 4 minutes ahead would close the
 * on-time events' windows if the watermark followed event times) — with the client clocks set by
 * the test: the fast client posts first, then the on-time client, then a client really late
 * (10 minutes behind), which proves the late path is live in the same run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from 'prom-client';
import { resolveApiConfig } from '../../api/config.js';
import { ingestModule } from '../../api/routes/ingest.js';
import { startApiServer } from '../../api/server.js';
import type { ApiServer } from '../../api/server.js';
import { createKafka } from '../../lib/kafka/index.js';
import { uuidv7 } from '../../lib/uuid.js';
import { runProcessors } from '../../processors/app.js';
import type { RunningProcessors } from '../../processors/app.js';
import { createTopic, deleteTopics } from '../../bench/lib/sale-events.js';
import { bearer, testTokens, tokenConfig } from '../helpers/api-tokens.js';
import { uniqueName } from '../helpers/env.js';
import { waitUntil } from '../sinks/core/contract.suite.js';

/** A port of this test's own (the helper range 19700-19799). */
const PORT = 19_711;
const MINUTE = 60_000;
const N = 20;
const tokens = testTokens();

/** N events of one client, stamped by that client's clock (`skewMs` from the true time). */
function clientEvents(store: string, skewMs: number) {
  const now = Date.now() + skewMs;
  return Array.from({ length: N }, (_, i) => ({
    event_id: uuidv7(),
    event_time: now - i * 100,
    store_id: store,
    sku: `SKU-${i}`,
    quantity: 1,
    unit_price_cents: 100,
    currency: 'EUR',
    channel: 'store',
    payment_type: 'card',
    customer_id: null,
    basket_id: `B-${store}-${i}`,
  }));
}

async function outcomes(registry: Registry): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'retail_processor_records_total');
  const out: Record<string, number> = {};
  for (const v of (metric?.values ?? []) as { labels: Record<string, string>; value: number }[])
    if (v.labels['processor'] === 'rolling') out[v.labels['outcome'] ?? '?'] = v.value;
  return out;
}

describe('a client with a fast clock', () => {
  const base = uniqueName('fastclock');
  const topics = {
    input: `${base}.sales`,
    hourly: `${base}.hourly`,
    topSkus: `${base}.top`,
    rolling: `${base}.rolling`,
    late: `${base}.late`,
    dlq: `${base}.dlq`,
  };
  let api: ApiServer | undefined;
  let processors: RunningProcessors | undefined;

  beforeAll(async () => {
    // One partition: both clients share one watermark, the case where a fast clock would hurt.
    await createTopic(topics.input, 1);
    api = await startApiServer(
      resolveApiConfig({ port: PORT, topic: topics.input, maxBodyBytes: 1024 * 1024 }, {}),
      { modules: [ingestModule()], http: tokenConfig(tokens) },
    );
    await waitUntil(async () => (await fetch(`${api?.url}/readyz`)).status === 200, 20_000, 'ingest ready');
    processors = await runProcessors(['rolling'], {
      inputTopic: topics.input,
      hourlyTopic: topics.hourly,
      topSkusTopic: topics.topSkus,
      rollingTopic: topics.rolling,
      lateTopic: topics.late,
      dlqTopic: topics.dlq,
      groupPrefix: `${base}-g`,
      outOfOrderMs: 5_000,
      allowedLatenessMs: MINUTE,
      metricsPort: 0,
    });
  });

  afterAll(async () => {
    const changelog = processors?.topology.changelogTopic;
    await processors?.stop();
    await api?.close();
    await deleteTopics([...Object.values(topics), ...(changelog ? [changelog] : [])]);
  });

  it('does not make other clients’ on-time events late; a truly late client is', async () => {
    const post = async (events: ReturnType<typeof clientEvents>) => {
      const res = await fetch(`${api?.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(tokens.ingest) },
        body: JSON.stringify(events),
      });
      expect(res.status).toBe(202);
    };
    const registry = (processors as RunningProcessors).registry;
    // The fast client first, and processed first: a watermark that followed event times would
    // now stand near true time + 4 min, past the close of every window of the next client's events.
    await post(clientEvents('FAST', 4 * MINUTE));
    await waitUntil(
      async () => ((await outcomes(registry))['accepted'] ?? 0) >= N,
      60_000,
      'the fast events',
    );
    await post(clientEvents('ONTIME', 0));
    await post(clientEvents('BEHIND', -10 * MINUTE));
    await waitUntil(
      async () => {
        const o = await outcomes(registry);
        return (o['accepted'] ?? 0) + (o['late'] ?? 0) >= 3 * N;
      },
      60_000,
      'all events processed',
    );
    // The fast client's and the on-time client's events are counted; the one 10 minutes behind is late.
    const o = await outcomes(registry);
    expect({ accepted: o['accepted'], late: o['late'], invalid: o['invalid'] ?? 0 }).toEqual({
      accepted: 2 * N,
      late: N,
      invalid: 0,
    });
    // The late topic holds exactly the late client's events, none of the on-time client's.
    const kafka = createKafka('test-fast-clock');
    const consumer = kafka.consumer({ groupId: uniqueName('fastclock-read') });
    const stores: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: topics.late, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          stores.push(message.key?.toString('utf8') ?? '');
        },
      });
      await waitUntil(async () => stores.length >= N, 30_000, 'the late records');
    } finally {
      await consumer.disconnect();
    }
    expect(stores).toHaveLength(N);
    expect(new Set(stores)).toEqual(new Set(['BEHIND']));
  });
});
