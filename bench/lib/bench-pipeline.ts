/**
 * A second copy of the pipeline `make up` runs — the same services, arguments and launch code
 * (stack/pipeline.ts) — beside whatever already runs: its own topics (same partition layout as
 * the defaults), consumer groups, Postgres schema and free ports, all named after one random id,
 * so a benchmark measures the whole pipeline without touching the stack's data, and removes
 * everything again. The producer is steered through its control topic as an operator would
 * (`retail-etl producer rate|pause`).
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, Producer } from '../../lib/kafka/index.js';
import { connectPgClient } from '../../lib/postgres/connection.js';
import { environment } from '../../lib/config/index.js';
import { createKafka, ensureTopics, removePrefixed } from '../../lib/kafka/index.js';
import { DEFAULT_TOPIC_SPECS, TOPICS } from '../../lib/contracts/topics.js';
import { producerSteering } from './producer-steering.js';
import { enabledPipelineServices, pipelineLaunch } from '../../stack/pipeline.js';
import { migrateAll } from '../../sinks/postgres/migrate-all.js';
import { createClickhouseClient } from '../../sinks/clickhouse/client.js';
import { migrateClickhouse } from '../../sinks/clickhouse/migrate-all.js';
import { quoteIdent } from '../../sinks/clickhouse/ident.js';
import { projectRoot } from '../../stack/paths.js';
import type { CliProcess } from '../../stack/cli-process.js';
import { startLaunch, waitReady } from '../../stack/cli-process.js';
import { freePort } from '../../stack/net.js';
import { scrape } from './prom-text.js';

type TopicKey = keyof typeof TOPICS;

export interface BenchPipeline {
  /** Prefix of every topic, group and transactional id of this pipeline. */
  base: string;
  schema: string;
  topics: Record<TopicKey, string>;
  /** Service name → metrics/HTTP port. */
  ports: Map<string, number>;
  /** Service name → PID. */
  pids: Map<string, number>;
  admin: Admin;
  kafka: Kafka;
  setRate(rate: number): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Records in the raw topic (sum of end offsets). */
  produced(): Promise<number>;
  metrics(service: string): Promise<string>;
  /** Stop the processes (SIGTERM, then SIGKILL after 30 s). */
  stop(): Promise<void>;
  /** stop(), then delete the topics, groups and schema. */
  remove(): Promise<void>;
}

export type PipelineTopics = Record<TopicKey, string>;

/** Names of a second pipeline: topics `<base>.<topic>`, groups `<base>-…`, schema `<prefix>_<id>`. */
export function pipelineNames(prefix: string): { base: string; schema: string; topics: PipelineTopics } {
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const base = `${prefix}-${id}`;
  const schema = `${prefix.replace(/-/g, '_')}_${id}`;
  const topics = Object.fromEntries(
    Object.entries(TOPICS).map(([k, t]) => [k, `${base}.${t}`]),
  ) as PipelineTopics;
  return { base, schema, topics };
}

/** The topics of a second pipeline, with the same partition layout as the defaults. */
export async function createPipelineTopics(
  admin: Admin,
  base: string,
  topics: PipelineTopics,
): Promise<void> {
  await ensureTopics(
    admin,
    DEFAULT_TOPIC_SPECS.map((s) => {
      const key = (Object.keys(TOPICS) as TopicKey[]).find((k) => TOPICS[k] === s.topic);
      return { ...s, topic: key ? topics[key] : `${base}.${s.topic}` };
    }),
  );
}

/** One environment for every service of a second pipeline: each reads only its own variables. */
export function pipelineOverrides(
  base: string,
  schema: string,
  topics: PipelineTopics,
): Record<string, string> {
  return {
    PRODUCER_TOPIC: topics.sales,
    PRODUCER_CONTROL_TOPIC: topics.control,
    PRODUCER_GROUP: base,
    INGEST_TOPIC: topics.sales,
    SINK_POSTGRES_TOPIC: topics.sales,
    SINK_POSTGRES_DLQ_TOPIC: topics.dlq,
    SINK_POSTGRES_SCHEMA: schema,
    SINK_POSTGRES_GROUP_ID: `${base}-sink-postgres`,
    SINK_CLICKHOUSE_TOPIC: topics.sales,
    SINK_CLICKHOUSE_DLQ_TOPIC: topics.dlq,
    SINK_CLICKHOUSE_DATABASE: schema,
    SINK_CLICKHOUSE_GROUP_ID: `${base}-sink-clickhouse`,
    PROCESSOR_INPUT_TOPIC: topics.sales,
    PROCESSOR_HOURLY_TOPIC: topics.salesHourly,
    PROCESSOR_TOP_SKUS_TOPIC: topics.topSkus,
    PROCESSOR_ROLLING_TOPIC: topics.storeRolling,
    PROCESSOR_ANOMALIES_TOPIC: topics.salesAnomalies,
    PROCESSOR_LATE_TOPIC: topics.late,
    PROCESSOR_DLQ_TOPIC: topics.dlq,
    PROCESSOR_GROUP_PREFIX: `${base}-processor`,
    SINK_AGGREGATES_HOURLY_TOPIC: topics.salesHourly,
    SINK_AGGREGATES_TOP_SKUS_TOPIC: topics.topSkus,
    SINK_AGGREGATES_ROLLING_TOPIC: topics.storeRolling,
    SINK_AGGREGATES_ANOMALIES_TOPIC: topics.salesAnomalies,
    SINK_AGGREGATES_DLQ_TOPIC: topics.dlq,
    SINK_AGGREGATES_SCHEMA: schema,
    SINK_AGGREGATES_CLICKHOUSE_DATABASE: schema,
  };
}

export async function startBenchPipeline(
  stackEnv: Record<string, string>,
  log: (m: string) => void,
): Promise<BenchPipeline> {
  const { base, schema, topics } = pipelineNames('bench-pipe');

  const kafka = createKafka('bench-pipeline');
  const admin = kafka.admin();
  await admin.connect();
  const control: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await control.connect();
  const db = await connectPgClient(stackEnv['DATABASE_URL'] ?? '');
  const procs = new Map<string, CliProcess>();
  const ports = new Map<string, number>();
  const pids = new Map<string, number>();
  const stop = async () => {
    await Promise.all([...procs.values()].map((p) => p.stop()));
    procs.clear();
  };
  const remove = async () => {
    await stop();
    await control.disconnect().catch(() => undefined);
    await removePrefixed(admin, base);
    await admin.disconnect().catch(() => undefined);
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await db.end().catch(() => undefined);
    // ClickHouse's database of the same name: left behind, its tables keep merging and cleaning
    // in the background of every later measurement on this stack.
    const chOwner = stackEnv['CLICKHOUSE_URL'];
    if (chOwner) {
      const ch = await createClickhouseClient({ url: chOwner }).catch(() => undefined);
      await ch
        ?.command({ query: `DROP DATABASE IF EXISTS ${quoteIdent(schema)} SYNC` })
        .catch(() => undefined);
      await ch?.close().catch(() => undefined);
    }
  };

  try {
    await createPipelineTopics(admin, base, topics);
    const common = pipelineOverrides(base, schema, topics);
    // As `make up` does for the stack's schema: the migrator creates the tables, the sinks only write.
    await migrateAll(db, { ...environment(), ...stackEnv, ...common }, schema);
    const services = enabledPipelineServices({ ...environment(), ...stackEnv });
    // The same in ClickHouse, as its owner: the ClickHouse sinks' users cannot create tables.
    const chOwner = stackEnv['CLICKHOUSE_URL'];
    if (chOwner && services.some((s) => s.name.includes('clickhouse'))) {
      const ch = await createClickhouseClient({ url: chOwner });
      try {
        await migrateClickhouse(ch, { ...environment(), ...stackEnv, ...common }, schema);
      } finally {
        await ch.close();
      }
    }
    for (const service of services) {
      const port = await freePort();
      ports.set(service.name, port);
      const overrides = { ...common, [service.portEnv]: String(port) };
      // The two aggregate sinks read the same variables: each gets its own group.
      if (service.args[1] === 'aggregates') overrides['SINK_AGGREGATES_GROUP_ID'] = `${base}-${service.name}`;
      const proc = startLaunch(pipelineLaunch(service, projectRoot(), stackEnv, overrides), service.name);
      procs.set(service.name, proc);
      if (proc.child.pid !== undefined) pids.set(service.name, proc.child.pid);
    }
    for (const service of services) await waitReady(ports.get(service.name)!, procs.get(service.name)!);
    log(`pipeline ${base} ready: ${services.map((s) => `${s.name} pid ${pids.get(s.name)}`).join(', ')}`);
  } catch (err) {
    await remove();
    throw err;
  }

  const metrics = (service: string) => scrape(ports.get(service) ?? 0);
  const steering = producerSteering({
    control,
    controlTopic: topics.control,
    base,
    actor: 'bench',
    metrics: () => metrics('producer'),
    timeoutMs: 15_000,
  });
  return {
    base,
    schema,
    topics,
    ports,
    pids,
    admin,
    kafka,
    ...steering,
    async produced() {
      return (await admin.fetchTopicOffsets(topics.sales)).reduce((a, p) => a + Number(p.high), 0);
    },
    metrics,
    stop,
    remove,
  };
}
