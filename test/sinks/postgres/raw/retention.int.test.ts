/**
 * Day partitions over their life, on the shared Postgres in a schema of this test's own:
 * - the sink creates the window [today − (retention − 1), today + ahead] at start (names and
 *   count, and retail_sink_partitions_created_total);
 * - events older than retention or beyond the created days land in the DEFAULT guard partition
 *   and are counted (retail_sink_guard_rows_total); events beyond maxFutureMs (EVENT_MAX_FUTURE_MS, raised here to a year) are dead letters;
 *   `pg migrate` creating the day of guard rows later moves them into it (extends
 *   test/sinks/core/dlq/poison.int.test.ts, which proves the guard count);
 * - `retail-etl pg retention` (spawned CLI): --dry-run changes nothing, detach keeps the tables
 *   outside sales_raw with their rows, drop removes them; it reports the guard rows;
 * - the sink's automatic job applies retention at start (retail_sink_partitions_dropped_total),
 *   and an event of a detached day goes to the guard.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SaleEvent } from '../../../../lib/contracts/event/schema.js';
import { DAY_MS, dayOf, isoDay } from '../../../../sinks/postgres/raw/partitions.js';
import { startSinkProcess } from '../../../../sinks/raw/run.js';
import type { SinkProcess } from '../../../../sinks/raw/run.js';
import { projectRoot } from '../../../../stack/paths.js';
import { createTopic, deleteTopics, makeEvents, produce } from '../../../../bench/lib/sale-events.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { waitUntil } from '../../core/contract.suite.js';
import { metricValue } from '../../raw/stream.js';

const env = stackEnv();
const part = (day: number) => `sales_raw_p${isoDay(day).replace(/-/g, '')}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** `retail-etl …` from dist/ (npm run build), with the shared stack's DATABASE_URL. */
function cli(args: string[], extraEnv: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, [join(projectRoot(), 'dist', 'cli', 'main.js'), ...args], {
    env: { ...process.env, ...extraEnv },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, out: res.stdout.trim(), err: res.stderr.trim() };
}

describe('postgres day partitions: window, guard, retention (CLI and automatic)', () => {
  const schema = uniqueName('retentionpg');
  const topic = uniqueName('retention');
  const dlqTopic = uniqueName('retentiondlq');
  const group = uniqueName('grp');
  const today = dayOf(Date.now());
  const at = (day: number) => (i: number) => day * DAY_MS + 3_600_000 + i * 1000;
  let db: pg.Client;
  let sink: SinkProcess | undefined;

  const q = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]?.n);
  const count = (table = 'sales_raw') => q(`SELECT count(*) n FROM "${schema}".${table}`);
  /** Attached day partitions, sorted. */
  const attached = async () =>
    (
      await db.query<{ relname: string }>(
        `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
          WHERE n.nspname = $1 AND p.relname = 'sales_raw' AND c.relname <> 'sales_raw_default'
          ORDER BY 1`,
        [schema],
      )
    ).rows.map((r) => r.relname);
  /** Whether a table exists, and whether it is still a partition. */
  const table = async (name: string) => {
    const r = await db.query<{ p: boolean }>(
      `SELECT c.relispartition p FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2`,
      [schema, name],
    );
    return r.rows[0] === undefined ? 'missing' : r.rows[0].p ? 'attached' : 'detached';
  };
  const startSink = (o: Record<string, unknown>) =>
    startSinkProcess('postgres', {
      schema,
      topic,
      dlqTopic,
      groupId: group,
      metricsPort: 0,
      maxWaitMs: 100,
      // The retention function's floor (fixed by the migration) low enough for days 1–3 below.
      retentionMinDays: 1,
      // Far-future events are valid only where EVENT_MAX_FUTURE_MS allows them (default 5 min).
      maxFutureMs: 366 * DAY_MS,
      ...o,
    });

  beforeAll(async () => {
    db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    await createTopic(topic, 2);
    await createTopic(dlqTopic, 1);
  });
  afterAll(async () => {
    await sink?.stop().catch(() => undefined);
    await deleteTopics([topic, dlqTopic]);
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.end();
  });

  it('creates the window ahead at start, guards old and future events, dead-letters the far future', async () => {
    const events: SaleEvent[] = [
      ...makeEvents(100, { time: at(today) }),
      ...makeEvents(100, { time: at(today - 5), seed: 1 }),
      ...makeEvents(40, { time: at(today - 20), seed: 2 }), // older than retention
      ...makeEvents(30, { time: at(today + 30), seed: 3 }), // beyond the created days
      ...makeEvents(5, { time: at(today + 400), seed: 4 }), // beyond maxFutureMs (a year here)
    ];
    await produce(topic, events);
    sink = await startSink({ retentionDays: 10, partitionsAheadDays: 4 });
    const port = sink.port;
    await waitUntil(async () => (await count()) >= 270, 60_000, '270 rows');
    await waitUntil(
      async () =>
        (await metricValue(port, 'retail_sink_dlq_records_total', { reason: 'invalid_event' })) === 5,
      10_000,
      '5 dead letters',
    );
    expect(await attached()).toEqual(range(today - 9, today + 4).map(part));
    expect(await metricValue(port, 'retail_sink_partitions_created_total', { sink: 'postgres' })).toBe(14);
    expect(await metricValue(port, 'retail_sink_partitions_dropped_total')).toBe(0);
    expect(await metricValue(port, 'retail_sink_guard_rows_total', { sink: 'postgres' })).toBe(70);
    await sink.stop();
    sink = undefined;
    expect(await count()).toBe(270);
    expect(await count('sales_raw_default')).toBe(70);
    expect(await count(part(today - 5))).toBe(100);
    // `pg partitions` agrees.
    const listed = cli(['pg', 'partitions', '--schema', schema]);
    expect(listed).toMatchObject({
      code: 0,
      out: `14 daily partitions: ${isoDay(today - 9)} … ${isoDay(today + 4)}`,
    });
  });

  it('pg migrate creating the day of guard rows moves them into the new partition', async () => {
    const res = cli(['pg', 'migrate', '--schema', schema], {
      SINK_POSTGRES_RETENTION_MIN_DAYS: '1',
      SINK_POSTGRES_RETENTION_DAYS: '10',
      SINK_POSTGRES_PARTITIONS_AHEAD_DAYS: '31',
    });
    expect(res.code, res.err).toBe(0);
    expect(res.out).toContain('27 partition(s) created'); // today+5 … today+31
    expect(await attached()).toEqual(range(today - 9, today + 31).map(part));
    expect(await count()).toBe(270);
    expect(await count(part(today + 30))).toBe(30);
    expect(await count('sales_raw_default')).toBe(40); // only the events older than retention
  });

  it('pg retention: --dry-run changes nothing, detach keeps the tables and rows outside sales_raw, drop removes them', async () => {
    const expired = range(today - 9, today - 3).map(part); // cutoff today − 2 with 3 days kept
    const dry = cli(['pg', 'retention', '--schema', schema, '--days', '3', '--dry-run']);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out.split('\n').slice(0, -1)).toEqual(expired.map((p) => `would detach ${p}`));
    expect(await attached()).toHaveLength(41);

    const detach = cli(['pg', 'retention', '--schema', schema, '--days', '3']);
    expect(detach.code, detach.err).toBe(0);
    const lines = detach.out.split('\n');
    expect(lines.slice(0, -1)).toEqual(expired.map((p) => `detach ${p}`));
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^7 partition\\(s\\) before ${isoDay(today - 2)}\\s+detached; guard partition holds 40 row\\(s\\)$`,
      ),
    );
    expect(await attached()).toEqual(range(today - 2, today + 31).map(part));
    for (const p of expired) expect(await table(p)).toBe('detached');
    expect(await count()).toBe(170); // the 100 events of today − 5 left sales_raw…
    expect(await count(part(today - 5))).toBe(100); // …and are kept in the detached table

    const drop = cli(['pg', 'retention', '--schema', schema, '--days', '2', '--mode', 'drop']);
    expect(drop.code, drop.err).toBe(0);
    expect(drop.out.split('\n')[0]).toBe(`drop ${part(today - 2)}`);
    expect(await table(part(today - 2))).toBe('missing');
    expect(await attached()).toEqual(range(today - 1, today + 31).map(part));

    const bad = cli(['pg', 'retention', '--schema', schema, '--mode', 'truncate']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--mode must be detach or drop, got "truncate"/);
  });

  it('the sink applies retention at start and counts it; an event of a detached day goes to the guard', async () => {
    sink = await startSink({ retentionDays: 1, partitionsAheadDays: 31, retentionMode: 'drop' });
    const port = sink.port;
    expect(await metricValue(port, 'retail_sink_partitions_dropped_total', { mode: 'drop' })).toBe(1);
    expect(await metricValue(port, 'retail_sink_partitions_created_total')).toBe(0);
    expect(await table(part(today - 1))).toBe('missing');
    expect(await attached()).toEqual(range(today, today + 31).map(part));
    await produce(topic, [
      ...makeEvents(25, { time: at(today - 5), seed: 5 }), // its day was detached
      ...makeEvents(10, { time: at(today), seed: 6 }),
    ]);
    await waitUntil(async () => (await count()) >= 205, 60_000, '35 more rows');
    expect(await metricValue(port, 'retail_sink_guard_rows_total', { sink: 'postgres' })).toBe(25);
    await sink.stop();
    sink = undefined;
    expect(await count()).toBe(205);
    expect(await count('sales_raw_default')).toBe(65);
    expect(await count(part(today - 5))).toBe(100); // the detached table was not touched
  });
});
