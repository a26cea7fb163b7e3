/**
 * The project's error vocabulary. Every error that reaches a user carries a stable `code` from
 * ERROR_CODES, a `retriable` flag, and where a server answered, the server's own code (Postgres
 * SQLSTATE, Kafka error type, ClickHouse exception name) in `serverCode`.
 * docs/errors.md lists the same codes; a unit test fails when the two disagree.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'CONFIG_UNKNOWN_KEY',
  'PORT_IN_USE',
  'DEPENDENCY_MISSING',
  'PROVISION_FAILED',
  'COMPONENT_START_FAILED',
  'COMPONENT_UNHEALTHY',
  'STACK_NOT_RUNNING',
  'INVALID_ARGUMENT',
  'EVENT_INVALID',
  'SCHEMA_REGISTRY_ERROR',
  'SCHEMA_INCOMPATIBLE',
  'KAFKA_ERROR',
  'POSTGRES_ERROR',
  'CLICKHOUSE_ERROR',
  'DECODE_FAILED',
  'RATE_ABOVE_CAP',
  'TIMEOUT',
  'BODY_TOO_LARGE',
  'MALFORMED_BODY',
  'UNSUPPORTED_MEDIA_TYPE',
  'KAFKA_UNAVAILABLE',
  'OVERLOADED',
  'KAFKA_CONNECT_ERROR',
  'PROMETHEUS_UNAVAILABLE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'INTERNAL',
  'AUTH_REQUIRED',
  'INSUFFICIENT_SCOPE',
  'CSRF_REJECTED',
  'ORIGIN_NOT_ALLOWED',
  'HOST_NOT_ALLOWED',
  'BACKUP_INVALID',
  'BACKUP_VERIFY_FAILED',
  'RESTORE_TARGET_EXISTS',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface EtlErrorOptions {
  retriable?: boolean;
  serverCode?: string | undefined;
  hint?: string | undefined;
  cause?: unknown;
}

export class EtlError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly serverCode: string | undefined;
  /** What the person should do about it: printed after the message by the CLI. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: EtlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EtlError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.serverCode = options.serverCode;
    this.hint = options.hint;
  }

  /** One line a person can act on: `CODE: message — hint`. */
  toLine(): string {
    const server = this.serverCode ? ` [server: ${this.serverCode}]` : '';
    const hint = this.hint ? ` — ${this.hint}` : '';
    return `${this.code}: ${this.message}${server}${hint}`;
  }
}

export function isEtlError(err: unknown): err is EtlError {
  return err instanceof EtlError;
}
