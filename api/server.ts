/**
 * `retail-etl serve`: the pipeline's HTTP server — the route modules of api/routes/index.ts on top
 * of lib/process-server.ts (/metrics, /healthz, /readyz), behind the token and session checks of
 * api/auth.ts (docs/security.md).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from '../lib/process-metrics.js';
import type { Logger } from '../lib/logger.js';
import { createLogger } from '../lib/logger.js';
import { closeServer, startProcessServer } from '../lib/process-server.js';
import type { HttpConfig } from '../lib/config/index.js';
import { resolveHttpConfig } from '../lib/config/index.js';
import { TokenStore } from '../lib/http/tokens.js';
import { ByteBudget } from '../lib/http/budget.js';
import { Guard } from './auth.js';
import { SessionStore } from './session.js';
import type { ApiConfig } from './config.js';
import type { ModuleInstance, RouteModule } from './router.js';
import { Router } from './router.js';
import type { ModuleOptions } from './routes/index.js';
import { routeModules } from './routes/index.js';

export interface ApiServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface ApiServerOptions {
  logger?: Logger;
  modules?: RouteModule[];
  moduleOptions?: ModuleOptions;
  /** Tokens, Host allowlist, timeouts… (default: resolved from the environment). */
  http?: HttpConfig;
}

export async function startApiServer(config: ApiConfig, options: ApiServerOptions = {}): Promise<ApiServer> {
  const logger = options.logger ?? createLogger('serve');
  const http = options.http ?? resolveHttpConfig();
  const sessions = new SessionStore(http.sessionTtlSeconds);
  const guard = new Guard(new TokenStore(http), sessions);
  const registry = new Registry();
  collectProcessMetrics(registry, 'retail_api_process_');
  const instances: ModuleInstance[] = [];
  const router = new Router();
  for (const module of options.modules ?? routeModules(options.moduleOptions)) {
    const instance = await module.create({
      config,
      logger: logger.child({ module: module.name }),
      registry,
      guard,
    });
    instances.push(instance);
    for (const route of instance.routes) router.add(route);
  }
  const server = await startProcessServer({
    port: config.port,
    registry,
    http,
    routes: [router.asRoute(logger, guard, new ByteBudget(http.maxInflightBytes), config.maxBodyBytes)],
    // Not ready while any module is not; /readyz names every module's reason (e.g. a Kafka refusal).
    ready: async () => {
      const reasons: string[] = [];
      for (const i of instances) {
        const answer = i.ready ? await i.ready() : true;
        if (answer === false) reasons.push('not ready');
        else if (answer !== true && !answer.ready) reasons.push(answer.status);
      }
      return reasons.length === 0 ? true : { ready: false, status: [...new Set(reasons)].join('; ') };
    },
  });
  const port = (server.address() as AddressInfo).port;
  sessions.bindPort(port);
  for (const scope of ['ingest', 'read', 'control'] as const) {
    if (!guard.tokens.configured(scope))
      logger.warn(`no ${scope} token configured: its routes answer 401`, {
        env: `RETAIL_TOKEN_${scope.toUpperCase()}`,
      });
  }
  logger.info('serving', {
    port,
    routes: instances.flatMap((i) => i.routes.map((r) => `${r.method} ${r.path}`)),
  });
  let closing: Promise<void> | undefined;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      (closing ??= (async () => {
        await closeServer(server);
        for (const i of instances) await i.close?.();
      })()),
  };
}
