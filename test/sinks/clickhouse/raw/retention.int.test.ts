/**
 * ClickHouse retention (sinks/clickhouse/raw/retention.ts) on the stack's server: day partitions
 * older than retentionDays (8: above the 7-day floor the server enforces) are detached (recoverable)
 * or dropped, the id claims of expired months dropped, the days kept untouched and exact.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClickhouseSinkConfig } from '../../../../sinks/clickhouse/raw/config.js';
import { ClickhouseSink } from '../../../../sinks/clickhouse/raw/sink.js';
import { resolveSinkConfig } from '../../../../sinks/raw/run.js';
import { makeEvents, totals } from '../../../../bench/lib/sale-events.js';
import type { SaleEvent } from '../../../../lib/contracts/event/schema.js';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../../../helpers/clickhouse.js';
import { uniqueName } from '../../../helpers/env.js';
import { bareMetrics } from '../../core/contract.suite.js';
import { chCounts } from './ch-counts.js';

const url = clickhouseUrl();
const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const at = (day: number) => (i: number) => day + 3_600_000 + i * 1000;
const yyyymmdd = (t: number) => new Date(t).toISOString().slice(0, 10).replace(/-/g, '');
const created: string[] = [];
let reader: ClickHouseClient | undefined;

async function sinkWith(mode: 'detach' | 'drop') {
  const database = uniqueName(`chret${mode}`);
  created.push(database);
  const { target } = resolveSinkConfig('clickhouse', {
    url,
    database,
    retentionDays: 8,
    retentionMode: mode,
  });
  const { metrics, logger } = bareMetrics();
  const sink = new ClickhouseSink(target as ClickhouseSinkConfig, metrics, logger);
  await sink.open();
  return { sink, database };
}

async function write(sink: ClickhouseSink, events: SaleEvent[]) {
  const rows = events.map((event, offset) => ({ event, partition: 0, offset, kafkaTimestamp: Date.now() }));
  await sink.writeBatch({
    segments: [{ topic: 'retail.sales.v1', partition: 0, first: 0, last: rows.length - 1, rows }],
    rowCount: rows.length,
  });
}

async function column(query: string, params: Record<string, unknown>): Promise<string[]> {
  reader ??= clickhouseClient(url);
  const rs = await reader.query({ query, query_params: params, format: 'JSONEachRow' });
  return (await rs.json<{ v: string }>()).map((r) => String(r.v)).sort();
}

afterAll(async () => {
  await reader?.close();
  for (const db of created) await dropDatabase(db, url);
});

describe('ClickHouse retention of sales_raw', () => {
  const kept = [
    ...makeEvents(50, { time: at(today), seed: 1 }),
    ...makeEvents(30, { time: at(today - 2 * DAY), seed: 2 }),
  ];
  const old = [
    ...makeEvents(20, { time: at(today - 10 * DAY), seed: 3 }),
    ...makeEvents(10, { time: at(today - 40 * DAY), seed: 4 }),
  ];
  const oldDays = [yyyymmdd(today - 40 * DAY), yyyymmdd(today - 10 * DAY)];
  const oldMonth = yyyymmdd(today - 40 * DAY).slice(0, 6);

  it('detach: days before the cutoff leave the table but stay on disk, and come back with ATTACH', async () => {
    const { sink, database } = await sinkWith('detach');
    try {
      await write(sink, [...kept, ...old]);
      reader ??= clickhouseClient(url);
      expect((await chCounts(reader, database)).count).toBe(110);
      await sink.maintain();
      const expected = totals(kept);
      expect(await chCounts(reader, database)).toEqual({ ...expected, distinct: expected.count });
      const p = { db: database };
      expect(
        await column(
          `SELECT DISTINCT partition_id AS v FROM system.detached_parts WHERE database = {db:String} AND table = 'sales_raw'`,
          p,
        ),
      ).toEqual(oldDays);
      // The id claims of a month wholly before the cutoff are gone; the kept days' claims are not.
      expect(
        await column(
          `SELECT DISTINCT partition_id AS v FROM system.parts WHERE database = {db:String} AND table = 'sales_raw_ids' AND active`,
          p,
        ),
      ).not.toContain(oldMonth);
      await reader.command({
        query: `ALTER TABLE \`${database}\`.sales_raw ATTACH PARTITION ID '${oldDays[1]}'`,
      });
      expect((await chCounts(reader, database)).count).toBe(80 + 20);
    } finally {
      await sink.close();
    }
  });

  it('drop: days before the cutoff are gone for good; a restart applies retention at once', async () => {
    const first = await sinkWith('drop');
    await write(first.sink, [...kept, ...old]);
    await first.sink.close();
    // Retention runs when the sink opens, not only at the interval.
    const { target } = resolveSinkConfig('clickhouse', {
      url,
      database: first.database,
      retentionDays: 8,
      retentionMode: 'drop',
    });
    const { metrics, logger } = bareMetrics();
    const again = new ClickhouseSink(target as ClickhouseSinkConfig, metrics, logger);
    await again.open();
    try {
      reader ??= clickhouseClient(url);
      const expected = totals(kept);
      expect(await chCounts(reader, first.database)).toEqual({ ...expected, distinct: expected.count });
      expect(
        await column(
          `SELECT DISTINCT partition_id AS v FROM system.detached_parts WHERE database = {db:String} AND table = 'sales_raw'`,
          { db: first.database },
        ),
      ).toEqual([]);
    } finally {
      await again.close();
    }
  });
});
