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

/** Node's codes for a server certificate that fails verification: final, with what to check. */
const TLS_REFUSED: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate is not signed by the CA in sslrootcert',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate is not signed by the CA in sslrootcert',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the server certificate is not signed by the CA in sslrootcert',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed and not the CA in sslrootcert',
  ERR_TLS_CERT_ALTNAME_INVALID:
    'the server certificate is not issued for the host in the URL (sslmode=verify-full checks it)',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
};

export function pgError(what: string, err: unknown): EtlError {
  if (isEtlError(err)) return err;
  const e = err as { code?: string; message?: string };
  const code = e.code;
  const message = e.message ?? String(err);
  const tls = code !== undefined ? TLS_REFUSED[code] : undefined;
  if (tls !== undefined || /does not support SSL/.test(message)) {
    return new EtlError('POSTGRES_ERROR', `${what}: TLS refused: ${message}`, {
      retriable: false,
      serverCode: code,
      cause: err,
      hint: `${tls ?? 'the server has ssl off; use sslmode=disable or turn ssl on'}; see docs/security.md#postgres-tls`,
    });
  }
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
