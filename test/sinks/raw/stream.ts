/**
 * Helpers of the raw sinks' fault tests (Postgres and ClickHouse, and the suites that drive a
 * spawned sink): a stream of known events produced over time (so rebalances and outages happen
 * while records are still arriving), and a spawned sink's metrics.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../../../lib/kafka/index.js';
import { createRegistry, SaleEventSerde } from '../../../lib/contracts/event/serde.js';
import type { SaleEvent } from '../../../lib/contracts/event/schema.js';
import type { SinkChild } from '../../helpers/sink-process.js';

export interface EventStream {
  /** Events sent so far (acknowledged by all in-sync replicas). */
  readonly sent: number;
  /** Resolves when every event is sent; rejects on a producer error. */
  done: Promise<void>;
}

/** Send `events` in chunks of `chunk`, one chunk every `intervalMs`, keyed by store. */
export function produceStream(
  topic: string,
  events: SaleEvent[],
  o: { chunk: number; intervalMs: number },
): EventStream {
  const state = { sent: 0 };
  const done = (async () => {
    const serde = new SaleEventSerde(createRegistry());
    await serde.register();
    const producer = createKafka('test-stream').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < events.length; i += o.chunk) {
        const started = Date.now();
        const slice = events.slice(i, i + o.chunk);
        await producer.send({
          topic,
          acks: -1,
          messages: slice.map((e) => ({ key: e.store_id, value: serde.encode(e) })),
        });
        state.sent += slice.length;
        await sleep(Math.max(0, o.intervalMs - (Date.now() - started)));
      }
    } finally {
      await producer.disconnect();
    }
  })();
  done.catch(() => undefined);
  return {
    get sent() {
      return state.sent;
    },
    done,
  };
}

/** The metrics port a spawned sink logged at start (it runs with metricsPort 0). */
export async function metricsPort(sink: SinkChild, timeoutMs = 60_000): Promise<number> {
  await sink.waitForLog(/"msg":"sink running"/, timeoutMs);
  for (const line of sink.log) {
    if (!line.includes('"msg":"sink running"')) continue;
    const port = (JSON.parse(line) as { metricsPort?: unknown }).metricsPort;
    if (typeof port === 'number') return port;
  }
  throw new Error('no metricsPort in the "sink running" log line');
}

/** Sum of one metric's samples whose labels contain `labels` (0 when absent). */
export async function metricValue(
  port: number,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const l = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}
