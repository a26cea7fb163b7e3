/** ClickHouse identifiers (database names) come from configuration: a plain name, backquoted. */
import { EtlError } from '../../lib/errors.js';

export function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name))
    throw new EtlError('CONFIG_INVALID', `ClickHouse identifier "${name}" is not a plain name`);
  return `\`${name}\``;
}
