/**
 * Options of the shared consumer loop, one schema per sink so `make up` can tune each through its
 * own environment variables (SINK_POSTGRES_*, SINK_CLICKHOUSE_*, SINK_AGGREGATES_*).
 * docs/configuration.md renders these tables with describeSchema().
 */
import type { ConfigOf, Schema } from '../../lib/config/index.js';
import { EVENT_MAX_FUTURE_MS } from '../../lib/config/index.js';
import { TOPICS } from '../../lib/contracts/topics.js';

export interface LoopDefaults {
  envPrefix: string;
  maxBatchRows: number;
  maxWaitMs: number;
  metricsPort: number;
}

export function loopSchema(d: LoopDefaults) {
  const e = (k: string) => `${d.envPrefix}${k}`;
  return {
    topic: { type: 'string', env: e('TOPIC'), default: TOPICS.sales, doc: 'topic to consume' },
    groupId: {
      type: 'string',
      env: e('GROUP_ID'),
      doc: 'Kafka consumer group (default `retail-sink-<sink>`); also the key of the sink’s stored positions',
    },
    dlqTopic: { type: 'string', env: e('DLQ_TOPIC'), default: TOPICS.dlq, doc: 'dead-letter topic' },
    maxBatchRows: {
      type: 'int',
      env: e('MAX_BATCH_ROWS'),
      default: d.maxBatchRows,
      min: 1,
      max: 1_000_000,
      doc: 'flush when this many rows are buffered',
    },
    maxWaitMs: {
      type: 'int',
      env: e('MAX_WAIT_MS'),
      default: d.maxWaitMs,
      min: 10,
      max: 600_000,
      doc: 'flush when the oldest buffered record has waited this long',
    },
    fromBeginning: {
      type: 'bool',
      env: e('FROM_BEGINNING'),
      default: true,
      doc: 'a new group with no stored position starts at the earliest offset (else the latest)',
    },
    sessionTimeoutMs: {
      type: 'int',
      env: e('SESSION_TIMEOUT_MS'),
      default: 30_000,
      min: 6000,
      max: 300_000,
      doc: 'Kafka group session timeout: how long a dead instance holds its partitions',
    },
    maxFutureMs: EVENT_MAX_FUTURE_MS,
    writeRetryMaxMs: {
      type: 'int',
      env: e('WRITE_RETRY_MAX_MS'),
      default: 5000,
      min: 100,
      doc: 'cap of the exponential back-off between retries of a failed write',
    },
    refusedRetryAttempts: {
      type: 'int',
      env: e('REFUSED_RETRY_ATTEMPTS'),
      default: 5,
      min: 1,
      max: 1000,
      doc: 'attempts of a batch the target answers with a transient refusal (lock, memory, timeout, merges behind) before the batch is split in two; an unreachable target is waited for without end',
    },
    stuckAfterMs: {
      type: 'int',
      env: e('STUCK_AFTER_MS'),
      default: 120_000,
      min: 1000,
      doc: 'a batch (or a resume) retried for longer than this sets `retail_sink_stuck` to 1 (alert RetailSinkStuck) until it succeeds',
    },
    lagIntervalMs: {
      type: 'int',
      env: e('LAG_INTERVAL_MS'),
      default: 5000,
      min: 500,
      doc: 'how often consumer lag is measured',
    },
    fetchMaxWaitMs: {
      type: 'int',
      env: e('FETCH_MAX_WAIT_MS'),
      default: 2000,
      min: 10,
      max: 30_000,
      doc: 'how long the broker holds an empty fetch: records are returned as soon as they arrive, so this only sets how often an idle topic is polled (500 ms cost an idle sink ~1 % of a core, 5 s ~0.6 %) and how late a rebalance is noticed; capped at a third of the session timeout so heartbeats stay in time',
    },
    metricsPort: {
      type: 'int',
      env: e('METRICS_PORT'),
      default: d.metricsPort,
      min: 0,
      max: 65535,
      doc: '/metrics, /healthz, /readyz port (0 = any free port)',
    },
  } satisfies Schema;
}

export type LoopConfig = ConfigOf<ReturnType<typeof loopSchema>>;
