/**
 * Every pipeline process serves GET /metrics (Prometheus text), /healthz (alive) and /readyz
 * (connected to Kafka and its target) on its own port. The HTTP API adds its routes on top.
 *
 * Every server is hardened the same way (lib/config/http.ts, docs/security.md): the Host header
 * must name an allowed host with this server's port (DNS rebinding), headers/request/idle
 * timeouts, a connection cap, security headers on every answer, and every error path ends its
 * response. /metrics needs a `metrics` token when one is configured; /healthz and /readyz are
 * always open. (The budget of request bytes in flight is the API router's: only it reads bodies,
 * and only after the caller is authenticated.)
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';
import type { HttpConfig } from './config/index.js';
import { resolveHttpConfig, sharedSetting } from './config/index.js';
import { EtlError } from './errors.js';
import { HostAllowlist } from './http/host.js';
import { HttpError, failResponse, sendError, sendJson } from './http/response.js';
import { bearerToken, TokenStore } from './http/tokens.js';

/** 127.0.0.1 unless RETAIL_LISTEN_HOST says otherwise (containers set 0.0.0.0 so Prometheus can scrape). */
export function listenHost(): string {
  return sharedSetting('listenHost');
}

/** Ready or not; a status (e.g. `restoring 63 %`) says why not. */
export type Readiness = boolean | { ready: boolean; status: string };
export type ReadinessCheck = () => Promise<Readiness> | Readiness;
export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean;

export interface ProcessServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  ready: ReadinessCheck;
  /** Extra routes, tried in order before the built-in ones; return true when handled. */
  routes?: Route[];
  /** The HTTP settings (default: resolved from the environment, validated). */
  http?: HttpConfig;
}

/** Headers on every answer; the control panel's pages widen the CSP to their own files. */
export const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
};

/** A protocol-level failure (bad request line, header overflow, timeout): a JSON answer, then close. */
function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'TIMEOUT', 'the request did not arrive within the time limit']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'BODY_TOO_LARGE', 'the request headers are too large']
        : [400, 'Bad Request', 'MALFORMED_BODY', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ error: code, message, retriable: status === 408 });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export async function startProcessServer(options: ProcessServerOptions): Promise<Server> {
  const http = options.http ?? resolveHttpConfig();
  const hosts = new HostAllowlist(http.allowedHosts);
  const tokens = new TokenStore(http);
  const headersTimeout = Math.min(http.headersTimeoutMs, http.requestTimeoutMs);
  let port = options.port;
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: http.requestTimeoutMs,
      keepAliveTimeout: http.keepAliveTimeoutMs,
      // How often the header and request timeouts are checked (Node's default is 30 s).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    (req, res) => {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
      if (!hosts.allows(req.headers.host, port)) {
        sendError(
          res,
          new HttpError(
            421,
            'HOST_NOT_ALLOWED',
            `Host ${JSON.stringify(req.headers.host ?? '')} is not served here (DNS rebinding protection)`,
            { hint: 'use http://127.0.0.1:<port>, or add the name to RETAIL_HTTP_ALLOWED_HOSTS' },
            { connection: 'close' },
          ),
        );
        return;
      }
      void handle(options, tokens, req, res).catch((err: unknown) =>
        failResponse(res, new HttpError(500, 'INTERNAL', (err as Error).message, {}, {}, true)),
      );
    },
  );
  server.maxConnections = http.maxConnections;
  // A connection on which nothing moves for this long is destroyed (no 'timeout' listener).
  server.setTimeout(http.idleTimeoutMs);
  server.on('clientError', onClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new EtlError(
              'PORT_IN_USE',
              `port ${options.host ?? listenHost()}:${options.port} is already in use`,
              {
                hint: 'stop the other process or choose another port (--metrics-port)',
              },
            )
          : err,
      );
    });
    server.listen(options.port, options.host ?? listenHost(), () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return server;
}

/** /metrics needs the `metrics` scope once a metrics token is configured. */
function metricsRefusal(tokens: TokenStore, req: IncomingMessage): HttpError | undefined {
  if (!tokens.configured('metrics')) return undefined;
  const given = bearerToken(req.headers.authorization);
  const identity = given === undefined ? undefined : tokens.verify(given);
  if (!identity) {
    return new HttpError(
      401,
      'AUTH_REQUIRED',
      given === undefined
        ? '/metrics needs a token of scope metrics: Authorization: Bearer <RETAIL_TOKEN_METRICS>'
        : 'the token is not valid here',
      { scope: 'metrics' },
      { 'www-authenticate': 'Bearer realm="retail-etl", scope="metrics"' },
    );
  }
  if (identity.scope !== 'metrics') {
    return new HttpError(
      403,
      'INSUFFICIENT_SCOPE',
      `/metrics needs scope metrics; the token has scope ${identity.scope}`,
      { scope: 'metrics', granted: identity.scope },
      { 'www-authenticate': 'Bearer realm="retail-etl", error="insufficient_scope", scope="metrics"' },
    );
  }
  return undefined;
}

async function handle(
  options: ProcessServerOptions,
  tokens: TokenStore,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  for (const route of options.routes ?? []) {
    if (await route(req, res)) return;
  }
  const path = (req.url ?? '/').split('?')[0];
  if ((req.method === 'GET' || req.method === 'HEAD') && path === '/metrics') {
    const refusal = metricsRefusal(tokens, req);
    if (refusal) return sendError(res, refusal);
    res.writeHead(200, { 'content-type': options.registry.contentType, 'cache-control': 'no-store' });
    res.end(await options.registry.metrics());
  } else if (req.method === 'GET' && path === '/healthz') {
    sendJson(res, 200, { status: 'ok' });
  } else if (req.method === 'GET' && path === '/readyz') {
    const answer = await Promise.resolve(options.ready()).catch(() => false);
    const ready = typeof answer === 'boolean' ? answer : answer.ready;
    const status = typeof answer === 'boolean' ? (ready ? 'ready' : 'not ready') : answer.status;
    sendJson(res, ready ? 200 : 503, { status });
  } else {
    sendError(res, new HttpError(404, 'NOT_FOUND', `nothing is served at ${path ?? '/'}`, { path }));
  }
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Idle keep-alive connections would hold close() open until their timeout.
    server.closeIdleConnections();
  });
}
