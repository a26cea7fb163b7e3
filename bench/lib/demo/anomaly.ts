/**
 * The demo's sales anomaly (docs/anomalies.md): one store, S9001, that the generator does not
 * sell in, gets steady past hours — enough for the anomalies operator to score an hour against
 * (`anomalyMinHistory` points `anomalySeasonHours` apart, at least 16 hours) — then one hour at ×5
 * (the generator's own injection scaling, producer/anomaly.ts) and one normal hour after it, whose
 * events close the ×5 hour by the watermark. They are written to the demo pipeline's raw topic
 * before its processes start (the chaos pipeline's beforeStart hook), so they come first in their
 * partition and nothing of them is late. The ×5 hour ends an hour before the demo starts: it is
 * scored as soon as the processors have read the history, and the demo shows the row in
 * `sales_anomalies` and the processors' counter `retail_processor_anomalies_total`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { createRegistry, SaleEventSerde } from '../../../lib/contracts/event/serde.js';
import type { SaleEvent } from '../../../lib/contracts/event/schema.js';
import type { Kafka } from '../../../lib/kafka/index.js';
import { uuidv7 } from '../../../lib/uuid.js';
import { scaleQuantity } from '../../../producer/anomaly.js';

const HOUR = 3_600_000;
export const ANOMALY_STORE = 'S9001';
export const ANOMALY_FACTOR = 5;
/** Hours of history at least (the brief of issue 15: "16 past hours"); more when the season needs it. */
export const MIN_HISTORY_HOURS = 16;

export interface AnomalyPlan {
  store: string;
  factor: number;
  /** Start of the ×factor hour (epoch ms). */
  hour: number;
  /** Normal hours before it. */
  historyHours: number;
  events: SaleEvent[];
}

/**
 * The events of the plan: `historyHours` normal hours, the ×factor hour, one normal hour. At
 * `now`, the ×factor hour is the one that ended an hour ago (so the hour after it is over too).
 */
export function anomalyPlan(
  options: { anomalyMinHistory: number; anomalySeasonHours: number },
  now: number,
): AnomalyPlan {
  const historyHours = Math.max(MIN_HISTORY_HOURS, options.anomalyMinHistory * options.anomalySeasonHours);
  const hour = Math.floor(now / HOUR) * HOUR - 2 * HOUR;
  const events: SaleEvent[] = [];
  for (let k = -historyHours; k <= 1; k++) {
    const start = hour + k * HOUR;
    // 18–22 lines an hour, one unit each at 4.00: a steady store with a little noise.
    const lines = 18 + ((((k * 7) % 5) + 5) % 5);
    for (let i = 0; i < lines; i++) {
      const t = start + Math.floor(((i + 0.5) * HOUR) / lines);
      const id = uuidv7(t);
      events.push({
        event_id: id,
        event_time: t,
        store_id: ANOMALY_STORE,
        sku: `SKU-${i % 4}`,
        quantity: k === 0 ? scaleQuantity(1, ANOMALY_FACTOR) : 1,
        unit_price_cents: 400,
        currency: 'EUR',
        channel: 'store',
        payment_type: 'card',
        customer_id: null,
        basket_id: `demo-anomaly-${id}`,
      });
    }
  }
  return { store: ANOMALY_STORE, factor: ANOMALY_FACTOR, hour, historyHours, events };
}

/** Encode (Avro, the registry's schema) and write the plan's events to `topic`, keyed by store. */
export async function writeAnomalyHistory(
  kafka: Kafka,
  topic: string,
  registryUrl: string | undefined,
  plan: AnomalyPlan,
): Promise<void> {
  const serde = new SaleEventSerde(createRegistry(registryUrl));
  await serde.register();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const messages = plan.events.map((e) => ({ key: e.store_id, value: serde.encode(e) }));
    for (let i = 0; i < messages.length; i += 2_000)
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2_000) });
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

export interface AnomalyRow {
  metric: string;
  direction: string;
  observed: number;
  expected: number;
  score: number;
}

export interface AnomalyShown {
  store: string;
  hour: number;
  /** The rows of `sales_anomalies` for the store's ×factor hour. */
  rows: AnomalyRow[];
  /** retail_processor_anomalies_total{store, metric="units", direction="up"} of the processors. */
  counter: number;
}

/** `retail_processor_anomalies_total{store="…",metric="units",direction="up"}` in a /metrics text. */
export function anomalyCounter(text: string, store: string): number {
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(`retail_processor_anomalies_total{store="${store}",metric="units",direction="up"} `),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * Wait (up to `timeoutS`) until the aggregate sink has stored the ×factor hour's units row and the
 * processors count it; what was found by then.
 */
export async function awaitAnomaly(
  db: pg.Client,
  schema: string,
  plan: AnomalyPlan,
  metrics: () => Promise<string>,
  timeoutS: number,
): Promise<AnomalyShown> {
  const deadline = Date.now() + timeoutS * 1000;
  let shown: AnomalyShown = { store: plan.store, hour: plan.hour, rows: [], counter: 0 };
  for (;;) {
    const r = await db
      .query<AnomalyRow>(
        `SELECT metric, direction, observed, expected, score FROM "${schema}".sales_anomalies
          WHERE store_id = $1 AND window_start = to_timestamp($2::double precision / 1000)
          ORDER BY metric`,
        [plan.store, plan.hour],
      )
      .catch(() => ({ rows: [] as AnomalyRow[] }));
    // A restarting processors process has no /metrics for a moment: try again.
    const counter = anomalyCounter(await metrics().catch(() => ''), plan.store);
    shown = { ...shown, rows: r.rows, counter };
    const units = r.rows.some((x) => x.metric === 'units' && x.direction === 'up');
    if ((units && counter > 0) || Date.now() > deadline) return shown;
    await sleep(1000);
  }
}

/** The demo's lines for it: the table rows and the counter. */
export function formatAnomaly(a: AnomalyShown): string {
  const at = new Date(a.hour).toISOString().slice(0, 16).replace('T', ' ');
  const lines = [
    `  sales_anomalies, store ${a.store}, hour ${at} UTC:`,
    '    metric    direction   observed   expected   score',
    ...a.rows.map(
      (r) =>
        `    ${r.metric.padEnd(9)} ${r.direction.padEnd(9)} ${String(Math.round(r.observed)).padStart(10)} ${String(Math.round(r.expected)).padStart(10)} ${r.score.toFixed(1).padStart(7)}`,
    ),
  ];
  if (a.rows.length === 0) lines.push('    (no row)');
  lines.push(
    `  processors: retail_processor_anomalies_total{store="${a.store}",metric="units",direction="up"} ${a.counter}`,
  );
  return lines.join('\n');
}
