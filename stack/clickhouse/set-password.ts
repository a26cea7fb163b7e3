/**
 * Set a ClickHouse user's password as the owner (`ALTER USER … IDENTIFIED BY`, user-password.ts):
 * the client side of `secrets rotate`'s ClickHouse step. Credentials travel in the X-ClickHouse
 * headers, never in the URL; neither password reaches a log or an error message.
 */
import { EtlError } from '../../lib/errors.js';

/**
 * `ownerUrl` carries the owner's credentials (http://user:password@host:port). `add`: accept the
 * password beside the current one (ADD IDENTIFIED); else it becomes the only one.
 */
export async function setClickhousePassword(
  ownerUrl: string,
  user: string,
  password: string,
  add = false,
): Promise<void> {
  const u = new URL(ownerUrl);
  // The user name is one of the stack's (access.ts); the password is generated hex. Both are quoted.
  const quote = (s: string) => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  let res: Response;
  try {
    res = await fetch(`${u.protocol}//${u.host}/`, {
      method: 'POST',
      body: `ALTER USER \`${user.replace(/`/g, '')}\` ${add ? 'ADD ' : ''}IDENTIFIED BY '${quote(password)}'`,
      headers: {
        'X-ClickHouse-User': decodeURIComponent(u.username),
        'X-ClickHouse-Key': decodeURIComponent(u.password),
      },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new EtlError(
      'CLICKHOUSE_ERROR',
      `clickhouse: could not reach ${u.host} to set ${user}'s password`,
      {
        retriable: true,
        cause: err,
      },
    );
  }
  if (res.ok) {
    await res.arrayBuffer();
    return;
  }
  const text = (await res.text()).split('\n', 1)[0] ?? '';
  const serverCode = /\(([A-Z_]+)\)/.exec(text)?.[1];
  throw new EtlError(
    'CLICKHOUSE_ERROR',
    `clickhouse: setting ${user}'s password was refused (HTTP ${res.status})`,
    {
      retriable: false,
      serverCode,
    },
  );
}
