/**
 * Set a ClickHouse user's password as the owner (`ALTER USER … [ADD] IDENTIFIED BY`,
 * user-password.ts): the client side of `secrets rotate`'s ClickHouse step, on the project's one
 * ClickHouse client. The password travels only in the request body, never in a URL, a log or an
 * error message.
 */
import { createClickhouseClient } from '../../sinks/clickhouse/client.js';
import { chError } from '../../sinks/clickhouse/errors.js';

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
  // The user name is one of the stack's (access.ts); the password is generated hex. Both are quoted.
  const quote = (s: string) => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  const client = await createClickhouseClient({ url: ownerUrl });
  try {
    await client.command({
      query: `ALTER USER \`${user.replace(/`/g, '')}\` ${add ? 'ADD ' : ''}IDENTIFIED BY '${quote(password)}'`,
    });
  } catch (err) {
    throw chError(`clickhouse: setting ${user}'s password`, err);
  } finally {
    await client.close();
  }
}
