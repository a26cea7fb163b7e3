/**
 * Every process's metrics server (a real one on 127.0.0.1, in this process): the Host allowlist,
 * /metrics behind the metrics token once one is set (/healthz and /readyz stay open), the
 * connection cap, slow headers, and JSON errors for unknown paths.
 */
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveHttpConfig } from '../../lib/config/index.js';
import { generateToken } from '../../lib/http/tokens.js';
import { closeServer, startProcessServer } from '../../lib/process-server.js';
import type { Readiness } from '../../lib/process-server.js';

const servers: Server[] = [];
const sockets: Socket[] = [];

async function start(env: Record<string, string> = {}): Promise<number> {
  const server = await startProcessServer({
    port: 0,
    host: '127.0.0.1',
    registry: new Registry(),
    ready: () => true,
    http: resolveHttpConfig({}, env),
    // A route that reads its whole body before answering, as the API's do.
    routes: [
      (req, res) => {
        if (req.url !== '/echo') return false;
        let n = 0;
        req.on('data', (c: Buffer) => (n += c.length));
        req.on('end', () => res.end(String(n)));
        return true;
      },
    ],
  });
  servers.push(server);
  return (server.address() as AddressInfo).port;
}

/** Write `text` on a new connection; resolves with what arrived once `done(received)` or the close. */
function exchange(
  port: number,
  text: string,
  done = (r: string) => r.includes('\r\n\r\n{'),
): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let received = '';
    socket.on('data', (d) => {
      received += d.toString();
      if (done(received)) resolve(received);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(received));
    socket.write(text);
  });
}

const get = (port: number, path: string, host = `127.0.0.1:${port}`, extra = '') =>
  exchange(port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`);

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map(closeServer));
});

describe('process server hardening', () => {
  it('answers 421 to a Host that is not an allowed name with its port', async () => {
    const port = await start();
    expect(await get(port, '/healthz')).toMatch(/^HTTP\/1\.1 200 /);
    expect(await get(port, '/metrics', `evil.example:${port}`)).toMatch(
      /^HTTP\/1\.1 421 [^]*HOST_NOT_ALLOWED/,
    );
    expect(await get(port, '/healthz', `localhost:${port + 1}`)).toMatch(/^HTTP\/1\.1 421 /);
  });

  it('/metrics needs the metrics token once one is configured; health stays open', async () => {
    const token = generateToken();
    const other = generateToken();
    const port = await start({ RETAIL_TOKEN_METRICS: token, RETAIL_TOKEN_READ: other });
    expect(await get(port, '/metrics')).toMatch(/^HTTP\/1\.1 401 [^]*AUTH_REQUIRED/);
    expect(await get(port, '/metrics', undefined, `Authorization: Bearer ${other}\r\n`)).toMatch(
      /^HTTP\/1\.1 403 [^]*INSUFFICIENT_SCOPE/,
    );
    const ok = await exchange(
      port,
      `GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      () => false,
    );
    expect(ok).toMatch(/^HTTP\/1\.1 200 /);
    expect(await get(port, '/healthz')).toMatch(/^HTTP\/1\.1 200 /);
    expect(await get(port, '/readyz')).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('an unknown path is a 404 in the error shape, with the security headers', async () => {
    const port = await start();
    const answer = await get(port, '/constructor');
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(answer).toContain('"error":"NOT_FOUND"');
    expect(answer.toLowerCase()).toContain(
      "content-security-policy: default-src 'none'; frame-ancestors 'none'",
    );
    expect(answer.toLowerCase()).toContain('x-content-type-options: nosniff');
  });

  it('caps open connections: one above the cap is closed unanswered, and served once a slot is free', async () => {
    const port = await start({ RETAIL_HTTP_MAX_CONNECTIONS: '3' });
    // Three keep-alive connections, each answered once so the server surely holds them.
    for (let i = 0; i < 3; i++) expect(await get(port, '/healthz')).toMatch(/^HTTP\/1\.1 200 /);
    expect(await get(port, '/healthz')).toBe('');
    sockets[0]?.destroy();
    let answer = '';
    for (let i = 0; i < 50 && answer === ''; i++) {
      answer = await get(port, '/healthz');
      if (answer === '') await new Promise((r) => setTimeout(r, 50));
    }
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('headers that never finish get 408 and the connection is closed; garbage gets 400', async () => {
    const port = await start({ RETAIL_HTTP_HEADERS_TIMEOUT_MS: '300' });
    const slow = await exchange(port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`, () => false);
    expect(slow).toMatch(/^HTTP\/1\.1 408 [^]*"error":"TIMEOUT"/);
    expect(await exchange(port, 'BREW /pot HTCPCP/1.0\r\n\r\n', () => false)).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('a body that stops arriving gets 408 once the request time is up, and the connection is closed', async () => {
    const port = await start({
      RETAIL_HTTP_HEADERS_TIMEOUT_MS: '300',
      RETAIL_HTTP_REQUEST_TIMEOUT_MS: '600',
    });
    const stalled = await exchange(
      port,
      `POST /echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 100\r\n\r\nonly-part`,
      () => false,
    );
    expect(stalled).toMatch(/^HTTP\/1\.1 408 [^]*"error":"TIMEOUT"/);
  });
});

describe('process server readiness', () => {
  it('/readyz says why it is not ready while /healthz stays alive; a boolean check still works', async () => {
    let answer: Readiness = { ready: false, status: 'restoring 63 %' };
    const server = await startProcessServer({
      port: 0,
      host: '127.0.0.1',
      registry: new Registry(),
      ready: () => answer,
      http: resolveHttpConfig({}, {}),
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      let ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'restoring 63 %' });
      answer = { ready: true, status: 'ready' };
      ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      answer = false;
      ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not ready' });
    } finally {
      await closeServer(server);
    }
  });
});
