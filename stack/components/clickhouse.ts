/**
 * ClickHouse for the native stack: `retail-etl clickhouse serve` (stack/clickhouse/), the
 * ClickHouse engine of the `chdb` package behind ClickHouse's HTTP interface on 127.0.0.1:8123,
 * owning `.stack/data/clickhouse`. Debian's clickhouse-server (18.16) is too old for the sinks
 * (no insert dedup tokens, no query parameters); chdb is the current engine (26.x). One node, one
 * query at a time, no replication: docs/stack.md says what it is and is not.
 *
 * Its users (stack/clickhouse/access.ts), each with a generated password and its own URL in
 * `.stack/env`; a pipeline process gets only its own (stack/pipeline.ts):
 *
 *   default          owner       CLICKHOUSE_URL            `make up` (migrations), tests, curl
 *   retail_sink      raw sink    CLICKHOUSE_SINK_URL       the sink-clickhouse process
 *   retail_agg_sink  agg sink    CLICKHOUSE_AGG_SINK_URL   the sink-aggregates-clickhouse process
 *   retail_reader    query API   QUERY_CLICKHOUSE_URL      the serve process (readonly=1)
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { EtlError } from '../../lib/errors.js';
import { HOST, PORTS } from '../../lib/ports.js';
import { createClickhouseClient } from '../../sinks/clickhouse/client.js';
import { migrateClickhouse } from '../../sinks/clickhouse/migrate-all.js';
import {
  CLICKHOUSE_AGG_SINK_USER,
  CLICKHOUSE_READER_USER,
  CLICKHOUSE_SINK_USER,
} from '../clickhouse/access.js';
import type { NativeComponent, StackContext } from '../component.js';

export const CLICKHOUSE_USER = 'default';

/** The runtime users: name, password key in .stack/secrets.env, URL key in .stack/env, server variable. */
export const CLICKHOUSE_RUNTIME_USERS = [
  {
    user: CLICKHOUSE_SINK_USER,
    secret: 'CLICKHOUSE_SINK_PASSWORD',
    envKey: 'CLICKHOUSE_SINK_URL',
    serverEnv: 'CLICKHOUSE_SERVER_SINK_PASSWORD',
  },
  {
    user: CLICKHOUSE_AGG_SINK_USER,
    secret: 'CLICKHOUSE_AGG_SINK_PASSWORD',
    envKey: 'CLICKHOUSE_AGG_SINK_URL',
    serverEnv: 'CLICKHOUSE_SERVER_AGG_SINK_PASSWORD',
  },
  {
    user: CLICKHOUSE_READER_USER,
    secret: 'CLICKHOUSE_READER_PASSWORD',
    envKey: 'QUERY_CLICKHOUSE_URL',
    serverEnv: 'CLICKHOUSE_SERVER_READER_PASSWORD',
  },
] as const;

const dataDir = (ctx: StackContext) => join(ctx.paths.data, 'clickhouse');

function password(ctx: StackContext): string {
  const pw = ctx.secrets['CLICKHOUSE_PASSWORD'];
  if (!pw) throw new Error('CLICKHOUSE_PASSWORD missing from the stack secrets');
  return pw;
}

/** The owner's URL, credentials included (it goes to .stack/env, mode 600, never to a command line). */
export function clickhouseUrl(ctx: StackContext, port: number = PORTS.clickhouse): string {
  return `http://${CLICKHOUSE_USER}:${encodeURIComponent(password(ctx))}@${HOST}:${port}`;
}

/** Every runtime user's URL whose password the stack has, keyed by its `.stack/env` name. */
export function clickhouseRuntimeUrls(
  ctx: StackContext,
  port: number = PORTS.clickhouse,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const u of CLICKHOUSE_RUNTIME_USERS) {
    const pw = ctx.secrets[u.secret];
    if (pw) out[u.envKey] = `http://${u.user}:${encodeURIComponent(pw)}@${HOST}:${port}`;
  }
  return out;
}

/** The launch environment of a server on `dir` and `port` (the stack's, and the tests' own instances). */
export function clickhouseServerEnv(ctx: StackContext, dir: string, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CLICKHOUSE_SERVER_DATA_DIR: dir,
    CLICKHOUSE_SERVER_PORT: String(port),
    CLICKHOUSE_SERVER_USER: CLICKHOUSE_USER,
    CLICKHOUSE_SERVER_PASSWORD: password(ctx),
    ...Object.fromEntries(
      CLICKHOUSE_RUNTIME_USERS.filter((u) => ctx.secrets[u.secret]).map((u) => [
        u.serverEnv,
        ctx.secrets[u.secret] as string,
      ]),
    ),
  };
}

/** The tables of the configured databases, created as the owner: the sinks' users cannot. */
export async function migrateStackClickhouse(
  ctx: StackContext,
  port: number = PORTS.clickhouse,
): Promise<void> {
  const client = await createClickhouseClient({ url: clickhouseUrl(ctx, port) });
  try {
    await migrateClickhouse(client, process.env);
  } finally {
    await client.close();
  }
}

/** An authenticated `SELECT 1`: the engine answers, not just the socket. */
export async function clickhouseAnswers(
  ctx: StackContext,
  port: number = PORTS.clickhouse,
): Promise<boolean> {
  try {
    const res = await fetch(`http://${HOST}:${port}/?query=SELECT%201`, {
      headers: { 'X-ClickHouse-User': CLICKHOUSE_USER, 'X-ClickHouse-Key': password(ctx) },
      signal: AbortSignal.timeout(2000),
    });
    return res.ok && (await res.text()).trim() === '1';
  } catch {
    return false;
  }
}

export const clickhouse: NativeComponent = {
  name: 'clickhouse',
  title: 'ClickHouse (chdb engine, HTTP interface; one node)',
  ports: [PORTS.clickhouse],
  stopSignal: 'SIGTERM',
  startTimeoutMs: 60_000,
  url: `http://${HOST}:${PORTS.clickhouse}`,

  preflight() {
    try {
      createRequire(import.meta.url).resolve('chdb');
    } catch {
      throw new EtlError('DEPENDENCY_MISSING', 'the chdb package (the ClickHouse engine) is not installed', {
        hint: 'run `npm ci` in the project: the native stack’s ClickHouse runs on it',
      });
    }
  },

  provision: async () => undefined,
  prepare: async () => undefined,

  launch(ctx) {
    return {
      command: process.execPath,
      args: [join(ctx.paths.root, 'dist', 'cli', 'main.js'), 'clickhouse', 'serve'],
      env: clickhouseServerEnv(ctx, dataDir(ctx), PORTS.clickhouse),
    };
  },

  healthy: (ctx) => clickhouseAnswers(ctx),

  afterStart: (ctx) => migrateStackClickhouse(ctx),

  env: (ctx) => ({ CLICKHOUSE_URL: clickhouseUrl(ctx), ...clickhouseRuntimeUrls(ctx) }),
};
