import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, portIsFree } from '../../stack/net.js';

const ephemeralLow = Number(
  readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
);

describe('freePort', () => {
  it('picks a bindable port below the kernel’s ephemeral range, where no outgoing connection can take it', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const p of ports) {
      expect(p).toBeLessThan(ephemeralLow);
      expect(p).toBeGreaterThanOrEqual(1024);
    }
    expect(new Set(ports).size).toBeGreaterThan(1);
    const port = ports[0] as number;
    expect(await portIsFree(port)).toBe(true);
    const server = createServer();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      expect(await portIsFree(port)).toBe(false);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
