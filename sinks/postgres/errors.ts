/**
 * Postgres failures as EtlErrors, classified by SQLSTATE (sinks/core/refusal.ts): the SQLSTATE is
 * kept as serverCode. https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
import { EtlError, isEtlError } from '../../lib/errors.js';
import type { FailureKind } from '../core/refusal.js';
import { TargetRefusal } from '../core/refusal.js';

const UNAVAILABLE_NODE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
/** Shutting down (57P01–03), too many connections (53300). */
const UNAVAILABLE_SQLSTATE = new Set(['57P01', '57P02', '57P03', '53300']);
/**
 * Conditions that pass: serialization failure, deadlock, lock not available, statement timeout or
 * cancel, insufficient resources (class 53: disk full, out of memory).
 */
const TRANSIENT_SQLSTATE = new Set(['40001', '40P01', '55P03', '57014']);
/**
 * The rows themselves: class 22 data exception (value out of range, invalid text, bad encoding),
 * class 23 integrity constraint (check, not-null, foreign key, unique), class 54 program limit
 * exceeded (a row or statement too large: a smaller batch may pass).
 */
const REFUSED_CLASSES = new Set(['22', '23', '54']);

/** The class of a Postgres failure; `fatal` for every other SQLSTATE (undefined table, permission, …). */
export function pgFailureKind(code: string | undefined, message: string): FailureKind {
  if (code !== undefined) {
    if (UNAVAILABLE_NODE.has(code) || UNAVAILABLE_SQLSTATE.has(code) || code.startsWith('08'))
      return 'unavailable';
    if (TRANSIENT_SQLSTATE.has(code) || code.startsWith('53')) return 'transient';
    if (/^[0-9A-Z]{5}$/.test(code) && REFUSED_CLASSES.has(code.slice(0, 2))) return 'refused';
  }
  if (
    /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(
      message,
    )
  )
    return 'unavailable';
  return 'fatal';
}

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
  const raw = e.message ?? String(err);
  const tls = code !== undefined ? TLS_REFUSED[code] : undefined;
  if (tls !== undefined || /does not support SSL/.test(raw)) {
    return new EtlError('POSTGRES_ERROR', `${what}: TLS refused: ${raw}`, {
      retriable: false,
      serverCode: code,
      cause: err,
      hint: `${tls ?? 'the server has ssl off; use sslmode=disable or turn ssl on'}; see docs/security.md#postgres-tls`,
    });
  }
  const message = `${what}: ${raw}`;
  const kind = pgFailureKind(code, raw);
  const options = { serverCode: code, cause: err };
  if (kind === 'transient' || kind === 'refused')
    return new TargetRefusal('POSTGRES_ERROR', message, kind, options);
  return new EtlError('POSTGRES_ERROR', message, { ...options, retriable: kind === 'unavailable' });
}
