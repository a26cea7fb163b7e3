/**
 * A hourly record the stack's ClickHouse refuses (a table constraint, VIOLATED_CONSTRAINT) is
 * dead-lettered; the rest stored once. Background merges are off, as in the contract suite, so a
 * record stored twice shows in the counts (rows counted without FINAL).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { aggClickhouseDdl } from '../../../../sinks/clickhouse/aggregates/ddl.js';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../../../helpers/clickhouse.js';
import { uniqueName } from '../../../helpers/env.js';
import { toCounts } from '../../core/contract.suite.js';
import { REFUSED_QUANTITY, refusedAggregateSuite } from '../../aggregates/refused.suite.js';

const url = clickhouseUrl();
const database = uniqueName('refaggch');
let client: ClickHouseClient | undefined;
const ch = () => (client ??= clickhouseClient(url));

refusedAggregateSuite({
  target: 'clickhouse',
  options: () => ({ clickhouseUrl: url, database, migrate: false }),
  serverCode: 'VIOLATED_CONSTRAINT',
  async setup() {
    await ch().command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\`` });
    for (const sql of Object.values(aggClickhouseDdl(database, 10_000)))
      await ch().command({ query: `${sql}, max_bytes_to_merge_at_max_space_in_pool = 1` });
    await ch().command({
      query: `ALTER TABLE \`${database}\`.sales_hourly ADD CONSTRAINT refused_qty CHECK quantity != ${REFUSED_QUANTITY}`,
    });
  },
  async counts() {
    const rs = await ch().query({
      query: `SELECT count() n, uniqExact(store_id, sku, window_start) d, sum(quantity) q, sum(revenue_cents) v
                FROM \`${database}\`.sales_hourly`,
      format: 'JSONEachRow',
    });
    return toCounts((await rs.json<{ n: string; d: string; q: string; v: string }>())[0]);
  },
  async teardown() {
    await client?.close();
    await dropDatabase(database, url);
  },
});
