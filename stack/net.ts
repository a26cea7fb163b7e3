/** Port and HTTP probes used by the health checks. */
import { readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { parseStartProgress } from './start-progress.js';

/** True when nothing listens on host:port (we can bind it ourselves). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export function tcpOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function httpOk(
  url: string,
  timeoutMs = 2000,
  headers: Record<string, string> = {},
): Promise<boolean> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * The lowest port the kernel hands out as the local end of outgoing connections
 * (net.ipv4.ip_local_port_range; 32768 by default).
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2048 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * A port nothing listens on right now, for a server a test or benchmark starts. It is picked below
 * the kernel's ephemeral range: a port the OS chose there (listen on 0) was free when asked, but
 * before the child process bound it an outgoing connection (any Kafka client on the machine) could
 * take it as its local port — a benchmark's aggregate sink failed with PORT_IN_USE that way. Only
 * another listener can take a port below that range, and it is random among ~12,000.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const high = ephemeralLow() - 1;
  const low = Math.max(1024, Math.min(20_000, high - 4096));
  for (let i = 0; i < 50; i++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await portIsFree(port, host)) return port;
  }
  return osPort(host);
}

/** A port the OS picks (listen on 0): free now, from the ephemeral range. */
function osPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * /readyz of a pipeline process: 200, or 503 whose body may say what it is still doing
 * (`restoring 63 %`, `joining consumer group …`: stack/start-progress.ts).
 */
export async function httpReadiness(
  url: string,
): Promise<{ ready: true } | { ready: false; progress?: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const body = await res.text();
    if (res.ok) return { ready: true };
    const progress = parseStartProgress(body);
    return progress ? { ready: false, progress: progress.text } : { ready: false };
  } catch {
    return { ready: false };
  }
}
