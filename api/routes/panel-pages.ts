/**
 * The control panel's pages and sign-in (the controls themselves are api/routes/control-panel.ts):
 *
 *   GET    /panel/login      the sign-in page (public)
 *   POST   /panel/session    {"token": "<control token>"} → session cookie (HttpOnly; SameSite=Strict) + CSRF token
 *   DELETE /panel/session    sign out
 *   GET    /panel            the panel (scope control; a browser without a session is sent to sign in)
 *   GET    /panel/<file>     its script and style sheet (public: static code, no data)
 *
 * The pages carry a strict CSP (own files only, no inline script, frame-ancestors 'none'); the
 * panel page embeds the session's CSRF token in a meta tag that its script sends back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../stack/paths.js';
import { HttpError, readBody, sendJson } from '../http.js';
import type { ApiContext, RouteModule } from '../router.js';

/** Own files only: no inline script or style, no framing, forms post back here only. */
export const PANEL_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Files served under /panel/ (a Map: a name like `constructor` must not find Object's own keys). */
const PUBLIC_FILES = new Map<string, string>([
  ['panel.js', 'text/javascript; charset=utf-8'],
  ['panel-charts.js', 'text/javascript; charset=utf-8'],
  ['login.js', 'text/javascript; charset=utf-8'],
  ['panel.css', 'text/css; charset=utf-8'],
]);

function panelFile(name: string): Buffer {
  return readFileSync(join(projectRoot(), 'api', 'panel', name));
}

const pageHeaders = (type: string): Record<string, string> => ({
  'content-type': type,
  'cache-control': 'no-store',
  'content-security-policy': PANEL_CSP,
});

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function panelPagesModule(): RouteModule {
  return {
    name: 'panel-pages',
    create({ guard, logger }: ApiContext) {
      const sessions = guard.sessions;
      return {
        routes: [
          {
            method: 'GET',
            path: '/panel/login',
            access: 'public',
            handler: ({ res }) => {
              res.writeHead(200, pageHeaders('text/html; charset=utf-8'));
              res.end(panelFile('login.html'));
            },
          },
          {
            method: 'POST',
            path: '/panel/session',
            access: 'public',
            handler: async ({ req, res }) => {
              const raw = await readBody(req, 4096);
              let token: unknown;
              try {
                token = (JSON.parse(raw.toString('utf8')) as { token?: unknown }).token;
              } catch {
                /* below */
              }
              if (typeof token !== 'string' || token === '')
                throw new HttpError(400, 'MALFORMED_BODY', 'send {"token": "<your token>"}');
              const identity = guard.tokens.verify(token);
              if (!identity) {
                logger.warn('audit: sign-in refused', { audit: true, from: req.socket.remoteAddress });
                throw new HttpError(401, 'AUTH_REQUIRED', 'this token is not valid on this server', {
                  scope: 'any',
                });
              }
              if (identity.scope !== 'control') {
                throw new HttpError(
                  403,
                  'INSUFFICIENT_SCOPE',
                  `the panel needs a token of scope control; this one has scope ${identity.scope}`,
                  { scope: 'control', granted: identity.scope },
                );
              }
              const { session, setCookie } = sessions.create(identity);
              logger.info('audit: signed in', {
                audit: true,
                identity: identity.name,
                from: req.socket.remoteAddress,
              });
              sendJson(
                res,
                200,
                {
                  identity: identity.name,
                  scope: identity.scope,
                  csrfToken: session.csrfToken,
                  expiresAt: new Date(session.expiresAt).toISOString(),
                },
                { 'set-cookie': setCookie, 'cache-control': 'no-store' },
              );
            },
          },
          {
            method: 'DELETE',
            path: '/panel/session',
            access: 'signed-in',
            handler: ({ req, res, principal }) => {
              logger.info('audit: signed out', { audit: true, identity: principal?.identity.name });
              sendJson(res, 200, { signedOut: true }, { 'set-cookie': sessions.destroy(req) });
            },
          },
          {
            method: 'GET',
            path: '/panel',
            access: 'control',
            signIn: '/panel/login',
            handler: ({ res, principal }) => {
              const html = panelFile('index.html')
                .toString('utf8')
                .replace('__CSRF_TOKEN__', escapeHtml(principal?.session?.csrfToken ?? ''))
                .replace('__IDENTITY__', escapeHtml(principal?.identity.name ?? ''));
              res.writeHead(200, pageHeaders('text/html; charset=utf-8'));
              res.end(html);
            },
          },
          {
            method: 'GET',
            path: '/panel/:file',
            access: 'public',
            handler: ({ res, params }) => {
              const file = params['file'] ?? '';
              const type = PUBLIC_FILES.get(file);
              if (type === undefined) throw new HttpError(404, 'NOT_FOUND', `no such panel file: ${file}`);
              res.writeHead(200, pageHeaders(type));
              res.end(panelFile(file));
            },
          },
        ],
      };
    },
  };
}
