import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import type { ClickhouseSinkConfig } from '../../../../sinks/clickhouse/raw/config.js';
import { ClickhouseSink } from '../../../../sinks/clickhouse/raw/sink.js';
import { resolveSinkConfig } from '../../../../sinks/raw/run.js';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../../../helpers/clickhouse.js';
import { uniqueName } from '../../../helpers/env.js';
import { bareMetrics, sinkContractSuite } from '../../core/contract.suite.js';
import { rawSink } from '../../core/contract-targets.js';
import { chCounts } from './ch-counts.js';
import { makeEvents, totals } from '../../../../bench/lib/sale-events.js';

// The stack's ClickHouse over HTTP (the sinks' production path), a database per test.
const url = clickhouseUrl();
const database = uniqueName('sinkch');
let reader: ClickHouseClient | undefined;

sinkContractSuite({
  ...rawSink('clickhouse', () => ({ url, database })),
  async counts() {
    reader ??= clickhouseClient(url);
    return chCounts(reader, database);
  },
  async setup() {
    const { target } = resolveSinkConfig('clickhouse', { url, database });
    const { metrics, logger } = bareMetrics();
    const sink = new ClickhouseSink(target as ClickhouseSinkConfig, metrics, logger);
    await sink.open();
    await sink.close();
  },
  async teardown() {
    await reader?.close();
    await dropDatabase(database, url);
  },
});

describe('ClickHouse dedup by token', () => {
  it('a second insert with the same token and different rows is dropped; another token is kept', async () => {
    const db = uniqueName('chtoken');
    const client = clickhouseClient(url);
    try {
      await client.command({ query: `CREATE DATABASE \`${db}\`` });
      await client.command({
        query: `CREATE TABLE \`${db}\`.t (id UInt64) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
      });
      const insert = (ids: number[], token: string) =>
        client.insert({
          table: `\`${db}\`.t`,
          values: ids.map((id) => ({ id })),
          format: 'JSONEachRow',
          clickhouse_settings: { insert_deduplication_token: token },
        });
      await insert([1, 2, 3], 'retail.sales.v1:0:0-2');
      await insert([7, 8, 9], 'retail.sales.v1:0:0-2'); // same token: must be ignored
      await insert([1, 2, 3], 'retail.sales.v1:0:3-5'); // same rows, new token: must be kept
      const rs = await client.query({
        query: `SELECT groupArray(id) ids FROM (SELECT id FROM \`${db}\`.t ORDER BY id)`,
        format: 'JSONEachRow',
      });
      expect((await rs.json<{ ids: string[] }>())[0]?.ids.map(Number)).toEqual([1, 1, 2, 2, 3, 3]);
    } finally {
      await client.close();
      await dropDatabase(db, url);
    }
  });
});

describe('a segment spanning more days than one ClickHouse insert may touch', () => {
  it('150 days in one segment are stored (no TOO_MANY_PARTS stall), exactly once, also when the batch is written again', async () => {
    const db = uniqueName('sinkdays');
    const { target } = resolveSinkConfig('clickhouse', { url, database: db });
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
      const reader = clickhouseClient(url);
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
      await dropDatabase(db, url);
    }
  });
});

describe('the id claims table (sales_raw_ids)', () => {
  const engineOf = async (client: ClickHouseClient, db: string) => {
    const rs = await client.query({
      query: `SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = 'sales_raw_ids'`,
      query_params: { db },
      format: 'JSONEachRow',
    });
    return (await rs.json<{ engine_full: string }>())[0]?.engine_full ?? '';
  };
  const opened = async (db: string) => {
    const { target } = resolveSinkConfig('clickhouse', { url, database: db });
    const { metrics, logger } = bareMetrics();
    const sink = new ClickhouseSink(target as ClickhouseSinkConfig, metrics, logger);
    await sink.open();
    await sink.close();
  };

  it('a new table has 1,024-row granules (point lookups read less); an existing table is left as it is', async () => {
    const fresh = uniqueName('idsnew');
    const old = uniqueName('idsold');
    const client = clickhouseClient(url);
    try {
      await opened(fresh);
      expect(await engineOf(client, fresh)).toMatch(/index_granularity = 1024\b/);

      // A table made before the setting: the sink opens on it and does not try to change it.
      await client.command({ query: `CREATE DATABASE \`${old}\`` });
      await client.command({
        query: `CREATE TABLE \`${old}\`.sales_raw_ids (event_id UUID, day Date, kafka_topic LowCardinality(String),
                  kafka_partition UInt32, kafka_offset UInt64) ENGINE = MergeTree PARTITION BY toYYYYMM(day)
                  ORDER BY event_id SETTINGS non_replicated_deduplication_window = 100`,
      });
      await opened(old);
      expect(await engineOf(client, old)).not.toMatch(/index_granularity = 1024\b/);
    } finally {
      await client.close();
      await dropDatabase(fresh, url);
      await dropDatabase(old, url);
    }
  });
});
