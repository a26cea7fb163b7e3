import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { createClickhouseClient } from '../../../../sinks/clickhouse/client.js';
import type { ClickhouseSinkConfig } from '../../../../sinks/clickhouse/raw/config.js';
import { ClickhouseSink } from '../../../../sinks/clickhouse/raw/sink.js';
import { resolveSinkConfig } from '../../../../sinks/raw/run.js';
import { projectRoot } from '../../../../stack/paths.js';
import { uniqueName } from '../../../helpers/env.js';
import { bareMetrics, sinkContractSuite } from '../../core/contract.suite.js';
import { rawSink } from '../../core/contract-targets.js';
import { chCounts } from './ch-counts.js';
import { makeEvents, totals } from '../../../../bench/lib/sale-events.js';

// The ClickHouse engine in process (chdb): the sink and this test share the path, which one
// process may do (two processes may not — see crash.int.test.ts).
const dir = join(projectRoot(), '.stack', 'tmp', uniqueName('chdb'));
const database = uniqueName('sinkch');
let reader: ClickHouseClient | undefined;

sinkContractSuite({
  ...rawSink('clickhouse', () => ({ chdbPath: dir, database })),
  async counts() {
    reader ??= await createClickhouseClient({ chdbPath: dir });
    return chCounts(reader, database);
  },
  async setup() {
    mkdirSync(dir, { recursive: true });
    const { target } = resolveSinkConfig('clickhouse', { chdbPath: dir, database });
    const { metrics, logger } = bareMetrics();
    const sink = new ClickhouseSink(target as ClickhouseSinkConfig, metrics, logger);
    await sink.open();
    await sink.close();
  },
  async teardown() {
    await reader?.close();
    rmSync(dir, { recursive: true, force: true });
  },
});

describe('ClickHouse dedup by token (chdb engine)', () => {
  it('a second insert with the same token and different rows is dropped; another token is kept', async () => {
    const path = join(projectRoot(), '.stack', 'tmp', uniqueName('chdb-token'));
    mkdirSync(path, { recursive: true });
    const client = await createClickhouseClient({ chdbPath: path });
    try {
      await client.command({
        query: `CREATE TABLE t (id UInt64) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
      });
      const insert = (ids: number[], token: string) =>
        client.insert({
          table: 't',
          values: ids.map((id) => ({ id })),
          format: 'JSONEachRow',
          clickhouse_settings: { insert_deduplication_token: token },
        });
      await insert([1, 2, 3], 'retail.sales.v1:0:0-2');
      await insert([7, 8, 9], 'retail.sales.v1:0:0-2'); // same token: must be ignored
      await insert([1, 2, 3], 'retail.sales.v1:0:3-5'); // same rows, new token: must be kept
      const rs = await client.query({
        query: 'SELECT groupArray(id) ids FROM (SELECT id FROM t ORDER BY id)',
        format: 'JSONEachRow',
      });
      expect((await rs.json<{ ids: string[] }>())[0]?.ids.map(Number)).toEqual([1, 1, 2, 2, 3, 3]);
    } finally {
      await client.close();
      rmSync(path, { recursive: true, force: true });
    }
  });
});

describe('a segment spanning more days than one ClickHouse insert may touch', () => {
  it('150 days in one segment are stored (no TOO_MANY_PARTS stall), exactly once, also when the batch is written again', async () => {
    const path = join(projectRoot(), '.stack', 'tmp', uniqueName('chdb-days'));
    const db = uniqueName('sinkdays');
    mkdirSync(path, { recursive: true });
    const { target } = resolveSinkConfig('clickhouse', { chdbPath: path, database: db });
    const { metrics, logger } = bareMetrics();
    const sink = new ClickhouseSink(target as ClickhouseSinkConfig, metrics, logger);
    await sink.open();
    try {
      const day = 86_400_000;
      const start = Date.UTC(2026, 0, 1, 12);
      const events = makeEvents(300, { time: (i) => start + (i % 150) * day });
      const rows = events.map((event, offset) => ({
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
      // A replay of the same range (crash before the Kafka commit) recreates the same parts and tokens.
      await sink.writeBatch(batch);
      const reader = await createClickhouseClient({ chdbPath: path });
      try {
        const expected = totals(events);
        expect(await chCounts(reader, db)).toEqual({ ...expected, distinct: expected.count });
        const rs = await reader.query({
          query: `SELECT uniqExact(toYYYYMMDD(event_time)) AS days FROM \`${db}\`.sales_raw`,
          format: 'JSONEachRow',
        });
        expect(Number((await rs.json<{ days: string }>())[0]?.days)).toBe(150);
      } finally {
        await reader.close();
      }
    } finally {
      await sink.close();
      rmSync(path, { recursive: true, force: true });
    }
  });
});
