/**
 * Who may call a route of `retail-etl serve` (docs/security.md): every route declares its access —
 * a token scope (`ingest`, `read`, `control`), `signed-in` (any valid identity) or `public` — and
 * the router calls `guard` before the handler. Credentials: `Authorization: Bearer <token>` on any
 * route (pages included), or the control panel's session cookie. Besides, for a state-changing
 * request (any method but GET/HEAD): an `Origin`, when sent, must be this server's own; a request
 * authenticated by the cookie must carry the session's CSRF token and come from this origin; a
 * request with a body must declare a JSON type (a cross-site form or `text/plain` POST gets 415).
 */
import type { IncomingMessage } from 'node:http';
import type { TokenScope } from '../lib/config/index.js';
import type { Identity, TokenStore } from '../lib/http/tokens.js';
import { bearerToken } from '../lib/http/tokens.js';
import { HttpError } from './http.js';
import type { Session, SessionStore } from './session.js';
import { csrfMatches } from './session.js';

export type RouteAccess = Exclude<TokenScope, 'metrics'> | 'signed-in' | 'public';

export interface Principal {
  identity: Identity;
  via: 'bearer' | 'session';
  session?: Session;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const JSON_TYPES = ['application/json'];

export function isStateChanging(method: string | undefined): boolean {
  return !SAFE_METHODS.has(method ?? 'GET');
}

function challenge(scope: string, error?: string): Record<string, string> {
  return {
    'www-authenticate': `Bearer realm="retail-etl"${error ? `, error="${error}"` : ''}, scope="${scope}"`,
  };
}

export interface GuardOptions {
  access: RouteAccess;
  /** Content types a body may have (default application/json). */
  accepts?: readonly string[];
  /** Other scopes the route also admits (the dashboards: `read`, and `control` for the panel's charts). */
  alsoScopes?: readonly TokenScope[];
}

export class Guard {
  constructor(
    readonly tokens: TokenStore,
    readonly sessions: SessionStore,
  ) {}

  /** The identity behind the request's bearer token or session cookie; throws 401 for a bad token. */
  authenticate(req: IncomingMessage, access: RouteAccess): Principal | undefined {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const token = bearerToken(header);
      const identity = token === undefined ? undefined : this.tokens.verify(token);
      if (!identity) {
        throw new HttpError(
          401,
          'AUTH_REQUIRED',
          token === undefined
            ? 'the Authorization header must be `Bearer <token>`'
            : 'the bearer token is not valid on this server (unknown, or rotated out)',
          { scope: access },
          challenge(access, 'invalid_token'),
        );
      }
      return { identity, via: 'bearer' };
    }
    const session = this.sessions.get(req);
    return session ? { identity: session.identity, via: 'session', session } : undefined;
  }

  /** Checks in order: Origin, credentials (401), scope (403), CSRF (403), content type (415). */
  check(req: IncomingMessage, options: GuardOptions): Principal | undefined {
    const changing = isStateChanging(req.method);
    const origin = req.headers.origin;
    if (changing && origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) {
      throw new HttpError(
        403,
        'ORIGIN_NOT_ALLOWED',
        `a ${req.method} from origin ${origin} is refused: only pages of this server may change state`,
        { origin },
      );
    }
    const principal =
      options.access === 'public'
        ? this.optional(req)
        : this.required(req, options.access, options.alsoScopes);
    if (principal?.via === 'session' && options.access !== 'public') this.checkSession(req, principal);
    if (changing && hasBody(req)) requireType(req, options.accepts ?? JSON_TYPES);
    return principal;
  }

  private optional(req: IncomingMessage): Principal | undefined {
    try {
      return this.authenticate(req, 'public');
    } catch {
      return undefined;
    }
  }

  private required(
    req: IncomingMessage,
    access: Exclude<RouteAccess, 'public'>,
    alsoScopes: readonly TokenScope[] = [],
  ): Principal {
    const principal = this.authenticate(req, access);
    const scope = access === 'signed-in' ? 'any' : access;
    if (!principal) {
      const configured = access === 'signed-in' || this.tokens.configured(access);
      throw new HttpError(
        401,
        'AUTH_REQUIRED',
        `this route needs a token of scope ${scope}: send Authorization: Bearer <token>` +
          (access === 'control' ? ' or sign in at /panel/login' : '') +
          (configured
            ? ''
            : ` (this server has no ${scope} token configured: set RETAIL_TOKEN_${scope.toUpperCase()})`),
        { scope, hint: '`make up` writes the tokens to .stack/env (RETAIL_TOKEN_INGEST, _READ, _CONTROL)' },
        challenge(scope),
      );
    }
    const granted = principal.identity.scope;
    if (access !== 'signed-in' && granted !== access && !alsoScopes.includes(granted)) {
      throw new HttpError(
        403,
        'INSUFFICIENT_SCOPE',
        `this route needs scope ${access}; the token has scope ${principal.identity.scope}`,
        { scope: access, granted: principal.identity.scope },
        challenge(access, 'insufficient_scope'),
      );
    }
    return principal;
  }

  /** A cookie is ambient: it must come from this origin, and with the CSRF token when changing state. */
  private checkSession(req: IncomingMessage, principal: Principal): void {
    const site = req.headers['sec-fetch-site'];
    const navigation = req.method === 'GET' && req.headers['sec-fetch-mode'] === 'navigate';
    if (site !== undefined && site !== 'same-origin' && site !== 'none' && !navigation) {
      throw new HttpError(
        403,
        'CSRF_REJECTED',
        `a ${site} request cannot use the panel's session cookie`,
        {},
      );
    }
    if (
      isStateChanging(req.method) &&
      !(principal.session && csrfMatches(principal.session, req.headers['x-csrf-token']))
    ) {
      throw new HttpError(
        403,
        'CSRF_REJECTED',
        'a state-changing request authenticated by the session cookie needs the session’s X-CSRF-Token header',
        { hint: 'the panel page sends it; scripts use Authorization: Bearer instead' },
      );
    }
  }
}

function hasBody(req: IncomingMessage): boolean {
  return req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH';
}

function requireType(req: IncomingMessage, accepts: readonly string[]): void {
  const base = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!accepts.includes(base)) {
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type ${base === '' ? '(none)' : base} is not accepted here; send ${accepts.join(' or ')}`,
      { accepted: accepts },
    );
  }
}
