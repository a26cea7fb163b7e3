/**
 * ClickHouse for the native stack: `retail-etl clickhouse serve` (stack/clickhouse/), the
 * ClickHouse engine of the `chdb` package behind ClickHouse's HTTP interface on 127.0.0.1:8123,
 * owning `.stack/data/clickhouse`. Debian's clickhouse-server (18.16) is too old for the sinks
 * (no insert dedup tokens, no query parameters); chdb is the current engine (26.x). One node, one
 * query at a time, no replication: docs/stack.md says what it is and is not.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { EtlError } from '../../lib/errors.js';
import { HOST, PORTS } from '../../lib/ports.js';
import type { NativeComponent, StackContext } from '../component.js';

export const CLICKHOUSE_USER = 'default';

const dataDir = (ctx: StackContext) => join(ctx.paths.data, 'clickhouse');

function password(ctx: StackContext): string {
  const pw = ctx.secrets['CLICKHOUSE_PASSWORD'];
  if (!pw) throw new Error('CLICKHOUSE_PASSWORD missing from the stack secrets');
  return pw;
}

/** The URL clients use, credentials included (it goes to .stack/env, mode 600, never to a command line). */
export function clickhouseUrl(ctx: StackContext, port: number = PORTS.clickhouse): string {
  return `http://${CLICKHOUSE_USER}:${encodeURIComponent(password(ctx))}@${HOST}:${port}`;
}

/** The launch environment of a server on `dir` and `port` (the stack's, and the tests' own instances). */
export function clickhouseServerEnv(ctx: StackContext, dir: string, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CLICKHOUSE_SERVER_DATA_DIR: dir,
    CLICKHOUSE_SERVER_PORT: String(port),
    CLICKHOUSE_SERVER_USER: CLICKHOUSE_USER,
    CLICKHOUSE_SERVER_PASSWORD: password(ctx),
  };
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

  env: (ctx) => ({ CLICKHOUSE_URL: clickhouseUrl(ctx) }),
};
