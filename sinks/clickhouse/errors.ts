/**
 * ClickHouse failures as EtlErrors, classified by the server's exception name (sinks/core/refusal.ts),
 * kept as serverCode. Names from ClickHouse's src/Common/ErrorCodes.cpp.
 */
import { EtlError } from '../../lib/errors.js';
import type { FailureKind } from '../core/refusal.js';
import { TargetRefusal } from '../core/refusal.js';

const UNAVAILABLE = new Set(['NETWORK_ERROR', 'SOCKET_TIMEOUT', 'ALL_CONNECTION_TRIES_FAILED', 'ABORTED']);
/** Server-side conditions that pass: merges behind, load, memory, timeouts, a read-only moment. */
const TRANSIENT = new Set([
  'TOO_MANY_PARTS',
  'TOO_MANY_SIMULTANEOUS_QUERIES',
  'TIMEOUT_EXCEEDED',
  'MEMORY_LIMIT_EXCEEDED',
  'TABLE_IS_READ_ONLY',
  'QUERY_WAS_CANCELLED',
  'KEEPER_EXCEPTION',
]);
/** The rows themselves: a value the column type or a constraint rejects, a block too large or too wide. */
const REFUSED = new Set([
  'TYPE_MISMATCH',
  'VIOLATED_CONSTRAINT',
  'INCORRECT_DATA',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'ARGUMENT_OUT_OF_BOUND',
  'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN',
  'TOO_LARGE_STRING_SIZE',
  'TOO_LARGE_ARRAY_SIZE',
  'CANNOT_CONVERT_TYPE',
  'DECIMAL_OVERFLOW',
  'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
  'CANNOT_PARSE_TEXT',
  'CANNOT_PARSE_NUMBER',
  'CANNOT_PARSE_DATE',
  'CANNOT_PARSE_DATETIME',
  'CANNOT_PARSE_UUID',
  'CANNOT_PARSE_ESCAPE_SEQUENCE',
  'CANNOT_PARSE_QUOTED_STRING',
  'CANNOT_READ_ALL_DATA',
  'INCORRECT_NUMBER_OF_COLUMNS',
  'UNKNOWN_ELEMENT_OF_ENUM',
  'TOO_MANY_ROWS_OR_BYTES',
]);
const NODE_UNAVAILABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|socket hang up/i;

/** The server's exception name: `type` from @clickhouse/client, else the `(NAME)` that ends its message. */
export function chServerCode(err: { code?: unknown; type?: unknown; message?: unknown }): string | undefined {
  if (typeof err.type === 'string' && err.type !== '') return err.type;
  const m =
    typeof err.message === 'string'
      ? /\(([A-Z][A-Z0-9_]+)\)\s*(?:\(version [^)]*\))?\s*$/.exec(err.message)
      : null;
  if (m?.[1]) return m[1];
  return typeof err.code === 'string' && /^[A-Z]/.test(err.code) ? err.code : undefined;
}

export function chFailureKind(code: string | undefined, message: string): FailureKind {
  // TOO_MANY_PARTS (252) means two things: too many active parts (merges behind: back off and
  // retry) or one insert block over max_partitions_per_insert_block, which fails the same way on
  // every retry (insertSegment splits such blocks; should one still come, the batch is split).
  if (/Too many partitions for single INSERT block/i.test(message)) return 'refused';
  if (code !== undefined && UNAVAILABLE.has(code)) return 'unavailable';
  if (code !== undefined && TRANSIENT.has(code)) return 'transient';
  if (code !== undefined && REFUSED.has(code)) return 'refused';
  if (NODE_UNAVAILABLE.test(`${code ?? ''} ${message}`)) return 'unavailable';
  // The client's request timeout: a server too slow for this insert, maybe for its size.
  if (/Timeout/i.test(message)) return 'transient';
  return 'fatal';
}

export function chError(what: string, err: unknown): EtlError {
  const e = err as { code?: unknown; type?: unknown; message?: string };
  const code = chServerCode(e);
  const raw = e.message ?? String(err);
  const kind = chFailureKind(code, raw);
  const options = { serverCode: code, cause: err };
  const message = `${what}: ${raw}`;
  if (kind === 'transient' || kind === 'refused')
    return new TargetRefusal('CLICKHOUSE_ERROR', message, kind, options);
  return new EtlError('CLICKHOUSE_ERROR', message, { ...options, retriable: kind === 'unavailable' });
}
