/**
 * kafkajs errors → EtlError: the broker's own error type (e.g. NOT_LEADER_FOR_PARTITION) becomes
 * `serverCode`, and `retriable` is true only when a later attempt can succeed — kafkajs marks each
 * protocol error as retriable or not, but wraps exhausted retries in a non-retriable
 * KafkaJSNumberOfRetriesExceeded whose cause is what actually failed, so that cause decides.
 */
import type { ErrorCode } from '../errors.js';
import { EtlError } from '../errors.js';

/** Broker answers no retry can fix: the request itself is wrong or not allowed. */
export const FINAL_KAFKA_ERRORS: ReadonlySet<string> = new Set([
  'INVALID_REPLICATION_FACTOR',
  'INVALID_PARTITIONS',
  'INVALID_CONFIG',
  'INVALID_TOPIC_EXCEPTION',
  'POLICY_VIOLATION',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_REQUIRED_ACKS',
  'UNSUPPORTED_VERSION',
  'UNSUPPORTED_COMPRESSION_TYPE',
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
]);

/**
 * Broker answers that mean "not now": leadership moving, a broker starting, a group loading. Listed
 * because errors built outside kafkajs' protocol layer (ours, or a stub's) carry only the type.
 */
export const RETRIABLE_KAFKA_ERRORS: ReadonlySet<string> = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'REQUEST_TIMED_OUT',
  'REPLICA_NOT_AVAILABLE',
  'NETWORK_EXCEPTION',
  'GROUP_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'NOT_CONTROLLER',
  'KAFKA_STORAGE_ERROR',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'OFFSET_NOT_AVAILABLE',
  'REBALANCE_IN_PROGRESS',
  'CONCURRENT_TRANSACTIONS',
]);

interface KafkaJsLike {
  name?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown;
}

/** The error and the errors it wraps, outermost first (bounded: causes can form a cycle). */
function chain(err: unknown): KafkaJsLike[] {
  const out: KafkaJsLike[] = [];
  let e: unknown = err;
  while (e !== null && typeof e === 'object' && out.length < 8 && !out.includes(e as KafkaJsLike)) {
    const k = e as KafkaJsLike;
    out.push(k);
    e = k.cause ?? k.originalError;
  }
  return out;
}

/**
 * The broker's error type (kafkajs' `type`) found on the error or anything it wraps. An aggregate
 * (kafkajs' one error for a CreateTopics answer, one member per topic) answers with a final type
 * of one of its members when there is one: a topic denied beside one that already exists is denied.
 */
export function kafkaErrorType(err: unknown): string | undefined {
  for (const e of chain(err)) {
    if (typeof e.type === 'string') return e.type;
    if (Array.isArray(e.errors)) {
      const types = e.errors.map((m) => kafkaErrorType(m)).filter((t): t is string => t !== undefined);
      const type = types.find((t) => FINAL_KAFKA_ERRORS.has(t)) ?? types[0];
      if (type !== undefined) return type;
    }
  }
  return undefined;
}

/**
 * Whether `err` came from the Kafka client: kafkajs names every error it raises `KafkaJS…`, and a
 * broker's answer carries its error type. Everything else (a bug, a database error) is not.
 */
export function isKafkaClientError(err: unknown): boolean {
  return chain(err).some(
    (e) => (typeof e.name === 'string' && e.name.startsWith('KafkaJS')) || typeof e.type === 'string',
  );
}

export function isRetriableKafkaError(err: unknown): boolean {
  const type = kafkaErrorType(err);
  if (type !== undefined && FINAL_KAFKA_ERRORS.has(type)) return false;
  if (type !== undefined && RETRIABLE_KAFKA_ERRORS.has(type)) return true;
  for (const e of chain(err)) {
    // Retries ran out on something else: whether that something can succeed later decides.
    if (e.name === 'KafkaJSNumberOfRetriesExceeded' && (e.cause ?? e.originalError) !== undefined) continue;
    if (typeof e.retriable === 'boolean') return e.retriable;
  }
  return false;
}

/**
 * What a person should do about an error the broker's security raised: an ACL the principal lacks,
 * or credentials it refused. Undefined for every other error.
 */
export function kafkaSecurityHint(err: unknown): string | undefined {
  const type = kafkaErrorType(err);
  if (type !== undefined && type.endsWith('_AUTHORIZATION_FAILED'))
    return 'the Kafka principal (KAFKA_SASL_USERNAME or the certificate’s CN) has no ACL for this; see docs/security.md#kafka';
  if (chain(err).some((e) => e.name === 'KafkaJSSASLAuthenticationError'))
    return 'the broker refused the SASL credentials (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD_FILE); see docs/security.md#kafka';
  return undefined;
}

export interface KafkaErrorOptions {
  code?: ErrorCode;
  hint?: string | undefined;
}

/**
 * `message: <kafkajs message>` as an EtlError with the server's code and an honest retriable flag.
 * An EtlError passes through unchanged: it was already mapped closer to where it happened.
 */
export function kafkaError(message: string, err: unknown, options: KafkaErrorOptions = {}): EtlError {
  if (err instanceof EtlError) return err;
  return new EtlError(
    options.code ?? 'KAFKA_ERROR',
    `${message}: ${(err as Error | undefined)?.message ?? String(err)}`,
    {
      retriable: isRetriableKafkaError(err),
      serverCode: kafkaErrorType(err),
      hint: options.hint ?? kafkaSecurityHint(err),
      cause: err,
    },
  );
}
