/**
 * `retail-etl sink aggregates`: config validated at start-up, the aggregate loop around the
 * Postgres or ClickHouse target, /metrics /healthz /readyz, consumer lag of the three topics.
 */
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../../lib/process-metrics.js';
import { EtlError } from '../../lib/errors.js';
import { createKafka } from '../../lib/kafka/index.js';
import { createLogger } from '../../lib/logger.js';
import { DEFAULT_TOPIC_SPECS } from '../../lib/contracts/topics.js';
import type { TopicSpec } from '../../lib/contracts/topics.js';
import { faultsFromEnv } from '../core/faults.js';
import { startServedLoop } from '../core/process.js';
import { ClickhouseAggTarget } from '../clickhouse/aggregates/sink.js';
import { aggregatesConfig, topicTables } from './config.js';
import type { AggregatesConfig } from './config.js';
import type { AggRow, AggTarget } from './contract.js';
import type { SinkLoop } from '../core/loop/sink-loop.js';
import { createAggMetrics, zeroAggMetrics } from './metrics.js';
import type { AggMetrics } from './metrics.js';
import { PostgresAggTarget } from '../postgres/aggregates/sink.js';
import { aggregateRows } from './records.js';
import { DATABASE_URL_REQUIRED, environment, readSetting, sharedSetting } from '../../lib/config/index.js';
import { AnomalySerde } from '../../lib/contracts/anomaly/serde.js';
import { createRegistry } from '../../lib/contracts/event/serde.js';

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
    // Required for this target only: the shared field's required check, applied here.
    const databaseUrl = config.databaseUrl ?? readSetting('sink-aggregates', DATABASE_URL_REQUIRED);
    return new PostgresAggTarget({ ...config, databaseUrl }, metrics, logger);
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
  const wanted = [
    config.hourlyTopic,
    config.topSkusTopic,
    config.rollingTopic,
    config.anomaliesTopic,
    config.dlqTopic,
  ];
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
  env: NodeJS.ProcessEnv = environment(),
): Promise<AggregatesProcess> {
  const config = aggregatesConfig(options, env);
  const logger = createLogger(`sink-aggregates-${config.target}`);
  const registry = new Registry();
  collectProcessMetrics(registry);
  const metrics = createAggMetrics(registry);
  const target = createAggTarget(config, metrics);
  zeroAggMetrics(metrics, target.name, [...topicTables(config).values()]);
  const served = await startServedLoop<AggRow>(
    {
      sink: target,
      kafka: createKafka(`retail-sink-aggregates-${config.target}`),
      topics: [...topicTables(config).keys()],
      decoder: aggregateRows(
        config,
        new AnomalySerde(createRegistry(sharedSetting('schemaRegistryUrl', env))),
      ),
      config,
      metrics,
      logger,
      faults: faultsFromEnv(env),
    },
    {
      // The processors create their outputs too; whoever starts first makes them with the same layout.
      specs: specs(config),
      registry,
      metricsPort: config.metricsPort,
      lagIntervalMs: config.lagIntervalMs,
      label: target.name,
    },
  );
  const { loop } = served;
  return { config, loop, port: served.port, registry, failed: served.failed, stop: () => served.stop() };
}
