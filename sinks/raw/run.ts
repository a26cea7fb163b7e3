/**
 * A sink process: config validated at start-up, the shared loop around one sink, /metrics
 * /healthz /readyz, consumer lag, and SIGTERM → flush, commit, exit 0.
 */
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../../lib/process-metrics.js';
import { environment, resolveConfig } from '../../lib/config/index.js';
import { createKafka } from '../../lib/kafka/index.js';
import { createLogger } from '../../lib/logger.js';
import type { Logger } from '../../lib/logger.js';
import { createRegistry, SaleEventSerde } from '../../lib/contracts/event/serde.js';
import { DEFAULT_TOPIC_SPECS } from '../../lib/contracts/topics.js';
import { EtlError } from '../../lib/errors.js';
import type { LoopConfig } from '../core/config.js';
import type { Sink } from '../core/contract.js';
import type { SinkLoop } from '../core/loop/sink-loop.js';
import { saleEventRows } from './decode.js';
import { createSinkMetrics, zeroSinkMetrics } from '../core/metrics.js';
import { faultsFromEnv } from '../core/faults.js';
import { startServedLoop } from '../core/process.js';
import type { SinkMetrics } from '../core/metrics.js';
import { CLICKHOUSE_LOOP_SCHEMA, CLICKHOUSE_SINK_SCHEMA } from '../clickhouse/raw/config.js';
import type { ClickhouseSinkConfig } from '../clickhouse/raw/config.js';
import { ClickhouseSink } from '../clickhouse/raw/sink.js';
import { POSTGRES_LOOP_SCHEMA, POSTGRES_SINK_SCHEMA } from '../postgres/raw/config.js';
import type { PostgresSinkConfig } from '../postgres/raw/config.js';
import { PostgresSink } from '../postgres/raw/sink.js';

export const SINK_KINDS = ['postgres', 'clickhouse'] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

export interface SinkProcess {
  loop: SinkLoop;
  port: number;
  stop(): Promise<void>;
  /** Rejects on a fatal error (the CLI exits 1). */
  failed: Promise<never>;
}

export interface StartSinkOptions {
  loop?: Record<string, unknown>;
  target?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  registry?: Registry;
}

function split(explicit: Record<string, unknown> = {}, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(explicit).filter(([k]) => keys.includes(k)));
}

/** Validate both schemas; unknown keys (in neither) are rejected. */
export function resolveSinkConfig(
  kind: SinkKind,
  options: Record<string, unknown> = {},
  env = environment(),
) {
  const loopSchema = kind === 'postgres' ? POSTGRES_LOOP_SCHEMA : CLICKHOUSE_LOOP_SCHEMA;
  const targetSchema = kind === 'postgres' ? POSTGRES_SINK_SCHEMA : CLICKHOUSE_SINK_SCHEMA;
  const known = [...Object.keys(loopSchema), ...Object.keys(targetSchema)];
  for (const key of Object.keys(options)) {
    if (!known.includes(key) && options[key] !== undefined)
      throw new EtlError('CONFIG_UNKNOWN_KEY', `sink-${kind}: unknown config key "${key}"`, {
        hint: `allowed keys: ${known.join(', ')}`,
      });
  }
  const loop = resolveConfig(
    `sink-${kind}`,
    loopSchema,
    split(options, Object.keys(loopSchema)),
    env,
  ) as LoopConfig;
  const target = resolveConfig(`sink-${kind}`, targetSchema, split(options, Object.keys(targetSchema)), env);
  if (
    'retentionMinDays' in target &&
    target.retentionMode !== 'off' &&
    target.retentionDays < target.retentionMinDays
  ) {
    // Every retention run would be refused (Postgres's retention function: SQLSTATE 42501; the
    // native ClickHouse server: 497 ACCESS_DENIED): say so at start-up instead.
    const prefix = `SINK_${kind.toUpperCase()}_RETENTION`;
    throw new EtlError(
      'CONFIG_INVALID',
      `sink-${kind}: retentionDays ${target.retentionDays} is below retentionMinDays ${target.retentionMinDays}`,
      {
        hint:
          kind === 'postgres'
            ? `raise ${prefix}_DAYS, or lower ${prefix}_MIN_DAYS and run \`retail-etl pg migrate\``
            : `raise ${prefix}_DAYS, or lower ${prefix}_MIN_DAYS (the server reads it at start)`,
      },
    );
  }
  return { loop: { ...loop, groupId: loop.groupId ?? `retail-sink-${kind}` }, target };
}

export function createSink(
  kind: SinkKind,
  target: Record<string, unknown>,
  groupId: string,
  metrics: SinkMetrics,
  logger: Logger,
): Sink {
  if (kind === 'postgres') {
    return new PostgresSink(target as PostgresSinkConfig, groupId, metrics, logger);
  }
  return new ClickhouseSink(target as ClickhouseSinkConfig, metrics, logger);
}

export async function startSinkProcess(
  kind: SinkKind,
  options: Record<string, unknown> = {},
): Promise<SinkProcess> {
  const { loop: config, target } = resolveSinkConfig(kind, options);
  const logger = createLogger(`sink-${kind}`);
  const registry = new Registry();
  collectProcessMetrics(registry);
  const metrics = createSinkMetrics(registry);
  const sink = createSink(kind, target, config.groupId, metrics, logger);
  zeroSinkMetrics(metrics, sink.name);
  const served = await startServedLoop(
    {
      sink,
      kafka: createKafka(`retail-sink-${kind}`),
      topics: [config.topic],
      decoder: saleEventRows(new SaleEventSerde(createRegistry()), () => ({
        maxFutureMs: config.maxFutureMs,
      })),
      config,
      metrics,
      logger,
      faults: faultsFromEnv(),
    },
    {
      specs: DEFAULT_TOPIC_SPECS.filter((s) => s.topic === config.topic || s.topic === config.dlqTopic),
      registry,
      metricsPort: config.metricsPort,
      lagIntervalMs: config.lagIntervalMs,
      label: kind,
    },
  );
  const { loop } = served;
  return { loop, port: served.port, failed: served.failed, stop: () => served.stop() };
}
