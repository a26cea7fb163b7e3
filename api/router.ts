/**
 * The API's router: routes are `{method, path, handler}` records, where a path segment `:name`
 * captures a parameter. A route file exports a RouteModule (api/routes/*.ts) and is listed once in
 * api/routes/index.ts; the router turns the list into one `Route` for lib/process-server.ts, which
 * keeps serving /metrics, /healthz and /readyz. Every route declares who may call it (`access`,
 * api/auth.ts); the router checks it before the handler runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../lib/logger.js';
import type { Readiness, Route } from '../lib/process-server.js';
import { failResponse } from '../lib/http/response.js';
import type { ByteBudget } from '../lib/http/budget.js';
import { bodyReservation } from '../lib/http/budget.js';
import type { Guard, Principal, RouteAccess } from './auth.js';
import type { ApiConfig } from './config.js';
import type { TokenScope } from '../lib/config/index.js';
import { HttpError, sendError } from './http.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** Who called (undefined only on a public route called without credentials). */
  principal: Principal | undefined;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** `/v1/events`, `/v1/stores/:storeId/sales` … */
  path: string;
  /** Token scope the route needs, `signed-in` (any identity) or `public`. */
  access: RouteAccess;
  /** Other token scopes the route also admits (see GuardOptions). */
  alsoScopes?: readonly TokenScope[];
  /** Content types a body may have (default application/json). */
  accepts?: readonly string[];
  /** A page: a browser without credentials is sent here (303) instead of getting the 401. */
  signIn?: string;
  handler: Handler;
}

/** What every route module gets: the validated config, a logger, the metrics registry. */
export interface ApiContext {
  config: ApiConfig;
  logger: Logger;
  registry: Registry;
  /** The tokens and the control panel's sessions (sign-in, sign-out). */
  guard: Guard;
}

export interface RouteModule {
  name: string;
  /** Build the module's routes (connect clients etc.). */
  create(ctx: ApiContext): Promise<ModuleInstance> | ModuleInstance;
}

export interface ModuleInstance {
  routes: RouteDef[];
  /** Part of /readyz: the server is ready when every module is; a status says why one is not. */
  ready?(): Readiness | Promise<Readiness>;
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
  asRoute(logger: Logger, guard: Guard, budget: ByteBudget, maxBodyBytes: number): Route {
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
        sendError(
          res,
          new HttpError(
            405,
            'METHOD_NOT_ALLOWED',
            `${req.method} is not allowed on ${url.pathname}; use ${allow}`,
            {},
            { allow },
          ),
        );
        return true;
      }
      const def = hit.route.def;
      try {
        let principal: Principal | undefined;
        try {
          principal = guard.check(req, {
            access: def.access,
            ...(def.accepts ? { accepts: def.accepts } : {}),
            ...(def.alsoScopes ? { alsoScopes: def.alsoScopes } : {}),
          });
        } catch (err) {
          const browser = req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
          if (def.signIn && browser && err instanceof HttpError && err.status === 401) {
            res.writeHead(303, { location: def.signIn, 'cache-control': 'no-store' });
            res.end();
            return true;
          }
          throw err;
        }
        const reserved = bodyReservation(req, maxBodyBytes);
        if (!budget.tryReserve(reserved)) {
          throw new HttpError(
            429,
            'OVERLOADED',
            'the server has too many request bytes in flight; retry shortly',
            { limit: budget.limit },
            { 'retry-after': '1' },
            true,
          );
        }
        res.once('close', () => budget.release(reserved));
        await def.handler({ req, res, url, params: hit.params, principal });
        if (!res.writableEnded && res.headersSent) res.end();
      } catch (err) {
        if (err instanceof HttpError) {
          // A refused request's body is not read: close the connection rather than drain it.
          if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
          failResponse(res, err);
        } else {
          logger.error('request failed', { path: url.pathname, err });
          failResponse(res, new HttpError(500, 'INTERNAL', (err as Error).message, {}, {}, true));
        }
      }
      return true;
    };
  }
}
