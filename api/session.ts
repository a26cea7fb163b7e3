/**
 * Control panel sessions: signing in with a token gives an `HttpOnly; SameSite=Strict` cookie
 * naming a server-side session (kept in memory, by the SHA-256 of the cookie value) and a CSRF
 * token the page sends back in `X-CSRF-Token` on every state-changing request. The cookie name
 * carries the server's port: cookies are shared between the ports of one host, so two servers on
 * 127.0.0.1 must not overwrite each other's. A restart ends every session (sign in again).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Identity } from '../lib/http/tokens.js';

export interface Session {
  identity: Identity;
  csrfToken: string;
  expiresAt: number;
}

/** Sessions kept at most; the oldest go first (a sign-in loop cannot grow memory without bound). */
const MAX_SESSIONS = 10_000;

const digest = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private port = 0;

  constructor(private readonly ttlSeconds: number) {}

  /** Called once the server listens (the cookie name carries its port). */
  bindPort(port: number): void {
    this.port = port;
  }

  get cookieName(): string {
    return `retail_session_${this.port}`;
  }

  /** A new session; returns it and the Set-Cookie header value. */
  create(identity: Identity): { session: Session; setCookie: string } {
    const now = Date.now();
    for (const [key, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(key);
    while (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const value = randomBytes(32).toString('base64url');
    const session: Session = {
      identity,
      csrfToken: randomBytes(32).toString('base64url'),
      expiresAt: now + this.ttlSeconds * 1000,
    };
    this.sessions.set(digest(value), session);
    return {
      session,
      setCookie: `${this.cookieName}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${this.ttlSeconds}`,
    };
  }

  private cookieValue(req: IncomingMessage): string | undefined {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === this.cookieName) return part.slice(eq + 1).trim();
    }
    return undefined;
  }

  /** The live session the request's cookie names, if any. */
  get(req: IncomingMessage): Session | undefined {
    const value = this.cookieValue(req);
    if (value === undefined) return undefined;
    const key = digest(value);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (session.expiresAt <= Date.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  /** Ends the request's session; returns the Set-Cookie value that clears the cookie. */
  destroy(req: IncomingMessage): string {
    const value = this.cookieValue(req);
    if (value !== undefined) this.sessions.delete(digest(value));
    return `${this.cookieName}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }
}

/** Whether `given` (the X-CSRF-Token header) is the session's CSRF token (constant time). */
export function csrfMatches(session: Session, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(digest(given), 'hex');
  const b = Buffer.from(digest(session.csrfToken), 'hex');
  return timingSafeEqual(a, b);
}
