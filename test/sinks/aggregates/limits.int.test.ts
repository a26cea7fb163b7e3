/**
 * Sums at the limits of the event contract, end to end (issue 11, "exact arithmetic"): real Kafka,
 * registry, Postgres and ClickHouse, the real processors (in this process), both aggregate sinks as
 * real processes and the query API (`retail-etl serve`). Beside a seeded input, one store sells two
 * SKUs in an hour of their own at 10,000 × 100,000,000 cents a line — 9,100 sales, 50 returns and
 * one or two single cents each — so each SKU's hour is above 2^53 and odd, the two differ by one cent, and
 * a JS number sum gets every one of them wrong. The tables must equal the SQL recomputation (exact
 * `numeric`) in both databases, the ranking must separate the two SKUs, and the API must answer
 * the exact digits. Hourly records at both ends of the 64-bit range are stored exactly by both
 * sinks and answered exactly by the API; one past the range is a dead letter, never a wrong row.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcessors } from '../../../processors/app.js';
import type { RunningProcessors } from '../../../processors/app.js';
import type { CliProcess } from '../../../stack/cli-process.js';
import { bearer, testTokens } from '../../helpers/api-tokens.js';
import { startQueryServe } from '../../helpers/serve.js';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../../helpers/clickhouse.js';
import { stackEnv, uniqueName } from '../../helpers/env.js';
import { spawnSink } from '../../helpers/sink-process.js';
import type { SinkChild } from '../../helpers/sink-process.js';
import { hourlyKey } from '../../../lib/contracts/aggregates/keys.js';
import { HOUR, MINUTE } from '../../processors/helpers/expected.js';
import { T0, createFixture, readAll, waitCaughtUp } from '../../processors/helpers/fixture.js';
import type { Fixture } from '../../processors/helpers/fixture.js';
import { asSaleEvents, exactRevenue, limitLines, numberRevenue } from '../../processors/helpers/limits.js';
import { waitAggSinkCaughtUp } from './caught-up.js';
import { clickhouseTables, expectedTables, postgresTables, sorted } from './expected.js';
import type { Expected } from './expected.js';

const TOP_N = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STORE = 'S-MAX';
// An hour before the seeded input: these lines are on time and alone in their windows.
const HOUR_MAX = T0 - HOUR;
const A = limitLines(HOUR_MAX + 10 * MINUTE, 9_100, 50, 'SKU-MAX-A', STORE);
/**
 * Records at the tables' own limits, written straight to the hourly topic (what a processor writes
 * after about 9.2 million maximal lines in one key): both ends of the 64-bit range are stored
 * exactly, one past them is a dead letter of each sink.
 */
const EDGE_STORE = 'S-INT64';
const EDGE_HOUR = T0 - 2 * HOUR;
const EDGES = { MAX: '9223372036854775807', MIN: '-9223372036854775808', OVER: '9223372036854775808' };
const edgeRecord = (sku: string, revenue: string) => ({
  key: hourlyKey({ window_start: EDGE_HOUR, store_id: EDGE_STORE, sku }),
  value: JSON.stringify({
    window_start: new Date(EDGE_HOUR).toISOString(),
    window_end: new Date(EDGE_HOUR + HOUR).toISOString(),
    store_id: EDGE_STORE,
    sku,
    quantity: 1,
    revenue_cents: revenue,
    returns: 0,
    orders: 1,
    events: 1,
    final: true,
  }),
});
const isEdge = (key: string) => key.includes(`|${EDGE_STORE}|`);
const withoutEdges = <V>(m: Map<string, V>) => new Map([...m].filter(([k]) => !isEdge(k)));
const B = [
  ...limitLines(HOUR_MAX + 20 * MINUTE, 9_100, 50, 'SKU-MAX-B', STORE),
  ...limitLines(HOUR_MAX + 21 * MINUTE, 0, 0, 'SKU-MAX-B', `${STORE}-extra`).map((e) => ({
    ...e,
    store: STORE,
  })),
];

describe('sums at the contract limits: processors → topics → Postgres and ClickHouse → query API, exact', () => {
  const env = stackEnv();
  const tokens = testTokens();
  const schema = uniqueName('agg_limits');
  const database = uniqueName('agg_limits');
  const pgGroup = uniqueName('agg-limits-pg');
  const chGroup = uniqueName('agg-limits-ch');
  const chUrl = clickhouseUrl();
  let f: Fixture;
  let processors: RunningProcessors | undefined;
  let admin: pg.Client;
  let ch: ClickHouseClient | undefined;
  let expected: Expected;
  const sinks: SinkChild[] = [];
  let serve: CliProcess | undefined;
  let base = '';

  const sinkEnv = (group: string, extra: Record<string, string>) => ({
    ...env,
    SINK_AGGREGATES_HOURLY_TOPIC: f.topics.hourly,
    SINK_AGGREGATES_TOP_SKUS_TOPIC: f.topics.topSkus,
    SINK_AGGREGATES_ROLLING_TOPIC: f.topics.rolling,
    SINK_AGGREGATES_DLQ_TOPIC: f.topics.dlq,
    SINK_AGGREGATES_GROUP_ID: group,
    SINK_AGGREGATES_METRICS_PORT: '0',
    SINK_AGGREGATES_MAX_WAIT_MS: '100',
    ...extra,
  });

  /** Whether the ClickHouse sink committed every partition's end (it resumes from Kafka offsets). */
  async function chCaughtUp(): Promise<boolean> {
    for (const t of [f.topics.hourly, f.topics.topSkus, f.topics.rolling]) {
      const [c] = await f.admin.fetchOffsets({ groupId: chGroup, topics: [t] });
      for (const h of await f.admin.fetchTopicOffsets(t)) {
        const at = Number(c?.partitions.find((p) => p.partition === h.partition)?.offset ?? -1);
        if (Number(h.high) > 0 && at !== Number(h.high)) return false;
      }
    }
    return true;
  }

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: bearer(tokens.read) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    const url = new URL(env.DATABASE_ADMIN_URL);
    url.pathname = new URL(env.DATABASE_URL).pathname;
    admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    f = await createFixture({
      events: 3_000,
      seed: 63,
      maxBatchBytes: 256 * 1024,
      extra: { partition: 0, events: asSaleEvents([...A, ...B]) },
    });
    processors = await runProcessors(['hourly', 'top-skus', 'rolling'], { ...f.options, topN: TOP_N });
    const producer = f.kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({
      topic: f.topics.hourly,
      acks: -1,
      messages: Object.entries(EDGES).map(([sku, revenue]) => edgeRecord(sku, revenue)),
    });
    await producer.disconnect();
    sinks.push(spawnSink(['aggregates'], sinkEnv(pgGroup, { SINK_AGGREGATES_SCHEMA: schema })));
    sinks.push(
      spawnSink(
        ['aggregates'],
        sinkEnv(chGroup, {
          CLICKHOUSE_URL: chUrl,
          SINK_AGGREGATES_TARGET: 'clickhouse',
          SINK_AGGREGATES_CLICKHOUSE_DATABASE: database,
        }),
      ),
    );
    for (const s of sinks) await s.waitForLog(/sink running/);
    await waitCaughtUp(f, 'all', 120_000);
    await waitAggSinkCaughtUp(f, admin, schema, pgGroup, 60_000);
    const deadline = Date.now() + 60_000;
    while (!(await chCaughtUp())) {
      if (Date.now() > deadline)
        throw new Error(`ClickHouse sink not caught up:\n${sinks[1]?.log.slice(-10).join('\n')}`);
      await sleep(300);
    }
    expected = await expectedTables(f, TOP_N);
    ch = clickhouseClient(chUrl);

    ({ serve, base } = await startQueryServe(schema, tokens));
  });

  afterAll(async () => {
    await serve?.stop();
    for (const s of sinks)
      if (s.child.exitCode === null && s.child.signalCode === null) {
        s.child.kill('SIGTERM');
        await s.exited;
      }
    await processors?.stop();
    await ch?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin?.end();
    await f?.admin.deleteGroups([pgGroup, chGroup]).catch(() => undefined);
    await f?.cleanup();
    await dropDatabase(database, chUrl);
  });

  it('the input is at the limits: each SKU-hour above 2^53, one cent apart, wrong as a JS number sum', () => {
    for (const lines of [A, B]) {
      expect(exactRevenue(lines) > 2n ** 53n).toBe(true);
      expect(BigInt(numberRevenue(lines))).not.toBe(exactRevenue(lines));
    }
    expect(exactRevenue(B) - exactRevenue(A)).toBe(1n);
  });

  it('the processors emit the exact sums as decimal strings', async () => {
    const key = (sku: string) => `${new Date(HOUR_MAX).toISOString()}|${STORE}|${sku}`;
    expect(expected.hourly.get(key('SKU-MAX-A'))?.[1]).toBe(exactRevenue(A).toString());
    expect(expected.hourly.get(key('SKU-MAX-B'))?.[1]).toBe(exactRevenue(B).toString());
    // The seeded input starts a few seconds before T0, so smaller SKUs follow in this hour's ranking.
    const ranking = JSON.parse(expected.top.get(new Date(HOUR_MAX).toISOString()) ?? '[]') as unknown[];
    expect(ranking.slice(0, 2)).toEqual([
      [1, 'SKU-MAX-B', exactRevenue(B).toString(), 9_050 * 10_000 + 2],
      [2, 'SKU-MAX-A', exactRevenue(A).toString(), 9_050 * 10_000 + 1],
    ]);
    // Only the fixture's poison records (processors) and the edge record past int64 (each sink) are
    // dead letters: no sum the processors wrote was refused.
    const dlq = await readAll(f, f.topics.dlq);
    const bySink = (sink: string) => dlq.filter((r) => r.headers['dlq.sink'] === sink);
    expect(bySink('processor-all')).toHaveLength(f.poison);
    for (const sink of ['aggregates-postgres', 'aggregates-clickhouse']) {
      expect(bySink(sink).map((r) => r.key)).toEqual([edgeRecord('OVER', EDGES.OVER).key]);
      expect(bySink(sink)[0]?.headers['dlq.detail']).toMatch(
        /revenue_cents must be an integer .*64-bit range/,
      );
    }
    expect(dlq).toHaveLength(f.poison + 2);
  });

  it('Postgres: the three tables equal the SQL recomputation, row for row', async () => {
    const got = await postgresTables(admin, schema, expected);
    expect(sorted(withoutEdges(got.hourly))).toEqual(sorted(expected.hourly));
    expect(sorted(got.top)).toEqual(sorted(expected.top));
    expect(got.rollingOutside).toBe(0);
    expect(sorted(got.rolling)).toEqual(sorted(expected.rolling));
  });

  it('ClickHouse: the three tables with FINAL equal the SQL recomputation', async () => {
    const got = await clickhouseTables(ch as ClickHouseClient, database, expected);
    expect(sorted(withoutEdges(got.hourly))).toEqual(sorted(expected.hourly));
    expect(sorted(got.top)).toEqual(sorted(expected.top));
    expect(sorted(got.rolling)).toEqual(sorted(expected.rolling));
  });

  it('both tables store the ends of the 64-bit range exactly, and nothing past them', async () => {
    const edges = (hourly: Map<string, unknown[]>) =>
      new Map([...hourly].filter(([k]) => isEdge(k)).map(([k, v]) => [k.split('|')[2], v[1]]));
    const want = new Map([
      ['MAX', EDGES.MAX],
      ['MIN', EDGES.MIN],
    ]);
    expect(edges((await postgresTables(admin, schema, expected)).hourly)).toEqual(want);
    expect(edges((await clickhouseTables(ch as ClickHouseClient, database, expected)).hourly)).toEqual(want);
  });

  it('the query API answers the exact digits: per SKU, the store total, the ranking, the rolling hour', async () => {
    const date = new Date(HOUR_MAX).toISOString().slice(0, 10);
    const perSku = await get(`/v1/stores/${STORE}/hourly?date=${date}&sku=SKU-MAX-A`);
    expect(perSku.status).toBe(200);
    expect(perSku.body['rows']).toEqual([
      {
        window_start: new Date(HOUR_MAX).toISOString(),
        quantity: 9_050 * 10_000 + 1,
        revenue_cents: exactRevenue(A).toString(),
        returns: 50,
        orders: 9_151,
      },
    ]);
    const total = await get(`/v1/stores/${STORE}/hourly?date=${date}`);
    expect(total.body['rows']).toEqual([
      expect.objectContaining({ revenue_cents: exactRevenue([...A, ...B]).toString(), skus: 2 }),
    ]);
    const top = await get(`/v1/top-skus?hour=${encodeURIComponent(new Date(HOUR_MAX).toISOString())}`);
    expect((top.body['rows'] as unknown[]).slice(0, 2)).toEqual([
      { rank: 1, sku: 'SKU-MAX-B', revenue_cents: exactRevenue(B).toString(), quantity: 9_050 * 10_000 + 2 },
      { rank: 2, sku: 'SKU-MAX-A', revenue_cents: exactRevenue(A).toString(), quantity: 9_050 * 10_000 + 1 },
    ]);
    // The rolling hour that holds every line of the store.
    const at = new Date(HOUR_MAX + 30 * MINUTE).toISOString();
    const rolling = await get(`/v1/stores/${STORE}/rolling?at=${encodeURIComponent(at)}`);
    // The ends of the range through the API, and their store total (summed as numeric by Postgres).
    const edgeDate = new Date(EDGE_HOUR).toISOString().slice(0, 10);
    const max = await get(`/v1/stores/${EDGE_STORE}/hourly?date=${edgeDate}&sku=MAX`);
    expect((max.body['rows'] as { revenue_cents: unknown }[])[0]?.revenue_cents).toBe(EDGES.MAX);
    const edgeTotal = await get(`/v1/stores/${EDGE_STORE}/hourly?date=${edgeDate}`);
    expect((edgeTotal.body['rows'] as { revenue_cents: unknown }[])[0]?.revenue_cents).toBe('-1');
    expect(rolling.body).toMatchObject({
      window_end: at,
      revenue_cents: exactRevenue([...A, ...B]).toString(),
    });
  });
});
