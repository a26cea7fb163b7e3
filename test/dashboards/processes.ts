/**
 * Real pipeline processes for the observability tests (the shared CLI launcher in
 * stack/cli-process.ts), the ports they need and their metrics. Nothing here fakes a server.
 */
import { cliMain, startCli as startCliProcess } from '../../stack/cli-process.js';
import type { CliProcess } from '../../stack/cli-process.js';
import { portIsFree } from '../../stack/net.js';
import { projectRoot } from '../../stack/paths.js';
import { waitUntil } from '../../stack/wait.js';

export type { CliProcess };
export const ROOT = projectRoot();

/** Path of the built CLI; throws one actionable line when it is missing. */
export const requireBuild = (): string => cliMain();

/** Fail with one clear line when a port the test needs is taken (e.g. `make up`'s pipeline runs). */
export async function requireFreePorts(ports: Record<string, number>): Promise<void> {
  const taken: string[] = [];
  for (const [what, port] of Object.entries(ports))
    if (!(await portIsFree(port))) taken.push(`${port} (${what})`);
  if (taken.length > 0) {
    throw new Error(
      `ports in use: ${taken.join(', ')} — this test runs the pipeline on the ports Prometheus scrapes; ` +
        'stop the pipeline that holds them (`make down`, or `retail-etl stack up --infra-only` keeps only the servers)',
    );
  }
}

/** A named pipeline process, logging at info (the tests wait for its log lines). */
export function startCli(name: string, args: string[], env: Record<string, string> = {}): CliProcess {
  return startCliProcess(args, { name, env, logLevel: 'info' });
}

/** GET a URL until `ok(body)` holds; returns the body. */
export async function pollJson<T>(
  url: string,
  ok: (body: T) => boolean,
  timeoutMs = 30_000,
  what = url,
  headers: Record<string, string> = {},
): Promise<T> {
  let last: unknown;
  const met = await waitUntil(
    async () => {
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(3000) });
        last = await res.json();
      } catch (err) {
        last = err;
        return false;
      }
      return ok(last as T);
    },
    { timeoutMs, intervalMs: 500 },
  );
  if (!met)
    throw new Error(`${what}: condition not met within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
  return last as T;
}

/** The value of one sample (summed over label sets that match `labels`) from a /metrics text. */
export async function scrape(
  port: number,
  metric: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (
    await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3000) })
  ).text();
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== metric) continue;
    const ls = m[2] ?? '';
    if (!Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) continue;
    sum += Number(m[3]);
    found = true;
  }
  if (!found) throw new Error(`${metric} not exported on port ${port}`);
  return sum;
}
