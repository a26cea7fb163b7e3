/**
 * What a target's failure means for the batch that caused it (docs/sinks.md#when-a-write-fails).
 * Each target classifies by the server's own code (sinks/postgres/errors.ts, SQLSTATE;
 * sinks/clickhouse/errors.ts, exception name) into one of:
 *   unavailable  the target could not be reached or is shutting down: nothing was judged about the
 *                rows, so the sink waits with back-off as long as it takes (alert RetailSinkStuck);
 *   transient    the server answered with a condition that passes (lock, serialization, merges
 *                behind, memory, timeout): retried with back-off, but only `refusedRetryAttempts`
 *                times — the same answer after that is taken as caused by the batch's shape;
 *   refused      the server refused the rows themselves (data, constraint, limit, batch shape): the
 *                same batch fails the same way on every retry, so it is split (sinks/core/split.ts)
 *                until the refused records stand alone, and those are dead-lettered;
 *   fatal        the sink itself is wrong (unknown table, permission, authentication): no batch
 *                would pass, the loop stops loudly instead of dead-lettering good records.
 * `unavailable` and `fatal` are plain EtlErrors (retriable true / false); the two that depend on
 * the batch are TargetRefusals.
 */
import { EtlError, isEtlError } from '../../lib/errors.js';
import type { EtlErrorOptions, ErrorCode } from '../../lib/errors.js';

export type RefusalKind = 'transient' | 'refused';

export class TargetRefusal extends EtlError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly kind: RefusalKind,
    options: Omit<EtlErrorOptions, 'retriable'> = {},
  ) {
    super(code, message, { ...options, retriable: kind === 'transient' });
    this.name = 'TargetRefusal';
  }
}

export function isRefusal(err: unknown): err is TargetRefusal {
  return err instanceof TargetRefusal;
}

export type FailureKind = 'unavailable' | RefusalKind | 'fatal';

/** The class of any error a write can throw (a non-EtlError is a bug: fatal). */
export function failureKind(err: unknown): FailureKind {
  if (isRefusal(err)) return err.kind;
  if (isEtlError(err) && err.retriable) return 'unavailable';
  return 'fatal';
}

/** The precise reason a refused record's dead letter carries: who refused it, the server code, the message. */
export function refusalDetail(sink: string, err: unknown): string {
  const e = err as Partial<EtlError>;
  const server = e.serverCode ? ` [${e.serverCode}]` : '';
  return `${sink} refused the record${server}: ${e.message ?? String(err)}`;
}
