/**
 * The API's router: routes are `{method, path, handler}` records, where a path segment `:name`
 * captures a parameter. A route file exports a RouteModule (api/routes/*.ts) and is listed once in
 * api/routes/index.ts; the router turns the list into one `Route` for lib/process-server.ts, which
 * keeps serving /metrics, /healthz and /readyz.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../lib/logger.js';
import type { Route } from '../lib/process-server.js';
import type { ApiConfig } from './config.js';
import { HttpError, sendError, sendJson } from './http.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** `/v1/events`, `/v1/stores/:storeId/sales` … */
  path: string;
  handler: Handler;
}

/** What every route module gets: the validated config, a logger, the metrics registry. */
export interface ApiContext {
  config: ApiConfig;
  logger: Logger;
  registry: Registry;
}

export interface RouteModule {
  name: string;
  /** Build the module's routes (connect clients etc.). */
  create(ctx: ApiContext): Promise<ModuleInstance> | ModuleInstance;
}

export interface ModuleInstance {
  routes: RouteDef[];
  /** Part of /readyz: the server is ready when every module is. */
  ready?(): boolean | Promise<boolean>;
  /** Called on shutdown (flush producers, close pools). */
  close?(): Promise<void>;
}

interface Compiled {
  def: RouteDef;
  parts: string[];
}

export class Router {
  private readonly routes: Compiled[] = [];

  add(def: RouteDef): this {
    this.routes.push({ def, parts: def.path.split('/').filter((p) => p !== '') });
    return this;
  }

  private match(path: string): { route: Compiled; params: Record<string, string> }[] {
    const segments = path.split('/').filter((p) => p !== '');
    const out: { route: Compiled; params: Record<string, string> }[] = [];
    for (const route of this.routes) {
      if (route.parts.length !== segments.length) continue;
      const params: Record<string, string> = {};
      const ok = route.parts.every((part, i) => {
        const seg = segments[i] ?? '';
        if (part.startsWith(':')) {
          params[part.slice(1)] = decodeURIComponent(seg);
          return true;
        }
        return part === seg;
      });
      if (ok) out.push({ route, params });
    }
    return out;
  }

  /** One process-server route: handles every path a module declared, 405 for a wrong method. */
  asRoute(logger: Logger): Route {
    return async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      let matches: ReturnType<Router['match']>;
      try {
        matches = this.match(url.pathname);
      } catch (err) {
        // decodeURIComponent: a path parameter that is not percent-encoded UTF-8.
        if (!(err instanceof URIError)) throw err;
        sendError(
          res,
          new HttpError(400, 'INVALID_ARGUMENT', `${url.pathname} is not percent-encoded UTF-8`),
        );
        return true;
      }
      if (matches.length === 0) return false;
      const hit = matches.find((m) => m.route.def.method === req.method);
      if (!hit) {
        const allow = matches.map((m) => m.route.def.method).join(', ');
        sendJson(
          res,
          405,
          {
            error: 'METHOD_NOT_ALLOWED',
            message: `${req.method} is not allowed on ${url.pathname}; use ${allow}`,
            retriable: false,
          },
          { allow },
        );
        return true;
      }
      try {
        await hit.route.def.handler({ req, res, url, params: hit.params });
      } catch (err) {
        if (err instanceof HttpError) {
          if (!res.headersSent) sendError(res, err);
        } else {
          logger.error('request failed', { path: url.pathname, err });
          if (!res.headersSent)
            sendJson(res, 500, { error: 'INTERNAL', message: (err as Error).message, retriable: true });
        }
      }
      return true;
    };
  }
}
