/**
 * Hostile requests against a real `retail-etl serve` process (api/auth.ts, api/session.ts,
 * lib/process-server.ts): missing, unknown and wrong-scope tokens, a cross-site simple POST, a
 * rebinding Host, a stolen session cookie without its CSRF token, prototype-key paths, an upload
 * above the budget of bytes in flight, and requests that never finish arriving. Every refusal must
 * be a JSON answer in the project's error shape, and nothing refused may reach Kafka.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/index.js';
import { readControlState } from '../../producer/control.js';
import type { CliProcess } from '../../stack/cli-process.js';
import { startCli } from '../../stack/cli-process.js';
import { bearer, testTokens, tokenEnv } from '../helpers/api-tokens.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { deleteTopics, topicSize } from '../helpers/kafka.js';
import { generateToken } from '../../lib/http/tokens.js';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** One raw exchange: write `text`, keep the socket open, collect what comes back until it closes. */
function raw(port: number, text: string | Buffer): Promise<{ received: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d.toString('utf8')));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    socket.on('close', () => resolve({ received, closedByServer: true }));
    socket.write(text);
  });
}

describe('serve under hostile requests', () => {
  stackEnv();
  const name = uniqueName('auth');
  const topic = `${name}.sales`;
  const controlTopic = `${name}.control`;
  const tokens = testTokens();
  const nextControl = generateToken(); // a rotation: two control tokens valid at once
  const kafka = createKafka('auth-test');
  const BUDGET = 1024 * 1024;
  let serve: CliProcess;
  let port = 0;
  let base = '';

  const call = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { text };
    }
    return { status: res.status, headers: res.headers, body };
  };
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    serve = startCli(['serve', '--port', '0', '--topic', topic], {
      name: 'serve (hostile)',
      env: {
        ...tokenEnv(tokens),
        RETAIL_TOKEN_CONTROL: `${tokens.control},${nextControl}`,
        PRODUCER_GROUP: name,
        PRODUCER_CONTROL_TOPIC: controlTopic,
        PROMETHEUS_URL: 'http://127.0.0.1:9',
        INGEST_MAX_BODY_BYTES: String(2 * BUDGET),
        RETAIL_HTTP_MAX_INFLIGHT_BYTES: String(BUDGET),
        RETAIL_HTTP_HEADERS_TIMEOUT_MS: '1000',
        RETAIL_HTTP_REQUEST_TIMEOUT_MS: '30000',
        RETAIL_HTTP_IDLE_TIMEOUT_MS: '30000',
      },
    });
    base = (await serve.waitFor(/serving on (http:\/\/\S+)/, 60_000))[1] ?? '';
    port = Number(new URL(base).port);
    // Connected to the control topic (the session tests change the rate through it).
    for (let i = 0; i < 120; i++) {
      const state = await call('/v1/control/producer', { headers: bearer(tokens.control) });
      if (state.body['connected'] === true) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 90_000);

  afterAll(async () => {
    await serve?.stop();
    await deleteTopics(kafka, [topic, controlTopic]).catch(() => undefined);
  }, 60_000);

  it('/healthz and /readyz are open; /metrics is open on the loopback without a metrics token', async () => {
    expect((await call('/healthz')).status).toBe(200);
    expect([200, 503]).toContain((await call('/readyz')).status);
    expect((await call('/metrics')).status).toBe(200);
  });

  it('401 without a token, naming the scope each route needs', async () => {
    for (const [method, path, scope] of [
      ['POST', '/v1/events', 'ingest'],
      ['GET', '/v1/top-skus?hour=2026-11-20T10:00:00Z', 'read'],
      ['GET', '/v1/openapi.json', 'read'],
      ['GET', '/v1/control/producer', 'control'],
      ['POST', '/v1/control/producer/pause', 'control'],
      ['GET', '/panel', 'control'],
    ] as const) {
      const a = await call(path, { method, headers: json, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(a.status, `${method} ${path}`).toBe(401);
      expect(a.body, `${method} ${path}`).toMatchObject({ error: 'AUTH_REQUIRED', scope, retriable: false });
      expect(a.headers.get('www-authenticate'), path).toContain(`scope="${scope}"`);
    }
  });

  it('401 for an unknown token or another scheme; 403 for a token of another scope, naming both scopes', async () => {
    const unknown = await call('/v1/openapi.json', { headers: bearer(generateToken()) });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const basic = await call('/v1/openapi.json', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(401);
    for (const [path, token, granted, scope] of [
      ['/v1/openapi.json', tokens.ingest, 'ingest', 'read'],
      ['/v1/control/producer', tokens.read, 'read', 'control'],
      ['/v1/control/metrics', tokens.ingest, 'ingest', 'control'],
    ] as const) {
      const a = await call(path, { headers: bearer(token) });
      expect(a.status, path).toBe(403);
      expect(a.body).toMatchObject({ error: 'INSUFFICIENT_SCOPE', scope, granted });
    }
    const before = await topicSize(kafka, topic).catch(() => 0);
    const wrong = await call('/v1/events', {
      method: 'POST',
      headers: { ...json, ...bearer(tokens.control) },
      body: '[]',
    });
    expect(wrong.status).toBe(403);
    expect(await topicSize(kafka, topic).catch(() => 0)).toBe(before);
  });

  it('both tokens of a rotation are accepted, each with its own identity', async () => {
    const a = await call('/v1/control/producer', { headers: bearer(tokens.control) });
    const b = await call('/v1/control/producer', { headers: bearer(nextControl) });
    expect([a.status, b.status]).toEqual([200, 200]);
    const identity = async (token: string) =>
      (await call('/panel/session', { method: 'POST', headers: json, body: JSON.stringify({ token }) })).body[
        'identity'
      ];
    const [first, second] = [await identity(tokens.control), await identity(nextControl)];
    expect(first).toMatch(/^control:[0-9a-f]{8}$/);
    expect(second).toMatch(/^control:[0-9a-f]{8}$/);
    expect(first).not.toBe(second);
  });

  it('a cross-site simple POST (text/plain, Origin evil.example) is refused and pauses nothing', async () => {
    const attack = await call('/v1/control/producer/pause', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', origin: 'http://evil.example' },
      body: '{}',
    });
    expect(attack.status).toBe(403);
    expect(attack.body).toMatchObject({ error: 'ORIGIN_NOT_ALLOWED', origin: 'http://evil.example' });
    // Even with the token, state-changing routes take JSON only (a form or text/plain POST is 415).
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      undefined,
    ]) {
      const typed = await call('/v1/control/producer/pause', {
        method: 'POST',
        headers: { ...bearer(tokens.control), ...(type ? { 'content-type': type } : {}) },
        body: '{}',
      });
      expect(typed.status, String(type)).toBe(415);
      expect(typed.body['error']).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    const before = await topicSize(kafka, topic).catch(() => 0);
    const sales = await call('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...bearer(tokens.ingest) },
      body: '[]',
    });
    expect(sales.status).toBe(415);
    expect(await topicSize(kafka, topic).catch(() => 0)).toBe(before);
    expect((await readControlState(kafka, controlTopic, name)).paused).toBeUndefined();
  });

  it('a rebinding Host (evil.example, or another port) is refused with 421 on every route', async () => {
    for (const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, 'evil.example']) {
      for (const path of ['/v1/openapi.json', '/metrics', '/healthz', '/panel/login']) {
        const { received } = await raw(
          port,
          `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${tokens.read}\r\nConnection: close\r\n\r\n`,
        );
        expect(received, `${host} ${path}`).toMatch(/^HTTP\/1\.1 421 /);
        expect(received).toContain('"error":"HOST_NOT_ALLOWED"');
      }
    }
    for (const host of [`localhost:${port}`, `[::1]:${port}`, `127.0.0.1:${port}`]) {
      const { received } = await raw(
        port,
        `GET /v1/openapi.json HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${tokens.read}\r\nConnection: close\r\n\r\n`,
      );
      expect(received, host).toMatch(/^HTTP\/1\.1 200 /);
    }
  });

  it('the panel session: HttpOnly SameSite=Strict cookie; a stolen cookie without the CSRF token cannot change anything', async () => {
    const refused = await call('/panel/session', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ token: generateToken() }),
    });
    expect(refused.status).toBe(401);
    const crossSiteLogin = await call('/panel/session', {
      method: 'POST',
      headers: { ...json, origin: 'http://evil.example' },
      body: JSON.stringify({ token: tokens.control }),
    });
    expect(crossSiteLogin.status).toBe(403);
    const readLogin = await call('/panel/session', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ token: tokens.read }),
    });
    expect(readLogin.status).toBe(403);
    expect(readLogin.body).toMatchObject({ error: 'INSUFFICIENT_SCOPE', scope: 'control', granted: 'read' });
    expect(readLogin.headers.get('set-cookie')).toBeNull();

    const signIn = await call('/panel/session', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ token: tokens.control }),
    });
    expect(signIn.status).toBe(200);
    const setCookie = signIn.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^retail_session_${port}=[\\w-]{43}; `));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    const cookie = { cookie: setCookie.split(';')[0] ?? '' };
    const csrf = String(signIn.body['csrfToken']);
    expect(signIn.body['identity']).toMatch(/^control:[0-9a-f]{8}$/);

    expect((await call('/v1/control/producer', { headers: cookie })).status).toBe(200);
    const put = (headers: Record<string, string>, rate: number) =>
      call('/v1/control/producer/rate', {
        method: 'PUT',
        headers: { ...json, ...cookie, ...headers },
        body: JSON.stringify({ rate }),
      });
    const noCsrf = await put({}, 11);
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body['error']).toBe('CSRF_REJECTED');
    expect((await put({ 'x-csrf-token': generateToken() }, 12)).body['error']).toBe('CSRF_REJECTED');
    expect((await put({ 'x-csrf-token': csrf, 'sec-fetch-site': 'same-site' }, 13)).body['error']).toBe(
      'CSRF_REJECTED',
    );
    expect((await put({ 'x-csrf-token': csrf, origin: 'http://127.0.0.1:1' }, 14)).body['error']).toBe(
      'ORIGIN_NOT_ALLOWED',
    );
    expect((await readControlState(kafka, controlTopic, name)).rate).toBeUndefined();

    // The page's own request: cookie, CSRF token, same origin. The record and the audit line name
    // the signed-in token, not the X-Actor the request claims.
    const ok = await put({ 'x-csrf-token': csrf, origin: base, 'x-actor': 'mallory' }, 15);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const state = await readControlState(kafka, controlTopic, name);
    expect(state.rate).toMatchObject({ rate: 15, actor: signIn.body['identity'] });
    const audit = await serve.waitFor(/"msg":"audit: control action".*/);
    expect(audit[0]).toContain(`"actor":"${String(signIn.body['identity'])}"`);
    expect(audit[0]).toContain('"claimed":"mallory"');

    const out = await call('/panel/session', {
      method: 'DELETE',
      headers: { ...cookie, 'x-csrf-token': csrf },
    });
    expect(out.status).toBe(200);
    expect((await call('/v1/control/producer', { headers: cookie })).status).toBe(401);
  });

  it('pages: sign-in redirect for a browser, CSP and frame-ancestors none, Bearer accepted', async () => {
    const browser = await fetch(`${base}/panel`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(browser.status).toBe(303);
    expect(browser.headers.get('location')).toBe('/panel/login');
    const login = await call('/panel/login');
    expect(login.status).toBe(200);
    const page = await call('/panel', { headers: bearer(tokens.control) });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(String(page.body['text'])).toContain('<meta name="csrf-token"');
  });

  it('prototype-key paths answer 404 at once instead of hanging', async () => {
    for (const file of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const a = await call(`/panel/${file}`);
      expect(a.status, file).toBe(404);
      expect(a.body['error']).toBe('NOT_FOUND');
    }
  });

  it('an upload above the budget of bytes in flight gets 429; concurrent uploads share the budget', async () => {
    const big = await raw(
      port,
      `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${tokens.ingest}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${BUDGET + 1}\r\n\r\n[`,
    );
    expect(big.received).toMatch(/^HTTP\/1\.1 429 /);
    expect(big.received).toContain('"error":"OVERLOADED"');
    expect(big.received.toLowerCase()).toContain('retry-after: 1');

    // A slow upload holds 60 % of the budget; while it is in flight another 60 % one is refused.
    const share = Math.floor(BUDGET * 0.6);
    const head = (n: number) =>
      `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${tokens.ingest}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${n}\r\nConnection: close\r\n\r\n`;
    const slow = connect(port, '127.0.0.1');
    slow.on('error', () => undefined);
    slow.write(head(share) + '[');
    let refused = '';
    for (let i = 0; i < 50 && !refused.startsWith('HTTP/1.1 429'); i++) {
      refused = (await raw(port, head(share) + ' '.repeat(share))).received;
    }
    expect(refused).toMatch(/^HTTP\/1\.1 429 /);
    slow.destroy();
    // Once the slow upload is gone its share is free again: the same request is read (and is
    // refused for what it is, a body of spaces).
    let after = '';
    for (let i = 0; i < 50 && !/^HTTP\/1\.1 400 /.test(after); i++) {
      after = (await raw(port, head(share) + ' '.repeat(share))).received;
      if (!after.startsWith('HTTP/1.1 400')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(after).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('headers that never finish get 408 and the connection is closed', async () => {
    const slow = await raw(port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `);
    expect(slow.closedByServer).toBe(true);
    expect(slow.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(slow.received).toContain('"error":"TIMEOUT"');
  });

  it('malformed HTTP gets a 400 JSON answer and the connection is closed', async () => {
    const bad = await raw(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(bad.received).toMatch(/^HTTP\/1\.1 400 /);
    expect(bad.closedByServer).toBe(true);
  });
});
