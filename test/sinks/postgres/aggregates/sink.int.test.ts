/**
 * The aggregate sink into Postgres, end to end against real servers: the real processors
 * (in this process) read a seeded input with duplicates, late and poison records and write the
 * aggregate topics; `retail-etl sink aggregates` runs as a real process and is killed twice while
 * the processors are still producing — once by fault injection inside its transaction, once by an
 * outside SIGKILL — and restarted. The tables must then equal the SQL recomputation row for row.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcessors } from '../../../../processors/app.js';
import type { RunningProcessors } from '../../../../processors/app.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { spawnSink } from '../../../helpers/sink-process.js';
import type { SinkChild } from '../../../helpers/sink-process.js';
import { createFixture, waitCaughtUp } from '../../../processors/helpers/fixture.js';
import type { Fixture } from '../../../processors/helpers/fixture.js';
import { waitAggSinkCaughtUp } from '../../aggregates/caught-up.js';
import { expectedTables, postgresTables, sorted } from '../../aggregates/expected.js';
import type { Expected } from '../../aggregates/expected.js';

const TOP_N = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sink aggregates → Postgres: exactly once across kill -9', () => {
  const env = stackEnv();
  const schema = uniqueName('agg');
  const group = uniqueName('agg-sink');
  let f: Fixture;
  let processors: RunningProcessors | undefined;
  let admin: pg.Client;
  let expected: Expected;
  let final: SinkChild | undefined;
  const killed = { midTransaction: false, outsideAtRecords: 0 };

  /** Records the sink committed so far (its stored positions), summed over the three topics. */
  const stored = async () =>
    Number(
      (
        await admin.query<{ n: string | null }>(
          `SELECT sum(next_offset) AS n FROM "${schema}".agg_sink_offsets WHERE group_id = $1`,
          [group],
        )
      ).rows[0]?.n ?? 0,
    );

  const waitSinkCaughtUp = (timeoutMs: number) => waitAggSinkCaughtUp(f, admin, schema, group, timeoutMs);

  const sinkEnv = (extra: Record<string, string> = {}) => ({
    ...env,
    SINK_AGGREGATES_HOURLY_TOPIC: f.topics.hourly,
    SINK_AGGREGATES_TOP_SKUS_TOPIC: f.topics.topSkus,
    SINK_AGGREGATES_ROLLING_TOPIC: f.topics.rolling,
    SINK_AGGREGATES_DLQ_TOPIC: f.topics.dlq,
    SINK_AGGREGATES_GROUP_ID: group,
    SINK_AGGREGATES_SCHEMA: schema,
    SINK_AGGREGATES_METRICS_PORT: '0',
    SINK_AGGREGATES_MAX_BATCH_ROWS: '400',
    SINK_AGGREGATES_MAX_WAIT_MS: '100',
    SINK_AGGREGATES_SESSION_TIMEOUT_MS: '6000',
    SINK_AGGREGATES_LAG_INTERVAL_MS: '500',
    ...extra,
  });

  beforeAll(async () => {
    // The superuser (to SET ROLE retail_reader), in the sink's database.
    const url = new URL(env.DATABASE_ADMIN_URL);
    url.pathname = new URL(env.DATABASE_URL).pathname;
    admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    // Half the input now, the rest while the sink is being killed: the kills land mid-stream.
    f = await createFixture({ events: 12_000, seed: 11, firstFraction: 0.5, maxBatchBytes: 16 * 1024 });
    processors = await runProcessors(['hourly', 'top-skus', 'rolling'], { ...f.options, topN: TOP_N });

    // 1. SIGKILL by fault injection inside the sink's 3rd transaction (upserts sent, no COMMIT).
    const a = spawnSink(['aggregates'], sinkEnv({ RETAIL_ETL_FAULT_KILL_MID_WRITE: '3' }));
    expect(await a.exited).toBeNull();
    killed.midTransaction = a.log.some((l) => l.includes('SIGKILL in the middle of write 3'));

    // 2. An outside kill -9 while records flow: after some progress, with the rest of the input arriving.
    const b = spawnSink(['aggregates'], sinkEnv());
    await b.waitForLog(/sink running/);
    const before = await stored();
    const deadline = Date.now() + 30_000;
    while ((await stored()) <= before && Date.now() < deadline) await sleep(50);
    await f.produceRest();
    await sleep(300);
    b.child.kill('SIGKILL');
    expect(await b.exited).toBeNull();
    killed.outsideAtRecords = await stored();

    // 3. Restart and run to the end.
    final = spawnSink(['aggregates'], sinkEnv());
    await final.waitForLog(/sink running/);
    // The three operators run as one topology (one group, and the top-SKUs merge group).
    await waitCaughtUp(f, 'all', 60_000);
    await waitSinkCaughtUp(40_000);
    expected = await expectedTables(f, TOP_N);
  });

  afterAll(async () => {
    if (final && final.child.exitCode === null) {
      final.child.kill('SIGTERM');
      await final.exited;
    }
    await processors?.stop();
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin?.end();
    await f?.admin.deleteGroups([group]).catch(() => undefined);
    await f?.cleanup();
  });

  it('was killed inside a transaction and from outside, mid-stream', async () => {
    expect(killed.midTransaction).toBe(true);
    expect(killed.outsideAtRecords).toBeGreaterThan(0);
    const total = [f.topics.hourly, f.topics.topSkus, f.topics.rolling];
    let high = 0;
    for (const t of total) for (const o of await f.admin.fetchTopicOffsets(t)) high += Number(o.high);
    expect(killed.outsideAtRecords).toBeLessThan(high);
  });

  it('sales_hourly equals the SQL GROUP BY over the deduplicated, non-late input, row for row', async () => {
    const got = await postgresTables(admin, schema, expected);
    expect(expected.hourly.size).toBeGreaterThan(300);
    expect(sorted(got.hourly)).toEqual(sorted(expected.hourly));
  });

  it('top_skus equals SQL rank() per hour', async () => {
    const got = await postgresTables(admin, schema, expected);
    expect(expected.top.size).toBeGreaterThanOrEqual(4);
    expect(sorted(got.top)).toEqual(sorted(expected.top));
  });

  it('store_rolling_1h equals its SQL definition at every minute, and has no other rows', async () => {
    const got = await postgresTables(admin, schema, expected);
    expect(expected.rolling.size).toBeGreaterThan(1000);
    expect(got.rollingOutside).toBe(0);
    expect(sorted(got.rolling)).toEqual(sorted(expected.rolling));
  });

  it('the reader role reads the tables and cannot write them; the key queries use an index', async () => {
    await admin.query('BEGIN');
    try {
      await admin.query('SET LOCAL ROLE retail_reader');
      for (const t of ['sales_hourly', 'top_skus', 'store_rolling_1h'])
        await admin.query(`SELECT count(*) FROM "${schema}".${t}`);
      await expect(admin.query(`DELETE FROM "${schema}".top_skus`)).rejects.toMatchObject({ code: '42501' });
    } finally {
      await admin.query('ROLLBACK');
    }
    await admin.query('BEGIN');
    try {
      await admin.query('SET LOCAL enable_seqscan = off');
      const plan = async (sql: string) =>
        (await admin.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows
          .map((r) => r['QUERY PLAN'])
          .join('\n');
      expect(
        await plan(
          `SELECT * FROM "${schema}".sales_hourly WHERE store_id = 'S001' AND window_start >= now() - interval '1 day' AND window_start < now()`,
        ),
      ).toMatch(/sales_hourly_store_window_idx/);
      expect(
        await plan(
          `SELECT * FROM "${schema}".store_rolling_1h WHERE store_id = 'S001' AND window_end <= now() ORDER BY window_end DESC LIMIT 1`,
        ),
      ).toMatch(/Index Scan Backward using store_rolling_1h_pkey/);
    } finally {
      await admin.query('ROLLBACK');
    }
  });

  it('exports rows upserted per table, flush histograms and zero consumer lag once caught up', async () => {
    const line = final?.log.find((l) => l.includes('"sink running"')) ?? '';
    const port = (JSON.parse(line) as { metricsPort: number }).metricsPort;
    let text = '';
    const deadline = Date.now() + 10_000;
    for (;;) {
      text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const lags = [...text.matchAll(/retail_sink_consumer_lag_messages\{[^}]*\} (\d+)/g)].map((m) =>
        Number(m[1]),
      );
      if (lags.length >= 13 && lags.every((l) => l === 0)) break;
      if (Date.now() > deadline) throw new Error(`lag not 0: ${lags.join(',')}`);
      await sleep(300);
    }
    for (const t of ['sales_hourly', 'top_skus', 'store_rolling_1h'])
      expect(text).toMatch(
        new RegExp(`retail_sink_rows_upserted_total\\{sink="aggregates-postgres",table="${t}"\\} [1-9]`),
      );
    expect(text).toMatch(/retail_sink_flush_duration_seconds_count\{sink="aggregates-postgres"\} [1-9]/);
    final?.child.kill('SIGTERM');
    expect(await final?.exited).toBe(0);
  });
});
