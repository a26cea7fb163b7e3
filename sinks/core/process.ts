/**
 * What every sink process does around its loop — the raw sinks (sinks/raw/run.ts) and the aggregate
 * sink (sinks/aggregates/run.ts): /metrics /healthz /readyz, start the loop, consumer lag of every
 * topic it reads, a stop in the right order; and, for the CLI, run until SIGTERM (flush, commit,
 * exit 0) or a fatal error (exit 1). A Kafka error that stops the loop — a consumer the broker
 * refuses (GROUP_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED on a secured broker) — leaves as
 * KAFKA_ERROR with the broker's type and an honest retriable flag (sinkFatalError), so the CLI's
 * one line says what was refused instead of kafkajs' bare message.
 */
import type { Server } from 'node:http';
import type { Kafka } from '../../lib/kafka/index.js';
import {
  ConsumerLagExporter,
  ensureTopics,
  isKafkaClientError,
  kafkaError,
  withCoordinatorAnswer,
} from '../../lib/kafka/index.js';
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/logger.js';
import { closeServer, startProcessServer } from '../../lib/process-server.js';
import { onShutdown } from '../../lib/shutdown.js';
import type { TopicSpec } from '../../lib/contracts/topics.js';
import { SinkLoop } from './loop/sink-loop.js';
import type { LoopDeps } from './loop/sink-loop.js';

export interface ServedLoop {
  /** The metrics port actually bound (metricsPort 0 = any free port). */
  port: number;
  /** Stop the lag exporters, then the loop (flush, commit, leave the group), then the server. */
  stop(): Promise<void>;
  /** Rejects with the loop's fatal error, a Kafka one as KAFKA_ERROR (sinkFatalError). */
  failed: Promise<never>;
}

/**
 * The error a sink stops on, as the CLI prints it: kafkajs' own errors become KAFKA_ERROR with the
 * broker's error type as server code (kafkaError: authorization failures are final); an error
 * already ours (EtlError) or not from Kafka is left as it is.
 */
export function sinkFatalError(what: string, err: unknown): unknown {
  return isKafkaClientError(err) ? kafkaError(what, err) : err;
}

export async function serveLoop(o: {
  loop: Pick<
    SinkLoop<{ kafkaTimestamp: number }>,
    'ready' | 'status' | 'start' | 'stop' | 'topics' | 'failed'
  >;
  kafka: Kafka;
  registry: Registry;
  metricsPort: number;
  groupId: string;
  lagIntervalMs: number;
  /** The `sink` label of the lag metrics and of the log line. */
  sink: string;
  logger: Logger;
}): Promise<ServedLoop> {
  const { loop, logger } = o;
  const server: Server = await startProcessServer({
    port: o.metricsPort,
    registry: o.registry,
    ready: async () => ((await loop.ready()) ? true : { ready: false, status: loop.status() }),
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.metricsPort;
  const consuming = `${loop.topics.join(', ')} as group ${o.groupId}`;
  try {
    await loop.start();
  } catch (err) {
    await closeServer(server);
    throw sinkFatalError(`sink ${o.sink} could not start consuming ${consuming}`, err);
  }
  const failed = loop.failed.catch(async (err: unknown) => {
    // kafkajs hides a denied group behind "Failed to find group coordinator": ask the broker why.
    const explained = await withCoordinatorAnswer(o.kafka, o.groupId, err);
    throw sinkFatalError(`sink ${o.sink} stopped consuming ${consuming}`, explained);
  });
  // Nobody may wait for it (a test's sink): a fatal error must not become an unhandled rejection.
  failed.catch(() => undefined);
  const lags = loop.topics.map(
    (topic) =>
      new ConsumerLagExporter({
        kafka: o.kafka,
        registry: o.registry,
        prefix: 'retail_sink_',
        groupId: o.groupId,
        topic,
        labels: { sink: o.sink },
        intervalMs: o.lagIntervalMs,
        logger,
      }),
  );
  for (const lag of lags)
    await lag.start().catch((err: unknown) => logger.warn('consumer lag exporter not started', { err }));
  logger.info('sink running', { sink: o.sink, metricsPort: port, group: o.groupId });
  return {
    port,
    failed,
    async stop() {
      // The loop first, synchronously: a rebalance answered while the lag exporters stop must not
      // drop the buffer the final flush is about to write (or have refused as fenced).
      const looped = loop.stop();
      for (const lag of lags) await lag.stop();
      await looped;
      await closeServer(server);
    },
  };
}

export interface StartedLoop<Row extends { kafkaTimestamp: number }> extends ServedLoop {
  loop: SinkLoop<Row>;
}

/**
 * Make sure the topics exist (`specs`: those the sink reads and its DLQ), then start the loop
 * around `deps.sink` and serve it (serveLoop).
 */
export async function startServedLoop<Row extends { kafkaTimestamp: number }>(
  deps: LoopDeps<Row>,
  o: { specs: TopicSpec[]; registry: Registry; metricsPort: number; lagIntervalMs: number; label: string },
): Promise<StartedLoop<Row>> {
  const admin = deps.kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, o.specs);
  } finally {
    await admin.disconnect();
  }
  const loop = new SinkLoop<Row>(deps);
  const served = await serveLoop({
    loop,
    kafka: deps.kafka,
    registry: o.registry,
    metricsPort: o.metricsPort,
    groupId: deps.config.groupId,
    lagIntervalMs: o.lagIntervalMs,
    sink: o.label,
    logger: deps.logger,
  });
  return { loop, ...served };
}

/**
 * CLI: run a started sink process until SIGTERM/SIGINT (graceful) or its fatal error (rethrown, a
 * Kafka one as KAFKA_ERROR: the CLI prints it as one line and exits 1).
 */
export async function runUntilStopped(
  proc: { failed: Promise<never>; stop(): Promise<void> },
  logger: Logger,
): Promise<void> {
  onShutdown(logger, () => proc.stop());
  try {
    await proc.failed;
  } catch (err) {
    logger.error('sink stopped on a fatal error', { err });
    await proc.stop().catch(() => undefined);
    throw sinkFatalError('sink stopped on a Kafka error', err);
  }
}
