/** ClickHouse failures as EtlErrors: the server's exception type kept as serverCode; overload and network retriable. */
import { EtlError } from '../../lib/errors.js';

export function chError(what: string, err: unknown): EtlError {
  const e = err as { code?: string; type?: string; message?: string; clickhouseCode?: unknown };
  const code = e.type ?? (typeof e.code === 'string' ? e.code : undefined);
  const message = e.message ?? String(err);
  // TOO_MANY_PARTS (252) means two things: too many active parts (merges behind: back off and
  // retry) or one insert block over max_partitions_per_insert_block, which fails the same way on
  // every retry (insertSegment splits such blocks; should one still come, it must not be retried).
  const blockTooWide = /Too many partitions for single INSERT block/i.test(message);
  const retriable =
    !blockTooWide &&
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|Timeout|TOO_MANY_PARTS|TOO_MANY_SIMULTANEOUS_QUERIES|NETWORK_ERROR/i.test(
      `${code ?? ''} ${message}`,
    );
  return new EtlError('CLICKHOUSE_ERROR', `${what}: ${message}`, { retriable, serverCode: code, cause: err });
}
