/**
 * Rounds of updates to the same aggregate keys, for the aggregate rebalance suite: every round
 * sends a new value of every hourly and rolling key and a new ranking of every top-SKUs hour, on
 * their own topics, keyed as the processors key them. Values depend on the round, so a stale
 * record differs from the latest one; each round's ranking lists other SKUs than the round before,
 * so a stale ranking left beside the latest one shows as extra rows (not only as other values).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { hourlyKey, rollingKey, topSkusKey } from '../../../lib/contracts/aggregates/keys.js';
import { createKafka } from '../../../lib/kafka/index.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const BASE = Date.UTC(2026, 0, 1);
const STORES = Array.from({ length: 12 }, (_, i) => `S${String(i).padStart(4, '0')}`);
const iso = (ms: number) => new Date(ms).toISOString();

export interface AggTopics {
  hourly: string;
  topSkus: string;
  rolling: string;
}

type Message = { key: string; value: string };

/** One round's records per topic (round ≥ 0): 144 hourly, 12 top-SKUs and 120 rolling records. */
export function round(r: number): { hourly: Message[]; topSkus: Message[]; rolling: Message[] } {
  const hourly: Message[] = [];
  const rolling: Message[] = [];
  const topSkus: Message[] = [];
  for (const [s, store_id] of STORES.entries()) {
    for (let h = 0; h < 3; h++)
      for (let k = 0; k < 4; k++) {
        const id = { store_id, sku: `K${k}`, window_start: BASE + h * HOUR };
        const quantity = 1 + ((r * 7 + s + k) % 50);
        hourly.push({
          key: hourlyKey(id),
          value: JSON.stringify({
            ...id,
            window_start: iso(id.window_start),
            window_end: iso(id.window_start + HOUR),
            quantity,
            revenue_cents: String(quantity * (1000 + r)),
            returns: r % 3,
            orders: 1 + (r % 9),
            events: quantity,
            final: r % 2 === 1,
          }),
        });
      }
    for (let m = 1; m <= 10; m++) {
      const id = { store_id, window_end: BASE + m * MINUTE };
      const quantity = 1 + ((r * 5 + s + m) % 70);
      rolling.push({
        key: rollingKey(id),
        value: JSON.stringify({
          ...id,
          window_start: iso(id.window_end - HOUR),
          window_end: iso(id.window_end),
          quantity,
          revenue_cents: String(quantity * (2000 + r)),
          orders: 1 + (r % 11),
        }),
      });
    }
  }
  for (let h = 0; h < 12; h++) {
    const window_start = BASE + h * HOUR;
    // Five distinct SKUs a round (steps of 3 modulo 40), another five the next round.
    const top = Array.from({ length: 5 }, (_, i) => ({
      rank: i + 1,
      sku: `K${(r * 7 + h + i * 3) % 40}`,
      revenue_cents: String((5 - i) * 100_000 + r),
      quantity: 50 - i * 5 + (r % 5),
    }));
    topSkus.push({
      key: topSkusKey({ window_start }),
      value: JSON.stringify({ window_start: iso(window_start), window_end: iso(window_start + HOUR), top }),
    });
  }
  return { hourly, topSkus, rolling };
}

export const RECORDS_PER_ROUND = 144 + 12 + 120;

export interface UpdateStream {
  /** Records sent so far (acknowledged by all in-sync replicas). */
  readonly sent: number;
  /** Resolves when every round is sent; rejects on a producer error. */
  done: Promise<void>;
}

/** Send rounds `from`…`to − 1`, one every `intervalMs` (0: all at once). */
export function produceRounds(topics: AggTopics, from: number, to: number, intervalMs: number): UpdateStream {
  const state = { sent: 0 };
  const done = (async () => {
    const producer = createKafka('test-agg-updates').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let r = from; r < to; r++) {
        const started = Date.now();
        const records = round(r);
        await producer.sendBatch({
          acks: -1,
          topicMessages: [
            { topic: topics.hourly, messages: records.hourly },
            { topic: topics.topSkus, messages: records.topSkus },
            { topic: topics.rolling, messages: records.rolling },
          ],
        });
        state.sent += RECORDS_PER_ROUND;
        if (intervalMs > 0) await sleep(Math.max(0, intervalMs - (Date.now() - started)));
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
