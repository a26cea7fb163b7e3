/**
 * The processors' options (docs/processors.md): option > environment variable > default. Every
 * processor of one process shares them; validated at start-up, unknown keys rejected.
 */
import type { ConfigOf, Schema } from '../../lib/config/index.js';
import { environment, resolveConfig } from '../../lib/config/index.js';
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
    doc: 'consumer group = `<prefix>-<processor>`; also prefixes the changelog topic and transactional ids',
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
    doc: 'fetch size per partition = the largest input batch (one transaction)',
  },
  concurrency: {
    type: 'int',
    env: 'PROCESSOR_CONCURRENCY',
    default: 3,
    min: 1,
    max: 64,
    doc: 'partitions processed at once by a per-partition processor (each has its own transaction)',
  },
  segmentMaxEvents: {
    type: 'int',
    env: 'PROCESSOR_SEGMENT_MAX_EVENTS',
    default: 2_000,
    min: 1,
    doc: 'accepted events per changelog record',
  },
  transactionTimeoutMs: {
    type: 'int',
    env: 'PROCESSOR_TRANSACTION_TIMEOUT_MS',
    default: 60_000,
    min: 1_000,
    doc: 'broker aborts a transaction left open this long (e.g. by a killed process)',
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

export function processorConfig(
  explicit: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = environment(),
): ProcessorConfig {
  return resolveConfig('processor', PROCESSOR_SCHEMA, explicit, env);
}
