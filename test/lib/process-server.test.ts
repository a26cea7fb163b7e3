import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { closeServer, startProcessServer } from '../../lib/process-server.js';
import type { Readiness } from '../../lib/process-server.js';

describe('process server readiness', () => {
  it('/readyz says why it is not ready while /healthz stays alive; a boolean check still works', async () => {
    let answer: Readiness = { ready: false, status: 'restoring 63 %' };
    const server = await startProcessServer({
      port: 0,
      host: '127.0.0.1',
      registry: new Registry(),
      ready: () => answer,
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
