/**
 * The stack's ClickHouse for integration tests: the HTTP server `make up` runs (CLICKHOUSE_URL in
 * .stack/env, or a developer's own instance when CLICKHOUSE_URL is set) — the sinks' production
 * path. Every test works in a database of its own and drops it afterwards.
 */
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { loadStackEnv } from '../../lib/stack-env.js';
import { stackPaths } from '../../stack/paths.js';

export function clickhouseUrl(): string {
  loadStackEnv(stackPaths().envFile);
  const url = process.env['CLICKHOUSE_URL'];
  if (!url) throw new Error('CLICKHOUSE_URL is not set: run the integration tests through `make test`');
  return url;
}

export function clickhouseClient(url = clickhouseUrl()): ClickHouseClient {
  return createClient({ url, request_timeout: 60_000 });
}

export async function dropDatabase(database: string, url = clickhouseUrl()): Promise<void> {
  const client = clickhouseClient(url);
  try {
    await client.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
  } finally {
    await client.close();
  }
}
