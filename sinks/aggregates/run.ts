/**
 * `retail-etl sink aggregates`: config validated at start-up, the aggregate loop around the
 * Postgres or ClickHouse target, /metrics /healthz /readyz, consumer lag of the three topics.
 */
import type { Server } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ConsumerLagExporter } from '../../lib/consumer-lag.js';
import { EtlError } from '../../lib/errors.js';
import { createKafka, ensureTopics } from '../../lib/kafka.js';
import { createLogger } from '../../lib/logger.js';
import { closeServer, startProcessServer } from '../../lib/process-server.js';
import { DEFAULT_TOPIC_SPECS } from '../../lib/topics.js';
import type { TopicSpec } from '../../lib/topics.js';
import { faultsFromEnv } from '../faults.js';
import { ClickhouseAggTarget } from './clickhouse.js';
import { aggregatesConfig, topicTables } from './config.js';
import type { AggregatesConfig } from './config.js';
import type { AggRow, AggTarget } from './contract.js';
import { SinkLoop } from '../consumer-loop.js';
import { createAggMetrics } from './metrics.js';
import type { AggMetrics } from './metrics.js';
import { PostgresAggTarget } from './postgres.js';
import { aggregateRows } from './records.js';

export interface AggregatesProcess {
  config: AggregatesConfig;
  loop: SinkLoop<AggRow>;
  port: number;
  registry: Registry;
  stop(): Promise<void>;
  /** Rejects on a fatal error (the CLI exits 1). */
  failed: Promise<never>;
}

export function createAggTarget(config: AggregatesConfig, metrics: AggMetrics): AggTarget {
  const logger = createLogger(`sink-aggregates-${config.target}`);
  if (config.target === 'postgres') {
    if (!config.databaseUrl)
      throw new EtlError('CONFIG_INVALID', 'sink-aggregates: DATABASE_URL is not set', {
        hint: 'run `make up` (it writes .stack/env) or set DATABASE_URL',
      });
    return new PostgresAggTarget({ ...config, databaseUrl: config.databaseUrl }, metrics, logger);
  }
  if (!config.clickhouseUrl && !config.chdbPath)
    throw new EtlError(
      'CONFIG_INVALID',
      'sink-aggregates: neither CLICKHOUSE_URL nor SINK_AGGREGATES_CHDB_PATH is set',
      {
        hint: 'set CLICKHOUSE_URL=http://user:password@host:8123',
      },
    );
  return new ClickhouseAggTarget(config, metrics, logger);
}

/** The spec of each topic the sink reads: the default layout for the contract names, else compacted ×1. */
function specs(config: AggregatesConfig): TopicSpec[] {
  const wanted = [config.hourlyTopic, config.topSkusTopic, config.rollingTopic, config.dlqTopic];
  return wanted.map(
    (topic) =>
      DEFAULT_TOPIC_SPECS.find((s) => s.topic === topic) ?? {
        topic,
        numPartitions: topic === config.dlqTopic || topic === config.topSkusTopic ? 1 : 6,
        compacted: topic !== config.dlqTopic,
      },
  );
}

export async function startAggregatesProcess(
  options: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<AggregatesProcess> {
  const config = aggregatesConfig(options, env);
  const logger = createLogger(`sink-aggregates-${config.target}`);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createAggMetrics(registry);
  const target = createAggTarget(config, metrics);
  const kafka = createKafka(`retail-sink-aggregates-${config.target}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    // The processors create their outputs too; whoever starts first makes them with the same layout.
    await ensureTopics(admin, specs(config));
  } finally {
    await admin.disconnect();
  }
  const loop = new SinkLoop<AggRow>({
    sink: target,
    kafka,
    topics: [...topicTables(config).keys()],
    decoder: aggregateRows(config),
    config,
    metrics,
    logger,
    faults: faultsFromEnv(env),
  });
  const server: Server = await startProcessServer({
    port: config.metricsPort,
    registry,
    ready: () => loop.ready(),
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.metricsPort;
  try {
    await loop.start();
  } catch (err) {
    await closeServer(server);
    throw err;
  }
  const lags = loop.topics.map(
    (topic) =>
      new ConsumerLagExporter({
        kafka,
        registry,
        prefix: 'retail_sink_',
        groupId: config.groupId,
        topic,
        labels: { sink: target.name },
        intervalMs: config.lagIntervalMs,
        logger,
      }),
  );
  for (const lag of lags)
    await lag.start().catch((err: unknown) => logger.warn('consumer lag exporter not started', { err }));
  logger.info('sink running', { sink: target.name, metricsPort: port, group: config.groupId });
  return {
    config,
    loop,
    port,
    registry,
    failed: loop.failed,
    async stop() {
      for (const lag of lags) await lag.stop();
      await loop.stop();
      await closeServer(server);
    },
  };
}
