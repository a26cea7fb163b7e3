/**
 * Configuration of `retail-etl serve` (the pipeline's HTTP server). Options > env > defaults,
 * validated at start; docs/ingest.md prints this table.
 */
import type { ConfigOf, Schema } from '../lib/config/index.js';
import { EVENT_MAX_FUTURE_MS, configResolver } from '../lib/config/index.js';
import { PORTS } from '../lib/ports.js';
import { TOPICS } from '../lib/contracts/topics.js';

export const API_SCHEMA = {
  port: {
    type: 'int',
    min: 0,
    max: 65535,
    env: 'PIPELINE_HTTP_PORT',
    default: PORTS.pipelineHttp,
    doc: 'HTTP port (127.0.0.1); 0 = any free port',
  },
  maxBodyBytes: {
    type: 'int',
    min: 1024,
    max: 1024 * 1024 * 1024,
    env: 'INGEST_MAX_BODY_BYTES',
    default: 5 * 1024 * 1024,
    doc: 'larger request bodies get 413, refused while streaming (never buffered)',
  },
  maxEvents: {
    type: 'int',
    min: 1,
    max: 1_000_000,
    env: 'INGEST_MAX_EVENTS',
    default: 10_000,
    doc: 'most events in one request (413 above)',
  },
  topic: { type: 'string', env: 'INGEST_TOPIC', default: TOPICS.sales, doc: 'topic accepted events go to' },
  maxFutureMs: EVENT_MAX_FUTURE_MS,
  maxQueuedEvents: {
    type: 'int',
    min: 1,
    max: 10_000_000,
    env: 'INGEST_MAX_QUEUED_EVENTS',
    default: 100_000,
    doc: 'events waiting for a Kafka transaction beyond which a request gets 429 + Retry-After (nothing written)',
  },
  transactionalId: {
    type: 'string',
    env: 'INGEST_TRANSACTIONAL_ID',
    doc: 'Kafka transactional id of this server (default retail-ingest-<host>-<port>); unique per server, stable across its restarts',
  },
  retryAfterSeconds: {
    type: 'int',
    min: 1,
    max: 3600,
    env: 'INGEST_RETRY_AFTER_SECONDS',
    default: 5,
    doc: 'Retry-After of a 503 answer while Kafka is unreachable',
  },
  kafkaTimeoutMs: {
    type: 'int',
    min: 100,
    max: 120_000,
    env: 'INGEST_KAFKA_TIMEOUT_MS',
    default: 5000,
    doc: 'connection/request timeout towards Kafka; a send that fails within it answers 503',
  },
} satisfies Schema;

export type ApiConfig = ConfigOf<typeof API_SCHEMA>;

export const resolveApiConfig = configResolver('serve', API_SCHEMA);
