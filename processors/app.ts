/**
 * `retail-etl processor <name>|all`: one topology in this process — the partition stage (every
 * selected operator in each input-partition task) and, with top SKUs, its merge stage — sharing
 * the Kafka client, the schema registry cache and the metrics endpoint, with the consumer lag of
 * both groups exported like the sinks'.
 */
import type { Server } from 'node:http';
import type { Kafka } from '../lib/kafka/index.js';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../lib/process-metrics.js';
import { ConsumerLagExporter } from '../lib/kafka/index.js';
import { createRegistry, SaleEventSerde } from '../lib/contracts/event/serde.js';
import {
  createKafka,
  ensureTopics,
  kafkaError,
  kafkaSecurityHint,
  setTopicConfig,
} from '../lib/kafka/index.js';
import { createLogger } from '../lib/logger.js';
import type { Logger } from '../lib/logger.js';
import { closeServer, startProcessServer } from '../lib/process-server.js';
import { outputTopics, topologyOf } from './definitions.js';
import type { ProcessorName, Topology } from './definitions.js';
import { processorConfig } from './runtime/config.js';
import type { ProcessorConfig } from './runtime/config.js';
import { TopologyRunner } from './runtime/runner.js';
import type { OpenTaskDeps } from './runtime/open-task.js';
import { AnomalySerde } from '../lib/contracts/anomaly/serde.js';
import { anomalyMetrics } from './anomalies/metrics.js';
import { MergeRunner } from './top-skus/merge-runner.js';
import { environment, sharedSetting } from '../lib/config/index.js';

export interface RunningProcessors {
  config: ProcessorConfig;
  topology: Topology;
  runner: TopologyRunner;
  merge: MergeRunner | undefined;
  registry: Registry;
  stop(): Promise<void>;
  /** Rejects when a stage's consumer is given up for good (KAFKA_ERROR): the CLI exits 1. */
  failed: Promise<never>;
}

/**
 * Changelog topics are compacted and kept small: the log cleaner only cleans closed segments, so a
 * segment is closed every minute (or at 64 MB) and cleaned as soon as a tenth of the log is
 * superseded, at the latest five minutes after a write. A restore then reads the live keys plus the
 * last few minutes' updates — O(state), not O(everything ever written). Tombstones stay for ten
 * minutes after cleaning, so a restore that began before a cleaning still sees the deletes.
 * Applied when the topic is created; existing topics keep their settings (`kafka-configs --alter`).
 */
export const CHANGELOG_TOPIC_CONFIG: Record<string, string> = {
  'max.message.bytes': String(16 * 1024 * 1024),
  'segment.ms': String(60_000),
  'segment.bytes': String(64 * 1024 * 1024),
  'min.cleanable.dirty.ratio': '0.1',
  'max.compaction.lag.ms': String(5 * 60_000),
  'delete.retention.ms': String(10 * 60_000),
};

/** Create the topology's topics; returns the input's and the partials topic's partition counts. */
async function prepareTopics(
  kafka: Kafka,
  topology: Topology,
  cfg: ProcessorConfig,
  logger: Logger,
): Promise<{ input: number; partials: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [cfg.inputTopic] }).catch((err: unknown) => {
      // A denied topic says so (the hint names the principal); a missing one: create it first.
      throw kafkaError(`input topic ${cfg.inputTopic} is not readable`, err, {
        hint:
          kafkaSecurityHint(err) ??
          'create the topics first (`retail-etl stack up` does) or check PROCESSOR_INPUT_TOPIC',
      });
    });
    const input = meta.topics[0]?.partitions.length ?? 0;
    const changelog = { compacted: true, configEntries: CHANGELOG_TOPIC_CONFIG };
    const specs = [
      ...outputTopics(topology, cfg),
      { topic: cfg.lateTopic, numPartitions: 1 },
      { topic: cfg.dlqTopic, numPartitions: 1 },
      { topic: topology.changelogTopic, numPartitions: input, ...changelog },
    ];
    if (topology.operators.includes('top-skus'))
      specs.push({ topic: topology.mergeChangelogTopic, numPartitions: cfg.mergePartitions, ...changelog });
    await ensureTopics(admin, specs);
    // Changelogs created by earlier versions had no segment or compaction settings.
    const changelogs = [topology.changelogTopic];
    if (topology.operators.includes('top-skus')) changelogs.push(topology.mergeChangelogTopic);
    await setTopicConfig(admin, changelogs, { 'cleanup.policy': 'compact', ...CHANGELOG_TOPIC_CONFIG }).catch(
      (err: unknown) => logger.warn('changelog topic settings not applied', { err }),
    );
    let partials = 0;
    if (topology.operators.includes('top-skus')) {
      const m = await admin.fetchTopicMetadata({ topics: [topology.partialsTopic] });
      partials = m.topics[0]?.partitions.length ?? 0;
    }
    return { input, partials };
  } finally {
    await admin.disconnect();
  }
}

export async function runProcessors(
  names: ProcessorName[],
  explicit: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = environment(),
): Promise<RunningProcessors> {
  const config = processorConfig(explicit, env);
  const topology = topologyOf(names, config);
  const registry = new Registry();
  collectProcessMetrics(registry, 'retail_processor_process_');
  const kafka = createKafka(`retail-etl-processor-${topology.name}`);
  const serde = new SaleEventSerde(createRegistry(sharedSetting('schemaRegistryUrl', env)));
  const logger = createLogger(`processor:${topology.name}`);
  const counts = await prepareTopics(kafka, topology, config, logger);
  let anomalies: OpenTaskDeps['anomalies'];
  if (topology.operators.includes('anomalies')) {
    const anomalySerde = new AnomalySerde(createRegistry(sharedSetting('schemaRegistryUrl', env)));
    await anomalySerde.register();
    anomalies = {
      encode: (a) => anomalySerde.encode(a),
      observe: anomalyMetrics(registry, config.anomalyThreshold),
    };
  }
  const runner = new TopologyRunner(
    topology,
    config,
    kafka,
    serde,
    registry,
    logger,
    counts.partials,
    anomalies,
  );
  const merge = topology.operators.includes('top-skus')
    ? new MergeRunner(
        topology,
        config,
        kafka,
        counts.input,
        registry,
        createLogger('processor:top-skus-merge'),
      )
    : undefined;
  const lags = lagExporters(kafka, registry, topology, config, logger);
  let server: Server | undefined;
  if (config.metricsPort !== 0) {
    server = await startProcessServer({
      port: config.metricsPort,
      registry,
      // Not ready while tasks restore, but alive (/healthz): `restoring 63 %`.
      ready: () => {
        if (!runner.ready()) return { ready: false, status: runner.status() };
        if (merge && !merge.ready()) return { ready: false, status: merge.status() };
        return { ready: true, status: 'ready' };
      },
    });
  }
  try {
    await runner.start();
    await merge?.start();
  } catch (err) {
    await runner.stop().catch(() => undefined);
    await merge?.stop().catch(() => undefined);
    if (server) await closeServer(server);
    throw err;
  }
  for (const lag of lags)
    await lag.start().catch((err: unknown) => logger.warn('consumer lag exporter not started', { err }));
  const failed = merge ? Promise.race([runner.failed, merge.failed]) : runner.failed;
  failed.catch(() => undefined); // a caller that never waits for it (a test) gets no unhandled rejection
  return {
    config,
    topology,
    runner,
    merge,
    registry,
    failed,
    async stop() {
      // The runner first, synchronously: it stops taking records before the exporters finish a scrape.
      const ran = runner.stop();
      for (const lag of lags) await lag.stop();
      await ran;
      await merge?.stop();
      if (server) await closeServer(server);
    },
  };
}

/** Lag of the partition stage on the raw topic and of the merge stage on the partials topic. */
function lagExporters(
  kafka: Kafka,
  registry: Registry,
  topology: Topology,
  cfg: ProcessorConfig,
  logger: Logger,
): ConsumerLagExporter[] {
  const reads: { groupId: string; topic: string; stage: string }[] = [
    { groupId: topology.groupId, topic: cfg.inputTopic, stage: 'partition' },
  ];
  if (topology.operators.includes('top-skus'))
    reads.push({ groupId: topology.mergeGroupId, topic: topology.partialsTopic, stage: 'merge' });
  return reads.map(
    (r) =>
      new ConsumerLagExporter({
        kafka,
        registry,
        prefix: 'retail_processor_',
        groupId: r.groupId,
        topic: r.topic,
        labels: { topology: topology.name, stage: r.stage },
        intervalMs: cfg.lagIntervalMs,
        logger,
      }),
  );
}
