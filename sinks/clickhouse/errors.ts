/** ClickHouse failures as EtlErrors: the server's exception type kept as serverCode; overload and network retriable. */
import { EtlError } from '../../lib/errors.js';

export function chError(what: string, err: unknown): EtlError {
  const e = err as { code?: string; type?: string; message?: string; clickhouseCode?: unknown };
  const code = e.type ?? (typeof e.code === 'string' ? e.code : undefined);
  const message = e.message ?? String(err);
  const retriable =
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|Timeout|TOO_MANY_PARTS|TOO_MANY_SIMULTANEOUS_QUERIES|NETWORK_ERROR/i.test(
      `${code ?? ''} ${message}`,
    );
  return new EtlError('CLICKHOUSE_ERROR', `${what}: ${message}`, { retriable, serverCode: code, cause: err });
}
