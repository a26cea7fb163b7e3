/**
 * The native ClickHouse's users (issue 13): against a real `retail-etl clickhouse serve` of this
 * test's own, each runtime user can do its job — the raw sink's resume and dedup statements, the
 * aggregate sink's inserts and tombstones, the reader's queries — and cannot do what it must not,
 * answered with clickhouse-server's codes: 516 (401) for bad credentials, 497 ACCESS_DENIED (403)
 * for a sink, 164 READONLY (400) for the reader. The tables are still there afterwards. The raw
 * sink's retention stops at the floor (SINK_CLICKHOUSE_RETENTION_MIN_DAYS, 7 by default): a
 * partition of the last 7 days is refused with 497 ACCESS_DENIED naming the floor.
 */
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/logger.js';
import { migrateClickhouse } from '../../../sinks/clickhouse/migrate-all.js';
import { MERGE_SELECTOR_BASE } from '../../../sinks/clickhouse/merge-settings.js';
import { resumeFromStoredRanges } from '../../../sinks/clickhouse/resume.js';
import type { ClickhouseSinkConfig } from '../../../sinks/clickhouse/raw/config.js';
import { ClickhouseSink } from '../../../sinks/clickhouse/raw/sink.js';
import { resolveSinkConfig } from '../../../sinks/raw/run.js';
import { createClickhouseClient } from '../../../sinks/clickhouse/client.js';
import { applyClickhouseRetention } from '../../../sinks/clickhouse/raw/retention.js';
import { makeEvents, totals } from '../../../bench/lib/sale-events.js';
import type { SaleEvent } from '../../../lib/contracts/event/schema.js';
import { chCounts } from '../../sinks/clickhouse/raw/ch-counts.js';
import { bareMetrics } from '../../sinks/core/contract.suite.js';
import { ThrowawayClickhouse } from '../../helpers/throwaway-clickhouse.js';

const db = `users_${randomUUID().replace(/-/g, '')}`;
let ch: ThrowawayClickhouse;
let owner: ClickHouseClient;

/** One statement as `url`'s user (credentials in the X-ClickHouse headers), answered as sent. */
async function run(url: string, sql: string, method: 'GET' | 'POST' = 'POST', params = '') {
  const u = new URL(url);
  const res = await fetch(`http://${u.host}/?database=${db}${params}`, {
    method,
    ...(method === 'POST' ? { body: sql } : {}),
    headers: {
      'X-ClickHouse-User': decodeURIComponent(u.username),
      'X-ClickHouse-Key': decodeURIComponent(u.password),
    },
  });
  return { status: res.status, code: res.headers.get('x-clickhouse-exception-code'), text: await res.text() };
}

async function tables(): Promise<string[]> {
  const rs = await owner.query({
    query: `SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name`,
    query_params: { db },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ name: string }>()).map((r) => r.name);
}

beforeAll(async () => {
  ch = await ThrowawayClickhouse.create();
  await ch.start();
  owner = createClient({ url: ch.url });
  await migrateClickhouse(owner, {}, db);
}, 90_000);

afterAll(async () => {
  await owner?.close();
  await ch?.remove();
});

const ALL_TABLES = [
  'sales_anomalies',
  'sales_hourly',
  'sales_raw',
  'sales_raw_id_probe',
  'sales_raw_ids',
  'store_rolling_1h',
  'top_skus',
];

describe('ClickHouse users of the native server', () => {
  it('the owner migrated every table; wrong credentials get 516 / 401 whichever part is wrong', async () => {
    expect(await tables()).toEqual(ALL_TABLES);
    // Every MergeTree table merges with the pipeline's selector base (merge-settings.ts).
    const rs = await owner.query({
      query: `SELECT name, create_table_query AS q FROM system.tables
               WHERE database = {db:String} AND engine LIKE '%MergeTree' ORDER BY name`,
      query_params: { db },
      format: 'JSONEachRow',
    });
    const merged = await rs.json<{ name: string; q: string }>();
    expect(merged.map((t) => t.name)).toEqual(ALL_TABLES.filter((t) => t !== 'sales_raw_id_probe'));
    for (const t of merged) expect(t.q, t.name).toContain(`merge_selector_base = ${MERGE_SELECTOR_BASE}`);
    const sink = new URL(ch.runtimeUrl('CLICKHOUSE_SINK_URL'));
    for (const [user, password] of [
      ['retail_sink', ch.password], // another user's password
      ['retail_sink', ''],
      ['retail_nobody', decodeURIComponent(sink.password)],
    ] as const) {
      const res = await run(`http://${user}:${encodeURIComponent(password)}@${sink.host}`, 'SELECT 1');
      expect(res.status).toBe(401);
      expect(res.code).toBe('516');
      expect(res.text).toMatch(new RegExp(`^Code: 516\\. DB::Exception: ${user}: Authentication failed`));
    }
  });

  it('the raw sink: inserts, its resume query, its id probe and its probe deletes', async () => {
    const sink = createClient({ url: ch.runtimeUrl('CLICKHOUSE_SINK_URL'), compression: { request: true } });
    try {
      const token = randomUUID();
      const id = randomUUID();
      await sink.insert({
        table: `${db}.sales_raw_id_probe`,
        values: [{ token, event_id: id }],
        format: 'JSONEachRow',
      });
      await sink.insert({
        table: `${db}.sales_raw_ids`,
        values: [{ event_id: id, day: '2026-11-20', kafka_topic: 't', kafka_partition: 0, kafka_offset: 7 }],
        format: 'JSONEachRow',
      });
      const rs = await sink.query({
        query: `SELECT toString(event_id) AS id FROM ${db}.sales_raw_ids
                 WHERE event_id IN (SELECT event_id FROM ${db}.sales_raw_id_probe WHERE token = {token:String})`,
        query_params: { token },
        format: 'JSONEachRow',
      });
      expect(await rs.json()).toEqual([{ id }]);
      await sink.command({
        query: `ALTER TABLE ${db}.sales_raw_id_probe DELETE WHERE token = {token:String}`,
        query_params: { token },
        clickhouse_settings: { mutations_sync: '1' },
      });
      const plan = await resumeFromStoredRanges(
        () => sink,
        `${db}.sales_raw`,
        't',
        0,
        0,
        createLogger('test'),
      );
      expect(plan).toEqual({ next: 0, cuts: [] });
    } finally {
      await sink.close();
    }
  });

  it('the raw sink itself runs as retail_sink on the owner’s tables: a batch written twice is stored once', async () => {
    const { target } = resolveSinkConfig(
      'clickhouse',
      { url: ch.runtimeUrl('CLICKHOUSE_SINK_URL'), database: db, createTable: false },
      {},
    );
    const { metrics, logger } = bareMetrics();
    const sink = new ClickhouseSink(target as ClickhouseSinkConfig, metrics, logger);
    await sink.open();
    try {
      const rows = makeEvents(40).map((event, offset) => ({
        event,
        partition: 0,
        offset,
        kafkaTimestamp: Date.now(),
      }));
      const batch = {
        segments: [{ topic: 'retail.sales.v1', partition: 0, first: 0, last: rows.length - 1, rows }],
        rowCount: rows.length,
      };
      await sink.writeBatch(batch);
      // The replay after a crash: its ids are found (the probe, the ALTER DELETE) and its tokens dedup it.
      await sink.writeBatch(batch);
      const rs = await owner.query({
        query: `SELECT count() AS n FROM ${db}.sales_raw`,
        format: 'JSONEachRow',
      });
      expect(Number((await rs.json<{ n: string }>())[0]?.n)).toBe(40);
      expect(await sink.resume('retail.sales.v1', 0, 0)).toEqual({ next: 0, cuts: [39] });
    } finally {
      await sink.close();
    }
  });

  it('the raw sink cannot drop, truncate, alter, create, read others’ tables or files: 497 / 403', async () => {
    const url = ch.runtimeUrl('CLICKHOUSE_SINK_URL');
    for (const [sql, grant] of [
      [`DROP TABLE ${db}.sales_raw`, `DROP TABLE ON ${db}.sales_raw`],
      [`TRUNCATE TABLE ${db}.sales_raw_ids`, `TRUNCATE ON ${db}.sales_raw_ids`],
      [`ALTER TABLE ${db}.sales_raw DELETE WHERE 1`, `ALTER DELETE ON ${db}.sales_raw`],
      [`ALTER TABLE ${db}.sales_raw DROP COLUMN basket_id`, `ALTER DROP ON ${db}.sales_raw`],
      [`CREATE TABLE ${db}.x (a UInt8) ENGINE = Memory`, `CREATE TABLE ON ${db}.x`],
      [`INSERT INTO ${db}.top_skus FORMAT JSONEachRow`, `INSERT ON ${db}.top_skus`],
      ['SELECT name FROM system.users', 'SELECT ON system.users'],
      ["SELECT file('/etc/hostname')", 'READ, WRITE ON FILE'],
    ] as const) {
      const res = await run(url, sql);
      expect(res.code, sql).toBe('497');
      expect(res.status, sql).toBe(403);
      expect(res.text, sql).toContain(
        `retail_sink: Not enough privileges. To execute this query, it's necessary to have the grant ${grant}. (ACCESS_DENIED)`,
      );
    }
    const multi = await run(url, `SELECT 1; DROP TABLE ${db}.sales_raw`);
    expect([multi.status, multi.code]).toEqual([400, '62']);
    expect(await tables()).toEqual(ALL_TABLES);
  });

  it('the raw sink’s retention stops at the floor: a partition of the last 7 days is 497 ACCESS_DENIED', async () => {
    const floorDb = `floor_${randomUUID().replace(/-/g, '')}`;
    await migrateClickhouse(owner, {}, floorDb);
    const DAY = 86_400_000;
    const today = Math.floor(Date.now() / DAY) * DAY;
    const at = (day: number) => (i: number) => day + 3_600_000 + i * 1000;
    const recent = [
      ...makeEvents(30, { time: at(today), seed: 1 }),
      ...makeEvents(20, { time: at(today - 2 * DAY), seed: 2 }),
    ];
    const old = [
      ...makeEvents(15, { time: at(today - 10 * DAY), seed: 3 }),
      ...makeEvents(10, { time: at(today - 40 * DAY), seed: 4 }),
    ];
    const sinkUrl = ch.runtimeUrl('CLICKHOUSE_SINK_URL');
    const { target } = resolveSinkConfig(
      'clickhouse',
      { url: sinkUrl, database: floorDb, createTable: false, retentionMode: 'off' },
      {},
    );
    const { metrics, logger } = bareMetrics();
    const sink = new ClickhouseSink(target as ClickhouseSinkConfig, metrics, logger);
    await sink.open();
    const client = await createClickhouseClient({ url: sinkUrl });
    try {
      const events: SaleEvent[] = [...recent, ...old];
      const rows = events.map((event, offset) => ({
        event,
        partition: 0,
        offset,
        kafkaTimestamp: Date.now(),
      }));
      await sink.writeBatch({
        segments: [{ topic: 'retail.sales.v1', partition: 0, first: 0, last: rows.length - 1, rows }],
        rowCount: rows.length,
      });
      expect((await chCounts(owner, floorDb)).count).toBe(75);

      // By hand, as the sink's user: today's partition is refused, naming the floor.
      const day = (t: number) => new Date(t).toISOString().slice(0, 10).replace(/-/g, '');
      const refused = await run(
        sinkUrl,
        `ALTER TABLE ${floorDb}.sales_raw DROP PARTITION ID '${day(today)}'`,
      );
      expect([refused.status, refused.code]).toEqual([403, '497']);
      expect(refused.text).toContain(
        `retail_sink: retention floor: partition ID '${day(today)}' of sales_raw may hold one of the last 7 day(s), kept by SINK_CLICKHOUSE_RETENTION_MIN_DAYS;`,
      );

      // A retention of 1 day (a sink's config bypassed): the days beyond the floor go, then the
      // first one inside it stops the run with the server's code — final, not retried.
      const err = await applyClickhouseRetention(client, {
        database: floorDb,
        retentionDays: 1,
        mode: 'drop',
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'CLICKHOUSE_ERROR', serverCode: 'ACCESS_DENIED', retriable: false });
      expect(String((err as Error).message)).toContain(`partition ID '${day(today - 2 * DAY)}'`);
      const expected = totals(recent);
      expect(await chCounts(owner, floorDb)).toEqual({ ...expected, distinct: expected.count });

      // Within the floor's rules (8 days kept) the same run succeeds and removes nothing more.
      const ok = await applyClickhouseRetention(client, {
        database: floorDb,
        retentionDays: 8,
        mode: 'drop',
      });
      expect(ok.partitions).toEqual([]);
      expect((await chCounts(owner, floorDb)).count).toBe(expected.count);
    } finally {
      await client.close();
      await sink.close();
      await owner.command({ query: `DROP DATABASE IF EXISTS ${floorDb}` });
    }
  });

  it('the aggregate sink: its tables and tombstones, nothing else', async () => {
    const url = ch.runtimeUrl('CLICKHOUSE_AGG_SINK_URL');
    const row = JSON.stringify({
      window_start: '2026-11-20 10:00:00.000',
      rank: 1,
      sku: 'SKU-1',
      revenue_cents: 5,
      quantity: 1,
      kafka_topic: 't',
      kafka_partition: 0,
      kafka_offset: 1,
      batch_first: 1,
      batch_last: 1,
    });
    expect((await run(url, `INSERT INTO ${db}.top_skus FORMAT JSONEachRow\n${row}`)).status).toBe(200);
    expect((await run(url, `DELETE FROM ${db}.top_skus WHERE sku = 'SKU-1'`)).status).toBe(200);
    expect((await run(url, `SELECT count() FROM ${db}.top_skus FINAL`)).text).toBe('0\n');
    for (const sql of [
      `DROP TABLE ${db}.top_skus`,
      `INSERT INTO ${db}.sales_raw FORMAT JSONEachRow`,
      `SELECT count() FROM ${db}.sales_raw`,
      `ALTER TABLE ${db}.top_skus MODIFY SETTING non_replicated_deduplication_window = 1`,
    ])
      expect((await run(url, sql)).code, sql).toBe('497');
    expect(await tables()).toEqual(ALL_TABLES);
  });

  it('the reader: reads; INSERT, DROP, ALTER and settings are 164 READONLY', async () => {
    const url = ch.runtimeUrl('QUERY_CLICKHOUSE_URL');
    const ok = await run(
      url,
      `SELECT count() FROM ${db}.sales_raw FINAL`,
      'GET',
      `&query=${encodeURIComponent(`SELECT count() FROM ${db}.sales_raw`)}`,
    );
    expect([ok.status, ok.text]).toEqual([200, '40\n']); // the raw sink's batch above
    for (const sql of [
      `INSERT INTO ${db}.sales_raw_id_probe FORMAT JSONEachRow\n{"token":"x","event_id":"${randomUUID()}"}`,
      `DROP TABLE ${db}.sales_raw`,
      `ALTER TABLE ${db}.sales_raw DELETE WHERE 1`,
      `CREATE TABLE ${db}.x (a UInt8) ENGINE = Memory`,
    ]) {
      const res = await run(url, sql);
      expect([res.status, res.code], sql).toEqual([400, '164']);
      expect(res.text, sql).toMatch(
        /^Code: 164\. DB::Exception: retail_reader: Cannot execute query in readonly mode\. \(READONLY\)/,
      );
    }
    const setting = await run(url, 'SELECT 1', 'POST', '&max_threads=1');
    expect([setting.status, setting.code]).toEqual([400, '164']);
    expect(setting.text).toContain("Cannot modify 'max_threads' setting in readonly mode");
    expect((await run(url, "SELECT * FROM file('/etc/hostname', 'LineAsString')")).code).toBe('497');
    expect(await tables()).toEqual(ALL_TABLES);
  });
});
