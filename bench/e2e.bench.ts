/**
 * End-to-end (issue 7 b): the real producer process → Kafka → the real Postgres sink process, at
 * rising steady rates until an SLO breaks. Per step: p95 event-to-row latency (Kafka record
 * timestamp → row committed, from the sink's own histogram) and the worst lag (records produced
 * but not yet committed to Postgres, sampled every second; in seconds = records ÷ offered rate).
 * The highest rate with p95 ≤ 1 s and lag ≤ 5 s is then held for a soak (10 minutes by default),
 * after which every produced event must be in Postgres exactly once.
 */
import { createQuietKafka } from '../lib/kafka/index.js';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Benchmark, Figure } from './harness.js';
import { startCli, waitReady } from '../stack/cli-process.js';
import { freePort } from '../stack/net.js';
import { postgresSinkArgs } from './lib/sink-cli.js';
import { delta, histogram, quantile, scrape, shareAtOrBelow } from './lib/prom-text.js';
import { benchConfig } from '../lib/config/index.js';

const P95_LIMIT_S = 1;
const LAG_LIMIT_S = 5;
const PARTITIONS = 6;

interface StepResult {
  rate: number;
  achieved: number;
  p95: number;
  withinOneSecond: number;
  maxLagRecords: number;
  maxLagSeconds: number;
  pass: boolean;
}

const bench: Benchmark = {
  name: 'e2e',
  title: 'End to end: producer → Kafka → Postgres sink, highest sustained rate within the SLO',
  async run(ctx) {
    const quick = ctx.quick;
    const config = benchConfig();
    const rates = (config.e2eRates ?? (quick ? '2000,6000' : '2000,5000,8000,11600,14000,17000,20000,24000'))
      .split(',')
      .map(Number);
    const stepSeconds = config.e2eStepSeconds ?? (quick ? 20 : 45);
    const soakSeconds = config.e2eSoakSeconds ?? (quick ? 30 : 600);
    const id = `${Date.now().toString(36)}`;
    const topic = `bench-e2e-${id}`;
    const group = `bench-e2e-${id}`;
    const schema = `bench_e2e_${id}`;

    const kafka = createQuietKafka(ctx.env['KAFKA_BROKERS']!.split(','), { clientId: 'bench-e2e' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const db = new pg.Client({ connectionString: ctx.env['DATABASE_URL'] });
    await db.connect();

    const produced = async () =>
      (await admin.fetchTopicOffsets(topic)).reduce((a, p) => a + Number(p.high), 0);
    const committed = async () => {
      const r = await db
        .query<{ n: string | null }>(
          `SELECT sum(next_offset) AS n FROM "${schema}".sink_offsets WHERE topic = $1`,
          [topic],
        )
        .catch(() => ({ rows: [{ n: '0' }] }));
      return Number(r.rows[0]?.n ?? 0);
    };

    const sinkPort = await freePort();
    const sink = startCli(postgresSinkArgs({ topic, group, schema, metricsPort: sinkPort }), {
      logLevel: 'warn',
    });
    const figures: Figure[] = [];
    try {
      await waitReady(sinkPort, sink);

      const runStep = async (rate: number, seconds: number): Promise<StepResult> => {
        const before = histogram(await scrape(sinkPort), 'retail_sink_event_to_row_seconds', {
          from: 'ingest',
        });
        const start = await produced();
        const producerPort = await freePort();
        const producer = startCli(
          [
            'producer',
            'run',
            '--topic',
            topic,
            '--rate',
            String(rate),
            '--duration',
            `${seconds}s`,
            '--no-control',
            '--duplicate-share',
            '0',
            '--metrics-port',
            String(producerPort),
          ],
          { logLevel: 'warn' },
        );
        let maxLag = 0;
        const t0 = Date.now();
        while (producer.child.exitCode === null) {
          await sleep(1000);
          maxLag = Math.max(maxLag, (await produced()) - (await committed()));
        }
        const elapsed = (Date.now() - t0) / 1000;
        if ((await producer.exited) !== 0)
          throw new Error(`producer failed at ${rate}/s:\n${producer.tail()}`);
        const sent = (await produced()) - start;
        // Let the sink drain what is left before reading its latency histogram.
        const drainDeadline = Date.now() + 60_000;
        while ((await committed()) < (await produced()) && Date.now() < drainDeadline) await sleep(250);
        const d = delta(
          histogram(await scrape(sinkPort), 'retail_sink_event_to_row_seconds', { from: 'ingest' }),
          before,
        );
        const p95 = quantile(d, 0.95);
        const within = shareAtOrBelow(d, 1);
        const maxLagSeconds = maxLag / rate;
        // The producer's start-up (connect, register) is not part of its run time.
        const achieved = sent / Math.max(1, Math.min(elapsed, seconds));
        const pass = within >= 0.95 && maxLagSeconds <= LAG_LIMIT_S && achieved >= 0.95 * rate;
        ctx.log(
          `${rate}/s: achieved ${achieved.toFixed(0)}/s, p95 ${p95.toFixed(3)} s (${(within * 100).toFixed(1)}% ≤ 1 s), worst lag ${maxLag} records (${maxLagSeconds.toFixed(2)} s) → ${pass ? 'within SLO' : 'SLO broken'}`,
        );
        return { rate, achieved, p95, withinOneSecond: within, maxLagRecords: maxLag, maxLagSeconds, pass };
      };

      let best: StepResult | undefined;
      for (const rate of rates) {
        const r = await runStep(rate, stepSeconds);
        figures.push({
          name: `e2e.step_${rate}.event_to_row_p95`,
          value: r.p95,
          unit: 's',
          target: `≤ ${P95_LIMIT_S} s`,
          notes: `offered ${rate}/s, achieved ${r.achieved.toFixed(0)}/s, worst lag ${r.maxLagRecords} records (${r.maxLagSeconds.toFixed(2)} s)${r.pass ? '' : ' — SLO broken'}`,
        });
        if (!r.pass) break;
        best = r;
      }

      const maxRate = best?.rate ?? 0;
      figures.unshift({
        name: 'e2e.max_sustained_events_per_s',
        value: maxRate,
        unit: 'events/s',
        target: '≥ 11,600 (p95 ≤ 1 s, lag ≤ 5 s)',
        notes: `highest step of ${rates.join(', ')} with p95 ≤ ${P95_LIMIT_S} s and lag ≤ ${LAG_LIMIT_S} s, ${stepSeconds} s per step`,
      });

      if (best && soakSeconds > 0) {
        ctx.log(`soak at ${maxRate}/s for ${soakSeconds} s`);
        const soak = await runStep(maxRate, soakSeconds);
        figures.push(
          {
            name: 'e2e.soak.events_per_s',
            value: soak.achieved,
            unit: 'events/s',
            notes: `${soakSeconds} s at an offered ${maxRate}/s`,
          },
          { name: 'e2e.soak.event_to_row_p95', value: soak.p95, unit: 's', target: `≤ ${P95_LIMIT_S} s` },
          {
            name: 'e2e.soak.max_lag',
            value: soak.maxLagSeconds,
            unit: 's',
            target: `≤ ${LAG_LIMIT_S} s`,
            notes: `${soak.maxLagRecords} records`,
          },
        );
      }

      // Exactness over the whole run: every produced event exactly once.
      const total = await produced();
      const counts = await db.query<{ rows: string; ids: string }>(
        `SELECT count(*) AS rows, count(DISTINCT event_id) AS ids FROM "${schema}".sales_raw`,
      );
      const rows = Number(counts.rows[0]?.rows);
      const ids = Number(counts.rows[0]?.ids);
      figures.push(
        {
          name: 'e2e.lost_events',
          value: total - ids,
          unit: 'events',
          target: '0',
          notes: `${total} produced, ${ids} distinct in Postgres`,
        },
        { name: 'e2e.duplicated_rows', value: rows - ids, unit: 'rows', target: '0' },
      );
      return figures;
    } finally {
      await sink.stop();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db.end();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.deleteGroups([group]).catch(() => undefined);
      await admin.disconnect();
    }
  },
};

export default bench;
