/**
 * Postgres restarted under a running sink — a throwaway Postgres of this test's own, never the
 * shared one. While events keep arriving, the server is stopped twice: a fast shutdown (SIGINT:
 * open transactions rolled back, clients disconnected) and a kill -9 of the postmaster (crash
 * recovery at the next start), each time restarted on the same port and data directory after a few
 * seconds. Each stop is timed to land while a COPY is running (seen in pg_stat_activity), so a
 * write is cut in the middle. The sink process must not exit: it reports not-ready during the
 * outage, retries the same batch (rolled back by the server), resumes by itself, and at the end
 * every event is in sales_raw exactly once with exact sums.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopic, deleteTopics, makeEvents, totals } from '../../../../bench/lib/sale-events.js';
import { spawnSink } from '../../../helpers/sink-process.js';
import type { SinkChild } from '../../../helpers/sink-process.js';
import { ThrowawayPostgres } from '../../../helpers/throwaway-postgres.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { waitUntil } from '../../core/contract.suite.js';
import { pgCounts } from './pg-counts.js';
import { metricValue, metricsPort, produceStream } from '../../raw/stream.js';

const OUTAGE_MS = 4000;
stackEnv(); // Kafka and the registry of the shared stack, for the sink process too

/**
 * Poll the server's activity for a running COPY (up to 10 s) and stop the server the moment one is
 * seen; true when one was seen (it may still finish before the signal lands).
 */
async function stopDuringCopy(db: ThrowawayPostgres, mode: 'fast' | 'kill'): Promise<boolean> {
  const c = new pg.Client({ connectionString: db.adminUrl });
  c.on('error', () => undefined); // terminated by the stop below
  await c.connect();
  let seen = false;
  const until = Date.now() + 10_000;
  try {
    while (!seen && Date.now() < until) {
      const r = await c.query<{ n: string }>(
        `SELECT count(*) n FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'COPY %'`,
      );
      seen = Number(r.rows[0]?.n) > 0;
    }
  } finally {
    await db.stop(mode);
    await c.end().catch(() => undefined);
  }
  return seen;
}

describe('postgres sink: Postgres restarted mid-stream (throwaway server)', () => {
  const topic = uniqueName('pgrestart');
  const schema = uniqueName('restartpg');
  let server: ThrowawayPostgres | undefined;
  let sink: SinkChild | undefined;
  afterAll(async () => {
    if (sink && sink.child.exitCode === null) {
      sink.child.kill('SIGKILL');
      await sink.exited;
    }
    await server?.destroy();
    await deleteTopics([topic]);
  });

  it('fast shutdown and kill -9 of the postmaster: the sink waits, resumes, and every event lands exactly once', async () => {
    server = await ThrowawayPostgres.create();
    const db = server;
    await createTopic(topic, 3);
    const events = makeEvents(60_000, { stores: 24 });
    const expected = totals(events);
    const counts = () => pgCounts(db.databaseUrl, schema);
    const running = spawnSink(['postgres'], {
      DATABASE_URL: db.databaseUrl,
      SINK_POSTGRES_SCHEMA: schema,
      SINK_POSTGRES_TOPIC: topic,
      SINK_POSTGRES_GROUP_ID: uniqueName('grp'),
      SINK_POSTGRES_METRICS_PORT: '0',
      SINK_POSTGRES_MAX_BATCH_ROWS: '10000',
      SINK_POSTGRES_SESSION_TIMEOUT_MS: '10000',
      SINK_POSTGRES_WRITE_RETRY_MAX_MS: '1000',
    });
    sink = running;
    const port = await metricsPort(running);
    const fail = (what: string) => (err: Error) => {
      throw new Error(`${what}: ${err.message}\nsink log:\n${running.log.slice(-20).join('\n')}`);
    };
    // ~20 s of events: 20 chunks of 3000, one a second (a COPY of ~3000 rows each).
    const stream = produceStream(topic, events, { chunk: 3000, intervalMs: 1000 });
    const alive = () => running.child.exitCode === null && running.child.signalCode === null;
    const ready = async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status;

    const cuts: boolean[] = [];
    for (const mode of ['fast', 'kill'] as const) {
      const before = (await counts()).count;
      await waitUntil(
        async () => (await counts()).count > before,
        30_000,
        `rows before the ${mode} stop`,
      ).catch(fail(`no progress before the ${mode} stop`));
      // Stop it while a COPY is running, so a write is cut in the middle (usually; else between).
      const cut = await stopDuringCopy(db, mode);
      cuts.push(cut);
      const down = Date.now();
      await waitUntil(
        async () => (await ready()) === 503,
        OUTAGE_MS,
        '/readyz 503 while Postgres is down',
      ).catch(fail(`/readyz during the ${mode} outage`));
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - down)));
      expect(alive(), `sink alive after the ${mode} outage`).toBe(true);
      expect(stream.sent).toBeLessThan(events.length); // the outage happened mid-stream
      await db.start();
      const after = (await counts()).count;
      await waitUntil(
        async () => (await counts()).count > after,
        30_000,
        `rows after the ${mode} restart`,
      ).catch(fail(`no progress after the ${mode} restart`));
      await waitUntil(async () => (await ready()) === 200, 15_000, '/readyz 200 again').catch(
        fail(`/readyz after the ${mode} restart`),
      );
    }

    // The kill -9 was a crash: the restart ran crash recovery; the fast stop was a clean shutdown.
    expect(db.log()).toMatch(/received fast shutdown request/);
    expect(db.log()).toMatch(
      /database system was interrupted|not properly shut down; automatic recovery in progress/,
    );
    // At least one outage cut a COPY in the middle (the retry then re-sent a rolled-back batch).
    expect(cuts.some((c) => c)).toBe(true);
    expect(running.log.some((l) => l.includes('"msg":"retrying"') && l.includes('COPY batch failed'))).toBe(
      true,
    );
    await stream.done;
    await waitUntil(async () => (await counts()).count >= expected.count, 60_000, 'every event').catch(
      fail('drain'),
    );
    // Let a duplicate show up if a retried batch were written twice.
    await sleep(1500);
    const retries = await metricValue(port, 'retail_sink_write_retries_total', { sink: 'postgres' });
    expect(retries).toBeGreaterThan(0);
    expect(running.log.some((l) => l.includes('"msg":"retrying"'))).toBe(true);
    expect(running.log.some((l) => l.includes('"msg":"recovered"'))).toBe(true);
    expect(alive()).toBe(true);
    running.child.kill('SIGTERM');
    expect(await running.exit(30_000)).toBe(0);
    expect(await counts()).toEqual({ ...expected, distinct: expected.count });
  });
});
