/**
 * The processors' options (docs/processors.md): option > environment variable > default. Every
 * processor of one process shares them; validated at start-up, unknown keys rejected.
 */
import type { ConfigOf, Schema } from '../../lib/config/index.js';
import { configResolver } from '../../lib/config/index.js';
import { PORTS } from '../../lib/ports.js';
import { TOPICS } from '../../lib/contracts/topics.js';

export const PROCESSOR_SCHEMA = {
  inputTopic: {
    type: 'string',
    env: 'PROCESSOR_INPUT_TOPIC',
    default: TOPICS.sales,
    doc: 'raw sale events (Avro)',
  },
  hourlyTopic: {
    type: 'string',
    env: 'PROCESSOR_HOURLY_TOPIC',
    default: TOPICS.salesHourly,
    doc: 'hourly sales output (compacted)',
  },
  topSkusTopic: {
    type: 'string',
    env: 'PROCESSOR_TOP_SKUS_TOPIC',
    default: TOPICS.topSkus,
    doc: 'top SKUs per hour output (compacted)',
  },
  rollingTopic: {
    type: 'string',
    env: 'PROCESSOR_ROLLING_TOPIC',
    default: TOPICS.storeRolling,
    doc: 'store rolling hour output (compacted)',
  },
  anomaliesTopic: {
    type: 'string',
    env: 'PROCESSOR_ANOMALIES_TOPIC',
    default: TOPICS.salesAnomalies,
    doc: 'sales anomalies output (Avro, compacted; docs/anomalies.md)',
  },
  anomalyThreshold: {
    type: 'number',
    env: 'PROCESSOR_ANOMALY_THRESHOLD',
    default: 3.5,
    min: 0.5,
    doc: "a store's closed hour is an anomaly when |robust z-score| of its revenue or units is at least this (3.5: Iglewicz & Hoaglin)",
  },
  anomalyHistoryPoints: {
    type: 'int',
    env: 'PROCESSOR_ANOMALY_HISTORY_POINTS',
    default: 7,
    min: 3,
    max: 1000,
    doc: 'history points an hour is scored against: the last N hours of the store (or N days/weeks with anomalySeasonHours)',
  },
  anomalyMinHistory: {
    type: 'int',
    env: 'PROCESSOR_ANOMALY_MIN_HISTORY',
    default: 5,
    min: 3,
    max: 1000,
    doc: 'a store is scored only once it has this many history points (a new store is never an anomaly)',
  },
  anomalySeasonHours: {
    type: 'int',
    env: 'PROCESSOR_ANOMALY_SEASON_HOURS',
    default: 24,
    min: 1,
    max: 168,
    doc: 'distance between history points: 1 = the last hours, 24 = the same hour of the last days, 168 = the same hour of the week',
  },
  anomalyMadFloorRatio: {
    type: 'number',
    env: 'PROCESSOR_ANOMALY_MAD_FLOOR_RATIO',
    default: 0.05,
    min: 0,
    max: 1,
    doc: "the history's median absolute deviation is taken as at least this share of its median (a flat history would flag every change)",
  },
  lateTopic: {
    type: 'string',
    env: 'PROCESSOR_LATE_TOPIC',
    default: TOPICS.late,
    doc: 'records later than the allowed lateness',
  },
  dlqTopic: {
    type: 'string',
    env: 'PROCESSOR_DLQ_TOPIC',
    default: TOPICS.dlq,
    doc: 'records that cannot be decoded or are invalid',
  },
  groupPrefix: {
    type: 'string',
    env: 'PROCESSOR_GROUP_PREFIX',
    default: 'retail-etl-processor',
    doc: 'consumer group = `<prefix>-topology-all` (or `-<processor>` alone); also prefixes changelogs, internal topics and transactional ids',
  },
  outOfOrderMs: {
    type: 'int',
    env: 'PROCESSOR_OUT_OF_ORDER_MS',
    default: 5_000,
    min: 0,
    doc: 'watermark = max event time seen − this bound',
  },
  allowedLatenessMs: {
    type: 'int',
    env: 'PROCESSOR_ALLOWED_LATENESS_MS',
    default: 120_000,
    min: 0,
    doc: 'a window closes (final) when the watermark passes its end + this; later records go to the late topic',
  },
  topN: {
    type: 'int',
    env: 'PROCESSOR_TOP_N',
    default: 10,
    min: 1,
    max: 1000,
    doc: 'SKUs per hour in the top list',
  },
  maxBatchBytes: {
    type: 'int',
    env: 'PROCESSOR_MAX_BATCH_BYTES',
    default: 512 * 1024,
    min: 16 * 1024,
    doc: 'fetch size per partition (one fetch never exceeds it; a transaction may carry several)',
  },
  commitIntervalMs: {
    type: 'int',
    env: 'PROCESSOR_COMMIT_INTERVAL_MS',
    // Kafka Streams commits every 100 ms under exactly-once; 1 s here. Each transaction is ~5 broker
    // requests plus a marker in every partition it wrote, whatever it carries. Measured on `make up`
    // at 100 events/s, 100 / 1000 / 100 / 1000 ms, 60 s each from /proc: broker 0.68, 0.45, 0.69,
    // 0.33 cores; processors 0.18, 0.10, 0.18, 0.09; the two aggregate sinks 0.17, 0.12, 0.17, 0.09.
    // The price: aggregates reach read_committed readers up to 0.9 s later (hours close 2 min after
    // the watermark).
    default: 1000,
    min: 1,
    max: 60_000,
    doc: 'a task commits its transaction this long after its first uncommitted record (Kafka Streams uses 100 ms under exactly-once; 1 s costs the broker half as much: docs/processors.md)',
  },
  commitMaxRecords: {
    type: 'int',
    env: 'PROCESSOR_COMMIT_MAX_RECORDS',
    default: 20_000,
    min: 1,
    doc: 'a task commits as soon as this many input records are uncommitted',
  },
  commitMaxBytes: {
    type: 'int',
    env: 'PROCESSOR_COMMIT_MAX_BYTES',
    default: 8 * 1024 * 1024,
    min: 16 * 1024,
    doc: 'a task commits as soon as this many input bytes are uncommitted',
  },
  fetchMaxWaitMs: {
    type: 'int',
    env: 'PROCESSOR_FETCH_MAX_WAIT_MS',
    default: 1_000,
    min: 10,
    max: 30_000,
    doc: 'how long the broker holds an empty fetch (data is returned at once; longer = fewer idle polls)',
  },
  idleTimeoutMs: {
    type: 'int',
    env: 'PROCESSOR_IDLE_TIMEOUT_MS',
    default: 60_000,
    min: 100,
    doc: 'an input partition caught up with no records this long is left out of the top-SKUs merge watermark until it has data again',
  },
  mergePartitions: {
    type: 'int',
    env: 'PROCESSOR_MERGE_PARTITIONS',
    default: 3,
    min: 1,
    max: 64,
    doc: 'partitions (= merge tasks) of the internal top-SKUs partials topic; fixed once the topic exists',
  },
  concurrency: {
    type: 'int',
    env: 'PROCESSOR_CONCURRENCY',
    default: 3,
    min: 1,
    max: 64,
    doc: 'input partitions processed at once (each task has its own transactions)',
  },
  dedupHorizonMs: {
    type: 'int',
    env: 'PROCESSOR_DEDUP_HORIZON_MS',
    default: 5 * 60_000,
    min: 1_000,
    doc: 'how long (watermark time) an event id, and the baskets it counted as orders, are remembered: a copy that arrives later than this after the original counts again (docs/processors.md, "Dedup horizon")',
  },
  restoreStallTimeoutMs: {
    type: 'int',
    env: 'PROCESSOR_RESTORE_STALL_TIMEOUT_MS',
    default: 30_000,
    min: 1_000,
    doc: 'a changelog restore that reads nothing for this long (broker down, leader moving) reconnects and goes on from where it was; it never gives up while it makes progress',
  },
  transactionTimeoutMs: {
    type: 'int',
    env: 'PROCESSOR_TRANSACTION_TIMEOUT_MS',
    default: 60_000,
    min: 1_000,
    doc: 'broker aborts a transaction left open this long (e.g. by a killed process)',
  },
  lagIntervalMs: {
    type: 'int',
    env: 'PROCESSOR_LAG_INTERVAL_MS',
    default: 5_000,
    min: 500,
    doc: 'how often the consumer lag of the processor groups is measured',
  },
  metricsPort: {
    type: 'int',
    env: 'PROCESSOR_METRICS_PORT',
    default: PORTS.processorMetrics,
    min: 0,
    max: 65535,
    doc: '/metrics, /healthz, /readyz (0 = do not serve)',
  },
} as const satisfies Schema;

export type ProcessorConfig = ConfigOf<typeof PROCESSOR_SCHEMA>;

export const processorConfig = configResolver('processor', PROCESSOR_SCHEMA);
