/**
 * The shared sink contract suite for the aggregate tables in the stack's ClickHouse (over HTTP). The tables are created ahead with background merges off: a ReplacingMergeTree merge
 * would hide a record stored twice, and the suite must see whether the dedup tokens alone kept
 * every record single. Rows are counted without FINAL for the same reason.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { aggClickhouseDdl } from '../../../../sinks/clickhouse/aggregates/ddl.js';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../../../helpers/clickhouse.js';
import { uniqueName } from '../../../helpers/env.js';
import { aggregateSink } from '../../core/contract-targets.js';
import { sinkContractSuite, toCounts } from '../../core/contract.suite.js';

const url = clickhouseUrl();
const database = uniqueName('aggch');
let client: ClickHouseClient | undefined;
const ch = async () => (client ??= clickhouseClient(url));

sinkContractSuite({
  ...aggregateSink('clickhouse', () => ({ clickhouseUrl: url, database, migrate: false })),
  async counts() {
    const rs = await (
      await ch()
    ).query({
      query: `SELECT count() n, uniqExact(store_id, sku, window_start) d, sum(quantity) q, sum(revenue_cents) v
                FROM \`${database}\`.sales_hourly`,
      format: 'JSONEachRow',
    });
    const row = (await rs.json<{ n: string; d: string; q: string; v: string }>())[0];
    return toCounts(row);
  },
  async setup() {
    const c = await ch();
    await c.command({ query: `CREATE DATABASE IF NOT EXISTS \`${database}\`` });
    for (const sql of Object.values(aggClickhouseDdl(database, 10_000)))
      await c.command({ query: `${sql}, max_bytes_to_merge_at_max_space_in_pool = 1` });
  },
  async teardown() {
    await client?.close();
    await dropDatabase(database, url);
  },
});
