import { describe, expect, it } from 'vitest';
import type { ClickhouseUser } from '../../../stack/clickhouse/access.js';
import { authenticate, refusal } from '../../../stack/clickhouse/access.js';
import { EngineError } from '../../../stack/clickhouse/engine.js';
import { scanStatement } from '../../../stack/clickhouse/sql-scan.js';

const owner: ClickhouseUser = { name: 'default', password: 'o', role: 'owner' };
const sink: ClickhouseUser = { name: 'retail_sink', password: 's', role: 'sink' };
const agg: ClickhouseUser = { name: 'retail_agg_sink', password: 'a', role: 'aggregates-sink' };
const reader: ClickhouseUser = { name: 'retail_reader', password: 'r', role: 'reader' };

/** The clock pinned to 2026-12-02: with a 7-day floor, 2026-11-26 is the last day a sink may not remove. */
const floor = { minDays: 7, now: () => Date.UTC(2026, 11, 2, 12) };
const code = (user: ClickhouseUser, sql: string, settings: Record<string, string> = {}) =>
  refusal(user, { sql, settings, database: 'default' }, floor)?.exceptionCode;

describe('sql-scan', () => {
  it('takes strings and comments out, keeps quoted identifiers, stops at an INSERT’s data', () => {
    const s = scanStatement(`SELECT 'a;DROP' /* ; */ FROM "db"."t" -- ;\n`);
    expect(s.multiStatement).toBe(false);
    expect(s.tokens.map((t) => t.text)).toEqual(['SELECT', "''", 'FROM', 'db', '.', 't']);
    const insert = scanStatement("INSERT INTO t FORMAT TSV\nit's; DROP TABLE t");
    expect(insert.multiStatement).toBe(false);
    expect(insert.tokens.map((t) => t.text)).toEqual(['INSERT', 'INTO', 't', 'FORMAT', 'TSV']);
    expect(scanStatement('SELECT 1;').multiStatement).toBe(false);
    expect(scanStatement('SELECT 1; DROP TABLE t').multiStatement).toBe(true);
  });
});

describe('ClickHouse users’ rights (as clickhouse-server grants them)', () => {
  it('authenticates by name and password, else 516 without saying which was wrong', () => {
    expect(authenticate([owner, sink], { user: 'retail_sink', password: 's' })).toBe(sink);
    for (const who of [
      { user: 'retail_sink', password: 'o' },
      { user: 'nobody', password: 's' },
    ]) {
      const r = authenticate([owner, sink], who);
      expect(r).toBeInstanceOf(EngineError);
      expect((r as EngineError).exceptionCode).toBe(516);
      expect((r as EngineError).message).toContain(`${who.user}: Authentication failed`);
    }
  });

  it('lets the owner run anything', () => {
    expect(code(owner, 'DROP TABLE sales_raw')).toBeUndefined();
    expect(code(owner, "SELECT file('/etc/hostname')")).toBeUndefined();
  });

  it('reader: reads only (164 READONLY), no settings, no file access, one statement', () => {
    expect(code(reader, 'SELECT count() FROM sales_raw FINAL WHERE store_id = {s:String}')).toBeUndefined();
    expect(code(reader, 'WITH 1 AS x SELECT x')).toBeUndefined();
    for (const sql of [
      'INSERT INTO sales_raw FORMAT JSONEachRow',
      'DROP TABLE sales_raw',
      'ALTER TABLE sales_raw DELETE WHERE 1',
      'CREATE TABLE x (a UInt8) ENGINE = Memory',
      'SYSTEM DROP DNS CACHE',
      'SELECT 1 SETTINGS max_threads = 1',
    ])
      expect(code(reader, sql), sql).toBe(164);
    expect(code(reader, 'SELECT 1', { max_threads: '1' })).toBe(164);
    expect(code(reader, "SELECT * FROM file('/etc/passwd', 'LineAsString')")).toBe(497);
    expect(code(reader, "SELECT url('http://127.0.0.1:9090')")).toBe(497);
    expect(code(reader, 'SELECT 1; DROP TABLE sales_raw')).toBe(62);
  });

  it('raw sink: SELECT and INSERT on its tables, ALTER DELETE on its probe only (497 ACCESS_DENIED)', () => {
    for (const sql of [
      'INSERT INTO `default`.sales_raw FORMAT JSONEachRow\n{"a":"; DROP TABLE x"}',
      'INSERT INTO db1.sales_raw_ids (event_id) FORMAT JSONEachRow',
      `SELECT batch_first FROM "db1".sales_raw WHERE kafka_topic = {topic:String} GROUP BY batch_first`,
      'SELECT toString(event_id) AS id FROM db1.sales_raw_ids WHERE event_id IN (SELECT event_id FROM db1.sales_raw_id_probe WHERE token = {t:String})',
      'ALTER TABLE db1.sales_raw_id_probe DELETE WHERE token = {token:String}',
      // Its retention (sinks/clickhouse/raw/retention.ts).
      "SELECT partition_id, sum(rows) AS rows FROM system.parts WHERE database = 'db1' AND table = 'sales_raw' AND active GROUP BY partition_id",
      "ALTER TABLE db1.sales_raw DETACH PARTITION ID '20240101'",
      "ALTER TABLE db1.sales_raw DROP PARTITION ID '20240101'",
      "ALTER TABLE db1.sales_raw_ids DROP PARTITION ID '202401'",
    ])
      expect(code(sink, sql), sql).toBeUndefined();
    const refused = refusal(
      sink,
      { sql: 'DROP TABLE IF EXISTS db1.sales_raw', settings: {}, database: 'default' },
      floor,
    );
    expect(refused?.exceptionCode).toBe(497);
    expect(refused?.message).toBe(
      "Code: 497. DB::Exception: retail_sink: Not enough privileges. To execute this query, it's necessary to have the grant DROP TABLE ON db1.sales_raw. (ACCESS_DENIED)",
    );
    for (const sql of [
      'TRUNCATE TABLE sales_raw',
      'ALTER TABLE sales_raw DELETE WHERE 1',
      'ALTER TABLE sales_raw_id_probe DROP COLUMN token',
      "ALTER TABLE sales_raw_id_probe DROP PARTITION ID '1'",
      'SELECT * FROM system.tables',
      'CREATE TABLE IF NOT EXISTS sales_raw (a UInt8) ENGINE = Memory',
      'INSERT INTO sales_hourly FORMAT JSONEachRow',
      "INSERT INTO FUNCTION file('x') SELECT 1",
      'SELECT * FROM system.users',
      'SELECT * FROM sales_raw, other',
      'SELECT * FROM sales_raw JOIN secrets ON 1',
      'SELECT * FROM numbers(10)',
      'DELETE FROM sales_raw WHERE 1',
    ])
      expect(code(sink, sql), sql).toBe(497);
    expect(code(sink, 'SELECT 1; DROP TABLE sales_raw')).toBe(62);
  });

  it('raw sink: the retention floor — no partition of the last minDays days, only by PARTITION ID', () => {
    // Days before 2026-11-26 (today 2026-12-02, 7 days kept) and months wholly before it.
    for (const sql of [
      "ALTER TABLE db1.sales_raw DETACH PARTITION ID '20261125'",
      "ALTER TABLE sales_raw DROP PARTITION ID '20250101'",
      "ALTER TABLE db1.sales_raw_ids DROP PARTITION ID '202610'",
    ])
      expect(code(sink, sql), sql).toBeUndefined();
    for (const sql of [
      "ALTER TABLE db1.sales_raw DETACH PARTITION ID '20261126'",
      "ALTER TABLE db1.sales_raw DROP PARTITION ID '20261202'",
      "ALTER TABLE db1.sales_raw DROP PARTITION ID '20270101'", // the future, too
      "ALTER TABLE db1.sales_raw_ids DROP PARTITION ID '202611'", // holds the floor's days
      'ALTER TABLE db1.sales_raw DROP PARTITION 20250101', // an expression: not judged
      'ALTER TABLE db1.sales_raw DROP PARTITION ALL',
      "ALTER TABLE db1.sales_raw DROP PARTITION ID '2025''0101'",
      "ALTER TABLE db1.sales_raw DROP PARTITION ID '20250101', DROP PARTITION ID '20261202'",
      "ALTER TABLE db1.sales_raw DROP PARTITION ID 'tuple()'",
    ])
      expect(code(sink, sql), sql).toBe(497);
    const refused = refusal(
      sink,
      { sql: "ALTER TABLE db1.sales_raw DROP PARTITION ID '20261201'", settings: {}, database: 'db1' },
      floor,
    );
    expect(refused?.message).toBe(
      "Code: 497. DB::Exception: retail_sink: retention floor: partition ID '20261201' of sales_raw may hold one of the last 7 day(s), kept by SINK_CLICKHOUSE_RETENTION_MIN_DAYS; only partitions wholly before 20261126 may be detached or dropped, each by PARTITION ID. (ACCESS_DENIED)",
    );
    // The owner (migrations, an operator) is not bound by it.
    expect(code(owner, "ALTER TABLE db1.sales_raw DROP PARTITION ID '20261202'")).toBeUndefined();
  });

  it('aggregate sink: its three tables, tombstones by DELETE included; not the raw ones', () => {
    expect(code(agg, 'INSERT INTO db1.top_skus FORMAT JSONEachRow')).toBeUndefined();
    expect(code(agg, "DELETE FROM db1.sales_hourly WHERE (store_id = 'S1')")).toBeUndefined();
    expect(code(agg, 'SELECT batch_first FROM db1.store_rolling_1h FINAL')).toBeUndefined();
    expect(code(agg, 'INSERT INTO db1.sales_raw FORMAT JSONEachRow')).toBe(497);
    expect(code(agg, 'DROP TABLE db1.top_skus')).toBe(497);
    expect(code(agg, 'ALTER TABLE db1.top_skus MODIFY TTL toDate(window_start)')).toBe(497);
  });
});
