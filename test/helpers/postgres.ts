/** One query on a short-lived connection (lib/postgres/connection.ts), for tests' checks and setup. */
import type pg from 'pg';
import { withPgClient } from '../../lib/postgres/connection.js';

export async function pgQuery<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return withPgClient(url, async (c) => (await c.query<T>(sql, params)).rows);
}
