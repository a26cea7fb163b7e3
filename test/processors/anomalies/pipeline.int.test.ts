/**
 * Sales anomalies end to end on the real stack: Avro sale events in a topic of their own (four
 * stores, 22 hours of steady sales after 5 days of the same — the history the default daily season
 * needs: the same hour of at least 5 past days), the real topology with the anomalies operator (which brings
 * hourly) in this process, and the aggregate sink into a fresh Postgres schema (migrated). Store S1's
 * hour 16 is multiplied ×5 by the generator's injection (producer/anomaly.ts); every other
 * store-hour is normal data. `sales_anomalies` must hold S1's hour 16 (revenue and units, up) and
 * nothing else, and the processor's counter must say the same.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partitioners, createKafka } from '../../../lib/kafka/index.js';
import type { Admin } from '../../../lib/kafka/index.js';
import { SaleEventSerde, createRegistry } from '../../../lib/contracts/event/serde.js';
import type { SaleEvent } from '../../../lib/contracts/event/schema.js';
import { uuidv7 } from '../../../lib/uuid.js';
import { runProcessors } from '../../../processors/app.js';
import type { RunningProcessors } from '../../../processors/app.js';
import { injects, scaleQuantity } from '../../../producer/anomaly.js';
import type { AnomalyInjection } from '../../../producer/anomaly.js';
import { startAggregatesProcess } from '../../../sinks/aggregates/run.js';
import type { AggregatesProcess } from '../../../sinks/aggregates/run.js';
import { deletePrefixed } from '../../../bench/lib/kafka-cleanup.js';
import { stackEnv, uniqueName } from '../../helpers/env.js';
import { waitCommittedAtEnd } from '../../sinks/core/committed.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 3, 7, 0, 0, 0);
const HOURS = 22;
/** History before T0: the default season (24 h) scores an hour once 5 past days have it. */
const FIRST = -5 * 24;
const STORES = ['S1', 'S2', 'S3', 'S4'];
const INJECTION: AnomalyInjection = { store: 'S1', factor: 5, from: T0 + 16 * HOUR, until: T0 + 17 * HOUR };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 20–22 one-unit lines per store and hour at 250 cents, spread over the hour; the injection applied. */
function input(): SaleEvent[] {
  const out: SaleEvent[] = [];
  for (let h = FIRST; h < HOURS; h++)
    for (const [s, store] of STORES.entries()) {
      const lines = 20 + ((((h + s) % 3) + 3) % 3);
      for (let i = 0; i < lines; i++) {
        const t = T0 + h * HOUR + Math.floor(((i + 0.5) * HOUR) / lines);
        out.push({
          event_id: uuidv7(t),
          event_time: t,
          store_id: store,
          sku: `SKU-${i % 4}`,
          quantity: injects(INJECTION, store, t) ? scaleQuantity(1, INJECTION.factor) : 1,
          unit_price_cents: 250,
          currency: 'EUR',
          channel: 'store',
          payment_type: 'card',
          customer_id: null,
          basket_id: `B-${store}-${h}-${i}`,
        });
      }
    }
  return out;
}

describe('sales anomalies: an injected anomaly reaches sales_anomalies, normal data does not', () => {
  const env = stackEnv();
  const base = uniqueName('anom');
  const schema = uniqueName('anom');
  const topics = {
    input: `${base}.sales`,
    hourly: `${base}.hourly`,
    anomalies: `${base}.anomalies`,
    late: `${base}.late`,
    dlq: `${base}.dlq`,
  };
  let admin: Admin;
  let db: pg.Client;
  let processors: RunningProcessors | undefined;
  let sink: AggregatesProcess | undefined;
  let rows: {
    store_id: string;
    hour: number;
    metric: string;
    direction: string;
    observed: number;
    expected: number;
  }[] = [];

  beforeAll(async () => {
    process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
    const kafka = createKafka(uniqueName('anom-test'));
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: topics.input, numPartitions: 3, replicationFactor: 1 }],
    });
    const serde = new SaleEventSerde(createRegistry(env.SCHEMA_REGISTRY_URL));
    await serde.register();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    await producer.connect();
    const messages = input().map((e) => ({ key: e.store_id, value: serde.encode(e) }));
    for (let i = 0; i < messages.length; i += 2_000)
      await producer.send({ topic: topics.input, acks: -1, messages: messages.slice(i, i + 2_000) });
    await producer.disconnect();

    const url = new URL(env.DATABASE_ADMIN_URL);
    url.pathname = new URL(env.DATABASE_URL).pathname;
    db = new pg.Client({ connectionString: url.toString() });
    await db.connect();

    processors = await runProcessors(['anomalies'], {
      inputTopic: topics.input,
      hourlyTopic: topics.hourly,
      anomaliesTopic: topics.anomalies,
      lateTopic: topics.late,
      dlqTopic: topics.dlq,
      groupPrefix: `${base}-g`,
      allowedLatenessMs: 60_000,
      // The default anomaly options (the same hour of the last 7 days, scored from 5).
      metricsPort: 0,
    });
    sink = await startAggregatesProcess({
      target: 'postgres',
      databaseUrl: url.toString(),
      migrate: true,
      schema,
      hourlyTopic: topics.hourly,
      topSkusTopic: `${base}.top`,
      rollingTopic: `${base}.rolling`,
      anomaliesTopic: topics.anomalies,
      dlqTopic: topics.dlq,
      groupId: `${base}-sink`,
      metricsPort: 0,
      maxWaitMs: 100,
    });

    // Hours 0..20 close (hour 21's last events push every watermark past 21:00 + 60 s); the last
    // of them is scored once hourly has closed it: wait for the processors' scored counter, then
    // for the sink to hold every anomaly record.
    const scored = async () => {
      const text = await processors?.registry.getSingleMetricAsString(
        'retail_processor_anomaly_hours_scored_total',
      );
      return Number(/metric="units"} (\d+)/.exec(text ?? '')?.[1] ?? 0);
    };
    // Each store is scored from hour 0 (5 past days) to hour 20: 21 hours × 4 stores.
    const want = 21 * STORES.length;
    for (const deadline = Date.now() + 60_000; (await scored()) < want && Date.now() < deadline;)
      await sleep(250);
    expect(await scored()).toBe(want);
    // Scored is counted when the records are produced, inside the task's open transaction: wait for
    // that transaction's commit (the topology's group at the end of the input), so the anomaly
    // records are in the topic for read_committed readers before the sink is waited for.
    const { groups } = await admin.listGroups();
    const topology = groups.map((g) => g.groupId).filter((g) => g.startsWith(`${base}-g-topology-`));
    expect(topology).toHaveLength(1);
    await waitCommittedAtEnd(kafka, topology[0] as string, [topics.input], 30_000);
    const high = async () => {
      let n = 0;
      for (const o of await admin.fetchTopicOffsets(topics.anomalies)) n += Number(o.high);
      return n;
    };
    const storedNext = async () =>
      Number(
        (
          await db
            .query<{ n: string | null }>(
              `SELECT sum(next_offset) AS n FROM "${schema}".agg_sink_offsets WHERE topic = $1`,
              [topics.anomalies],
            )
            .catch(() => ({ rows: [{ n: '0' }] }))
        ).rows[0]?.n ?? 0,
      );
    for (
      const deadline = Date.now() + 30_000;
      (await storedNext()) < (await high()) && Date.now() < deadline;
    )
      await sleep(250);
    rows = (
      await db.query<{
        store_id: string;
        hour: string;
        metric: string;
        direction: string;
        observed: number;
        expected: number;
      }>(
        `SELECT store_id, extract(epoch FROM window_start) * 1000 AS hour, metric, direction, observed, expected
           FROM "${schema}".sales_anomalies ORDER BY store_id, window_start, metric`,
      )
    ).rows.map((r) => ({ ...r, hour: (Number(r.hour) - T0) / HOUR }));
  }, 180_000);

  afterAll(async () => {
    await sink?.stop();
    await processors?.stop();
    await db?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await db?.end();
    if (admin) {
      await deletePrefixed(admin, base);
      await admin.disconnect();
    }
  });

  it('the injected store-hour is a row, for revenue and units, upwards; no other row exists', () => {
    expect(rows.map((r) => `${r.store_id} h${r.hour} ${r.metric} ${r.direction}`)).toEqual([
      'S1 h16 revenue up',
      'S1 h16 units up',
    ]);
    const units = rows.find((r) => r.metric === 'units');
    expect(units?.observed).toBe(5 * (20 + ((16 + 0) % 3)));
    expect(units?.expected).toBeGreaterThanOrEqual(20);
    expect(units?.expected).toBeLessThanOrEqual(22);
  });

  it('the processor counts the same anomalies', async () => {
    const text = await processors?.registry.getSingleMetricAsString('retail_processor_anomalies_total');
    // The store-less series are the zeros exported from start (processors/anomalies/metrics.ts).
    const series = (text ?? '')
      .split('\n')
      .filter((l) => l.startsWith('retail_processor_anomalies_total{') && l.includes('store='));
    expect(series.sort()).toEqual([
      'retail_processor_anomalies_total{store="S1",metric="revenue",direction="up"} 1',
      'retail_processor_anomalies_total{store="S1",metric="units",direction="up"} 1',
    ]);
  });
});
