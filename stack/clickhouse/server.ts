/**
 * ClickHouse's HTTP interface over the in-process engine (engine.ts): what @clickhouse/client and
 * curl use — `/?query=`, POST bodies, FORMAT and default_format, settings and `param_` values as
 * URL parameters, `database`, gzip/deflate/br request bodies and (enable_http_compression=1 +
 * Accept-Encoding) responses, the X-ClickHouse-Summary/-Query-Id/-Format/-Timezone headers,
 * `/ping`, and failures as clickhouse-server answers them: the exception text, its code in
 * X-ClickHouse-Exception-Code and the same HTTP status (400 syntax, 404 unknown table…, 500).
 *
 * Users authenticated like a server: HTTP basic auth, X-ClickHouse-User/-Key headers or the
 * `user`/`password` URL parameters; each runs only what its rights allow (access.ts). What it is not: one node, no replication, no sessions
 * (session_id is ignored), no native TCP protocol, queries run one at a time (docs/stack.md).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, deflate, gzip } from 'node:zlib';
import { EtlError } from '../../lib/errors.js';
import type { ClickhouseUser } from './access.js';
import type { RetentionFloor } from './access.js';
import { authenticate, refusal } from './access.js';
import type { ClickhouseEngine } from './engine.js';
import { EngineError } from './engine.js';
import { serveMetrics } from './metrics.js';
import { parseRequest } from './request.js';
import { applyPasswordChange, parsePasswordChange } from './user-password.js';

export interface ServerOptions {
  engine: ClickhouseEngine;
  host: string;
  port: number;
  /** Who may log in, and as what (access.ts). */
  users: readonly ClickhouseUser[];
  /** What a sink may never detach or drop (access.ts). */
  retentionFloor: RetentionFloor;
  /** One line per failed request and lifecycle event (never credentials or query parameters). */
  log?: (line: string) => void;
}

/** clickhouse-server's exceptionCodeToHTTPStatus, for the codes this engine can raise. */
const BAD_REQUEST = new Set([
  6, 26, 27, 32, 33, 34, 36, 38, 41, 42, 43, 44, 47, 53, 62, 69, 70, 72, 117, 130, 164, 190, 432, 457,
]);
const NOT_FOUND = new Set([46, 60, 63, 64, 65, 73, 81, 115, 116, 291, 329, 47_000]);

export function httpStatusFor(code: number): number {
  if (code === 194) return 401; // REQUIRED_PASSWORD
  if (code === 192 || code === 193 || code === 516) return 401; // UNKNOWN_USER, WRONG_PASSWORD, AUTHENTICATION_FAILED
  if (code === 497) return 403; // ACCESS_DENIED
  if (BAD_REQUEST.has(code)) return 400;
  if (NOT_FOUND.has(code)) return 404;
  if (code === 48) return 501; // NOT_IMPLEMENTED
  if (code === 159) return 408; // TIMEOUT_EXCEEDED
  return 500;
}

const compressors: Record<string, (b: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gzip),
  deflate: promisify(deflate),
  br: promisify(brotliCompress),
};

/** The credentials a request carries, in clickhouse-server's order of precedence. */
export function credentials(req: IncomingMessage, url: URL): { user: string; password: string } {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i < 0
      ? { user: decoded, password: '' }
      : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
  }
  const user = req.headers['x-clickhouse-user'];
  if (typeof user === 'string') return { user, password: String(req.headers['x-clickhouse-key'] ?? '') };
  return {
    user: url.searchParams.get('user') ?? 'default',
    password: url.searchParams.get('password') ?? '',
  };
}

function formatOf(sql: string, fallback: string): string {
  return /\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$/i.exec(sql.split('\n', 1)[0] ?? '')?.[1] ?? fallback;
}

export function startClickhouseServer(o: ServerOptions): Promise<Server> {
  const log = o.log ?? (() => undefined);
  // The server's own store: the owner's ALTER USER … IDENTIFIED BY changes it (user-password.ts).
  const users = o.users.map((u) => ({ ...u }));
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`clickhouse http: ${(err as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });

  function fail(res: ServerResponse, err: EngineError, queryId?: string): void {
    const text = `${err.message.replace(/\s+$/, '')} (version ${o.engine.version})\n`;
    res.writeHead(httpStatusFor(err.exceptionCode), {
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Exception-Code': String(err.exceptionCode),
      'X-ClickHouse-Server-Display-Name': 'retail-etl-chdb',
      ...(queryId ? { 'X-ClickHouse-Query-Id': queryId } : {}),
      ...(err.exceptionCode === 516 || err.exceptionCode === 194
        ? { 'WWW-Authenticate': 'Basic realm="ClickHouse server HTTP API"' }
        : {}),
    });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${o.host}`);
    if (
      url.pathname === '/ping' ||
      (url.pathname === '/' && req.method === 'GET' && !url.searchParams.has('query'))
    ) {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    // Prometheus' scrape: no credentials, like clickhouse-server's own endpoint (metrics.ts).
    if (url.pathname === '/metrics') return serveMetrics(o.engine, req, res);
    if (url.pathname !== '/') {
      req.resume();
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' });
      res.end(`There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      req.resume();
      res.writeHead(405, { Allow: 'GET, POST' }).end();
      return;
    }
    const user = authenticate(users, credentials(req, url));
    if (user instanceof EngineError) {
      req.resume();
      fail(res, user);
      return;
    }
    let queryId: string | undefined;
    try {
      const q = await parseRequest(req, url);
      queryId = q.queryId ?? randomUUID();
      if (req.socket.destroyed) return; // the client gave up while the request was read
      const refused = refusal(user, q, o.retentionFloor);
      if (refused) throw refused;
      const change = parsePasswordChange(q.sql);
      if (change instanceof EngineError) throw change;
      if (change) {
        const unknown = applyPasswordChange(users, change);
        if (unknown) throw unknown;
        log(`clickhouse: ${user.name} set a new password for ${change.user}`);
        res
          .writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Query-Id': queryId })
          .end();
        return;
      }
      const result = await o.engine.run(q);
      const insert = /^\s*INSERT\b/i.test(q.sql);
      const summary = {
        read_rows: String(result.rowsRead),
        read_bytes: String(result.bytesRead),
        written_rows: String(insert ? result.rowsRead : 0),
        written_bytes: String(insert ? result.bytesRead : 0),
        total_rows_to_read: '0',
        result_rows: String(insert ? 0 : result.rowsRead),
        result_bytes: String(insert ? 0 : result.body.length),
        elapsed_ns: String(result.elapsedNs),
      };
      const headers: Record<string, string> = {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Query-Id': queryId,
        'X-ClickHouse-Format': formatOf(q.sql, q.format),
        'X-ClickHouse-Timezone': o.engine.timezone,
        'X-ClickHouse-Server-Display-Name': 'retail-etl-chdb',
        'X-ClickHouse-Summary': JSON.stringify(summary),
      };
      let body = result.body;
      const accepted = String(req.headers['accept-encoding'] ?? '')
        .split(',')
        .map((s) => s.trim().split(';')[0] ?? '');
      const codec = q.compressResponse
        ? ['gzip', 'deflate', 'br'].find((c) => accepted.includes(c))
        : undefined;
      if (codec) {
        body = await (compressors[codec] as (b: Buffer) => Promise<Buffer>)(body);
        headers['Content-Encoding'] = codec;
      }
      res.writeHead(200, headers).end(body);
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      log(`clickhouse http: query ${queryId ?? '-'} failed with code ${err.exceptionCode}`);
      fail(res, err, queryId);
    }
  }

  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new EtlError('PORT_IN_USE', `clickhouse: port ${o.host}:${o.port} is already in use`, {
              hint: `stop whatever listens there (ss -ltnp 'sport = :${o.port}') or choose another port`,
            })
          : err,
      );
    });
    server.listen({ host: o.host, port: o.port, exclusive: true }, () => resolve(server));
  });
}
