/**
 * Settings more than one component reads, declared once: each component's schema spreads these
 * into its own, so the variable name, default and meaning cannot drift between copies.
 */
import { TOPICS } from '../contracts/topics.js';
import { HOST, PORTS } from '../ports.js';
import { VALIDATION_DEFAULTS } from '../contracts/event/validate.js';
import type { EnumField, IntField, StringField } from './schema.js';

export const DEFAULT_BROKERS = '127.0.0.1:9092';
export const DEFAULT_SCHEMA_REGISTRY_URL = 'http://127.0.0.1:8081/apis/ccompat/v7';
export const DEFAULT_LISTEN_HOST = HOST;

export const KAFKA_BROKERS = {
  type: 'string',
  env: 'KAFKA_BROKERS',
  default: DEFAULT_BROKERS,
  doc: 'Kafka bootstrap brokers, comma-separated host:port',
} as const satisfies StringField;

export const SCHEMA_REGISTRY_URL = {
  type: 'string',
  env: 'SCHEMA_REGISTRY_URL',
  default: DEFAULT_SCHEMA_REGISTRY_URL,
  doc: 'Schema Registry (Confluent-compatible API) base URL',
} as const satisfies StringField;

export const DATABASE_URL = {
  type: 'string',
  env: 'DATABASE_URL',
  secret: true,
  doc: 'Postgres connection URL (`make up` writes it to .stack/env)',
} as const satisfies StringField;

export const DATABASE_URL_REQUIRED = { ...DATABASE_URL, required: true } as const satisfies StringField;

export const CLICKHOUSE_URL = {
  type: 'string',
  env: 'CLICKHOUSE_URL',
  secret: true,
  doc: 'ClickHouse HTTP URL with credentials (http://user:password@host:8123)',
} as const satisfies StringField;

export const KAFKA_CONNECT_URL = {
  type: 'string',
  env: 'KAFKA_CONNECT_URL',
  default: `http://${HOST}:${PORTS.kafkaConnect}`,
  doc: 'Kafka Connect REST URL',
} as const satisfies StringField;

export const LISTEN_HOST = {
  type: 'string',
  env: 'RETAIL_LISTEN_HOST',
  default: DEFAULT_LISTEN_HOST,
  doc: 'address the HTTP and metrics servers bind (the container image sets 0.0.0.0)',
} as const satisfies StringField;

/**
 * The one future-skew allowance of the event contract. Every stage judges an event's time against
 * the time its record was accepted (the Kafka record timestamp; the server clock at ingest and in
 * the producer), so ingest, the producer, the sinks and the processors give the same verdict, also
 * when a record is replayed later. Every process must see the same value (`make up` writes none:
 * the default holds everywhere).
 */
export const EVENT_MAX_FUTURE_MS = {
  type: 'int',
  env: 'EVENT_MAX_FUTURE_MS',
  default: VALIDATION_DEFAULTS.maxFutureMs,
  min: 0,
  max: 366 * 86_400_000,
  doc: 'event times further ahead of the time their record was accepted are invalid, at every stage (the same value for every process)',
} as const satisfies IntField;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export const LOG_LEVEL = {
  type: 'enum',
  env: 'LOG_LEVEL',
  values: LOG_LEVELS,
  default: 'info',
  doc: 'lowest level of the JSON log lines written to stderr',
} as const satisfies EnumField<(typeof LOG_LEVELS)[number]>;

export const PRODUCER_GROUP = {
  type: 'string',
  env: 'PRODUCER_GROUP',
  default: 'default',
  doc: 'producer group: replicas of one group share the control keys and the rate',
} as const satisfies StringField;

export const PRODUCER_CONTROL_TOPIC = {
  type: 'string',
  env: 'PRODUCER_CONTROL_TOPIC',
  default: TOPICS.control,
  doc: 'compacted topic carrying the desired rate / pause state and replica reports',
} as const satisfies StringField;

export const OS_USER = {
  type: 'string',
  env: 'USER',
  default: 'unknown',
  doc: 'who acts in audit lines when the OS cannot name the user (and RETAIL_ETL_ACTOR is unset)',
} as const satisfies StringField;
