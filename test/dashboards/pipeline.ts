/**
 * A short real pipeline for the dashboard tests: producer, serve, both raw sinks and the processors,
 * on the fixed ports the shared Prometheus scrapes (dashboards/prometheus.yml), with unique topics,
 * groups, schema and ClickHouse database; a poison record (so the DLQ counters move), a trickle of
 * HTTP ingest and a control change (so their series move too). `stop()` stops the processes and
 * removes what the run created.
 */
import { Partitioners, createKafka, ensureTopics } from '../../lib/kafka/index.js';
import pg from 'pg';
import { PORTS } from '../../lib/ports.js';
import { uuidv7 } from '../../lib/uuid.js';
import { clickhouseUrl, dropDatabase } from '../helpers/clickhouse.js';
import type { ApiTokens } from '../helpers/api-tokens.js';
import { bearer, tokenEnv } from '../helpers/api-tokens.js';
import type { CliProcess } from './processes.js';
import { pollJson, requireBuild, requireFreePorts, startCli } from './processes.js';

export interface Pipeline {
  /** When every process was ready (ms since the epoch). */
  readyAt: number;
  stop(): Promise<void>;
}

export async function startPipeline(
  name: string,
  tokens: ApiTokens,
  env: { DATABASE_ADMIN_URL: string },
): Promise<Pipeline> {
  requireBuild();
  await requireFreePorts({
    serve: PORTS.pipelineHttp,
    producer: PORTS.producerMetrics,
    'sink-postgres': PORTS.sinkPostgresMetrics,
    'sink-clickhouse': PORTS.sinkClickhouseMetrics,
    processors: PORTS.processorMetrics,
  });
  const topic = `${name}.sales`;
  const t = (suffix: string) => `${name}.${suffix}`;
  const kafka = createKafka('dashboards-test');
  const chUrl = clickhouseUrl();
  const procs: CliProcess[] = [];
  let ingestTrickle: NodeJS.Timeout | undefined;

  const stop = async (): Promise<void> => {
    clearInterval(ingestTrickle);
    const codes = await Promise.all(procs.map(async (p) => [p.name, await p.stop()] as const));
    for (const [proc, code] of codes) if (code !== 0) console.warn(`${proc} exited with ${code}`);
    await dropDatabase(name, chUrl);
    const admin = kafka.admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter((x) => x.includes(name));
    await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.includes(name));
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
    const db = new pg.Client({ connectionString: env.DATABASE_ADMIN_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    await db.end();
  };

  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [
    { topic, numPartitions: 3 },
    { topic: t('dlq'), numPartitions: 1 },
    { topic: t('late'), numPartitions: 1 },
  ]);
  await admin.disconnect();

  const common = { PRODUCER_GROUP: name, PRODUCER_CONTROL_TOPIC: t('control') };
  const serveEnv = { ...common, ...tokenEnv(tokens) };
  procs.push(
    startCli(
      'producer',
      ['producer', 'run', '--rate', '200', '--topic', topic, '--control-topic', t('control')],
      {
        ...common,
        PRODUCER_METRICS_PORT: String(PORTS.producerMetrics),
        PRODUCER_DURATION: '150s',
      },
    ),
    startCli('serve', ['serve', '--port', String(PORTS.pipelineHttp), '--topic', topic], serveEnv),
    startCli(
      'sink-postgres',
      ['sink', 'postgres', '--topic', topic, '--group', t('pg'), '--schema', name, '--max-wait-ms', '300'],
      { SINK_POSTGRES_DLQ_TOPIC: t('dlq'), SINK_POSTGRES_METRICS_PORT: String(PORTS.sinkPostgresMetrics) },
    ),
    startCli(
      'sink-clickhouse',
      [
        'sink',
        'clickhouse',
        '--topic',
        topic,
        '--group',
        t('ch'),
        '--database',
        name,
        '--max-wait-ms',
        '300',
      ],
      {
        SINK_CLICKHOUSE_DLQ_TOPIC: t('dlq'),
        SINK_CLICKHOUSE_METRICS_PORT: String(PORTS.sinkClickhouseMetrics),
      },
    ),
    startCli('processors', ['processor', 'all', '--group-prefix', name], {
      PROCESSOR_INPUT_TOPIC: topic,
      PROCESSOR_HOURLY_TOPIC: t('hourly'),
      PROCESSOR_TOP_SKUS_TOPIC: t('top'),
      PROCESSOR_ROLLING_TOPIC: t('rolling'),
      PROCESSOR_LATE_TOPIC: t('late'),
      PROCESSOR_DLQ_TOPIC: t('dlq'),
      PROCESSOR_METRICS_PORT: String(PORTS.processorMetrics),
    }),
  );
  try {
    for (const [proc, port] of [
      [procs[0], PORTS.producerMetrics],
      [procs[1], PORTS.pipelineHttp],
      [procs[2], PORTS.sinkPostgresMetrics],
      [procs[3], PORTS.sinkClickhouseMetrics],
      [procs[4], PORTS.processorMetrics],
    ] as const) {
      // serve's /readyz also waits for modules this run does not feed (queries need their
      // tables): for serve, the control panel being connected to Kafka is what matters here.
      type Answer = { connected?: boolean; status?: string };
      const [path, ok]: [string, (b: Answer) => boolean] =
        port === PORTS.pipelineHttp
          ? ['/v1/control/producer', (b) => b.connected === true]
          : ['/readyz', (b) => b.status === 'ready'];
      await pollJson(
        `http://127.0.0.1:${port}${path}`,
        ok,
        60_000,
        `${proc?.name} ${path}`,
        bearer(tokens.control),
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${proc?.name} output:\n${proc?.output().slice(-3000)}`);
      });
    }
    const readyAt = Date.now();
    // A poison record (not Avro) so the DLQ counters move, and a few events over HTTP.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'poison', value: Buffer.from('not an avro record') }] });
    await producer.disconnect();
    const postEvents = () => {
      const now = Date.now();
      const events = Array.from({ length: 5 }, (_, i) => ({
        event_id: uuidv7(),
        event_time: now - i * 1000,
        store_id: 'store-0001',
        sku: 'SKU-000001',
        quantity: 1 + i,
        unit_price_cents: 250,
        currency: 'EUR',
        channel: 'online',
        payment_type: 'card',
        customer_id: null,
        basket_id: `basket-${i}`,
      }));
      return fetch(`http://127.0.0.1:${PORTS.pipelineHttp}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(tokens.ingest) },
        body: JSON.stringify(events),
      });
    };
    const ingest = await postEvents();
    if (ingest.status !== 202) throw new Error(`ingest answered ${ingest.status}: ${await ingest.text()}`);
    // rate() over the ingest histograms needs an increase between two scrapes: one request
    // before the first scrape is not enough, so keep a trickle going while the panels are read.
    ingestTrickle = setInterval(() => void postEvents().catch(() => undefined), 2000);
    // A control change through the panel's route, so the control-change series has data.
    const change = await fetch(`http://127.0.0.1:${PORTS.pipelineHttp}/v1/control/producer/rate`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...bearer(tokens.control) },
      body: JSON.stringify({ rate: 250 }),
    });
    if (change.status !== 200)
      throw new Error(`rate change answered ${change.status}: ${await change.text()}`);
    return { readyAt, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
