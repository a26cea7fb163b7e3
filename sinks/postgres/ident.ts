/**
 * Postgres identifiers (schema, role names) come from configuration and end up in DDL and in
 * statements that cannot take parameters: validated against a plain-name pattern, then quoted.
 */
import { EtlError } from '../../lib/errors.js';

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export function ident(name: string, what = 'identifier'): string {
  if (!IDENT.test(name)) throw new EtlError('CONFIG_INVALID', `${what} "${name}" must match ${IDENT.source}`);
  return `"${name}"`;
}
