/**
 * `secrets rotate` under load (stack/secrets-rotate.ts), on a throwaway Postgres set up by the
 * stack's code and the shared Kafka: while events stream into a topic — from a Kafka producer and
 * through `serve`'s authenticated ingest API, whose client reads its token from the published
 * environment before each request as a script sourcing `.stack/env` does — a real `sink postgres`
 * (as its own role) and a real `serve` (the reader's role, the API tokens) get new credentials and
 * are restarted by the rotation. Afterwards every event of both paths is in sales_raw exactly once
 * with exact sums; the ingest client was never refused (no 401: the overlap covers the switch); no
 * process logged an authentication failure; the old passwords are refused, the new ones work;
 * while the tokens overlap both are accepted, after it only the new one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, deleteTopics, makeEvents, totals } from '../../bench/lib/sale-events.js';
import type { SaleEvent } from '../../lib/contracts/event/schema.js';
import { parseEnvFile } from '../../lib/env-file.js';
import { pgClient } from '../../lib/postgres/connection.js';
import type { CliProcess } from '../../stack/cli-process.js';
import { startCli, waitReady } from '../../stack/cli-process.js';
import { freePort } from '../../stack/net.js';
import { adminUrl, ownerUrl, runtimeUrls } from '../../stack/postgres-roles.js';
import { rotateSecrets } from '../../stack/secrets-rotate.js';
import { bearer } from '../helpers/api-tokens.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { spawnSink } from '../helpers/sink-process.js';
import { ThrowawayPostgres } from '../helpers/throwaway-postgres.js';
import { waitUntil } from '../sinks/core/contract.suite.js';
import { pgCounts } from '../sinks/postgres/raw/pg-counts.js';
import { metricsPort, produceStream } from '../sinks/raw/stream.js';

stackEnv(); // Kafka and the registry of the shared stack, for the child processes too

/** The login's SQLSTATE (undefined when it succeeds). */
async function loginCode(url: string): Promise<string | undefined> {
  const c = pgClient(url);
  try {
    await c.connect();
    await c.query('SELECT 1');
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * An ingest client through the rotation: `chunk` events every `intervalMs` to POST /v1/events with
 * the token `token()` names at that moment. A request the restart cut (no answer, 503) is sent
 * again, identical — the raw sink drops the copy Kafka may then hold. 401s are counted (and the
 * request retried with a fresh token read) so the test can say there were none.
 */
function ingestStream(
  url: string,
  events: SaleEvent[],
  o: { chunk: number; intervalMs: number; token: () => string },
) {
  const state = { sent: 0, retried: 0, unauthorized: 0 };
  const done = (async () => {
    for (let i = 0; i < events.length; i += o.chunk) {
      const started = Date.now();
      const body = JSON.stringify(events.slice(i, i + o.chunk));
      for (let attempt = 0; ; attempt++) {
        if (attempt === 600) throw new Error(`ingest: no 202 after ${attempt} tries`);
        const status = await fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...bearer(o.token()) },
          body,
          signal: AbortSignal.timeout(10_000),
        }).then(
          async (r) => (await r.arrayBuffer(), r.status),
          () => 0, // refused or cut: serve is restarting
        );
        if (status === 202) break;
        if (status === 401) state.unauthorized += 1;
        else if (status !== 0 && status !== 503) throw new Error(`ingest answered ${status}`);
        state.retried += 1;
        await sleep(100);
      }
      state.sent += Math.min(o.chunk, events.length - i);
      await sleep(Math.max(0, o.intervalMs - (Date.now() - started)));
    }
  })();
  done.catch(() => undefined);
  return { state, done };
}

describe('secrets rotate: database passwords and API tokens under load', () => {
  const topic = uniqueName('rotate');
  const group = uniqueName('grp');
  let db: ThrowawayPostgres;
  let httpPort: number;
  const running = new Map<string, CliProcess>();
  const exitCodes: Record<string, (number | null)[]> = { 'sink-postgres': [], serve: [] };
  let published: Record<string, string> = {};

  const secretsFile = () => join(db.dir, 'secrets.env');
  const urls = (secrets: Record<string, string>) => runtimeUrls({ ...db.context, secrets }, db.port);

  async function start(service: string, secrets: Record<string, string>): Promise<void> {
    if (service === 'sink-postgres') {
      const sink = spawnSink(['postgres'], {
        DATABASE_URL: urls(secrets)['SINK_POSTGRES_DATABASE_URL'],
        SINK_POSTGRES_TOPIC: topic,
        SINK_POSTGRES_GROUP_ID: group,
        SINK_POSTGRES_METRICS_PORT: '0',
        SINK_POSTGRES_MAX_WAIT_MS: '100',
        // As in the stack: `make up` migrated; the sink's role could not.
        SINK_POSTGRES_MIGRATE: 'false',
      });
      running.set(service, sink);
      await waitReady(await metricsPort(sink), sink);
      return;
    }
    const serve = startCli(['serve'], {
      env: {
        PIPELINE_HTTP_PORT: String(httpPort),
        QUERY_DATABASE_URL: urls(secrets)['QUERY_DATABASE_URL'],
        INGEST_TOPIC: topic,
        INGEST_TRANSACTIONAL_ID: uniqueName('ingest'),
        RETAIL_TOKEN_INGEST: secrets['RETAIL_TOKEN_INGEST'],
        RETAIL_TOKEN_READ: secrets['RETAIL_TOKEN_READ'],
        RETAIL_TOKEN_CONTROL: secrets['RETAIL_TOKEN_CONTROL'],
      },
    });
    running.set(service, serve);
    await waitReady(httpPort, serve);
  }

  const get = (path: string, token: string) =>
    fetch(`http://127.0.0.1:${httpPort}${path}`, { headers: bearer(token) }).then((r) => r.status);
  const hourly = `/v1/stores/S0001/hourly?date=${new Date().toISOString().slice(0, 10)}`;

  beforeAll(async () => {
    db = await ThrowawayPostgres.create();
    httpPort = await freePort();
    await createTopic(topic, 3);
    const secrets = parseEnvFile(readFileSync(secretsFile(), 'utf8'));
    await start('sink-postgres', secrets);
    await start('serve', secrets);
  }, 120_000);

  afterAll(async () => {
    for (const p of running.values()) await p.stop(10_000).catch(() => undefined);
    await db?.destroy();
    await deleteTopics([topic]);
  });

  it('restarts each process with its new credentials while events flow: every event once, old credentials refused', async () => {
    const old = parseEnvFile(readFileSync(secretsFile(), 'utf8'));
    const oldRead = old['RETAIL_TOKEN_READ'] ?? '';
    expect(await get(hourly, oldRead)).toBe(200); // the reader's pool logged in with the old password

    // ~16 s of events, 400 every 400 ms from a producer and 40 every 250 ms through the ingest
    // API; the rotation runs in the middle of it.
    const events = makeEvents(16_000, { stores: 12 });
    const ingested = makeEvents(2_400, { stores: 12, seed: 7 });
    const expected = totals([...events, ...ingested]);
    const stream = produceStream(topic, events, { chunk: 400, intervalMs: 400 });
    const ingest = ingestStream(`http://127.0.0.1:${httpPort}`, ingested, {
      chunk: 40,
      intervalMs: 250,
      token: () => published['RETAIL_TOKEN_INGEST'] ?? old['RETAIL_TOKEN_INGEST'] ?? '',
    });
    // As the owner, with whatever password the secrets file holds at that moment.
    const counts = () =>
      pgCounts(
        ownerUrl({ ...db.context, secrets: parseEnvFile(readFileSync(secretsFile(), 'utf8')) }, db.port),
        'public',
      );
    await waitUntil(async () => (await counts()).count > 0, 30_000, 'first rows before the rotation');

    let overlapChecked = false;
    let firstRestart: { stream: number; ingest: number } | undefined;
    const report = await rotateSecrets({
      secretsFile: secretsFile(),
      adminUrl: (secrets) => adminUrl({ ...db.context, secrets }, db.port),
      what: ['postgres', 'tokens'],
      graceMs: 500,
      log: () => undefined,
      target: {
        running: () => [...running.keys()],
        restart: async (service, secrets) => {
          // How far both streams were when the first process was restarted (the rotation may
          // outlast them on a loaded machine; what matters is that restarts began mid-stream).
          firstRestart ??= { stream: stream.sent, ingest: ingest.state.sent };
          exitCodes[service]?.push(await running.get(service)!.stop(30_000));
          await start(service, secrets);
        },
        publish: (secrets) => (published = secrets),
      },
      duringOverlap: async ({ old: before, next }) => {
        // Clients read the new token from .stack/env; the old one still works until the end.
        expect(published['RETAIL_TOKEN_READ']).toBe(next['RETAIL_TOKEN_READ']);
        expect(await get(hourly, before['RETAIL_TOKEN_READ'] ?? '')).toBe(200);
        expect(await get(hourly, next['RETAIL_TOKEN_READ'] ?? '')).toBe(200);
        overlapChecked = true;
      },
    });
    expect(firstRestart?.stream).toBeLessThan(events.length); // the rotation happened mid-stream
    expect(overlapChecked).toBe(true);
    expect(report.roles).toEqual(
      expect.arrayContaining(['retail_sink', 'retail_agg_sink', 'retail_reader', 'retail', 'postgres']),
    );
    expect(report.restarted.sort()).toEqual(['serve', 'sink-postgres']);
    // Each process was stopped cleanly (SIGTERM: it flushed and committed), not killed.
    expect(exitCodes['sink-postgres']).toEqual([0]);
    expect(exitCodes['serve']).toEqual([0, 0]);

    expect(firstRestart?.ingest).toBeLessThan(ingested.length); // so did the ingest clients' requests
    await stream.done;
    await ingest.done;
    // The client switched tokens while both were valid: never refused.
    expect(ingest.state.unauthorized).toBe(0);
    await waitUntil(async () => (await counts()).count >= expected.count, 60_000, 'every event').catch(
      async (err: Error) => {
        const sink = running.get('sink-postgres');
        throw new Error(
          `${err.message}: ${JSON.stringify(await counts())} of ${expected.count}\n${sink?.tail(30) ?? ''}`,
        );
      },
    );
    await new Promise((r) => setTimeout(r, 1500)); // a doubled batch would show up by now
    expect(await counts()).toEqual({ ...expected, distinct: expected.count });

    // Every credential changed; the old ones are refused (28P01), the new ones work.
    const now = parseEnvFile(readFileSync(secretsFile(), 'utf8'));
    for (const key of ['POSTGRES_SINK_PASSWORD', 'POSTGRES_READER_PASSWORD', 'POSTGRES_SUPERUSER_PASSWORD']) {
      expect(now[key]).not.toBe(old[key]);
    }
    expect(await loginCode(urls(old)['SINK_POSTGRES_DATABASE_URL'] ?? '')).toBe('28P01');
    expect(await loginCode(adminUrl({ ...db.context, secrets: old }, db.port))).toBe('28P01');
    expect(await loginCode(urls(now)['SINK_POSTGRES_DATABASE_URL'] ?? '')).toBeUndefined();
    expect(await loginCode(adminUrl({ ...db.context, secrets: now }, db.port))).toBeUndefined();
    // After the overlap only the new read token is accepted; the reader logs in with its new password.
    expect(await get(hourly, oldRead)).toBe(401);
    expect(await get(hourly, now['RETAIL_TOKEN_READ'] ?? '')).toBe(200);
    expect(published).toEqual(now);
    // No process is left retrying a refused login or token: nothing of the kind in their logs.
    for (const [service, proc] of running)
      expect(proc.tail(400), service).not.toMatch(/28P01|password authentication failed|AUTH_REQUIRED/);
  });
});
