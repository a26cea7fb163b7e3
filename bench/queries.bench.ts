/**
 * Key queries under the read-heavy k6 profile (issue 7 d): tables filled with a day of data
 * for 50 stores (1M raw events, hourly rows, rankings, rolling hours), `retail-etl serve` on
 * them, then k6 `read-heavy` at 200 requests/s. Reports p95 per query and overall.
 * The ceiling: the same SQL straight from a Postgres client (no HTTP), measured in the same run.
 *
 * Side by side (issue 12): the same data in ClickHouse (the stack's CLICKHOUSE_URL), the same k6
 * run with `?source=clickhouse`, and one heavy analytical query — a day's revenue by region and
 * category over every raw row — timed in both stores, whose answers must be equal.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import pg from 'pg';
import { migrateClickhouse } from '../sinks/clickhouse/migrate-all.js';
import { migrate } from '../sinks/postgres/raw/ddl.js';
import { aggMigrate } from '../sinks/postgres/aggregates/ddl.js';
import { projectRoot } from '../stack/paths.js';
import type { Benchmark, Figure } from './harness.js';
import { percentile } from './harness.js';
import { startCli, waitReady } from '../stack/cli-process.js';
import { freePort } from '../stack/net.js';
import { generateToken } from '../lib/http/tokens.js';
import { benchConfig, environment } from '../lib/config/index.js';
import {
  STORES,
  fillClickhouse,
  fillPostgresRaw,
  heavyClickhouse,
  heavyPostgres,
} from './lib/queries-data.js';

async function fill(
  db: pg.Client,
  schema: string,
  rawRows: number,
  baseMs: number,
  log: (m: string) => void,
): Promise<void> {
  const s = `"${schema}"`;
  await migrate(db, { schema, sinkRole: 'retail_sink', readerRole: 'retail_reader' });
  const today = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
  for (const d of [new Date(today.getTime() - 86_400_000), today, new Date(today.getTime() + 86_400_000)]) {
    await db.query(`SELECT ${s}.sales_raw_ensure_partition($1::date)`, [d.toISOString().slice(0, 10)]);
  }
  // The aggregate tables exactly as their sink creates them (keys and indexes included).
  await aggMigrate(db, { schema, sinkRole: 'retail_sink', readerRole: 'retail_reader' });
  log(`filling ${rawRows} raw events and the aggregate tables…`);
  await fillPostgresRaw(db, s, rawRows, baseMs);
  await db.query(
    `INSERT INTO ${s}.sales_hourly (store_id, sku, window_start, quantity, revenue_cents, returns, orders, final)
     SELECT 'S' || lpad(st::text, 3, '0'), 'SKU-' || sku, date_trunc('hour', now()) - h * interval '1 hour', 3, 900, 0, 2, true
     FROM generate_series(1, ${STORES}) st, generate_series(0, 199) sku, generate_series(0, 47) h`,
  );
  await db.query(
    `INSERT INTO ${s}.top_skus (window_start, rank, sku, revenue_cents, quantity) SELECT date_trunc('hour', now()) - h * interval '1 hour', r, 'SKU-' || r, 10000 - r, r
     FROM generate_series(0, 47) h, generate_series(1, 10) r`,
  );
  await db.query(
    `INSERT INTO ${s}.store_rolling_1h (store_id, window_end, quantity, revenue_cents, orders) SELECT 'S' || lpad(st::text, 3, '0'), date_trunc('minute', now()) - m * interval '1 minute', 10, 1000, 5
     FROM generate_series(1, ${STORES}) st, generate_series(0, 1439) m`,
  );
  await db.query(
    `ANALYZE ${s}.sales_raw, ${s}.sales_hourly, ${s}.top_skus, ${s}.store_rolling_1h, ${s}.bench_stores, ${s}.bench_skus`,
  );
}

/** The API's own hourly query straight through pg, to show what HTTP + JSON add. */
async function directCeiling(url: string, schema: string, n: number): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const times: number[] = [];
  const day = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
  try {
    for (let i = 0; i < n; i++) {
      const store = `S${String(1 + (i % STORES)).padStart(3, '0')}`;
      const t0 = performance.now();
      await client.query(
        `SELECT window_start, sum(quantity) AS quantity, sum(revenue_cents) AS revenue_cents, sum(returns) AS returns, count(*) AS skus
           FROM "${schema}".sales_hourly WHERE store_id = $1 AND window_start >= $2 AND window_start < $3
          GROUP BY window_start ORDER BY window_start`,
        [store, day, new Date(day.getTime() + 86_400_000)],
      );
      times.push(performance.now() - t0);
    }
  } finally {
    await client.end();
  }
  return times.sort((a, b) => a - b);
}

interface K6Summary {
  metrics: Record<
    string,
    {
      'p(95)'?: number;
      med?: number;
      'p(99)'?: number;
      count?: number;
      rate?: number;
      passes?: number;
      fails?: number;
      value?: number;
    }
  >;
}

/** k6 `read-heavy` against `port` with `source`; its summary's metrics. */
function runK6(port: number, token: string, source: string, rps: number, duration: string, work: string) {
  const summaryFile = join(work, `summary-${source}.json`);
  const k6 = spawnSync(join(projectRoot(), 'scripts', 'load.sh'), [], {
    env: {
      ...environment(),
      PROFILE: 'read-heavy',
      PIPELINE_URL: `http://127.0.0.1:${port}`,
      RETAIL_TOKEN_READ: token,
      SOURCE: source,
      RPS: String(rps),
      DURATION: duration,
      K6_SUMMARY_EXPORT: summaryFile,
    },
    encoding: 'utf8',
    timeout: 15 * 60_000,
    // k6 logs a line per failed request: beyond the default 1 MB spawnSync kills it (status null)
    // and a run with failures would be reported as a crash instead of its failure rate.
    maxBuffer: 256 * 1024 * 1024,
  });
  // k6 exits 99 when a threshold fails: that is a result to report, not an error.
  if (k6.status !== 0 && k6.status !== 99)
    throw new Error(`k6 failed (${k6.status}): ${(k6.stderr || k6.stdout).slice(-2000)}`);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as K6Summary;
  return { m: summary.metrics, passed: k6.status === 0 };
}

/** The figures of one k6 run; names prefixed `queries.` (Postgres, as before) or `queries.clickhouse.`. */
function k6Figures(
  r: ReturnType<typeof runK6>,
  prefix: string,
  rps: number,
  duration: string,
  ceiling?: number,
): Figure[] {
  const { m } = r;
  const overall = m['http_req_duration'];
  const failed = m['http_req_failed'];
  const figures: Figure[] = [
    {
      name: `${prefix}.p95_ms`,
      value: overall?.['p(95)'] ?? NaN,
      unit: 'ms',
      p50: overall?.med,
      p95: overall?.['p(95)'],
      p99: overall?.['p(99)'],
      target: '≤ 50 ms at 200 req/s',
      ...(ceiling !== undefined ? { ceiling, ceilingName: 'Postgres p95, same run' } : {}),
      notes: `${rps} req/s for ${duration}, ${m['http_reqs']?.count ?? '?'} requests, ${((failed?.value ?? failed?.rate ?? 0) * 100).toFixed(2)}% failed; k6 thresholds ${r.passed ? 'passed' : 'FAILED'}`,
    },
  ];
  for (const name of ['hourly', 'top-skus', 'rolling', 'events']) {
    const t = m[`http_req_duration{name:${name}}`];
    if (t)
      figures.push({
        name: `${prefix}.${name}.p95_ms`,
        value: t['p(95)'] ?? NaN,
        unit: 'ms',
        p50: t.med,
        p95: t['p(95)'],
        p99: t['p(99)'],
      });
  }
  return figures;
}

/** Run `q` `n` times one after another; the durations sorted, and the last answer. */
async function timed<T>(n: number, q: () => Promise<T>): Promise<{ times: number[]; answer: T }> {
  const times: number[] = [];
  let answer: T | undefined;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    answer = await q();
    times.push(performance.now() - t0);
  }
  return { times: times.sort((a, b) => a - b), answer: answer as T };
}

const bench: Benchmark = {
  name: 'queries',
  title: 'Key queries: p95 under the read-heavy k6 profile (200 requests/s), Postgres and ClickHouse',
  async run(ctx) {
    const schema = `bench_queries_${Date.now().toString(36)}`;
    const db = new pg.Client({ connectionString: ctx.env['DATABASE_URL'] });
    await db.connect();
    const chUrl = ctx.env['CLICKHOUSE_URL'];
    const owner: ClickHouseClient | undefined = chUrl
      ? createClient({ url: chUrl, request_timeout: 300_000 })
      : undefined;
    const work = mkdtempSync(join(tmpdir(), 'bench-queries-'));
    const port = await freePort();
    const token = generateToken();
    const rawRows = ctx.quick ? 100_000 : 1_000_000;
    const baseMs = Date.now();
    const serve = startCli(['serve', '--port', String(port)], {
      logLevel: 'warn',
      env: {
        QUERY_SCHEMA: schema,
        RETAIL_TOKEN_READ: token,
        // The stack's read-only ClickHouse user when it has one (a stack older than its users: the owner).
        ...(chUrl
          ? {
              QUERY_CLICKHOUSE_URL: ctx.env['QUERY_CLICKHOUSE_URL'] ?? chUrl,
              QUERY_CLICKHOUSE_DATABASE: schema,
            }
          : {}),
      },
    });
    try {
      await fill(db, schema, rawRows, baseMs, ctx.log);
      if (owner) {
        ctx.log(`filling ClickHouse database ${schema} with the same rows…`);
        await migrateClickhouse(owner, {}, schema);
        await fillClickhouse(owner, `\`${schema}\``, rawRows, baseMs);
      } else ctx.log('no CLICKHOUSE_URL in the stack: Postgres only');
      await waitReady(port, serve);
      const direct = await directCeiling(ctx.env['DATABASE_URL']!, schema, 500);
      const config = benchConfig();
      const duration = config.queriesDuration ?? (ctx.quick ? '15s' : '60s');
      const rps = config.queriesRps;
      ctx.log(`k6 read-heavy at ${rps} requests/s for ${duration}, from Postgres`);
      const fromPg = runK6(port, token, 'postgres', rps, duration, work);
      const figures = k6Figures(fromPg, 'queries', rps, duration);
      figures.push({
        name: 'queries.hourly_direct_sql.p95_ms',
        value: percentile(direct, 95),
        unit: 'ms',
        p50: percentile(direct, 50),
        p99: percentile(direct, 99),
        notes: 'the hourly query straight from a pg client, one at a time (no HTTP): the floor HTTP adds to',
      });
      if (!owner) return figures;
      ctx.log(`k6 read-heavy at ${rps} requests/s for ${duration}, from ClickHouse`);
      const fromCh = runK6(port, token, 'clickhouse', rps, duration, work);
      figures.push(
        ...k6Figures(fromCh, 'queries.clickhouse', rps, duration, fromPg.m['http_req_duration']?.['p(95)']),
      );

      // The heavy query: every raw row lies in [base − 1 day, base).
      const from = new Date(baseMs - 86_400_000);
      const to = new Date(baseMs);
      const runs = ctx.quick ? 3 : 10;
      ctx.log(`heavy query (a day's revenue by region and category over ${rawRows} raw rows), ${runs}× each`);
      const heavyPg = await timed(runs, () => heavyPostgres(db, `"${schema}"`, from, to));
      const heavyCh = await timed(runs, () => heavyClickhouse(owner, `\`${schema}\``, from, to));
      const equal = JSON.stringify(heavyPg.answer) === JSON.stringify(heavyCh.answer);
      const note = `${rawRows} raw rows joined to store regions and SKU categories, ${heavyPg.answer.length} groups, ${runs} runs one at a time; answers ${equal ? 'identical' : 'DIFFER'} in both stores`;
      figures.push(
        {
          name: 'queries.heavy.postgres_ms',
          value: percentile(heavyPg.times, 50),
          unit: 'ms',
          p50: percentile(heavyPg.times, 50),
          p95: percentile(heavyPg.times, 95),
          notes: note,
        },
        {
          name: 'queries.heavy.clickhouse_ms',
          value: percentile(heavyCh.times, 50),
          unit: 'ms',
          p50: percentile(heavyCh.times, 50),
          p95: percentile(heavyCh.times, 95),
          ceiling: percentile(heavyPg.times, 50),
          ceilingName: 'Postgres median, same run',
          notes: note,
        },
      );
      return figures;
    } finally {
      await serve.stop();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db.end();
      await owner?.command({ query: `DROP DATABASE IF EXISTS \`${schema}\`` }).catch(() => undefined);
      await owner?.close();
      rmSync(work, { recursive: true, force: true });
    }
  },
};

export default bench;
