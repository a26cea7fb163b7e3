/**
 * Every pipeline process serves GET /metrics (Prometheus text), /healthz (alive) and /readyz
 * (connected to Kafka and its target) on its own port. The HTTP API adds its routes on top.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { sharedSetting } from './config/index.js';
import { EtlError } from './errors.js';

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
}

export async function startProcessServer(options: ProcessServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    void handle(options, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'INTERNAL', message: (err as Error).message }));
    });
  });
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
  return server;
}

async function handle(
  options: ProcessServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  for (const route of options.routes ?? []) {
    if (await route(req, res)) return;
  }
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/metrics') {
    res.writeHead(200, { 'content-type': options.registry.contentType });
    res.end(await options.registry.metrics());
  } else if (req.method === 'GET' && path === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  } else if (req.method === 'GET' && path === '/readyz') {
    const answer = await Promise.resolve(options.ready()).catch(() => false);
    const ready = typeof answer === 'boolean' ? answer : answer.ready;
    const status = typeof answer === 'boolean' ? (ready ? 'ready' : 'not ready') : answer.status;
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status }));
  } else {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'NOT_FOUND', path }));
  }
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
