/** A taken port — an exporter's, ClickHouse's — stops `up` before anything starts, naming it. */
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { EtlError } from '../../lib/errors.js';
import { freePort } from '../../stack/net.js';
import { assertPortsFree } from '../../stack/port-check.js';

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function hold(port: number): Promise<void> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
}

describe('the port check of `up`', () => {
  it('names the first taken port and its component (a Postgres exporter here)', async () => {
    const [a, b] = [await freePort(), await freePort()];
    await hold(b);
    const err = await assertPortsFree([
      { name: 'clickhouse', ports: [a] },
      { name: 'postgres-exporter', ports: [b] },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EtlError);
    expect((err as EtlError).code).toBe('PORT_IN_USE');
    expect((err as EtlError).message).toBe(
      `port 127.0.0.1:${b} needed by postgres-exporter is already in use`,
    );
  });

  it('passes when every port is free', async () => {
    await expect(assertPortsFree([{ name: 'kafka', ports: [await freePort()] }])).resolves.toBeUndefined();
  });
});
