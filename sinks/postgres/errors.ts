/** Postgres failures as EtlErrors: SQLSTATE kept as serverCode; connection loss and shutdown retriable. */
import { EtlError, isEtlError } from '../../lib/errors.js';

const RETRIABLE_NODE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const RETRIABLE_SQLSTATE = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01', '55P03']);

export function pgError(what: string, err: unknown): EtlError {
  if (isEtlError(err)) return err;
  const e = err as { code?: string; message?: string };
  const code = e.code;
  const message = e.message ?? String(err);
  const retriable =
    (code !== undefined &&
      (RETRIABLE_NODE.has(code) || RETRIABLE_SQLSTATE.has(code) || code.startsWith('08'))) ||
    /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(
      message,
    );
  return new EtlError('POSTGRES_ERROR', `${what}: ${message}`, {
    retriable,
    serverCode: code,
    cause: err,
  });
}
